#include "adapter/route/router.h"

#include <algorithm>
#include <optional>

#include "adapter/fhir/digest.h"
#include "adapter/fhirpath/expression.h"
#include "adapter/fhirpath/value.h"

namespace adapter::route {
namespace {

using fhir::IssueType;
using fhir::Outcome;

enum class TargetKind { endpoint, municipality, her_id };

struct CompiledRule {
  std::string name;
  std::string pointer;  // /routes/N
  std::vector<std::string> kinds;
  std::optional<fhirpath::Expression> when;
  TargetKind target = TargetKind::endpoint;
  std::string endpoint;                      // TargetKind::endpoint
  std::optional<fhirpath::Expression> keys;  // municipality numbers or HER-ids
};

}  // namespace

struct Router::Impl {
  std::vector<CompiledRule> rules;
  std::vector<config::Endpoint> endpoints;
  fhirpath::Evaluator evaluator;

  // The values an expression gives, as strings; an error names the rule.
  fhir::Result<std::vector<std::string>> strings(const CompiledRule& rule,
                                                 const fhirpath::Expression& expression,
                                                 const fhir::JsonValue& bundle,
                                                 std::string_view member) {
    auto result = evaluator.evaluate(expression, bundle);
    if (!result) {
      Outcome outcome;
      outcome.error(IssueType::processing, rule.pointer + "/" + std::string(member),
                    "routing rule \"" + rule.name + "\": " +
                        (result.problems().empty() ? std::string("evaluation failed")
                                                   : result.problems().issues()[0].message));
      return outcome;
    }
    std::vector<std::string> values;
    for (const auto& value : *result) {
      if (auto text = fhirpath::to_string(value)) values.push_back(std::move(*text));
    }
    return values;
  }
};

Router::Router(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;
Router::~Router() = default;

fhir::Result<Router> Router::create(const config::Config& config, const fhir::Model& model) {
  auto impl = std::make_unique<Impl>();
  impl->endpoints = config.endpoints;
  Outcome outcome;
  const fhirpath::CompileOptions options{.model = &model, .context_type = "Bundle"};
  auto compile = [&](const std::string& text,
                     const std::string& pointer) -> std::optional<fhirpath::Expression> {
    auto expression = fhirpath::Expression::compile(text, options);
    if (!expression) {
      for (const auto& issue : expression.problems().issues()) {
        outcome.error(IssueType::invalid, pointer, issue.message);
      }
      return std::nullopt;
    }
    return std::move(expression).value();
  };
  for (std::size_t index = 0; index < config.routes.size(); ++index) {
    const auto& route = config.routes[index];
    CompiledRule rule;
    rule.name = route.name;
    rule.pointer = "/routes/" + std::to_string(index);
    rule.kinds = route.kinds;
    if (!route.when.empty()) rule.when = compile(route.when, rule.pointer + "/when");
    if (!route.to.empty()) {
      rule.target = TargetKind::endpoint;
      rule.endpoint = route.to;
    } else if (!route.to_municipality.empty()) {
      rule.target = TargetKind::municipality;
      rule.keys = compile(route.to_municipality, rule.pointer + "/toMunicipality");
    } else {
      rule.target = TargetKind::her_id;
      rule.keys = compile(route.to_her_id, rule.pointer + "/toHerId");
    }
    impl->rules.push_back(std::move(rule));
  }
  if (outcome.has_errors()) return outcome;
  return Router(std::move(impl));
}

fhir::Result<std::vector<std::string>> Router::route(const fhir::JsonValue& bundle,
                                                     std::string_view kind) {
  Outcome outcome;
  std::vector<std::string> chosen;
  auto choose = [&](const std::string& id) {
    if (std::find(chosen.begin(), chosen.end(), id) == chosen.end()) chosen.push_back(id);
  };
  for (const auto& rule : impl_->rules) {
    if (!rule.kinds.empty() &&
        std::find(rule.kinds.begin(), rule.kinds.end(), kind) == rule.kinds.end()) {
      continue;
    }
    if (rule.when) {
      auto applies = impl_->strings(rule, *rule.when, bundle, "when");
      if (!applies) {
        outcome.merge(applies.problems());
        continue;
      }
      if (applies->size() != 1 || (*applies)[0] != "true") continue;
    }
    if (rule.target == TargetKind::endpoint) {
      choose(rule.endpoint);
      continue;
    }
    const bool by_municipality = rule.target == TargetKind::municipality;
    const std::string member = by_municipality ? "toMunicipality" : "toHerId";
    auto keys = impl_->strings(rule, *rule.keys, bundle, member);
    if (!keys) {
      outcome.merge(keys.problems());
      continue;
    }
    for (const auto& key : *keys) {
      bool served = false;
      for (const auto& endpoint : impl_->endpoints) {
        const auto& served_keys = by_municipality ? endpoint.municipalities : endpoint.her_ids;
        if (std::find(served_keys.begin(), served_keys.end(), key) != served_keys.end()) {
          choose(endpoint.id);
          served = true;
        }
      }
      if (!served) {
        outcome.error(IssueType::not_found, rule.pointer + "/" + member,
                      "routing rule \"" + rule.name + "\": no endpoint serves " +
                          (by_municipality ? "municipality " : "HER-id ") + key);
      }
    }
  }
  if (!outcome.has_errors() && chosen.empty()) {
    outcome.error(IssueType::not_found, "/routes",
                  "no routing rule sends this " + std::string(kind) + " anywhere");
  }
  if (outcome.has_errors()) return outcome;
  // Configuration order, whatever order the rules chose them in.
  std::vector<std::string> ordered;
  for (const auto& endpoint : impl_->endpoints) {
    if (std::find(chosen.begin(), chosen.end(), endpoint.id) != chosen.end()) {
      ordered.push_back(endpoint.id);
    }
  }
  return ordered;
}

std::string ordering_key(const fhir::JsonValue& bundle) {
  const fhir::JsonValue* entries = bundle.find("entry");
  if (entries == nullptr) return "bundle";
  for (const auto& entry : entries->items()) {
    const fhir::JsonValue* resource = entry.find("resource");
    if (resource == nullptr) continue;
    const fhir::JsonValue* type = resource->find("resourceType");
    if (type == nullptr || type->as_string() != "Patient") continue;
    const fhir::JsonValue* identifiers = resource->find("identifier");
    if (identifiers == nullptr) continue;
    for (const auto& identifier : identifiers->items()) {
      const fhir::JsonValue* system = identifier.find("system");
      const fhir::JsonValue* value = identifier.find("value");
      if (system != nullptr && value != nullptr) {
        return "patient:" + fhir::sha256_hex(std::string(system->as_string()) + "|" +
                                             std::string(value->as_string()));
      }
    }
  }
  return "bundle";
}

}  // namespace adapter::route
