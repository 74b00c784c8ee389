#include "adapter/validate/validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adapter::validate {
namespace {

const fhir::Model& model() {
  static const fhir::Model instance = fhir::Model::r4().value();
  return instance;
}

// "severity code expression: message" per issue.
std::vector<std::string> issues(std::string_view json) {
  const auto document = fhir::JsonDocument::parse(json).value();
  const Validator validator(model());
  std::vector<std::string> out;
  const fhir::Outcome outcome = validator.validate(document.root());
  for (const auto& issue : outcome.issues()) {
    if (issue.severity != fhir::Severity::error) continue;
    out.push_back(std::string(fhir::to_code(issue.type)) + " " + issue.expression);
  }
  return out;
}

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(Validator, AValidPatientHasNoIssues) {
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "id": "p1", "active": true,
    "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "14868943972"}],
    "name": [{"family": "Solheim", "given": ["Eirik", "Andreas"], "_given": [null, {"extension": [
      {"url": "http://example.org/x", "valueString": "y"}]}]}],
    "birthDate": "1989-06-14", "deceasedBoolean": false,
    "contact": [{"name": {"text": "Ingrid"}}]})"),
              IsEmpty());
}

TEST(Validator, UnknownElementWrongTypeAndBadDateHaveTheirLocation) {
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "nickname": "x", "active": "yes",
    "birthDate": "1989-02-30", "name": [{"given": "Eirik"}]})"),
              ElementsAre("structure Patient.nickname", "value Patient.active",
                          "value Patient.birthDate", "structure Patient.name[0].given"));
}

TEST(Validator, MissingRequiredElements) {
  EXPECT_THAT(issues(R"({"resourceType": "Observation", "code": {"text": "x"}})"),
              ElementsAre("required Observation.status"));
  EXPECT_THAT(issues(R"({"resourceType": "Observation", "status": "final",
    "code": {"text": "x"}, "component": [{"valueString": "v"}]})"),
              ElementsAre("required Observation.component[0].code"));
}

TEST(Validator, ChoiceTypes) {
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "deceasedBoolean": true,
    "deceasedDateTime": "2020-01-01"})"),
              ElementsAre("structure Patient.deceasedDateTime"));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "deceasedString": "x"})"),
              ElementsAre("structure Patient.deceasedString"));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "deceased": true})"),
              ElementsAre("structure Patient.deceased"));
}

TEST(Validator, CardinalityAndArrays) {
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "name": {"family": "x"}})"),
              ElementsAre("structure Patient.name"));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "gender": ["male"]})"),
              ElementsAre("structure Patient.gender"));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "name": []})"),
              ElementsAre("invariant Patient.name"));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "name": [{}]})"),
              ElementsAre("invariant Patient.name[0]"));
}

TEST(Validator, ContainedResourcesAndBundleEntriesAreValidatedAsResources) {
  EXPECT_THAT(
      issues(R"({"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "urn:uuid:6ba7b811-9dad-11d1-80b4-00c04fd430c8",
     "resource": {"resourceType": "Patient", "gender": "male", "foo": 1}},
    {"resource": {"resourceType": "Nonsense"}}]})"),
      ElementsAre("structure Bundle.entry[0].resource.foo", "value Bundle.entry[1].resource"));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "contained": [
    {"resourceType": "Practitioner", "id": "gp", "active": 1}],
    "generalPractitioner": [{"reference": "#gp"}]})"),
              ElementsAre("value Patient.contained[0].active"));
}

TEST(Validator, ReferenceFormats) {
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "generalPractitioner": [
    {"reference": "Practitioner/123"}, {"reference": "urn:uuid:6ba7b811-9dad-11d1-80b4-00c04fd430c8"},
    {"reference": "https://fhir.example.org/Practitioner/1"}, {"reference": "Practitioner?identifier=a|b"},
    {"reference": "Doctor/1"}, {"reference": "just text"}]})"),
              ElementsAre("value Patient.generalPractitioner[4].reference",
                          "value Patient.generalPractitioner[5].reference"));
}

TEST(Validator, NotAResource) {
  EXPECT_THAT(issues(R"({"resourceType": "HumanName"})"), ElementsAre("value "));
  EXPECT_THAT(issues(R"({"id": "x"})"), ElementsAre("required "));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "id": "bad id!"})"),
              ElementsAre("value Patient.id"));
}

}  // namespace
}  // namespace adapter::validate

namespace adapter::validate {
namespace {

TEST(ValidatorInvariants, EveryBaseInvariantCompiles) {
  const Validator validator(model());
  EXPECT_THAT(validator.skipped_invariants(), ::testing::IsEmpty());
  EXPECT_GT(model().invariants().size(), 200U);
}

TEST(ValidatorInvariants, FailingAndPassingCases) {
  // per-1 on every Period: start not after end.
  EXPECT_THAT(
      issues(R"({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
    "period": {"start": "2027-05-02", "end": "2027-05-01"}})"),
      ElementsAre("invariant Encounter.period"));
  EXPECT_THAT(
      issues(R"({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
    "period": {"start": "2027-05-01", "end": "2027-05-02"}})"),
      IsEmpty());
  // pat-1 on Patient.contact (a backbone element).
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "contact": [{"gender": "female"}]})"),
              ElementsAre("invariant Patient.contact[0]"));
  // ext-1: an extension has a value or extensions, not both.
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "extension": [{"url": "http://x.org/e",
    "valueString": "a", "extension": [{"url": "b", "valueString": "c"}]}]})"),
              ElementsAre("invariant Patient.extension[0]"));
  // ref-1: a local reference needs the contained resource, also between contained ones.
  EXPECT_THAT(
      issues(R"({"resourceType": "Patient", "generalPractitioner": [{"reference": "#gp"}]})"),
      ElementsAre("invariant Patient.generalPractitioner[0]"));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "contained": [
    {"resourceType": "Organization", "id": "org", "name": "x"},
    {"resourceType": "Practitioner", "id": "gp", "name": [{"family": "y"}]},
    {"resourceType": "PractitionerRole", "id": "role", "practitioner": {"reference": "#gp"},
     "organization": {"reference": "#org"}}],
    "generalPractitioner": [{"reference": "#role"}]})"),
              IsEmpty());
  // dom-3: a contained resource nobody references.
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "contained": [
    {"resourceType": "Organization", "id": "lonely", "name": "x"}]})"),
              ElementsAre("invariant Patient"));
}

// Invariants that read only members of their context (dom-2/4/5 read `contained`, ext-1
// `extension` and `value[x]`, dom-6 `text`) are not evaluated when those members are absent:
// their verdict on an empty object stands in. Both ways must report the same.
TEST(ValidatorInvariants, DecidedWithoutTheirMembersAsIfEvaluated) {
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "contained": [
    {"resourceType": "Organization", "id": "org", "meta": {"versionId": "2"},
     "contained": [{"resourceType": "Patient", "id": "inner"}]}],
    "managingOrganization": {"reference": "#org"}})"),
              // org-1 and dom-3 of the Organization; dom-2 and dom-4 of the Patient.
              ElementsAre("invariant Patient.contained[0]", "invariant Patient.contained[0]",
                          "invariant Patient", "invariant Patient"));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "extension": [{"url": "http://x.org/e"}]})"),
              ElementsAre("invariant Patient.extension[0]"));  // neither value nor extensions
  // A value given only by its `_valueString` companion counts as a value[x].
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "extension": [
    {"url": "http://x.org/e", "_valueString": {"id": "v"}}]})"),
              IsEmpty());
  const auto document =
      fhir::JsonDocument::parse(R"({"resourceType": "Patient", "active": true})").value();
  const fhir::Outcome outcome = Validator(model()).validate(document.root());
  ASSERT_EQ(outcome.size(), 1U);
  EXPECT_EQ(outcome.issues()[0].message,
            "dom-6: A resource should have narrative for robust management (expression: "
            "text.`div`.exists())");
  EXPECT_EQ(outcome.issues()[0].expression, "Patient");
}

TEST(Validator, MissingRequiredChoiceIsNamedWithItsX) {
  EXPECT_THAT(issues(R"({"resourceType": "MedicationAdministration", "status": "completed",
    "subject": {"reference": "Patient/1"}, "medicationCodeableConcept": {"text": "x"}})"),
              ElementsAre("required MedicationAdministration.effective[x]"));
}

TEST(ValidatorInvariants, WarningsStayWarnings) {
  const auto document =
      fhir::JsonDocument::parse(R"({"resourceType": "Patient", "active": true})").value();
  const Validator validator(model());
  const fhir::Outcome outcome = validator.validate(document.root());
  EXPECT_FALSE(outcome.has_errors());
  ASSERT_EQ(outcome.size(), 1U);
  EXPECT_EQ(outcome.issues()[0].severity, fhir::Severity::warning);
  EXPECT_THAT(outcome.issues()[0].message, ::testing::HasSubstr("dom-6"));
}

}  // namespace
}  // namespace adapter::validate

namespace adapter::validate {
namespace {

TEST(ValidatorBundles, UrnReferencesResolveInsideTheirBundle) {
  // A transaction whose Observation points at a Patient that is not in it.
  EXPECT_THAT(issues(R"({"resourceType": "Bundle", "type": "transaction", "entry": [
    {"fullUrl": "urn:uuid:11111111-1111-5111-8111-111111111111",
     "resource": {"resourceType": "Patient", "active": true},
     "request": {"method": "POST", "url": "Patient"}},
    {"fullUrl": "urn:uuid:22222222-2222-5222-8222-222222222222",
     "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
       "subject": {"reference": "urn:uuid:11111111-1111-5111-8111-111111111111"},
       "performer": [{"reference": "urn:uuid:33333333-3333-5333-8333-333333333333"}]},
     "request": {"method": "POST", "url": "Observation"}}]})"),
              ElementsAre("not-found Bundle.entry[1].resource.performer[0].reference"));
  // A document Bundle inside a transaction: its references resolve among its own entries or,
  // failing that, among the outer Bundle's.
  EXPECT_THAT(issues(R"({"resourceType": "Bundle", "type": "transaction", "entry": [
    {"fullUrl": "urn:uuid:11111111-1111-5111-8111-111111111111",
     "resource": {"resourceType": "Patient", "active": true},
     "request": {"method": "POST", "url": "Patient"}},
    {"fullUrl": "urn:uuid:44444444-4444-5444-8444-444444444444",
     "resource": {"resourceType": "Bundle", "type": "collection", "entry": [
       {"fullUrl": "urn:uuid:55555555-5555-5555-8555-555555555555",
        "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
          "subject": {"reference": "urn:uuid:11111111-1111-5111-8111-111111111111"},
          "hasMember": [{"reference": "urn:uuid:55555555-5555-5555-8555-555555555555"}]}}]},
     "request": {"method": "POST", "url": "Bundle"}}]})"),
              IsEmpty());
}

}  // namespace
}  // namespace adapter::validate

namespace adapter::validate {
namespace {

TEST(ValidatorBindings, RequiredBindingsOfTheBaseSpecification) {
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "gender": "mle"})"),
              ElementsAre("code-invalid Patient.gender"));
  EXPECT_THAT(issues(R"({"resourceType": "Patient", "gender": "female"})"), IsEmpty());
  // A CodeableConcept: one coding from the value set is enough; none is an error.
  EXPECT_THAT(issues(R"({"resourceType": "Condition", "subject": {"reference": "Patient/1"},
    "clinicalStatus": {"coding": [{"system": "http://example.org/local", "code": "x"},
      {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}})"),
              IsEmpty());
  EXPECT_THAT(issues(R"({"resourceType": "Condition", "subject": {"reference": "Patient/1"},
    "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
    "code": "healthy"}]}})"),
              ElementsAre("code-invalid Condition.clinicalStatus"));
  EXPECT_THAT(issues(R"({"resourceType": "Condition", "subject": {"reference": "Patient/1"},
    "clinicalStatus": {"text": "active"}})"),
              ElementsAre("code-invalid Condition.clinicalStatus"));
}

TEST(ValidatorBindings, CodeSystemsOutsideThePackageAreInformationNotErrors) {
  const auto document =
      fhir::JsonDocument::parse(R"({"resourceType": "Patient", "text": {"status": "generated",
        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
        "photo": [{"contentType": "image/whatever"}]})")
          .value();
  const Validator validator(model());
  const fhir::Outcome outcome = validator.validate(document.root());
  EXPECT_FALSE(outcome.has_errors());
  ASSERT_EQ(outcome.size(), 1U);
  EXPECT_EQ(outcome.issues()[0].severity, fhir::Severity::information);
  EXPECT_EQ(outcome.issues()[0].expression, "Patient.photo[0].contentType");
}

}  // namespace
}  // namespace adapter::validate
