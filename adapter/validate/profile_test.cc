#include "adapter/validate/profile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adapter::validate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const fhir::Model& model() {
  static const fhir::Model instance = fhir::Model::r4().value();
  return instance;
}

// A small profile in the shapes the project's profiles use.
constexpr const char* kProfile = R"({
  "resourceType": "StructureDefinition", "url": "https://example.org/StructureDefinition/test-patient",
  "name": "TestPatient", "type": "Patient", "derivation": "constraint", "kind": "resource",
  "differential": {"element": [
    {"id": "Patient.meta", "path": "Patient.meta", "min": 1},
    {"id": "Patient.meta.security", "path": "Patient.meta.security", "min": 1,
     "slicing": {"discriminator": [{"type": "value", "path": "code"}], "rules": "open"}},
    {"id": "Patient.meta.security:eth", "path": "Patient.meta.security", "sliceName": "eth", "min": 1, "max": "1",
     "patternCoding": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "ETH"}},
    {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1,
     "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
    {"id": "Patient.identifier:FNR", "path": "Patient.identifier", "sliceName": "FNR", "max": "1"},
    {"id": "Patient.identifier:FNR.system", "path": "Patient.identifier.system", "min": 1,
     "fixedUri": "urn:oid:2.16.578.1.12.4.1.4.1"},
    {"id": "Patient.identifier:FNR.value", "path": "Patient.identifier.value", "min": 1},
    {"id": "Patient.extension:municipality", "path": "Patient.extension", "sliceName": "municipality",
     "max": "1", "type": [{"code": "Extension", "profile": ["https://example.org/StructureDefinition/municipality"]}]},
    {"id": "Patient.gender", "path": "Patient.gender", "min": 1},
    {"id": "Patient.maritalStatus", "path": "Patient.maritalStatus",
     "binding": {"strength": "required", "valueSet": "https://example.org/ValueSet/status"}},
    {"id": "Patient.contact", "path": "Patient.contact", "max": "0"},
    {"id": "Patient.name", "path": "Patient.name",
     "constraint": [{"key": "tst-1", "severity": "error", "human": "a family name", "expression": "family.exists() "}]}
  ]}})";

constexpr const char* kCodeSystem =
    R"({"resourceType": "CodeSystem", "url": "https://example.org/CodeSystem/status",
  "status": "draft", "content": "complete", "concept": [{"code": "a"}, {"code": "b", "concept": [{"code": "b1"}]}]})";
constexpr const char* kValueSet =
    R"({"resourceType": "ValueSet", "url": "https://example.org/ValueSet/status",
  "status": "draft", "compose": {"include": [{"system": "https://example.org/CodeSystem/status"}]}})";

std::vector<std::string> check(std::string_view resource) {
  const auto profile = fhir::JsonDocument::parse(kProfile).value();
  const auto code_system = fhir::JsonDocument::parse(kCodeSystem).value();
  const auto value_set = fhir::JsonDocument::parse(kValueSet).value();
  auto set = ProfileSet::from({&profile.root(), &code_system.root(), &value_set.root()}, model());
  EXPECT_TRUE(set) << set.problems().to_json();
  const auto document = fhir::JsonDocument::parse(resource).value();
  fhir::Outcome outcome;
  EXPECT_TRUE(
      set->check("https://example.org/StructureDefinition/test-patient", document.root(), outcome));
  std::vector<std::string> out;
  for (const auto& issue : outcome.issues()) {
    out.push_back(std::string(fhir::to_code(issue.severity)) + " " + issue.expression);
  }
  return out;
}

constexpr const char* kGood = R"({"resourceType": "Patient",
  "meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "ETH"}]},
  "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "14868943972"}],
  "extension": [{"url": "https://example.org/StructureDefinition/municipality", "valueString": "4601"}],
  "gender": "male", "maritalStatus": {"coding": [{"system": "https://example.org/CodeSystem/status", "code": "b1"}]},
  "name": [{"family": "Solheim"}]})";

TEST(Profile, AConformingResourceHasNoIssues) {
  EXPECT_THAT(check(kGood), IsEmpty());
}

TEST(Profile, CardinalityOfElementsAndSlices) {
  EXPECT_THAT(check(R"({"resourceType": "Patient",
    "meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}]},
    "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "1"},
                   {"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "2"}],
    "contact": [{"name": {"text": "x"}}]})"),
              ElementsAre("error Patient.meta.security", "error Patient.identifier",
                          "error Patient.gender", "error Patient.contact"));
}

TEST(Profile, SliceMembersGetTheSlicesConstraints) {
  EXPECT_THAT(check(R"({"resourceType": "Patient",
    "meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "ETH"}]},
    "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.1"}], "gender": "male"})"),
              ElementsAre("error Patient.identifier[0].value"));
}

TEST(Profile, BindingsAndConstraints) {
  std::string bad = kGood;
  bad.replace(bad.find("\"b1\""), 4, "\"zz\"");
  bad.replace(bad.find("\"family\": \"Solheim\""), 19, "\"text\": \"Solheim\"");
  EXPECT_THAT(check(bad), ElementsAre("error Patient.maritalStatus", "error Patient.name[0]"));
}

TEST(Profile, ExtensionSlicesByUrl) {
  std::string two = kGood;
  two.replace(
      two.find("\"valueString\": \"4601\"}"), 22,
      "\"valueString\": \"4601\"}, {\"url\": "
      "\"https://example.org/StructureDefinition/municipality\", \"valueString\": \"0301\"}");
  EXPECT_THAT(check(two), ElementsAre("error Patient.extension"));
}

TEST(Profile, WrongResourceTypeAndUnknownProfile) {
  const auto profile = fhir::JsonDocument::parse(kProfile).value();
  auto set = ProfileSet::from({&profile.root()}, model());
  ASSERT_TRUE(set);
  const auto observation = fhir::JsonDocument::parse(R"({"resourceType": "Observation"})").value();
  fhir::Outcome outcome;
  EXPECT_TRUE(set->check("https://example.org/StructureDefinition/test-patient", observation.root(),
                         outcome));
  EXPECT_TRUE(outcome.has_errors());
  EXPECT_FALSE(
      set->check("https://example.org/StructureDefinition/none", observation.root(), outcome));
}

}  // namespace
}  // namespace adapter::validate
