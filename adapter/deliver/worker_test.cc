#include "adapter/deliver/worker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <functional>

namespace adapter::deliver {
namespace {

using namespace std::chrono_literals;
using outbox::Clock;
using ::testing::HasSubstr;

// A server scripted per request: each call pops the next answer for its method.
class ScriptedHttp : public HttpClient {
 public:
  std::deque<HttpResult> posts;
  std::deque<HttpResult> gets;
  std::vector<HttpRequest> seen;

  HttpResult send(const HttpRequest& request) override {
    seen.push_back(request);
    auto& queue = request.method == "GET" ? gets : posts;
    if (queue.empty()) return TransportError{TransportErrorKind::connect, "script exhausted"};
    HttpResult next = std::move(queue.front());
    queue.pop_front();
    return next;
  }
  std::size_t count(std::string_view method) const {
    return static_cast<std::size_t>(std::count_if(
        seen.begin(), seen.end(), [&](const HttpRequest& r) { return r.method == method; }));
  }
};

HttpResponse http(long status, std::string body = {}, Headers headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

const std::string kOk =
    R"({"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"200 OK"}}]})";
const std::string kInvalid =
    R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"Patient.birthDate: not a date"}]})";
const std::string kWithIfMatch =
    R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","id":"p1"},"request":{"method":"PUT","url":"Patient/p1","ifMatch":"W/\"1\""}}]})";
const std::string kConditional =
    R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"PUT","url":"Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|14868943972"}}]})";

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::filesystem::temp_directory_path() /
              ("worker_test_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(folder_);
    auto opened = outbox::Outbox::open((folder_ / "outbox.db").string());
    ASSERT_TRUE(opened.ok());
    box_.emplace(std::move(opened).value());
    settings_.retry.initial_delay = 1000ms;
    settings_.retry.jitter = 0;
    settings_.conflict_retries = 2;
  }
  void TearDown() override {
    box_.reset();
    std::filesystem::remove_all(folder_);
  }

  outbox::Message accept(const std::string& body, Clock::time_point at) {
    auto ids = box_->enqueue({{"hospital", "DOC-1", "referral", "patient:x", body}}, at);
    EXPECT_TRUE(ids.ok());
    return **box_->get((*ids)[0].id);
  }

  Decision deliver(const outbox::Message& message, Clock::time_point now) {
    FhirClient client("http://127.0.0.1:9/fhir", server_, nullptr);
    auto decision = deliver_message(*box_, client, message, settings_, random_, now);
    EXPECT_TRUE(decision.ok());
    return *decision;
  }

  outbox::Message reread(outbox::MessageId id) { return **box_->get(id); }

  std::filesystem::path folder_;
  std::optional<outbox::Outbox> box_;
  ScriptedHttp server_;
  config::DeliverySettings settings_;
  std::mt19937_64 random_{1};
  const Clock::time_point t0_ = Clock::time_point(std::chrono::hours(500'000));
};

TEST_F(WorkerTest, ADeliveredTransactionIsMarkedDelivered) {
  const auto message = accept(kConditional, t0_);
  server_.posts.push_back(http(200, kOk));
  EXPECT_EQ(deliver(message, t0_).verdict, Verdict::delivered);
  ASSERT_EQ(server_.seen.size(), 1U);
  EXPECT_EQ(server_.seen[0].method, "POST");
  EXPECT_EQ(server_.seen[0].url, "http://127.0.0.1:9/fhir");
  EXPECT_EQ(server_.seen[0].body, kConditional);
  EXPECT_THAT(server_.seen[0].headers,
              ::testing::Contains(std::pair<std::string, std::string>("Prefer", "return=minimal")));
  EXPECT_EQ(reread(message.id).state, outbox::State::delivered);
}

TEST_F(WorkerTest, ATransientFailureIsRetriedLaterWithBackoff) {
  const auto message = accept(kConditional, t0_);
  server_.posts.push_back(http(503, kInvalid));
  EXPECT_EQ(deliver(message, t0_).verdict, Verdict::retry);
  auto after = reread(message.id);
  EXPECT_EQ(after.state, outbox::State::pending);
  EXPECT_EQ(after.attempts, 1);
  EXPECT_EQ(after.next_attempt_at, t0_ + 1000ms);
  EXPECT_THAT(after.last_error, HasSubstr("HTTP 503"));

  server_.posts.push_back(TransportError{TransportErrorKind::timeout, "timed out after 30000 ms"});
  EXPECT_EQ(deliver(after, t0_ + 1s).verdict, Verdict::retry);
  EXPECT_EQ(reread(message.id).next_attempt_at, t0_ + 1s + 2000ms);  // doubled
}

TEST_F(WorkerTest, RetryAfterIsHonoured) {
  const auto message = accept(kConditional, t0_);
  server_.posts.push_back(http(429, {}, {{"retry-after", "120"}}));
  EXPECT_EQ(deliver(message, t0_).verdict, Verdict::retry);
  const auto due = reread(message.id).next_attempt_at;
  EXPECT_GE(due, t0_ + 119s);  // Retry-After counts from the real clock; t0_ is far past
}

TEST_F(WorkerTest, APermanentFailureIsADeadLetterWithTheServersOutcome) {
  const auto message = accept(kConditional, t0_);
  server_.posts.push_back(http(422, kInvalid));
  EXPECT_EQ(deliver(message, t0_).verdict, Verdict::dead);
  auto after = reread(message.id);
  EXPECT_EQ(after.state, outbox::State::dead);
  EXPECT_EQ(after.outcome, kInvalid);
  EXPECT_THAT(after.last_error, HasSubstr("not a date"));
}

TEST_F(WorkerTest, AMessageTooOldIsGivenUpWithTheLastError) {
  settings_.retry.give_up_after = 1h;
  auto message = accept(kConditional, t0_);
  server_.posts.push_back(http(503));
  deliver(message, t0_);
  message = reread(message.id);
  EXPECT_EQ(deliver(message, t0_ + 2h).verdict, Verdict::dead);
  EXPECT_EQ(server_.count("POST"), 1U);  // not sent again
  auto after = reread(message.id);
  EXPECT_THAT(after.last_error, HasSubstr("not delivered within 1 h"));
  EXPECT_THAT(after.last_error, HasSubstr("HTTP 503"));
  EXPECT_THAT(after.outcome, HasSubstr("OperationOutcome"));
}

TEST_F(WorkerTest, AVersionConflictIsResolvedByReReadingAndReApplying) {
  const auto message = accept(kWithIfMatch, t0_);
  server_.posts.push_back(http(409, kInvalid));
  server_.gets.push_back(
      http(200, R"({"resourceType":"Patient","id":"p1"})", {{"etag", "W/\"7f3c-uuid\""}}));
  server_.posts.push_back(http(200, kOk));
  EXPECT_EQ(deliver(message, t0_).verdict, Verdict::delivered);
  ASSERT_EQ(server_.seen.size(), 3U);
  EXPECT_EQ(server_.seen[1].url, "http://127.0.0.1:9/fhir/Patient/p1");
  EXPECT_THAT(server_.seen[2].body, HasSubstr(R"("ifMatch":"W/\"7f3c-uuid\"")"));
  EXPECT_EQ(reread(message.id).state, outbox::State::delivered);
}

TEST_F(WorkerTest, SeveralMatchesForAConditionalRequestAreADeadLetterAtOnce) {
  const auto message = accept(kConditional, t0_);
  server_.posts.push_back(http(412, kInvalid));
  EXPECT_EQ(deliver(message, t0_).verdict, Verdict::dead);
  EXPECT_EQ(server_.count("POST"), 1U);
  EXPECT_THAT(reread(message.id).last_error, HasSubstr("version conflict not resolved"));
}

TEST_F(WorkerTest, APersistentConflictEndsAsADeadLetterAfterTheConfiguredRounds) {
  const auto message = accept(kConditional, t0_);
  for (int i = 0; i < 3; ++i)
    server_.posts.push_back(http(409, kInvalid));
  EXPECT_EQ(deliver(message, t0_).verdict, Verdict::dead);
  EXPECT_EQ(server_.count("POST"), 3U);  // first try + conflict_retries (2) re-applications
}

TEST_F(WorkerTest, ADocumentBundleIsStoredConditionallyOnItsIdentifier) {
  const auto message = accept(
      R"({"resourceType":"Bundle","type":"document","identifier":{"system":"urn:ietf:rfc:3986","value":"urn:uuid:1"}})",
      t0_);
  server_.posts.push_back(http(201, R"({"resourceType":"Bundle","id":"b1"})"));
  EXPECT_EQ(deliver(message, t0_).verdict, Verdict::delivered);
  EXPECT_EQ(server_.seen[0].url, "http://127.0.0.1:9/fhir/Bundle");
  bool has_condition = false;
  for (const auto& [name, value] : server_.seen[0].headers) {
    if (name == "If-None-Exist") has_condition = value == "identifier=urn:ietf:rfc:3986|urn:uuid:1";
  }
  EXPECT_TRUE(has_condition);
}

}  // namespace
}  // namespace adapter::deliver
