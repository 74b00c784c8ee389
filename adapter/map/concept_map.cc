#include "adapter/map/concept_map.h"

#include <fmt/format.h>

#include <algorithm>

namespace adapter::map {
namespace {

using fhir::IssueType;
using fhir::JsonValue;
using fhirpath::Value;

std::string_view member_string(const JsonValue& object, std::string_view key) {
  const JsonValue* value = object.find(key);
  return value != nullptr && value->is_string() ? value->as_string() : std::string_view{};
}

std::optional<std::string_view> text_of(const Value& value) {
  if (value.kind() == fhirpath::ValueKind::string) return value.as_string();
  if (value.is_node() && value.json() != nullptr && value.json()->is_string()) {
    return value.json()->as_string();
  }
  return std::nullopt;
}

}  // namespace

void ConceptMaps::add(const JsonValue& concept_map, const std::string& file,
                      fhir::Outcome& problems) {
  auto problem = [&](const std::string& message) {
    problems.error(IssueType::invalid, "", fmt::format("{}: {}", file, message));
  };
  if (member_string(concept_map, "resourceType") != "ConceptMap") {
    problem("not a ConceptMap (resourceType)");
    return;
  }
  const std::string_view id = member_string(concept_map, "id");
  if (id.empty()) {
    problem("a ConceptMap needs an id; translate('id') names it");
    return;
  }
  if (maps_.find(id) != maps_.end()) {
    problem(fmt::format("a second ConceptMap with id \"{}\"", id));
    return;
  }
  // Build all target codings as one JSON array, parsed once, so translate() can hand out
  // nodes that live as long as the map.
  std::string codings = "[";
  struct Pending {
    std::string source;
    std::size_t first = 0;
    std::size_t count = 0;
  };
  std::vector<Pending> pending;
  std::size_t total = 0;
  auto map = std::make_unique<Map>();
  const JsonValue* groups = concept_map.find("group");
  for (const JsonValue& group :
       groups != nullptr ? groups->items() : std::span<const JsonValue>{}) {
    const std::string_view target_system = member_string(group, "target");
    const JsonValue* elements = group.find("element");
    for (const JsonValue& element :
         elements != nullptr ? elements->items() : std::span<const JsonValue>{}) {
      const std::string_view source = member_string(element, "code");
      if (source.empty()) {
        problem("an element without code");
        continue;
      }
      Pending entry{std::string(source), total, 0};
      const JsonValue* targets = element.find("target");
      for (const JsonValue& target :
           targets != nullptr ? targets->items() : std::span<const JsonValue>{}) {
        const std::string_view code = member_string(target, "code");
        const std::string_view equivalence = member_string(target, "equivalence");
        if (equivalence == "unmatched" || equivalence == "disjoint" || code.empty()) continue;
        if (target_system.empty()) {
          problem(fmt::format("the group of \"{}\" has no target system", source));
          continue;
        }
        if (total > 0) codings += ',';
        codings += fmt::format("{{\"system\":{},\"code\":{}",
                               fhir::to_json(JsonValue::unowned_string(target_system)),
                               fhir::to_json(JsonValue::unowned_string(code)));
        const std::string_view display = member_string(target, "display");
        if (!display.empty()) {
          codings +=
              fmt::format(",\"display\":{}", fhir::to_json(JsonValue::unowned_string(display)));
        }
        codings += '}';
        ++total;
        ++entry.count;
        map->reverse.emplace(fmt::format("{}|{}", target_system, code), std::string(source));
        map->reverse_by_code.emplace(std::string(code), std::string(source));
      }
      if (map->forward.count(source) > 0 ||
          std::any_of(pending.begin(), pending.end(),
                      [&](const Pending& p) { return p.source == source; })) {
        problem(fmt::format("the source code \"{}\" is listed twice", source));
        continue;
      }
      pending.push_back(std::move(entry));
    }
  }
  codings += ']';
  auto parsed = fhir::JsonDocument::parse(codings);
  if (!parsed) {
    problem("internal error building target codings");
    return;
  }
  map->codings = std::move(parsed).value();
  const auto items = map->codings.root().items();
  for (const Pending& entry : pending) {
    std::vector<const JsonValue*> targets;
    for (std::size_t i = 0; i < entry.count; ++i)
      targets.push_back(&items[entry.first + i]);
    map->forward.emplace(entry.source, std::move(targets));
  }
  maps_.emplace(std::string(id), std::move(map));
}

std::optional<std::vector<const JsonValue*>> ConceptMaps::translate(std::string_view map,
                                                                    std::string_view code) const {
  const auto found = maps_.find(map);
  if (found == maps_.end()) return std::nullopt;
  const auto entry = found->second->forward.find(code);
  if (entry == found->second->forward.end()) return std::nullopt;
  return entry->second;
}

std::optional<std::string_view> ConceptMaps::reverse(std::string_view map, std::string_view system,
                                                     std::string_view code) const {
  const auto found = maps_.find(map);
  if (found == maps_.end()) return std::nullopt;
  if (system.empty()) {
    const auto entry = found->second->reverse_by_code.find(code);
    if (entry == found->second->reverse_by_code.end()) return std::nullopt;
    return entry->second;
  }
  const auto entry = found->second->reverse.find(fmt::format("{}|{}", system, code));
  if (entry == found->second->reverse.end()) return std::nullopt;
  return entry->second;
}

void ConceptMaps::register_functions(fhirpath::FunctionRegistry& registry) const {
  auto map_name = [](const fhirpath::FunctionCall& call) -> std::optional<std::string_view> {
    if (call.args.empty() || call.args[0].size() != 1) return std::nullopt;
    return text_of(call.args[0][0]);
  };
  registry.add("translate", 1, 1,
               [this, map_name](fhirpath::FunctionCall& call) -> std::optional<std::string> {
                 const auto map = map_name(call);
                 if (!map) return "the argument is the id of a ConceptMap";
                 if (!contains(*map)) return fmt::format("no ConceptMap with id \"{}\"", *map);
                 for (const Value& item : call.focus) {
                   const auto code = text_of(item);
                   if (!code) return "translate() works on codes (strings)";
                   const auto targets = translate(*map, *code);
                   if (!targets)
                     return fmt::format("ConceptMap \"{}\" has no entry for \"{}\"", *map, *code);
                   for (const JsonValue* coding : *targets)
                     call.out.push_back(Value::node(coding, nullptr));
                 }
                 return std::nullopt;
               });
  registry.add("reverseTranslate", 1, 1,
               [this, map_name](fhirpath::FunctionCall& call) -> std::optional<std::string> {
                 const auto map = map_name(call);
                 if (!map) return "the argument is the id of a ConceptMap";
                 if (!contains(*map)) return fmt::format("no ConceptMap with id \"{}\"", *map);
                 for (const Value& item : call.focus) {
                   std::string_view system;
                   std::optional<std::string_view> code = text_of(item);
                   if (!code && item.is_object_node()) {
                     system = member_string(*item.json(), "system");
                     code = member_string(*item.json(), "code");
                   }
                   if (!code || code->empty())
                     return "reverseTranslate() works on a Coding or a code";
                   const auto source = reverse(*map, system, *code);
                   if (!source) {
                     return fmt::format("ConceptMap \"{}\" has no source for {}{}{}", *map, system,
                                        system.empty() ? "" : "|", *code);
                   }
                   call.out.push_back(Value::of(*source));
                 }
                 return std::nullopt;
               });
}

}  // namespace adapter::map
