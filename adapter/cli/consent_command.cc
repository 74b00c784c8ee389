// fhir-adapter consent: decide (the engine on one request), import (directives read from a
// server) and audit (the AuditEvents of the decisions made). See docs/consent.md.
#include <ostream>

#include "adapter/cli/exchange.h"
#include "adapter/cli/support.h"
#include "adapter/config/config.h"
#include "adapter/consent/engine.h"
#include "adapter/consent/store.h"

namespace adapter::cli {

int run_consent(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments =
      parse_arguments(args, 1, {"config", "limit", "max-bytes", "max-depth"});
  if (arguments.positional.empty()) {
    throw UsageError("consent needs a subcommand: decide REQUEST|-, import FILE..., audit");
  }
  const std::string& action = arguments.positional[0];
  const fhir::JsonLimits limits = json_limits(arguments);
  if (action == "decide") {
    if (arguments.positional.size() != 2) throw UsageError("consent decide takes one REQUEST or -");
    auto text = fhir::read_bounded(arguments.positional[1], limits.max_bytes);
    if (!text) return fail(io, text.problems(), kUsageOrIo, "cannot read the request");
    auto document = fhir::JsonDocument::parse(*text, limits);
    if (!document) return fail(io, document.problems(), kUsageOrIo, "the request is not JSON");
    const consent::Decision decision = consent::decide(consent::read_request(document->root()));
    print_pretty(io, consent::to_json(decision));
    io.err << "consent: " << consent::to_string(decision.verdict) << " by rule " << decision.rule
           << '\n';
    return decision.verdict == consent::Verdict::permit ? kOk : kInvalidInput;
  }
  const std::string* config_path = arguments.get("config");
  if (config_path == nullptr) throw UsageError("consent " + action + " needs --config FILE");
  auto config = config::load(*config_path);
  if (!config) return fail(io, config.problems(), kUsageOrIo, "the configuration is invalid");
  auto store = consent::ConsentStore::open(config->consent_store_path);
  if (!store) return fail(io, store.problems(), kUsageOrIo, "cannot open the consent store");
  if (action == "import") {
    if (arguments.positional.size() < 2) throw UsageError("consent import takes FILE...");
    int status = kOk;
    for (std::size_t i = 1; i < arguments.positional.size(); ++i) {
      const std::string& file = arguments.positional[i];
      auto text = fhir::read_bounded(file, limits.max_bytes);
      auto document = text ? fhir::JsonDocument::parse(*text, limits)
                           : fhir::Result<fhir::JsonDocument>(text.problems());
      if (!document) return fail(io, document.problems(), kInvalidInput, file + " cannot be read");
      auto kept = store->add(document->root());
      if (!kept) {
        status = kInvalidInput;
        io.out << R"({"file":")" << file << R"(","outcome":)" << kept.problems().to_json(false)
               << "}\n";
        continue;
      }
      io.out << R"({"file":")" << file << R"(","directives":)" << *kept << "}\n";
    }
    return status;
  }
  if (action == "audit") {
    const std::size_t limit =
        arguments.get("limit") ? parse_count(*arguments.get("limit"), "limit", 1'000'000) : 1000;
    auto events = store->audits(limit);
    if (!events) return fail(io, events.problems(), kUsageOrIo, "cannot read the consent store");
    for (const auto& event : *events)
      io.out << event.json << '\n';
    io.err << events->size() << " consent decision(s)\n";
    return kOk;
  }
  throw UsageError("unknown consent subcommand \"" + action + "\" (decide, import, audit)");
}

}  // namespace adapter::cli
