#include "adapter/cli/exchange.h"

#include <pthread.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>

#include <atomic>
#include <ctime>
#include <iomanip>
#include <mutex>
#include <ostream>
#include <sstream>
#include <stop_token>
#include <thread>

#include "adapter/cli/support.h"
#include "adapter/config/config.h"
#include "adapter/consent/enforce.h"
#include "adapter/consent/store.h"
#include "adapter/deliver/worker.h"
#include "adapter/fhir/datetime.h"
#include "adapter/fhir/digest.h"
#include "adapter/fhir/model.h"
#include "adapter/outbox/outbox.h"
#include "adapter/route/router.h"
#include "adapter/validate/profile.h"
#include "adapter/validate/validator.h"

namespace adapter::cli {
namespace {

using fhir::IssueType;
using fhir::Outcome;
using fhir::Severity;
using LineWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void key(LineWriter& writer, std::string_view name) {
  writer.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
void string(LineWriter& writer, std::string_view name, std::string_view value) {
  key(writer, name);
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void raw_object(LineWriter& writer, std::string_view name, const std::string& json) {
  key(writer, name);
  writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

std::string iso_time(outbox::Clock::time_point time) {
  const std::time_t seconds = outbox::Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()) % 1000;
  std::ostringstream text;
  text << std::put_time(&utc, "%Y-%m-%dT%H:%M:%S") << '.' << std::setw(3) << std::setfill('0')
       << ms.count() << 'Z';
  return text.str();
}

// --config FILE, read and checked; a missing option is a usage error.
fhir::Result<config::Config> load_config(const Arguments& arguments) {
  const std::string* path = arguments.get("config");
  if (path == nullptr) throw UsageError("--config FILE is required");
  return config::load(*path);
}

// The OperationOutcome of a configuration that cannot be used.
int config_failure(Streams io, const Arguments& arguments, const Outcome& problems) {
  return fail(io, problems, kUsageOrIo,
              "the configuration " + *arguments.get("config") + " is invalid");
}

// ---------------------------------------------------------------------------------------
// send

// The business id of what is sent: the input document's documentId, or for a FHIR Bundle
// its identifier, its id, or else a digest of its text.
std::string document_id_of(const fhir::JsonValue& root, std::string_view text) {
  if (const auto* id = root.find("documentId"); id != nullptr && id->is_string()) {
    return std::string(id->as_string());
  }
  if (const auto* identifier = root.find("identifier")) {
    if (const auto* value = identifier->find("value"); value != nullptr && value->is_string()) {
      return std::string(value->as_string());
    }
  }
  if (const auto* id = root.find("id"); id != nullptr && id->is_string()) {
    return "Bundle/" + std::string(id->as_string());
  }
  return "bytes:" + std::to_string(std::hash<std::string_view>{}(text));
}

// When consent is evaluated: the clock, or --consent-time for replays and tests (the
// AuditEvents still record the clock's time).
struct ConsentClock {
  std::optional<fhir::DateTime> fixed;
  consent::EnforceOptions at(std::string_view stage) const {
    consent::EnforceOptions options;
    const auto now = outbox::Clock::now();
    options.recorded = iso_time(now);
    options.stage = std::string(stage);
    if (fixed) {
      options.time = fixed->utc;
      options.offset = fixed->offset;
    } else {
      options.time = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
    }
    return options;
  }
};

ConsentClock consent_clock(const Arguments& arguments) {
  ConsentClock clock;
  if (const std::string* text = arguments.get("consent-time")) {
    clock.fixed = fhir::parse_date_time(*text);
    if (!clock.fixed) throw UsageError("--consent-time needs a dateTime with a time zone");
  }
  return clock;
}

std::string disclosure_rules_path(const Arguments& arguments) {
  return mappings_folder(arguments) + "/consent-disclosures.json";
}

// The consent stage on one Bundle: directives on record for its patient, enforcement,
// the decisions kept as AuditEvents. Returns what may be sent.
fhir::Result<consent::Enforced> apply_consent(const consent::Enforcer& enforcer,
                                              consent::ConsentStore& store,
                                              std::string_view bundle_text,
                                              const fhir::JsonValue& bundle,
                                              const consent::EnforceOptions& options) {
  if (!consent::Enforcer::may_disclose(bundle_text)) {
    consent::Enforced untouched;
    untouched.bundle = std::string(bundle_text);
    return untouched;
  }
  auto directives = store.directives(consent::patient_keys(bundle));
  if (!directives) return directives.problems();
  auto enforced = enforcer.enforce(bundle, bundle_text, *directives, options);
  if (!enforced) return enforced.problems();
  for (const auto& event : enforced->audit_events) {
    auto kept = store.add_audit(options.recorded, event);
    if (!kept) return kept.problems();
  }
  return enforced;
}

struct Prepared {
  std::string file;
  std::string document_id;
  std::string kind;
  Outcome outcome;
  std::vector<outbox::NewMessage> messages;
};

}  // namespace

int run_send(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments = parse_arguments(
      args, 1, {"config", "mappings", "profiles", "max-bytes", "max-depth", "consent-time"});
  if (arguments.positional.empty()) throw UsageError("send needs at least one DOC (or -)");
  auto loaded = load_config(arguments);
  if (!loaded) return config_failure(io, arguments, loaded.problems());
  const config::Config& config = *loaded;

  MappingContext context;
  if (auto problems = load_mapping_context(arguments, context)) {
    return fail(io, *problems, kUsageOrIo, "cannot load the mappings");
  }
  auto profiles = validate::ProfileSet::load(profiles_folder(arguments), *context.model);
  if (!profiles) return fail(io, profiles.problems(), kUsageOrIo, "cannot load the profiles");
  const validate::Validator validator(*context.model, &*profiles);
  auto router = route::Router::create(config, *context.model);
  if (!router) {
    return fail(io, router.problems(), kUsageOrIo,
                "the routing rules in " + config.path + " are invalid");
  }
  map::Mapper mapper(*context.mappings);
  const fhir::JsonLimits limits = json_limits(arguments);
  const ConsentClock clock = consent_clock(arguments);
  auto enforcer = consent::Enforcer::load(disclosure_rules_path(arguments), *context.model);
  if (!enforcer) return fail(io, enforcer.problems(), kUsageOrIo, "cannot load the consent rules");
  auto store = consent::ConsentStore::open(config.consent_store_path);
  if (!store) return fail(io, store.problems(), kUsageOrIo, "cannot open the consent store");
  std::vector<std::string> audit_events;

  // Everything is checked, mapped, validated and routed first; then all accepted messages
  // are committed together (one fsync), and only then is anything reported as accepted.
  std::vector<Prepared> prepared;
  for (const std::string& path : arguments.positional) {
    Prepared item;
    item.file = path;
    auto text = fhir::read_bounded(path, limits.max_bytes);
    if (!text) {
      item.outcome = text.problems();
      prepared.push_back(std::move(item));
      continue;
    }
    auto document = fhir::JsonDocument::parse(*text, limits);
    if (!document) {
      item.outcome = document.problems();
      prepared.push_back(std::move(item));
      continue;
    }
    const fhir::JsonValue& root = document->root();
    item.document_id = document_id_of(root, *text);
    std::string bundle_text;
    if (const auto* type = root.find("resourceType"); type != nullptr) {
      item.kind = "bundle";
      if (!type->is_string() || type->as_string() != "Bundle") {
        item.outcome.error(IssueType::not_supported, "/resourceType",
                           "send takes input documents or FHIR Bundles");
      } else {
        bundle_text = *text;
      }
    } else {
      const auto* kind = root.find("kind");
      item.kind = kind != nullptr && kind->is_string() ? std::string(kind->as_string()) : "?";
      item.outcome = context.format->check(root);
      if (!item.outcome.has_errors()) {
        auto bundle = mapper.map(root);
        if (!bundle) {
          item.outcome.merge(bundle.problems());
        } else {
          bundle_text = std::move(*bundle);
        }
      }
    }
    if (!item.outcome.has_errors() && !bundle_text.empty()) {
      auto bundle = fhir::JsonDocument::parse(bundle_text, limits);
      if (bundle && bundle_text.find("\"Consent\"") != std::string::npos) {
        // Directives take effect as soon as they are accepted, for the documents after
        // them too: a withdrawal must stop what follows it in the same batch.
        auto kept = store->add(bundle->root());
        if (!kept) item.outcome.merge(kept.problems());
      }
      if (bundle && !item.outcome.has_errors()) {
        auto enforced =
            apply_consent(*enforcer, *store, bundle_text, bundle->root(), clock.at("send"));
        if (!enforced) {
          item.outcome.merge(enforced.problems());
        } else {
          item.outcome.merge(enforced->warnings);
          audit_events.insert(audit_events.end(), enforced->audit_events.begin(),
                              enforced->audit_events.end());
          if (enforced->changed) {
            bundle_text = std::move(enforced->bundle);
            bundle = fhir::JsonDocument::parse(bundle_text, limits);
          }
        }
      }
      if (item.outcome.has_errors()) {
        // refused above
      } else if (!bundle) {
        item.outcome.merge(bundle.problems());
      } else {
        // What the adapter sends must conform: a mapped Bundle that does not is a bug in
        // a mapping, and a FHIR Bundle that does not is the caller's to fix.
        const Outcome validated = validator.validate(bundle->root());
        for (const auto& issue : validated.issues()) {
          if (issue.severity == Severity::error || issue.severity == Severity::fatal) {
            item.outcome.add(issue);
          }
        }
        if (!item.outcome.has_errors()) {
          auto endpoints = router->route(bundle->root(), item.kind);
          if (!endpoints) {
            item.outcome.merge(endpoints.problems());
          } else {
            const std::string key = route::ordering_key(bundle->root());
            for (const auto& endpoint : *endpoints) {
              item.messages.push_back({endpoint, item.document_id, item.kind, key, bundle_text});
            }
          }
        }
      }
    }
    prepared.push_back(std::move(item));
  }

  std::vector<outbox::NewMessage> all;
  for (const auto& item : prepared)
    all.insert(all.end(), item.messages.begin(), item.messages.end());
  // The consent decisions' AuditEvents go wherever the routes send kind "audit"; with no
  // such route they are kept by the adapter only (`consent audit`).
  if (!audit_events.empty() && !all.empty()) {
    const std::string body = consent::audit_bundle(audit_events);
    if (auto parsed = fhir::JsonDocument::parse(body)) {
      if (auto endpoints = router->route(parsed->root(), "audit")) {
        for (const auto& endpoint : *endpoints) {
          all.push_back(
              {endpoint, "audit:" + fhir::sha256_hex(body).substr(0, 16), "audit", "audit", body});
        }
      }
    }
  }
  std::vector<outbox::Accepted> accepted;
  if (!all.empty()) {
    auto box = outbox::Outbox::open(config.outbox_path);
    if (!box) return fail(io, box.problems(), kUsageOrIo, "cannot open the outbox");
    auto stored = box->enqueue(all);
    if (!stored) return fail(io, stored.problems(), kUsageOrIo, "nothing was accepted");
    accepted = std::move(*stored);
  }

  std::size_t next = 0;
  std::size_t refused = 0;
  for (const auto& item : prepared) {
    const bool ok = !item.outcome.has_errors();
    if (!ok) ++refused;
    rapidjson::StringBuffer buffer;
    LineWriter line(buffer);
    line.StartObject();
    string(line, "file", item.file);
    string(line, "documentId", item.document_id);
    string(line, "kind", item.kind);
    key(line, "accepted");
    line.Bool(ok);
    key(line, "messages");
    line.StartArray();
    for (const auto& message : item.messages) {
      const auto& stored = accepted[next++];
      line.StartObject();
      key(line, "id");
      line.Int64(stored.id);
      string(line, "endpoint", message.endpoint);
      key(line, "alreadyAccepted");
      line.Bool(stored.already_present);
      line.EndObject();
    }
    line.EndArray();
    if (!item.outcome.empty()) raw_object(line, "outcome", item.outcome.to_json(false));
    line.EndObject();
    io.out << std::string_view(buffer.GetString(), buffer.GetSize()) << '\n';
    io.err << item.file << ": "
           << (ok ? "accepted for " + std::to_string(item.messages.size()) + " endpoint(s)"
                  : "refused (" + std::to_string(item.outcome.size()) + " problem(s))")
           << '\n';
    if (ok) {
      for (const auto& issue : item.outcome.issues()) {
        io.err << item.file << ": warning: " << issue.message << '\n';
      }
    }
  }
  return refused > 0 ? kInvalidInput : kOk;
}

// ---------------------------------------------------------------------------------------
// deliver

namespace {

// SIGINT and SIGTERM end the worker gracefully: the message in flight is finished and
// recorded. The signals are blocked in every thread and taken by one waiting thread, so
// no handler runs at an arbitrary point.
class StopOnSignals {
 public:
  explicit StopOnSignals(std::stop_source& stop) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    waiter_ = std::jthread([this, &stop](std::stop_token own) {
      const timespec poll{0, 200'000'000};
      while (!own.stop_requested()) {
        if (sigtimedwait(&signals_, nullptr, &poll) > 0) {
          stop.request_stop();
          return;
        }
      }
    });
  }
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;
  ~StopOnSignals() {
    waiter_.request_stop();
    waiter_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

 private:
  sigset_t signals_{};
  sigset_t previous_{};
  std::jthread waiter_;
};

}  // namespace

int run_deliver(const std::vector<std::string>& args, Streams io) {
  std::vector<std::string> rest;
  bool once = false;
  for (const std::string& arg : args) {
    if (arg == "--once") {
      once = true;
    } else {
      rest.push_back(arg);
    }
  }
  const Arguments arguments =
      parse_arguments(rest, 1, {"config", "max-wait", "mappings", "consent-time"});
  if (!arguments.positional.empty()) throw UsageError("deliver takes no positional arguments");
  auto loaded = load_config(arguments);
  if (!loaded) return config_failure(io, arguments, loaded.problems());
  const config::Config& config = *loaded;

  deliver::WorkerOptions options;
  options.once = once;
  if (const std::string* wait = arguments.get("max-wait")) {
    options.once_max_wait = std::chrono::seconds(parse_count(*wait, "max-wait", 7 * 86400));
  }
  // Consent is checked again before each message goes: a directive withdrawn after the
  // message was accepted stops what it covers.
  const ConsentClock clock = consent_clock(arguments);
  auto model = fhir::Model::r4();
  if (!model) return fail(io, model.problems(), kUsageOrIo, "cannot load the FHIR model");
  auto enforcer = consent::Enforcer::load(disclosure_rules_path(arguments), *model);
  if (!enforcer) return fail(io, enforcer.problems(), kUsageOrIo, "cannot load the consent rules");
  options.make_filter = [&]() -> fhir::Result<deliver::MessageFilter> {
    auto opened = consent::ConsentStore::open(config.consent_store_path);
    if (!opened) return opened.problems();
    auto box = outbox::Outbox::open(config.outbox_path, outbox::Outbox::Sync::worker);
    if (!box) return box.problems();
    auto store = std::make_shared<consent::ConsentStore>(std::move(*opened));
    auto audit_box = std::make_shared<outbox::Outbox>(std::move(*box));
    const consent::Enforcer* rules = &*enforcer;
    return deliver::MessageFilter([store, audit_box, rules, &clock](const outbox::Message& message)
                                      -> fhir::Result<deliver::Filtered> {
      deliver::Filtered filtered;
      if (message.kind == "audit" || !consent::Enforcer::may_disclose(message.body)) {
        return filtered;
      }
      auto bundle = fhir::JsonDocument::parse(message.body);
      if (!bundle) return bundle.problems();
      auto enforced =
          apply_consent(*rules, *store, message.body, bundle->root(), clock.at("deliver"));
      if (!enforced) return enforced.problems();
      for (const auto& issue : enforced->warnings.issues()) {
        filtered.notes.push_back("consent: " + issue.message);
      }
      if (!enforced->audit_events.empty()) {
        const std::string body = consent::audit_bundle(enforced->audit_events);
        auto queued =
            audit_box->enqueue({{message.endpoint, "audit:" + fhir::sha256_hex(body).substr(0, 16),
                                 "audit", "audit", body}});
        if (!queued) return queued.problems();
      }
      if (enforced->removed > 0) filtered.body = std::move(enforced->bundle);
      return filtered;
    });
  };
  std::mutex log_mutex;
  options.log = [&](std::string_view line) {
    // One write per line: standard error is unbuffered, and a line per message is the
    // worker's most frequent system call otherwise.
    std::string text = iso_time(outbox::Clock::now());
    text.append(" ").append(line).append("\n");
    const std::lock_guard lock(log_mutex);
    io.err.write(text.data(), static_cast<std::streamsize>(text.size()));
    io.err.flush();
  };
  std::stop_source stop;
  fhir::Result<deliver::WorkerReport> report = Outcome();
  {
    StopOnSignals signals(stop);
    report = deliver::run_worker(config, options, stop.get_token());
  }
  if (!report) return fail(io, report.problems(), kUsageOrIo, "delivery stopped");
  rapidjson::StringBuffer buffer;
  LineWriter line(buffer);
  line.StartObject();
  key(line, "delivered");
  line.Uint64(report->delivered);
  key(line, "retried");
  line.Uint64(report->retried);
  key(line, "dead");
  line.Uint64(report->dead);
  key(line, "pending");
  line.Uint64(report->pending_left);
  line.EndObject();
  io.out << std::string_view(buffer.GetString(), buffer.GetSize()) << '\n';
  if (once && report->pending_left > 0) {
    io.err << "fhir-adapter: " << report->pending_left
           << " message(s) still pending after --max-wait; `outbox list` shows them\n";
    return kInvalidInput;
  }
  return kOk;
}

// ---------------------------------------------------------------------------------------
// outbox

namespace {

void write_message(LineWriter& line, const outbox::Message& message, bool with_outcome) {
  line.StartObject();
  key(line, "id");
  line.Int64(message.id);
  string(line, "state", outbox::to_string(message.state));
  string(line, "endpoint", message.endpoint);
  string(line, "kind", message.kind);
  string(line, "documentId", message.document_id);
  key(line, "attempts");
  line.Int(message.attempts);
  string(line, "acceptedAt", iso_time(message.accepted_at));
  if (message.state == outbox::State::pending) {
    string(line, "nextAttemptAt", iso_time(message.next_attempt_at));
  }
  if (message.finished_at) {
    string(line, message.state == outbox::State::dead ? "deadAt" : "deliveredAt",
           iso_time(*message.finished_at));
  }
  if (!message.last_error.empty()) {
    string(line, message.state == outbox::State::dead ? "reason" : "lastError", message.last_error);
  }
  if (with_outcome && !message.outcome.empty()) {
    auto parsed = fhir::JsonDocument::parse(message.outcome);
    if (parsed && parsed->root().is_object()) raw_object(line, "outcome", message.outcome);
  }
  line.EndObject();
}

}  // namespace

int run_outbox(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments = parse_arguments(args, 1, {"config", "state", "limit"});
  if (arguments.positional.empty()) {
    throw UsageError("outbox needs a subcommand: list, dead, show ID or retry ID");
  }
  const std::string& action = arguments.positional[0];
  auto loaded = load_config(arguments);
  if (!loaded) return config_failure(io, arguments, loaded.problems());
  const config::Config& config = *loaded;
  auto box = outbox::Outbox::open(config.outbox_path);
  if (!box) return fail(io, box.problems(), kUsageOrIo, "cannot open the outbox");
  const std::size_t limit =
      arguments.get("limit") ? parse_count(*arguments.get("limit"), "limit", 1'000'000) : 1000;

  auto print_line = [&](const outbox::Message& message, bool with_outcome) {
    rapidjson::StringBuffer buffer;
    LineWriter line(buffer);
    write_message(line, message, with_outcome);
    io.out << std::string_view(buffer.GetString(), buffer.GetSize()) << '\n';
  };
  auto message_id = [&]() -> outbox::MessageId {
    if (arguments.positional.size() != 2) throw UsageError("outbox " + action + " takes one ID");
    return static_cast<outbox::MessageId>(
        parse_count(arguments.positional[1], "ID", std::size_t{1} << 62U));
  };

  if (action == "list" || action == "dead") {
    if (arguments.positional.size() != 1) throw UsageError("outbox " + action + " takes no ID");
    std::optional<outbox::State> state;
    if (action == "dead") {
      state = outbox::State::dead;
    } else if (const std::string* wanted = arguments.get("state")) {
      if (*wanted == "pending") {
        state = outbox::State::pending;
      } else if (*wanted == "delivered") {
        state = outbox::State::delivered;
      } else if (*wanted == "dead") {
        state = outbox::State::dead;
      } else {
        throw UsageError("--state is pending, delivered or dead");
      }
    }
    auto messages = box->list(state, limit);
    if (!messages) return fail(io, messages.problems(), kUsageOrIo, "cannot read the outbox");
    for (const auto& message : *messages)
      print_line(message, action == "dead");
    io.err << messages->size() << (action == "dead" ? " dead letter(s)" : " message(s)") << '\n';
    return kOk;
  }
  if (action == "show") {
    auto message = box->get(message_id());
    if (!message) return fail(io, message.problems(), kUsageOrIo, "cannot read the outbox");
    if (!message->has_value()) {
      return fail(io, Outcome::of(Severity::error, IssueType::not_found, "no such message"),
                  kInvalidInput, "no message " + arguments.positional[1]);
    }
    print_line(**message, true);
    return kOk;
  }
  if (action == "retry") {
    const outbox::MessageId id = message_id();
    auto retried = box->retry(id);
    if (!retried) return fail(io, retried.problems(), kUsageOrIo, "cannot update the outbox");
    if (!*retried) {
      return fail(io,
                  Outcome::of(Severity::error, IssueType::not_found,
                              "message " + std::to_string(id) + " is not a dead letter"),
                  kInvalidInput, "nothing to retry");
    }
    auto message = box->get(id);
    if (message && message->has_value()) print_line(**message, false);
    io.err << "message " << id << " is pending again; the delivery worker sends it next\n";
    return kOk;
  }
  throw UsageError("unknown outbox subcommand \"" + action + "\" (list, dead, show ID, retry ID)");
}

}  // namespace adapter::cli
