#include "adapter/deliver/http.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "adapter/deliver/fake_server.h"
#include "adapter/deliver/response_headers.h"
#include "adapter/deliver/test_pki.h"
#include "adapter/deliver/text.h"

namespace adapter::deliver {
namespace {

using namespace std::chrono_literals;
using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RecordedRequest;
using testing::ScriptedResponse;

const HttpResponse& response_of(const HttpResult& result) {
  if (const auto* failure = std::get_if<TransportError>(&result)) {
    ADD_FAILURE() << "transport error: " << failure->message;
    static const HttpResponse kNone;
    return kNone;
  }
  return std::get<HttpResponse>(result);
}

TransportError error_of(const HttpResult& result) {
  if (const auto* failure = std::get_if<TransportError>(&result)) return *failure;
  ADD_FAILURE() << "expected a transport error, got HTTP " << std::get<HttpResponse>(result).status;
  return {};
}

HttpOptions quick_options() {
  HttpOptions options;
  options.connect_timeout = 2s;
  options.timeout = 5s;
  return options;
}

ScriptedResponse ok(std::string body = "hello") {
  return ScriptedResponse{200, {{"Content-Type", "text/plain"}}, std::move(body)};
}

// TLS material is slow to make: once for the whole binary.
const testing::TestPki& pki() {
  static const testing::TestPki instance;
  return instance;
}

TEST(CurlClient, GetRoundTripSendsHeadersAndReadsTheResponse) {
  FakeServer server([](const RecordedRequest&) {
    return ScriptedResponse{200, {{"X-Answer", "42"}, {"Content-Type", "text/plain"}}, "hello"};
  });
  auto client = make_curl_client(quick_options());
  const HttpResult result =
      client->send({"GET", server.url() + "/fhir/Patient?name=x", {{"X-Trace", "abc"}}, {}});

  const HttpResponse& response = response_of(result);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  EXPECT_EQ(response.header("X-ANSWER"), "42");
  EXPECT_EQ(response.header("content-type"), "text/plain");
  for (const auto& [name, value] : response.headers) {
    EXPECT_EQ(name, text::to_lower(name)) << "header names are lower case";
  }
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/fhir/Patient?name=x");
  EXPECT_EQ(requests[0].header("x-trace"), "abc");
  EXPECT_EQ(requests[0].header("user-agent"), "tsb-fhir-adapter");
  EXPECT_THAT(requests[0].header("accept-encoding"), HasSubstr("gzip"));
}

TEST(CurlClient, PostPutAndDeleteCarryMethodAndBody) {
  FakeServer server([](const RecordedRequest& request) {
    return ScriptedResponse{request.method == "POST" ? 201 : 200, {}, "got " + request.body};
  });
  auto client = make_curl_client(quick_options());
  const HttpResult posted = client->send(
      {"POST", server.url() + "/x", {{"Content-Type", "application/json"}}, R"({"a":1})"});
  EXPECT_EQ(response_of(posted).status, 201);
  EXPECT_EQ(response_of(posted).body, R"(got {"a":1})");
  const HttpResult put = client->send({"PUT", server.url() + "/x/1", {}, "new"});
  EXPECT_EQ(response_of(put).body, "got new");
  const HttpResult deleted = client->send({"DELETE", server.url() + "/x/1", {}, {}});
  EXPECT_EQ(response_of(deleted).status, 200);

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(requests[0].body, R"({"a":1})");
  EXPECT_EQ(requests[0].header("expect"), "") << "no 100-continue round trip unless asked";
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[1].body, "new");
  EXPECT_EQ(requests[2].method, "DELETE");
  EXPECT_EQ(requests[2].body, "");
}

TEST(CurlClient, ReusesOneConnectionForSeveralRequests) {
  FakeServer server([](const RecordedRequest&) { return ok(); });
  auto client = make_curl_client(quick_options());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(response_of(client->send({"GET", server.url() + "/ping", {}, {}})).status, 200);
  }
  EXPECT_EQ(server.requests().size(), 4U);
  EXPECT_EQ(server.connections(), 1U);
}

TEST(CurlClient, InterimContinueAnswerIsNotPartOfTheResponse) {
  FakeServer server([](const RecordedRequest& request) {
    return ScriptedResponse{201, {{"Location", "/x/1"}}, "stored " + request.body};
  });
  auto client = make_curl_client(quick_options());
  const HttpResult result = client->send(
      {"POST", server.url() + "/x", {{"Expect", "100-continue"}}, std::string(2000, 'b')});
  const HttpResponse& response = response_of(result);
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.header("location"), "/x/1");
  EXPECT_EQ(server.requests().at(0).header("expect"), "100-continue");
}

TEST(ResponseHeaderCollector, KeepsOnlyTheFinalAnswersHeaders) {
  ResponseHeaderCollector collector;
  collector.add_line("HTTP/1.1 100 Continue\r\n");
  collector.add_line("X-Interim: yes\r\n");
  collector.add_line("\r\n");
  collector.add_line("HTTP/1.1 200 OK\r\n");
  collector.add_line("Content-Type:  application/fhir+json \r\n");
  collector.add_line("X-Folded: first\r\n");
  collector.add_line("\t second\r\n");
  collector.add_line("not a header line\r\n");
  collector.add_line("\r\n");
  const Headers expected = {{"content-type", "application/fhir+json"},
                            {"x-folded", "first second"}};
  EXPECT_EQ(collector.headers(), expected);
}

TEST(CurlClient, RefusedConnectionIsAConnectError) {
  auto client = make_curl_client(quick_options());
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::unused_port()) + "/x";
  const TransportError failure = error_of(client->send({"GET", url, {}, {}}));
  EXPECT_EQ(failure.kind, TransportErrorKind::connect);
  EXPECT_FALSE(failure.message.empty());
}

TEST(CurlClient, SlowServerIsATimeoutAndTheMessageHoldsNoSecrets) {
  FakeServer server([](const RecordedRequest&) {
    ScriptedResponse answer = ok();
    answer.delay = 5s;  // cut short when the server stops
    return answer;
  });
  HttpOptions options = quick_options();
  options.timeout = 300ms;
  auto client = make_curl_client(options);
  const auto started = std::chrono::steady_clock::now();
  const TransportError failure = error_of(client->send(
      {"POST", server.url() + "/x", {{"Authorization", "Bearer top-secret-token"}}, "patient"}));
  EXPECT_EQ(failure.kind, TransportErrorKind::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_THAT(failure.message, Not(HasSubstr("top-secret-token")));
  EXPECT_THAT(failure.message, Not(HasSubstr("patient")));
}

TEST(CurlClient, ResponseAboveTheLimitIsTooLarge) {
  FakeServer server([](const RecordedRequest&) { return ok(std::string(10'000, 'x')); });
  HttpOptions options = quick_options();
  options.max_response_bytes = 1'000;
  auto client = make_curl_client(options);
  EXPECT_EQ(error_of(client->send({"GET", server.url() + "/big", {}, {}})).kind,
            TransportErrorKind::too_large);
  options.max_response_bytes = 10'000;  // exactly the size is allowed
  auto roomy = make_curl_client(options);
  EXPECT_EQ(response_of(roomy->send({"GET", server.url() + "/big", {}, {}})).body.size(), 10'000U);
}

TEST(CurlClient, DecodesGzipAndBoundsTheDecodedSize) {
  FakeServer server([](const RecordedRequest& request) {
    ScriptedResponse answer = ok(request.target == "/bomb" ? std::string(100'000, 'a') : "small");
    answer.gzip = true;
    return answer;
  });
  HttpOptions options = quick_options();
  options.max_response_bytes = 1'000;
  auto client = make_curl_client(options);
  EXPECT_EQ(response_of(client->send({"GET", server.url() + "/small", {}, {}})).body, "small");
  // A few hundred compressed bytes that expand beyond the limit.
  EXPECT_EQ(error_of(client->send({"GET", server.url() + "/bomb", {}, {}})).kind,
            TransportErrorKind::too_large);
}

TEST(CurlClient, RedirectsAreReturnedNotFollowed) {
  FakeServer server([](const RecordedRequest&) {
    return ScriptedResponse{302, {{"Location", "http://127.0.0.1:1/elsewhere"}}, ""};
  });
  auto client = make_curl_client(quick_options());
  const HttpResult result = client->send({"GET", server.url() + "/x", {}, {}});
  EXPECT_EQ(response_of(result).status, 302);
  EXPECT_EQ(response_of(result).header("location"), "http://127.0.0.1:1/elsewhere");
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST(CurlClient, RefusesHeaderAndUrlInjectionWithoutSending) {
  FakeServer server([](const RecordedRequest&) { return ok(); });
  auto client = make_curl_client(quick_options());
  EXPECT_EQ(error_of(client->send({"GET", server.url() + "/x", {{"X-A", "1\r\nX-B: 2"}}, {}})).kind,
            TransportErrorKind::other);
  EXPECT_EQ(error_of(client->send({"GET", server.url() + "/x", {{"X A", "1"}}, {}})).kind,
            TransportErrorKind::other);
  EXPECT_EQ(error_of(client->send({"GET", server.url() + "/x HTTP/1.1\r\nX: y", {}, {}})).kind,
            TransportErrorKind::other);
  EXPECT_EQ(error_of(client->send({"G\nET", server.url() + "/x", {}, {}})).kind,
            TransportErrorKind::other);
  EXPECT_TRUE(server.requests().empty());
}

TEST(CurlClient, OnlyHttpAndHttpsAreSpoken) {
  auto client = make_curl_client(quick_options());
  const TransportError failure = error_of(client->send({"GET", "file:///etc/passwd", {}, {}}));
  EXPECT_EQ(failure.kind, TransportErrorKind::other);
}

// -- TLS ---------------------------------------------------------------------------------------

testing::ServerTls server_tls(bool demand_client_certificate = false) {
  return {pki().server_certificate, pki().server_key,
          demand_client_certificate ? pki().client_certificate : std::string()};
}

TEST(CurlClientTls, SelfSignedServerIsRefusedByDefault) {
  FakeServer server([](const RecordedRequest&) { return ok(); }, server_tls());
  auto client = make_curl_client(quick_options());
  const TransportError failure = error_of(client->send({"GET", server.url() + "/x", {}, {}}));
  EXPECT_EQ(failure.kind, TransportErrorKind::tls);
  EXPECT_TRUE(server.requests().empty());
}

TEST(CurlClientTls, TrustedThroughCaBundle) {
  FakeServer server([](const RecordedRequest&) { return ok("secure"); }, server_tls());
  HttpOptions options = quick_options();
  options.tls.ca_bundle = pki().server_certificate;
  auto client = make_curl_client(options);
  EXPECT_EQ(response_of(client->send({"GET", server.url() + "/x", {}, {}})).body, "secure");
  EXPECT_EQ(response_of(client->send({"GET", server.url() + "/y", {}, {}})).body, "secure");
  EXPECT_EQ(server.connections(), 1U) << "TLS connections are reused too";
}

TEST(CurlClientTls, HostNameIsChecked) {
  FakeServer server([](const RecordedRequest&) { return ok(); },
                    testing::ServerTls{pki().wrong_host_certificate, pki().wrong_host_key, {}});
  HttpOptions options = quick_options();
  options.tls.ca_bundle = pki().wrong_host_certificate;  // trusted, but for another name
  auto client = make_curl_client(options);
  EXPECT_EQ(error_of(client->send({"GET", server.url() + "/x", {}, {}})).kind,
            TransportErrorKind::tls);
  options.tls.verify_peer = false;  // the explicit opt-out
  auto unchecked = make_curl_client(options);
  EXPECT_EQ(response_of(unchecked->send({"GET", server.url() + "/x", {}, {}})).status, 200);
}

TEST(CurlClientTls, MutualTlsServerRefusesAClientWithoutCertificate) {
  FakeServer server([](const RecordedRequest&) { return ok(); }, server_tls(true));
  HttpOptions options = quick_options();
  options.tls.ca_bundle = pki().server_certificate;
  auto client = make_curl_client(options);
  const TransportError failure = error_of(client->send({"GET", server.url() + "/x", {}, {}}));
  // TLS 1.3 finishes the client's side of the handshake before the server's verdict, so curl
  // may only see the server's alert when it reads: either a handshake or a receive error.
  EXPECT_THAT(failure.kind, ::testing::AnyOf(TransportErrorKind::tls, TransportErrorKind::other));
  EXPECT_TRUE(server.requests().empty());
}

TEST(CurlClientTls, MutualTlsServerRefusesAnUntrustedClientCertificate) {
  FakeServer server([](const RecordedRequest&) { return ok(); }, server_tls(true));
  HttpOptions options = quick_options();
  options.tls.ca_bundle = pki().server_certificate;
  options.tls.client_certificate = pki().other_client_certificate;
  options.tls.client_key = pki().other_client_key;
  auto client = make_curl_client(options);
  const TransportError failure = error_of(client->send({"GET", server.url() + "/x", {}, {}}));
  EXPECT_THAT(failure.kind, ::testing::AnyOf(TransportErrorKind::tls, TransportErrorKind::other));
  EXPECT_TRUE(server.requests().empty());
}

TEST(CurlClientTls, MutualTlsServerAcceptsTheClientCertificate) {
  FakeServer server([](const RecordedRequest&) { return ok("mutual"); }, server_tls(true));
  HttpOptions options = quick_options();
  options.tls.ca_bundle = pki().server_certificate;
  options.tls.client_certificate = pki().client_certificate;
  options.tls.client_key = pki().client_key;
  options.tls.client_key_password = pki().client_key_password;
  auto client = make_curl_client(options);
  EXPECT_EQ(response_of(client->send({"GET", server.url() + "/x", {}, {}})).body, "mutual");
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST(CurlClientTls, WrongClientKeyPasswordIsATlsError) {
  FakeServer server([](const RecordedRequest&) { return ok(); }, server_tls(true));
  HttpOptions options = quick_options();
  options.tls.ca_bundle = pki().server_certificate;
  options.tls.client_certificate = pki().client_certificate;
  options.tls.client_key = pki().client_key;
  options.tls.client_key_password = "wrong password";
  auto client = make_curl_client(options);
  const TransportError failure = error_of(client->send({"GET", server.url() + "/x", {}, {}}));
  EXPECT_EQ(failure.kind, TransportErrorKind::tls);
  EXPECT_THAT(failure.message, Not(HasSubstr("wrong password")));
}

// -- Retry-After -------------------------------------------------------------------------------

HttpResponse with_retry_after(std::string value) {
  HttpResponse response;
  response.status = 503;
  response.headers = {{"retry-after", std::move(value)}};
  return response;
}

std::chrono::system_clock::time_point at(std::chrono::sys_seconds time) {
  return time;
}

TEST(RetryAfter, DeltaSeconds) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(retry_after(with_retry_after("120"), now), 120'000ms);
  EXPECT_EQ(retry_after(with_retry_after(" 0 "), now), 0ms);
}

TEST(RetryAfter, HttpDateRelativeToNow) {
  using namespace std::chrono;
  // Sun, 06 Nov 1994 08:49:37 GMT
  const sys_seconds date = sys_days(1994y / November / 6) + 8h + 49min + 37s;
  EXPECT_EQ(retry_after(with_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), at(date - 90s)),
            90'000ms);
  EXPECT_EQ(retry_after(with_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), at(date + 1h)), 0ms)
      << "a date in the past means now";
  EXPECT_EQ(retry_after(with_retry_after("Thu, 29 Feb 2024 23:59:59 GMT"),
                        at(sys_days(2024y / February / 29) + 23h + 59min + 58s)),
            1'000ms);
}

TEST(RetryAfter, AbsentOrUnreadable) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(retry_after(HttpResponse{}, now), std::nullopt);
  for (const char* garbage :
       {"", "soon", "12a", "-5", "1.5", "99999999999999999999", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT"}) {
    EXPECT_EQ(retry_after(with_retry_after(garbage), now), std::nullopt) << garbage;
  }
}

TEST(UrlOrigin, NormalisesSchemeHostAndDefaultPort) {
  const auto origin = text::parse_origin("HTTPS://FHIR.Example.no/fhir?x=1");
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->to_string(), "https://fhir.example.no:443");
  EXPECT_EQ(text::parse_origin("https://fhir.example.no:443/other"), origin);
  EXPECT_NE(text::parse_origin("https://fhir.example.no:8443/fhir"), origin);
  EXPECT_NE(text::parse_origin("http://fhir.example.no/fhir"), origin);
  EXPECT_EQ(text::parse_origin("http://[::1]:8080/x")->to_string(), "http://[::1]:8080");
  EXPECT_FALSE(text::parse_origin("https://fhir.example.no@evil.example/fhir"));
  EXPECT_FALSE(text::parse_origin("ftp://fhir.example.no/"));
  EXPECT_FALSE(text::parse_origin("/fhir/Patient?page=2"));
  EXPECT_FALSE(text::parse_origin("https://host:99999/"));
}

}  // namespace
}  // namespace adapter::deliver
