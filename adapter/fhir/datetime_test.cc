#include "adapter/fhir/datetime.h"

#include <gtest/gtest.h>

namespace adapter::fhir {
namespace {

using namespace std::chrono;

TEST(DateTimeTest, FullDatesMustBeRealDays) {
  EXPECT_EQ(parse_full_date("2027-03-24"), year{2027} / March / 24);
  EXPECT_EQ(parse_full_date("2028-02-29"), year{2028} / February / 29);
  EXPECT_EQ(parse_full_date("2027-02-29"), std::nullopt);
  EXPECT_EQ(parse_full_date("2027-02-30"), std::nullopt);
  EXPECT_EQ(parse_full_date("2027-13-01"), std::nullopt);
  EXPECT_EQ(parse_full_date("2027-00-10"), std::nullopt);
  EXPECT_EQ(parse_full_date("0000-01-01"), std::nullopt);
  EXPECT_EQ(parse_full_date("2027-3-24"), std::nullopt);
  EXPECT_EQ(parse_full_date("2027-03-24 "), std::nullopt);
  EXPECT_EQ(parse_full_date("2027"), std::nullopt);
  EXPECT_EQ(parse_full_date("0001-01-01"), year{1} / 1 / 1);
  for (const char* bad :
       {"2023-02-29", "2024-04-31", "2024-01-00", "2024-01-1", "24-01-01", "2024/01/01",
        "2024-01-01T00:00", " 2024-01-01", "+024-01-01", "2024-0a-01", "", "20240101"}) {
    EXPECT_EQ(parse_full_date(bad), std::nullopt) << bad;
  }
}

TEST(DateTimeTest, FormatsDates) {
  EXPECT_EQ(format_date(year{2027} / April / 12), "2027-04-12");
  EXPECT_EQ(format_date(year{987} / January / 2), "0987-01-02");
  for (const char* text : {"1899-12-31", "2000-02-29", "9999-12-31"}) {
    EXPECT_EQ(format_date(*parse_full_date(text)), text);
  }
}

TEST(DateTimeTest, DateTimesNeedAZoneAndNormaliseToUtc) {
  const auto oslo = parse_date_time("2027-03-24T09:15:00+01:00");
  const auto utc = parse_date_time("2027-03-24T08:15:00Z");
  ASSERT_TRUE(oslo && utc);
  EXPECT_EQ(oslo->utc, utc->utc);
  EXPECT_EQ(oslo->offset, minutes{60});
  EXPECT_EQ(parse_date_time("2027-03-24T09:15:00.5-02:30")->offset, minutes{-150});
  EXPECT_EQ(parse_date_time("2027-03-24T09:15:00.123456Z")->utc.time_since_epoch().count() % 1000,
            123);
  EXPECT_TRUE(parse_date_time("2016-12-31T23:59:60Z"));
  EXPECT_FALSE(parse_date_time("2027-03-24T09:15:00"));
  EXPECT_FALSE(parse_date_time("2027-03-24T24:00:00Z"));
  EXPECT_FALSE(parse_date_time("2027-02-30T10:00:00Z"));
  EXPECT_FALSE(parse_date_time("2027-03-24T09:15:00.Z"));
  EXPECT_FALSE(parse_date_time("2027-03-24T09:15:00+1:00"));
  EXPECT_FALSE(parse_date_time("2027-03-24T09:15:00Z trailing"));
  EXPECT_FALSE(parse_date_time("2027-03-24"));
}

}  // namespace
}  // namespace adapter::fhir
