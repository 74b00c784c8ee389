#include "adapter/fhir/outcome.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapter/fhir/json.h"

namespace adapter::fhir {
namespace {

using ::testing::HasSubstr;

TEST(OutcomeTest, PointersBecomeFhirPathStyleExpressions) {
  EXPECT_EQ(pointer_to_expression("/patient/name/0/given"), "patient.name[0].given");
  EXPECT_EQ(pointer_to_expression("/0/a"), "[0].a");
  EXPECT_EQ(pointer_to_expression("/a~1b/c~0d"), "a/b.c~d");
  EXPECT_EQ(pointer_to_expression(""), "");
  EXPECT_EQ(pointer_token("a/b~c"), "a~1b~0c");
}

TEST(OutcomeTest, ErrorsAndFatalsCountAsErrors) {
  Outcome outcome;
  EXPECT_FALSE(outcome.has_errors());
  outcome.warning(IssueType::value, "/a", "odd");
  outcome.information(IssueType::informational, "", "fyi");
  EXPECT_FALSE(outcome.has_errors());
  outcome.error(IssueType::required, "/b", "missing");
  EXPECT_TRUE(outcome.has_errors());
  EXPECT_TRUE(Outcome::of(Severity::fatal, IssueType::exception, "x").has_errors());
}

TEST(OutcomeTest, MergeRebasesLocations) {
  Outcome inner;
  inner.error(IssueType::value, "/birthDate", "bad date");
  Outcome outer;
  outer.merge(inner, "/relatives/1");
  ASSERT_EQ(outer.size(), 1U);
  EXPECT_EQ(outer.issues()[0].location, "/relatives/1/birthDate");
  EXPECT_EQ(outer.issues()[0].expression, "relatives[1].birthDate");
}

TEST(OutcomeTest, RendersAnOperationOutcome) {
  Outcome outcome;
  outcome.error(IssueType::structure, "/x/0", "unknown field \"x\"");
  Result<JsonDocument> doc = JsonDocument::parse(outcome.to_json());
  ASSERT_TRUE(doc.ok());
  const JsonValue& root = doc->root();
  EXPECT_EQ(root.find("resourceType")->as_string(), "OperationOutcome");
  const JsonValue& issue = root.find("issue")->items()[0];
  EXPECT_EQ(issue.find("severity")->as_string(), "error");
  EXPECT_EQ(issue.find("code")->as_string(), "structure");
  EXPECT_EQ(issue.find("diagnostics")->as_string(), "unknown field \"x\"");
  EXPECT_EQ(issue.find("location")->items()[0].as_string(), "/x/0");
  EXPECT_EQ(issue.find("expression")->items()[0].as_string(), "x[0]");
}

TEST(OutcomeTest, EmptyOutcomeStillHasOneIssue) {
  EXPECT_THAT(Outcome().to_json(false), HasSubstr(R"("issue":[{"severity":"information")"));
}

TEST(OutcomeTest, ResultCarriesValueOrProblems) {
  Result<int> good = 7;
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 7);
  Result<int> bad = Outcome::of(Severity::error, IssueType::value, "no");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.problems().issues()[0].message, "no");
}

}  // namespace
}  // namespace adapter::fhir
