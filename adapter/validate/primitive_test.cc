#include "adapter/validate/primitive.h"

#include <gtest/gtest.h>

namespace adapter::validate {
namespace {

bool ok(std::string_view type, std::string_view json) {
  const auto value = fhir::JsonDocument::parse(json).value();
  return !check_primitive(type, value.root()).has_value();
}

TEST(Primitive, DatesFollowTheSpecificationsPatterns) {
  EXPECT_TRUE(ok("date", R"("2027")"));
  EXPECT_TRUE(ok("date", R"("2027-03")"));
  EXPECT_TRUE(ok("date", R"("2028-02-29")"));
  EXPECT_FALSE(ok("date", R"("2027-02-29")"));
  EXPECT_FALSE(ok("date", R"("2027-13-01")"));
  EXPECT_FALSE(ok("date", R"("0000")"));
  EXPECT_FALSE(ok("date", R"("2027-3-1")"));
  EXPECT_FALSE(ok("date", R"("2027-03-01T10:00:00Z")"));
  EXPECT_TRUE(ok("dateTime", R"("2027-03-01T10:00:00+01:00")"));
  EXPECT_TRUE(ok("dateTime", R"("2027-03-01T10:00:00.123Z")"));
  EXPECT_TRUE(ok("dateTime", R"("2027-03")"));
  EXPECT_FALSE(ok("dateTime", R"("2027-03-01T10:00:00")"));  // a time needs a zone
  EXPECT_FALSE(ok("dateTime", R"("2027-03T10:00:00Z")"));
  EXPECT_FALSE(ok("dateTime", R"("2027-03-01T24:00:00Z")"));
  EXPECT_FALSE(ok("dateTime", R"("2027-03-01T10:00:00+14:30")"));
  EXPECT_TRUE(ok("instant", R"("2027-03-01T10:00:00Z")"));
  EXPECT_FALSE(ok("instant", R"("2027-03-01")"));
  EXPECT_TRUE(ok("time", R"("23:59:60")"));
  EXPECT_FALSE(ok("time", R"("23:59")"));
}

TEST(Primitive, NumbersAndBooleans) {
  EXPECT_TRUE(ok("integer", "-5"));
  EXPECT_FALSE(ok("integer", "1.0"));
  EXPECT_FALSE(ok("integer", "2147483648"));
  EXPECT_FALSE(ok("integer", R"("5")"));
  EXPECT_FALSE(ok("positiveInt", "0"));
  EXPECT_TRUE(ok("unsignedInt", "0"));
  EXPECT_TRUE(ok("decimal", "1.50"));
  EXPECT_FALSE(ok("decimal", R"("1.5")"));
  EXPECT_TRUE(ok("boolean", "false"));
  EXPECT_FALSE(ok("boolean", R"("false")"));
}

TEST(Primitive, StringsCodesIdsAndUris) {
  EXPECT_FALSE(ok("string", R"("")"));
  EXPECT_TRUE(ok("code", R"("in progress")"));
  EXPECT_FALSE(ok("code", R"(" leading")"));
  EXPECT_FALSE(ok("code", R"("two  spaces")"));
  EXPECT_TRUE(ok("id", R"("example-1.a")"));
  EXPECT_FALSE(ok("id", R"("has_underscore")"));
  EXPECT_FALSE(ok("id", R"("")"));
  EXPECT_TRUE(ok("uri", R"("urn:oid:2.16.578.1.12.4.1.4.1")"));
  EXPECT_FALSE(ok("uri", R"("has space")"));
  EXPECT_TRUE(ok("oid", R"("urn:oid:2.16.578.1")"));
  EXPECT_FALSE(ok("oid", R"("urn:oid:2.016")"));
  EXPECT_TRUE(ok("uuid", R"("urn:uuid:6ba7b811-9dad-11d1-80b4-00c04fd430c8")"));
  EXPECT_FALSE(ok("uuid", R"("urn:uuid:6BA7B811-9dad-11d1-80b4-00c04fd430c8")"));
  EXPECT_TRUE(ok("base64Binary", R"("aGVsbG8=")"));
  EXPECT_FALSE(ok("base64Binary", R"("aGVsbG8")"));
}

// Whitespace is looked for eight bytes at a time: wherever it sits, it is found.
TEST(Primitive, WhitespaceAnywhereInLongCodesAndUris) {
  const std::string ascii = "urn:example:abcdefghijklmnopq";  // 29 bytes
  const std::string plain = ascii + "\u00e9";                 // and a non-ASCII letter
  EXPECT_TRUE(ok("uri", "\"" + plain + "\""));
  EXPECT_TRUE(ok("code", "\"" + plain + "\""));
  for (std::size_t at = 0; at < ascii.size(); ++at) {
    for (const std::string_view space : {" ", "\\t", "\\n"}) {
      std::string text = plain;
      text.replace(at, 1, space);
      const std::string json = "\"" + text + "\"";
      EXPECT_FALSE(ok("uri", json)) << json;
      // A code may have single whitespace inside, not at its start.
      EXPECT_EQ(ok("code", json), at > 0) << json;
    }
  }
  EXPECT_FALSE(ok("code", R"("abcdefghij  klmnop")"));
  EXPECT_FALSE(ok("code", R"("abcdefghijklmnop ")"));
  EXPECT_TRUE(ok("uri", "\"\\u0001abcdefghij\""));  // control characters are not whitespace
}

}  // namespace
}  // namespace adapter::validate
