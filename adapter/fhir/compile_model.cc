// fhir-model-compile: compiles the base StructureDefinitions of the FHIR R4 npm package into
// the compact JSON type model that fhir::Model reads (format: see model.h), and a C++ source
// that embeds it, so the library needs no file at run time.
//
//   fhir-model-compile PACKAGE_DIR --json OUT.json --cc OUT.cc
//
// Selected: primitive types, complex types and resources that are specializations or roots
// (Element, Resource), plus the core datatype profiles FHIR names as types of their own
// (SimpleQuantity, MoneyQuantity). Skipped: logical models, resource profiles, extensions.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/outcome.h"

namespace adapter::fhir {
namespace {

constexpr std::string_view kCoreBase = "http://hl7.org/fhir/StructureDefinition/";
// The `structuredefinition-fhir-type` extension on an element's type, or "".
std::string_view declared_fhir_type(const adapter::fhir::JsonValue& type) {
  const adapter::fhir::JsonValue* extensions = type.find("extension");
  if (extensions == nullptr) return {};
  for (const adapter::fhir::JsonValue& extension : extensions->items()) {
    const adapter::fhir::JsonValue* url = extension.find("url");
    if (url == nullptr ||
        url->as_string() !=
            "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type") {
      continue;
    }
    for (std::string_view key : {"valueUrl", "valueUri", "valueString"}) {
      if (const adapter::fhir::JsonValue* value = extension.find(key);
          value && value->is_string()) {
        return value->as_string();
      }
    }
  }
  return {};
}

constexpr std::string_view kSystemCode = "http://hl7.org/fhirpath/System.";
constexpr std::size_t kMaxFileBytes = 64U << 20U;
// FHIRPath's own types are always in the model, so `is(System.Quantity)` resolves even
// though no StructureDefinition names it.
constexpr std::string_view kSystemTypes[] = {"Boolean", "Date",     "DateTime", "Decimal",
                                             "Integer", "Quantity", "String",   "Time"};
// MSVC refuses string literals over 16 KB; staying below keeps the generated source portable.
constexpr std::size_t kChunkBytes = 16000;
constexpr std::string_view kRawDelimiter = "fhirmodel";

struct Element {
  std::vector<std::string> types;
  std::int64_t min = 0;
  std::string max;
  bool choice = false;
};

struct Type {
  std::string kind;  // primitive, complex, resource, backbone, system
  std::string base;  // empty for the roots
  bool abstract = false;
  bool constraint = false;
  std::map<std::string, Element> elements;  // own elements by name: sorted output for free
};

// An element a snapshot lists but an ancestor defines: checked once every type is known.
struct Inherited {
  std::string owner;
  std::string name;
  std::string where;  // file and snapshot path, for the message
};

// A FHIRPath invariant of the base specification on the element (or type) at `path`.
struct Invariant {
  std::string path;  // "Patient", "Patient.contact", "SimpleQuantity"
  std::string key;   // "pat-1"
  std::string severity;
  std::string expression;
  std::string human;
};

// A required terminology binding of the base specification.
struct Binding {
  std::string path;       // "Patient.gender"
  std::string value_set;  // canonical URL without version
};

// A value set the validator can check locally: the codes of its expansion (system, code).
// `expandable` is false when it draws on code systems the package does not hold (UCUM, BCP-13).
struct Expansion {
  bool expandable = true;
  std::set<std::pair<std::string, std::string>> codes;
};

struct Compiled {
  std::map<std::string, Type> types;
  std::vector<Invariant> invariants;
  std::vector<Binding> bindings;
  std::map<std::string, Expansion> value_sets;
  std::vector<Inherited> inherited;
  std::string source;  // "hl7.fhir.r4.examples#4.0.1"
  std::string fhir_version;
};

std::string_view string_member(const JsonValue& object, std::string_view key) {
  const JsonValue* value = object.find(key);
  return value != nullptr ? value->as_string() : std::string_view{};
}

bool is_type_name(std::string_view name) {
  return !name.empty() && std::isalpha(static_cast<unsigned char>(name.front())) != 0 &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

std::string_view kind_of(std::string_view sd_kind) {
  if (sd_kind == "primitive-type") return "primitive";
  if (sd_kind == "complex-type") return "complex";
  if (sd_kind == "resource") return "resource";
  return {};
}

enum class Role : std::uint8_t { skip, type, profile };

Role role_of(const JsonValue& sd) {
  if (string_member(sd, "resourceType") != "StructureDefinition") return Role::skip;
  const std::string_view kind = kind_of(string_member(sd, "kind"));
  if (kind.empty()) return Role::skip;  // logical models
  const std::string_view derivation = string_member(sd, "derivation");
  if (derivation == "specialization" || sd.find("baseDefinition") == nullptr) return Role::type;
  // A core datatype profile with a type's name (SimpleQuantity) counts as a type of its
  // own; profiles of extensions or resources do not.
  const std::string_view name = string_member(sd, "name");
  if (derivation == "constraint" && kind == "complex" && string_member(sd, "type") != "Extension" &&
      is_type_name(name) &&
      string_member(sd, "url") == std::string(kCoreBase) + std::string(name)) {
    return Role::profile;
  }
  return Role::skip;
}

class DefinitionReader {
 public:
  DefinitionReader(const JsonValue& sd, std::string file, Compiled& out, Outcome& problems)
      : sd_(sd), file_(std::move(file)), out_(out), problems_(problems) {}

  void read(Role role) {
    const std::string name(string_member(sd_, role == Role::profile ? "name" : "type"));
    Type type;
    type.kind = kind_of(string_member(sd_, "kind"));
    const JsonValue* abstract = sd_.find("abstract");
    type.abstract = abstract != nullptr && abstract->as_bool();
    type.constraint = role == Role::profile;
    if (role == Role::profile) {
      // Same elements as the constrained type: the cardinality it narrows is the
      // validator's business, not navigation's.
      type.base = string_member(sd_, "type");
    } else if (const JsonValue* base = sd_.find("baseDefinition"); base != nullptr) {
      const std::string_view url = base->as_string();
      if (!url.starts_with(kCoreBase)) {
        fail("/baseDefinition", "base is not a core type: " + std::string(url));
        return;
      }
      type.base = url.substr(kCoreBase.size());
    }
    if (!add_type(name, std::move(type))) return;
    if (role == Role::type) read_elements(name);
    read_invariants(name, role);
    if (role == Role::type) read_bindings();
  }

 private:
  void fail(const std::string& location, const std::string& message) {
    problems_.error(IssueType::structure, location, file_ + ": " + message);
  }

  bool add_type(const std::string& name, Type type) {
    if (!out_.types.emplace(name, std::move(type)).second) {
      fail("", "type defined twice: " + name);
      return false;
    }
    return true;
  }

  // Constraints this definition introduces (those it inherits carry another source). ele-1
  // (an element has a value or children) is the validator's structural check.
  void read_invariants(const std::string& name, Role role) {
    const JsonValue* snapshot = sd_.find("snapshot");
    const JsonValue* elements = snapshot != nullptr ? snapshot->find("element") : nullptr;
    if (elements == nullptr) return;
    const std::string_view url = string_member(sd_, "url");
    for (const JsonValue& e : elements->items()) {
      std::string path(string_member(e, "path"));
      if (role == Role::profile) {
        if (path.find('.') != std::string::npos) continue;  // a profile's root only
        path = name;
      }
      const JsonValue* constraints = e.find("constraint");
      if (constraints == nullptr) continue;
      for (const JsonValue& c : constraints->items()) {
        const std::string_view source = string_member(c, "source");
        const std::string_view key = string_member(c, "key");
        const std::string_view expression = string_member(c, "expression");
        if ((!source.empty() && source != url) || key == "ele-1" || expression.empty()) continue;
        out_.invariants.push_back(
            {path, std::string(key), std::string(string_member(c, "severity")),
             std::string(expression), std::string(string_member(c, "human"))});
      }
    }
  }

  // Required bindings this definition introduces on coded elements (base path = own path).
  void read_bindings() {
    const JsonValue* snapshot = sd_.find("snapshot");
    const JsonValue* elements = snapshot != nullptr ? snapshot->find("element") : nullptr;
    if (elements == nullptr) return;
    for (const JsonValue& e : elements->items()) {
      const JsonValue* binding = e.find("binding");
      if (binding == nullptr || string_member(*binding, "strength") != "required") continue;
      std::string_view value_set = string_member(*binding, "valueSet");
      value_set = value_set.substr(0, value_set.find('|'));
      const std::string_view path = string_member(e, "path");
      const JsonValue* base = e.find("base");
      if (value_set.empty() || base == nullptr || string_member(*base, "path") != path) continue;
      out_.bindings.push_back({std::string(path), std::string(value_set)});
    }
  }

  void read_elements(const std::string& name) {
    const JsonValue* snapshot = sd_.find("snapshot");
    const JsonValue* elements = snapshot != nullptr ? snapshot->find("element") : nullptr;
    if (elements == nullptr || elements->size() == 0) {
      fail("/snapshot", "no snapshot");
      return;
    }
    const std::span<const JsonValue> items = elements->items();
    if (string_member(items[0], "path") != name) {
      fail("/snapshot/element/0/path", "the root element is not " + name);
      return;
    }
    for (std::size_t i = 1; i < items.size(); ++i) {
      const std::string_view next =
          i + 1 < items.size() ? string_member(items[i + 1], "path") : std::string_view{};
      read_element(name, items[i], next, "/snapshot/element/" + std::to_string(i));
    }
  }

  // `next_path` is the following snapshot element's path: children follow their parent,
  // so it tells whether this element is a backbone.
  void read_element(const std::string& root, const JsonValue& e, std::string_view next_path,
                    const std::string& location) {
    const std::string path(string_member(e, "path"));
    const std::size_t dot = path.rfind('.');
    if (dot == std::string::npos) {
      fail(location, "path without a parent: " + path);
      return;
    }
    const std::string parent = path.substr(0, dot);
    std::string name = path.substr(dot + 1);
    const bool choice = name.ends_with("[x]");
    if (choice) name.resize(name.size() - 3);
    if (parent != root && !backbones_.contains(parent)) {
      fail(location, "the parent of " + path + " is not a backbone element");
      return;
    }
    const bool has_children = next_path.starts_with(path + ".");

    const JsonValue* base = e.find("base");
    const std::string_view base_path = base != nullptr ? string_member(*base, "path") : "";
    if (base_path != path) {
      if (has_children) {
        fail(location, "inherited backbone elements are not supported: " + path);
        return;
      }
      // Defined by an ancestor: looked up through the base chain, so its definition
      // there wins (R4's positiveInt.value says System.String, integer.value Integer).
      out_.inherited.push_back({parent, name, file_ + " " + path});
      return;
    }

    Element element;
    element.choice = choice;
    const JsonValue* min = e.find("min");
    element.min = min != nullptr ? min->as_int64().value_or(-1) : -1;
    element.max = string_member(e, "max");
    if (element.min < 0 || element.max.empty()) {
      fail(location, "min or max missing: " + path);
      return;
    }
    if (const std::string_view ref = string_member(e, "contentReference"); !ref.empty()) {
      // "#Questionnaire.item": the same backbone type as the element it names.
      if (!ref.starts_with("#")) {
        fail(location, "contentReference outside this definition: " + std::string(ref));
        return;
      }
      element.types.emplace_back(ref.substr(1));
    } else if (const JsonValue* types = e.find("type"); types != nullptr && types->size() > 0) {
      for (const JsonValue& type : types->items()) {
        const std::string_view code = string_member(type, "code");
        // R4 types Resource.id, Element.id and Extension.url as System.String and names
        // the FHIR type in an extension; FHIRPath sees that FHIR type (contained.id is an
        // `id`). A primitive's own `value` stays a System type.
        const std::string_view fhir_type = declared_fhir_type(type);
        const bool primitive_value = path.ends_with(".value") &&
                                     std::islower(static_cast<unsigned char>(path[0])) &&
                                     path.find('.') == path.rfind('.');
        if (code.starts_with(kSystemCode) && !fhir_type.empty() && !primitive_value) {
          element.types.emplace_back(fhir_type);
        } else if (code.starts_with(kSystemCode)) {
          element.types.push_back("System." + std::string(code.substr(kSystemCode.size())));
        } else {
          element.types.emplace_back(code);
        }
      }
      if (has_children) {
        if (element.types.size() != 1 ||
            (element.types[0] != "BackboneElement" && element.types[0] != "Element")) {
          fail(location, "children under an element that is no backbone: " + path);
          return;
        }
        Type backbone;
        backbone.kind = "backbone";
        backbone.base = element.types[0];
        if (!add_type(path, std::move(backbone))) return;
        backbones_.insert(path);
        element.types = {path};
      }
    } else {
      fail(location, "element without type: " + path);
      return;
    }
    if (!out_.types[parent].elements.emplace(name, std::move(element)).second) {
      fail(location, "element defined twice: " + path);
    }
  }

  const JsonValue& sd_;
  std::string file_;
  Compiled& out_;
  Outcome& problems_;
  std::set<std::string> backbones_;
};

// The whole model must hang together: bases and element types known, no cycles, and every
// element a snapshot lists reachable through the base chain.
void check(const Compiled& model, Outcome& problems) {
  const auto find_element = [&model](std::string type, const std::string& name) {
    for (std::size_t depth = 0; depth < model.types.size() && !type.empty(); ++depth) {
      const auto it = model.types.find(type);
      if (it == model.types.end()) return false;
      if (it->second.elements.contains(name)) return true;
      type = it->second.base;
    }
    return false;
  };
  for (const auto& [name, type] : model.types) {
    std::string base = type.base;
    for (std::size_t depth = 0; !base.empty(); ++depth) {
      const auto it = model.types.find(base);
      if (it == model.types.end() || depth > model.types.size()) {
        problems.error(IssueType::structure, "", name + ": unknown base or a cycle: " + base);
        break;
      }
      base = it->second.base;
    }
    for (const auto& [element_name, element] : type.elements) {
      for (const std::string& t : element.types) {
        if (!model.types.contains(t)) {
          problems.error(IssueType::structure, "",
                         name + "." + element_name + ": unknown type " + t);
        }
      }
    }
  }
  for (const Inherited& e : model.inherited) {
    if (!find_element(e.owner, e.name)) {
      problems.error(IssueType::structure, "", e.where + ": not defined by any base");
    }
  }
}

void add_concepts(const JsonValue& concepts, const std::string& system,
                  std::set<std::pair<std::string, std::string>>& codes) {
  for (const JsonValue& item : concepts.items()) {
    codes.emplace(system, std::string(string_member(item, "code")));
    if (const JsonValue* children = item.find("concept")) add_concepts(*children, system, codes);
  }
}

// The codes of every value set a required binding names, from the package's ValueSets and
// CodeSystems: whole code systems (with nested concepts), listed concepts, excludes. A value
// set that needs filters, imports or code systems outside the package is not expandable.
void expand_value_sets(const std::filesystem::path& package, Compiled& out, Outcome& problems) {
  std::set<std::string> wanted;
  for (const Binding& binding : out.bindings)
    wanted.insert(binding.value_set);
  std::map<std::string, JsonDocument> value_sets;
  std::map<std::string, JsonDocument> code_systems;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(package, error)) {
    const std::string file = entry.path().filename().string();
    const bool is_value_set = file.starts_with("ValueSet-");
    if (!(is_value_set || file.starts_with("CodeSystem-")) || !file.ends_with(".json")) continue;
    Result<std::string> text = read_bounded(entry.path().string(), kMaxFileBytes);
    if (!text) continue;
    Result<JsonDocument> document = JsonDocument::parse(text.value());
    if (!document) continue;
    const std::string url(string_member(document->root(), "url"));
    if (is_value_set && !wanted.contains(url)) continue;
    (is_value_set ? value_sets : code_systems).emplace(url, std::move(document).value());
  }
  auto include_codes = [&](const JsonValue& include, Expansion& expansion,
                           std::set<std::pair<std::string, std::string>>& codes) {
    const std::string system(string_member(include, "system"));
    if (system.empty() || include.find("filter") != nullptr ||
        include.find("valueSet") != nullptr) {
      expansion.expandable = false;
      return;
    }
    if (const JsonValue* concepts = include.find("concept")) {
      for (const JsonValue& item : concepts->items())
        codes.emplace(system, std::string(string_member(item, "code")));
      return;
    }
    const auto cs = code_systems.find(system);
    if (cs == code_systems.end() || string_member(cs->second.root(), "content") != "complete") {
      expansion.expandable = false;
      return;
    }
    if (const JsonValue* concepts = cs->second.root().find("concept")) {
      add_concepts(*concepts, system, codes);
    }
  };
  for (const std::string& url : wanted) {
    Expansion& expansion = out.value_sets[url];
    const auto vs = value_sets.find(url);
    const JsonValue* compose = vs != value_sets.end() ? vs->second.root().find("compose") : nullptr;
    if (compose == nullptr) {
      expansion.expandable = false;
      continue;
    }
    if (const JsonValue* includes = compose->find("include")) {
      for (const JsonValue& include : includes->items())
        include_codes(include, expansion, expansion.codes);
    }
    if (const JsonValue* excludes = compose->find("exclude")) {
      std::set<std::pair<std::string, std::string>> excluded;
      for (const JsonValue& exclude : excludes->items())
        include_codes(exclude, expansion, excluded);
      for (const auto& code : excluded)
        expansion.codes.erase(code);
    }
    if (!expansion.expandable) expansion.codes.clear();
  }
  if (error) problems.error(IssueType::exception, "", package.string() + ": " + error.message());
}

Result<Compiled> compile_package(const std::filesystem::path& package) {
  Compiled out;
  Outcome problems;
  {
    Result<std::string> text = read_bounded((package / "package.json").string(), kMaxFileBytes);
    if (!text) return text.problems();
    Result<JsonDocument> manifest = JsonDocument::parse(text.value());
    if (!manifest) return manifest.problems();
    const JsonValue& root = manifest->root();
    out.source = std::string(string_member(root, "name")) + "#" +
                 std::string(string_member(root, "version"));
    const JsonValue* versions = root.find("fhirVersions");
    if (versions != nullptr && versions->size() > 0) {
      out.fhir_version = versions->items()[0].as_string();
    }
  }

  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(package, error)) {
    const std::string file = entry.path().filename().string();
    if (file.starts_with("StructureDefinition-") && file.ends_with(".json")) {
      files.push_back(entry.path());
    }
  }
  if (error) {
    return Outcome::of(Severity::error, IssueType::exception,
                       package.string() + ": " + error.message());
  }
  std::sort(files.begin(), files.end());  // deterministic messages; output is sorted anyway

  for (const std::filesystem::path& file : files) {
    Result<std::string> text = read_bounded(file.string(), kMaxFileBytes);
    if (!text) return text.problems();
    Result<JsonDocument> document = JsonDocument::parse(text.value());
    if (!document) {
      problems.merge(document.problems());
      continue;
    }
    const Role role = role_of(document->root());
    if (role == Role::skip) continue;
    DefinitionReader(document->root(), file.filename().string(), out, problems).read(role);
  }

  expand_value_sets(package, out, problems);

  Type system;
  system.kind = "system";
  for (std::string_view name : kSystemTypes)
    out.types.try_emplace("System." + std::string(name), system);
  // System types the definitions name beyond FHIRPath's list (none in R4) still get a type.
  std::set<std::string> referenced;
  for (const auto& [name, type] : out.types) {
    for (const auto& [element_name, element] : type.elements) {
      for (const std::string& t : element.types) {
        if (t.starts_with("System.")) referenced.insert(t);
      }
    }
  }
  for (const std::string& t : referenced)
    out.types.try_emplace(t, system);

  check(out, problems);
  if (problems.has_errors()) return problems;
  return out;
}

// The compact JSON model (format documented in model.h).
std::string to_model_json(const Compiled& model) {
  JsonDocument doc;
  const auto str = [&doc](std::string_view text) { return doc.make_string(text); };
  std::vector<JsonValue> types;
  types.reserve(model.types.size());
  for (const auto& [name, type] : model.types) {
    std::vector<JsonValue> elements;
    elements.reserve(type.elements.size());
    for (const auto& [element_name, element] : type.elements) {
      std::vector<JsonValue> element_types;
      element_types.reserve(element.types.size());
      for (const std::string& t : element.types)
        element_types.push_back(str(t));
      std::vector<JsonValue> fields = {str(element_name), doc.make_array(element_types),
                                       doc.make_number(std::to_string(element.min)),
                                       str(element.max)};
      if (element.choice) fields.push_back(str("c"));
      elements.push_back(doc.make_array(fields));
    }
    std::string flags;
    if (type.abstract) flags += 'a';
    if (type.constraint) flags += 'p';
    std::vector<JsonValue> fields = {str(name), str(type.kind),
                                     type.base.empty() ? JsonValue{} : str(type.base),
                                     doc.make_array(elements)};
    if (!flags.empty()) fields.push_back(str(flags));
    types.push_back(doc.make_array(fields));
  }
  std::vector<JsonValue> invariants;
  invariants.reserve(model.invariants.size());
  for (const Invariant& invariant : model.invariants) {
    const std::vector<JsonValue> fields = {str(invariant.path), str(invariant.key),
                                           str(invariant.severity), str(invariant.expression),
                                           str(invariant.human)};
    invariants.push_back(doc.make_array(fields));
  }
  std::vector<JsonValue> bindings;
  for (const Binding& binding : model.bindings) {
    const std::vector<JsonValue> fields = {str(binding.path), str(binding.value_set)};
    bindings.push_back(doc.make_array(fields));
  }
  // [url, expandable, [system, code, system, code, …]]
  std::vector<JsonValue> value_sets;
  for (const auto& [url, expansion] : model.value_sets) {
    std::vector<JsonValue> codes;
    for (const auto& [system, code] : expansion.codes) {
      codes.push_back(str(system));
      codes.push_back(str(code));
    }
    const std::vector<JsonValue> fields = {str(url), JsonValue::boolean(expansion.expandable),
                                           doc.make_array(codes)};
    value_sets.push_back(doc.make_array(fields));
  }
  const std::vector<JsonMember> members = {
      {doc.make_key("format"), doc.make_number("1")},
      {doc.make_key("fhirVersion"), str(model.fhir_version)},
      {doc.make_key("source"), str(model.source)},
      {doc.make_key("types"), doc.make_array(types)},
      {doc.make_key("invariants"), doc.make_array(invariants)},
      {doc.make_key("bindings"), doc.make_array(bindings)},
      {doc.make_key("valueSets"), doc.make_array(value_sets)},
  };
  return to_json(doc.make_object(members)) + "\n";
}

// A C++ source defining adapter::fhir::detail::r4_model_chunks(): the JSON in raw string
// literals of at most kChunkBytes, cut only between UTF-8 sequences.
Result<std::string> to_source(std::string_view json, const std::string& source) {
  const std::string close = ")" + std::string(kRawDelimiter) + "\"";
  if (json.find(close) != std::string_view::npos) {
    return Outcome::of(Severity::error, IssueType::processing,
                       "the model contains the raw string delimiter " + close);
  }
  std::string out = "// Generated by fhir-model-compile from " + source +
                    "; do not edit.\n"
                    "#include <span>\n#include <string_view>\n\n"
                    "namespace adapter::fhir::detail {\n\n"
                    "std::span<const std::string_view> r4_model_chunks();\n\n"
                    "namespace {\n"
                    "constexpr std::string_view kChunks[] = {\n";
  while (!json.empty()) {
    std::size_t size = std::min(json.size(), kChunkBytes);
    while (size > 1 && size < json.size() &&
           (static_cast<unsigned char>(json[size]) & 0xC0U) == 0x80U) {
      --size;
    }
    // The length is given, so the literal's own terminating NUL is not part of the text.
    out += "    std::string_view(R\"" + std::string(kRawDelimiter) + "(";
    out += json.substr(0, size);
    out += close + ", " + std::to_string(size) + "),\n";
    json.remove_prefix(size);
  }
  out +=
      "};\n}  // namespace\n\n"
      "std::span<const std::string_view> r4_model_chunks() { return kChunks; }\n\n"
      "}  // namespace adapter::fhir::detail\n";
  return out;
}

bool write_file(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) {
    std::cerr << "fhir-model-compile: cannot write " << path << "\n";
    return false;
  }
  return true;
}

void print(const Outcome& problems) {
  for (const Issue& issue : problems.issues()) {
    std::cerr << "fhir-model-compile: " << to_code(issue.severity) << ": " << issue.message;
    if (!issue.location.empty()) std::cerr << " (at " << issue.location << ")";
    std::cerr << "\n";
  }
}

int run(std::span<char* const> args) {
  std::string package;
  std::string json_path;
  std::string cc_path;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if ((arg == "--json" || arg == "--cc") && i + 1 < args.size()) {
      (arg == "--json" ? json_path : cc_path) = args[++i];
    } else if (!arg.starts_with("-") && package.empty()) {
      package = arg;
    } else {
      package.clear();
      break;
    }
  }
  if (package.empty() || (json_path.empty() && cc_path.empty())) {
    std::cerr << "usage: fhir-model-compile PACKAGE_DIR [--json OUT.json] [--cc OUT.cc]\n";
    return 2;
  }
  Result<Compiled> model = compile_package(package);
  if (!model) {
    print(model.problems());
    return 1;
  }
  const std::string json = to_model_json(model.value());
  if (!json_path.empty() && !write_file(json_path, json)) return 1;
  if (!cc_path.empty()) {
    Result<std::string> source = to_source(json, model->source);
    if (!source) {
      print(source.problems());
      return 1;
    }
    if (!write_file(cc_path, source.value())) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace adapter::fhir

int main(int argc, char** argv) {
  return adapter::fhir::run(std::span<char* const>(argv, static_cast<std::size_t>(argc)));
}
