#include "adapter/deliver/fhir_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "adapter/deliver/fake_server.h"
#include "adapter/deliver/test_pki.h"

namespace adapter::deliver {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::FakeServer;
using ::testing::HasSubstr;
using testing::RecordedRequest;
using testing::ScriptedResponse;

FhirResponse response_of(const FhirResult& result) {
  if (const auto* failure = std::get_if<FhirFailure>(&result)) {
    ADD_FAILURE() << "failure: " << failure->transport.message;
    return {};
  }
  return std::get<FhirResponse>(result);
}

FhirFailure failure_of(const FhirResult& result) {
  if (const auto* failure = std::get_if<FhirFailure>(&result)) return *failure;
  ADD_FAILURE() << "expected a failure, got HTTP " << std::get<FhirResponse>(result).status;
  return {};
}

ScriptedResponse fhir_json(int status, std::string body, Headers headers = {}) {
  headers.emplace_back("Content-Type", "application/fhir+json");
  return ScriptedResponse{status, std::move(headers), std::move(body)};
}

// One server, one client, one FhirClient on base "<server>/fhir".
struct Fixture {
  explicit Fixture(testing::Script script, Authorizer* authorizer = nullptr)
      : server(std::move(script)),
        http(make_curl_client({})),
        client(server.url() + "/fhir", *http, authorizer) {}
  FakeServer server;
  std::unique_ptr<HttpClient> http;
  FhirClient client;
};

TEST(FhirClient, SendsFhirHeadersAndAuthorization) {
  auto bearer = make_bearer_authorizer("static-token");
  Fixture fixture([](const RecordedRequest&) { return fhir_json(201, "{}"); }, bearer.get());
  const auto result = fixture.client.create("Patient", R"({"resourceType":"Patient"})");
  EXPECT_EQ(response_of(result).status, 201);

  const RecordedRequest request = fixture.server.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/fhir/Patient");
  EXPECT_EQ(request.header("accept"), "application/fhir+json");
  EXPECT_EQ(request.header("content-type"), "application/fhir+json; charset=utf-8");
  EXPECT_EQ(request.header("authorization"), "Bearer static-token");
  EXPECT_EQ(request.body, R"({"resourceType":"Patient"})");
}

TEST(FhirClient, NoAuthorizerNoAuthorizationHeaderAndNoContentTypeWithoutBody) {
  Fixture fixture([](const RecordedRequest&) { return fhir_json(200, "{}"); });
  EXPECT_EQ(response_of(fixture.client.capabilities()).status, 200);
  const RecordedRequest request = fixture.server.requests().at(0);
  EXPECT_EQ(request.target, "/fhir/metadata");
  EXPECT_EQ(request.header("authorization"), "");
  EXPECT_EQ(request.header("content-type"), "");
}

TEST(FhirClient, VersionIdComesFromTheETag) {
  Fixture fixture([](const RecordedRequest& request) {
    std::string etag = R"(W/"3")";
    if (request.target.ends_with("uuid")) etag = R"(W/"0b9d3c3e-8f7a-4c4e-9d55-0e5e1f0a7b21")";
    if (request.target.ends_with("strong")) etag = R"("strong-7")";
    return fhir_json(200, R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"body"}})",
                     {{"ETag", etag}});
  });
  EXPECT_EQ(response_of(fixture.client.read("Patient", "p1")).version_id, "3");
  EXPECT_EQ(response_of(fixture.client.read("Patient", "uuid")).version_id,
            "0b9d3c3e-8f7a-4c4e-9d55-0e5e1f0a7b21");
  EXPECT_EQ(response_of(fixture.client.read("Patient", "strong")).version_id, "strong-7");
  EXPECT_EQ(fixture.server.requests().at(0).target, "/fhir/Patient/p1");
}

TEST(FhirClient, VersionIdFallsBackToMetaVersionId) {
  Fixture fixture([](const RecordedRequest&) {
    return fhir_json(200, R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"12"}})");
  });
  EXPECT_EQ(response_of(fixture.client.read("Patient", "p1")).version_id, "12");
}

TEST(FhirClient, VreadAddressesTheHistory) {
  Fixture fixture([](const RecordedRequest&) { return fhir_json(200, "{}"); });
  EXPECT_EQ(response_of(fixture.client.vread("Patient", "p1", "2")).status, 200);
  EXPECT_EQ(fixture.server.requests().at(0).target, "/fhir/Patient/p1/_history/2");
}

TEST(FhirClient, TypeAndIdAreSinglePathSegments) {
  Fixture fixture([](const RecordedRequest&) { return fhir_json(404, "{}"); });
  EXPECT_EQ(response_of(fixture.client.read("Patient", "../Observation?x=1")).status, 404);
  EXPECT_EQ(fixture.server.requests().at(0).target, "/fhir/Patient/..%2FObservation%3Fx%3D1");
  EXPECT_TRUE(std::holds_alternative<FhirFailure>(fixture.client.read("Patient", "")));
}

TEST(FhirClient, CreateGivesLocationAndVersion) {
  Fixture fixture([](const RecordedRequest& request) {
    if (request.target == "/fhir/Patient") {
      return fhir_json(201, "",
                       {{"Location", "https://fhir.example.no/fhir/Patient/9/_history/1"},
                        {"ETag", R"(W/"1")"}});
    }
    return fhir_json(200, "", {{"Content-Location", "https://fhir.example.no/fhir/Task/4"}});
  });
  const FhirResponse created = response_of(fixture.client.create("Patient", "{}"));
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.location, "https://fhir.example.no/fhir/Patient/9/_history/1");
  EXPECT_EQ(created.version_id, "1");
  const FhirResponse other = response_of(fixture.client.create("Task", "{}"));
  EXPECT_EQ(other.location, "https://fhir.example.no/fhir/Task/4");
}

TEST(FhirClient, ConditionalCreateSendsIfNoneExist) {
  Fixture fixture([](const RecordedRequest&) { return fhir_json(200, "{}"); });
  const auto result = fixture.client.create_if_none_exist(
      "Patient", "{}", "identifier=urn:oid:2.16.578.1.12.4.1.4.1|13116900216");
  EXPECT_EQ(response_of(result).status, 200);
  const RecordedRequest request = fixture.server.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/fhir/Patient");
  EXPECT_EQ(request.header("if-none-exist"),
            "identifier=urn:oid:2.16.578.1.12.4.1.4.1|13116900216");
}

TEST(FhirClient, UpdateSendsIfMatchWithTheWeakETag) {
  Fixture fixture([](const RecordedRequest&) { return fhir_json(200, "{}"); });
  EXPECT_EQ(response_of(fixture.client.update("Patient", "p1", "{}", "7")).status, 200);
  EXPECT_EQ(response_of(fixture.client.update("Patient", "p1", "{}")).status, 200);
  const auto requests = fixture.server.requests();
  EXPECT_EQ(requests.at(0).method, "PUT");
  EXPECT_EQ(requests.at(0).target, "/fhir/Patient/p1");
  EXPECT_EQ(requests.at(0).header("if-match"), R"(W/"7")");
  EXPECT_EQ(requests.at(1).header("if-match"), "");
}

TEST(FhirClient, ConditionalUpdateTransactionAndBatchAddressing) {
  Fixture fixture([](const RecordedRequest&) { return fhir_json(200, "{}"); });
  EXPECT_EQ(response_of(fixture.client.conditional_update("Task", "identifier=s%7Cv", "{}")).status,
            200);
  EXPECT_EQ(response_of(fixture.client.transaction(R"({"resourceType":"Bundle"})")).status, 200);
  EXPECT_EQ(response_of(fixture.client.batch(R"({"resourceType":"Bundle"})")).status, 200);
  const auto requests = fixture.server.requests();
  EXPECT_EQ(requests.at(0).method, "PUT");
  EXPECT_EQ(requests.at(0).target, "/fhir/Task?identifier=s%7Cv");
  EXPECT_EQ(requests.at(1).method, "POST");
  EXPECT_EQ(requests.at(1).target, "/fhir");
  EXPECT_EQ(requests.at(2).target, "/fhir");
}

TEST(FhirClient, RefusesLineBreaksAndSpacesWithoutSending) {
  Fixture fixture([](const RecordedRequest&) { return fhir_json(200, "{}"); });
  EXPECT_EQ(failure_of(fixture.client.create_if_none_exist("Patient", "{}", "identifier=a\r\nX: y"))
                .transport.kind,
            TransportErrorKind::other);
  failure_of(fixture.client.conditional_update("Task", "identifier=a b", "{}"));
  EXPECT_TRUE(
      std::holds_alternative<FhirFailure>(fixture.client.search("Patient", "name=x\nHost: evil")));
  failure_of(fixture.client.send("GET", "Patient", {}, {{"X-Extra", "a\rb"}}));
  failure_of(fixture.client.update("Patient", "p1", "{}", "1\"\r\nX: y"));
  EXPECT_TRUE(fixture.server.requests().empty());
}

TEST(FhirClient, OperationOutcomeBecomesOneLinePerIssue) {
  Fixture fixture([](const RecordedRequest&) {
    return fhir_json(422, R"({"resourceType":"OperationOutcome","issue":[
      {"severity":"error","code":"processing","diagnostics":"Patient.name is required",
       "expression":["Patient.name"]},
      {"severity":"warning","code":"business-rule","details":{"text":"unknown code"},
       "location":["/f:Patient/f:gender"]},
      {"severity":"error","code":"invalid","details":{"coding":[{"code":"MSG_BAD"}]}}]})");
  });
  const FhirResponse response = response_of(fixture.client.create("Patient", "{}"));
  EXPECT_EQ(response.status, 422);
  EXPECT_THAT(response.outcome_lines,
              ElementsAre("error processing: Patient.name is required (Patient.name)",
                          "warning business-rule: unknown code (/f:Patient/f:gender)",
                          "error invalid: MSG_BAD"));
}

TEST(FhirClient, RetryAfterOnTooManyRequestsAndUnavailable) {
  Fixture fixture([](const RecordedRequest& request) {
    const int status = request.target.ends_with("busy") ? 503 : 429;
    return fhir_json(status, "{}", {{"Retry-After", "7"}});
  });
  EXPECT_EQ(response_of(fixture.client.read("Patient", "busy")).retry_after, 7'000ms);
  EXPECT_EQ(response_of(fixture.client.read("Patient", "limited")).retry_after, 7'000ms);
}

std::string bundle_page(int page, const std::string& next) {
  std::string links = R"([{"relation":"self","url":"x"})";
  if (!next.empty()) links += R"(,{"relation":"next","url":")" + next + R"("})";
  links += "]";
  return R"({"resourceType":"Bundle","type":"searchset","link":)" + links +
         R"(,"entry":[{"resource":{"resourceType":"Patient","id":"p)" + std::to_string(page) +
         R"("}}]})";
}

TEST(FhirClient, SearchFollowsNextLinksAcrossPages) {
  auto bearer = make_bearer_authorizer("paging-token");
  Fixture fixture(
      [](const RecordedRequest& request) {
        const std::string base = "http://" + request.header("host");
        if (request.target == "/fhir/Patient?name=ola") {
          return fhir_json(200, bundle_page(1, base + "/fhir?_getpages=abc&_page=2"));
        }
        if (request.target == "/fhir?_getpages=abc&_page=2") {
          return fhir_json(200, bundle_page(2, base + "/fhir?_getpages=abc&_page=3"));
        }
        return fhir_json(200, bundle_page(3, ""));
      },
      bearer.get());
  const auto result = fixture.client.search("Patient", "name=ola");
  ASSERT_TRUE(std::holds_alternative<std::vector<FhirResponse>>(result));
  const auto& pages = std::get<std::vector<FhirResponse>>(result);
  ASSERT_EQ(pages.size(), 3U);
  EXPECT_THAT(pages[2].body, HasSubstr(R"("id":"p3")"));
  const auto requests = fixture.server.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[2].target, "/fhir?_getpages=abc&_page=3");
  for (const auto& request : requests) {
    EXPECT_EQ(request.header("authorization"), "Bearer paging-token");
  }
}

TEST(FhirClient, SearchStopsAtMaxPages) {
  Fixture fixture([](const RecordedRequest& request) {
    return fhir_json(
        200, bundle_page(1, "http://" + request.header("host") +
                                "/fhir/Patient?page=" + std::to_string(request.target.size())));
  });
  const auto result = fixture.client.search("Patient", "", 2);
  ASSERT_TRUE(std::holds_alternative<std::vector<FhirResponse>>(result));
  EXPECT_EQ(std::get<std::vector<FhirResponse>>(result).size(), 2U);
  EXPECT_EQ(fixture.server.requests().size(), 2U);
  EXPECT_EQ(fixture.server.requests().at(0).target, "/fhir/Patient");
}

TEST(FhirClient, SearchRefusesANextLinkToAnotherServer) {
  FakeServer elsewhere([](const RecordedRequest&) { return fhir_json(200, bundle_page(2, "")); });
  auto bearer = make_bearer_authorizer("do-not-leak");
  const std::string foreign = elsewhere.url();
  Fixture fixture(
      [&foreign](const RecordedRequest&) {
        return fhir_json(200, bundle_page(1, foreign + "/fhir?page=2"));
      },
      bearer.get());
  const FhirFailure failure = failure_of([&] {
    auto result = fixture.client.search("Patient", "name=ola");
    if (auto* pages = std::get_if<std::vector<FhirResponse>>(&result)) {
      return FhirResult(pages->front());
    }
    return FhirResult(std::get<FhirFailure>(result));
  }());
  EXPECT_THAT(failure.transport.message, HasSubstr("next link"));
  EXPECT_THAT(failure.transport.message, HasSubstr(foreign.substr(foreign.rfind(':'))));
  EXPECT_TRUE(elsewhere.requests().empty()) << "our token never went to the other server";

  // A user-info trick is refused as well.
  Fixture tricky([](const RecordedRequest&) {
    return fhir_json(200, bundle_page(1, "http://127.0.0.1@evil.example/fhir?page=2"));
  });
  EXPECT_TRUE(std::holds_alternative<FhirFailure>(tricky.client.search("Patient", "")));
}

TEST(FhirClient, SearchEndsWithAFailingPage) {
  Fixture fixture([](const RecordedRequest& request) {
    if (request.target == "/fhir/Patient?name=x") {
      // The scheme in capitals: still the same server.
      return fhir_json(200,
                       bundle_page(1, "HTTP://" + request.header("host") + "/fhir/Patient?page=2"));
    }
    return fhir_json(500, R"({"resourceType":"OperationOutcome","issue":[
      {"severity":"fatal","code":"exception","diagnostics":"database down"}]})");
  });
  const auto result = fixture.client.search("Patient", "name=x");
  ASSERT_TRUE(std::holds_alternative<std::vector<FhirResponse>>(result));
  const auto& pages = std::get<std::vector<FhirResponse>>(result);
  ASSERT_EQ(pages.size(), 2U);
  EXPECT_EQ(pages[1].status, 500);
  EXPECT_THAT(pages[1].outcome_lines, ElementsAre("fatal exception: database down"));
}

TEST(FhirClient, TransportFailureIsNotAnAuthFailure) {
  auto http = make_curl_client({});
  FhirClient client("http://127.0.0.1:" + std::to_string(testing::unused_port()) + "/fhir", *http,
                    nullptr);
  const FhirFailure failure = failure_of(client.read("Patient", "p1"));
  EXPECT_EQ(failure.transport.kind, TransportErrorKind::connect);
  EXPECT_FALSE(failure.auth);
}

// -- SMART and 401 -----------------------------------------------------------------------------

const testing::Pkey& rsa_key() {
  static const testing::Pkey key = testing::generate_rsa_key(2048);
  return key;
}

// One fake server playing both token endpoint (/token, token-1, token-2, …) and FHIR server
// (/fhir/..., which accepts only the tokens in `accepted`).
struct SmartFixture {
  explicit SmartFixture(std::set<std::string> accepted_tokens)
      : accepted(std::move(accepted_tokens)),
        server([this](const RecordedRequest& request) {
          if (request.target == "/token") {
            ++tokens_issued;
            return ScriptedResponse{200,
                                    {{"Content-Type", "application/json"}},
                                    R"({"access_token":"token-)" + std::to_string(tokens_issued) +
                                        R"(","token_type":"Bearer","expires_in":3600})"};
          }
          ++fhir_requests;
          const std::string authorization = request.header("authorization");
          if (!accepted.contains(authorization)) return fhir_json(401, "{}");
          return fhir_json(200, R"({"resourceType":"Patient","id":"p1"})");
        }),
        http(make_curl_client({})) {
    SmartBackendOptions options;
    options.token_url = server.url() + "/token";
    options.client_id = "tsb-adapter";
    options.scope = "system/Patient.read";
    options.private_key_pem = testing::private_key_pem(rsa_key().get());
    auto made = make_smart_backend_authorizer(options, *http);
    if (made) authorizer = std::move(made).value();
    client = std::make_unique<FhirClient>(server.url() + "/fhir", *http, authorizer.get());
  }

  std::set<std::string> accepted;
  int tokens_issued = 0;  // both counters only change under the server's lock
  int fhir_requests = 0;
  FakeServer server;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<Authorizer> authorizer;
  std::unique_ptr<FhirClient> client;
};

TEST(FhirClientSmart, UnauthorizedTriggersOneRefreshAndOneResend) {
  SmartFixture fixture({"Bearer token-2"});  // token-1 has been revoked
  ASSERT_NE(fixture.authorizer, nullptr);
  const FhirResponse response = response_of(fixture.client->read("Patient", "p1"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(fixture.server.requests().size(), 4U);  // token, 401, token, 200
  const auto requests = fixture.server.requests();
  EXPECT_EQ(requests[1].header("authorization"), "Bearer token-1");
  EXPECT_EQ(requests[3].header("authorization"), "Bearer token-2");

  // The new token is cached for what follows.
  EXPECT_EQ(response_of(fixture.client->read("Patient", "p1")).status, 200);
  EXPECT_EQ(fixture.server.requests().size(), 5U);
}

TEST(FhirClientSmart, PersistentUnauthorizedIsReturnedAfterOneRetry) {
  SmartFixture fixture({});  // no token is ever good enough
  ASSERT_NE(fixture.authorizer, nullptr);
  const FhirResponse response = response_of(fixture.client->read("Patient", "p1"));
  EXPECT_EQ(response.status, 401);
  const auto requests = fixture.server.requests();
  ASSERT_EQ(requests.size(), 4U);  // token, 401, token, 401: no loop
  EXPECT_EQ(requests[0].target, "/token");
  EXPECT_EQ(requests[2].target, "/token");
}

TEST(FhirClientSmart, TokenFailureIsAnAuthFailure) {
  FakeServer server([](const RecordedRequest& request) {
    if (request.target == "/token") {
      return ScriptedResponse{401, {}, R"({"error":"invalid_client"})"};
    }
    return fhir_json(200, "{}");
  });
  auto http = make_curl_client({});
  SmartBackendOptions options;
  options.token_url = server.url() + "/token";
  options.client_id = "tsb-adapter";
  options.private_key_pem = testing::private_key_pem(rsa_key().get());
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer);
  FhirClient client(server.url() + "/fhir", *http, authorizer->get());
  const FhirFailure failure = failure_of(client.read("Patient", "p1"));
  EXPECT_TRUE(failure.auth);
  EXPECT_THAT(failure.transport.message, HasSubstr("invalid_client"));
  EXPECT_EQ(server.requests().size(), 1U) << "nothing sent to the FHIR server without a token";
}

}  // namespace
}  // namespace adapter::deliver
