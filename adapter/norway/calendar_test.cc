#include "adapter/norway/calendar.h"

#include "adapter/fhir/datetime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace adapter::norway {
namespace {

using std::chrono::year_month_day;

year_month_day date(std::string_view iso) {
  std::optional<year_month_day> parsed = fhir::parse_full_date(iso);
  EXPECT_TRUE(parsed.has_value()) << iso;
  return parsed.value_or(year_month_day{});
}

std::vector<std::string> holiday_dates(int year) {
  std::vector<std::string> dates;
  for (const PublicHoliday& holiday : public_holidays(std::chrono::year{year})) {
    dates.push_back(fhir::format_date(holiday.date));
  }
  return dates;
}

// Written out by hand as an independent list (Easter Sunday -3, -2, 0, +1, +39, +49, +50 days).
TEST(PublicHolidays, Years2024To2030) {
  EXPECT_THAT(holiday_dates(2024),
              ::testing::ElementsAre("2024-01-01", "2024-03-28", "2024-03-29", "2024-03-31",
                                     "2024-04-01", "2024-05-01", "2024-05-09", "2024-05-17",
                                     "2024-05-19", "2024-05-20", "2024-12-25", "2024-12-26"));
  EXPECT_THAT(holiday_dates(2025),
              ::testing::ElementsAre("2025-01-01", "2025-04-17", "2025-04-18", "2025-04-20",
                                     "2025-04-21", "2025-05-01", "2025-05-17", "2025-05-29",
                                     "2025-06-08", "2025-06-09", "2025-12-25", "2025-12-26"));
  EXPECT_THAT(holiday_dates(2026),
              ::testing::ElementsAre("2026-01-01", "2026-04-02", "2026-04-03", "2026-04-05",
                                     "2026-04-06", "2026-05-01", "2026-05-14", "2026-05-17",
                                     "2026-05-24", "2026-05-25", "2026-12-25", "2026-12-26"));
  // 2027: Whit Monday falls on 17 May, so that date is listed twice.
  EXPECT_THAT(holiday_dates(2027),
              ::testing::ElementsAre("2027-01-01", "2027-03-25", "2027-03-26", "2027-03-28",
                                     "2027-03-29", "2027-05-01", "2027-05-06", "2027-05-16",
                                     "2027-05-17", "2027-05-17", "2027-12-25", "2027-12-26"));
  EXPECT_THAT(holiday_dates(2028),
              ::testing::ElementsAre("2028-01-01", "2028-04-13", "2028-04-14", "2028-04-16",
                                     "2028-04-17", "2028-05-01", "2028-05-17", "2028-05-25",
                                     "2028-06-04", "2028-06-05", "2028-12-25", "2028-12-26"));
  EXPECT_THAT(holiday_dates(2029),
              ::testing::ElementsAre("2029-01-01", "2029-03-29", "2029-03-30", "2029-04-01",
                                     "2029-04-02", "2029-05-01", "2029-05-10", "2029-05-17",
                                     "2029-05-20", "2029-05-21", "2029-12-25", "2029-12-26"));
  EXPECT_THAT(holiday_dates(2030),
              ::testing::ElementsAre("2030-01-01", "2030-04-18", "2030-04-19", "2030-04-21",
                                     "2030-04-22", "2030-05-01", "2030-05-17", "2030-05-30",
                                     "2030-06-09", "2030-06-10", "2030-12-25", "2030-12-26"));
}

TEST(PublicHolidays, EasterSundays) {
  const std::vector<std::pair<int, std::string>> known{
      {2024, "2024-03-31"},
      {2025, "2025-04-20"},
      {2026, "2026-04-05"},
      {2027, "2027-03-28"},
      {2028, "2028-04-16"},
      {2029, "2029-04-01"},
      {2030, "2030-04-21"},
      // Extremes of the Gregorian range: earliest (22 March) and latest (25 April).
      {1818, "1818-03-22"},
      {2285, "2285-03-22"},
      {1943, "1943-04-25"},
      {2038, "2038-04-25"}};
  for (const auto& [year, easter] : known) {
    EXPECT_EQ(fhir::format_date(easter_sunday(std::chrono::year{year})), easter) << year;
  }
}

TEST(PublicHolidays, NamesInBothLanguages) {
  const std::vector<PublicHoliday> holidays = public_holidays(std::chrono::year{2026});
  ASSERT_EQ(holidays.size(), 12U);
  EXPECT_EQ(holidays[0].name_no, "Første nyttårsdag");
  EXPECT_EQ(holidays[0].name_en, "New Year's Day");
  EXPECT_EQ(holidays[1].name_no, "Skjærtorsdag");
  EXPECT_EQ(holidays[1].name_en, "Maundy Thursday");
  EXPECT_EQ(holidays[6].name_en, "Ascension Day");
  for (const PublicHoliday& holiday : holidays) {
    EXPECT_FALSE(holiday.name_no.empty());
    EXPECT_FALSE(holiday.name_en.empty());
  }

  // When two coincide, the first listed wins.
  std::optional<PublicHoliday> may_17 = public_holiday_on(date("2027-05-17"));
  ASSERT_TRUE(may_17.has_value());
  EXPECT_EQ(may_17->name_en, "Constitution Day (17 May)");
  EXPECT_EQ(public_holiday_on(date("2027-05-18")), std::nullopt);
}

TEST(WorkingDays, WeekendsAndHolidays) {
  EXPECT_TRUE(is_working_day(date("2027-03-24")));   // Wednesday
  EXPECT_FALSE(is_working_day(date("2027-03-25")));  // Maundy Thursday
  EXPECT_FALSE(is_working_day(date("2027-03-27")));  // Saturday
  EXPECT_TRUE(is_weekend(date("2027-03-28")));       // Easter Sunday is also a Sunday
  EXPECT_TRUE(is_public_holiday(date("2027-03-28")));
  EXPECT_FALSE(is_weekend(date("2027-03-29")));
  EXPECT_FALSE(is_working_day(date("2027-03-29")));  // Easter Monday
  EXPECT_TRUE(is_working_day(date("2027-03-30")));
  EXPECT_FALSE(is_public_holiday(date("2024-12-24")));  // Christmas Eve is not a holiday
  EXPECT_TRUE(is_working_day(date("2024-12-24")));
}

TEST(WorkingDays, TenWorkingDaysAcrossEaster2027) {
  // Hand count after Wed 24 March: 25-26 holidays, 27-28 weekend, 29 Easter Monday; then
  // 30, 31 Mar, 1, 2, 5, 6, 7, 8, 9, 12 Apr.
  EXPECT_EQ(fhir::format_date(add_working_days(date("2027-03-24"), 10)), "2027-04-12");
  EXPECT_EQ(fhir::format_date(add_working_days(date("2027-03-24"), 1)), "2027-03-30");
  EXPECT_EQ(count_working_days(date("2027-03-24"), date("2027-04-12")), 10);
}

TEST(WorkingDays, ZeroDaysIsTheStartWhateverItIs) {
  EXPECT_EQ(add_working_days(date("2027-03-24"), 0), date("2027-03-24"));
  EXPECT_EQ(add_working_days(date("2027-03-27"), 0), date("2027-03-27"));  // Saturday
  EXPECT_EQ(add_working_days(date("2025-12-25"), 0), date("2025-12-25"));  // Christmas Day
}

TEST(WorkingDays, StartingOnAWeekendOrHoliday) {
  // Saturday 27 March 2027 -> Tue 30 March is the first working day after.
  EXPECT_EQ(fhir::format_date(add_working_days(date("2027-03-27"), 1)), "2027-03-30");
  // From Good Friday 2027, 2 working days: Tue 30, Wed 31 March.
  EXPECT_EQ(fhir::format_date(add_working_days(date("2027-03-26"), 2)), "2027-03-31");
  // 17 May 2027 (Monday, also Whit Monday) -> Tuesday 18 May.
  EXPECT_EQ(fhir::format_date(add_working_days(date("2027-05-17"), 1)), "2027-05-18");
  // Ascension Thursday 2026 -> Friday 15 May.
  EXPECT_EQ(fhir::format_date(add_working_days(date("2026-05-14"), 1)), "2026-05-15");
}

TEST(WorkingDays, ChristmasToNewYear) {
  // 2026: Thu 24 Dec works, 25-26 holidays, 27 Sunday, 28-31 work, 1 Jan holiday, 2-3 weekend.
  EXPECT_EQ(fhir::format_date(add_working_days(date("2026-12-24"), 1)), "2026-12-28");
  EXPECT_EQ(fhir::format_date(add_working_days(date("2026-12-24"), 4)), "2026-12-31");
  EXPECT_EQ(fhir::format_date(add_working_days(date("2026-12-24"), 5)), "2027-01-04");
  EXPECT_EQ(fhir::format_date(add_working_days(date("2024-12-20"), 10)), "2025-01-08");
  EXPECT_EQ(count_working_days(date("2026-12-24"), date("2027-01-04")), 5);
}

TEST(WorkingDays, NegativeCountsGoBackwards) {
  EXPECT_EQ(fhir::format_date(add_working_days(date("2027-04-12"), -10)), "2027-03-24");
  EXPECT_EQ(fhir::format_date(add_working_days(date("2027-01-04"), -1)), "2026-12-31");
  EXPECT_EQ(count_working_days(date("2027-04-12"), date("2027-03-24")), -10);
  // Inverse for every start and working-day target in a span around Easter and Christmas.
  for (const char* start : {"2027-03-20", "2027-03-25", "2026-12-24", "2026-12-27"}) {
    for (int n = -15; n <= 15; ++n) {
      const year_month_day target = add_working_days(date(start), n);
      if (n != 0) {
        EXPECT_TRUE(is_working_day(target)) << start << " " << n;
        EXPECT_EQ(count_working_days(date(start), target), n) << start << " " << n;
      }
    }
  }
}

TEST(CalendarDays, AddAcrossMonthsAndLeapDays) {
  EXPECT_EQ(fhir::format_date(add_calendar_days(date("2024-02-28"), 1)), "2024-02-29");
  EXPECT_EQ(fhir::format_date(add_calendar_days(date("2025-02-28"), 1)), "2025-03-01");
  EXPECT_EQ(fhir::format_date(add_calendar_days(date("2026-12-31"), 21)), "2027-01-21");
  EXPECT_EQ(fhir::format_date(add_calendar_days(date("2026-01-10"), -10)), "2025-12-31");
  EXPECT_EQ(add_calendar_days(date("2026-01-10"), 0), date("2026-01-10"));
}

}  // namespace
}  // namespace adapter::norway
