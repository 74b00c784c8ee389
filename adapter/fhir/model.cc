#include "adapter/fhir/model.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <utility>

#include "adapter/fhir/json.h"

namespace adapter::fhir {

namespace detail {
// Defined by the source fhir-model-compile generates at build time: the compiled R4 model,
// in pieces because compilers bound the length of one string literal.
std::span<const std::string_view> r4_model_chunks();
}  // namespace detail

namespace {

constexpr std::string_view kFormat = "1";

bool by_name(const TypeInfo& type, std::string_view name) {
  return type.name() < name;
}

std::string pointer(std::size_t type, std::size_t element = SIZE_MAX) {
  std::string out = "/types/" + std::to_string(type);
  if (element != SIZE_MAX) out += "/3/" + std::to_string(element);
  return out;
}

bool parse_kind(std::string_view text, TypeKind& kind, bool& system) {
  system = false;
  if (text == "primitive") {
    kind = TypeKind::primitive;
  } else if (text == "complex") {
    kind = TypeKind::complex;
  } else if (text == "resource") {
    kind = TypeKind::resource;
  } else if (text == "backbone") {
    kind = TypeKind::backbone;
  } else if (text == "system") {
    kind = TypeKind::primitive;  // FHIRPath's own primitives; is_system() tells them apart
    system = true;
  } else {
    return false;
  }
  return true;
}

std::optional<std::uint32_t> parse_max(std::string_view text) {
  if (text == "*") return ElementInfo::kUnbounded;
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// The shape every compiled element must have: [name, [types], min, max, flags?, ...].
bool element_shape(const JsonValue& e) {
  if (!e.is_array() || e.size() < 4) return false;
  const std::span<const JsonValue> f = e.items();
  return f[0].is_string() && f[1].is_array() && f[2].is_number() && f[3].is_string() &&
         (f.size() < 5 || f[4].is_string()) &&
         std::all_of(f[1].items().begin(), f[1].items().end(),
                     [](const JsonValue& t) { return t.is_string(); });
}

// [name, kind, base or null, [elements], flags?, ...].
bool type_shape(const JsonValue& t) {
  if (!t.is_array() || t.size() < 4) return false;
  const std::span<const JsonValue> f = t.items();
  return f[0].is_string() && f[1].is_string() && (f[2].is_string() || f[2].is_null()) &&
         f[3].is_array() && (f.size() < 5 || f[4].is_string());
}

}  // namespace

struct Model::Data {
  JsonDocument document;                       // owns every name the types view
  std::vector<TypeInfo> types;                 // sorted by name; never resized once loaded
  std::vector<const TypeInfo*> element_types;  // what every ElementInfo::types views
  std::vector<Invariant> invariants;
  std::vector<Binding> bindings;
  std::vector<ValueSetExpansion> value_sets;  // sorted by url
};

namespace {

// Orders names by length, then bytes: the cheapest total order to search by.
int compare_by_length(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i])
      return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]) ? -1 : 1;
  }
  return 0;
}

}  // namespace

const ElementInfo* TypeInfo::element(std::string_view name) const {
  if (!lookup_.empty() || elements_.empty()) {
    std::size_t low = 0;
    std::size_t high = lookup_.size();
    while (low < high) {
      const std::size_t middle = (low + high) / 2;
      const int order = compare_by_length(lookup_[middle]->name, name);
      if (order == 0) return lookup_[middle];
      if (order < 0) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    if (!lookup_.empty()) return nullptr;
  }
  // Before the model has finished loading: walk the base chain.
  for (const TypeInfo* type = this; type != nullptr; type = type->base_) {
    const auto it = std::lower_bound(
        type->elements_.begin(), type->elements_.end(), name,
        [](const ElementInfo& element, std::string_view key) { return element.name < key; });
    if (it != type->elements_.end() && it->name == name) return &*it;
  }
  return nullptr;
}

bool TypeInfo::is_a(const TypeInfo& other) const {
  // By name too, so types of two loaded models still compare.
  for (const TypeInfo* type = this; type != nullptr; type = type->base_) {
    if (type == &other || type->name_ == other.name_) return true;
  }
  return false;
}

Model::Model() : data_(std::make_unique<Data>()) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Result<Model> Model::r4() {
  const std::span<const std::string_view> chunks = detail::r4_model_chunks();
  std::size_t size = 0;
  for (std::string_view chunk : chunks)
    size += chunk.size();
  std::string text;
  text.reserve(size);
  for (std::string_view chunk : chunks)
    text += chunk;
  return from_json(text);
}

Result<Model> Model::from_json(std::string_view compiled) {
  Result<JsonDocument> parsed = JsonDocument::parse(compiled);
  if (!parsed) return parsed.problems();
  Model model;
  Data& data = *model.data_;
  data.document = std::move(parsed).value();
  const JsonValue& root = data.document.root();
  const JsonValue* format = root.find("format");
  const JsonValue* types = root.find("types");
  if (format == nullptr || format->number_text() != kFormat) {
    return Outcome::of(Severity::error, IssueType::not_supported,
                       "not a compiled FHIR model of format " + std::string(kFormat), "/format");
  }
  if (types == nullptr || !types->is_array()) {
    return Outcome::of(Severity::error, IssueType::structure, "expected an array of types",
                       "/types");
  }
  Outcome problems;
  const auto fail = [&problems](std::string location, std::string message) {
    problems.error(IssueType::structure, std::move(location), std::move(message));
  };

  // Pass 1: names, kinds and flags, so pass 2 can resolve any type by name.
  const std::span<const JsonValue> items = types->items();
  data.types.resize(items.size());
  std::size_t element_type_count = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!type_shape(items[i])) {
      fail(pointer(i), "expected [name, kind, base, elements, flags?]");
      continue;
    }
    const std::span<const JsonValue> fields = items[i].items();
    TypeInfo& type = data.types[i];
    type.name_ = fields[0].as_string();
    if (!parse_kind(fields[1].as_string(), type.kind_, type.system_)) {
      fail(pointer(i) + "/1", "unknown kind " + std::string(fields[1].as_string()));
    }
    const std::string_view flags = fields.size() > 4 ? fields[4].as_string() : "";
    type.abstract_ = flags.find('a') != std::string_view::npos;
    type.constraint_ = flags.find('p') != std::string_view::npos;
    if (i > 0 && !(data.types[i - 1].name_ < type.name_)) {
      fail(pointer(i), "types not sorted or repeated at " + std::string(type.name_));
    }
    for (const JsonValue& element : fields[3].items()) {
      if (element_shape(element)) element_type_count += element.items()[1].size();
    }
  }
  if (problems.has_errors()) return problems;

  // Pass 2: bases and elements. Element type lists view one vector reserved up front, so
  // the spans stay valid.
  data.element_types.reserve(element_type_count);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::span<const JsonValue> fields = items[i].items();
    TypeInfo& type = data.types[i];
    if (fields[2].is_string()) {
      type.base_ = model.type(fields[2].as_string());
      if (type.base_ == nullptr) {
        fail(pointer(i) + "/2", "unknown base " + std::string(fields[2].as_string()));
      }
    }
    const std::span<const JsonValue> elements = fields[3].items();
    type.elements_.reserve(elements.size());
    for (std::size_t j = 0; j < elements.size(); ++j) {
      const JsonValue& e = elements[j];
      if (!element_shape(e)) {
        fail(pointer(i, j), "expected [name, [types], min, max, flags?]");
        continue;
      }
      const std::span<const JsonValue> f = e.items();
      ElementInfo element;
      element.name = f[0].as_string();
      const std::optional<std::int64_t> min = f[2].as_int64();
      const std::optional<std::uint32_t> max = parse_max(f[3].as_string());
      if (!min || *min < 0 || *min > ElementInfo::kUnbounded || !max) {
        fail(pointer(i, j), "bad cardinality of " + std::string(element.name));
        continue;
      }
      element.min = static_cast<std::uint32_t>(*min);
      element.max = *max;
      element.repeats = *max > 1;
      element.choice = f.size() > 4 && f[4].as_string().find('c') != std::string_view::npos;
      const std::size_t first = data.element_types.size();
      for (const JsonValue& name : f[1].items()) {
        const TypeInfo* element_type = model.type(name.as_string());
        if (element_type == nullptr) {
          fail(pointer(i, j), "unknown type " + std::string(name.as_string()));
        } else if (data.element_types.size() < data.element_types.capacity()) {
          data.element_types.push_back(element_type);
        }
      }
      element.types = std::span<const TypeInfo* const>(data.element_types.data() + first,
                                                       data.element_types.size() - first);
      if (element.types.empty()) fail(pointer(i, j), "no type for " + std::string(element.name));
      if (!type.elements_.empty() && !(type.elements_.back().name < element.name)) {
        fail(pointer(i, j), "elements not sorted or repeated at " + std::string(element.name));
      }
      type.elements_.push_back(element);
    }
  }
  // A cycle would make element() and is_a() loop forever.
  for (const TypeInfo& type : data.types) {
    std::size_t depth = 0;
    for (const TypeInfo* t = type.base_; t != nullptr && depth <= data.types.size(); t = t->base_) {
      ++depth;
    }
    if (depth > data.types.size()) fail("/types", "base cycle through " + std::string(type.name_));
  }
  if (problems.has_errors()) return problems;
  // The flattened look-up tables: own elements first, so they hide inherited ones.
  for (TypeInfo& type : data.types) {
    std::vector<const ElementInfo*> all;
    for (const TypeInfo* t = &type; t != nullptr; t = t->base_) {
      for (const ElementInfo& element : t->elements_) {
        const bool hidden = std::any_of(
            all.begin(), all.end(), [&](const ElementInfo* e) { return e->name == element.name; });
        if (!hidden) all.push_back(&element);
      }
    }
    std::sort(all.begin(), all.end(), [](const ElementInfo* a, const ElementInfo* b) {
      return compare_by_length(a->name, b->name) < 0;
    });
    type.lookup_ = std::move(all);
  }
  if (const JsonValue* invariants = root.find("invariants"); invariants != nullptr) {
    for (const JsonValue& item : invariants->items()) {
      const auto f = item.items();
      if (f.size() != 5 ||
          !std::all_of(f.begin(), f.end(), [](const JsonValue& v) { return v.is_string(); })) {
        return Outcome::of(Severity::error, IssueType::structure,
                           "expected [path, key, severity, expression, human]", "/invariants");
      }
      data.invariants.push_back({f[0].as_string(), f[1].as_string(), f[2].as_string(),
                                 f[3].as_string(), f[4].as_string()});
    }
  }
  if (const JsonValue* bindings = root.find("bindings"); bindings != nullptr) {
    for (const JsonValue& item : bindings->items()) {
      const auto f = item.items();
      if (f.size() != 2 || !f[0].is_string() || !f[1].is_string()) {
        return Outcome::of(Severity::error, IssueType::structure, "expected [path, valueSet]",
                           "/bindings");
      }
      data.bindings.push_back({f[0].as_string(), f[1].as_string()});
    }
  }
  if (const JsonValue* value_sets = root.find("valueSets"); value_sets != nullptr) {
    for (const JsonValue& item : value_sets->items()) {
      const auto f = item.items();
      if (f.size() != 3 || !f[0].is_string() || !f[1].is_bool() || !f[2].is_array() ||
          f[2].size() % 2 != 0) {
        return Outcome::of(Severity::error, IssueType::structure,
                           "expected [url, expandable, [system, code, …]]", "/valueSets");
      }
      ValueSetExpansion expansion{f[0].as_string(), f[1].as_bool(), {}};
      const auto codes = f[2].items();
      for (std::size_t i = 0; i + 1 < codes.size(); i += 2) {
        expansion.codes.emplace_back(codes[i].as_string(), codes[i + 1].as_string());
      }
      data.value_sets.push_back(std::move(expansion));
    }
    std::sort(data.value_sets.begin(), data.value_sets.end(),
              [](const ValueSetExpansion& a, const ValueSetExpansion& b) { return a.url < b.url; });
  }
  return model;
}

std::span<const Binding> Model::bindings() const {
  return data_ ? std::span<const Binding>(data_->bindings) : std::span<const Binding>();
}

const ValueSetExpansion* Model::value_set(std::string_view url) const {
  if (!data_) return nullptr;
  const auto it =
      std::lower_bound(data_->value_sets.begin(), data_->value_sets.end(), url,
                       [](const ValueSetExpansion& a, std::string_view b) { return a.url < b; });
  return it != data_->value_sets.end() && it->url == url ? &*it : nullptr;
}

std::span<const Invariant> Model::invariants() const {
  return data_ ? std::span<const Invariant>(data_->invariants) : std::span<const Invariant>();
}

const TypeInfo* Model::type(std::string_view name) const {
  if (!data_) return nullptr;
  const auto it = std::lower_bound(data_->types.begin(), data_->types.end(), name, by_name);
  return it != data_->types.end() && it->name() == name ? &*it : nullptr;
}

std::size_t Model::type_count() const {
  return data_ ? data_->types.size() : 0;
}

std::span<const TypeInfo> Model::types() const {
  return data_ ? std::span<const TypeInfo>(data_->types) : std::span<const TypeInfo>();
}

}  // namespace adapter::fhir
