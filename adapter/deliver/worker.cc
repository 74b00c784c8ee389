#include "adapter/deliver/worker.h"

#include <rapidjson/document.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "adapter/deliver/json_peek.h"
#include "adapter/fhir/json.h"

namespace adapter::deliver {
namespace {

using fhir::IssueType;
using fhir::Outcome;
using outbox::Clock;

std::string label(const outbox::Message& message) {
  return "message " + std::to_string(message.id) + " (" + message.kind + " " + message.document_id +
         ") to " + message.endpoint;
}

fhir::Result<std::string> read_file(const std::string& path) {
  auto text = fhir::read_bounded(path, 1024 * 1024);
  if (!text) {
    return Outcome::of(fhir::Severity::error, IssueType::security, "cannot read " + path);
  }
  return std::move(text).value();
}

// The Bundle sent as is for transaction and batch; any other Bundle is stored as a Bundle
// resource, conditionally on its identifier so a resend creates nothing new.
FhirResult send_body(FhirClient& client, const std::string& body) {
  const std::string type = peek_top_level_string(body, "type");
  if (type == "transaction" || type == "batch") {
    // Only the entries' statuses matter here: a server that honours return=minimal does not
    // send every resource back.
    return client.send("POST", "", body, {{"Prefer", "return=minimal"}});
  }
  rapidjson::Document document;
  document.Parse(body.c_str(), body.size());
  if (!document.HasParseError() && document.IsObject()) {
    const auto identifier = document.FindMember("identifier");
    if (identifier != document.MemberEnd() && identifier->value.IsObject()) {
      const auto system = identifier->value.FindMember("system");
      const auto value = identifier->value.FindMember("value");
      if (system != identifier->value.MemberEnd() && value != identifier->value.MemberEnd() &&
          system->value.IsString() && value->value.IsString()) {
        return client.create_if_none_exist("Bundle", body,
                                           std::string("identifier=") + system->value.GetString() +
                                               "|" + value->value.GetString());
      }
    }
  }
  return client.create("Bundle", body);
}

// 409/412: the entries that carry If-Match get the version the server has now, so the
// resend re-applies the mapped content on top of it. False when no entry names a version:
// then a 412 means "more than one match" and only a person can resolve it.
bool refresh_versions(FhirClient& client, std::string& body) {
  rapidjson::Document document;
  document.Parse(body.c_str(), body.size());
  if (document.HasParseError() || !document.IsObject()) return false;
  const auto entries = document.FindMember("entry");
  if (entries == document.MemberEnd() || !entries->value.IsArray()) return false;
  bool refreshed = false;
  for (auto& entry : entries->value.GetArray()) {
    if (!entry.IsObject()) continue;
    const auto request = entry.FindMember("request");
    if (request == entry.MemberEnd() || !request->value.IsObject()) continue;
    const auto if_match = request->value.FindMember("ifMatch");
    const auto url = request->value.FindMember("url");
    if (if_match == request->value.MemberEnd() || url == request->value.MemberEnd() ||
        !url->value.IsString()) {
      continue;
    }
    const std::string_view target(url->value.GetString(), url->value.GetStringLength());
    const auto slash = target.find('/');
    if (slash == std::string_view::npos || target.find('?') != std::string_view::npos) continue;
    auto current = client.read(target.substr(0, slash), target.substr(slash + 1));
    const auto* response = std::get_if<FhirResponse>(&current);
    if (response == nullptr || response->status != 200 || response->version_id.empty()) continue;
    const std::string etag = "W/\"" + response->version_id + "\"";
    if_match->value.SetString(etag.c_str(), static_cast<rapidjson::SizeType>(etag.size()),
                              document.GetAllocator());
    refreshed = true;
  }
  if (!refreshed) return false;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document.Accept(writer);
  body.assign(buffer.GetString(), buffer.GetSize());
  return true;
}

std::string give_up_reason(const config::RetryPolicy& policy, const std::string& last_error) {
  const auto hours = std::chrono::duration<double, std::ratio<3600>>(policy.give_up_after).count();
  std::ostringstream text;
  text << "not delivered within " << hours << " h (delivery.retry.giveUpAfterHours)";
  if (!last_error.empty()) text << "; last failure: " << last_error;
  return text.str();
}

}  // namespace

fhir::Result<Connection> connect(const config::Config& config, const config::Endpoint& endpoint) {
  HttpOptions http_options;
  http_options.connect_timeout = config.delivery.connect_timeout;
  http_options.timeout = config.delivery.timeout;
  http_options.tls.verify_peer = endpoint.tls.verify;
  http_options.tls.ca_bundle = endpoint.tls.ca_bundle;
  http_options.tls.client_certificate = endpoint.tls.client_certificate;
  http_options.tls.client_key = endpoint.tls.client_key;
  if (!endpoint.tls.client_key_password.empty()) {
    auto password = config::read_secret(endpoint.tls.client_key_password);
    if (!password) return password.problems();
    http_options.tls.client_key_password = std::move(*password);
  }
  Connection connection;
  connection.http = make_curl_client(http_options);
  if (!endpoint.credentials.empty()) {
    const auto& credential = config.credentials.at(endpoint.credentials);
    if (credential.type == config::Credential::Type::bearer) {
      auto token = config::read_secret(credential.token);
      if (!token) return token.problems();
      connection.authorizer = make_bearer_authorizer(std::move(*token));
    } else {
      auto key = read_file(credential.private_key_file);
      if (!key) return key.problems();
      SmartBackendOptions smart;
      smart.token_url = credential.token_url;
      smart.client_id = credential.client_id;
      smart.scope = credential.scope;
      smart.private_key_pem = std::move(*key);
      smart.algorithm = credential.algorithm == "ES384" ? JwtAlgorithm::es384 : JwtAlgorithm::rs384;
      smart.key_id = credential.key_id;
      connection.token_http = make_curl_client(http_options);
      auto authorizer = make_smart_backend_authorizer(std::move(smart), *connection.token_http);
      if (!authorizer) return authorizer.problems();
      connection.authorizer = std::move(*authorizer);
    }
  }
  connection.fhir = std::make_unique<FhirClient>(endpoint.base_url, *connection.http,
                                                 connection.authorizer.get());
  return connection;
}

fhir::Result<Decision> deliver_message(outbox::Outbox& outbox, FhirClient& client,
                                       const outbox::Message& message,
                                       const config::DeliverySettings& settings,
                                       std::mt19937_64& random, Clock::time_point now) {
  if (now - message.accepted_at > settings.retry.give_up_after) {
    Decision expired;
    expired.verdict = Verdict::dead;
    expired.reason = give_up_reason(settings.retry, message.last_error);
    expired.outcome_json =
        Outcome::of(fhir::Severity::error, IssueType::processing, expired.reason).to_json(false);
    auto recorded = outbox.mark_dead(message.id, expired.reason, expired.outcome_json, now);
    if (!recorded) return recorded.problems();
    return expired;
  }
  Decision decision = classify(send_body(client, message.body));
  if (decision.verdict == Verdict::conflict) {
    std::string body = message.body;  // re-applied on top of the server's current versions
    for (int round = 0; decision.verdict == Verdict::conflict && round < settings.conflict_retries;
         ++round) {
      const bool refreshed = refresh_versions(client, body);
      if (!refreshed && decision.status == 412) break;  // several matches: not ours to pick
      decision = classify(send_body(client, body));
    }
  }
  fhir::Result<bool> recorded = true;
  switch (decision.verdict) {
    case Verdict::delivered:
      recorded = outbox.mark_delivered(message.id, now);
      break;
    case Verdict::retry: {
      const auto delay = backoff(settings.retry, message.attempts, decision.not_before, random);
      recorded = outbox.retry_later(message.id, now + delay, decision.reason);
      break;
    }
    case Verdict::conflict:
      decision.verdict = Verdict::dead;
      decision.reason =
          "version conflict not resolved by re-reading and re-applying (" + decision.reason + ")";
      [[fallthrough]];
    case Verdict::dead:
      recorded = outbox.mark_dead(message.id, decision.reason, decision.outcome_json, now);
      break;
  }
  if (!recorded) return recorded.problems();
  return decision;
}

}  // namespace adapter::deliver

namespace adapter::deliver {
namespace {

// Sleeps until `deadline` or until stop is requested, whichever comes first.
void sleep_until(std::stop_token stop, Clock::time_point deadline) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_until(lock, stop, deadline, [] { return false; });
}

struct EndpointRun {
  WorkerReport report;
  std::optional<Outcome> failure;
};

void run_endpoint(const config::Config& config, const config::Endpoint& endpoint,
                  const WorkerOptions& options, std::stop_token stop, EndpointRun& run) {
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  auto opened = outbox::Outbox::open(config.outbox_path, outbox::Outbox::Sync::worker);
  if (!opened) {
    run.failure = opened.problems();
    return;
  }
  outbox::Outbox& box = *opened;
  auto connection = connect(config, endpoint);
  if (!connection) {
    run.failure = connection.problems();
    return;
  }
  MessageFilter filter;
  if (options.make_filter) {
    auto made = options.make_filter();
    if (!made) {
      run.failure = made.problems();
      return;
    }
    filter = std::move(*made);
  }
  std::mt19937_64 random(std::random_device{}());
  const auto give_up_waiting = Clock::now() + options.once_max_wait;
  while (!stop.stop_requested()) {
    const auto now = Clock::now();
    auto due = box.due(now, 1, endpoint.id);
    if (!due) {
      run.failure = due.problems();
      return;
    }
    if (due->empty()) {
      auto next = box.next_due(endpoint.id);
      if (!next) {
        run.failure = next.problems();
        return;
      }
      if (options.once && (!next->has_value() || **next > give_up_waiting)) return;
      auto wake_at = now + options.idle_poll;
      if (next->has_value() && **next < wake_at) wake_at = **next;
      if (options.once && next->has_value()) wake_at = **next;
      sleep_until(stop, wake_at);
      continue;
    }
    const outbox::Message& message = due->front();
    outbox::Message filtered_message;
    const outbox::Message* to_send = &message;
    if (filter) {
      auto filtered = filter(message);
      if (!filtered) {
        // What cannot be checked is not sent: retried like a transient failure.
        const std::string reason =
            "not sent, the check before sending failed: " +
            (filtered.problems().empty() ? std::string("unknown error")
                                         : filtered.problems().issues()[0].message);
        const auto delay = backoff(config.delivery.retry, message.attempts, std::nullopt, random);
        auto recorded = box.retry_later(message.id, now + delay, reason);
        if (!recorded) {
          run.failure = recorded.problems();
          return;
        }
        ++run.report.retried;
        log("will retry " + label(message) + ": " + reason);
        continue;
      }
      for (const auto& note : filtered->notes)
        log(label(message) + ": " + note);
      if (filtered->body) {
        filtered_message = message;
        filtered_message.body = std::move(*filtered->body);
        to_send = &filtered_message;
      }
    }
    auto decision = deliver_message(box, *connection->fhir, *to_send, config.delivery, random, now);
    if (!decision) {
      run.failure = decision.problems();
      return;
    }
    switch (decision->verdict) {
      case Verdict::delivered:
        ++run.report.delivered;
        log("delivered " + label(message) + " after " + std::to_string(message.attempts + 1) +
            " attempt(s)");
        break;
      case Verdict::retry:
        ++run.report.retried;
        log("will retry " + label(message) + ": " + decision->reason);
        break;
      case Verdict::conflict:
      case Verdict::dead:
        ++run.report.dead;
        log("dead letter " + label(message) + ": " + decision->reason);
        break;
    }
  }
}

}  // namespace

fhir::Result<WorkerReport> run_worker(const config::Config& config, const WorkerOptions& options,
                                      std::stop_token stop) {
  auto lock = outbox::WorkerLock::acquire(config.outbox_path);
  if (!lock) return lock.problems();
  std::vector<EndpointRun> runs(config.endpoints.size());
  {
    // One endpoint failing (its outbox connection, its credentials) stops them all: a
    // worker that runs on with a part silently missing is worse than one that says so.
    std::stop_source everyone;
    std::stop_callback forward(stop, [&everyone] { everyone.request_stop(); });
    std::vector<std::jthread> threads;
    threads.reserve(config.endpoints.size());
    for (std::size_t i = 0; i < config.endpoints.size(); ++i) {
      threads.emplace_back([&, i] {
        run_endpoint(config, config.endpoints[i], options, everyone.get_token(), runs[i]);
        if (runs[i].failure) everyone.request_stop();
      });
    }
  }
  WorkerReport total;
  Outcome failures;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    total.delivered += runs[i].report.delivered;
    total.retried += runs[i].report.retried;
    total.dead += runs[i].report.dead;
    if (runs[i].failure) failures.merge(*runs[i].failure);
  }
  if (failures.has_errors()) return failures;
  auto box = outbox::Outbox::open(config.outbox_path);
  if (!box) return box.problems();
  auto pending = box->pending_count();
  if (!pending) return pending.problems();
  total.pending_left = *pending;
  return total;
}

}  // namespace adapter::deliver
