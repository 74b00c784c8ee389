// Stage: deliver. The delivery worker: takes due messages from the outbox and sends them
// to their endpoint, one thread per endpoint, so that conditional creates of shared
// resources (Organization, Practitioner) never race each other on one server, and one
// patient's messages keep their order. Every outcome is recorded in the outbox before the
// next message is taken.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/config/config.h"
#include "adapter/deliver/fhir_client.h"
#include "adapter/deliver/policy.h"
#include "adapter/fhir/outcome.h"
#include "adapter/outbox/outbox.h"

namespace adapter::deliver {

// The clients for one endpoint: transport, authorisation and the FHIR client over them.
struct Connection {
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<HttpClient> token_http;  // SMART token requests, same TLS settings
  std::unique_ptr<Authorizer> authorizer;  // null: no Authorization header
  std::unique_ptr<FhirClient> fhir;
};

// Builds the connection for `endpoint` from the configuration; reads its secrets now.
fhir::Result<Connection> connect(const config::Config& config, const config::Endpoint& endpoint);

using LogSink = std::function<void(std::string_view line)>;

// Sends one message and records the result in the outbox (delivered, retry later, or dead
// letter), resolving 409/412 conflicts by re-reading and re-applying where the message
// allows. Returns the decision that was recorded.
// An outbox that cannot record the result is an error: the worker stops rather than send
// what it cannot account for.
fhir::Result<Decision> deliver_message(outbox::Outbox& outbox, FhirClient& client,
                                       const outbox::Message& message,
                                       const config::DeliverySettings& settings,
                                       std::mt19937_64& random, outbox::Clock::time_point now);

// The interceptor seam before each send: a filter may replace the body (the consent
// re-check removes what is no longer permitted) or fail, in which case nothing is sent and
// the message is retried later. Each endpoint thread makes its own filter.
struct Filtered {
  std::optional<std::string> body;  // replaces the message's body for this attempt
  std::vector<std::string> notes;   // logged
};
using MessageFilter = std::function<fhir::Result<Filtered>(const outbox::Message&)>;
using MessageFilterFactory = std::function<fhir::Result<MessageFilter>()>;

struct WorkerOptions {
  bool once = false;  // drain: stop when nothing is pending (or once_max_wait has passed)
  std::chrono::milliseconds once_max_wait{std::chrono::minutes(5)};
  std::chrono::milliseconds idle_poll{500};  // how soon newly accepted messages are seen
  LogSink log;
  MessageFilterFactory make_filter;  // none: messages go as they were accepted
};

struct WorkerReport {
  std::size_t delivered = 0;
  std::size_t retried = 0;
  std::size_t dead = 0;
  std::size_t pending_left = 0;  // after the run
};

// Runs until `stop` is requested or, with `once`, until nothing is pending. Takes the
// outbox's worker lock for the whole run (a second worker gets an error, not a race).
fhir::Result<WorkerReport> run_worker(const config::Config& config, const WorkerOptions& options,
                                      std::stop_token stop);

}  // namespace adapter::deliver
