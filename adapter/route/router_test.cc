#include "adapter/route/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adapter::route {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const fhir::Model& model() {
  static const fhir::Model r4 = std::move(fhir::Model::r4()).value();
  return r4;
}

fhir::JsonDocument golden(const std::string& name) {
  auto text = fhir::read_bounded(std::string(ADAPTER_SOURCE_DIR) + "/tests/mapping/golden/" + name,
                                 1 << 24);
  EXPECT_TRUE(text.ok());
  auto document = fhir::JsonDocument::parse(*text);
  EXPECT_TRUE(document.ok());
  return std::move(document).value();
}

// The routes docs/configuration.md recommends: everything to the health trust, the
// coordinating unit's notifications by its HER-id, individual plans to the patient's
// municipality.
constexpr std::string_view kConfig = R"J({
  "outbox": {"path": "o.db"},
  "endpoints": [
    {"id": "hospital", "baseUrl": "https://fhir.hospital.example.no"},
    {"id": "bergen", "baseUrl": "https://fhir.bergen.example.no", "municipalities": ["4601"],
     "herIds": ["102834"]},
    {"id": "oslo", "baseUrl": "https://fhir.oslo.example.no", "municipalities": ["0301"]}
  ],
  "routes": [
    {"name": "health trust", "to": "hospital"},
    {"name": "coordinating unit notified",
     "when": "entry.resource.ofType(Task).where(meta.profile contains 'https://fhir.tsb-adapter.no/StructureDefinition/tsb-notification-task').exists()",
     "toHerId": "entry.resource.ofType(Task).where(meta.profile contains 'https://fhir.tsb-adapter.no/StructureDefinition/tsb-notification-task').owner.resolve().identifier.where(system = 'urn:oid:2.16.578.1.12.4.1.2').value"},
    {"name": "individual plan to the home municipality", "kinds": ["individual-plan"],
     "toMunicipality": "entry.resource.ofType(Patient).extension('https://fhir.tsb-adapter.no/StructureDefinition/municipality').value.code"}
  ]
})J";

Router router(std::string_view text = kConfig) {
  auto config = config::parse(text, "adapter.json");
  EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.problems().to_json());
  auto created = Router::create(*config, model());
  EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.problems().to_json());
  return std::move(created).value();
}

TEST(Router, AReferralGoesToTheHealthTrustOnly) {
  auto bundle = golden("01-referral.bundle.json");
  auto targets = router().route(bundle.root(), "referral");
  ASSERT_TRUE(targets.ok()) << targets.problems().to_json();
  EXPECT_THAT(*targets, ElementsAre("hospital"));
}

TEST(Router, ANotificationAlsoGoesToTheCoordinatingUnitByHerId) {
  auto bundle = golden("09-individual-plan-need-notified.bundle.json");
  auto targets = router().route(bundle.root(), "pathway-event");
  ASSERT_TRUE(targets.ok()) << targets.problems().to_json();
  EXPECT_THAT(*targets, ElementsAre("hospital", "bergen"));
}

TEST(Router, AnIndividualPlanGoesToThePatientsMunicipality) {
  auto bundle = golden("11-individual-plan.bundle.json");
  auto targets = router().route(bundle.root(), "individual-plan");
  ASSERT_TRUE(targets.ok()) << targets.problems().to_json();
  EXPECT_THAT(*targets, ElementsAre("hospital", "bergen"));
}

TEST(Router, AMunicipalityNoEndpointServesIsAnErrorNotADrop) {
  std::string config(kConfig);
  config.replace(config.find("\"4601\""), 6, "\"4602\"");
  config.replace(config.find("\"102834\""), 8, "\"999999\"");
  auto bundle = golden("11-individual-plan.bundle.json");
  auto targets = router(config).route(bundle.root(), "individual-plan");
  ASSERT_FALSE(targets.ok());
  const auto& issues = targets.problems().issues();
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_EQ(issues[0].location, "/routes/2/toMunicipality");
  EXPECT_THAT(issues[0].message, HasSubstr("no endpoint serves municipality 4601"));
}

TEST(Router, ABundleNoRuleSendsAnywhereIsAnError) {
  auto only_plans = router(R"J({"outbox": {"path": "o.db"},
    "endpoints": [{"id": "h", "baseUrl": "https://h.example.no"}],
    "routes": [{"name": "plans", "kinds": ["treatment-plan"], "to": "h"}]})J");
  auto bundle = golden("01-referral.bundle.json");
  auto targets = only_plans.route(bundle.root(), "referral");
  ASSERT_FALSE(targets.ok());
  EXPECT_THAT(targets.problems().to_json(),
              HasSubstr("no routing rule sends this referral anywhere"));
}

TEST(Router, ABrokenExpressionIsReportedAtItsRule) {
  auto config = config::parse(R"J({"outbox": {"path": "o.db"},
    "endpoints": [{"id": "h", "baseUrl": "https://h.example.no"}],
    "routes": [{"name": "x", "when": "entry.resource.ofType(Patient).nmae.exists()", "to": "h"}]})J",
                              "a.json");
  ASSERT_TRUE(config.ok());
  auto created = Router::create(*config, model());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.problems().issues()[0].location, "/routes/0/when");
}

TEST(Router, OrderingKeyIsAHashOfThePatientIdentifier) {
  auto referral = golden("01-referral.bundle.json");
  auto plan = golden("08-treatment-plan.bundle.json");
  const std::string key = ordering_key(referral.root());
  EXPECT_THAT(key, ::testing::StartsWith("patient:"));
  EXPECT_EQ(key.size(), 8U + 64U);
  EXPECT_EQ(key, ordering_key(plan.root()));  // the same patient
  EXPECT_THAT(key, ::testing::Not(HasSubstr("14868943972")));
  auto empty = fhir::JsonDocument::parse(R"({"resourceType":"Bundle","type":"transaction"})");
  EXPECT_EQ(ordering_key(empty->root()), "bundle");
}

}  // namespace
}  // namespace adapter::route
