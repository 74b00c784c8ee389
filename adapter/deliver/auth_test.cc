#include "adapter/deliver/auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>

#include "adapter/deliver/base64url.h"
#include "adapter/deliver/fake_server.h"
#include "adapter/deliver/test_pki.h"

namespace adapter::deliver {
namespace {

using namespace std::chrono_literals;
using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RecordedRequest;
using testing::ScriptedResponse;

// Keys are slow to make: once per binary.
const testing::Pkey& rsa_key() {
  static const testing::Pkey key = testing::generate_rsa_key(2048);
  return key;
}
const testing::Pkey& p384_key() {
  static const testing::Pkey key = testing::generate_ec_key("P-384");
  return key;
}

struct Jwt {
  rapidjson::Document header;
  rapidjson::Document claims;
  std::size_t signature_bytes = 0;
};

Jwt decode(const std::string& jws) {
  Jwt jwt;
  const std::size_t first = jws.find('.');
  const std::size_t last = jws.rfind('.');
  EXPECT_NE(first, last) << "three parts";
  const auto header = base64url_decode(jws.substr(0, first));
  const auto claims = base64url_decode(jws.substr(first + 1, last - first - 1));
  const auto signature = base64url_decode(jws.substr(last + 1));
  EXPECT_TRUE(header && claims && signature);
  EXPECT_EQ(jws.find('='), std::string::npos) << "no base64 padding";
  if (header) jwt.header.Parse(header->data(), header->size());
  if (claims) jwt.claims.Parse(claims->data(), claims->size());
  if (signature) jwt.signature_bytes = signature->size();
  EXPECT_TRUE(jwt.header.IsObject() && jwt.claims.IsObject());
  return jwt;
}

std::string member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject() || !object.HasMember(name) || !object[name].IsString()) return "<absent>";
  return object[name].GetString();
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> form_fields(std::string_view body) {
  std::map<std::string, std::string> fields;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const std::size_t eq = pair.find('=');
    fields[percent_decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
  }
  return fields;
}

std::string message_of(const fhir::Outcome& outcome) {
  std::string message;
  for (const auto& issue : outcome.issues())
    message += issue.message + "\n";
  return message;
}

SmartBackendOptions smart_options(JwtAlgorithm algorithm = JwtAlgorithm::rs384) {
  SmartBackendOptions options;
  options.token_url = "https://auth.example.no/token";
  options.client_id = "tsb-adapter";
  options.scope = "system/*.write system/*.read";
  options.algorithm = algorithm;
  options.private_key_pem = testing::private_key_pem(
      algorithm == JwtAlgorithm::rs384 ? rsa_key().get() : p384_key().get());
  options.key_id = "key-2024";
  return options;
}

// -- static bearer -----------------------------------------------------------------------------

TEST(BearerAuthorizer, GivesTheBearerHeaderValue) {
  auto authorizer = make_bearer_authorizer("abc.def");
  EXPECT_EQ(authorizer->authorization(false).value(), "Bearer abc.def");
  EXPECT_EQ(authorizer->authorization(true).value(), "Bearer abc.def");
}

TEST(BearerAuthorizer, RefusesTokensThatWouldBreakTheHeader) {
  EXPECT_FALSE(make_bearer_authorizer("abc\r\nX-Evil: 1")->authorization(false));
  EXPECT_FALSE(make_bearer_authorizer("")->authorization(false));
}

// -- client assertion --------------------------------------------------------------------------

TEST(ClientAssertion, Rs384VerifiesWithThePublicKeyAndCarriesTheClaims) {
  const auto now = std::chrono::system_clock::time_point(1'700'000'000s);
  const auto jws = sign_client_assertion(smart_options(), now);
  ASSERT_TRUE(jws) << message_of(jws.problems());

  const auto public_key = testing::read_public_key_pem(testing::public_key_pem(rsa_key().get()));
  EXPECT_TRUE(testing::verify_jws(*jws, public_key.get(), false));
  std::string tampered = *jws;
  char& claim_character = tampered[tampered.find('.') + 2];
  claim_character = claim_character == 'A' ? 'B' : 'A';
  EXPECT_FALSE(testing::verify_jws(tampered, public_key.get(), false));

  const Jwt jwt = decode(*jws);
  EXPECT_EQ(member(jwt.header, "alg"), "RS384");
  EXPECT_EQ(member(jwt.header, "typ"), "JWT");
  EXPECT_EQ(member(jwt.header, "kid"), "key-2024");
  EXPECT_EQ(member(jwt.claims, "iss"), "tsb-adapter");
  EXPECT_EQ(member(jwt.claims, "sub"), "tsb-adapter");
  EXPECT_EQ(member(jwt.claims, "aud"), "https://auth.example.no/token");
  ASSERT_TRUE(jwt.claims["iat"].IsInt64() && jwt.claims["exp"].IsInt64());
  EXPECT_EQ(jwt.claims["iat"].GetInt64(), 1'700'000'000);
  EXPECT_EQ(jwt.claims["exp"].GetInt64(), 1'700'000'300) << "five minutes at most";
  const std::string jti = member(jwt.claims, "jti");
  EXPECT_EQ(jti.size(), 32U);
  EXPECT_EQ(jti.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(jwt.signature_bytes, 256U);
}

TEST(ClientAssertion, Es384SignatureIsJoseAndVerifies) {
  const auto options = smart_options(JwtAlgorithm::es384);
  const auto public_key = testing::read_public_key_pem(testing::public_key_pem(p384_key().get()));
  // ECDSA signatures vary in DER length; several runs exercise the left padding of r and s.
  for (int i = 0; i < 20; ++i) {
    const auto jws = sign_client_assertion(options, std::chrono::system_clock::now());
    ASSERT_TRUE(jws) << message_of(jws.problems());
    const Jwt jwt = decode(*jws);
    EXPECT_EQ(member(jwt.header, "alg"), "ES384");
    EXPECT_EQ(jwt.signature_bytes, 96U);
    EXPECT_TRUE(testing::verify_jws(*jws, public_key.get(), true));
  }
}

TEST(ClientAssertion, EveryAssertionHasItsOwnJti) {
  std::set<std::string> seen;
  for (int i = 0; i < 10; ++i) {
    const auto jws = sign_client_assertion(smart_options(), std::chrono::system_clock::now());
    ASSERT_TRUE(jws);
    EXPECT_TRUE(seen.insert(member(decode(*jws).claims, "jti")).second);
  }
}

TEST(ClientAssertion, KidIsLeftOutWhenEmpty) {
  SmartBackendOptions options = smart_options();
  options.key_id.clear();
  const auto jws = sign_client_assertion(options, std::chrono::system_clock::now());
  ASSERT_TRUE(jws);
  EXPECT_FALSE(decode(*jws).header.HasMember("kid"));
}

TEST(ClientAssertion, KeyMustFitTheAlgorithm) {
  const auto refused = [](SmartBackendOptions options, const std::string& expected) {
    const auto jws = sign_client_assertion(options, std::chrono::system_clock::now());
    ASSERT_FALSE(jws);
    const std::string message = message_of(jws.problems());
    EXPECT_THAT(message, HasSubstr(expected));
    EXPECT_THAT(message, Not(HasSubstr("PRIVATE KEY"))) << "the key is never quoted";
  };
  SmartBackendOptions options = smart_options(JwtAlgorithm::rs384);
  options.private_key_pem = testing::private_key_pem(p384_key().get());
  refused(options, "RSA");

  options = smart_options(JwtAlgorithm::es384);
  options.private_key_pem = testing::private_key_pem(rsa_key().get());
  refused(options, "P-384");

  const auto p256 = testing::generate_ec_key("P-256");
  options.private_key_pem = testing::private_key_pem(p256.get());
  refused(options, "P-384");

  const auto small_rsa = testing::generate_rsa_key(1024);
  options = smart_options(JwtAlgorithm::rs384);
  options.private_key_pem = testing::private_key_pem(small_rsa.get());
  refused(options, "2048");

  options.private_key_pem =
      "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
  refused(options, "PEM");

  options.private_key_pem = testing::private_key_pem(rsa_key().get(), "a password");
  refused(options, "PEM");
}

// -- token requests ----------------------------------------------------------------------------

// A token endpoint handing out token-1, token-2, …, each valid for `lifetime` seconds.
class TokenEndpoint {
 public:
  explicit TokenEndpoint(int lifetime = 3600)
      : server_([this, lifetime](const RecordedRequest&) {
          ++issued_;
          return ScriptedResponse{200,
                                  {{"Content-Type", "application/json"}},
                                  R"({"access_token":"token-)" + std::to_string(issued_) +
                                      R"(","token_type":"bearer","expires_in":)" +
                                      std::to_string(lifetime) + R"(,"scope":"system/*.read"})"};
        }) {}

  std::string url() const { return server_.url() + "/token"; }
  const FakeServer& server() const { return server_; }

 private:
  int issued_ = 0;  // only touched under the server's lock
  FakeServer server_;
};

struct FakeClock {
  std::chrono::system_clock::time_point now{1'700'000'000s};
  std::function<std::chrono::system_clock::time_point()> function() {
    return [this] { return now; };
  }
};

TEST(SmartBackend, PostsAFormEncodedClientCredentialsRequest) {
  TokenEndpoint endpoint;
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options();
  options.token_url = endpoint.url();
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer) << message_of(authorizer.problems());
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-1");

  const auto requests = endpoint.server().requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/token");
  EXPECT_EQ(requests[0].header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_THAT(requests[0].body,
              HasSubstr("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-"
                        "type%3Ajwt-bearer"));
  auto fields = form_fields(requests[0].body);
  EXPECT_EQ(fields["grant_type"], "client_credentials");
  EXPECT_EQ(fields["scope"], "system/*.write system/*.read");
  const std::string assertion = fields["client_assertion"];
  const auto public_key = testing::read_public_key_pem(testing::public_key_pem(rsa_key().get()));
  EXPECT_TRUE(testing::verify_jws(assertion, public_key.get(), false));
  EXPECT_EQ(member(decode(assertion).claims, "aud"), endpoint.url());
}

TEST(SmartBackend, Es384AssertionReachesTheEndpointAndVerifies) {
  TokenEndpoint endpoint;
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options(JwtAlgorithm::es384);
  options.token_url = endpoint.url();
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer) << message_of(authorizer.problems());
  ASSERT_TRUE((*authorizer)->authorization(false));
  const auto public_key = testing::read_public_key_pem(testing::public_key_pem(p384_key().get()));
  const std::string assertion =
      form_fields(endpoint.server().requests().at(0).body)["client_assertion"];
  EXPECT_TRUE(testing::verify_jws(assertion, public_key.get(), true));
}

TEST(SmartBackend, CachesTheTokenUntilShortlyBeforeItExpires) {
  TokenEndpoint endpoint(600);
  FakeClock clock;
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options();
  options.token_url = endpoint.url();
  options.clock = clock.function();
  options.renew_before = 60s;
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer);

  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-1");
  }
  EXPECT_EQ(endpoint.server().requests().size(), 1U) << "one token request for five uses";

  clock.now += 539s;  // 61 s left
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-1");
  clock.now += 1s;  // 60 s left: renew
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-2");
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-2");
  EXPECT_EQ(endpoint.server().requests().size(), 2U);

  // The assertion's iat follows the (fake) clock too.
  const std::string assertion =
      form_fields(endpoint.server().requests().at(1).body)["client_assertion"];
  EXPECT_EQ(decode(assertion).claims["iat"].GetInt64(), 1'700'000'540);
}

TEST(SmartBackend, ShortLivedTokensAreStillUsed) {
  TokenEndpoint endpoint(30);  // shorter than renew_before
  FakeClock clock;
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options();
  options.token_url = endpoint.url();
  options.clock = clock.function();
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer);
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-1");
  clock.now += 10s;
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-1");
  clock.now += 5s;  // half the lifetime gone
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-2");
}

TEST(SmartBackend, RefreshForcesANewToken) {
  TokenEndpoint endpoint;
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options();
  options.token_url = endpoint.url();
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer);
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-1");
  EXPECT_EQ((*authorizer)->authorization(true).value(), "Bearer token-2");
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer token-2");
  EXPECT_EQ(endpoint.server().requests().size(), 2U);
}

TEST(SmartBackend, TokenTypeIsCaseInsensitiveAndExpiresInMayBeAString) {
  FakeServer server([](const RecordedRequest&) {
    return ScriptedResponse{
        200, {}, R"({"access_token":"abc","token_type":"BEARER","expires_in":"120"})"};
  });
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options();
  options.token_url = server.url() + "/token";
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer);
  EXPECT_EQ((*authorizer)->authorization(false).value(), "Bearer abc");
}

TEST(SmartBackend, RefusalNamesStatusAndServerErrorButNoSecrets) {
  // A careless server that echoes the assertion back in its description: whole, cut short
  // and glued to other text.
  FakeServer server([](const RecordedRequest& request) {
    const std::string assertion = form_fields(request.body)["client_assertion"];
    return ScriptedResponse{400,
                            {{"Content-Type", "application/json"}},
                            R"({"error":"invalid_client","error_description":"bad assertion )" +
                                assertion + " prefix " + assertion.substr(0, 150) + " glued xyz" +
                                assertion.substr(assertion.size() - 40) + R"("})"};
  });
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options();
  options.token_url = server.url() + "/token";
  const std::string key_pem = options.private_key_pem;
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer);
  const auto result = (*authorizer)->authorization(false);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.problems().issues().at(0).type, fhir::IssueType::security);

  const std::string message = message_of(result.problems());
  EXPECT_THAT(message, HasSubstr("400"));
  EXPECT_THAT(message, HasSubstr("invalid_client"));
  EXPECT_THAT(message, HasSubstr("bad assertion"));
  const std::string assertion = form_fields(server.requests().at(0).body)["client_assertion"];
  ASSERT_FALSE(assertion.empty());
  EXPECT_THAT(message, Not(HasSubstr(assertion)));
  EXPECT_THAT(message, Not(HasSubstr(assertion.substr(assertion.rfind('.') + 1))));
  EXPECT_THAT(message, Not(HasSubstr(assertion.substr(0, assertion.find('.')))));
  EXPECT_THAT(message, Not(HasSubstr(assertion.substr(0, 20))));
  EXPECT_THAT(message, Not(HasSubstr(assertion.substr(assertion.size() - 20))));
  const std::size_t claims = assertion.find('.') + 1;
  EXPECT_THAT(message, Not(HasSubstr(assertion.substr(claims, 20))));
  EXPECT_THAT(message, Not(HasSubstr("PRIVATE KEY")));
  EXPECT_THAT(message, Not(HasSubstr(key_pem.substr(40, 40))));
}

TEST(SmartBackend, UnreadableAnswersAreErrorsThatDoNotQuoteTheBody) {
  for (const std::string& body :
       {std::string("not json token-in-here"),
        std::string(R"({"token_type":"bearer","expires_in":60})"),
        std::string(R"({"access_token":"token-in-here","token_type":"mac","expires_in":60})"),
        std::string(R"({"access_token":"token-in-here","token_type":"bearer","expires_in":-1})")}) {
    FakeServer server([body](const RecordedRequest&) { return ScriptedResponse{200, {}, body}; });
    auto http = make_curl_client({});
    SmartBackendOptions options = smart_options();
    options.token_url = server.url() + "/token";
    auto authorizer = make_smart_backend_authorizer(options, *http);
    ASSERT_TRUE(authorizer);
    const auto result = (*authorizer)->authorization(false);
    ASSERT_FALSE(result) << body;
    EXPECT_THAT(message_of(result.problems()), Not(HasSubstr("token-in-here"))) << body;
  }
}

TEST(SmartBackend, TransportFailureIsATransientError) {
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options();
  options.token_url = "http://127.0.0.1:" + std::to_string(testing::unused_port()) + "/token";
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer);
  const auto result = (*authorizer)->authorization(false);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.problems().issues().at(0).type, fhir::IssueType::exception);
  EXPECT_THAT(message_of(result.problems()), HasSubstr("token request"));
}

TEST(SmartBackend, ServerErrorIsTransient) {
  FakeServer server([](const RecordedRequest&) { return ScriptedResponse{503, {}, "busy"}; });
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options();
  options.token_url = server.url() + "/token";
  auto authorizer = make_smart_backend_authorizer(options, *http);
  ASSERT_TRUE(authorizer);
  const auto result = (*authorizer)->authorization(false);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.problems().issues().at(0).type, fhir::IssueType::exception);
  EXPECT_THAT(message_of(result.problems()), HasSubstr("503"));
}

TEST(SmartBackend, ConfigurationIsCheckedUpFront) {
  auto http = make_curl_client({});
  SmartBackendOptions options = smart_options();
  options.token_url = "http://auth.example.no/token";
  EXPECT_FALSE(make_smart_backend_authorizer(options, *http)) << "clear-text token endpoint";
  options.token_url = "not a url";
  EXPECT_FALSE(make_smart_backend_authorizer(options, *http));
  options = smart_options();
  options.client_id.clear();
  EXPECT_FALSE(make_smart_backend_authorizer(options, *http));
  options = smart_options();
  options.private_key_pem = testing::private_key_pem(p384_key().get());  // RS384 needs RSA
  EXPECT_FALSE(make_smart_backend_authorizer(options, *http));
  EXPECT_TRUE(make_smart_backend_authorizer(smart_options(), *http));
}

}  // namespace
}  // namespace adapter::deliver
