#include "adapter/consent/directive.h"

#include <gtest/gtest.h>

#include "adapter/fhir/datetime.h"

namespace adapter::consent {
namespace {

fhir::JsonDocument parse(std::string_view text) {
  auto document = fhir::JsonDocument::parse(text);
  EXPECT_TRUE(document) << text;
  return std::move(*document);
}

TEST(Period, WholeDaysInTheOffsetAsked) {
  const Period period{"2027-04-20", "2027-04-30"};
  auto at = [](const char* text) { return fhir::parse_date_time(text)->utc; };
  const std::chrono::minutes oslo(120);
  EXPECT_FALSE(period.contains(at("2027-04-19T23:59:59+02:00"), oslo));
  EXPECT_TRUE(period.contains(at("2027-04-20T00:00:00+02:00"), oslo));
  EXPECT_TRUE(period.contains(at("2027-04-30T23:59:59+02:00"), oslo));
  EXPECT_FALSE(period.contains(at("2027-05-01T00:00:00+02:00"), oslo));
  EXPECT_TRUE((Period{"2027", ""}.contains(at("2027-12-31T10:00:00+01:00"), oslo)));
  EXPECT_FALSE((Period{"2027-05", ""}.contains(at("2027-04-30T10:00:00+02:00"), oslo)));
  EXPECT_FALSE((Period{"not a date", ""}.contains(at("2027-04-30T10:00:00+02:00"), oslo)));
}

TEST(Directive, ReadsNestedProvisionsWithdrawalAndRefusal) {
  const auto bundle = parse(R"({"resourceType":"Bundle","entry":[
    {"fullUrl":"urn:uuid:rp","resource":{"resourceType":"RelatedPerson","identifier":[
      {"system":"https://fhir.tsb-adapter.no/NamingSystem/related-person","value":"1:2"}]}}]})");
  BundleIndex index;
  index.add_bundle(bundle.root());
  const auto consent = parse(R"({"resourceType":"Consent","status":"active",
    "identifier":[{"system":"https://fhir.tsb-adapter.no/NamingSystem/consent-id","value":"C2"}],
    "extension":[
     {"url":"https://fhir.tsb-adapter.no/StructureDefinition/consent-withdraws",
      "valueReference":{"identifier":{"value":"C1"}}},
     {"url":"https://fhir.tsb-adapter.no/StructureDefinition/minor-refusal","extension":[
      {"url":"refusesInformingParents","valueBoolean":true},
      {"url":"reasonsRespected","valueBoolean":true},
      {"url":"parent","valueReference":{"reference":"urn:uuid:rp"}}]}],
    "provision":{"type":"deny","provision":[{"type":"permit",
      "actor":[{"reference":{"reference":"urn:uuid:rp"}}],
      "purpose":[{"system":"https://fhir.tsb-adapter.no/CodeSystem/consent-purpose","code":"share-epicrisis"},
                 {"system":"urn:other","code":"x"}],
      "provision":[{"type":"deny","class":[{"system":"https://fhir.tsb-adapter.no/CodeSystem/consent-data-category","code":"medication"}]}]}]}})");
  auto directive = read_directive(consent.root(), index.resolver());
  ASSERT_TRUE(directive) << directive.problems().to_json();
  EXPECT_EQ(directive->id, "C2");
  EXPECT_EQ(directive->withdraws, "C1");
  ASSERT_TRUE(directive->minor_refusal);
  EXPECT_TRUE(directive->minor_refusal->reasons_respected);
  ASSERT_EQ(directive->minor_refusal->parents.size(), 1U);
  EXPECT_EQ(
      directive->minor_refusal->parents[0].identifiers,
      std::vector<std::string>{"https://fhir.tsb-adapter.no/NamingSystem/related-person|1:2"});
  ASSERT_EQ(directive->root.provisions.size(), 1U);
  const Provision& permit = directive->root.provisions[0];
  EXPECT_EQ(permit.purposes, (std::vector<std::string>{"share-epicrisis", "urn:other|x"}));
  ASSERT_EQ(permit.provisions.size(), 1U);
  EXPECT_EQ(permit.provisions[0].categories, std::vector<std::string>{"medication"});
}

TEST(Directive, RefusesWhatItWouldHaveToGuess) {
  const auto consent = parse(R"({"resourceType":"Consent",
    "extension":[{"url":"https://fhir.tsb-adapter.no/StructureDefinition/consent-withdraws",
                  "valueReference":{"reference":"Consent/1"}}],
    "provision":{"provision":[{"type":"maybe"}]}})");
  auto directive = read_directive(consent.root());
  ASSERT_FALSE(directive);
  std::vector<std::string> locations;
  for (const auto& issue : directive.problems().issues())
    locations.push_back(issue.location);
  EXPECT_EQ(locations,
            (std::vector<std::string>{
                "Consent.identifier", "Consent.status", "Consent.extension('consent-withdraws')",
                "Consent.provision.type", "Consent.provision.provision[0].type"}));
}

TEST(BundleIndex, ResolvesFullUrlsAndServerReferences) {
  const auto bundle = parse(R"({"resourceType":"Bundle","entry":[
    {"fullUrl":"https://server/fhir/RelatedPerson/7","resource":{"resourceType":"RelatedPerson","id":"7",
     "identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"09829124685"}]}}]})");
  BundleIndex index;
  index.add_bundle(bundle.root());
  const std::vector<std::string> expected{"urn:oid:2.16.578.1.12.4.1.4.1|09829124685"};
  EXPECT_EQ(index.identifiers("RelatedPerson/7"), expected);
  EXPECT_EQ(index.identifiers("https://server/fhir/RelatedPerson/7"), expected);
  EXPECT_TRUE(index.identifiers("RelatedPerson/8").empty());
}

}  // namespace
}  // namespace adapter::consent
