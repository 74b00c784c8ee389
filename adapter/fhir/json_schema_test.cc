#include "adapter/fhir/json_schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adapter::fhir {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr const char* kCommon = R"({
  "$defs": {
    "period": {
      "type": "object",
      "properties": {"start": {"type": "string", "format": "date"},
                     "end": {"type": "string", "format": "date-time"}},
      "additionalProperties": false,
      "x-ordered": ["start", "end"]
    },
    "code": {"type": "string", "enum": ["a", "b"]}
  }
})";

constexpr const char* kDoc = R"({
  "type": "object",
  "required": ["kind", "people"],
  "additionalProperties": false,
  "properties": {
    "kind": {"const": "demo"},
    "people": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"$ref": "#/$defs/person"}},
    "lead": {"type": "string", "x-refers-to": "people"},
    "period": {"$ref": "common.schema.json#/$defs/period"},
    "codes": {"type": "array", "uniqueItems": true, "items": {"$ref": "common.schema.json#/$defs/code"}},
    "score": {"type": "integer", "minimum": 0, "maximum": 10},
    "contact": {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": false,
                "properties": {"phone": {"type": "string"}, "email": {"type": "string"}}},
    "zip": {"type": "string", "pattern": "^[0-9]{4}$", "maxLength": 4},
    "note": {"type": ["string", "null"], "minLength": 1, "maxLength": 5}
  },
  "$defs": {
    "person": {
      "type": "object",
      "required": ["id", "name"],
      "additionalProperties": false,
      "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                     "born": {"type": "string", "format": "date"}}
    }
  }
})";

SchemaSet compile(std::map<std::string, std::string> texts) {
  auto set = SchemaSet::from_texts(texts, FormatRegistry());
  EXPECT_TRUE(set.ok()) << (set.ok() ? "" : set.problems().to_json());
  return set.ok() ? std::move(set).value() : SchemaSet();
}

std::vector<std::pair<std::string, IssueType>> problems_of(const SchemaSet& set,
                                                           std::string_view json) {
  auto doc = JsonDocument::parse(json);
  EXPECT_TRUE(doc.ok());
  std::vector<std::pair<std::string, IssueType>> out;
  const Outcome outcome = set.check("doc.schema.json", doc->root());
  for (const Issue& issue : outcome.issues()) {
    out.emplace_back(issue.location, issue.type);
  }
  return out;
}

std::string message_at(const SchemaSet& set, std::string_view json, std::string_view location) {
  auto doc = JsonDocument::parse(json);
  const Outcome outcome = set.check("doc.schema.json", doc->root());
  for (const Issue& issue : outcome.issues()) {
    if (issue.location == location) return issue.message;
  }
  return "(no issue at " + std::string(location) + ")";
}

class SchemaCheckTest : public ::testing::Test {
 protected:
  SchemaSet set_ = compile({{"common.schema.json", kCommon}, {"doc.schema.json", kDoc}});
};

TEST_F(SchemaCheckTest, AcceptsAValidDocument) {
  EXPECT_THAT(
      problems_of(set_, R"({"kind":"demo","people":[{"id":"p1","name":"Kari","born":"1989-05-17"}],
    "lead":"p1","period":{"start":"2027-03-24","end":"2027-03-24T10:00:00+01:00"},
    "codes":["a","b"],"score":10,"contact":{"email":"x"},"zip":"0150","note":null})"),
      ElementsAre());
}

TEST_F(SchemaCheckTest, ReportsEveryProblemWithItsPointer) {
  EXPECT_THAT(
      problems_of(set_, R"({"kind":"other","people":[{"id":"p1","nam":"Kari","born":"2027-02-30"},
        {"id":7,"name":"Ola"}],"extra":true,"lead":"p9","score":11,"codes":["a","c","a"],
        "contact":{},"zip":"12345","note":""})"),
      UnorderedElementsAre(
          std::pair{"/kind", IssueType::value}, std::pair{"/people/0/name", IssueType::required},
          std::pair{"/people/0/nam", IssueType::structure},
          std::pair{"/people/0/born", IssueType::value},
          std::pair{"/people/1/id", IssueType::structure},
          std::pair{"/extra", IssueType::structure}, std::pair{"/lead", IssueType::not_found},
          std::pair{"/score", IssueType::value}, std::pair{"/codes/1", IssueType::value},
          std::pair{"/codes/2", IssueType::duplicate}, std::pair{"/contact", IssueType::required},
          std::pair{"/zip", IssueType::too_long}, std::pair{"/note", IssueType::value}));
}

TEST_F(SchemaCheckTest, MessagesSayWhatIsWrongAndWhatWasExpected) {
  const char* doc = R"({"kind":"demo","people":[{"id":"p1","nam":"Kari"}],"score":"3",
    "contact":{"phone":"1","email":"2"},"zip":"12a4","lead":"p2","codes":["z"]})";
  EXPECT_EQ(message_at(set_, doc, "/people/0/nam"),
            "unknown field \"nam\"; did you mean \"name\"?");
  EXPECT_EQ(message_at(set_, doc, "/people/0/name"), "missing required field \"name\"");
  EXPECT_EQ(message_at(set_, doc, "/score"), "expected integer, found string");
  EXPECT_THAT(message_at(set_, doc, "/contact"), HasSubstr("at most 1 of: phone, email"));
  EXPECT_THAT(message_at(set_, doc, "/zip"), HasSubstr("does not match the pattern ^[0-9]{4}$"));
  EXPECT_THAT(message_at(set_, doc, "/lead"), HasSubstr("/people has no entry with that id"));
  EXPECT_EQ(message_at(set_, doc, "/codes/0"), "\"z\" is not one of: a, b");
  EXPECT_THAT(message_at(set_, R"({"kind":"demo","people":[],"wat":1})", "/wat"),
              HasSubstr("allowed here: kind, people, lead"));
  EXPECT_EQ(message_at(set_, R"({"kind":"demo","people":[]})", "/people"),
            "needs at least 1 item(s); found 0");
}

TEST_F(SchemaCheckTest, OrderedDatesCompareAcrossPrecisionAndZones) {
  const auto check = [this](std::string_view start, std::string_view end) {
    return problems_of(set_,
                       R"({"kind":"demo","people":[{"id":"p","name":"n"}],"period":{"start":")" +
                           std::string(start) + R"(","end":")" + std::string(end) + R"("}})");
  };
  EXPECT_THAT(check("2027-03-24", "2027-03-24T00:30:00+01:00"), ElementsAre());
  EXPECT_THAT(check("2027-03-24", "2027-03-23T23:30:00-02:00"),
              ElementsAre(std::pair{"/period/end", IssueType::invariant}));
  EXPECT_THAT(check("2027-03-24", "2027-03-24T00:30:00+03:00"), ElementsAre());  // same local day
}

TEST(SchemaOrderTest, EachMemberIsComparedWithTheLatestInOrder) {
  SchemaSet set = compile({{"doc.schema.json", R"({"type":"object","additionalProperties":false,
    "x-ordered":["a","b","c"],"properties":{"a":{"type":"string"},"b":{"type":"string"},
    "c":{"type":"string"}}})"}});
  EXPECT_THAT(
      problems_of(set, R"({"a":"2027-01-05","b":"2027-01-03","c":"2027-01-04"})"),
      ElementsAre(std::pair{"/b", IssueType::invariant}, std::pair{"/c", IssueType::invariant}));
  EXPECT_THAT(problems_of(set, R"({"a":"2027-01-01","c":"2027-01-04"})"), ElementsAre());
}

TEST_F(SchemaCheckTest, WrongTypeStopsDescent) {
  EXPECT_THAT(problems_of(set_, R"({"kind":"demo","people":{"id":1}})"),
              ElementsAre(std::pair{"/people", IssueType::structure}));
  EXPECT_THAT(problems_of(set_, R"([1,2])"), ElementsAre(std::pair{"", IssueType::structure}));
}

std::string compile_error(std::string schema) {
  auto set = SchemaSet::from_texts({{"doc.schema.json", std::move(schema)}}, FormatRegistry());
  EXPECT_FALSE(set.ok());
  return set.ok() ? "" : set.problems().issues().front().message;
}

TEST(SchemaCompileTest, RefusesWhatItDoesNotImplement) {
  EXPECT_THAT(compile_error(R"({"oneOf":[{"type":"string"}]})"),
              HasSubstr("unsupported keyword \"oneOf\""));
  EXPECT_THAT(compile_error(R"({"type":"text"})"), HasSubstr("unknown type \"text\""));
  EXPECT_THAT(compile_error(R"({"type":"string","format":"fnr"})"),
              HasSubstr("unknown format \"fnr\""));
  EXPECT_THAT(compile_error(R"({"type":"object","properties":{"a":{}}})"),
              HasSubstr("additionalProperties: false"));
  EXPECT_THAT(
      compile_error(R"({"properties":{"a":{}},"additionalProperties":false,"required":["b"]})"),
      HasSubstr("\"b\" is not a property"));
  EXPECT_THAT(compile_error(R"({"$ref":"#/$defs/missing"})"), HasSubstr("names no $defs entry"));
  EXPECT_THAT(compile_error(R"({"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}})"),
              HasSubstr("refers back to itself"));
  EXPECT_THAT(compile_error(R"({"pattern":"(["})"), HasSubstr("invalid pattern"));
  EXPECT_THAT(compile_error(R"({"type":)"), HasSubstr("doc.schema.json: invalid JSON"));
  EXPECT_THAT(compile_error(R"({"maxLength":-1})"), HasSubstr("non-negative integer"));
}

TEST(SchemaCompileTest, RecursiveSchemasThatDescendAreFine) {
  SchemaSet set = compile({{"doc.schema.json", R"({"$ref":"#/$defs/node","$defs":{"node":{
    "type":"object","additionalProperties":false,
    "properties":{"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}}})"}});
  EXPECT_THAT(problems_of(set, R"({"children":[{"children":[{"x":1}]}]})"),
              ElementsAre(std::pair{"/children/0/children/0/x", IssueType::structure}));
}

TEST(SchemaConditionTest, ThenAppliesOnlyWhenIfHolds) {
  SchemaSet set = compile({{"doc.schema.json", R"({
    "type": "object", "additionalProperties": false,
    "properties": {"route": {"type": "string"}, "acute": {"type": "string"},
                   "party": {"type": "string"}, "name": {"type": "string"}},
    "allOf": [
      {"if": {"properties": {"route": {"const": "acute"}}, "required": ["route"]},
       "then": {"required": ["acute"]}},
      {"if": {"not": {"required": ["party"]}}, "then": {"required": ["name"]}}
    ]})"}});
  EXPECT_THAT(problems_of(set, R"({"route":"acute","party":"p"})"),
              ElementsAre(std::pair{"/acute", IssueType::required}));
  EXPECT_THAT(problems_of(set, R"({"route":"ordinary","party":"p"})"), ElementsAre());
  EXPECT_THAT(problems_of(set, R"({"party":"p"})"), ElementsAre());  // no route: if fails
  EXPECT_THAT(problems_of(set, R"({"route":"acute","acute":"x"})"),
              ElementsAre(std::pair{"/name", IssueType::required}));
  EXPECT_THAT(problems_of(set, R"({"route":"acute","acute":"x","name":"n"})"), ElementsAre());
}

TEST(SchemaConditionTest, ConditionsMayTestWithoutClosingObjects) {
  EXPECT_THAT(compile_error(R"({"not":{"required":["a"]}})"), HasSubstr("only inside \"if\""));
  EXPECT_THAT(compile_error(R"({"if":{"required":["a"]}})"), HasSubstr("go together"));
  EXPECT_THAT(compile_error(R"({"allOf":[]})"), HasSubstr("at least one schema"));
  // A `then` that defines properties is a definition and must still be closed.
  EXPECT_THAT(compile_error(R"({"if":{"required":["a"]},"then":{"properties":{"b":{}}}})"),
              HasSubstr("additionalProperties: false"));
}

TEST(SchemaFormatTest, CallerFormatsAreUsed) {
  FormatRegistry formats;
  formats.add("even", [](std::string_view v) -> std::optional<std::string> {
    if (v.size() % 2 == 0) return std::nullopt;
    return "odd length";
  });
  auto set =
      SchemaSet::from_texts({{"doc.schema.json", R"({"type":"string","format":"even"})"}}, formats);
  ASSERT_TRUE(set.ok());
  auto doc = JsonDocument::parse(R"("abc")");
  const auto outcome = set->check("doc.schema.json", doc->root());
  ASSERT_EQ(outcome.size(), 1U);
  EXPECT_EQ(outcome.issues()[0].message, "\"abc\": odd length");
  EXPECT_EQ(set->check("nope.schema.json", doc->root()).issues()[0].type, IssueType::not_found);
}

}  // namespace
}  // namespace adapter::fhir
