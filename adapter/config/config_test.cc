#include "adapter/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace adapter::config {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kGood = R"J({
  "outbox": {"path": "state/outbox.db"},
  "delivery": {"timeoutSeconds": 10, "retry": {"initialDelaySeconds": 0.5, "maxDelaySeconds": 60,
               "giveUpAfterHours": 48}},
  "credentials": {
    "hospital": {"type": "smart-backend", "tokenUrl": "https://auth.example.no/token",
                 "clientId": "tsb-adapter", "scope": "system/*.write",
                 "privateKeyFile": "keys/adapter.pem", "algorithm": "ES384", "keyId": "k1"},
    "bergen": {"type": "bearer", "tokenEnv": "BERGEN_TOKEN"}
  },
  "endpoints": [
    {"id": "hospital", "baseUrl": "https://fhir.helse-vest.example.no/fhir/", "credentials": "hospital"},
    {"id": "bergen", "baseUrl": "http://127.0.0.1:8080/fhir", "credentials": "bergen",
     "municipalities": ["4601"], "herIds": ["102834"], "tls": {"caBundle": "ca.pem"}}
  ],
  "routes": [
    {"name": "everything to the health trust", "to": "hospital"},
    {"name": "plans to the municipality", "kinds": ["individual-plan"],
     "toMunicipality": "entry.resource.ofType(Patient).address.district"}
  ]
})J";

TEST(Config, ReadsEverySectionAndResolvesPathsAgainstTheFile) {
  auto config = parse(kGood, "/etc/adapter/adapter.json");
  ASSERT_TRUE(config.ok()) << config.problems().to_json();
  EXPECT_EQ(config->outbox_path, "/etc/adapter/state/outbox.db");
  EXPECT_EQ(config->delivery.timeout, std::chrono::milliseconds(10'000));
  EXPECT_EQ(config->delivery.retry.initial_delay, std::chrono::milliseconds(500));
  EXPECT_EQ(config->delivery.retry.give_up_after, std::chrono::hours(48));
  ASSERT_EQ(config->endpoints.size(), 2U);
  EXPECT_EQ(config->endpoints[0].base_url, "https://fhir.helse-vest.example.no/fhir");
  EXPECT_EQ(config->endpoints[1].tls.ca_bundle, "/etc/adapter/ca.pem");
  EXPECT_TRUE(config->endpoints[1].tls.verify);
  EXPECT_EQ(config->credentials.at("hospital").algorithm, "ES384");
  EXPECT_EQ(config->credentials.at("hospital").private_key_file, "/etc/adapter/keys/adapter.pem");
  EXPECT_EQ(config->credentials.at("bergen").token.environment, "BERGEN_TOKEN");
  ASSERT_EQ(config->routes.size(), 2U);
  EXPECT_EQ(config->routes[1].kinds, std::vector<std::string>{"individual-plan"});
  EXPECT_EQ(config->endpoint("bergen")->municipalities, std::vector<std::string>{"4601"});
}

TEST(Config, ReportsEveryProblemWithItsPointer) {
  auto config = parse(R"J({
    "outbox": {},
    "delivery": {"timeoutSeconds": -1, "retires": {}},
    "credentials": {"x": {"type": "bearer", "token": "s3cret"}},
    "endpoints": [{"id": "a", "baseUrl": "http://fhir.example.no", "credentials": "y",
                   "municipalities": ["46"]},
                  {"id": "a", "baseUrl": "https://b.example.no"}],
    "routes": [{"name": "r", "to": "nowhere"}, {"name": "both", "to": "a", "toHerId": "x"}]
  })J",
                      "adapter.json");
  ASSERT_FALSE(config.ok());
  std::vector<std::string> locations;
  for (const auto& issue : config.problems().issues())
    locations.push_back(issue.location);
  EXPECT_THAT(locations,
              ::testing::IsSupersetOf({"/outbox/path", "/delivery/timeoutSeconds",
                                       "/delivery/retires", "/credentials/x/tokenFile",
                                       "/credentials/x/token", "/endpoints/0/baseUrl",
                                       "/endpoints/0/credentials", "/endpoints/0/municipalities/0",
                                       "/endpoints/1/id", "/routes/0/to", "/routes/1"}));
  // The secret itself is never repeated back.
  EXPECT_THAT(config.problems().to_json(), ::testing::Not(HasSubstr("s3cret")));
}

TEST(Config, NeedsEndpointsAndRoutes) {
  auto config = parse(R"({"outbox": {"path": "o.db"}})", "a.json");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.problems().to_json(), HasSubstr("non-empty array of endpoints"));
  EXPECT_THAT(config.problems().to_json(), HasSubstr("non-empty array of routing rules"));
}

TEST(Config, SecretsComeFromFilesOrTheEnvironment) {
  const auto folder = std::filesystem::temp_directory_path() / "config_test_secret";
  std::filesystem::create_directories(folder);
  const auto file = folder / "token";
  std::ofstream(file) << "  abc.def  \nsecond line ignored\n";
  auto from_file = read_secret({.file = file.string(), .environment = {}});
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(*from_file, "abc.def");

  ::setenv("CONFIG_TEST_TOKEN", "xyz", 1);
  auto from_environment = read_secret({.file = {}, .environment = "CONFIG_TEST_TOKEN"});
  ASSERT_TRUE(from_environment.ok());
  EXPECT_EQ(*from_environment, "xyz");

  auto missing = read_secret({.file = {}, .environment = "CONFIG_TEST_NOT_SET"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.problems().to_json(), HasSubstr("CONFIG_TEST_NOT_SET is not set"));
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace adapter::config
