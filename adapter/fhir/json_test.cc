#include "adapter/fhir/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace adapter::fhir {
namespace {

using ::testing::HasSubstr;

JsonDocument parse_ok(std::string_view text, const JsonLimits& limits = {}) {
  Result<JsonDocument> parsed = JsonDocument::parse(text, limits);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.problems().to_json());
  return parsed.ok() ? std::move(parsed).value() : JsonDocument();
}

Issue parse_error(std::string_view text, const JsonLimits& limits = {}) {
  Result<JsonDocument> parsed = JsonDocument::parse(text, limits);
  EXPECT_FALSE(parsed.ok()) << "accepted: " << text.substr(0, 80);
  if (parsed.ok() || parsed.problems().empty()) return {};
  EXPECT_EQ(parsed.problems().size(), 1U);
  return parsed.problems().issues().front();
}

TEST(JsonTest, DecimalsKeepTheirExactText) {
  const std::string text =
      R"({"a":1.0,"b":0.10,"c":-0,"d":1E+2,"e":123456789012345678901234567890,"f":3.14159265358979323846264338327950288})";
  JsonDocument doc = parse_ok(text);
  EXPECT_EQ(to_json(doc.root()), text);
  EXPECT_EQ(doc.root().find("a")->number_text(), "1.0");
  EXPECT_EQ(doc.root().find("b")->number_text(), "0.10");
}

TEST(JsonTest, NumbersConvertOnRequestOnly) {
  JsonDocument doc = parse_ok(R"([42, -7, 1.5, 1e300, 99999999999999999999])");
  auto items = doc.root().items();
  EXPECT_EQ(items[0].as_int64(), 42);
  EXPECT_EQ(items[1].as_int64(), -7);
  EXPECT_EQ(items[2].as_int64(), std::nullopt);
  EXPECT_EQ(items[2].as_double(), 1.5);
  EXPECT_EQ(items[3].as_double(), 1e300);
  EXPECT_EQ(items[4].as_int64(), std::nullopt);  // out of range: no silent wrap-around
  EXPECT_EQ(to_json(doc.root()), "[42,-7,1.5,1e300,99999999999999999999]");
}

TEST(JsonTest, RefusesNumbersBeyondDoubleRange) {
  // RapidJSON's number grammar check refuses exponents past IEEE double range. No FHIR
  // value comes near that, so the refusal is a clear error rather than a loss.
  EXPECT_THAT(parse_error("[1e400]").message, HasSubstr("too big"));
}

TEST(JsonTest, UnicodeAndEscapesDecodeAndRoundTrip) {
  JsonDocument doc = parse_ok(
      R"(["\u00e6\u00f8\u00e5 Bl\u00e5b\u00e6r", "\ud83d\ude00", "q\"b\\s\/\b\f\n\r\t", "æøå", "a\u0000b"])");
  auto items = doc.root().items();
  EXPECT_EQ(items[0].as_string(), "æøå Blåbær");
  EXPECT_EQ(items[1].as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(items[2].as_string(), "q\"b\\s/\b\f\n\r\t");
  EXPECT_EQ(items[3].as_string(), "æøå");
  EXPECT_EQ(items[4].as_string(), std::string_view("a\0b", 3));
  JsonDocument again = parse_ok(to_json(doc.root()));
  EXPECT_EQ(again.root(), doc.root());
}

TEST(JsonTest, RejectsInvalidUnicode) {
  EXPECT_THAT(parse_error(R"(["\ud83d"])").message, HasSubstr("surrogate"));
  EXPECT_EQ(parse_error("[\"\xC3\x28\"]").type, IssueType::structure);  // invalid UTF-8
  EXPECT_EQ(parse_error("[\"a\x01\"]").type, IssueType::structure);     // raw control char
}

TEST(JsonTest, RejectsDuplicateKeysWithTheirPointer) {
  Issue issue = parse_error(R"({"a":{"x":[{"b":1,"c":2,"b":3}]}})");
  EXPECT_EQ(issue.type, IssueType::duplicate);
  EXPECT_EQ(issue.location, "/a/x/0/b");
  EXPECT_EQ(issue.expression, "a.x[0].b");
  EXPECT_THAT(issue.message, HasSubstr("duplicate key \"b\""));
}

TEST(JsonTest, RejectsDuplicateKeysInLargeObjects) {
  std::string text = "{";
  for (int i = 0; i < 100; ++i)
    text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += "\"k57\":0}";
  EXPECT_EQ(parse_error(text).location, "/k57");
  EXPECT_EQ(parse_error(R"({"":1,"":2})").location, "/");
}

TEST(JsonTest, TruncatedInputNamesWhereItStopped) {
  Issue issue = parse_error(R"({"resourceType":"Patient","name":[{"given":["Pe)");
  EXPECT_EQ(issue.type, IssueType::structure);
  EXPECT_EQ(issue.location, "/name/0/given/0");
  EXPECT_THAT(issue.message, HasSubstr("line 1, column"));
  EXPECT_EQ(parse_error("").type, IssueType::structure);
  EXPECT_EQ(parse_error("{\"a\":1}\n}").type, IssueType::structure);
}

TEST(JsonTest, ReportsLineAndColumn) {
  EXPECT_THAT(parse_error("{\n  \"a\": 1,\n  \"b\": tru\n}").message, HasSubstr("line 3"));
}

TEST(JsonTest, RejectsNulOutsideStrings) {
  EXPECT_THAT(parse_error(std::string_view("{\"a\":1}\0{}", 10)).message, HasSubstr("NUL"));
}

TEST(JsonTest, DepthIsBoundedWithoutRecursion) {
  JsonLimits limits;
  limits.max_depth = 5;
  EXPECT_TRUE(JsonDocument::parse("[[[[[1]]]]]", limits).ok());
  Issue issue = parse_error("[[[[[[1]]]]]]", limits);
  EXPECT_EQ(issue.type, IssueType::too_costly);
  EXPECT_EQ(issue.location, "/0/0/0/0/0");

  // 100,000 levels: refused by the limit, and the iterative parser never recurses.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(parse_error(deep).type, IssueType::too_costly);
  limits.max_depth = 200000;
  JsonDocument doc = parse_ok(deep, limits);
  EXPECT_TRUE(doc.root().is_array());
}

TEST(JsonTest, SizeIsBounded) {
  JsonLimits limits;
  limits.max_bytes = 10;
  Issue issue = parse_error(R"({"a":"0123456789"})", limits);
  EXPECT_EQ(issue.type, IssueType::too_costly);
  EXPECT_THAT(issue.message, HasSubstr("limit is 10 bytes"));
}

TEST(JsonTest, KeepsMemberOrderAndComparesObjectsUnordered) {
  JsonDocument a = parse_ok(R"({"z":1,"a":[1,2],"m":{"x":null,"y":true}})");
  JsonDocument b = parse_ok(R"({"a":[1,2],"m":{"y":true,"x":null},"z":1})");
  EXPECT_EQ(to_json(a.root()), R"({"z":1,"a":[1,2],"m":{"x":null,"y":true}})");
  EXPECT_EQ(a.root(), b.root());
  EXPECT_FALSE(a.root() == parse_ok(R"({"a":[2,1],"m":{"y":true,"x":null},"z":1})").root());
  EXPECT_FALSE(parse_ok("[1.0]").root() == parse_ok("[1]").root());
  EXPECT_FALSE(parse_ok(R"({"a":1})").root() == parse_ok(R"({"a":1,"b":2})").root());
}

TEST(JsonTest, PrettyOutputParsesToTheSameValue) {
  JsonDocument doc = parse_ok(R"({"resourceType":"Patient","birthDate":"1974-12-25","n":[1.50]})");
  const std::string pretty = to_json(doc.root(), JsonStyle::pretty);
  EXPECT_THAT(pretty, HasSubstr("\n  \"birthDate\": \"1974-12-25\""));
  EXPECT_THAT(pretty, HasSubstr("1.50"));
  EXPECT_EQ(parse_ok(pretty).root(), doc.root());
}

TEST(JsonTest, FindsPrimitiveValuesWithTheirExtensions) {
  JsonDocument doc = parse_ok(R"({"resourceType":"Patient","birthDate":"1974-12-25",
    "_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime",
      "valueDateTime":"1974-12-25T14:35:45-05:00"}]},
    "_gender":{"id":"g1"},"given":["Peter",null],"_given":[null,{"id":"x"}]})");
  PrimitiveElement birth = primitive_element(doc.root(), "birthDate");
  ASSERT_TRUE(birth.present());
  EXPECT_EQ(birth.value->as_string(), "1974-12-25");
  ASSERT_NE(birth.extension, nullptr);
  EXPECT_EQ(birth.extension->find("extension")->items().size(), 1U);
  PrimitiveElement gender = primitive_element(doc.root(), "gender");
  EXPECT_EQ(gender.value, nullptr);
  EXPECT_EQ(gender.extension->find("id")->as_string(), "g1");
  PrimitiveElement given = primitive_element(doc.root(), "given");
  EXPECT_EQ(given.value->items().size(), given.extension->items().size());
  EXPECT_FALSE(primitive_element(doc.root(), "deceased").present());
  EXPECT_EQ(to_json(parse_ok(to_json(doc.root())).root()), to_json(doc.root()));
}

TEST(JsonTest, BuildsDocumentsThatOutliveTheirInputs) {
  JsonDocument doc;
  {
    std::string name = "Kari";
    std::vector<JsonValue> given{doc.make_string(name)};
    std::vector<JsonMember> members{
        {doc.make_key("resourceType"), doc.make_string("Patient")},
        {doc.make_key("active"), JsonValue::boolean(true)},
        {doc.make_key("weight"), doc.make_number("72.50")},
        {doc.make_key("given"), doc.make_array(given)},
        {doc.make_key("empty"), doc.make_object({})},
    };
    doc.set_root(doc.make_object(members));
    name = "overwritten";
  }
  EXPECT_EQ(
      to_json(doc.root()),
      R"({"resourceType":"Patient","active":true,"weight":72.50,"given":["Kari"],"empty":{}})");
  JsonDocument moved = std::move(doc);
  EXPECT_EQ(moved.root().find("given")->items()[0].as_string(), "Kari");
}

TEST(JsonTest, WrongKindAccessorsAnswerEmpty) {
  JsonDocument doc = parse_ok(R"({"s":"x","n":1})");
  EXPECT_TRUE(doc.root().find("s")->items().empty());
  EXPECT_TRUE(doc.root().find("s")->number_text().empty());
  EXPECT_TRUE(doc.root().find("n")->as_string().empty());
  EXPECT_EQ(doc.root().find("missing"), nullptr);
  EXPECT_EQ(doc.root().find("s")->size(), 0U);
}

TEST(JsonTest, ReadBoundedRefusesLargeFilesBeforeReading) {
  const auto path = std::filesystem::temp_directory_path() / "json_test_read_bounded.json";
  {
    std::ofstream out(path);
    out << std::string(1000, ' ') << "{}";
  }
  EXPECT_TRUE(read_bounded(path.string(), 2000).ok());
  Result<std::string> refused = read_bounded(path.string(), 100);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.problems().issues()[0].type, IssueType::too_costly);
  std::filesystem::remove(path);
  Result<std::string> missing = read_bounded(path.string(), 100);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.problems().issues()[0].type, IssueType::exception);
  EXPECT_THAT(missing.problems().issues()[0].message, HasSubstr("No such file"));
}

// Documents of well-formed UTF-8 without \u escapes or exponents are read by the parser's
// fast path; it must give RapidJSON's tree, and leave everything else (errors included) to
// RapidJSON, so that messages stay the same.
TEST(JsonTest, FastPathReadsWhatRapidJsonReads) {
  JsonDocument doc = parse_ok(
      "\n {\"a\" :\t[ 0, -0.5, 123456789012345, 1234567890123456, 2.50 ],\r\n"
      "  \"text\": \"q\\\"b\\\\s\\/\\b\\f\\n\\r\\tæ\", \"\": \"\", \"t\": true, \"f\": false,"
      "  \"n\": null, \"o\": {}, \"e\": [],"
      "  \"long\": \"" +
      std::string(40, 'x') + "\\n" + std::string(20, 'y') + "\"}  ");
  const JsonValue& root = doc.root();
  ASSERT_EQ(root.size(), 9U);
  const auto numbers = root.find("a")->items();
  ASSERT_EQ(numbers.size(), 5U);
  EXPECT_EQ(numbers[0].number_text(), "0");
  EXPECT_EQ(numbers[1].number_text(), "-0.5");
  EXPECT_EQ(numbers[2].number_text(), "123456789012345");
  EXPECT_EQ(numbers[3].number_text(), "1234567890123456");  // beyond the fast path: RapidJSON
  EXPECT_EQ(numbers[4].number_text(), "2.50");
  EXPECT_EQ(root.find("text")->as_string(), "q\"b\\s/\b\f\n\r\tæ");
  EXPECT_EQ(root.find("")->as_string(), "");
  EXPECT_TRUE(root.find("t")->as_bool());
  EXPECT_TRUE(root.find("f")->is_bool());
  EXPECT_TRUE(root.find("n")->is_null());
  EXPECT_EQ(root.find("o")->size(), 0U);
  EXPECT_TRUE(root.find("e")->is_array());
  EXPECT_EQ(root.find("long")->as_string(), std::string(40, 'x') + "\n" + std::string(20, 'y'));
  EXPECT_EQ(parse_ok(R"("x")").root().as_string(), "x");
  EXPECT_EQ(parse_ok("7").root().number_text(), "7");
}

TEST(JsonTest, ErrorsAreRapidJsonsWhicheverPathMetThem) {
  EXPECT_EQ(parse_error(R"({"a":01})").message,
            "invalid JSON at line 1, column 7: Missing a comma or '}' after an object member.");
  const Issue trailing_comma = parse_error("[1,]");
  EXPECT_EQ(trailing_comma.message, "invalid JSON at line 1, column 4: Invalid value.");
  EXPECT_EQ(trailing_comma.location, "/1");
  EXPECT_EQ(parse_error(R"({"a":1} x)").message,
            "invalid JSON at line 1, column 9: The document root must not be followed by other "
            "values.");
  EXPECT_EQ(parse_error("{\"a\":\"x\ty\"}").location, "/a");
  EXPECT_THAT(parse_error(R"(["\x"])").message, HasSubstr("Invalid escape"));
  EXPECT_THAT(parse_error("[-]").message, HasSubstr("Invalid value"));
  EXPECT_THAT(parse_error("[1.]").message, HasSubstr("fraction"));
  EXPECT_THAT(parse_error("[tru]").message, HasSubstr("Invalid value"));
  EXPECT_THAT(parse_error(R"({"a" 1})").message, HasSubstr("colon"));
  // A raw control character anywhere in a string, also 0x1A-0x1F deep inside a long one.
  const Issue control =
      parse_error("{\"a\":\"" + std::string(40, 'x') + "\x1f" + std::string(40, 'x') + "\"}");
  EXPECT_EQ(control.message,
            "invalid JSON at line 1, column 47: Invalid escape character in string.");
}

}  // namespace
}  // namespace adapter::fhir
