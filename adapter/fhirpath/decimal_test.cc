#include "adapter/fhirpath/decimal.h"

#include <gtest/gtest.h>

namespace adapter::fhirpath {
namespace {

Decimal dec(std::string_view text) {
  const auto parsed = Decimal::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(Decimal{});
}

TEST(DecimalTest, ParsesFhirPathDecimalsAndKeepsTheirScale) {
  EXPECT_EQ(dec("12").value, 12);
  EXPECT_EQ(dec("12").scale, 0);
  EXPECT_EQ(dec("-0.50").value, -0.5);
  EXPECT_EQ(dec("-0.50").scale, 2);
  EXPECT_EQ(dec("+1.5").value, 1.5);
  EXPECT_EQ(dec("0.00000001").scale, 8);
  EXPECT_EQ(dec("1234567890987654321.0").scale, 1);
  for (const char* bad :
       {"1e3", "1.", ".5", "", "-", "1.a", "1,5", " 1", "1 ", "0x10", "--1", "1.2.3"}) {
    EXPECT_FALSE(Decimal::parse(bad)) << bad;
  }
}

TEST(DecimalTest, JsonNumbersMayCarryAnExponent) {
  const auto milli = Decimal::parse_json("1e-3");
  ASSERT_TRUE(milli);
  EXPECT_EQ(milli->value, 0.001);
  EXPECT_EQ(milli->scale, 3);
  EXPECT_EQ(Decimal::parse_json("1.50e1")->to_string(), "15.0");
  EXPECT_EQ(Decimal::parse_json("1e3")->to_string(), "1000");
  EXPECT_EQ(Decimal::parse_json("-2.5E+2")->to_string(), "-250");
  EXPECT_EQ(Decimal::parse_json("185")->to_string(), "185");
  EXPECT_EQ(Decimal::parse_json("0.1230")->to_string(), "0.1230");
  for (const char* bad : {"1e", "e3", "1e+", "abc", "", "1e400", "1.e3"}) {
    EXPECT_FALSE(Decimal::parse_json(bad)) << bad;
  }
}

TEST(DecimalTest, PrintsAtLeastItsScaleAndNeverAnExponent) {
  EXPECT_EQ(dec("1.0").to_string(), "1.0");  // 1.0.toString() = '1.0'
  EXPECT_EQ(dec("0.0").to_string(), "0.0");  // 0.0.toString() = '0.0'
  EXPECT_EQ(Decimal::of_integer(0).to_string(), "0");
  EXPECT_EQ(dec("1.10").to_string(), "1.10");
  EXPECT_EQ(dec("-0.5").to_string(), "-0.5");
  EXPECT_EQ(dec("0.00000001").to_string(), "0.00000001");
  EXPECT_EQ(Decimal::of_integer(-42).to_string(), "-42");
  EXPECT_EQ((Decimal{1e20, 0}.to_string()), "100000000000000000000");
  EXPECT_EQ((Decimal{1e-7, 0}.to_string()), "0.0000001");  // more digits than the scale
  EXPECT_EQ(dec("1234567890987654321.0").to_string().find('e'), std::string::npos);
}

TEST(DecimalTest, ArithmeticLeavesNoBinaryNoise) {
  EXPECT_EQ(decimal_add(dec("0.1"), dec("0.2")).to_string(), "0.3");
  EXPECT_EQ(decimal_add(dec("1.2"), dec("1.8")).to_string(), "3.0");
  EXPECT_EQ(decimal_subtract(dec("1.8"), dec("1.2")).to_string(), "0.6");
  EXPECT_EQ(decimal_subtract(dec("0.1"), dec("0.1")).to_string(), "0.0");
  EXPECT_EQ(decimal_multiply(dec("1.2"), dec("1.8")).to_string(), "2.16");
  EXPECT_EQ(decimal_multiply(dec("0.1"), dec("3")).to_string(), "0.3");
  EXPECT_EQ(decimal_multiply(dec("2.5"), dec("2.5")).to_string(), "6.25");
  EXPECT_EQ(decimal_divide(dec("1.2"), dec("1.8"))->to_string(), "0.66666667");
  EXPECT_EQ(decimal_divide(dec("1"), dec("3"))->to_string(), "0.33333333");
  EXPECT_EQ(decimal_divide(dec("1"), dec("2"))->to_string(), "0.50000000");
  EXPECT_EQ(decimal_divide(dec("0.000000001"), dec("1"))->scale, 9);
  EXPECT_EQ(decimal_divide(dec("5"), dec("0")), std::nullopt);
  EXPECT_EQ(decimal_divide(dec("5"), dec("0.0")), std::nullopt);
}

TEST(DecimalTest, SuiteArithmeticExpressions) {
  EXPECT_TRUE(decimal_equal(decimal_add(dec("1.2"), dec("1.8")), dec("3.0")));       // testPlus3
  EXPECT_TRUE(decimal_equal(decimal_subtract(dec("1.8"), dec("1.2")), dec("0.6")));  // testMinus3
  EXPECT_TRUE(
      decimal_equal(decimal_multiply(dec("1.2"), dec("1.8")), dec("2.16")));        // testMultiply3
  EXPECT_TRUE(decimal_equal(*decimal_divide(dec("4.0"), dec("2.0")), dec("2.0")));  // testDivide3
  EXPECT_TRUE(decimal_equal(*decimal_divide(dec("1"), dec("2")), dec("0.5")));      // testDivide4
  EXPECT_TRUE(decimal_equal(*decimal_divide(dec("2"), dec("2")), dec("1")));        // testComment6
  EXPECT_TRUE(decimal_equal(round_decimal(*decimal_divide(dec("1.2"), dec("1.8")), 2),
                            dec("0.67")));                                     // testDivide5
  EXPECT_TRUE(decimal_equal(round_decimal(dec("3.14159"), 3), dec("3.142")));  // testRound2
  // 2.2 mod 1.8 = 2.2 - 1.8 * 1 (testMod4)
  EXPECT_TRUE(decimal_equal(decimal_subtract(dec("2.2"), dec("1.8")), dec("0.4")));
}

TEST(DecimalTest, RoundsHalfAwayFromZeroOnTheDecimalValue) {
  EXPECT_EQ(round_decimal(dec("2.675"), 2).to_string(), "2.68");  // 2.67499999… in binary
  EXPECT_EQ(round_decimal(dec("1.005"), 2).to_string(), "1.01");
  EXPECT_EQ(round_decimal(dec("0.5"), 0).to_string(), "1");
  EXPECT_EQ(round_decimal(dec("-0.5"), 0).to_string(), "-1");
  EXPECT_EQ(round_decimal(dec("-2.5"), 0).to_string(), "-3");
  EXPECT_EQ(round_decimal(dec("9.995"), 2).to_string(), "10.00");
  EXPECT_EQ(round_decimal(dec("-9.995"), 2).to_string(), "-10.00");
  EXPECT_EQ(round_decimal(dec("1.4"), 0).to_string(), "1");
  EXPECT_EQ(round_decimal(dec("-0.04"), 1).to_string(), "0.0");
  EXPECT_EQ(round_decimal(dec("1"), 3).to_string(), "1.000");
  EXPECT_EQ(round_decimal(dec("123.456"), -1).to_string(), "123");
}

TEST(DecimalTest, EqualityRoundsToTheLargerScale) {
  EXPECT_TRUE(decimal_equal(dec("1.1"), dec("1.1")));              // testEquality12
  EXPECT_FALSE(decimal_equal(dec("1.1"), dec("1.2")));             // testEquality13
  EXPECT_TRUE(decimal_equal(dec("1.10"), dec("1.1")));             // testEquality14
  EXPECT_TRUE(decimal_equal(dec("0.0"), dec("0")));                // testEquality16
  EXPECT_TRUE(decimal_equal(Decimal::of_integer(1), dec("1.0")));  // 1.toDecimal() = 1.0
  EXPECT_FALSE(decimal_equal(dec("1.00000001"), dec("1")));
  // A computed value with binary noise still equals the decimal it stands for.
  EXPECT_TRUE(decimal_equal(Decimal{0.1 + 0.2, 1}, dec("0.3")));
  EXPECT_TRUE(decimal_equal(Decimal{1.4142135623730951, 8}, dec("1.41421356")));
}

TEST(DecimalTest, EquivalenceRoundsToTheLesserScale) {
  const Decimal ratio = *decimal_divide(dec("1.2"), dec("1.8"));
  EXPECT_TRUE(decimal_equivalent(ratio, dec("0.67")));  // testEquivalent11
  EXPECT_FALSE(decimal_equivalent(ratio, dec("0.6")));  // testNotEquivalent13
  EXPECT_TRUE(decimal_equivalent(dec("1.1"), dec("1.1")));
  EXPECT_FALSE(decimal_equivalent(dec("1.1"), dec("1.2")));
  EXPECT_TRUE(decimal_equivalent(dec("1.10"), dec("1.1")));
  EXPECT_TRUE(decimal_equivalent(dec("0.0"), dec("0")));
  EXPECT_TRUE(decimal_equivalent(Decimal::of_integer(1), dec("1.0")));
  EXPECT_TRUE(decimal_equivalent(dec("4"), dec("4.040")));
  EXPECT_FALSE(decimal_equivalent(dec("4"), dec("4.5")));  // 4.5 rounds to 5
}

TEST(DecimalTest, ComparesConsistentlyWithEquality) {
  EXPECT_EQ(decimal_compare(dec("1.0"), dec("1.2")), -1);
  EXPECT_EQ(decimal_compare(dec("1.0"), dec("1.0")), 0);
  EXPECT_EQ(decimal_compare(dec("1.1"), dec("1.0")), 1);
  EXPECT_EQ(decimal_compare(dec("1.10"), dec("1.1")), 0);
  EXPECT_EQ(decimal_compare(dec("-3"), dec("2")), -1);
  EXPECT_EQ(decimal_compare(Decimal{0.1 + 0.2, 1}, dec("0.3")), 0);
  EXPECT_EQ(decimal_compare(dec("185"), dec("180.0")), 1);
}

}  // namespace
}  // namespace adapter::fhirpath
