#include "adapter/deliver/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adapter::deliver {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

FhirResult answer(long status, std::string body = {},
                  std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  FhirResponse response;
  response.status = status;
  response.body = std::move(body);
  response.retry_after = retry_after;
  return response;
}

FhirResult transport(TransportErrorKind kind) {
  return FhirFailure{TransportError{kind, "curl says no"}, false};
}

std::string transaction_response(std::initializer_list<std::string_view> statuses,
                                 std::string_view outcome = {}) {
  std::string body = R"({"resourceType":"Bundle","type":"transaction-response","entry":[)";
  bool first = true;
  for (auto status : statuses) {
    if (!first) body += ',';
    first = false;
    body += R"({"response":{"status":")" + std::string(status) + '"';
    if (!status.starts_with('2') && !outcome.empty())
      body += R"(,"outcome":)" + std::string(outcome);
    body += "}}";
  }
  return body + "]}";
}

constexpr std::string_view kInvalid =
    R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"Patient.gender: bad code"}]})";

// The decision table of docs/configuration.md, row by row.
TEST(Policy, TransportFailuresAreRetried) {
  for (auto kind :
       {TransportErrorKind::connect, TransportErrorKind::timeout, TransportErrorKind::tls,
        TransportErrorKind::too_large, TransportErrorKind::other}) {
    const Decision decision = classify(transport(kind));
    EXPECT_EQ(decision.verdict, Verdict::retry);
    EXPECT_THAT(decision.reason, HasSubstr("curl says no"));
  }
  const Decision auth =
      classify(FhirFailure{TransportError{TransportErrorKind::other, "token endpoint 503"}, true});
  EXPECT_EQ(auth.verdict, Verdict::retry);
  EXPECT_THAT(auth.reason, HasSubstr("authorisation failed"));
}

TEST(Policy, ServerErrorsTimeoutsAndThrottlingAreRetried) {
  for (long status : {408L, 429L, 500L, 502L, 503L, 504L}) {
    EXPECT_EQ(classify(answer(status)).verdict, Verdict::retry) << status;
  }
  const Decision throttled = classify(answer(429, {}, 7s));
  ASSERT_TRUE(throttled.not_before.has_value());
  EXPECT_EQ(*throttled.not_before, 7s);
}

TEST(Policy, VersionConflictsAreConflicts) {
  EXPECT_EQ(classify(answer(409)).verdict, Verdict::conflict);
  EXPECT_EQ(classify(answer(412)).verdict, Verdict::conflict);
}

TEST(Policy, OtherClientErrorsAreDeadLettersWithTheServersOutcome) {
  for (long status : {400L, 401L, 403L, 404L, 405L, 410L, 413L, 422L}) {
    const Decision decision = classify(answer(status, std::string(kInvalid)));
    EXPECT_EQ(decision.verdict, Verdict::dead) << status;
    EXPECT_EQ(decision.outcome_json, kInvalid);
  }
  // Without an OperationOutcome from the server, the dead letter gets one of ours.
  const Decision bare = classify(answer(400, "<html>bad</html>"));
  EXPECT_THAT(bare.outcome_json, HasSubstr("OperationOutcome"));
  EXPECT_THAT(bare.outcome_json, HasSubstr("HTTP 400"));
}

TEST(Policy, ATransactionResponseCountsEntryByEntry) {
  EXPECT_EQ(classify(answer(200, transaction_response({"201 Created", "200 OK"}))).verdict,
            Verdict::delivered);
  const Decision one_bad =
      classify(answer(200, transaction_response({"201 Created", "400 Bad Request"}, kInvalid)));
  EXPECT_EQ(one_bad.verdict, Verdict::dead);
  EXPECT_THAT(one_bad.reason, HasSubstr("entry 1"));
  EXPECT_THAT(one_bad.reason, HasSubstr("Patient.gender: bad code"));
  EXPECT_THAT(one_bad.outcome_json, HasSubstr("bad code"));
  EXPECT_EQ(classify(answer(200, transaction_response({"201", "503"}))).verdict, Verdict::retry);
  EXPECT_EQ(classify(answer(200, transaction_response({"412 Precondition Failed", "201"}))).verdict,
            Verdict::conflict);
  // A permanent failure outranks a transient one: retrying will not fix entry 1.
  EXPECT_EQ(classify(answer(200, transaction_response({"503", "422"}))).verdict, Verdict::dead);
  EXPECT_EQ(classify(answer(200, transaction_response({"201", "garbage"}))).verdict,
            Verdict::retry);
}

TEST(Policy, BackoffGrowsIsCappedJitteredAndHonoursRetryAfter) {
  config::RetryPolicy policy;
  policy.initial_delay = 1000ms;
  policy.max_delay = 60'000ms;
  policy.multiplier = 2;
  policy.jitter = 0.5;
  std::mt19937_64 random(7);
  for (int attempts = 0; attempts < 12; ++attempts) {
    const double nominal = std::min(60'000.0, 1000.0 * std::pow(2.0, attempts));
    for (int draw = 0; draw < 50; ++draw) {
      const auto delay = backoff(policy, attempts, std::nullopt, random);
      EXPECT_GE(static_cast<double>(delay.count()), nominal * 0.5 - 1) << attempts;
      EXPECT_LE(static_cast<double>(delay.count()), nominal + 1) << attempts;
    }
  }
  EXPECT_EQ(backoff(policy, 0, 30'000ms, random), 30'000ms);
  policy.jitter = 0;
  EXPECT_EQ(backoff(policy, 3, std::nullopt, random), 8000ms);
}

}  // namespace
}  // namespace adapter::deliver
