// FHIRPath Date, DateTime and Time: partial precision, optional time-zone offset,
// comparison that is empty when precisions differ, and calendar arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapter/fhirpath/decimal.h"

namespace adapter::fhirpath {

enum class TemporalKind : std::uint8_t { date, datetime, time };
enum class Precision : std::uint8_t { year, month, day, hour, minute, second, millisecond };

struct Temporal {
  TemporalKind kind = TemporalKind::date;
  Precision precision = Precision::day;
  std::int16_t year = 1;
  std::uint8_t month = 1, day = 1, hour = 0, minute = 0, second = 0;
  std::uint16_t millisecond = 0;
  bool has_offset = false;
  std::int16_t offset_minutes = 0;  // only when has_offset

  // FHIR/FHIRPath text without the '@' of a literal:
  //   date      "2014", "2014-01", "2014-01-25"
  //   datetime  "2014-01-25T14:30:14.559+01:00", "2014-01-25T14", "2014T", "2014-01T"
  //             (FHIRPath literal forms), and FHIR's full "…Z" / offsets
  //   time      "14", "14:30", "14:30:14.559" (a literal's leading 'T' already removed)
  static std::optional<Temporal> parse_date(std::string_view text);
  static std::optional<Temporal> parse_datetime(std::string_view text);
  static std::optional<Temporal> parse_time(std::string_view text);
  // Chooses date or datetime by shape (used for FHIR `date`/`dateTime`/`instant` values
  // and for conversions from string).
  static std::optional<Temporal> parse_date_or_datetime(std::string_view text);

  // Canonical FHIR text (no '@'): "2014-01-25", "2014-01-25T14:30:14.559+01:00", "14:30:00".
  std::string to_string() const;
};

// -1/0/1, or nullopt when the answer is unknown because the precisions differ (the
// FHIRPath rules: compare field by field at common precision; seconds and milliseconds
// count as one precision; offsets are normalised to UTC first when both have one).
// When only one has an offset, the other's is unknown (anywhere in -12:00..+14:00): the
// answer is given only if it holds for every such offset, else nullopt
// (@2012-04-15T15:00:00Z = @2012-04-15T10:00:00 is empty, as the suite expects).
// A Date compares as a DateTime of day precision; a Time with a Date/DateTime is nullopt.
std::optional<int> temporal_compare(const Temporal& a, const Temporal& b);
// `=`: nullopt (empty) when precisions differ and the common part is equal. A Time is
// never equal to a Date or DateTime (false).
std::optional<bool> temporal_equal(const Temporal& a, const Temporal& b);
// `~`: false when precisions differ.
bool temporal_equivalent(const Temporal& a, const Temporal& b);

// Calendar arithmetic: `amount` of `unit` added (negate for subtraction). Units are the
// FHIRPath calendar keywords (year(s), month(s), week(s), day(s), hour(s), minute(s),
// second(s), millisecond(s)) or UCUM 'wk', 'd', 'h', 'min', 's', 'ms'. UCUM 'a' and 'mo'
// (mean Julian lengths, not calendar steps) give nullopt, as the FHIRPath R4 suite requires
// `@1973-12-25 + 1 'mo'` to fail. The amount's decimal part is dropped (7.7 days = 7 days).
// Year/month arithmetic clamps the day to the end of the month (2012-02-29 + 1 year =
// 2013-02-28). Units finer than the value's precision are applied by converting the
// amount (truncated) to the value's precision, per the specification (a month is 30 days
// and a year 365 for that conversion only; @2014 + 23 months = @2015). A Time accepts
// hours and finer only, and wraps around midnight. nullopt when the unit is not a time
// unit for this value or the result leaves year 1..9999.
std::optional<Temporal> temporal_add(const Temporal& t, Decimal amount, std::string_view unit);

}  // namespace adapter::fhirpath
