#include "adapter/validate/profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "adapter/fhirpath/expression.h"
#include "adapter/validate/code_set.h"

namespace adapter::validate {
namespace {

using fhir::IssueType;
using fhir::JsonValue;

constexpr std::size_t kMaxProfileBytes = 8U << 20U;

std::string_view member_string(const JsonValue& object, std::string_view key) {
  const JsonValue* value = object.find(key);
  return value != nullptr && value->is_string() ? value->as_string() : std::string_view{};
}

struct Constraint {
  std::string key;
  bool error = true;
  std::string human;
  std::unique_ptr<fhirpath::Expression> expression;
};

// One element of a differential: `name` under its parent, maybe one slice of it.
struct Rule {
  std::string name;  // JSON name without [x]
  bool choice = false;
  std::string slice;
  std::optional<std::uint32_t> min;
  std::optional<std::uint32_t> max;  // UINT32_MAX for "*"
  const JsonValue* fixed = nullptr;
  const JsonValue* pattern = nullptr;
  std::string binding_strength;
  std::string binding_value_set;
  std::string extension_url;  // slices of extension: the extension's profile
  const fhir::TypeInfo* type = nullptr;
  std::vector<Constraint> constraints;
  std::vector<std::unique_ptr<Rule>> children;

  Rule* child(std::string_view child_name, std::string_view child_slice) {
    for (auto& c : children) {
      if (c->name == child_name && c->slice == child_slice) return c.get();
    }
    auto& added = children.emplace_back(std::make_unique<Rule>());
    added->name = std::string(child_name);
    added->slice = std::string(child_slice);
    return added.get();
  }
};

struct Profile {
  std::string url;
  std::string name;
  std::string type;
  Rule root;
};

using Codes = CodeSet;

struct Instance {
  const JsonValue* value = nullptr;
  std::string expression;
  std::string pointer;
};

bool matches_pattern(const JsonValue& pattern, const JsonValue& value) {
  if (pattern.is_object()) {
    if (!value.is_object()) return false;
    for (const fhir::JsonMember& member : pattern.members()) {
      const JsonValue* other = value.find(member.key);
      if (other == nullptr || !matches_pattern(member.value, *other)) return false;
    }
    return true;
  }
  if (pattern.is_array()) {
    if (!value.is_array()) return false;
    return std::all_of(pattern.items().begin(), pattern.items().end(), [&](const JsonValue& p) {
      return std::any_of(value.items().begin(), value.items().end(),
                         [&](const JsonValue& v) { return matches_pattern(p, v); });
    });
  }
  return pattern == value;
}

// The JSON values of `name` (a choice: any of its typed names) under `parent`.
std::vector<Instance> children_of(const Instance& parent, const Rule& rule) {
  std::vector<Instance> out;
  if (parent.value == nullptr || !parent.value->is_object()) return out;
  for (const fhir::JsonMember& member : parent.value->members()) {
    const std::string_view key = member.key;
    const bool match = rule.choice
                           ? key.size() > rule.name.size() && key.starts_with(rule.name) &&
                                 std::isupper(static_cast<unsigned char>(key[rule.name.size()]))
                           : key == rule.name;
    if (!match) continue;
    const std::string expression = parent.expression + "." + std::string(key);
    const std::string pointer = parent.pointer + "/" + fhir::pointer_token(key);
    if (member.value.is_array()) {
      for (std::size_t i = 0; i < member.value.size(); ++i) {
        out.push_back({&member.value.items()[i], fmt::format("{}[{}]", expression, i),
                       fmt::format("{}/{}", pointer, i)});
      }
    } else {
      out.push_back({&member.value, expression, pointer});
    }
  }
  return out;
}

// Whether `item` belongs to the slice `rule`: its own pattern/fixed value, the extension URL,
// and the fixed/pattern values its children declare must all hold.
bool in_slice(const Rule& rule, const Instance& item) {
  if (rule.fixed != nullptr && !(*rule.fixed == *item.value)) return false;
  if (rule.pattern != nullptr && !matches_pattern(*rule.pattern, *item.value)) return false;
  if (!rule.extension_url.empty() && member_string(*item.value, "url") != rule.extension_url) {
    return false;
  }
  for (const auto& child : rule.children) {
    if (!child->slice.empty()) continue;
    const bool discriminates =
        child->fixed != nullptr || child->pattern != nullptr ||
        std::any_of(child->children.begin(), child->children.end(),
                    [](const auto& c) { return c->fixed != nullptr || c->pattern != nullptr; });
    if (!discriminates) continue;
    const auto values = children_of(item, *child);
    if (std::none_of(values.begin(), values.end(),
                     [&](const Instance& v) { return in_slice(*child, v); })) {
      return false;
    }
  }
  return true;
}

}  // namespace

struct ProfileSet::State {
  const fhir::Model* model = nullptr;
  std::vector<fhir::JsonDocument> documents;  // own every JsonValue the rules point to
  std::map<std::string, Profile, std::less<>> profiles;
  std::map<std::string, Codes, std::less<>> value_sets;

  const Codes* codes(std::string_view url) const {
    const std::string_view bare = url.substr(0, url.find('|'));
    const auto it = value_sets.find(bare);
    return it == value_sets.end() ? nullptr : &it->second;
  }
};

namespace {

// Project ValueSets: whole project CodeSystems or listed concepts; base ones from the model.
void build_value_sets(ProfileSet::State& state,
                      const std::map<std::string, const JsonValue*>& code_systems,
                      const std::vector<const JsonValue*>& value_sets) {
  auto add_concepts = [](const JsonValue& concepts, const std::string& system, Codes& codes,
                         auto& self) -> void {
    for (const JsonValue& concept_item : concepts.items()) {
      codes.add(system, member_string(concept_item, "code"));
      if (const JsonValue* nested = concept_item.find("concept"))
        self(*nested, system, codes, self);
    }
  };
  for (const JsonValue* vs : value_sets) {
    Codes codes;
    const JsonValue* compose = vs->find("compose");
    const JsonValue* includes = compose != nullptr ? compose->find("include") : nullptr;
    if (includes == nullptr) codes.mark_not_expandable();
    for (const JsonValue& include :
         includes != nullptr ? includes->items() : std::span<const JsonValue>{}) {
      const std::string system(member_string(include, "system"));
      if (const JsonValue* concepts = include.find("concept")) {
        for (const JsonValue& c : concepts->items())
          codes.add(system, member_string(c, "code"));
        continue;
      }
      const auto cs = code_systems.find(system);
      if (include.find("filter") != nullptr || cs == code_systems.end()) {
        codes.mark_not_expandable();
        continue;
      }
      if (const JsonValue* concepts = cs->second->find("concept")) {
        add_concepts(*concepts, system, codes, add_concepts);
      }
    }
    state.value_sets[std::string(member_string(*vs, "url"))] = std::move(codes);
  }
}

bool parse_profile(ProfileSet::State& state, const JsonValue& sd, const std::string& where,
                   fhir::Outcome& problems) {
  Profile profile;
  profile.url = std::string(member_string(sd, "url"));
  profile.name = std::string(member_string(sd, "name"));
  profile.type = std::string(member_string(sd, "type"));
  const fhir::TypeInfo* root_type = state.model->type(profile.type);
  if (profile.url.empty() || root_type == nullptr) {
    problems.error(IssueType::structure, "",
                   fmt::format("{}: a profile needs a url and a known type", where));
    return false;
  }
  profile.root.name = profile.type;
  profile.root.type = root_type;
  const JsonValue* differential = sd.find("differential");
  const JsonValue* elements = differential != nullptr ? differential->find("element") : nullptr;
  for (const JsonValue& element :
       elements != nullptr ? elements->items() : std::span<const JsonValue>{}) {
    std::string_view id = member_string(element, "id");
    if (id.empty()) id = member_string(element, "path");
    // "Patient.identifier:FNR.system" → Patient / identifier:FNR / system
    Rule* rule = &profile.root;
    const fhir::TypeInfo* type = root_type;
    std::size_t at = id.find('.');
    if (id.substr(0, at) != profile.type) {
      problems.error(IssueType::structure, "",
                     fmt::format("{}: element {} is not under {}", where, id, profile.type));
      return false;
    }
    while (at != std::string_view::npos) {
      const std::size_t next = id.find('.', at + 1);
      std::string_view segment = id.substr(
          at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1);
      std::string_view slice;
      if (const std::size_t colon = segment.find(':'); colon != std::string_view::npos) {
        slice = segment.substr(colon + 1);
        segment = segment.substr(0, colon);
      }
      const bool choice = segment.ends_with("[x]");
      if (choice) segment.remove_suffix(3);
      rule = rule->child(segment, slice);
      rule->choice = choice;
      const fhir::ElementInfo* info = type != nullptr ? type->element(segment) : nullptr;
      type = info != nullptr && info->types.size() == 1 ? info->types.front() : nullptr;
      rule->type = type;
      at = next;
    }
    if (const JsonValue* min = element.find("min")) {
      rule->min = static_cast<std::uint32_t>(min->as_int64().value_or(0));
    }
    if (const std::string_view max = member_string(element, "max"); !max.empty()) {
      rule->max =
          max == "*" ? UINT32_MAX : static_cast<std::uint32_t>(std::stoul(std::string(max)));
    }
    for (const fhir::JsonMember& member : element.members()) {
      if (member.key.starts_with("fixed")) rule->fixed = &member.value;
      if (member.key.starts_with("pattern")) rule->pattern = &member.value;
    }
    if (const JsonValue* binding = element.find("binding")) {
      rule->binding_strength = std::string(member_string(*binding, "strength"));
      rule->binding_value_set = std::string(member_string(*binding, "valueSet"));
    }
    if (const JsonValue* types = element.find("type"); types != nullptr && types->size() > 0) {
      const JsonValue& first = types->items()[0];
      if (member_string(first, "code") == "Extension" && !rule->slice.empty()) {
        if (const JsonValue* profiles = first.find("profile"); profiles && profiles->size() > 0) {
          rule->extension_url = std::string(profiles->items()[0].as_string());
        }
      }
    }
    if (const JsonValue* constraints = element.find("constraint")) {
      for (const JsonValue& c : constraints->items()) {
        const std::string_view text = member_string(c, "expression");
        if (text.empty()) continue;
        auto expression = fhirpath::Expression::compile(text, {.model = state.model});
        if (!expression) {
          problems.error(IssueType::invalid, "",
                         fmt::format("{}: constraint {} of {}: {}", where, member_string(c, "key"),
                                     id, expression.problems().issues().front().message));
          continue;
        }
        rule->constraints.push_back(
            {std::string(member_string(c, "key")), member_string(c, "severity") != "warning",
             std::string(member_string(c, "human")),
             std::make_unique<fhirpath::Expression>(std::move(expression).value())});
      }
    }
  }
  state.profiles[profile.url] = std::move(profile);
  return true;
}

class Check {
 public:
  Check(const ProfileSet::State& state, const Profile& profile, fhir::Outcome& outcome,
        const JsonValue& resource)
      : state_(state), profile_(profile), outcome_(outcome), resource_(resource) {}

  void rule_children(const Rule& rule, const std::vector<Instance>& parents) {
    for (const auto& child : rule.children) {
      for (const Instance& parent : parents) {
        std::vector<Instance> items = children_of(parent, *child);
        if (!child->slice.empty()) {
          std::erase_if(items, [&](const Instance& item) { return !in_slice(*child, item); });
        }
        count(*child, parent, items.size());
        for (const Instance& item : items)
          values(*child, item);
        rule_children(*child, items);
      }
    }
  }

 private:
  std::string label(const Rule& rule) const {
    return rule.slice.empty() ? rule.name : fmt::format("{} (slice {})", rule.name, rule.slice);
  }

  void add(fhir::Severity severity, IssueType type, const Instance& at, std::string message) {
    fhir::Issue issue;
    issue.severity = severity;
    issue.type = type;
    issue.message = fmt::format("{} [profile {}]", message,
                                profile_.name.empty() ? profile_.url : profile_.name);
    issue.expression = at.expression;
    issue.location = at.pointer;
    outcome_.add(std::move(issue));
  }

  void count(const Rule& rule, const Instance& parent, std::size_t found) {
    if (rule.min && found < *rule.min) {
      Instance at{parent.value, parent.expression + "." + rule.name,
                  parent.pointer + "/" + rule.name};
      add(fhir::Severity::error, IssueType::required, at,
          fmt::format("{}: {} found, at least {} required", label(rule), found, *rule.min));
    }
    if (rule.max && found > *rule.max) {
      Instance at{parent.value, parent.expression + "." + rule.name,
                  parent.pointer + "/" + rule.name};
      add(fhir::Severity::error, IssueType::structure, at,
          fmt::format("{}: {} found, at most {} allowed", label(rule), found, *rule.max));
    }
  }

  void values(const Rule& rule, const Instance& item) {
    if (rule.fixed != nullptr && !(*rule.fixed == *item.value)) {
      add(fhir::Severity::error, IssueType::value, item,
          fmt::format("{} differs from the fixed value {}", fhir::to_json(*item.value),
                      fhir::to_json(*rule.fixed)));
    }
    if (rule.pattern != nullptr && !matches_pattern(*rule.pattern, *item.value)) {
      add(fhir::Severity::error, IssueType::value, item,
          fmt::format("does not match the pattern {}", fhir::to_json(*rule.pattern)));
    }
    if (!rule.binding_value_set.empty()) binding(rule, item);
    for (const Constraint& constraint : rule.constraints) {
      const fhirpath::Value context = fhirpath::Value::node(item.value, rule.type);
      auto result = evaluator_.evaluate(*constraint.expression, context, resource_);
      const bool holds =
          result && (result->empty() ||
                     (result->size() == 1 && (*result)[0].kind() == fhirpath::ValueKind::boolean &&
                      (*result)[0].as_bool()));
      if (!holds) {
        add(constraint.error ? fhir::Severity::error : fhir::Severity::warning,
            IssueType::invariant, item, fmt::format("{}: {}", constraint.key, constraint.human));
      }
    }
  }

  void binding(const Rule& rule, const Instance& item) {
    const std::string_view url = rule.binding_value_set;
    const fhir::Severity severity =
        rule.binding_strength == "required"     ? fhir::Severity::error
        : rule.binding_strength == "extensible" ? fhir::Severity::warning
        : rule.binding_strength == "preferred"  ? fhir::Severity::warning
                                                : fhir::Severity::information;
    if (severity == fhir::Severity::information) return;  // example bindings
    const Codes* codes = state_.codes(url);
    if (codes == nullptr || !codes->expandable()) {
      add(fhir::Severity::information, IssueType::informational, item,
          fmt::format("not checked against {}: not a value set the adapter can expand", url));
      return;
    }
    if (!codes->covers(*item.value)) {
      add(severity, IssueType::code_invalid, item,
          fmt::format("not in the value set {} ({} binding)", url, rule.binding_strength));
    }
  }

  const ProfileSet::State& state_;
  const Profile& profile_;
  fhir::Outcome& outcome_;
  const JsonValue& resource_;
  fhirpath::Evaluator evaluator_;
};

}  // namespace

ProfileSet::ProfileSet() : state_(std::make_unique<State>()) {}
ProfileSet::ProfileSet(ProfileSet&&) noexcept = default;
ProfileSet& ProfileSet::operator=(ProfileSet&&) noexcept = default;
ProfileSet::~ProfileSet() = default;

fhir::Result<ProfileSet> ProfileSet::from(const std::vector<const JsonValue*>& resources,
                                          const fhir::Model& model) {
  ProfileSet set;
  set.state_->model = &model;
  fhir::Outcome problems;
  std::map<std::string, const JsonValue*> code_systems;
  std::vector<const JsonValue*> value_sets;
  for (const JsonValue* resource : resources) {
    const std::string_view type = member_string(*resource, "resourceType");
    if (type == "CodeSystem") code_systems[std::string(member_string(*resource, "url"))] = resource;
    if (type == "ValueSet") value_sets.push_back(resource);
  }
  build_value_sets(*set.state_, code_systems, value_sets);
  for (const JsonValue* resource : resources) {
    if (member_string(*resource, "resourceType") != "StructureDefinition") continue;
    if (member_string(*resource, "derivation") != "constraint") continue;
    if (member_string(*resource, "type") == "Extension") continue;
    parse_profile(*set.state_, *resource, std::string(member_string(*resource, "url")), problems);
  }
  // Bindings to the base specification's value sets use its build-time expansions.
  auto add_base = [&](const Rule& rule, auto& self) -> void {
    const std::string_view url =
        std::string_view(rule.binding_value_set).substr(0, rule.binding_value_set.find('|'));
    if (!url.empty() && set.state_->value_sets.find(url) == set.state_->value_sets.end()) {
      if (const fhir::ValueSetExpansion* base = model.value_set(url)) {
        set.state_->value_sets[std::string(url)] = CodeSet(*base);
      }
    }
    for (const auto& child : rule.children)
      self(*child, self);
  };
  for (const auto& [url, profile] : set.state_->profiles)
    add_base(profile.root, add_base);
  if (problems.has_errors()) return problems;
  return set;
}

fhir::Result<ProfileSet> ProfileSet::load(const std::string& folder, const fhir::Model& model) {
  std::vector<fhir::JsonDocument> documents;
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (error) {
    return fhir::Outcome::of(fhir::Severity::fatal, IssueType::exception,
                             fmt::format("cannot read {}: {}", folder, error.message()));
  }
  std::sort(files.begin(), files.end());
  fhir::Outcome problems;
  for (const auto& file : files) {
    auto text = fhir::read_bounded(file.string(), kMaxProfileBytes);
    if (!text) {
      problems.merge(text.problems());
      continue;
    }
    auto document = fhir::JsonDocument::parse(*text);
    if (!document) {
      problems.error(IssueType::structure, "", fmt::format("{}: not JSON", file.string()));
      continue;
    }
    const std::string_view type = member_string(document->root(), "resourceType");
    if (type == "StructureDefinition" || type == "CodeSystem" || type == "ValueSet") {
      documents.push_back(std::move(document).value());
    }
  }
  if (problems.has_errors()) return problems;
  std::vector<const JsonValue*> roots;
  roots.reserve(documents.size());
  for (const auto& document : documents)
    roots.push_back(&document.root());
  auto set = from(roots, model);
  if (!set) return set.problems();
  for (auto& document : documents)
    set->state_->documents.push_back(std::move(document));
  return set;
}

bool ProfileSet::contains(std::string_view url) const {
  return state_->profiles.find(url.substr(0, url.find('|'))) != state_->profiles.end();
}

std::size_t ProfileSet::size() const {
  return state_->profiles.size();
}

bool ProfileSet::check(std::string_view url, const JsonValue& resource, fhir::Outcome& outcome,
                       std::string_view expression, std::string_view pointer) const {
  const auto it = state_->profiles.find(url.substr(0, url.find('|')));
  if (it == state_->profiles.end()) return false;
  const Profile& profile = it->second;
  if (member_string(resource, "resourceType") != profile.type) {
    fhir::Issue issue;
    issue.severity = fhir::Severity::error;
    issue.type = IssueType::structure;
    issue.message = fmt::format("the profile {} is for {}, not {}", profile.url, profile.type,
                                member_string(resource, "resourceType"));
    issue.expression = expression.empty() ? std::string(member_string(resource, "resourceType"))
                                          : std::string(expression);
    issue.location = std::string(pointer);
    outcome.add(std::move(issue));
    return true;
  }
  Check check(*state_, profile, outcome, resource);
  const Instance root{&resource, expression.empty() ? profile.type : std::string(expression),
                      std::string(pointer)};
  check.rule_children(profile.root, {root});
  return true;
}

}  // namespace adapter::validate
