#include "adapter/fhirpath/temporal.h"

#include <gtest/gtest.h>

#include <optional>

namespace adapter::fhirpath {
namespace {

// A FHIRPath literal without its '@': "2012-04-15", "2012-04-15T10:00:00Z", "T10:30".
Temporal at(std::string_view literal) {
  std::optional<Temporal> parsed;
  if (literal.starts_with('T')) {
    parsed = Temporal::parse_time(literal.substr(1));
  } else {
    parsed = Temporal::parse_date_or_datetime(literal);
  }
  EXPECT_TRUE(parsed) << literal;
  return parsed.value_or(Temporal{});
}

Decimal amount(double value) {
  return Decimal{value, 0};
}

std::string plus(std::string_view literal, double value, std::string_view unit) {
  const auto sum = temporal_add(at(literal), Decimal{value, 1}, unit);
  return sum ? sum->to_string() : "(none)";
}

TEST(TemporalTest, ParsesDatesWithTheirPrecision) {
  const auto year = Temporal::parse_date("2015");
  ASSERT_TRUE(year);
  EXPECT_EQ(year->kind, TemporalKind::date);
  EXPECT_EQ(year->precision, Precision::year);
  EXPECT_EQ(Temporal::parse_date("2015-02")->precision, Precision::month);
  const auto day = Temporal::parse_date("2015-02-04");
  ASSERT_TRUE(day);
  EXPECT_EQ(day->precision, Precision::day);
  EXPECT_EQ(day->year, 2015);
  EXPECT_EQ(day->month, 2);
  EXPECT_EQ(day->day, 4);
  EXPECT_TRUE(Temporal::parse_date("2012-02-29"));
  for (const char* bad : {"2013-02-29", "2015-13", "2015-00", "2015-02-30", "0000", "15", "2015-2",
                          "2015-02-04T10", "2015-02-04 ", "", "2015-", "20150204"}) {
    EXPECT_FALSE(Temporal::parse_date(bad)) << bad;
  }
}

TEST(TemporalTest, ParsesDateTimesInLiteralAndFhirForms) {
  const auto full = Temporal::parse_datetime("2014-01-25T14:30:14.559+01:00");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->kind, TemporalKind::datetime);
  EXPECT_EQ(full->precision, Precision::millisecond);
  EXPECT_EQ(full->millisecond, 559);
  EXPECT_TRUE(full->has_offset);
  EXPECT_EQ(full->offset_minutes, 60);
  EXPECT_EQ(Temporal::parse_datetime("2015T")->precision, Precision::year);
  EXPECT_EQ(Temporal::parse_datetime("2015-02T")->precision, Precision::month);
  EXPECT_EQ(Temporal::parse_datetime("2015-02-04T")->precision, Precision::day);
  EXPECT_EQ(Temporal::parse_datetime("2015-02-04T14")->precision, Precision::hour);
  EXPECT_EQ(Temporal::parse_datetime("2015-02-04T14:34")->precision, Precision::minute);
  EXPECT_EQ(Temporal::parse_datetime("2015-02-04T14:34:28")->precision, Precision::second);
  EXPECT_EQ(Temporal::parse_datetime("2015")->precision, Precision::year);  // toDateTime()
  const auto utc = Temporal::parse_datetime("2015-02-04T14:34:28Z");
  ASSERT_TRUE(utc);
  EXPECT_TRUE(utc->has_offset);
  EXPECT_EQ(utc->offset_minutes, 0);
  EXPECT_EQ(Temporal::parse_datetime("2015-02-04T14:34:28-05:30")->offset_minutes, -330);
  EXPECT_EQ(Temporal::parse_datetime("2015-02-04T14:34:28.1")->millisecond, 100);
  EXPECT_EQ(Temporal::parse_datetime("2015-02-04T14:34:28.123456Z")->millisecond, 123);
  EXPECT_TRUE(Temporal::parse_datetime("2016-12-31T23:59:60Z"));  // leap second
  for (const char* bad :
       {"2015-02T14", "2015T14", "2015-02-04T24:00", "2015-02-04T14:60", "2015-02-04T14:34:28.",
        "2015-02-04T14:34:28+1:00", "2015-02-04T14:34:28+15:00", "2015-02-04T14:34:28z",
        "2015-02-04TZ", "2015-02-04T14:34:28Z ", "2015-02-04X", "2015-02-04T1"}) {
    EXPECT_FALSE(Temporal::parse_datetime(bad)) << bad;
  }
}

TEST(TemporalTest, ParsesTimesWithoutOffsets) {
  EXPECT_EQ(Temporal::parse_time("14")->precision, Precision::hour);
  EXPECT_EQ(Temporal::parse_time("14:34")->precision, Precision::minute);
  EXPECT_EQ(Temporal::parse_time("14:34:28")->precision, Precision::second);
  const auto millis = Temporal::parse_time("14:34:28.123");
  ASSERT_TRUE(millis);
  EXPECT_EQ(millis->kind, TemporalKind::time);
  EXPECT_EQ(millis->precision, Precision::millisecond);
  // @T14:34:28Z and @T14:34:28+10:00 are errors in the suite: a time has no offset.
  for (const char* bad : {"14:34:28Z", "14:34:28+10:00", "24", "1", "14:3", "T14", ""}) {
    EXPECT_FALSE(Temporal::parse_time(bad)) << bad;
  }
}

TEST(TemporalTest, ChoosesDateOrDateTimeByShape) {
  EXPECT_EQ(Temporal::parse_date_or_datetime("1974-12-25")->kind, TemporalKind::date);
  EXPECT_EQ(Temporal::parse_date_or_datetime("1974-12-25T12:34:00Z")->kind, TemporalKind::datetime);
  EXPECT_FALSE(Temporal::parse_date_or_datetime("12:34:00"));
}

TEST(TemporalTest, PrintsCanonicalText) {
  for (const char* text :
       {"2014", "2014-01", "2014-01-25", "2014-01-25T14", "2014-01-25T14:30", "2014-01-25T14:30:14",
        "2014-01-25T14:30:14.559+01:00", "1973-12-25T00:00:00.000+10:00", "2014-01-25T14:30:14Z",
        "2014-01-25T14:30-05:30", "0987-03-04"}) {
    EXPECT_EQ(Temporal::parse_date_or_datetime(text)->to_string(), text);
  }
  EXPECT_EQ(Temporal::parse_datetime("2015T")->to_string(), "2015");
  EXPECT_EQ(Temporal::parse_datetime("2015-02-04T14:34:28.1")->to_string(),
            "2015-02-04T14:34:28.100");
  for (const char* text : {"14", "14:30", "14:30:00", "14:30:00.000"}) {
    EXPECT_EQ(Temporal::parse_time(text)->to_string(), text);
  }
}

TEST(TemporalTest, EqualityFollowsPrecision) {
  EXPECT_EQ(temporal_equal(at("2012-04-15"), at("2012-04-15")), true);   // testEquality17
  EXPECT_EQ(temporal_equal(at("2012-04-15"), at("2012-04-16")), false);  // testEquality18
  EXPECT_EQ(temporal_equal(at("2012-04-15"), at("2012-04-15T10:00:00")), std::nullopt);    // 19
  EXPECT_EQ(temporal_equal(at("2012-04-15T15:00:00"), at("2012-04-15T10:00:00")), false);  // 20
  // Seconds and milliseconds are one precision (testEquality21, testEquality22).
  EXPECT_EQ(temporal_equal(at("2012-04-15T15:30:31"), at("2012-04-15T15:30:31.0")), true);
  EXPECT_EQ(temporal_equal(at("2012-04-15T15:30:31"), at("2012-04-15T15:30:31.1")), false);
  // A difference above the common precision decides even when precisions differ.
  EXPECT_EQ(temporal_equal(at("2012-04"), at("2012-05-03")), false);
  EXPECT_EQ(temporal_equal(at("2012-04-15"), at("2012-04-15T")), true);  // Date as DateTime
  EXPECT_EQ(temporal_equal(at("1974-12-25"), at("1974-12-25T12:34:00-10:00")), std::nullopt);
  EXPECT_EQ(temporal_equal(at("1974-12-25"), at("1974-12-25T12:34:00Z")), std::nullopt);
  // A date is never a time (testDateNotEqualTimeSecond: birthDate != @T12:14:15 is true).
  EXPECT_EQ(temporal_equal(at("1974-12-25"), at("T12:14:15")), false);
  EXPECT_EQ(temporal_equal(at("T10:30"), at("T10:30:00")), std::nullopt);
  EXPECT_EQ(temporal_equal(at("T10:30:00"), at("T10:30:00.000")), true);
}

TEST(TemporalTest, OffsetsAreNormalisedWhenBothHaveOne) {
  // testLiteralDateTimeTZ*: 01:30-04:00 is 05:30Z, 01:15-05:00 is 06:15Z.
  const Temporal a = at("2017-11-05T01:30:00.0-04:00");
  EXPECT_EQ(temporal_compare(a, at("2017-11-05T01:15:00.0-05:00")), -1);
  EXPECT_EQ(temporal_equal(a, at("2017-11-05T01:15:00.0-05:00")), false);
  EXPECT_EQ(temporal_equal(a, at("2017-11-05T00:30:00.0-05:00")), true);
  EXPECT_EQ(temporal_equal(at("2012-04-15T15:00:00+02:00"), at("2012-04-15T16:00:00+03:00")),
            true);  // testEquality24
  EXPECT_EQ(temporal_equal(at("2012-04-15T00:30:00Z"), at("2012-04-14T23:30:00-01:00")), true);
  EXPECT_EQ(temporal_compare(at("2012-01-01T00:30:00+01:00"), at("2011-12-31T23:45:00Z")), -1);
}

TEST(TemporalTest, AMissingOffsetIsUnknownAndDecidesOnlyWhenEveryOffsetAgrees) {
  // testEquality23: 15:00Z against 10:00 in an unknown zone is empty.
  EXPECT_EQ(temporal_equal(at("2012-04-15T15:00:00Z"), at("2012-04-15T10:00:00")), std::nullopt);
  EXPECT_EQ(temporal_compare(at("2012-04-15T15:00:00Z"), at("2012-04-15T10:00:00")), std::nullopt);
  // Two days apart is before whatever the zone.
  EXPECT_EQ(temporal_compare(at("2012-04-15T15:00:00Z"), at("2012-04-17T10:00:00")), -1);
  EXPECT_EQ(temporal_equal(at("2012-04-15T15:00:00Z"), at("2012-04-17T10:00:00")), false);
  EXPECT_EQ(temporal_compare(at("2012-04-18"), at("2012-04-15T15:00:00+02:00")), 1);
  EXPECT_FALSE(temporal_equivalent(at("2012-04-15T15:00:00Z"), at("2012-04-15T15:00:00")));
}

TEST(TemporalTest, OrderingIsEmptyWhenPrecisionsDiffer) {
  EXPECT_EQ(temporal_compare(at("2014-12-12"), at("2014-12-13")), -1);  // testLessThan5
  EXPECT_EQ(temporal_compare(at("2014-12-13T12:00:00"), at("2014-12-13T12:00:01")), -1);
  EXPECT_EQ(temporal_compare(at("T12:00:00"), at("T14:00:00")), -1);
  EXPECT_EQ(temporal_compare(at("2014-12-12"), at("2014-12-12")), 0);
  EXPECT_EQ(temporal_compare(at("T12:00:01"), at("T12:00:00")), 1);
  EXPECT_EQ(temporal_compare(at("2018-03"), at("2018-03-01")), std::nullopt);  // testLessThan23
  EXPECT_EQ(temporal_compare(at("2018-03-01T10:30"), at("2018-03-01T10:30:00")), std::nullopt);
  EXPECT_EQ(temporal_compare(at("T10:30"), at("T10:30:00")), std::nullopt);  // testLessThan25
  EXPECT_EQ(temporal_compare(at("2018-03-01T10:30:00"), at("2018-03-01T10:30:00.0")), 0);  // 26
  EXPECT_EQ(temporal_compare(at("T10:30:00"), at("T10:30:00.0")), 0);  // testLessThan27
  EXPECT_EQ(temporal_compare(at("2018-03"), at("2018-04-01")), -1);
  EXPECT_EQ(temporal_compare(at("T10:30"), at("2018-03-01")), std::nullopt);  // not comparable
}

TEST(TemporalTest, EquivalenceIsFalseWhenPrecisionsDiffer) {
  EXPECT_TRUE(temporal_equivalent(at("2012-04-15"), at("2012-04-15")));   // testEquivalent14
  EXPECT_FALSE(temporal_equivalent(at("2012-04-15"), at("2012-04-16")));  // 15
  EXPECT_FALSE(temporal_equivalent(at("2012-04-15"), at("2012-04-15T10:00:00")));             // 16
  EXPECT_TRUE(temporal_equivalent(at("2012-04-15T15:30:31"), at("2012-04-15T15:30:31.0")));   // 17
  EXPECT_FALSE(temporal_equivalent(at("2012-04-15T15:30:31"), at("2012-04-15T15:30:31.1")));  // 18
  EXPECT_TRUE(temporal_equivalent(at("2012-04-15T15:00:00+02:00"), at("2012-04-15T13:00:00Z")));
  EXPECT_FALSE(temporal_equivalent(at("T10:30"), at("2012-04-15")));
}

TEST(TemporalTest, AddsCalendarDurationsAsTheSuiteExpects) {
  EXPECT_EQ(plus("1973-12-25", 7, "days"), "1974-01-01");    // testPlusDate1
  EXPECT_EQ(plus("1973-12-25", 7.7, "days"), "1974-01-01");  // testPlusDate2
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 7, "days"), "1974-01-01T00:00:00.000+10:00");
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 7.7, "days"), "1974-01-01T00:00:00.000+10:00");
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 1, "second"), "1973-12-25T00:00:01.000+10:00");
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 10, "millisecond"),
            "1973-12-25T00:00:00.010+10:00");
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 1, "minute"), "1973-12-25T00:01:00.000+10:00");
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 1, "hour"), "1973-12-25T01:00:00.000+10:00");
  EXPECT_EQ(plus("1973-12-25", 1, "day"), "1973-12-26");    // testPlusDate9
  EXPECT_EQ(plus("1973-12-25", 1, "month"), "1974-01-25");  // testPlusDate10
  EXPECT_EQ(plus("1973-12-25", 1, "week"), "1974-01-01");   // testPlusDate11
  EXPECT_EQ(plus("1973-12-25", 1, "year"), "1974-12-25");   // testPlusDate12
  EXPECT_EQ(plus("1973-12-25", 1, "d"), "1973-12-26");      // testPlusDate13
  EXPECT_EQ(plus("1973-12-25", 1, "mo"), "(none)");         // testPlusDate14: an error
  EXPECT_EQ(plus("1973-12-25", 1, "wk"), "1974-01-01");     // testPlusDate15
  EXPECT_EQ(plus("1973-12-25", 1, "a"), "(none)");          // testPlusDate16: an error
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 1, "s"), "1973-12-25T00:00:01.000+10:00");
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 0.1, "s"), "1973-12-25T00:00:00.000+10:00");
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 10, "ms"), "1973-12-25T00:00:00.010+10:00");
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 1, "min"), "1973-12-25T00:01:00.000+10:00");
  EXPECT_EQ(plus("1973-12-25T00:00:00.000+10:00", 1, "h"), "1973-12-25T01:00:00.000+10:00");
  EXPECT_EQ(plus("1974-12-25", -1, "month"), "1974-11-25");  // testMinus5
  EXPECT_EQ(plus("1974-12-25", -1, "cm"), "(none)");         // testMinus6: an error
}

TEST(TemporalTest, CalendarArithmeticClampsToTheMonthEnd) {
  EXPECT_EQ(plus("2012-02-29", 1, "year"), "2013-02-28");
  EXPECT_EQ(plus("2012-02-29", 4, "years"), "2016-02-29");
  EXPECT_EQ(plus("2013-01-31", 1, "month"), "2013-02-28");
  EXPECT_EQ(plus("2012-03-31", -1, "month"), "2012-02-29");
  EXPECT_EQ(plus("2013-01-31", 13, "months"), "2014-02-28");
  EXPECT_EQ(plus("2013-01-15", -13, "months"), "2011-12-15");
  EXPECT_EQ(plus("2012-12-31T23:59:59.999Z", 1, "ms"), "2013-01-01T00:00:00.000Z");
  EXPECT_EQ(plus("2012-03-01T00:30+01:00", -1, "hour"), "2012-02-29T23:30+01:00");
  EXPECT_EQ(plus("2012-03-01", -7.9, "days"), "2012-02-23");  // truncated toward zero
}

TEST(TemporalTest, FinerQuantitiesAreConvertedToTheValuesPrecision) {
  EXPECT_EQ(plus("2014", 23, "months"), "2015");
  EXPECT_EQ(plus("2014", 24, "months"), "2016");
  EXPECT_EQ(plus("2014-01", 45, "days"), "2014-02");
  EXPECT_EQ(plus("2014-01-25", 25, "hours"), "2014-01-26");
  EXPECT_EQ(plus("2014-01-25", 23, "hours"), "2014-01-25");
  EXPECT_EQ(plus("2014-01-25T10", 90, "minutes"), "2014-01-25T11");
  EXPECT_EQ(plus("2014-01-25T10:00:00", 1500, "ms"), "2014-01-25T10:00:01");
  EXPECT_EQ(plus("2014-01-25T", 2, "weeks"), "2014-02-08");
}

TEST(TemporalTest, TimesWrapAroundMidnightAndRefuseDays) {
  EXPECT_EQ(plus("T23:00", 2, "hours"), "01:00");
  EXPECT_EQ(plus("T00:00:00.000", -1, "ms"), "23:59:59.999");
  EXPECT_EQ(plus("T10:30", 30, "min"), "11:00");
  EXPECT_EQ(plus("T10:30", 1, "day"), "(none)");
  EXPECT_EQ(plus("T10:30", 1, "year"), "(none)");
}

TEST(TemporalTest, ResultsMustStayWithinYearsOneToNineThousand) {
  EXPECT_EQ(plus("9999-12-31", 1, "day"), "(none)");
  EXPECT_EQ(plus("0001-01-01", -1, "day"), "(none)");
  EXPECT_EQ(plus("2000", 8000, "years"), "(none)");
  EXPECT_EQ(plus("2000-01-01", 1e18, "ms"), "(none)");
  EXPECT_EQ(plus("9999-12-31", 0, "days"), "9999-12-31");
  EXPECT_EQ(temporal_add(at("2000-01-01"), amount(1), "fortnight"), std::nullopt);
}

}  // namespace
}  // namespace adapter::fhirpath
