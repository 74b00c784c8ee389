#include "adapter/norway/calendar.h"

#include <algorithm>
#include <array>
#include <cstddef>

namespace adapter::norway {
namespace {

namespace chr = std::chrono;

// One public holiday: a fixed month and day, or (month == 0) a distance from Easter Sunday.
struct HolidayRule {
  unsigned month;
  unsigned day;
  int days_from_easter;
  std::string_view name_no;
  std::string_view name_en;
};

// Helligdagsloven (Sundays and church holidays) and the 1947 act making 1 and 17 May public
// holidays (offentlige høytidsdager); the list DOMAIN.md §3 gives for virkedager.
constexpr std::array<HolidayRule, 12> kHolidayRules{{
    {1, 1, 0, "Første nyttårsdag", "New Year's Day"},
    {0, 0, -3, "Skjærtorsdag", "Maundy Thursday"},
    {0, 0, -2, "Langfredag", "Good Friday"},
    {0, 0, 0, "Første påskedag", "Easter Sunday"},
    {0, 0, 1, "Andre påskedag", "Easter Monday"},
    {5, 1, 0, "Arbeidernes dag (1. mai)", "Labour Day (1 May)"},
    {5, 17, 0, "Grunnlovsdag (17. mai)", "Constitution Day (17 May)"},
    {0, 0, 39, "Kristi himmelfartsdag", "Ascension Day"},
    {0, 0, 49, "Første pinsedag", "Whit Sunday"},
    {0, 0, 50, "Andre pinsedag", "Whit Monday"},
    {12, 25, 0, "Første juledag", "Christmas Day"},
    {12, 26, 0, "Andre juledag", "Boxing Day (St Stephen's Day)"},
}};

chr::year_month_day date_of(const HolidayRule& rule, chr::year year, chr::sys_days easter) {
  if (rule.month == 0) return chr::year_month_day{easter + chr::days{rule.days_from_easter}};
  return year / chr::month{rule.month} / chr::day{rule.day};
}

PublicHoliday holiday_of(const HolidayRule& rule, chr::year year, chr::sys_days easter) {
  return PublicHoliday{date_of(rule, year, easter), rule.name_no, rule.name_en};
}

}  // namespace

chr::year_month_day easter_sunday(chr::year year) {
  const int y = static_cast<int>(year);
  const int golden = y % 19;
  const int century = y / 100;
  const int year_of_century = y % 100;
  const int leap_corrections = century / 4;
  const int century_remainder = century % 4;
  const int moon_correction = (century + 8) / 25;
  const int epact_shift = (century - moon_correction + 1) / 3;
  const int epact = (19 * golden + century - leap_corrections - epact_shift + 15) % 30;
  const int quarter = year_of_century / 4;
  const int quarter_remainder = year_of_century % 4;
  const int weekday_shift =
      (32 + 2 * century_remainder + 2 * quarter - epact - quarter_remainder) % 7;
  const int late_correction = (golden + 11 * epact + 22 * weekday_shift) / 451;
  const int month_and_day = epact + weekday_shift - 7 * late_correction + 114;
  return year / chr::month{static_cast<unsigned>(month_and_day / 31)} /
         chr::day{static_cast<unsigned>(month_and_day % 31 + 1)};
}

std::vector<PublicHoliday> public_holidays(chr::year year) {
  const chr::sys_days easter{easter_sunday(year)};
  std::vector<PublicHoliday> holidays;
  holidays.reserve(kHolidayRules.size());
  for (const HolidayRule& rule : kHolidayRules)
    holidays.push_back(holiday_of(rule, year, easter));
  // Stable: holidays on one date keep the order of kHolidayRules.
  std::stable_sort(holidays.begin(), holidays.end(),
                   [](const PublicHoliday& a, const PublicHoliday& b) { return a.date < b.date; });
  return holidays;
}

std::optional<PublicHoliday> public_holiday_on(chr::year_month_day date) {
  const chr::sys_days easter{easter_sunday(date.year())};
  for (const HolidayRule& rule : kHolidayRules) {
    if (date_of(rule, date.year(), easter) == date) return holiday_of(rule, date.year(), easter);
  }
  return std::nullopt;
}

bool is_public_holiday(chr::year_month_day date) {
  return public_holiday_on(date).has_value();
}

bool is_weekend(chr::year_month_day date) {
  const chr::weekday weekday{chr::sys_days{date}};
  return weekday == chr::Saturday || weekday == chr::Sunday;
}

bool is_working_day(chr::year_month_day date) {
  return !is_weekend(date) && !is_public_holiday(date);
}

chr::year_month_day add_working_days(chr::year_month_day from, int n) {
  const chr::days step{n < 0 ? -1 : 1};
  // long long: -n would overflow for the most negative int.
  long long remaining = n < 0 ? -static_cast<long long>(n) : n;
  chr::sys_days day{from};
  while (remaining > 0) {
    day += step;
    if (is_working_day(chr::year_month_day{day})) --remaining;
  }
  return chr::year_month_day{day};
}

chr::year_month_day add_calendar_days(chr::year_month_day from, int n) {
  return chr::year_month_day{chr::sys_days{from} + chr::days{n}};
}

int count_working_days(chr::year_month_day from, chr::year_month_day to) {
  chr::sys_days first{from};
  chr::sys_days last{to};
  int count = 0;
  if (last >= first) {
    // (from, to]
    for (chr::sys_days day = first + chr::days{1}; day <= last; day += chr::days{1}) {
      if (is_working_day(chr::year_month_day{day})) ++count;
    }
    return count;
  }
  // [to, from): mirrors add_working_days, which counts strictly before `from` when n < 0.
  for (chr::sys_days day = last; day < first; day += chr::days{1}) {
    if (is_working_day(chr::year_month_day{day})) --count;
  }
  return count;
}

}  // namespace adapter::norway
