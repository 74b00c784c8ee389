// FHIRPath Quantity: a decimal value with a UCUM unit (or a calendar-duration keyword),
// with UCUM conversion for the common units so that 4 'g' = 4000 'mg' and
// 2.0 'cm' * 2.0 'm' = 0.040 'm2'.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapter/fhirpath/decimal.h"

namespace adapter::fhirpath {

struct Quantity {
  Decimal value;
  std::string unit;  // UCUM code ("mg", "m2", "1", "g/m") or calendar keyword ("year", "days")

  // The literal's unit part as written: a quoted UCUM string ('mg') with the quotes
  // already removed, or a calendar keyword (year, years, month, …). The default unit is "1".
  std::string to_string() const;  // "4 'g'", "1 year"
};

bool is_calendar_keyword(std::string_view unit);  // year, years, month, … millisecond(s)
// True when the UCUM subset this layer converts with understands `unit` ("mg/dL", "10*3/uL",
// "mm[Hg]", "{score}"); units it does not know still compare equal to themselves.
bool is_ucum_unit(std::string_view unit);

// Equality / equivalence / comparison after UCUM conversion to common units. nullopt when
// the units are not comparable (different dimensions, or an unknown unit). Calendar
// durations: 'year' = 'a' only for equivalence, weeks/days/hours/... equal their UCUM form
// (per the FHIRPath spec table); 1 year != 12 months for `=`.
std::optional<bool> quantity_equal(const Quantity& a, const Quantity& b);
std::optional<bool> quantity_equivalent(const Quantity& a, const Quantity& b);
std::optional<int> quantity_compare(const Quantity& a, const Quantity& b);
// Sums are in the finer of the two units (1 'm' + 1 'cm' = 101 'cm', 1 week + 1 day =
// 8 day); nullopt where `=` has no answer (different dimensions, a calendar year or month
// with another unit) and for temperatures on different scales ('Cel' + 'K').
std::optional<Quantity> quantity_add(const Quantity& a, const Quantity& b);
std::optional<Quantity> quantity_subtract(const Quantity& a, const Quantity& b);
// Units combine symbol by symbol; a symbol meeting another of the same dimension is
// converted to the coarser one, so 2.0 'cm' * 2.0 'm' = 0.0400 'm2', 4.0 'g' / 2.0 'm' =
// 2.00000000 'g/m' and 1.0 'm' / 1.0 'm' = 1.00000000 '1'. A '1' operand keeps the other
// unit as written (2 days * 3 = 6 days). nullopt for unknown units, 'Cel'/'[degF]', and
// division by zero. Calendar keywords take their UCUM form ('a', 'mo', 'wk', 'd', …).
std::optional<Quantity> quantity_multiply(const Quantity& a, const Quantity& b);
std::optional<Quantity> quantity_divide(const Quantity& a, const Quantity& b);
// Parses "10.1 'mg'", "4 days", "5" (unit "1") as toQuantity() converts strings.
std::optional<Quantity> parse_quantity_string(std::string_view text);
// Conversion to another UCUM unit (for tests and for the adapter's own functions), with
// `=` semantics for calendar keywords: a calendar year or month converts to nothing else.
std::optional<Quantity> quantity_convert(const Quantity& q, std::string_view unit);

}  // namespace adapter::fhirpath
