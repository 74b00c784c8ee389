#include "adapter/validate/validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "adapter/fhirpath/expression.h"
#include "adapter/validate/code_set.h"
#include "adapter/validate/primitive.h"

namespace adapter::validate {
namespace {

using fhir::IssueType;
using fhir::JsonValue;
using fhir::TypeInfo;

constexpr std::size_t kMaxNesting = 100;

struct CompiledInvariant {
  const fhir::Invariant* source = nullptr;
  std::unique_ptr<fhirpath::Expression> expression;
  // When the expression reads nothing but these members of its context
  // (Expression::input_members), its verdict on a context without any of them is known:
  // the one on an empty object, worked out once. Empty when it must always be evaluated.
  std::vector<std::string> members;
  std::optional<bool> holds_without_members;
  std::string message;  // the issue's text when it does not hold
};
using Invariants =
    std::vector<const CompiledInvariant*>;  // resources inside resources, elements inside elements

struct Resolved {
  const fhir::ElementInfo* element = nullptr;
  const TypeInfo* type = nullptr;  // the chosen type of a choice element
};

// "valueString" → value[x] with type string; "status" → status.
std::optional<Resolved> resolve(const TypeInfo& owner, std::string_view key) {
  if (const fhir::ElementInfo* element = owner.element(key)) {
    if (element->choice) return std::nullopt;  // a choice needs its type suffix
    return Resolved{element, element->types.empty() ? nullptr : element->types.front()};
  }
  for (std::size_t i = key.size(); i-- > 1;) {
    if (!std::isupper(static_cast<unsigned char>(key[i]))) continue;
    const fhir::ElementInfo* element = owner.element(key.substr(0, i));
    if (element == nullptr || !element->choice) continue;
    const std::string_view suffix = key.substr(i);
    for (const TypeInfo* type : element->types) {
      const std::string_view name = type->name();
      if (name.size() == suffix.size() &&
          std::toupper(static_cast<unsigned char>(name[0])) == suffix[0] &&
          name.substr(1) == suffix.substr(1)) {
        return Resolved{element, type};
      }
    }
  }
  return std::nullopt;
}

// An invariant holds when its expression gives true or nothing.
bool holds(fhirpath::Collection result) {
  return result.empty() ||
         (result.size() == 1 && result[0].kind() == fhirpath::ValueKind::boolean &&
          result[0].as_bool());
}

bool is_resource_type_name(std::string_view text) {
  return !text.empty() && std::isupper(static_cast<unsigned char>(text[0])) &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// R4 invariants that cannot hold as written, corrected the way later FHIR versions or HL7's
// own validator read them. Each correction is a literal text replacement.
struct Correction {
  std::string_view key;
  std::string_view from;
  std::string_view to;
  std::string_view why;
};
constexpr Correction kCorrections[] = {
    {"dom-3", "descendants().as(", "descendants().ofType(",
     "as() is defined for one item; over all descendants the specification means ofType()"},
    {"que-7", "answer is Boolean", "answer is boolean",
     "System.Boolean is not the FHIR type of answer[x]; R5 writes answer is boolean"},
};

// The element a definition path names: "Patient.contact" → contact of Patient,
// "Observation.value[x]" → value of Observation, "Patient.contact.name" → name of the
// backbone type "Patient.contact".
const fhir::ElementInfo* element_at(const fhir::Model& model, std::string_view path) {
  const std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) return nullptr;
  const TypeInfo* parent = model.type(path.substr(0, dot));
  std::string_view name = path.substr(dot + 1);
  if (name.ends_with("[x]")) name.remove_suffix(3);
  return parent != nullptr ? parent->element(name) : nullptr;
}

std::string corrected(const fhir::Invariant& invariant) {
  std::string text(invariant.expression);
  for (const Correction& correction : kCorrections) {
    if (correction.key != invariant.key) continue;
    for (std::size_t at = text.find(correction.from); at != std::string::npos;
         at = text.find(correction.from, at + correction.to.size())) {
      text.replace(at, correction.from.size(), correction.to);
    }
  }
  return text;
}

}  // namespace

struct Validator::State {
  const fhir::Model* model = nullptr;
  const ProfileSet* profiles = nullptr;
  std::vector<CompiledInvariant> compiled;
  std::unordered_map<const void*, Invariants> by_owner;  // TypeInfo* or ElementInfo*
  std::vector<std::string> skipped;
  std::vector<Primitive> primitives;  // by the type's position in model->types()

  // Required bindings by element, with the codes of their value sets.
  struct ValueSetCodes {
    const fhir::ValueSetExpansion* expansion = nullptr;
    CodeSet codes;
  };
  std::map<std::string_view, ValueSetCodes> value_sets;
  std::unordered_map<const fhir::ElementInfo*, const ValueSetCodes*> bindings;
  const ValueSetCodes* binding(const fhir::ElementInfo& element) const {
    const auto it = bindings.find(&element);
    return it == bindings.end() ? nullptr : it->second;
  }

  const TypeInfo* first_type = nullptr;  // model->types().data(): types by position
  Primitive primitive(const TypeInfo& type) const {
    const auto index = static_cast<std::size_t>(&type - first_type);
    return index < primitives.size() ? primitives[index] : Primitive::unchecked;
  }

  const Invariants* find(const void* owner) const {
    const auto it = by_owner.find(owner);
    return it == by_owner.end() ? nullptr : &it->second;
  }

  // What a JSON member name (without '_') of one type resolves to, with what applies to
  // the element, so that the walk looks each member up once.
  struct Member {
    std::string_view key;  // "status", "valueQuantity"
    Resolved resolved;
    const ValueSetCodes* binding = nullptr;
    const Invariants* invariants = nullptr;
    bool contained = false;  // the element named "contained"
  };
  // An element with a minimum: reported missing unless `element` (the type's own look-up
  // of its name, which hides an inherited one) was seen.
  struct Required {
    const fhir::ElementInfo* declared = nullptr;
    const fhir::ElementInfo* element = nullptr;
    std::string_view path_name;  // its name in issue paths: "status", "value[x]"
  };
  // Per type: every member name that resolves (exactly the names resolve() accepts), in a
  // small open-addressing hash table, plus the type's required elements and invariants.
  struct TypeTable {
    std::vector<Member> members;
    std::vector<std::uint16_t> slots;  // index into members + 1; 0 = empty
    std::size_t mask = 0;
    std::vector<Required> required;
    Invariants invariants;   // own and inherited, the type's own first
    bool reference = false;  // the Reference type: its reference is checked too

    const Member* find(std::string_view key) const {
      if (slots.empty()) return nullptr;
      for (std::size_t slot = hash(key) & mask;; slot = (slot + 1) & mask) {
        const std::uint16_t entry = slots[slot];
        if (entry == 0) return nullptr;
        const Member& member = members[entry - 1U];
        if (same_key(member.key, key)) return &member;
      }
    }
    // Member names are short: hashing and comparing them as a few machine words, in line,
    // beats byte loops and calls to memcmp. A name is covered by its first and last eight
    // (or four) bytes, which overlap when it is shorter than 16 (or 8).
    struct Words {
      std::uint64_t head = 0;
      std::uint64_t tail = 0;
    };
    static Words words(std::string_view key) {
      Words w;
      const std::size_t n = key.size();
      if (n >= 8) {
        std::memcpy(&w.head, key.data(), 8);
        std::memcpy(&w.tail, key.data() + n - 8, 8);
      } else if (n >= 4) {
        std::uint32_t head = 0;
        std::uint32_t tail = 0;
        std::memcpy(&head, key.data(), 4);
        std::memcpy(&tail, key.data() + n - 4, 4);
        w.head = head;
        w.tail = tail;
      } else {
        for (std::size_t i = 0; i < n; ++i)
          w.head = w.head << 8U | static_cast<unsigned char>(key[i]);
      }
      return w;
    }
    static bool same_key(std::string_view a, std::string_view b) {
      if (a.size() != b.size()) return false;
      const Words x = words(a);
      const Words y = words(b);
      if (x.head != y.head || x.tail != y.tail) return false;
      return a.size() <= 16 || a.substr(8, a.size() - 16) == b.substr(8, b.size() - 16);
    }
    static std::size_t hash(std::string_view key) {
      const Words w = words(key);
      return ((w.head ^ (w.tail * 0x9E3779B97F4A7C15U) ^ key.size()) * 0xFF51AFD7ED558CCDU) >> 40U;
    }
  };
  std::vector<TypeTable> tables;  // by the type's position in model->types()
  // Names the tables view that the model does not hold: "valueQuantity", "value[x]".
  std::deque<std::string> member_names;
  const TypeTable& table(const TypeInfo& type) const {
    return tables[static_cast<std::size_t>(&type - first_type)];
  }
  const TypeInfo* element_type = nullptr;  // the model's Element, for `_name` objects
};

namespace {

class Walk {
 public:
  Walk(const Validator::State& state, fhir::Outcome& outcome)
      : model_(*state.model), state_(state), outcome_(outcome) {}

  void resource(const JsonValue& json, const TypeInfo* expected, bool contained = false) {
    if (!json.is_object()) {
      error(IssueType::structure, "a resource must be a JSON object");
      return;
    }
    const JsonValue* kind = json.find("resourceType");
    if (kind == nullptr || !kind->is_string()) {
      error(IssueType::required, "a resource needs a resourceType");
      return;
    }
    const TypeInfo* type = model_.type(kind->as_string());
    if (type == nullptr || !type->is_resource() || type->is_abstract()) {
      error(IssueType::value,
            fmt::format("\"{}\" is not a FHIR R4 resource type", kind->as_string()));
      return;
    }
    if (expected != nullptr && !type->is_a(*expected)) {
      error(IssueType::structure,
            fmt::format("a {} is not allowed here (expected {})", type->name(), expected->name()));
      return;
    }
    if (fhirpath_.empty()) fhirpath_ = std::string(type->name());
    const fhir::JsonValue* outer = resource_;
    const fhir::JsonValue* outer_root = root_;
    const fhirpath::Value outer_value = resource_value_;
    resource_ = &json;
    resource_value_ = fhirpath::Value::node(&json, type);
    // A contained resource's %rootResource is its container; anything else is its own root.
    if (!contained || root_ == nullptr) root_ = &json;
    const bool bundle = type->name() == "Bundle";
    if (bundle) open_bundle(json);
    object(json, *type, true);
    if (bundle) close_bundle();
    if (state_.profiles != nullptr) profiles(json);
    resource_ = outer;
    resource_value_ = outer_value;
    root_ = outer_root;
  }

 private:
  // The place being checked, as segments: rendered to text only when an issue is added.
  struct Segment {
    std::string_view name;  // empty for an array index
    std::size_t index = 0;
  };
  struct Mark {
    Walk& walk;
    ~Mark() { walk.path_.pop_back(); }
  };
  Mark enter(std::string_view name) {
    path_.push_back({name, 0});
    return Mark{*this};
  }
  Mark enter_index(std::size_t index) {
    path_.push_back({{}, index});
    return Mark{*this};
  }

  // A required binding: the code, Coding or one of the CodeableConcept's codings must be in
  // the value set. Value sets of code systems outside the package are reported as not checked.
  void check_binding(const Validator::State::ValueSetCodes& codes, const JsonValue& json,
                     const TypeInfo& type) {
    const std::string_view url = codes.expansion->url;
    if (!codes.expansion->expandable) {
      add(fhir::Severity::information, IssueType::informational,
          fmt::format("not checked against {}: its code system is not available offline", url));
      return;
    }
    if (codes.codes.covers(json)) return;
    const std::string_view kind = type.name();
    if (json.is_string()) {
      error(IssueType::code_invalid,
            fmt::format("\"{}\" is not in the value set {} (required binding)", json.as_string(),
                        url));
    } else if (kind == "Coding") {
      if (json.find("code") != nullptr) {
        error(IssueType::code_invalid,
              fmt::format("the coding is not in the value set {} (required binding)", url));
      }
    } else if (kind == "CodeableConcept") {
      error(IssueType::code_invalid,
            fmt::format("no coding from the value set {} (required binding)", url));
    }
  }

  static const JsonValue* companion_of(const JsonValue& json, std::string_view name) {
    for (const fhir::JsonMember& member : json.members()) {
      if (member.key.size() == name.size() + 1 && member.key[0] == '_' &&
          member.key.substr(1) == name) {
        return &member.value;
      }
    }
    return nullptr;
  }

  void error(IssueType type, std::string message) {
    add(fhir::Severity::error, type, std::move(message));
  }
  void add(fhir::Severity severity, IssueType type, const std::string& message) {
    add(severity, type, std::string(message));
  }
  void add(fhir::Severity severity, IssueType type, std::string&& message) {
    fhir::Issue issue;
    issue.severity = severity;
    issue.type = type;
    issue.message = std::move(message);
    locate(issue);
    outcome_.add(std::move(issue));
  }

  // The current place as FHIRPath (expression) and JSON pointer (location).
  void locate(fhir::Issue& issue) const { locate(issue, path_); }
  void locate(fhir::Issue& issue, std::span<const Segment> path) const {
    issue.expression = fhirpath_;
    for (const Segment& segment : path) {
      if (segment.name.empty()) {
        std::array<char, 24> digits{};
        const auto end =
            std::to_chars(digits.data(), digits.data() + digits.size(), segment.index).ptr;
        const std::string_view index(digits.data(), static_cast<std::size_t>(end - digits.data()));
        issue.expression += '[';
        issue.expression += index;
        issue.expression += ']';
        issue.location += '/';
        issue.location += index;
      } else {
        issue.expression += '.';
        issue.expression += segment.name;
        issue.location += '/';
        // Only '~' and '/' need escaping in a JSON pointer; member names rarely have them.
        if (segment.name.find_first_of("~/") == std::string_view::npos) {
          issue.location += segment.name;
        } else {
          issue.location += fhir::pointer_token(segment.name);
        }
      }
    }
  }

  // Members of a resource, data type or backbone element.
  void object(const JsonValue& json, const TypeInfo& type, bool is_resource) {
    if (++depth_ > kMaxNesting) {
      error(IssueType::too_costly, fmt::format("nested deeper than {} levels", kMaxNesting));
      --depth_;
      return;
    }
    if (json.size() == 0 || (is_resource && json.size() == 1)) {
      error(IssueType::invariant, "an element must have a value or children (ele-1)");
    }
    const Validator::State::TypeTable& table = state_.table(type);
    // The elements seen in this object: the top of seen_, which nested objects share.
    const std::size_t seen_start = seen_.size();
    const auto seen = [&](const fhir::ElementInfo* element) {
      return std::find(seen_.begin() + static_cast<std::ptrdiff_t>(seen_start), seen_.end(),
                       element) != seen_.end();
    };
    const bool has_companions =
        std::any_of(json.members().begin(), json.members().end(),
                    [](const fhir::JsonMember& m) { return m.key.starts_with('_'); });
    for (const fhir::JsonMember& member : json.members()) {
      if (is_resource && member.key == "resourceType") continue;
      const bool companion = member.key.starts_with('_');
      const std::string_view name = companion ? member.key.substr(1) : member.key;
      const Validator::State::Member* resolved = table.find(name);
      if (resolved == nullptr) {
        auto at = enter(member.key);
        const fhir::ElementInfo* bare = type.element(name);
        error(IssueType::structure,
              bare != nullptr && bare->choice
                  ? fmt::format("\"{}\" is a choice: write it with its type, e.g. {}{}", name, name,
                                type_suffix(*bare))
                  : fmt::format("unknown element \"{}\" in {}", member.key, type.name()));
        continue;
      }
      const fhir::ElementInfo& element = *resolved->resolved.element;
      const bool repeated_key = seen(&element);
      if (companion) {
        auto at = enter(member.key);
        if (resolved->resolved.type == nullptr || !resolved->resolved.type->is_primitive()) {
          error(IssueType::structure,
                fmt::format("\"{}\" is only allowed for primitive elements", member.key));
          continue;
        }
        companion_value(member.value, element);
        // The value member, when present, accounts for the element.
        if (json.find(name) == nullptr && !repeated_key) seen_.push_back(&element);
        continue;
      }
      if (repeated_key && element.choice) {
        auto at = enter(member.key);
        error(
            IssueType::structure,
            fmt::format("{}[x] has more than one value; a choice takes exactly one", element.name));
        continue;
      }
      seen_.push_back(&element);
      auto at = enter(member.key);
      value(member.value, *resolved, has_companions ? companion_of(json, name) : nullptr,
            is_resource && member.key == "id");
    }
    // Required elements, own and inherited (those redefined lower down are checked there).
    for (const Validator::State::Required& required : table.required) {
      if (seen(required.element)) continue;
      const fhir::ElementInfo& element = *required.declared;
      auto at = enter(required.path_name);
      error(IssueType::required,
            fmt::format("missing required element \"{}{}\" (minimum {})", element.name,
                        element.choice ? "[x]" : "", element.min));
    }
    seen_.resize(seen_start);
    if (!table.invariants.empty()) check(table.invariants, json, type);
    --depth_;
  }

  // Runs invariants with `json` (of `type`) as their context.
  void check(const Invariants& invariants, const JsonValue& json, const TypeInfo& type) {
    const fhirpath::Value context = fhirpath::Value::node(&json, &type);
    const fhir::JsonValue& resource = resource_ != nullptr ? *resource_ : json;
    // %resource: typed when the walk entered it, or the context when that is the resource.
    const fhirpath::Value resource_value = &resource == &json ? context : resource_value_;
    const fhirpath::Environment* environment = nullptr;
    if (root_ != nullptr && root_ != &resource) {
      environment_.set("rootResource", {fhirpath::resource_value(*root_, &model_)});
      environment = &environment_;
    }
    for (const CompiledInvariant* invariant : invariants) {
      const fhir::Invariant& source = *invariant->source;
      const bool warning = source.severity == "warning";
      bool holds = false;
      if (invariant->holds_without_members && !has_any(json, type, invariant->members)) {
        holds = *invariant->holds_without_members;
      } else {
        auto result =
            evaluator().evaluate(*invariant->expression, context, resource_value, environment);
        if (!result) {
          // An expression that cannot be evaluated here is reported, never silently passed.
          add(fhir::Severity::warning, IssueType::processing,
              fmt::format("{} could not be evaluated: {}", source.key,
                          result.problems().issues().front().message));
          continue;
        }
        holds = validate::holds(*result);
      }
      if (!holds) {
        add(warning ? fhir::Severity::warning : fhir::Severity::error, IssueType::invariant,
            invariant->message);
      }
    }
  }

  fhirpath::Evaluator& evaluator() {
    if (!evaluator_) evaluator_.emplace();
    return *evaluator_;
  }

  // Whether FHIRPath navigation from `json` (typed `type`) could reach one of `members`:
  // only from an object of a complex type, through a JSON member whose name, '_' removed,
  // starts with one of them (which covers `_status` and choice types such as valueString).
  static bool has_any(const JsonValue& json, const TypeInfo& type,
                      const std::vector<std::string>& members) {
    if (!json.is_object() || type.is_primitive()) return false;
    for (const fhir::JsonMember& member : json.members()) {
      const std::string_view key =
          member.key.starts_with('_') ? member.key.substr(1) : std::string_view(member.key);
      for (const std::string& name : members) {
        if (key.starts_with(name)) return true;
      }
    }
    return false;
  }

  static std::string type_suffix(const fhir::ElementInfo& element) {
    if (element.types.empty()) return {};
    std::string name(element.types.front()->name());
    name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
    return name;
  }

  void value(const JsonValue& json, const Validator::State::Member& member,
             const JsonValue* companion, bool resource_id) {
    const fhir::ElementInfo& element = *member.resolved.element;
    const TypeInfo& type = *member.resolved.type;
    const bool contained = member.contained;
    if (element.repeats) {
      if (!json.is_array()) {
        error(IssueType::structure,
              fmt::format("\"{}\" repeats (0..{}): it must be a JSON array", element.name,
                          element.max == fhir::ElementInfo::kUnbounded
                              ? std::string("*")
                              : std::to_string(element.max)));
        return;
      }
      if (json.size() == 0) {
        error(IssueType::invariant, "an empty array is not allowed (ele-1)");
        return;
      }
      if (element.max != fhir::ElementInfo::kUnbounded && json.size() > element.max) {
        error(IssueType::structure,
              fmt::format("{} values, at most {} allowed", json.size(), element.max));
      }
      const auto items = json.items();
      const auto companions = companion != nullptr && companion->is_array()
                                  ? companion->items()
                                  : std::span<const JsonValue>{};
      for (std::size_t i = 0; i < items.size(); ++i) {
        auto at = enter_index(i);
        if (items[i].is_null()) {
          // A primitive without a value is allowed when its _element has id or extensions.
          if (!(type.is_primitive() && i < companions.size() && companions[i].is_object())) {
            error(IssueType::structure, "null is not allowed here");
          }
          continue;
        }
        single(items[i], type, false, contained);
        if (member.binding != nullptr) check_binding(*member.binding, items[i], type);
        if (member.invariants != nullptr) check(*member.invariants, items[i], type);
      }
      return;
    }
    if (json.is_array()) {
      error(IssueType::structure,
            fmt::format("\"{}\" does not repeat (0..1): it must not be an array", element.name));
      return;
    }
    if (json.is_null()) {
      error(IssueType::structure, "null is not allowed here");
      return;
    }
    single(json, type, resource_id, contained);
    if (member.binding != nullptr) check_binding(*member.binding, json, type);
    if (member.invariants != nullptr && json.is_object()) check(*member.invariants, json, type);
  }

  void single(const JsonValue& json, const TypeInfo& type, bool resource_id, bool contained) {
    if (type.is_primitive()) {
      const Primitive kind = resource_id ? Primitive::id : state_.primitive(type);
      if (auto problem = check_primitive(kind, json)) error(IssueType::value, std::move(*problem));
      return;
    }
    if (type.is_resource()) {
      resource(json, &type, contained);
      return;
    }
    if (!json.is_object()) {
      error(IssueType::structure, fmt::format("a {} must be a JSON object, not {}", type.name(),
                                              fhir::to_string(json.kind())));
      return;
    }
    object(json, type, false);
    if (state_.table(type).reference) reference(json);
  }

  void companion_value(const JsonValue& json, const fhir::ElementInfo& element) {
    const TypeInfo* element_type = state_.element_type;
    auto check = [&](const JsonValue& item) {
      if (!item.is_object()) {
        error(IssueType::structure, "an _element must be a JSON object with id or extension");
        return;
      }
      if (element_type != nullptr) object(item, *element_type, false);
    };
    if (element.repeats) {
      if (!json.is_array()) {
        error(IssueType::structure, "the _element of a repeating element must be an array");
        return;
      }
      for (std::size_t i = 0; i < json.size(); ++i) {
        if (json.items()[i].is_null()) continue;
        auto at = enter_index(i);
        check(json.items()[i]);
      }
      return;
    }
    check(json);
  }

  // The profiles meta.profile names, and the one the caller asked for on the top resource.
  void profiles(const JsonValue& json) {
    fhir::Issue place;
    locate(place);
    auto apply = [&](std::string_view url) {
      if (!state_.profiles->check(url, json, outcome_, place.expression, place.location)) {
        fhir::Issue issue = place;
        issue.severity = fhir::Severity::information;
        issue.type = IssueType::informational;
        issue.message =
            fmt::format("profile {} is not known here: checked against the base only", url);
        outcome_.add(std::move(issue));
      }
    };
    if (!requested_profile_.empty() && path_.empty()) apply(requested_profile_);
    const JsonValue* meta = json.find("meta");
    const JsonValue* listed = meta != nullptr ? meta->find("profile") : nullptr;
    for (const JsonValue& url :
         listed != nullptr && listed->is_array() ? listed->items() : std::span<const JsonValue>{}) {
      if (url.is_string() && url.as_string() != requested_profile_) apply(url.as_string());
    }
  }

 public:
  std::string_view requested_profile_;

 private:
  // urn:uuid: and urn:oid: references must resolve to an entry's fullUrl: in the Bundle
  // they occur in, or in a Bundle around it. Hash sets keep a Bundle linear in its size.
  struct PendingReference {
    std::string_view target;
    // Where it is: saved_paths_[path_begin, path_end), rendered only if it is reported.
    std::size_t path_begin = 0;
    std::size_t path_end = 0;
  };
  struct BundleScope {
    std::unordered_set<std::string_view> full_urls;
    std::vector<PendingReference> pending;
  };

  void open_bundle(const JsonValue& json) {
    BundleScope& scope = bundles_.emplace_back();
    const JsonValue* entries = json.find("entry");
    for (const JsonValue& entry : entries != nullptr && entries->is_array()
                                      ? entries->items()
                                      : std::span<const JsonValue>{}) {
      const JsonValue* full_url = entry.find("fullUrl");
      if (full_url != nullptr && full_url->is_string())
        scope.full_urls.insert(full_url->as_string());
    }
  }

  void close_bundle() {
    BundleScope scope = std::move(bundles_.back());
    bundles_.pop_back();
    for (PendingReference& reference : scope.pending) {
      if (scope.full_urls.contains(reference.target)) continue;
      if (!bundles_.empty()) {
        bundles_.back().pending.push_back(std::move(reference));
        continue;
      }
      fhir::Issue issue;
      issue.severity = fhir::Severity::error;
      issue.type = IssueType::not_found;
      issue.message = fmt::format(
          "\"{}\" is no entry's fullUrl in this Bundle: a urn reference must resolve inside it",
          reference.target);
      locate(issue, std::span<const Segment>(saved_paths_)
                        .subspan(reference.path_begin, reference.path_end - reference.path_begin));
      outcome_.add(std::move(issue));
    }
  }

  void reference(const JsonValue& json) {
    const JsonValue* target = json.find("reference");
    if (target == nullptr || !target->is_string()) return;
    const std::string_view text = target->as_string();
    if ((text.starts_with("urn:uuid:") || text.starts_with("urn:oid:")) && !bundles_.empty()) {
      auto at = enter("reference");
      const std::size_t path_begin = saved_paths_.size();
      saved_paths_.insert(saved_paths_.end(), path_.begin(), path_.end());
      bundles_.back().pending.push_back({text, path_begin, saved_paths_.size()});
      return;
    }
    if (text.starts_with('#') || text.starts_with("urn:uuid:") || text.starts_with("urn:oid:") ||
        text.find("://") != std::string_view::npos) {
      return;
    }
    // Type/id, Type/id/_history/version, or a conditional reference Type?search (transactions).
    const std::size_t split = text.find_first_of("/?");
    const std::string_view type_name = text.substr(0, split);
    const TypeInfo* type = is_resource_type_name(type_name) ? model_.type(type_name) : nullptr;
    auto at = enter("reference");
    if (split == std::string_view::npos || type == nullptr || !type->is_resource()) {
      error(IssueType::value,
            fmt::format("\"{}\" is not a reference: expected Type/id, an absolute URL, "
                        "urn:uuid:, urn:oid: or #id",
                        text));
    }
  }

  const fhir::Model& model_;
  const Validator::State& state_;
  fhir::Outcome& outcome_;
  // Created on first use: many resources need no evaluation (their invariants' members
  // are absent), and an Evaluator's scratch memory is worth not allocating for them.
  std::optional<fhirpath::Evaluator> evaluator_;
  fhirpath::Environment environment_;
  const fhir::JsonValue* resource_ = nullptr;
  fhirpath::Value resource_value_;  // resource_ typed, for %resource
  std::vector<const fhir::ElementInfo*> seen_;
  const fhir::JsonValue* root_ = nullptr;
  std::string fhirpath_;
  std::vector<Segment> path_;
  std::vector<BundleScope> bundles_;
  std::vector<Segment> saved_paths_;  // the paths of pending references, one after another
  std::size_t depth_ = 0;
};

// The member tables of every type: each name resolve() accepts, found by trying the
// element names and, for choices, each name plus a type suffix.
void build_tables(Validator::State& state) {
  using State = Validator::State;
  const std::span<const TypeInfo> types = state.model->types();
  state.tables.resize(types.size());
  for (std::size_t index = 0; index < types.size(); ++index) {
    const TypeInfo& type = types[index];
    State::TypeTable& table = state.tables[index];
    table.reference = type.name() == "Reference";
    std::vector<std::string_view> names;
    for (const TypeInfo* level = &type; level != nullptr; level = level->base()) {
      for (const fhir::ElementInfo& element : level->own_elements()) {
        if (!element.choice) {
          names.push_back(element.name);
          continue;
        }
        for (const TypeInfo* choice : element.types) {
          std::string name = fmt::format("{}{}", element.name, choice->name());
          name[element.name.size()] = static_cast<char>(
              std::toupper(static_cast<unsigned char>(name[element.name.size()])));
          names.push_back(state.member_names.emplace_back(std::move(name)));
        }
      }
      if (const Invariants* invariants = state.find(level)) {
        table.invariants.insert(table.invariants.end(), invariants->begin(), invariants->end());
      }
      for (const fhir::ElementInfo& element : level->own_elements()) {
        const fhir::ElementInfo* effective = type.element(element.name);
        if (element.min == 0 || (&element != effective && effective != nullptr)) continue;
        table.required.push_back(
            {&element, effective,
             element.choice ? state.member_names.emplace_back(fmt::format("{}[x]", element.name))
                            : element.name});
      }
    }
    for (const std::string_view name : names) {
      const auto resolved = resolve(type, name);
      if (!resolved) continue;
      if (std::any_of(table.members.begin(), table.members.end(),
                      [&](const State::Member& m) { return m.key == name; })) {
        continue;  // the name of an element the type restates
      }
      State::Member member;
      member.key = name;
      member.resolved = *resolved;
      member.binding = state.binding(*resolved->element);
      member.invariants = state.find(resolved->element);
      member.contained = resolved->element->name == "contained";
      table.members.push_back(member);
    }
    std::size_t capacity = 4;
    while (capacity < table.members.size() * 2)
      capacity *= 2;
    table.slots.assign(capacity, 0);
    table.mask = capacity - 1;
    for (std::size_t i = 0; i < table.members.size(); ++i) {
      std::size_t slot = State::TypeTable::hash(table.members[i].key) & table.mask;
      while (table.slots[slot] != 0)
        slot = (slot + 1) & table.mask;
      table.slots[slot] = static_cast<std::uint16_t>(i + 1);
    }
  }
}

}  // namespace

Validator::Validator(const fhir::Model& model) : Validator(model, nullptr) {}

Validator::Validator(const fhir::Model& model, const ProfileSet* profiles)
    : state_(std::make_unique<State>()) {
  state_->model = &model;
  state_->first_type = model.types().data();
  state_->profiles = profiles;
  for (const TypeInfo& type : model.types()) {
    state_->primitives.push_back(type.is_primitive() ? primitive_of(type.name())
                                                     : Primitive::unchecked);
  }
  const auto invariants = model.invariants();
  // Reserved up front: by_owner keeps pointers into `compiled`.
  state_->compiled.reserve(invariants.size());
  // For the verdicts on an empty object (CompiledInvariant::holds_without_members).
  const JsonValue empty_object = JsonValue::unowned_object({});
  const fhirpath::Value empty = fhirpath::Value::node(&empty_object, nullptr);
  fhirpath::Evaluator evaluator;
  for (const fhir::Invariant& invariant : invariants) {
    // The owner: a type ("Period") or an element of a type or backbone ("Patient.contact").
    const void* owner = model.type(invariant.path);
    if (owner == nullptr) owner = element_at(model, invariant.path);
    if (owner == nullptr) {
      state_->skipped.push_back(fmt::format("{}: no element {}", invariant.key, invariant.path));
      continue;
    }
    auto expression = fhirpath::Expression::compile(corrected(invariant), {.model = &model});
    if (!expression) {
      state_->skipped.push_back(
          fmt::format("{}: {}", invariant.key, expression.problems().issues().front().message));
      continue;
    }
    CompiledInvariant& compiled = state_->compiled.emplace_back();
    compiled.source = &invariant;
    compiled.message = fmt::format("{}: {} (expression: {})", invariant.key, invariant.human,
                                   invariant.expression);
    compiled.expression = std::make_unique<fhirpath::Expression>(std::move(expression).value());
    if (const auto& members = compiled.expression->input_members()) {
      // Its verdict on a context without these members: the one on an empty object (unless
      // that fails, which evaluating each time reports).
      if (auto result = evaluator.evaluate(*compiled.expression, empty, empty)) {
        compiled.members = *members;
        compiled.holds_without_members = holds(*result);
      }
    }
    state_->by_owner[owner].push_back(&compiled);
  }
  for (const fhir::Binding& binding : model.bindings()) {
    const fhir::ElementInfo* element = element_at(model, binding.path);
    const fhir::ValueSetExpansion* expansion = model.value_set(binding.value_set);
    if (element == nullptr || expansion == nullptr) continue;
    auto [it, added] = state_->value_sets.try_emplace(expansion->url);
    State::ValueSetCodes& codes = it->second;
    if (added) {
      codes.expansion = expansion;
      codes.codes = CodeSet(*expansion);
    }
    state_->bindings[element] = &codes;
  }
  state_->element_type = model.type("Element");
  build_tables(*state_);
}

Validator::Validator(Validator&&) noexcept = default;
Validator& Validator::operator=(Validator&&) noexcept = default;
Validator::~Validator() = default;

const std::vector<std::string>& Validator::skipped_invariants() const {
  return state_->skipped;
}

fhir::Outcome Validator::validate(const JsonValue& resource) const {
  return validate(resource, {});
}

fhir::Outcome Validator::validate(const JsonValue& resource, std::string_view profile) const {
  fhir::Outcome outcome;
  Walk walk(*state_, outcome);
  walk.requested_profile_ = profile;
  if (!profile.empty() && (state_->profiles == nullptr || !state_->profiles->contains(profile))) {
    outcome.error(IssueType::not_found, "",
                  fmt::format("the profile {} is not known to the adapter", profile));
    return outcome;
  }
  walk.resource(resource, nullptr);
  return outcome;
}

}  // namespace adapter::validate
