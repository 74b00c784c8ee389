// FHIRPath Decimal: a binary double plus the number of digits after the point that the
// value was written or computed with, so `1.0.toString()` is "1.0" and `1.10 ~ 1.1`
// compares at the lesser precision, as the specification requires.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace adapter::fhirpath {

struct Decimal {
  double value = 0;
  std::uint8_t scale = 0;  // digits after the decimal point (0..8 typical, max 28)

  // "12", "-0.50", "1e3" is refused (FHIRPath/FHIR decimals have no exponent).
  static std::optional<Decimal> parse(std::string_view text);
  // FHIR JSON numbers may carry an exponent ("1e-3"); accepted here.
  static std::optional<Decimal> parse_json(std::string_view text);
  static Decimal of_integer(std::int64_t v) { return {static_cast<double>(v), 0}; }
  std::string to_string() const;  // at least `scale` digits after the point, no exponent
};

// Rounded to `digits` after the point (half away from zero), as round() specifies.
Decimal round_decimal(Decimal d, int digits);
// Exact equality after rounding both to the larger scale (1.10 = 1.1 is true).
bool decimal_equal(Decimal a, Decimal b);
// Equivalence: rounded to the lesser scale of the two (1.2/1.8 ~ 0.67 is true).
bool decimal_equivalent(Decimal a, Decimal b);
int decimal_compare(Decimal a, Decimal b);  // -1, 0, 1
Decimal decimal_add(Decimal a, Decimal b);
Decimal decimal_subtract(Decimal a, Decimal b);
Decimal decimal_multiply(Decimal a, Decimal b);
std::optional<Decimal> decimal_divide(Decimal a, Decimal b);  // nullopt for division by 0

}  // namespace adapter::fhirpath
