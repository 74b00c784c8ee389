#include "adapter/fhirpath/quantity.h"

#include <gtest/gtest.h>

namespace adapter::fhirpath {
namespace {

// A quantity literal's parts: q("4.0000", "g") is 4.0000 'g', q("7", "days") is 7 days.
Quantity q(std::string_view value, std::string_view unit) {
  const auto parsed = Decimal::parse(value);
  EXPECT_TRUE(parsed) << value;
  return Quantity{parsed.value_or(Decimal{}), std::string(unit)};
}

std::string text(const std::optional<Quantity>& quantity) {
  return quantity ? quantity->to_string() : "(none)";
}

TEST(QuantityTest, PrintsUcumUnitsQuotedAndKeywordsBare) {
  EXPECT_EQ(q("1", "wk").to_string(), "1 'wk'");    // testQuantityLiteralWkToString
  EXPECT_EQ(q("1", "week").to_string(), "1 week");  // testQuantityLiteralWeekToString
  EXPECT_EQ(q("4.0", "g").to_string(), "4.0 'g'");
  EXPECT_EQ(q("5", "").to_string(), "5 '1'");
  EXPECT_EQ(q("3", "[in_i'Hg]").to_string(), "3 '[in_i\\'Hg]'");
}

TEST(QuantityTest, KnowsTheCalendarKeywords) {
  for (const char* keyword :
       {"year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
        "minute", "minutes", "second", "seconds", "millisecond", "milliseconds"}) {
    EXPECT_TRUE(is_calendar_keyword(keyword)) << keyword;
  }
  for (const char* other : {"a", "mo", "wk", "d", "Year", "fortnight", ""}) {
    EXPECT_FALSE(is_calendar_keyword(other)) << other;
  }
}

TEST(QuantityTest, ParsesUcumExpressions) {
  for (const char* unit : {"1",
                           "%",
                           "mg",
                           "kg",
                           "ug",
                           "mg/dL",
                           "mmol/L",
                           "10*3/uL",
                           "10*9/L",
                           "mm[Hg]",
                           "cm[H2O]",
                           "kg/m2",
                           "m2",
                           "s-1",
                           "/min",
                           "1/min",
                           "{score}",
                           "mg{total}",
                           "g/(24.h)",
                           "mL/min/{1.73_m2}",
                           "[lb_av]",
                           "[in_i]",
                           "[ft_i]",
                           "[oz_av]",
                           "[IU]/L",
                           "[iU]",
                           "U/L",
                           "meq/L",
                           "mosm/kg",
                           "Cel",
                           "[degF]",
                           "K",
                           "dag",
                           "mo",
                           "a",
                           "wk",
                           "kcal",
                           "[Cal]",
                           "%{HemoglobinA1C}",
                           "kPa",
                           "ng/mL",
                           "pg",
                           "fL",
                           "umol/L",
                           "ms",
                           "min",
                           "h",
                           "d",
                           "L/min",
                           "N.m",
                           "J/s",
                           "mL/(kg.min)",
                           "km/h",
                           "[mi_i]/h",
                           "[psi]",
                           "kBq",
                           "mSv",
                           "lm/m2"}) {
    EXPECT_TRUE(is_ucum_unit(unit)) << unit;
  }
  for (const char* unit : {"", "lbs", "mcg", "kCel", "Cel2", "g/", "(mg", "mg)", "{x", "m^2",
                           "cells", "mg dL", "[in_i", "mg/{", "foo"}) {
    EXPECT_FALSE(is_ucum_unit(unit)) << unit;
  }
}

TEST(QuantityTest, ConvertsBetweenUcumUnits) {
  EXPECT_EQ(text(quantity_convert(q("4", "g"), "mg")), "4000 'mg'");
  EXPECT_EQ(text(quantity_convert(q("4040", "mg"), "g")), "4.040 'g'");
  EXPECT_EQ(text(quantity_convert(q("185", "[lb_av]"), "kg")), "83.91458845 'kg'");
  EXPECT_EQ(text(quantity_convert(q("1", "[in_i]"), "cm")), "2.54 'cm'");
  EXPECT_EQ(text(quantity_convert(q("2.54", "cm"), "[in_i]")), "1.0000000000 '[in_i]'");
  EXPECT_EQ(text(quantity_convert(q("120", "mm[Hg]"), "kPa")), "15.998640 'kPa'");
  EXPECT_EQ(text(quantity_convert(q("1", "L"), "mL")), "1000 'mL'");
  EXPECT_EQ(text(quantity_convert(q("1", "L"), "dm3")), "1 'dm3'");
  EXPECT_EQ(text(quantity_convert(q("5.5", "mmol/L"), "umol/mL")), "5.5 'umol/mL'");
  EXPECT_EQ(text(quantity_convert(q("50", "%"), "1")), "0.50 '1'");
  EXPECT_EQ(text(quantity_convert(q("37", "Cel"), "K")), "310.15 'K'");
  EXPECT_EQ(text(quantity_convert(q("98.6", "[degF]"), "Cel")), "37.000000000 'Cel'");
  EXPECT_EQ(text(quantity_convert(q("1", "day"), "h")), "24 'h'");
  EXPECT_EQ(text(quantity_convert(q("2", "years"), "months")), "(none)");
  EXPECT_EQ(text(quantity_convert(q("2", "years"), "year")), "2 year");
  EXPECT_EQ(text(quantity_convert(q("1", "year"), "a")), "(none)");
  EXPECT_EQ(text(quantity_convert(q("1", "g"), "m")), "(none)");
  EXPECT_EQ(text(quantity_convert(q("1", "mmol"), "g")), "(none)");  // needs a molar mass
  EXPECT_EQ(text(quantity_convert(q("1", "lbs"), "kg")), "(none)");  // not UCUM
}

TEST(QuantityTest, SuiteEqualityAndEquivalence) {
  EXPECT_EQ(quantity_equal(q("4.0000", "g"), q("4000.0", "mg")), true);  // testQuantity1
  EXPECT_EQ(quantity_equivalent(q("4", "g"), q("4000", "mg")), true);    // testQuantity2
  EXPECT_EQ(quantity_equal(q("4", "g"), q("4040", "mg")), false);        // testQuantity3
  EXPECT_EQ(quantity_equivalent(q("4", "g"), q("4040", "mg")), true);    // testQuantity4
  EXPECT_EQ(quantity_equal(q("7", "days"), q("1", "week")), true);       // testQuantity5
  EXPECT_EQ(quantity_equal(q("7", "days"), q("1", "wk")), true);         // testQuantity6
  EXPECT_EQ(quantity_compare(q("6", "days"), q("1", "week")), -1);       // testQuantity7
  EXPECT_EQ(quantity_compare(q("8", "days"), q("1", "week")), 1);        // testQuantity8
  EXPECT_EQ(quantity_equal(q("1", "day"), q("1", "d")), true);  // '1 day'.toQuantity() = 1 'd'
  EXPECT_EQ(quantity_equal(q("1", "wk"), q("1", "week")), true);
  EXPECT_EQ(quantity_equal(q("1", "1"), q("1", "")), true);  // 1.toQuantity() = 1 '1'
  EXPECT_EQ(quantity_equal(q("1.0", "1"), q("1.0", "1")), true);
  EXPECT_EQ(quantity_equivalent(q("1.0", "1"), q("1", "1")), true);
  EXPECT_EQ(quantity_equal(q("5.5", "mg"), q("5.5", "mg")), true);  // testAbs3
  // Observation.value is 185 [lb_av] (testEquality28, testNEquality24, testLessThan22, …).
  EXPECT_EQ(quantity_equal(q("185", "[lb_av]"), q("185", "[lb_av]")), true);
  EXPECT_EQ(quantity_equivalent(q("185", "[lb_av]"), q("185", "[lb_av]")), true);
  EXPECT_EQ(quantity_equal(q("185", "[lb_av]"), q("185", "kg")), false);
  EXPECT_EQ(quantity_equivalent(q("185", "[lb_av]"), q("185", "kg")), false);
  EXPECT_EQ(quantity_compare(q("185", "[lb_av]"), q("200", "[lb_av]")), -1);
  EXPECT_EQ(quantity_compare(q("185", "[lb_av]"), q("100", "[lb_av]")), 1);
  EXPECT_EQ(quantity_compare(q("185", "[lb_av]"), q("84", "kg")), -1);
}

TEST(QuantityTest, CalendarYearsAndMonthsAreOnlyEquivalentToUcumYearsAndMonths) {
  // '1 \'mo\''.toQuantity() = 1 month and '1 \'a\''.toQuantity() = 1 year are empty.
  EXPECT_EQ(quantity_equal(q("1", "mo"), q("1", "month")), std::nullopt);
  EXPECT_EQ(quantity_equal(q("1", "a"), q("1", "year")), std::nullopt);
  EXPECT_EQ(quantity_compare(q("1", "year"), q("2", "a")), std::nullopt);
  EXPECT_EQ(quantity_equal(q("1", "year"), q("365", "days")), std::nullopt);
  EXPECT_EQ(quantity_equivalent(q("1", "year"), q("1", "a")), true);
  EXPECT_EQ(quantity_equivalent(q("1", "month"), q("1", "mo")), true);
  EXPECT_EQ(quantity_equivalent(q("2", "years"), q("1", "a")), false);
  // The header's contract: 1 year != 12 months for `=` (no fixed lengths); ~ says yes.
  EXPECT_EQ(quantity_equal(q("1", "year"), q("12", "months")), std::nullopt);
  EXPECT_EQ(quantity_compare(q("1", "year"), q("13", "months")), std::nullopt);
  EXPECT_EQ(quantity_equivalent(q("1", "year"), q("12", "months")), true);
  EXPECT_EQ(quantity_equal(q("2", "years"), q("2", "year")), true);
  EXPECT_EQ(quantity_compare(q("2", "months"), q("3", "month")), -1);
  // Weeks and shorter have fixed lengths and equal their UCUM forms.
  EXPECT_EQ(quantity_equal(q("1", "hour"), q("60", "min")), true);
  EXPECT_EQ(quantity_equal(q("1", "second"), q("1000", "ms")), true);
  EXPECT_EQ(quantity_equal(q("1", "millisecond"), q("1", "ms")), true);
  EXPECT_EQ(quantity_equal(q("2", "minutes"), q("120", "seconds")), true);
}

TEST(QuantityTest, IncomparableUnitsGiveNoAnswer) {
  EXPECT_EQ(quantity_equal(q("1", "g"), q("1", "m")), std::nullopt);
  EXPECT_EQ(quantity_compare(q("1", "mg/dL"), q("1", "mmol/L")), std::nullopt);
  EXPECT_EQ(quantity_equal(q("1", "lbs"), q("1", "[lb_av]")), std::nullopt);
  EXPECT_EQ(quantity_equal(q("1", "lbs"), q("1", "lbs")), true);  // unknown, but the same
  EXPECT_EQ(quantity_equivalent(q("1", "day"), q("1", "cm")), std::nullopt);
  EXPECT_EQ(quantity_equal(q("1", "[iU]"), q("1", "1")), std::nullopt);
  EXPECT_EQ(quantity_equal(q("1", "mol"), q("1", "1")), std::nullopt);
}

TEST(QuantityTest, ComparesAcrossUcumUnits) {
  EXPECT_EQ(quantity_equal(q("1", "m"), q("100", "cm")), true);
  EXPECT_EQ(quantity_equal(q("1", "[in_i]"), q("2.54", "cm")), true);
  EXPECT_EQ(quantity_equal(q("2.54", "cm"), q("1", "[in_i]")), true);
  EXPECT_EQ(quantity_equal(q("1", "L"), q("1000", "mL")), true);
  EXPECT_EQ(quantity_equal(q("1", "mL"), q("1", "cm3")), true);
  EXPECT_EQ(quantity_equal(q("50", "%"), q("0.5", "1")), true);
  EXPECT_EQ(quantity_equal(q("1", "10*3/uL"), q("1", "10*9/L")), true);
  EXPECT_EQ(quantity_equal(q("1", "kg/m2"), q("0.1", "g/cm2")), true);
  EXPECT_EQ(quantity_equal(q("90", "mg/dL"), q("0.9", "g/L")), true);
  EXPECT_EQ(quantity_equal(q("37", "Cel"), q("98.6", "[degF]")), true);
  EXPECT_EQ(quantity_equal(q("0", "Cel"), q("273.15", "K")), true);
  EXPECT_EQ(quantity_compare(q("38", "Cel"), q("100", "[degF]")), 1);
  EXPECT_EQ(quantity_compare(q("1", "km"), q("999", "m")), 1);
  EXPECT_EQ(quantity_equivalent(q("1", "m"), q("1001", "mm")), true);  // at the lesser precision
  EXPECT_EQ(quantity_equal(q("1", "m"), q("1001", "mm")), false);
  EXPECT_EQ(quantity_equal(q("1", "N"), q("1", "kg.m/s2")), true);
  EXPECT_EQ(quantity_equal(q("1", "kPa"), q("1", "kN/m2")), true);
  EXPECT_EQ(quantity_equal(q("1", "/min"), q("60", "/h")), true);
  EXPECT_EQ(quantity_equal(q("3", "mg{total}"), q("3", "mg")), true);
  EXPECT_EQ(quantity_equal(q("1", "{score}"), q("1", "1")), true);
}

TEST(QuantityTest, MultipliesAndDividesUnits) {
  // testQuantity9: 2.0 'cm' * 2.0 'm' = 0.040 'm2'.
  const auto area = quantity_multiply(q("2.0", "cm"), q("2.0", "m"));
  EXPECT_EQ(text(area), "0.0400 'm2'");
  EXPECT_EQ(quantity_equal(*area, q("0.040", "m2")), true);
  // testQuantity10: 4.0 'g' / 2.0 'm' = 2 'g/m'.
  const auto density = quantity_divide(q("4.0", "g"), q("2.0", "m"));
  EXPECT_EQ(text(density), "2.00000000 'g/m'");
  EXPECT_EQ(quantity_equal(*density, q("2", "g/m")), true);
  // testQuantity11: 1.0 'm' / 1.0 'm' = 1 '1'.
  const auto ratio = quantity_divide(q("1.0", "m"), q("1.0", "m"));
  EXPECT_EQ(text(ratio), "1.00000000 '1'");
  EXPECT_EQ(quantity_equal(*ratio, q("1", "1")), true);

  EXPECT_EQ(text(quantity_multiply(q("3", "cm"), q("2", "cm"))), "6 'cm2'");
  EXPECT_EQ(text(quantity_multiply(q("2", "mg/dL"), q("3", "L"))), "60 'mg'");
  EXPECT_EQ(text(quantity_multiply(q("5", "mg"), q("2", "1"))), "10 'mg'");
  EXPECT_EQ(text(quantity_multiply(q("2", ""), q("5", "mg"))), "10 'mg'");
  EXPECT_EQ(text(quantity_multiply(q("2", "days"), q("3", "1"))), "6 days");
  EXPECT_EQ(text(quantity_multiply(q("70", "kg"), q("2", "m/s2"))), "140 'kg.m/s2'");
  EXPECT_EQ(text(quantity_multiply(q("2", "m"), q("3", "/s"))), "6 'm/s'");
  EXPECT_EQ(text(quantity_multiply(q("2", "h"), q("30", "min"))), "1.00000000 'h2'");
  EXPECT_EQ(text(quantity_divide(q("6", "m"), q("2", "s"))), "3.00000000 'm/s'");
  EXPECT_EQ(text(quantity_divide(q("1", "1"), q("4", "s"))), "0.25000000 '1/s'");
  EXPECT_EQ(text(quantity_divide(q("10", "mg"), q("2", "1"))), "5.00000000 'mg'");
  EXPECT_EQ(text(quantity_divide(q("3", "m2"), q("3", "m"))), "1.00000000 'm'");
  EXPECT_EQ(text(quantity_divide(q("80", "kg"), q("2", "m2"))), "40.00000000 'kg/m2'");
  EXPECT_EQ(text(quantity_divide(q("1", "m"), q("0", "s"))), "(none)");
  EXPECT_EQ(text(quantity_multiply(q("37", "Cel"), q("2", "m"))), "(none)");
  EXPECT_EQ(text(quantity_multiply(q("1", "lbs"), q("2", "m"))), "(none)");
}

TEST(QuantityTest, AddsInTheFinerUnit) {
  EXPECT_EQ(text(quantity_add(q("1", "m"), q("1", "cm"))), "101 'cm'");
  EXPECT_EQ(text(quantity_add(q("1.5", "g"), q("250", "mg"))), "1750.0 'mg'");
  EXPECT_EQ(text(quantity_add(q("1", "week"), q("1", "day"))), "8 day");
  EXPECT_EQ(text(quantity_add(q("1", "year"), q("1", "month"))), "(none)");
  EXPECT_EQ(text(quantity_add(q("1", "year"), q("2", "years"))), "3 year");
  EXPECT_EQ(text(quantity_add(q("2", "days"), q("3", "day"))), "5 days");
  EXPECT_EQ(text(quantity_add(q("1", "day"), q("1", "h"))), "25 'h'");
  EXPECT_EQ(text(quantity_subtract(q("5.5", "mg"), q("0.5", "mg"))), "5.0 'mg'");
  EXPECT_EQ(text(quantity_subtract(q("1", "L"), q("1", "dL"))), "9 'dL'");
  EXPECT_EQ(text(quantity_add(q("37", "Cel"), q("1", "Cel"))), "38 'Cel'");
  EXPECT_EQ(text(quantity_add(q("37", "Cel"), q("1", "K"))), "(none)");
  EXPECT_EQ(text(quantity_add(q("1", "year"), q("1", "day"))), "(none)");
  EXPECT_EQ(text(quantity_add(q("1", "g"), q("1", "m"))), "(none)");
}

TEST(QuantityTest, ParsesQuantityStringsAsToQuantityDoes) {
  EXPECT_EQ(text(parse_quantity_string("10.1 'mg'")), "10.1 'mg'");
  EXPECT_EQ(text(parse_quantity_string("4 days")), "4 days");
  EXPECT_EQ(text(parse_quantity_string("1 day")), "1 day");
  EXPECT_EQ(text(parse_quantity_string("5")), "5 '1'");  // '1'.toQuantity() is 1 '1'
  EXPECT_EQ(text(parse_quantity_string("1.0")), "1.0 '1'");
  EXPECT_EQ(text(parse_quantity_string("1 'wk'")), "1 'wk'");
  EXPECT_EQ(text(parse_quantity_string("-2.5 'mg'")), "-2.5 'mg'");
  EXPECT_EQ(text(parse_quantity_string("1 wk")), "(none)");  // UCUM units need quotes
  EXPECT_EQ(text(parse_quantity_string("1.a")), "(none)");
  EXPECT_EQ(text(parse_quantity_string("")), "(none)");
  EXPECT_EQ(text(parse_quantity_string("mg")), "(none)");
  EXPECT_EQ(text(parse_quantity_string("1 ''")), "(none)");
  EXPECT_EQ(text(parse_quantity_string("1 'mg")), "(none)");
  EXPECT_EQ(text(parse_quantity_string("1 'mg' x")), "(none)");
  EXPECT_EQ(text(parse_quantity_string("1 ")), "(none)");
  EXPECT_EQ(quantity_equal(*parse_quantity_string("1 day"), q("1", "d")), true);
  EXPECT_EQ(quantity_equal(*parse_quantity_string("1 'wk'"), q("1", "week")), true);
}

}  // namespace
}  // namespace adapter::fhirpath
