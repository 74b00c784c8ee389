#include "adapter/fhir/json_schema.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "adapter/fhir/datetime.h"

namespace adapter::fhir {


// ---------------------------------------------------------------------------------------
// Formats

FormatRegistry::FormatRegistry() {
  add("date", [](std::string_view value) -> std::optional<std::string> {
    if (parse_full_date(value)) return std::nullopt;
    return "not a calendar date in the form YYYY-MM-DD";
  });
  add("date-time", [](std::string_view value) -> std::optional<std::string> {
    if (parse_date_time(value)) return std::nullopt;
    return "not a date-time in the form YYYY-MM-DDThh:mm:ss with a time zone (Z or +hh:mm)";
  });
}

void FormatRegistry::add(std::string name, FormatCheck check) {
  checks_.insert_or_assign(std::move(name), std::move(check));
}

const FormatCheck* FormatRegistry::find(std::string_view name) const {
  auto it = checks_.find(name);
  return it == checks_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------
// Compiled form

namespace {

enum TypeBit : unsigned {
  kNull = 1U << 0U,
  kBoolean = 1U << 1U,
  kObject = 1U << 2U,
  kArray = 1U << 3U,
  kNumber = 1U << 4U,
  kString = 1U << 5U,
  kInteger = 1U << 6U,
};

constexpr std::size_t kNoNode = static_cast<std::size_t>(-1);
// std::regex matching recurses per character; longer strings are not matched.
constexpr std::size_t kMaxPatternInput = 1024;

std::optional<unsigned> type_bit(std::string_view name) {
  if (name == "null") return kNull;
  if (name == "boolean") return kBoolean;
  if (name == "object") return kObject;
  if (name == "array") return kArray;
  if (name == "number") return kNumber;
  if (name == "string") return kString;
  if (name == "integer") return kInteger;
  return std::nullopt;
}

std::string type_names(unsigned types) {
  static constexpr std::pair<unsigned, std::string_view> kNames[] = {
      {kObject, "object"}, {kArray, "array"},     {kString, "string"}, {kInteger, "integer"},
      {kNumber, "number"}, {kBoolean, "boolean"}, {kNull, "null"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((types & bit) == 0) continue;
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

bool is_integral(const JsonValue& value) {
  if (value.as_int64()) return true;
  const auto number = value.as_double();
  return number && std::isfinite(*number) && std::floor(*number) == *number;
}

bool type_matches(unsigned types, const JsonValue& value) {
  switch (value.kind()) {
    case JsonKind::null:
      return (types & kNull) != 0;
    case JsonKind::boolean:
      return (types & kBoolean) != 0;
    case JsonKind::object:
      return (types & kObject) != 0;
    case JsonKind::array:
      return (types & kArray) != 0;
    case JsonKind::string:
      return (types & kString) != 0;
    case JsonKind::number:
      return (types & kNumber) != 0 || ((types & kInteger) != 0 && is_integral(value));
  }
  return false;
}

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::ranges::count_if(
      text, [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

// For messages: a value as a person would recognise it, cut to a sensible length.
std::string shown(const JsonValue& value) {
  std::string text = to_json(value);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

struct SchemaNode {
  unsigned types = 0;  // 0 = any type
  std::vector<std::pair<std::string, std::size_t>> properties;
  bool closed = false;
  std::vector<std::string> required;
  std::optional<std::size_t> min_properties;
  std::optional<std::size_t> max_properties;
  std::size_t items = kNoNode;
  std::optional<std::size_t> min_items;
  std::optional<std::size_t> max_items;
  bool unique_items = false;
  bool has_enum = false;
  std::vector<std::string> enum_values;
  std::optional<std::string> const_json;
  std::optional<std::size_t> min_length;
  std::optional<std::size_t> max_length;
  std::optional<std::regex> pattern;
  std::string pattern_text;
  std::string format;
  std::optional<double> minimum;
  std::optional<double> maximum;
  std::string refers_to;
  std::vector<std::string> ordered;
  std::string ref_text;  // as written, resolved into `ref` when all files are compiled
  std::size_t ref = kNoNode;
  std::vector<std::size_t> all_of;
  std::size_t if_node = kNoNode;  // when the value passes `if`, `then` applies too
  std::size_t then_node = kNoNode;
  std::size_t not_node = kNoNode;  // only inside `if`, where no message is needed
};

struct SchemaSet::Compiled {
  FormatRegistry formats;
  std::vector<SchemaNode> nodes;
  std::map<std::string, std::size_t, std::less<>> roots;    // file name -> node
  std::map<std::string, std::size_t, std::less<>> anchors;  // "file#/$defs/x" -> node
};

namespace {

// ---------------------------------------------------------------------------------------
// Compiling

class Compiler {
 public:
  Compiler(SchemaSet::Compiled& out, Outcome& problems) : out_(out), problems_(problems) {}

  void compile_file(const std::string& file, const JsonValue& root) {
    file_ = file;
    out_.roots[file] = compile(root, "");
  }

  void link() {
    for (std::size_t i = 0; i < out_.nodes.size(); ++i) {
      SchemaNode& node = out_.nodes[i];
      if (node.ref_text.empty()) continue;
      auto it = out_.anchors.find(node.ref_text);
      if (it == out_.anchors.end()) {
        problem("", "$ref \"" + node.ref_text + "\" names no $defs entry of a loaded schema");
        continue;
      }
      node.ref = it->second;
    }
    // A chain of $ref that comes back to itself without descending into the data
    // would never end: refuse it here rather than loop at check time.
    for (std::size_t start = 0; start < out_.nodes.size(); ++start) {
      std::size_t at = out_.nodes[start].ref;
      for (std::size_t steps = 0; at != kNoNode; ++steps) {
        if (at == start || steps > out_.nodes.size()) {
          problem("", "$ref \"" + out_.nodes[start].ref_text + "\" refers back to itself");
          break;
        }
        at = out_.nodes[at].ref;
      }
    }
  }

 private:
  void problem(const std::string& pointer, std::string message) {
    problems_.error(IssueType::invalid, pointer, file_ + ": " + std::move(message));
  }

  std::optional<std::size_t> count(const JsonValue& value, const std::string& pointer) {
    const auto number = value.as_int64();
    if (!number || *number < 0) {
      problem(pointer, "expected a non-negative integer");
      return std::nullopt;
    }
    return static_cast<std::size_t>(*number);
  }

  std::vector<std::string> strings(const JsonValue& value, const std::string& pointer) {
    std::vector<std::string> out;
    if (!value.is_array()) {
      problem(pointer, "expected an array of strings");
      return out;
    }
    for (const JsonValue& item : value.items()) {
      if (!item.is_string()) {
        problem(pointer, "expected an array of strings");
        continue;
      }
      out.emplace_back(item.as_string());
    }
    return out;
  }

  // `condition` marks schemas under `if`: they test values rather than define documents,
  // so they may name properties without closing the object.
  std::size_t compile(const JsonValue& schema, const std::string& pointer, bool condition = false) {
    const std::size_t index = out_.nodes.size();
    out_.nodes.emplace_back();
    if (!schema.is_object()) {
      problem(pointer, "a schema must be an object");
      return index;
    }
    SchemaNode node;
    bool has_properties = false;
    for (const JsonMember& member : schema.members()) {
      const std::string at = pointer + "/" + pointer_token(member.key);
      const std::string_view key = member.key;
      const JsonValue& value = member.value;
      if (key == "$schema" || key == "$id" || key == "title" || key == "description" ||
          key == "$comment" || key == "examples") {
        continue;  // annotations
      }
      if (key == "$defs") {
        for (const JsonMember& def : value.members()) {
          const std::string def_pointer = at + "/" + pointer_token(def.key);
          out_.anchors[file_ + "#" + def_pointer] = compile(def.value, def_pointer);
        }
        if (!value.is_object()) problem(at, "$defs must be an object");
      } else if (key == "$ref") {
        const std::string_view ref = value.as_string();
        const std::size_t hash = ref.find('#');
        if (hash == std::string_view::npos || ref.substr(hash).rfind("#/$defs/", 0) != 0) {
          problem(at, "$ref must be \"#/$defs/NAME\" or \"FILE#/$defs/NAME\"");
        } else {
          node.ref_text = (hash == 0 ? file_ : std::string(ref.substr(0, hash))) +
                          std::string(ref.substr(hash));
        }
      } else if (key == "type") {
        const std::vector<std::string> names =
            value.is_string() ? std::vector<std::string>{std::string(value.as_string())}
                              : strings(value, at);
        for (const std::string& name : names) {
          if (auto bit = type_bit(name)) {
            node.types |= *bit;
          } else {
            problem(at, "unknown type \"" + name + "\"");
          }
        }
      } else if (key == "properties") {
        has_properties = true;
        if (!value.is_object()) problem(at, "properties must be an object");
        for (const JsonMember& property : value.members()) {
          node.properties.emplace_back(
              std::string(property.key),
              compile(property.value, at + "/" + pointer_token(property.key), condition));
        }
      } else if (key == "additionalProperties") {
        if (!value.is_bool() || value.as_bool()) {
          problem(at, "only \"additionalProperties\": false is supported (input is strict)");
        }
        node.closed = true;
      } else if (key == "required") {
        node.required = strings(value, at);
      } else if (key == "minProperties") {
        node.min_properties = count(value, at);
      } else if (key == "maxProperties") {
        node.max_properties = count(value, at);
      } else if (key == "items") {
        node.items = compile(value, at, condition);
      } else if (key == "minItems") {
        node.min_items = count(value, at);
      } else if (key == "maxItems") {
        node.max_items = count(value, at);
      } else if (key == "uniqueItems") {
        node.unique_items = value.as_bool();
      } else if (key == "enum") {
        node.has_enum = true;
        node.enum_values = strings(value, at);
        if (node.enum_values.empty()) problem(at, "enum must list at least one string");
      } else if (key == "const") {
        node.const_json = to_json(value);
      } else if (key == "minLength") {
        node.min_length = count(value, at);
      } else if (key == "maxLength") {
        node.max_length = count(value, at);
      } else if (key == "pattern") {
        node.pattern_text = std::string(value.as_string());
        try {
          node.pattern.emplace(node.pattern_text, std::regex::ECMAScript);
        } catch (const std::regex_error& error) {
          problem(at, "invalid pattern \"" + node.pattern_text + "\": " + error.what());
        }
      } else if (key == "format") {
        node.format = std::string(value.as_string());
        if (out_.formats.find(node.format) == nullptr) {
          problem(at, "unknown format \"" + node.format + "\"");
        }
      } else if (key == "minimum") {
        node.minimum = value.as_double();
      } else if (key == "maximum") {
        node.maximum = value.as_double();
      } else if (key == "x-refers-to") {
        node.refers_to = std::string(value.as_string());
        if (node.refers_to.empty()) problem(at, "x-refers-to must name a top-level array");
      } else if (key == "x-ordered") {
        node.ordered = strings(value, at);
      } else if (key == "allOf") {
        const auto parts = value.items();
        if (!value.is_array() || parts.empty()) problem(at, "allOf must list at least one schema");
        for (std::size_t i = 0; i < parts.size(); ++i) {
          node.all_of.push_back(compile(parts[i], at + "/" + std::to_string(i), condition));
        }
      } else if (key == "if") {
        node.if_node = compile(value, at, true);
      } else if (key == "not") {
        // A failed `not` has no useful message of its own, so it may only pose a condition.
        if (!condition) problem(at, "\"not\" is allowed only inside \"if\"");
        node.not_node = compile(value, at, true);
      } else if (key == "then") {
        node.then_node = compile(value, at, condition);
      } else {
        problem(at, "unsupported keyword \"" + std::string(key) +
                        "\" (the engine implements the subset in docs/input-format.md)");
      }
    }
    // A required or ordered name that is not a property is a typo in the schema.
    if (has_properties) {
      auto known = [&node](const std::string& name) {
        return std::ranges::any_of(
            node.properties, [&name](const auto& property) { return property.first == name; });
      };
      for (const std::string& name : node.required) {
        if (!known(name)) problem(pointer + "/required", "\"" + name + "\" is not a property");
      }
      for (const std::string& name : node.ordered) {
        if (!known(name)) problem(pointer + "/x-ordered", "\"" + name + "\" is not a property");
      }
      if (!node.closed && !condition) {
        problem(pointer, "an object schema with properties must say additionalProperties: false");
      }
    }
    if ((node.if_node == kNoNode) != (node.then_node == kNoNode)) {
      problem(pointer, "\"if\" and \"then\" go together");
    }
    out_.nodes[index] = std::move(node);
    return index;
  }

  SchemaSet::Compiled& out_;
  Outcome& problems_;
  std::string file_;
};

// ---------------------------------------------------------------------------------------
// Checking

// A date or date-time read for ordering; date-only values compare by day.
struct Moment {
  std::chrono::sys_days day;
  std::optional<std::chrono::sys_time<std::chrono::milliseconds>> instant;
};

std::optional<Moment> read_moment(const JsonValue& value) {
  if (auto date = parse_full_date(value.as_string())) return Moment{*date, std::nullopt};
  if (auto date_time = parse_date_time(value.as_string())) {
    const auto local_day =
        std::chrono::floor<std::chrono::days>(date_time->utc + date_time->offset);
    return Moment{local_day, date_time->utc};
  }
  return std::nullopt;
}

bool before(const Moment& later, const Moment& earlier) {
  if (later.instant && earlier.instant) return *later.instant < *earlier.instant;
  return later.day < earlier.day;
}

class Checker {
 public:
  Checker(const SchemaSet::Compiled& compiled, const JsonValue& root, Outcome& out)
      : compiled_(compiled), root_(root), out_(out) {}

  void check(std::size_t index, const JsonValue& value) {
    const SchemaNode& node = compiled_.nodes[index];
    if (node.ref != kNoNode) check(node.ref, value);
    for (std::size_t part : node.all_of)
      check(part, value);
    if (node.if_node != kNoNode && passes(node.if_node, value)) check(node.then_node, value);
    if (node.not_node != kNoNode && passes(node.not_node, value)) {
      error(IssueType::invalid, pointer_, "matches a schema it must not match");
    }
    if (node.types != 0 && !type_matches(node.types, value)) {
      error(IssueType::structure, pointer_,
            "expected " + type_names(node.types) + ", found " +
                std::string(to_string(value.kind())));
      return;
    }
    if (node.const_json && to_json(value) != *node.const_json) {
      error(IssueType::value, pointer_, "must be " + *node.const_json + ", found " + shown(value));
    }
    switch (value.kind()) {
      case JsonKind::object:
        check_object(node, value);
        break;
      case JsonKind::array:
        check_array(node, value);
        break;
      case JsonKind::string:
        check_string(node, value);
        break;
      case JsonKind::number:
        check_number(node, value);
        break;
      default:
        break;
    }
  }

 private:
  void error(IssueType type, const std::string& location, std::string message) {
    out_.error(type, location, std::move(message));
  }

  // Whether `value` satisfies a schema, reporting nothing (for `if`).
  bool passes(std::size_t index, const JsonValue& value) {
    Outcome scratch;
    Checker probe(compiled_, root_, scratch);
    probe.pointer_ = pointer_;
    probe.check(index, value);
    return !scratch.has_errors();
  }

  // Appends a reference token to the current pointer for the life of the scope.
  class Descend {
   public:
    Descend(std::string& pointer, std::string_view token)
        : pointer_(pointer), size_(pointer.size()) {
      pointer_ += '/';
      pointer_ += pointer_token(token);
    }
    ~Descend() { pointer_.resize(size_); }
    Descend(const Descend&) = delete;
    Descend& operator=(const Descend&) = delete;

   private:
    std::string& pointer_;
    std::size_t size_;
  };

  void check_object(const SchemaNode& node, const JsonValue& value) {
    for (const std::string& name : node.required) {
      if (value.find(name) == nullptr) {
        error(IssueType::required, pointer_ + "/" + pointer_token(name),
              "missing required field \"" + name + "\"");
      }
    }
    if (node.min_properties && value.size() < *node.min_properties) {
      error(IssueType::required, pointer_,
            "needs at least " + std::to_string(*node.min_properties) + " of: " + names(node));
    }
    if (node.max_properties && value.size() > *node.max_properties) {
      error(IssueType::structure, pointer_,
            "allows at most " + std::to_string(*node.max_properties) + " of: " + names(node) +
                "; found " + std::to_string(value.size()));
    }
    for (const JsonMember& member : value.members()) {
      const auto property = std::ranges::find_if(
          node.properties, [&member](const auto& p) { return p.first == member.key; });
      Descend into(pointer_, member.key);
      if (property != node.properties.end()) {
        check(property->second, member.value);
      } else if (node.closed) {
        error(IssueType::structure, pointer_, unknown_field_message(node, member.key));
      }
    }
    check_order(node, value);
  }

  static std::string names(const SchemaNode& node) {
    std::string out;
    for (const auto& [name, unused] : node.properties) {
      if (!out.empty()) out += ", ";
      out += name;
    }
    return out;
  }

  static std::string unknown_field_message(const SchemaNode& node, std::string_view key) {
    std::string message = "unknown field \"" + std::string(key) + "\"";
    std::string_view closest;
    std::size_t best = 3;  // suggest only near misses
    for (const auto& [name, unused] : node.properties) {
      const std::size_t distance = edit_distance(key, name);
      if (distance < best) {
        best = distance;
        closest = name;
      }
    }
    if (!closest.empty()) return message + "; did you mean \"" + std::string(closest) + "\"?";
    if (node.properties.empty()) return message + "; no fields are allowed here";
    return message + "; allowed here: " + names(node);
  }

  void check_order(const SchemaNode& node, const JsonValue& value) {
    const JsonValue* previous = nullptr;
    std::string_view previous_name;
    std::optional<Moment> previous_moment;
    for (const std::string& name : node.ordered) {
      const JsonValue* current = value.find(name);
      if (current == nullptr) continue;
      const auto moment = read_moment(*current);
      if (!moment) continue;  // its format check reports it
      // Each member is compared with the latest one that kept the order, so in 5, 3, 4 both
      // 3 and 4 are reported: each is before the 5.
      if (previous_moment && before(*moment, *previous_moment)) {
        error(IssueType::invariant, pointer_ + "/" + pointer_token(name),
              "\"" + name + "\" (" + std::string(current->as_string()) + ") is before \"" +
                  std::string(previous_name) + "\" (" + std::string(previous->as_string()) + ")");
        continue;
      }
      previous = current;
      previous_name = name;
      previous_moment = moment;
    }
  }

  void check_array(const SchemaNode& node, const JsonValue& value) {
    if (node.min_items && value.size() < *node.min_items) {
      error(IssueType::required, pointer_,
            "needs at least " + std::to_string(*node.min_items) + " item(s); found " +
                std::to_string(value.size()));
    }
    if (node.max_items && value.size() > *node.max_items) {
      error(IssueType::too_long, pointer_,
            "allows at most " + std::to_string(*node.max_items) + " items; found " +
                std::to_string(value.size()));
    }
    const auto items = value.items();
    for (std::size_t i = 0; i < items.size(); ++i) {
      Descend into(pointer_, std::to_string(i));
      if (node.items != kNoNode) check(node.items, items[i]);
      if (node.unique_items) {
        for (std::size_t j = 0; j < i; ++j) {
          if (items[j] == items[i]) {
            error(IssueType::duplicate, pointer_,
                  "repeats item " + std::to_string(j) + " (" + shown(items[i]) + ")");
            break;
          }
        }
      }
    }
  }

  void check_string(const SchemaNode& node, const JsonValue& value) {
    const std::string_view text = value.as_string();
    const std::size_t length = code_points(text);
    if (node.max_length && length > *node.max_length) {
      error(IssueType::too_long, pointer_,
            "is " + std::to_string(length) + " characters long; at most " +
                std::to_string(*node.max_length) + " allowed");
      return;  // too long to be worth matching further
    }
    if (node.min_length && length < *node.min_length) {
      error(IssueType::value, pointer_,
            length == 0 ? std::string("must not be empty")
                        : "is " + std::to_string(length) + " characters long; at least " +
                              std::to_string(*node.min_length) + " required");
    }
    if (node.has_enum && std::ranges::find(node.enum_values, text) == node.enum_values.end()) {
      std::string allowed;
      for (const std::string& option : node.enum_values) {
        if (!allowed.empty()) allowed += ", ";
        allowed += option;
      }
      error(IssueType::value, pointer_, shown(value) + " is not one of: " + allowed);
    }
    if (node.pattern) {
      if (text.size() > kMaxPatternInput) {
        error(IssueType::too_long, pointer_, "is too long to match against its pattern");
      } else if (!std::regex_match(text.begin(), text.end(), *node.pattern)) {
        error(IssueType::value, pointer_,
              shown(value) + " does not match the pattern " + node.pattern_text);
      }
    }
    if (!node.format.empty()) {
      if (const FormatCheck* format = compiled_.formats.find(node.format)) {
        if (auto problem = (*format)(text)) {
          error(IssueType::value, pointer_, shown(value) + ": " + *problem);
        }
      }
    }
    if (!node.refers_to.empty()) check_reference(node.refers_to, text);
  }

  void check_number(const SchemaNode& node, const JsonValue& value) {
    const auto number = value.as_double();
    if (!number) return;
    if (node.minimum && *number < *node.minimum) {
      error(IssueType::value, pointer_,
            shown(value) + " is below the minimum " + shown_number(*node.minimum));
    }
    if (node.maximum && *number > *node.maximum) {
      error(IssueType::value, pointer_,
            shown(value) + " is above the maximum " + shown_number(*node.maximum));
    }
  }

  static std::string shown_number(double number) {
    std::string text = std::to_string(number);
    text.erase(text.find_last_not_of('0') + 1);
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
  }

  // x-refers-to: the value must be the `id` of an object in the named top-level array.
  void check_reference(const std::string& collection, std::string_view id) {
    auto [it, inserted] = ids_.try_emplace(collection);
    if (inserted) {
      if (const JsonValue* entries = root_.find(collection)) {
        for (const JsonValue& entry : entries->items()) {
          if (const JsonValue* entry_id = entry.find("id"); entry_id && entry_id->is_string()) {
            it->second.emplace(entry_id->as_string());
          }
        }
      }
    }
    if (!it->second.contains(id)) {
      error(IssueType::not_found, pointer_,
            "refers to \"" + std::string(id) + "\", but /" + collection +
                " has no entry with that id");
    }
  }

  const SchemaSet::Compiled& compiled_;
  const JsonValue& root_;
  Outcome& out_;
  std::string pointer_;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> ids_;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// SchemaSet

SchemaSet::SchemaSet() : compiled_(std::make_unique<Compiled>()) {}
SchemaSet::SchemaSet(SchemaSet&&) noexcept = default;
SchemaSet& SchemaSet::operator=(SchemaSet&&) noexcept = default;
SchemaSet::~SchemaSet() = default;

Result<SchemaSet> SchemaSet::from_texts(const std::map<std::string, std::string>& texts,
                                        FormatRegistry formats) {
  SchemaSet set;
  set.compiled_->formats = std::move(formats);
  Outcome problems;
  Compiler compiler(*set.compiled_, problems);
  for (const auto& [file, text] : texts) {
    auto parsed = JsonDocument::parse(text);
    if (!parsed.ok()) {
      for (Issue issue : parsed.problems().issues()) {
        issue.message = file + ": " + issue.message;
        problems.add(std::move(issue));
      }
      continue;
    }
    compiler.compile_file(file, parsed->root());
  }
  compiler.link();
  if (problems.has_errors()) return problems;
  return set;
}

Result<SchemaSet> SchemaSet::load_folder(const std::filesystem::path& folder,
                                         FormatRegistry formats) {
  std::map<std::string, std::string> texts;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !name.ends_with(".schema.json")) continue;
    auto text = read_bounded(entry.path().string(), 4U << 20U);
    if (!text.ok()) return text.problems();
    texts.emplace(name, std::move(text).value());
  }
  if (error) {
    return Outcome::of(Severity::fatal, IssueType::exception,
                       "cannot read the schema folder " + folder.string() + ": " + error.message());
  }
  if (texts.empty()) {
    return Outcome::of(Severity::fatal, IssueType::not_found,
                       "no *.schema.json files in " + folder.string());
  }
  return from_texts(texts, std::move(formats));
}

bool SchemaSet::has(std::string_view file_name) const {
  return compiled_->roots.contains(file_name);
}

Outcome SchemaSet::check(std::string_view file_name, const JsonValue& document) const {
  Outcome outcome;
  auto root = compiled_->roots.find(file_name);
  if (root == compiled_->roots.end()) {
    outcome.error(IssueType::not_found, "", "no schema named " + std::string(file_name));
    return outcome;
  }
  Checker(*compiled_, document, outcome).check(root->second, document);
  return outcome;
}

}  // namespace adapter::fhir
