// The Norwegian calendar the pathway deadlines count in: public holidays (Easter computed, not
// tabulated), working days (virkedager: not Saturday, Sunday or a public holiday) and strict
// ISO dates. All functions take and return proleptic Gregorian std::chrono dates; inputs must
// satisfy ok().
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace adapter::norway {

struct PublicHoliday {
  std::chrono::year_month_day date;
  std::string_view name_no;  // Norwegian (bokmål) name
  std::string_view name_en;
};

// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
std::chrono::year_month_day easter_sunday(std::chrono::year year);

// The twelve Norwegian public holidays of a year, sorted by date. Two can fall on one date (Whit
// Monday is 17 May in 2027); both are then listed.
std::vector<PublicHoliday> public_holidays(std::chrono::year year);

// The holiday on `date`, if any; when two coincide, the one listed first by public_holidays().
std::optional<PublicHoliday> public_holiday_on(std::chrono::year_month_day date);

bool is_public_holiday(std::chrono::year_month_day date);
bool is_weekend(std::chrono::year_month_day date);
// Not a Saturday, not a Sunday and not a public holiday.
bool is_working_day(std::chrono::year_month_day date);

// The n-th working day strictly after `from` (n > 0), `from` itself for n == 0 (whatever day it
// is), and the |n|-th working day strictly before `from` for n < 0.
std::chrono::year_month_day add_working_days(std::chrono::year_month_day from, int n);
std::chrono::year_month_day add_calendar_days(std::chrono::year_month_day from, int n);
// Working days d with from < d <= to (e.g. how many working days a due date is overdue); when
// to < from, minus the working days d with to <= d < from. The inverse of add_working_days:
// add_working_days(from, count_working_days(from, to)) == to whenever `to` is a working day.
int count_working_days(std::chrono::year_month_day from, std::chrono::year_month_day to);

// Dates are read and written with adapter::fhir::parse_full_date / format_date.

}  // namespace adapter::norway
