#include "adapter/deliver/policy.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "adapter/fhir/json.h"

namespace adapter::deliver {
namespace {

bool transient_status(long status) {
  return status == 408 || status == 429 || status >= 500;
}
bool conflict_status(long status) {
  return status == 409 || status == 412;
}

std::string describe_transport(const FhirFailure& failure) {
  if (failure.auth) return "authorisation failed: " + failure.transport.message;
  switch (failure.transport.kind) {
    case TransportErrorKind::connect:
      return "cannot connect: " + failure.transport.message;
    case TransportErrorKind::timeout:
      return "timed out: " + failure.transport.message;
    case TransportErrorKind::tls:
      return "TLS failure: " + failure.transport.message;
    case TransportErrorKind::too_large:
      return "response too large: " + failure.transport.message;
    case TransportErrorKind::other:
      break;
  }
  return "transport failure: " + failure.transport.message;
}

// Our own OperationOutcome when the server gave none.
std::string own_outcome(const std::string& reason) {
  return fhir::Outcome::of(fhir::Severity::error, fhir::IssueType::processing, reason)
      .to_json(false);
}

// "201 Created" -> 201; 0 when unreadable.
long leading_status(std::string_view text) {
  long status = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), status);
  return error == std::errc() && end != text.data() ? status : 0;
}

std::string status_reason(long status, const std::vector<std::string>& lines) {
  std::string reason = "HTTP " + std::to_string(status);
  if (!lines.empty()) reason += ": " + lines.front();
  return reason;
}

Decision from_status(long status, std::string reason, std::string outcome_json,
                     std::optional<std::chrono::milliseconds> not_before) {
  Decision decision;
  decision.status = status;
  decision.reason = std::move(reason);
  decision.not_before = not_before;
  if (status >= 200 && status < 300) {
    decision.verdict = Verdict::delivered;
  } else if (transient_status(status)) {
    decision.verdict = Verdict::retry;
  } else if (conflict_status(status)) {
    decision.verdict = Verdict::conflict;
  } else {
    decision.verdict = Verdict::dead;
  }
  if (decision.verdict != Verdict::delivered) {
    decision.outcome_json =
        outcome_json.empty() ? own_outcome(decision.reason) : std::move(outcome_json);
  }
  return decision;
}

// Severity order when entries disagree: a retry helps the whole message, a conflict may be
// resolved, a permanent failure of one entry makes the message a dead letter.
int rank(Verdict verdict) {
  switch (verdict) {
    case Verdict::delivered:
      return 0;
    case Verdict::retry:
      return 1;
    case Verdict::conflict:
      return 2;
    case Verdict::dead:
      return 3;
  }
  return 0;
}

// Bundle.type and every entry.response.status of a transaction-/batch-response, read in
// one SAX pass without building a tree: the response is often as large as the
// transaction (servers return the resources), and usually all that matters is "all 2xx".
struct ResponseSummary {
  bool object = false;
  std::string type;
  std::vector<std::string> statuses;  // one per entry; "" when an entry has none
};

class ResponseScanner : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ResponseScanner> {
 public:
  ResponseSummary summary;

  bool StartObject() {
    if (depth_ == 0) summary.object = true;
    if (depth_ == 2 && in_entries()) summary.statuses.emplace_back();
    return enter();
  }
  bool EndObject(rapidjson::SizeType) { return leave(); }
  bool StartArray() { return enter(); }
  bool EndArray(rapidjson::SizeType) { return leave(); }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    keys_[static_cast<std::size_t>(depth_)].assign(text, length);
    return true;
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (depth_ == 1 && keys_[1] == "type") summary.type.assign(text, length);
    if (depth_ == 4 && in_entries() && keys_[3] == "response" && keys_[4] == "status") {
      summary.statuses.back().assign(text, length);
    }
    return true;
  }
  bool Default() { return true; }

 private:
  bool in_entries() const { return keys_[1] == "entry"; }
  bool enter() {
    if (++depth_ >= static_cast<int>(keys_.size())) keys_.emplace_back();
    keys_[static_cast<std::size_t>(depth_)].clear();
    return true;
  }
  bool leave() {
    --depth_;
    return true;
  }

  int depth_ = 0;
  std::vector<std::string> keys_{std::string(), std::string()};
};

ResponseSummary summarise(const std::string& body) {
  ResponseScanner scanner;
  rapidjson::Reader reader;
  // A MemoryStream, not a StringStream: RapidJSON's SSE2 string scanning of a StringStream
  // reads whole 16-byte blocks, past the end of an unpadded buffer.
  rapidjson::MemoryStream stream(body.data(), body.size());
  if (reader.Parse(stream, scanner).IsError()) return {};
  return std::move(scanner.summary);
}

}  // namespace

Decision classify(const FhirResult& result) {
  if (const auto* failure = std::get_if<FhirFailure>(&result)) {
    Decision decision;
    decision.verdict = Verdict::retry;
    decision.reason = describe_transport(*failure);
    return decision;
  }
  const auto& response = std::get<FhirResponse>(result);
  const bool is_outcome = response.body.find("\"OperationOutcome\"") != std::string::npos;
  if (response.status < 200 || response.status >= 300) {
    return from_status(response.status, status_reason(response.status, response.outcome_lines),
                       is_outcome ? response.body : std::string(), response.retry_after);
  }
  // 2xx: look inside a transaction-response or batch-response.
  Decision worst = from_status(response.status, "HTTP " + std::to_string(response.status), {}, {});
  const ResponseSummary summary = summarise(response.body);
  if (summary.type != "transaction-response" && summary.type != "batch-response") return worst;
  const bool all_ok =
      std::all_of(summary.statuses.begin(), summary.statuses.end(), [](const std::string& status) {
        const long code = leading_status(status);
        return code >= 200 && code < 300;
      });
  if (all_ok) return worst;
  // Something failed: now the entries' OperationOutcomes are worth a full parse.
  auto document = fhir::JsonDocument::parse(response.body);
  if (!document) return worst;
  const fhir::JsonValue* entries = document->root().find("entry");
  if (entries == nullptr) return worst;
  std::size_t index = 0;
  for (const auto& entry : entries->items()) {
    const fhir::JsonValue* entry_response = entry.find("response");
    const fhir::JsonValue* status_text =
        entry_response == nullptr ? nullptr : entry_response->find("status");
    const long status = status_text == nullptr ? 0 : leading_status(status_text->as_string());
    if (status == 0) {
      Decision unreadable = from_status(
          502, "entry " + std::to_string(index) + " of the response has no readable status", {},
          {});
      if (rank(unreadable.verdict) > rank(worst.verdict)) worst = std::move(unreadable);
    } else if (status < 200 || status >= 300) {
      std::string outcome_json;
      std::string detail;
      if (const fhir::JsonValue* outcome = entry_response->find("outcome")) {
        outcome_json = fhir::to_json(*outcome);
        if (const auto* issues = outcome->find("issue"); issues && issues->size() > 0) {
          const auto& issue = issues->items()[0];
          if (const auto* diagnostics = issue.find("diagnostics")) {
            detail = ": " + std::string(diagnostics->as_string());
          } else if (const auto* details = issue.find("details");
                     details && details->find("text")) {
            detail = ": " + std::string(details->find("text")->as_string());
          }
        }
      }
      Decision entry_decision = from_status(status,
                                            "entry " + std::to_string(index) + ": HTTP " +
                                                std::string(status_text->as_string()) + detail,
                                            std::move(outcome_json), response.retry_after);
      if (rank(entry_decision.verdict) > rank(worst.verdict)) worst = std::move(entry_decision);
    }
    ++index;
  }
  return worst;
}

std::chrono::milliseconds backoff(const config::RetryPolicy& policy, int attempts,
                                  std::optional<std::chrono::milliseconds> not_before,
                                  std::mt19937_64& random) {
  const double exponent = std::max(0, attempts);
  const double ceiling = static_cast<double>(policy.max_delay.count());
  const double nominal = std::min(ceiling, static_cast<double>(policy.initial_delay.count()) *
                                               std::pow(policy.multiplier, exponent));
  std::uniform_real_distribution<double> spread(nominal * (1.0 - policy.jitter), nominal);
  auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(spread(random))));
  if (not_before && *not_before > delay) delay = *not_before;
  return delay;
}

}  // namespace adapter::deliver
