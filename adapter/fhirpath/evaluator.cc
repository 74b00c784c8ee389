// The FHIRPath evaluator: navigation over the JSON layer (typed by the model when it is
// known), operators with the specification's empty-propagation and three-valued logic.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>

#include "adapter/fhirpath/context.h"
#include "adapter/fhirpath/lexer.h"

namespace adapter::fhirpath {

using detail::Context;
using detail::Frame;
using detail::Items;
using detail::Node;
using detail::NodeKind;
using detail::Op;

// ---- Evaluator: owns the scratch memory every evaluation allocates from ----

struct Evaluator::State {
  // Evaluations start in this buffer; release() returns to it without touching the heap,
  // so a typical evaluation allocates nothing.
  std::array<std::byte, 32 * 1024> initial_buffer;
  std::pmr::monotonic_buffer_resource arena{initial_buffer.data(), initial_buffer.size()};
  std::deque<Quantity> quantities;  // own destructors (unit strings), unlike the arena
  std::function<Temporal()> clock;  // the system clock unless a test sets one
  std::unordered_map<std::string, std::regex> regex_cache;
  const fhir::Model* last_model = nullptr;
  std::string last_resource_type;
  const fhir::TypeInfo* last_type = nullptr;
};

Evaluator::~Evaluator() = default;

std::string_view Evaluator::keep_string(std::string_view text) {
  auto* memory = static_cast<char*>(state_->arena.allocate(text.size() + 1, 1));
  std::memcpy(memory, text.data(), text.size());
  memory[text.size()] = '\0';
  return {memory, text.size()};
}
const Quantity* Evaluator::keep_quantity(Quantity quantity) {
  return &state_->quantities.emplace_back(std::move(quantity));
}
void Evaluator::set_clock(std::function<Temporal()> now) {
  if (now) state_->clock = std::move(now);
}

namespace {

Temporal system_now() {
  using namespace std::chrono;
  const auto now = time_point_cast<milliseconds>(system_clock::now());
  const auto day = floor<days>(now);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> time{now - day};
  Temporal t;
  t.kind = TemporalKind::datetime;
  t.precision = Precision::millisecond;
  t.year = static_cast<std::int16_t>(static_cast<int>(ymd.year()));
  t.month = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day()));
  t.hour = static_cast<std::uint8_t>(time.hours().count());
  t.minute = static_cast<std::uint8_t>(time.minutes().count());
  t.second = static_cast<std::uint8_t>(time.seconds().count());
  t.millisecond = static_cast<std::uint16_t>(time.subseconds().count());
  t.has_offset = true;
  t.offset_minutes = 0;
  return t;
}

}  // namespace

// For overwrite: value-initialising State would zero the 32 KiB buffer, which nothing reads
// before writing (an evaluator is created per validated resource, so this shows).
Evaluator::Evaluator() : state_(std::make_unique_for_overwrite<State>()) {
  state_->clock = system_now;
}

fhir::Result<Collection> Evaluator::evaluate(const Expression& expression,
                                             const fhir::JsonValue& input,
                                             const Environment* environment) {
  // The resource's type by its resourceType, remembered by name: evaluating many
  // expressions over resources of one type is the common case.
  const fhir::Model* model = expression.compiled().model;
  const fhir::TypeInfo* type = nullptr;
  if (model != nullptr && input.is_object()) {
    const fhir::JsonValue* kind = input.find("resourceType");
    if (kind != nullptr && kind->is_string()) {
      if (state_->last_model == model && state_->last_resource_type == kind->as_string()) {
        type = state_->last_type;
      } else {
        type = model->type(kind->as_string());
        state_->last_model = model;
        state_->last_resource_type = std::string(kind->as_string());
        state_->last_type = type;
      }
    }
  }
  return evaluate(expression, Value::node(&input, type), input, environment);
}

fhir::Result<Collection> Evaluator::evaluate(const Expression& expression, const Value& context,
                                             const fhir::JsonValue& resource,
                                             const Environment* environment) {
  return evaluate(
      expression, context,
      &resource == context.json() ? context : resource_value(resource, expression.compiled().model),
      environment);
}

fhir::Result<Collection> Evaluator::evaluate(const Expression& expression, const Value& context,
                                             const Value& resource,
                                             const Environment* environment) {
  state_->arena.release();
  state_->quantities.clear();
  // now()/today()/timeOfDay() are fixed for one evaluation; the Context reads the clock
  // only if asked.
  Context ctx(&state_->arena, *this, expression.compiled(), resource.json(), environment,
              state_->clock, state_->regex_cache);
  ctx.context_value = context;
  ctx.resource_value = resource;
  auto* result = new (state_->arena.allocate(sizeof(Items), alignof(Items))) Items(&state_->arena);
  // `result` lives in the arena and is never destroyed: its memory is the arena's, which
  // release() frees wholesale.
  Frame frame;
  frame.this_value = &ctx.context_value;
  if (!ctx.eval(*expression.compiled().root, frame, *result)) {
    return fhir::Outcome::of(
        fhir::Severity::error, fhir::IssueType::processing,
        fmt::format("FHIRPath evaluation error at {}: {}",
                    detail::describe_position(expression.text(), ctx.error_position()),
                    ctx.error()));
  }
  return Collection(result->data(), result->size());
}

Value resource_value(const fhir::JsonValue& resource, const fhir::Model* model) {
  const fhir::TypeInfo* type = nullptr;
  if (model != nullptr && resource.is_object()) {
    if (const fhir::JsonValue* kind = resource.find("resourceType"); kind && kind->is_string()) {
      type = model->type(kind->as_string());
    }
  }
  return Value::node(&resource, type);
}

void Environment::set(std::string name, std::vector<Value> values) {
  for (auto it = variables_.rbegin(); it != variables_.rend(); ++it) {
    if (it->first == name) {
      it->second = std::move(values);
      return;
    }
  }
  variables_.emplace_back(std::move(name), std::move(values));
}
void Environment::push(std::string name, std::vector<Value> values) {
  variables_.emplace_back(std::move(name), std::move(values));
}
void Environment::pop() {
  if (!variables_.empty()) variables_.pop_back();
}
void Environment::erase(std::string_view name) {
  for (auto it = variables_.rbegin(); it != variables_.rend(); ++it) {
    if (it->first == name) {
      variables_.erase(std::next(it).base());
      return;
    }
  }
}
const std::vector<Value>* Environment::find(std::string_view name) const {
  for (auto it = variables_.rbegin(); it != variables_.rend(); ++it) {
    if (it->first.size() == name.size() && it->first == name) return &it->second;
  }
  return nullptr;
}

namespace detail {
namespace {

// How a FHIR primitive type maps onto a System type.
enum class SystemKind : std::uint8_t {
  none,
  boolean,
  integer,
  decimal,
  string,
  date,
  datetime,
  time
};

SystemKind system_kind_of(std::string_view type) {
  switch (type.size()) {
    case 4:
      if (type == "date") return SystemKind::date;
      if (type == "time") return SystemKind::time;
      break;
    case 7:
      if (type == "boolean") return SystemKind::boolean;
      if (type == "integer") return SystemKind::integer;
      if (type == "decimal") return SystemKind::decimal;
      if (type == "instant") return SystemKind::datetime;
      break;
    case 8:
      if (type == "dateTime") return SystemKind::datetime;
      break;
    case 9:
      if (type == "integer64") return SystemKind::integer;
      break;
    case 11:
      if (type == "positiveInt" || type == "unsignedInt") return SystemKind::integer;
      break;
    default:
      break;
  }
  return SystemKind::string;
}

bool is_abstract_resource(const fhir::TypeInfo* type) {
  return type != nullptr && (type->name() == "Resource" || type->name() == "DomainResource");
}

// Equality that rejects on length and first byte before calling memcmp: member names
// mostly differ early, and this runs for every member of every navigated object.
inline bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && (a.empty() || (a[0] == b[0] && a == b));
}

// `_name` for a JSON member name, found without allocating.
const fhir::JsonValue* find_extension(const fhir::JsonValue& object, std::string_view name) {
  for (const fhir::JsonMember& member : object.members()) {
    const std::string_view key = member.key;
    if (key.size() == name.size() + 1 && key[0] == '_' && key.substr(1) == name) {
      return &member.value;
    }
  }
  return nullptr;
}

// A choice element's JSON suffix ("Quantity" in valueQuantity) names one of its types.
const fhir::TypeInfo* choice_type(const fhir::ElementInfo& element, std::string_view suffix) {
  for (const fhir::TypeInfo* type : element.types) {
    const std::string_view name = type->name();
    if (name.size() == suffix.size() && !name.empty() &&
        std::toupper(static_cast<unsigned char>(name[0])) == suffix[0] &&
        name.substr(1) == suffix.substr(1)) {
      return type;
    }
  }
  return nullptr;
}

}  // namespace

const fhir::TypeInfo* Context::resource_type_of(const fhir::JsonValue& object) const {
  if (model() == nullptr) return nullptr;
  const fhir::JsonValue* kind = object.find("resourceType");
  return kind != nullptr && kind->is_string() ? model()->type(kind->as_string()) : nullptr;
}

namespace {

// Adds a member's value(s) as typed nodes: arrays flatten, primitives pair with `_name`.
void add_element(const Context& ctx, const fhir::JsonValue* value, const fhir::JsonValue* extension,
                 const fhir::TypeInfo* type, Items& out) {
  const auto add_one = [&](const fhir::JsonValue* item, const fhir::JsonValue* item_extension) {
    if ((item == nullptr || item->is_null()) &&
        (item_extension == nullptr || item_extension->is_null())) {
      return;
    }
    if (item != nullptr && item->is_null()) item = nullptr;
    if (item_extension != nullptr && !item_extension->is_object()) item_extension = nullptr;
    const fhir::TypeInfo* item_type = type;
    if (item != nullptr && item->is_object() && is_abstract_resource(type)) {
      if (const fhir::TypeInfo* actual = ctx.resource_type_of(*item)) item_type = actual;
    }
    out.push_back(Value::node(item, item_type, item_extension));
  };
  const bool value_array = value != nullptr && value->is_array();
  const bool extension_array = extension != nullptr && extension->is_array();
  if (value_array || extension_array) {
    const std::size_t count =
        std::max(value_array ? value->size() : 0, extension_array ? extension->size() : 0);
    for (std::size_t i = 0; i < count; ++i) {
      add_one(value_array && i < value->size() ? &value->items()[i] : nullptr,
              extension_array && i < extension->size() ? &extension->items()[i] : nullptr);
    }
    return;
  }
  add_one(value, extension);
}

void add_untyped(const fhir::JsonValue& value, Items& out) {
  if (value.is_array()) {
    for (const fhir::JsonValue& item : value.items()) {
      if (!item.is_null()) out.push_back(Value::node(&item, nullptr));
    }
  } else if (!value.is_null()) {
    out.push_back(Value::node(&value, nullptr));
  }
}

}  // namespace

bool Context::object_of(const Value& item, const fhir::JsonValue*& json,
                        const fhir::TypeInfo*& type) const {
  if (!item.is_node()) return false;
  json = item.json();
  type = item.type();
  if (type != nullptr && type->is_primitive()) {
    // A primitive's own children are its id and extensions, kept under `_name`.
    if (item.extension() == nullptr) return false;
    json = item.extension();
    type = compiled_.element_type;
  }
  return json != nullptr && json->is_object();
}

void Context::navigate(const Value& item, std::string_view name, Items& out,
                       const Node* hint) const {
  const fhir::JsonValue* json = nullptr;
  const fhir::TypeInfo* type = nullptr;
  if (!object_of(item, json, type)) return;
  if (type == nullptr) {
    if (const fhir::JsonValue* child = json->find(name)) add_untyped(*child, out);
    return;
  }
  const fhir::ElementInfo* element =
      hint != nullptr && hint->cached_owner == type ? hint->cached_element : type->element(name);
  if (element == nullptr) return;
  if (!element->choice) {
    const fhir::JsonValue* value = nullptr;
    const fhir::JsonValue* extension = nullptr;
    const fhir::TypeInfo* element_type = element->types.empty() ? nullptr : element->types[0];
    const bool primitive = element_type != nullptr && element_type->is_primitive();
    for (const fhir::JsonMember& member : json->members()) {
      const std::string_view key = member.key;
      if (same_text(key, name)) {
        value = &member.value;
        if (!primitive) break;
      } else if (primitive && key.size() == name.size() + 1 && key[0] == '_' &&
                 key.substr(1) == name) {
        extension = &member.value;
      }
    }
    add_element(*this, value, extension, element_type, out);
    return;
  }
  // Choice: valueQuantity, valueString, … (and `_valueString` for a primitive's extensions).
  for (const fhir::JsonMember& member : json->members()) {
    std::string_view key = member.key;
    const bool underscore = !key.empty() && key[0] == '_';
    if (underscore) key.remove_prefix(1);
    if (key.size() <= name.size() || key.substr(0, name.size()) != name) continue;
    const fhir::TypeInfo* choice = choice_type(*element, key.substr(name.size()));
    if (choice == nullptr) continue;
    if (underscore) {
      // Only when there is no value: otherwise the value's member carried it.
      if (json->find(key) == nullptr) add_element(*this, nullptr, &member.value, choice, out);
      continue;
    }
    add_element(*this, &member.value, choice->is_primitive() ? find_extension(*json, key) : nullptr,
                choice, out);
  }
}

void Context::children(const Value& item, Items& out) const {
  const fhir::JsonValue* json = nullptr;
  const fhir::TypeInfo* type = nullptr;
  if (!object_of(item, json, type)) return;
  if (type == nullptr) {
    for (const fhir::JsonMember& member : json->members())
      add_untyped(member.value, out);
    return;
  }
  for (const fhir::JsonMember& member : json->members()) {
    std::string_view key = member.key;
    if (key == "resourceType") continue;
    if (key[0] == '_') {
      // Reached through its value's member unless the value is absent.
      if (json->find(key.substr(1)) != nullptr) continue;
      key.remove_prefix(1);
    }
    const fhir::ElementInfo* element = type->element(key);
    if (element != nullptr && !element->choice) {
      navigate(item, key, out);
      continue;
    }
    for (std::size_t split = key.size() - 1; split > 0; --split) {
      if (!std::isupper(static_cast<unsigned char>(key[split]))) continue;
      const fhir::ElementInfo* choice = type->element(key.substr(0, split));
      if (choice == nullptr || !choice->choice) continue;
      if (const fhir::TypeInfo* t = choice_type(*choice, key.substr(split))) {
        const fhir::JsonValue* value = json->find(key);
        add_element(*this, value, t->is_primitive() ? find_extension(*json, key) : nullptr, t, out);
      }
      break;
    }
  }
}

std::optional<Value> Context::to_system(const Value& item) const {
  if (!item.is_node()) return item;
  const fhir::JsonValue* json = item.json();
  if (json == nullptr) return std::nullopt;
  SystemKind kind = SystemKind::none;
  if (item.type() != nullptr && item.type()->is_primitive()) {
    kind = system_kind_of(item.type()->name());
  } else if (item.type() == nullptr) {
    switch (json->kind()) {
      case fhir::JsonKind::boolean:
        kind = SystemKind::boolean;
        break;
      case fhir::JsonKind::string:
        kind = SystemKind::string;
        break;
      case fhir::JsonKind::number: {
        const std::string_view text = json->number_text();
        kind = text.find_first_of(".eE") == std::string_view::npos ? SystemKind::integer
                                                                   : SystemKind::decimal;
        break;
      }
      default:
        return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  switch (kind) {
    case SystemKind::boolean:
      if (!json->is_bool()) return std::nullopt;
      return Value::of(json->as_bool());
    case SystemKind::integer: {
      const auto value = json->as_int64();
      if (!value) return std::nullopt;
      return Value::of(*value);
    }
    case SystemKind::decimal: {
      if (!json->is_number()) return std::nullopt;
      const auto value = Decimal::parse_json(json->number_text());
      if (!value) return std::nullopt;
      return Value::of(*value);
    }
    case SystemKind::date:
    case SystemKind::datetime:
    case SystemKind::time: {
      if (!json->is_string()) return std::nullopt;
      const std::string_view text = json->as_string();
      std::optional<Temporal> t;
      if (kind == SystemKind::time) {
        t = Temporal::parse_time(text);
      } else if (kind == SystemKind::date) {
        t = Temporal::parse_date(text);
      } else {
        t = Temporal::parse_date_or_datetime(text);
        if (t) t->kind = TemporalKind::datetime;
      }
      if (!t) return std::nullopt;
      return Value::of(*t);
    }
    case SystemKind::string:
      if (json->is_string()) return Value::of(json->as_string());
      if (json->is_number()) return Value::of(json->number_text());
      return std::nullopt;
    case SystemKind::none:
      break;
  }
  return std::nullopt;
}

std::optional<Value> Context::quantity_of(const Value& item) const {
  if (item.kind() == ValueKind::quantity) return item;
  if (!item.is_object_node()) return std::nullopt;
  const bool typed_quantity = item.type() != nullptr && compiled_.quantity_type != nullptr &&
                              item.type()->is_a(*compiled_.quantity_type);
  if (item.type() != nullptr && !typed_quantity) return std::nullopt;
  const fhir::JsonValue* value = item.json()->find("value");
  if (value == nullptr || !value->is_number()) return std::nullopt;
  const auto number = Decimal::parse_json(value->number_text());
  if (!number) return std::nullopt;
  Quantity quantity;
  quantity.value = *number;
  const fhir::JsonValue* code = item.json()->find("code");
  const fhir::JsonValue* system = item.json()->find("system");
  const fhir::JsonValue* unit = item.json()->find("unit");
  if (code != nullptr && code->is_string() &&
      (system == nullptr ||
       (system->is_string() && system->as_string() == "http://unitsofmeasure.org"))) {
    quantity.unit = std::string(code->as_string());
  } else if (unit != nullptr && unit->is_string()) {
    quantity.unit = std::string(unit->as_string());
  } else {
    quantity.unit = "1";
  }
  return Value::of(keep(std::move(quantity)));
}

std::string_view Context::keep(std::string_view text) const {
  return evaluator_.keep_string(text);
}
const Quantity* Context::keep(Quantity quantity) const {
  return evaluator_.keep_quantity(std::move(quantity));
}

const std::regex* Context::regex(const Node& node, std::string_view pattern) {
  const auto found = regex_cache_.find(std::string(pattern));
  if (found != regex_cache_.end()) return &found->second;
  constexpr std::size_t kMaxCachedPatterns = 256;
  if (regex_cache_.size() >= kMaxCachedPatterns) regex_cache_.clear();
  // FHIRPath regexes run in single-line mode ('.' matches a newline), which ECMAScript's
  // '.' does not: outside character classes, an unescaped '.' becomes [\s\S].
  std::string translated;
  translated.reserve(pattern.size());
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      translated += c;
      translated += pattern[++i];
      continue;
    }
    if (c == '[') in_class = true;
    if (c == ']') in_class = false;
    if (c == '.' && !in_class) {
      translated += "[\\s\\S]";
    } else {
      translated += c;
    }
  }
  try {
    return &regex_cache_
                .emplace(std::string(pattern), std::regex(translated, std::regex::ECMAScript))
                .first->second;
  } catch (const std::regex_error& error) {
    fail(node, fmt::format("invalid regular expression '{}': {}", pattern, error.what()));
    return nullptr;
  }
}

bool Context::fail(const Node& node, std::string message) {
  if (error_.empty()) {
    error_ = std::move(message);
    error_position_ = node.position;
  }
  return false;
}

bool Context::is_type(const Value& item, const TypeSpec& type) const {
  using Namespace = TypeSpec::Namespace;
  if (!item.is_node()) {
    if (type.ns == Namespace::fhir) return false;
    std::string_view name;
    switch (item.kind()) {
      case ValueKind::boolean:
        name = "Boolean";
        break;
      case ValueKind::integer:
        name = "Integer";
        break;
      case ValueKind::decimal:
        name = "Decimal";
        break;
      case ValueKind::string:
        name = "String";
        break;
      case ValueKind::quantity:
        name = "Quantity";
        break;
      case ValueKind::temporal:
        switch (item.as_temporal().kind) {
          case TemporalKind::date:
            name = "Date";
            break;
          case TemporalKind::datetime:
            name = "DateTime";
            break;
          case TemporalKind::time:
            name = "Time";
            break;
        }
        break;
      case ValueKind::node:
        break;
    }
    return type.name == name;
  }
  if (type.ns == Namespace::system) {
    // Untyped JSON primitives are System values in disguise.
    if (item.type() != nullptr) return false;
    const auto system = to_system(item);
    return system && is_type(*system, type);
  }
  if (item.type() == nullptr) {
    if (type.ns == Namespace::fhir) return false;
    const auto system = to_system(item);
    return system && is_type(*system, type);
  }
  if (type.fhir_type != nullptr) return item.type()->is_a(*type.fhir_type);
  return false;
}

bool Context::cast_matches(const Value& item, const TypeSpec& type) const {
  // as() and ofType() on FHIR primitives want the type itself: a code is not cast to a
  // string (the suite's testFHIRPathAsFunction11), though `code is string` holds.
  if (item.is_node() && item.type() != nullptr && item.type()->is_primitive() &&
      type.fhir_type != nullptr) {
    return item.type() == type.fhir_type;
  }
  return is_type(item, type);
}

bool Context::known_type(const Node& node, const TypeSpec& type) {
  static constexpr std::string_view kSystemTypes[] = {
      "Boolean", "Integer", "Decimal", "String", "Date", "DateTime", "Time", "Quantity", "Long"};
  if (type.fhir_type != nullptr || model() == nullptr) return true;
  if (type.ns != TypeSpec::Namespace::fhir) {
    for (std::string_view name : kSystemTypes) {
      if (name == type.name) return true;
    }
    if (type.ns == TypeSpec::Namespace::system) return true;  // System.Patient: simply false
  }
  return fail(node, fmt::format("unknown type '{}'", type.name));
}

// ---- equality, equivalence, ordering ----

namespace {

bool numeric(const Value& v) {
  return v.kind() == ValueKind::integer || v.kind() == ValueKind::decimal;
}
Decimal as_decimal(const Value& v) {
  return v.kind() == ValueKind::integer ? Decimal::of_integer(v.as_integer()) : v.as_decimal();
}

// A Date meets a DateTime: the Date is read as a DateTime of the same precision.
void align_temporal_kinds(Temporal& a, Temporal& b) {
  if (a.kind == TemporalKind::date && b.kind == TemporalKind::datetime)
    a.kind = TemporalKind::datetime;
  if (b.kind == TemporalKind::date && a.kind == TemporalKind::datetime)
    b.kind = TemporalKind::datetime;
}

// A string meeting a date/time is read as one (FHIR text that lost its type, e.g. in
// untyped input documents).
std::optional<Temporal> string_as_temporal(std::string_view text, TemporalKind kind) {
  if (kind == TemporalKind::time) return Temporal::parse_time(text);
  return Temporal::parse_date_or_datetime(text);
}

// Two System values of which at least one is a date/time, as two date/times of one kind
// (a string read as one, a Date widened to a DateTime); nullopt when they cannot be.
std::optional<std::pair<Temporal, Temporal>> temporal_pair(const Value& a, const Value& b) {
  std::optional<Temporal> ta;
  std::optional<Temporal> tb;
  if (a.kind() == ValueKind::temporal) ta = a.as_temporal();
  if (b.kind() == ValueKind::temporal) tb = b.as_temporal();
  if (!ta && a.kind() == ValueKind::string) ta = string_as_temporal(a.as_string(), tb->kind);
  if (!tb && b.kind() == ValueKind::string) tb = string_as_temporal(b.as_string(), ta->kind);
  if (!ta || !tb) return std::nullopt;
  align_temporal_kinds(*ta, *tb);
  if (ta->kind != tb->kind) return std::nullopt;
  return std::pair{*ta, *tb};
}

std::string normalise_for_equivalence(std::string_view text) {
  // Each whitespace character becomes one space (runs are not collapsed), case folds.
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::optional<bool> Context::equal(const Value& a_in, const Value& b_in) const {
  if (a_in.is_object_node() || b_in.is_object_node()) {
    if (a_in.is_object_node() && b_in.is_object_node()) return *a_in.json() == *b_in.json();
    // A FHIR Quantity meeting a System Quantity compares as a quantity.
    const auto qa = quantity_of(a_in);
    const auto qb = quantity_of(b_in);
    if (qa && qb) return quantity_equal(qa->as_quantity(), qb->as_quantity());
    return false;
  }
  const auto a = to_system(a_in);
  const auto b = to_system(b_in);
  if (!a || !b) return false;
  if (numeric(*a) && numeric(*b)) {
    if (a->kind() == ValueKind::integer && b->kind() == ValueKind::integer) {
      return a->as_integer() == b->as_integer();
    }
    return decimal_equal(as_decimal(*a), as_decimal(*b));
  }
  if (a->kind() == ValueKind::temporal || b->kind() == ValueKind::temporal) {
    const auto pair = temporal_pair(*a, *b);
    if (!pair) return false;
    return temporal_equal(pair->first, pair->second);
  }
  if (a->kind() != b->kind()) return false;
  switch (a->kind()) {
    case ValueKind::boolean:
      return a->as_bool() == b->as_bool();
    case ValueKind::string:
      return a->as_string() == b->as_string();
    case ValueKind::quantity:
      return quantity_equal(a->as_quantity(), b->as_quantity());
    default:
      return false;
  }
}

bool Context::equivalent(const Value& a_in, const Value& b_in) const {
  if (a_in.is_object_node() || b_in.is_object_node()) {
    if (a_in.is_object_node() && b_in.is_object_node()) return *a_in.json() == *b_in.json();
    const auto qa = quantity_of(a_in);
    const auto qb = quantity_of(b_in);
    if (qa && qb) return quantity_equivalent(qa->as_quantity(), qb->as_quantity()).value_or(false);
    return false;
  }
  const auto a = to_system(a_in);
  const auto b = to_system(b_in);
  if (!a || !b) return false;
  if (numeric(*a) && numeric(*b)) return decimal_equivalent(as_decimal(*a), as_decimal(*b));
  if (a->kind() == ValueKind::temporal || b->kind() == ValueKind::temporal) {
    const auto pair = temporal_pair(*a, *b);
    return pair && temporal_equivalent(pair->first, pair->second);
  }
  if (a->kind() != b->kind()) return false;
  switch (a->kind()) {
    case ValueKind::boolean:
      return a->as_bool() == b->as_bool();
    case ValueKind::string:
      return normalise_for_equivalence(a->as_string()) == normalise_for_equivalence(b->as_string());
    case ValueKind::quantity:
      return quantity_equivalent(a->as_quantity(), b->as_quantity()).value_or(false);
    default:
      return false;
  }
}

std::optional<bool> Context::equal(const Items& a, const Items& b) const {
  if (a.size() != b.size()) return false;
  bool unknown = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto same = equal(a[i], b[i]);
    if (!same) {
      unknown = true;
    } else if (!*same) {
      return false;
    }
  }
  if (unknown) return std::nullopt;
  return true;
}

bool Context::equivalent(const Items& a, const Items& b) const {
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size(), false);
  for (const Value& item : a) {
    bool found = false;
    for (std::size_t j = 0; j < b.size(); ++j) {
      if (!used[j] && equivalent(item, b[j])) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::optional<int> Context::compare(const Value& a_in, const Value& b_in,
                                    bool& incomparable) const {
  incomparable = false;
  if (a_in.is_object_node() || b_in.is_object_node()) {
    const auto qa = quantity_of(a_in);
    const auto qb = quantity_of(b_in);
    if (qa && qb) {
      const auto order = quantity_compare(qa->as_quantity(), qb->as_quantity());
      if (!order) incomparable = true;
      return order ? order : std::optional<int>(0);
    }
    return std::nullopt;
  }
  const auto a = to_system(a_in);
  const auto b = to_system(b_in);
  if (!a || !b) return std::nullopt;
  if (numeric(*a) && numeric(*b)) {
    if (a->kind() == ValueKind::integer && b->kind() == ValueKind::integer) {
      return a->as_integer() < b->as_integer() ? -1 : (a->as_integer() > b->as_integer() ? 1 : 0);
    }
    return decimal_compare(as_decimal(*a), as_decimal(*b));
  }
  if (a->kind() == ValueKind::temporal || b->kind() == ValueKind::temporal) {
    const auto pair = temporal_pair(*a, *b);
    if (!pair) return std::nullopt;
    const auto order = temporal_compare(pair->first, pair->second);
    if (!order) incomparable = true;
    return order ? order : std::optional<int>(0);
  }
  if (a->kind() != b->kind()) return std::nullopt;
  if (a->kind() == ValueKind::string) {
    const int order = a->as_string().compare(b->as_string());
    return order < 0 ? -1 : (order > 0 ? 1 : 0);
  }
  if (a->kind() == ValueKind::quantity) {
    const auto order = quantity_compare(a->as_quantity(), b->as_quantity());
    if (!order) incomparable = true;
    return order ? order : std::optional<int>(0);
  }
  return std::nullopt;
}

bool Context::singleton_boolean(const Node& node, const Items& items, std::optional<bool>& result) {
  result.reset();
  if (items.empty()) return true;
  if (items.size() > 1) {
    return fail(node, fmt::format("expected a single boolean but found {} items", items.size()));
  }
  const auto value = to_system(items[0]);
  if (value && value->kind() == ValueKind::boolean) {
    result = value->as_bool();
  } else {
    result = true;  // the singleton rule: one item of another type counts as true
  }
  return true;
}

// ---- evaluation ----

bool Context::eval(const Node& node, const Frame& frame, Items& out) {
  if (node.memo_slot >= 0) return eval_memo(node, frame, out);
  return eval_node(node, frame, out);
}

bool Context::eval_memo(const Node& node, const Frame& frame, Items& out) {
  if (memo_.empty()) memo_.resize(compiled_.memo_slots, nullptr);
  const Items*& memo = memo_[static_cast<std::size_t>(node.memo_slot)];
  if (memo == nullptr) {
    // Lives in the arena like every collection; release() frees it wholesale. Only a value
    // computed without error is kept: a failure ends the evaluation anyway.
    auto* computed = new (arena_->allocate(sizeof(Items), alignof(Items))) Items(arena_);
    if (!eval_node(node, frame, *computed)) return false;
    memo = computed;
  }
  out.insert(out.end(), memo->begin(), memo->end());
  return true;
}

bool Context::eval_node(const Node& node, const Frame& frame, Items& out) {
  switch (node.kind) {
    case NodeKind::empty:
      return true;
    case NodeKind::literal:
      out.push_back(node.literal);
      return true;
    case NodeKind::member:
      return eval_member(node, frame, out);
    case NodeKind::function:
      return eval_function(node, frame, out);
    case NodeKind::binary:
      return eval_binary(node, frame, out);
    case NodeKind::variable:
      return eval_variable(node, frame, out);
    case NodeKind::this_var:
      if (frame.this_value != nullptr) out.push_back(*frame.this_value);
      return true;
    case NodeKind::index_var:
      out.push_back(Value::of(frame.index));
      return true;
    case NodeKind::total_var:
      if (frame.total != nullptr) out.insert(out.end(), frame.total->begin(), frame.total->end());
      return true;
    case NodeKind::indexer: {
      Items focus = items();
      Items index = items();
      if (!eval(*node.focus, frame, focus) || !eval(*node.args[0], frame, index)) return false;
      if (index.empty()) return true;
      const auto position = index.size() == 1 ? to_system(index[0]) : std::nullopt;
      if (!position || position->kind() != ValueKind::integer) {
        return fail(node, "an index must be a single integer");
      }
      const std::int64_t i = position->as_integer();
      if (i >= 0 && static_cast<std::size_t>(i) < focus.size()) {
        out.push_back(focus[static_cast<std::size_t>(i)]);
      }
      return true;
    }
    case NodeKind::unary: {
      Items operand = items();
      if (!eval(*node.args[0], frame, operand)) return false;
      if (operand.empty()) return true;
      if (operand.size() > 1) return fail(node, "unary sign on a collection of several items");
      const auto value = to_system(operand[0]);
      if (!value) return fail(node, "unary sign needs a number or quantity");
      if (node.op == Op::plus) {
        if (!numeric(*value) && value->kind() != ValueKind::quantity) {
          return fail(node, "unary + needs a number or quantity");
        }
        out.push_back(*value);
        return true;
      }
      switch (value->kind()) {
        case ValueKind::integer:
          out.push_back(Value::of(-value->as_integer()));
          return true;
        case ValueKind::decimal: {
          Decimal d = value->as_decimal();
          d.value = -d.value;
          out.push_back(Value::of(d));
          return true;
        }
        case ValueKind::quantity: {
          Quantity q = value->as_quantity();
          q.value.value = -q.value.value;
          out.push_back(Value::of(keep(std::move(q))));
          return true;
        }
        default:
          return fail(node, fmt::format("unary - cannot apply to {}", type_name(*value)));
      }
    }
  }
  return fail(node, "unsupported expression");
}

bool Context::eval_member(const Node& node, const Frame& frame, Items& out) {
  Items focus = items();
  if (node.focus) {
    if (!eval(*node.focus, frame, focus)) return false;
  } else if (frame.this_value != nullptr) {
    focus.push_back(*frame.this_value);
  }
  const bool type_name_candidate =
      !node.focus && !node.name.empty() && node.name[0] >= 'A' && node.name[0] <= 'Z';
  for (const Value& item : focus) {
    if (type_name_candidate && item.is_node()) {
      // `Patient.name`: a type name at the start of a path selects a context of that type.
      if (item.type() != nullptr) {
        const fhir::TypeInfo* named = node.type.fhir_type;  // resolved when compiled
        if (named != nullptr) {
          if (item.type()->is_a(*named)) out.push_back(item);
          continue;
        }
      } else if (item.json() != nullptr && item.json()->is_object()) {
        const fhir::JsonValue* kind = item.json()->find("resourceType");
        if (kind != nullptr && kind->is_string() && kind->as_string() == node.name) {
          out.push_back(item);
          continue;
        }
      }
    }
    navigate(item, node.name, out, &node);
  }
  return true;
}

bool Context::eval_variable(const Node& node, const Frame& /*frame*/, Items& out) {
  const std::string& name = node.name;
  if (environment_ != nullptr) {
    if (const auto* values = environment_->find(name)) {
      out.insert(out.end(), values->begin(), values->end());
      return true;
    }
  }
  if (name == "resource" || name == "rootResource") {
    if (resource_ != nullptr) out.push_back(resource_value);
    return true;
  }
  if (name == "context") {
    out.push_back(context_value);
    return true;
  }
  if (name == "ucum") {
    out.push_back(Value::of(std::string_view("http://unitsofmeasure.org")));
    return true;
  }
  if (name == "sct") {
    out.push_back(Value::of(std::string_view("http://snomed.info/sct")));
    return true;
  }
  if (name == "loinc") {
    out.push_back(Value::of(std::string_view("http://loinc.org")));
    return true;
  }
  if (name.starts_with("vs-")) {
    out.push_back(Value::of(keep("http://hl7.org/fhir/ValueSet/" + name.substr(3))));
    return true;
  }
  if (name.starts_with("ext-")) {
    out.push_back(Value::of(keep("http://hl7.org/fhir/StructureDefinition/" + name.substr(4))));
    return true;
  }
  return fail(node, fmt::format("unknown variable %{}", name));
}

bool Context::eval_function(const Node& node, const Frame& frame, Items& out) {
  Items focus = items();
  if (node.focus) {
    if (!eval(*node.focus, frame, focus)) return false;
  } else if (frame.this_value != nullptr) {
    focus.push_back(*frame.this_value);
  }
  if (node.custom != nullptr) {
    std::vector<Items> arg_items;
    arg_items.reserve(node.args.size());
    for (const auto& arg : node.args) {
      arg_items.emplace_back(arena());
      if (!eval(*arg, frame, arg_items.back())) return false;
    }
    std::vector<Collection> args;
    args.reserve(arg_items.size());
    for (const Items& a : arg_items)
      args.emplace_back(a.data(), a.size());
    std::vector<Value> result;
    FunctionCall call{Collection(focus.data(), focus.size()), args, evaluator_, result,
                      environment_};
    if (auto problem = node.custom->function(call)) {
      return fail(node, fmt::format("{}(): {}", node.name, *problem));
    }
    out.insert(out.end(), result.begin(), result.end());
    return true;
  }
  ArgItems args(arena());
  if (node.builtin->arg_kind == ArgKind::value) {
    args.reserve(node.args.size());
    for (const auto& arg : node.args) {
      args.emplace_back();  // uses the arena too, passed on by the outer allocator
      if (!eval(*arg, frame, args.back())) return false;
    }
  }
  return node.builtin->implementation(*this, node, focus, frame, args, out);
}

namespace {

bool integer_overflow(std::int64_t value) {
  return value > std::numeric_limits<std::int32_t>::max() ||
         value < std::numeric_limits<std::int32_t>::min();
}

}  // namespace

bool Context::eval_binary(const Node& node, const Frame& frame, Items& out) {
  const Op op = node.op;
  // Logic first: these may not need the right-hand side.
  if (op == Op::and_ || op == Op::or_ || op == Op::xor_ || op == Op::implies) {
    Items lhs_items = items();
    std::optional<bool> lhs;
    if (!eval(*node.args[0], frame, lhs_items) || !singleton_boolean(node, lhs_items, lhs)) {
      return false;
    }
    if (op == Op::and_ && lhs == false) {
      out.push_back(Value::of(false));
      return true;
    }
    if (op == Op::or_ && lhs == true) {
      out.push_back(Value::of(true));
      return true;
    }
    if (op == Op::implies && lhs == false) {
      out.push_back(Value::of(true));
      return true;
    }
    Items rhs_items = items();
    std::optional<bool> rhs;
    if (!eval(*node.args[1], frame, rhs_items) || !singleton_boolean(node, rhs_items, rhs)) {
      return false;
    }
    std::optional<bool> result;
    switch (op) {
      case Op::and_:
        if (rhs == false)
          result = false;
        else if (lhs && rhs)
          result = true;
        break;
      case Op::or_:
        if (rhs == true)
          result = true;
        else if (lhs && rhs)
          result = false;
        break;
      case Op::xor_:
        if (lhs && rhs) result = *lhs != *rhs;
        break;
      case Op::implies:
        if (rhs == true)
          result = true;
        else if (lhs && rhs)
          result = false;  // lhs is true here
        break;
      default:
        break;
    }
    if (result) out.push_back(Value::of(*result));
    return true;
  }
  if (op == Op::is || op == Op::as) {
    Items lhs = items();
    if (!eval(*node.args[0], frame, lhs)) return false;
    if (lhs.empty()) return true;
    if (lhs.size() > 1) {
      return fail(node, fmt::format("'{}' needs a single item but found {}",
                                    op == Op::is ? "is" : "as", lhs.size()));
    }
    if (!known_type(node, node.type)) return false;
    const bool matches =
        op == Op::is ? is_type(lhs[0], node.type) : cast_matches(lhs[0], node.type);
    if (op == Op::is) {
      out.push_back(Value::of(matches));
    } else if (matches) {
      out.push_back(lhs[0]);
    }
    return true;
  }
  Items lhs = items();
  Items rhs = items();
  if (!eval(*node.args[0], frame, lhs) || !eval(*node.args[1], frame, rhs)) return false;
  switch (op) {
    case Op::union_: {
      const std::size_t start = out.size();
      const auto add_distinct = [&](const Value& v) {
        for (std::size_t i = start; i < out.size(); ++i) {
          if (equal(out[i], v) == true) return;
        }
        out.push_back(v);
      };
      for (const Value& v : lhs)
        add_distinct(v);
      for (const Value& v : rhs)
        add_distinct(v);
      return true;
    }
    case Op::equal:
    case Op::not_equal: {
      if (lhs.empty() || rhs.empty()) return true;
      const auto same = equal(lhs, rhs);
      if (same) out.push_back(Value::of(op == Op::equal ? *same : !*same));
      return true;
    }
    case Op::equivalent:
    case Op::not_equivalent: {
      const bool same = equivalent(lhs, rhs);
      out.push_back(Value::of(op == Op::equivalent ? same : !same));
      return true;
    }
    case Op::in:
    case Op::contains: {
      const Items& needle = op == Op::in ? lhs : rhs;
      const Items& haystack = op == Op::in ? rhs : lhs;
      if (needle.empty()) return true;
      if (needle.size() > 1) {
        return fail(node, fmt::format("'{}' needs a single item but found {}",
                                      op == Op::in ? "in" : "contains", needle.size()));
      }
      bool found = false;
      for (const Value& v : haystack) {
        if (equal(needle[0], v) == true) {
          found = true;
          break;
        }
      }
      out.push_back(Value::of(found));
      return true;
    }
    default:
      break;
  }
  // The rest are operators on single items: empty in, empty out.
  if (lhs.empty() || rhs.empty()) {
    if (op == Op::concatenate) {
      // & treats an empty operand as the empty string.
      const auto text = [&](const Items& side) -> std::optional<std::string_view> {
        if (side.empty()) return std::string_view();
        const auto v = to_system(side[0]);
        if (side.size() > 1 || !v || v->kind() != ValueKind::string) return std::nullopt;
        return v->as_string();
      };
      const auto a = text(lhs);
      const auto b = text(rhs);
      if (!a || !b) return fail(node, "'&' needs strings");
      std::string joined(*a);
      joined += *b;
      out.push_back(Value::of(keep(joined)));
    }
    return true;
  }
  if (lhs.size() > 1 || rhs.size() > 1) {
    return fail(node, fmt::format("operator needs single items but found {} and {}", lhs.size(),
                                  rhs.size()));
  }
  if (op == Op::less || op == Op::greater || op == Op::less_equal || op == Op::greater_equal) {
    bool incomparable = false;
    const auto order = compare(lhs[0], rhs[0], incomparable);
    if (!order) {
      return fail(node,
                  fmt::format("cannot compare {} with {}", type_name(lhs[0]), type_name(rhs[0])));
    }
    if (incomparable) return true;
    bool result = false;
    switch (op) {
      case Op::less:
        result = *order < 0;
        break;
      case Op::greater:
        result = *order > 0;
        break;
      case Op::less_equal:
        result = *order <= 0;
        break;
      default:
        result = *order >= 0;
        break;
    }
    out.push_back(Value::of(result));
    return true;
  }
  // Arithmetic.
  auto a = to_system(lhs[0]);
  auto b = to_system(rhs[0]);
  if (!a && lhs[0].is_object_node()) a = quantity_of(lhs[0]);
  if (!b && rhs[0].is_object_node()) b = quantity_of(rhs[0]);
  if (!a || !b) {
    return fail(node, fmt::format("arithmetic cannot apply to {} and {}", type_name(lhs[0]),
                                  type_name(rhs[0])));
  }
  const auto type_error = [&] {
    return fail(node,
                fmt::format("operator cannot apply to {} and {}", type_name(*a), type_name(*b)));
  };
  const bool integers = a->kind() == ValueKind::integer && b->kind() == ValueKind::integer;
  // A number meeting a quantity in * or / is a quantity of unit '1'.
  const auto as_quantity = [&](const Value& v) -> std::optional<Quantity> {
    if (v.kind() == ValueKind::quantity) return v.as_quantity();
    if (numeric(v)) return Quantity{as_decimal(v), "1"};
    return std::nullopt;
  };
  switch (op) {
    case Op::concatenate:
      if (a->kind() != ValueKind::string || b->kind() != ValueKind::string) return type_error();
      [[fallthrough]];
    case Op::add:
      if (a->kind() == ValueKind::string && b->kind() == ValueKind::string) {
        std::string joined(a->as_string());
        joined += b->as_string();
        out.push_back(Value::of(keep(joined)));
        return true;
      }
      [[fallthrough]];
    case Op::subtract: {
      const bool subtract = op == Op::subtract;
      if (integers) {
        const std::int64_t result =
            subtract ? a->as_integer() - b->as_integer() : a->as_integer() + b->as_integer();
        if (!integer_overflow(result)) out.push_back(Value::of(result));
        return true;
      }
      if (numeric(*a) && numeric(*b)) {
        out.push_back(Value::of(subtract ? decimal_subtract(as_decimal(*a), as_decimal(*b))
                                         : decimal_add(as_decimal(*a), as_decimal(*b))));
        return true;
      }
      if (a->kind() == ValueKind::temporal && b->kind() == ValueKind::quantity) {
        Decimal amount = b->as_quantity().value;
        if (subtract) amount.value = -amount.value;
        const auto result = temporal_add(a->as_temporal(), amount, b->as_quantity().unit);
        if (!result) {
          return fail(node,
                      fmt::format("cannot add '{}' to a date/time", b->as_quantity().to_string()));
        }
        out.push_back(Value::of(*result));
        return true;
      }
      if (a->kind() == ValueKind::quantity && b->kind() == ValueKind::quantity) {
        const auto result = subtract ? quantity_subtract(a->as_quantity(), b->as_quantity())
                                     : quantity_add(a->as_quantity(), b->as_quantity());
        if (result) out.push_back(Value::of(keep(*result)));
        return true;
      }
      return type_error();
    }
    case Op::multiply: {
      if (integers) {
        const std::int64_t result = a->as_integer() * b->as_integer();
        if (!integer_overflow(result)) out.push_back(Value::of(result));
        return true;
      }
      if (numeric(*a) && numeric(*b)) {
        out.push_back(Value::of(decimal_multiply(as_decimal(*a), as_decimal(*b))));
        return true;
      }
      const auto qa = as_quantity(*a);
      const auto qb = as_quantity(*b);
      if (!qa || !qb) return type_error();
      if (const auto result = quantity_multiply(*qa, *qb)) out.push_back(Value::of(keep(*result)));
      return true;
    }
    case Op::divide: {
      if (numeric(*a) && numeric(*b)) {
        if (const auto result = decimal_divide(as_decimal(*a), as_decimal(*b))) {
          out.push_back(Value::of(*result));
        }
        return true;
      }
      const auto qa = as_quantity(*a);
      const auto qb = as_quantity(*b);
      if (!qa || !qb) return type_error();
      if (const auto result = quantity_divide(*qa, *qb)) out.push_back(Value::of(keep(*result)));
      return true;
    }
    case Op::int_divide:
    case Op::modulo: {
      if (integers) {
        if (b->as_integer() == 0) return true;
        out.push_back(Value::of(op == Op::int_divide ? a->as_integer() / b->as_integer()
                                                     : a->as_integer() % b->as_integer()));
        return true;
      }
      if (numeric(*a) && numeric(*b)) {
        const Decimal x = as_decimal(*a);
        const Decimal y = as_decimal(*b);
        if (y.value == 0) return true;
        if (op == Op::int_divide) {
          out.push_back(Value::of(static_cast<std::int64_t>(std::trunc(x.value / y.value))));
        } else {
          Decimal r{std::fmod(x.value, y.value), std::max(x.scale, y.scale)};
          out.push_back(Value::of(round_decimal(r, r.scale)));
        }
        return true;
      }
      return type_error();
    }
    default:
      break;
  }
  return fail(node, "unsupported operator");
}

}  // namespace detail
}  // namespace adapter::fhirpath
