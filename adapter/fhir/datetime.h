// Strict date and date-time text as FHIR and RFC 3339 write them. Every stage that reads
// a date goes through here, so "2027-02-30" is refused the same way everywhere.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace adapter::fhir {

// "YYYY-MM-DD", a real calendar day (no 30 February), year 0001-9999.
std::optional<std::chrono::year_month_day> parse_full_date(std::string_view text);
std::string format_date(std::chrono::year_month_day date);

struct DateTime {
  std::chrono::sys_time<std::chrono::milliseconds> utc;  // the instant
  std::chrono::minutes offset{0};                        // as written (Z = 0)
};

// RFC 3339 "YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)": a time zone is required.
// A leap second (":60") is accepted as FHIR's regex allows it, and read as :59.999.
std::optional<DateTime> parse_date_time(std::string_view text);

}  // namespace adapter::fhir
