#include "adapter/map/mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include "adapter/fhirpath/expression.h"
#include "adapter/map/concept_map.h"
#include "adapter/map/template.h"
#include "adapter/map/uuid.h"
#include "adapter/norway/fhirpath_functions.h"
#include "adapter/norway/identifier.h"

namespace adapter::map {
namespace {

using fhir::IssueType;
using fhir::JsonValue;
using fhirpath::Value;

constexpr std::size_t kMaxMappingFileBytes = 4U << 20U;

std::optional<std::string_view> text_of(const Value& value) {
  if (value.kind() == fhirpath::ValueKind::string) return value.as_string();
  if (value.is_node() && value.json() != nullptr && value.json()->is_string()) {
    return value.json()->as_string();
  }
  return std::nullopt;
}

std::optional<std::string_view> single_variable(const fhirpath::Environment* environment,
                                                std::string_view name) {
  if (environment == nullptr) return std::nullopt;
  const auto* values = environment->find(name);
  if (values == nullptr || values->size() != 1) return std::nullopt;
  return text_of((*values)[0]);
}

fhir::Result<fhir::JsonDocument> read_json(const std::filesystem::path& path) {
  auto text = fhir::read_bounded(path.string(), kMaxMappingFileBytes);
  if (!text) return text.problems();
  auto document = fhir::JsonDocument::parse(*text);
  if (!document) {
    fhir::Outcome problems;
    for (const auto& issue : document.problems().issues()) {
      problems.error(issue.type, issue.location,
                     fmt::format("{}: {}", path.string(), issue.message));
    }
    return problems;
  }
  return std::move(document).value();
}

std::vector<std::filesystem::path> json_files(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

struct MappingSet::State {
  struct Kind {
    std::string name;
    const TemplateNode* forward = nullptr;
    const TemplateNode* reverse = nullptr;
    int match = -1;
  };

  const fhir::Model* model = nullptr;
  std::string canonical;
  Uuid name_space{};
  ConceptMaps concept_maps;
  fhirpath::FunctionRegistry functions;
  std::unique_ptr<TemplateLibrary> library;
  fhir::JsonDocument deadlines;
  std::vector<Kind> kinds;  // manifest order
  std::vector<std::size_t> reverse_order;
  std::vector<std::pair<std::string, int>> forward_variables;
  std::vector<std::pair<std::string, int>> reverse_variables;

  const Kind* find(std::string_view name) const {
    for (const Kind& kind : kinds) {
      if (kind.name == name) return &kind;
    }
    return nullptr;
  }
};

MappingSet::MappingSet(std::unique_ptr<State> state) : state_(std::move(state)) {}
MappingSet::MappingSet(MappingSet&&) noexcept = default;
MappingSet& MappingSet::operator=(MappingSet&&) noexcept = default;
MappingSet::~MappingSet() = default;

std::vector<std::string> MappingSet::kinds() const {
  std::vector<std::string> names;
  for (const auto& kind : state_->kinds)
    names.push_back(kind.name);
  return names;
}

namespace {

void add_mapping_functions(fhirpath::FunctionRegistry& registry, const Uuid& name_space) {
  registry.add(
      "uuid", 0, 0, [name_space](fhirpath::FunctionCall& call) -> std::optional<std::string> {
        for (const Value& item : call.focus) {
          const auto text = text_of(item);
          if (!text) return "uuid() works on strings";
          call.out.push_back(
              Value::of(call.evaluator.keep_string(to_string(uuid_v5(name_space, *text)))));
        }
        return std::nullopt;
      });
  registry.add(
      "urn", 1, 1, [name_space](fhirpath::FunctionCall& call) -> std::optional<std::string> {
        const auto seed = single_variable(call.environment, "urnSeed");
        if (!seed) return "urn() is only available in forward mappings (it needs the documentId)";
        if (call.args[0].size() != 1 || !text_of(call.args[0][0])) {
          return "the argument is a list name, e.g. urn('practitioners')";
        }
        const std::string_view list = *text_of(call.args[0][0]);
        for (const Value& item : call.focus) {
          const auto id = text_of(item);
          if (!id) return "urn() works on local ids (strings)";
          const std::string name = fmt::format("{}|{}|{}", *seed, list, *id);
          call.out.push_back(Value::of(
              call.evaluator.keep_string("urn:uuid:" + to_string(uuid_v5(name_space, name)))));
        }
        return std::nullopt;
      });
  // The no-basis identifier system of a Norwegian person number (FNR, D-, H-number, FHN).
  registry.add("personIdSystem", 0, 0,
               [](fhirpath::FunctionCall& call) -> std::optional<std::string> {
                 for (const Value& item : call.focus) {
                   const auto text = text_of(item);
                   if (!text) return "personIdSystem() works on person numbers (strings)";
                   const norway::IdentifierCheck check = norway::check_person_number(*text);
                   if (!check.valid || check.system.empty()) {
                     return fmt::format("\"{}\" is not a valid Norwegian person number", *text);
                   }
                   call.out.push_back(Value::of(call.evaluator.keep_string(check.system)));
                 }
                 return std::nullopt;
               });
  // The local id a party had in its source document (identifier `%localIdSystem`,
  // "<documentId>~<local id>"); for resources from elsewhere, their own id.
  registry.add("localId", 0, 0, [](fhirpath::FunctionCall& call) -> std::optional<std::string> {
    const auto system = single_variable(call.environment, "localIdSystem");
    if (!system) return "localId() needs the variable %localIdSystem";
    for (const Value& item : call.focus) {
      if (!item.is_object_node()) continue;
      std::optional<std::string_view> local;
      const JsonValue* identifiers = item.json()->find("identifier");
      for (const JsonValue& identifier :
           identifiers != nullptr ? identifiers->items() : std::span<const JsonValue>{}) {
        const JsonValue* id_system = identifier.find("system");
        const JsonValue* value = identifier.find("value");
        if (id_system == nullptr || value == nullptr || !id_system->is_string() ||
            !value->is_string() || id_system->as_string() != *system) {
          continue;
        }
        const std::string_view text = value->as_string();
        const std::size_t hash = text.rfind('~');
        if (hash != std::string_view::npos) local = text.substr(hash + 1);
        break;
      }
      if (!local) {
        const JsonValue* id = item.json()->find("id");
        if (id != nullptr && id->is_string()) local = id->as_string();
      }
      if (local) call.out.push_back(Value::of(*local));
    }
    return std::nullopt;
  });
}

bool read_variables(const JsonValue* object, std::string_view member, bool reverse,
                    TemplateLibrary& library, std::vector<std::pair<std::string, int>>& out,
                    fhir::Outcome& problems) {
  if (object == nullptr) return true;
  if (!object->is_object()) {
    problems.error(
        IssueType::structure, std::string("/") + std::string(member),
        fmt::format("mappings.json /{}: expected an object of name: expression", member));
    return false;
  }
  bool ok = true;
  for (const auto& variable : object->members()) {
    const std::string pointer = fmt::format("/{}/{}", member, fhir::pointer_token(variable.key));
    if (!variable.value.is_string()) {
      problems.error(IssueType::structure, pointer,
                     fmt::format("mappings.json {}: expected an expression (string)", pointer));
      ok = false;
      continue;
    }
    const int index = library.add_expression(variable.value.as_string(), reverse, "mappings.json",
                                             pointer, problems);
    if (index < 0) {
      ok = false;
      continue;
    }
    out.emplace_back(std::string(variable.key), index);
  }
  return ok;
}

}  // namespace

fhir::Result<MappingSet> MappingSet::load(const LoadOptions& options, const fhir::Model& model) {
  namespace fs = std::filesystem;
  auto state = std::make_unique<State>();
  state->model = &model;
  state->canonical = options.canonical;
  state->name_space = uuid_v5(url_namespace(), options.canonical);
  fhir::Outcome problems;
  const fs::path root(options.mappings_dir);

  auto manifest = read_json(root / "mappings.json");
  if (!manifest) return manifest.problems();
  auto deadlines = read_json(root / "deadlines.json");
  if (!deadlines) return deadlines.problems();
  state->deadlines = std::move(deadlines).value();

  for (const fs::path& file : json_files(root / "conceptmaps")) {
    auto concept_map = read_json(file);
    if (!concept_map) {
      problems.merge(concept_map.problems());
      continue;
    }
    state->concept_maps.add(concept_map->root(),
                            (fs::path("conceptmaps") / file.filename()).string(), problems);
  }

  norway::add_calendar_functions(state->functions);
  state->concept_maps.register_functions(state->functions);
  add_mapping_functions(state->functions, state->name_space);
  const fhirpath::CompileOptions forward{.model = nullptr, .functions = &state->functions};
  const fhirpath::CompileOptions reverse{.model = &model, .functions = &state->functions};
  state->library = std::make_unique<TemplateLibrary>(forward, reverse);
  TemplateLibrary& library = *state->library;

  auto load_template = [&](const fs::path& relative, bool is_reverse,
                           int* match) -> const TemplateNode* {
    auto file = read_json(root / relative);
    if (!file) {
      problems.merge(file.problems());
      return nullptr;
    }
    const JsonValue& json = file->root();
    const JsonValue* body = json.is_object() ? json.find("template") : nullptr;
    if (body == nullptr) {
      problems.error(IssueType::required, "/template",
                     fmt::format("{}: no \"template\" member", relative.string()));
      return nullptr;
    }
    for (const auto& member : json.members()) {
      if (member.key != "template" && member.key != "description" && member.key != "match" &&
          member.key != "$comment") {
        problems.error(
            IssueType::structure, "/" + fhir::pointer_token(member.key),
            fmt::format("{}: unknown member \"{}\" (allowed: description, match, template)",
                        relative.string(), member.key));
      }
    }
    const JsonValue* match_text = json.find("match");
    if (match != nullptr) {
      if (match_text == nullptr || !match_text->is_string()) {
        problems.error(IssueType::required, "/match",
                       fmt::format("{}: a reverse mapping needs \"match\" (a FHIRPath boolean over "
                                   "the Bundle)",
                                   relative.string()));
      } else {
        *match = library.add_expression(match_text->as_string(), true, relative.string(), "/match",
                                        problems);
      }
    }
    return library.add(relative.string(), *body, is_reverse, problems);
  };

  for (const fs::path& file : json_files(root / "templates" / "fragments")) {
    const fs::path relative = fs::path("templates") / "fragments" / file.filename();
    // A fragment may be used from either direction; it is compiled for the direction its name
    // says (reverse-*) so that reverse fragments navigate typed FHIR.
    const bool is_reverse = file.stem().string().rfind("reverse-", 0) == 0;
    if (const TemplateNode* node = load_template(relative, is_reverse, nullptr)) {
      library.add_fragment(file.stem().string(), node);
    }
  }

  const JsonValue& manifest_root = manifest->root();
  const JsonValue* kinds = manifest_root.find("kinds");
  if (kinds == nullptr || !kinds->is_object()) {
    problems.error(IssueType::required, "/kinds", "mappings.json: no \"kinds\" object");
    return problems;
  }
  for (const auto& kind : kinds->members()) {
    if (!options.only_kinds.empty() &&
        std::find(options.only_kinds.begin(), options.only_kinds.end(), kind.key) ==
            options.only_kinds.end()) {
      continue;
    }
    State::Kind entry;
    entry.name = std::string(kind.key);
    const JsonValue* forward_file = kind.value.find("forward");
    const JsonValue* reverse_file = kind.value.find("reverse");
    if (forward_file == nullptr || !forward_file->is_string() || reverse_file == nullptr ||
        !reverse_file->is_string()) {
      problems.error(
          IssueType::required, "/kinds/" + fhir::pointer_token(kind.key),
          fmt::format("mappings.json: kind \"{}\" needs \"forward\" and \"reverse\" files",
                      kind.key));
      continue;
    }
    entry.forward = load_template(forward_file->as_string(), false, nullptr);
    entry.reverse = load_template(reverse_file->as_string(), true, &entry.match);
    state->kinds.push_back(std::move(entry));
  }
  if (const JsonValue* order = manifest_root.find("reverseOrder"); order != nullptr) {
    for (const JsonValue& name : order->items()) {
      const auto it =
          std::find_if(state->kinds.begin(), state->kinds.end(),
                       [&](const State::Kind& k) { return k.name == name.as_string(); });
      if (it == state->kinds.end()) {
        if (!options.only_kinds.empty()) continue;
        problems.error(
            IssueType::not_found, "/reverseOrder",
            fmt::format("mappings.json /reverseOrder: unknown kind \"{}\"", name.as_string()));
        continue;
      }
      state->reverse_order.push_back(static_cast<std::size_t>(it - state->kinds.begin()));
    }
  }
  for (std::size_t i = 0; i < state->kinds.size(); ++i) {
    if (std::find(state->reverse_order.begin(), state->reverse_order.end(), i) ==
        state->reverse_order.end()) {
      state->reverse_order.push_back(i);
    }
  }
  read_variables(manifest_root.find("forwardVariables"), "forwardVariables", false, library,
                 state->forward_variables, problems);
  read_variables(manifest_root.find("reverseVariables"), "reverseVariables", true, library,
                 state->reverse_variables, problems);
  library.link(problems);
  if (problems.has_errors()) return problems;
  return MappingSet(std::move(state));
}

// ---------------------------------------------------------------------------------------------

struct Mapper::State {
  explicit State(const MappingSet& mappings)
      : set(mappings.state()), renderer(*set.library, evaluator, environment) {}
  const MappingSet::State& set;
  fhirpath::Evaluator evaluator;
  fhirpath::Environment environment;
  Renderer renderer;
};

Mapper::Mapper(const MappingSet& mappings) : state_(std::make_unique<State>(mappings)) {}
Mapper::~Mapper() = default;

fhir::Result<std::string> Mapper::map(const JsonValue& document) {
  const MappingSet::State& set = state_->set;
  const JsonValue* kind_value = document.find("kind");
  const JsonValue* document_id = document.find("documentId");
  if (kind_value == nullptr || !kind_value->is_string() || document_id == nullptr ||
      !document_id->is_string()) {
    return fhir::Outcome::of(fhir::Severity::error, IssueType::required,
                             "an input document needs \"kind\" and \"documentId\"");
  }
  const auto* kind = set.find(kind_value->as_string());
  if (kind == nullptr || kind->forward == nullptr) {
    return fhir::Outcome::of(fhir::Severity::error, IssueType::not_supported,
                             fmt::format("no mapping for kind \"{}\"", kind_value->as_string()),
                             "/kind");
  }
  fhirpath::Environment& environment = state_->environment;
  environment = {};
  const Value focus = Value::node(&document, nullptr);
  environment.set("doc", {focus});
  environment.set("canonical", {Value::of(std::string_view(set.canonical))});
  environment.set("deadlines", {Value::node(&set.deadlines.root(), nullptr)});
  environment.set("urnSeed", {Value::of(document_id->as_string())});
  Renderer& renderer = state_->renderer;
  renderer.start(focus, document);
  for (const auto& [name, expression] : set.forward_variables) {
    if (!renderer.bind(name, expression)) return renderer.problems();
  }
  std::string out;
  out.reserve(64U << 10U);
  const bool produced = renderer.render(*kind->forward, out);
  if (renderer.problems().has_errors()) return renderer.problems();
  if (!produced) {
    return fhir::Outcome::of(fhir::Severity::error, IssueType::processing,
                             fmt::format("the mapping for \"{}\" produced nothing", kind->name));
  }
  return out;
}

fhir::Result<std::string> Mapper::unmap(const JsonValue& resource) {
  const MappingSet::State& set = state_->set;
  const JsonValue* type = resource.find("resourceType");
  if (type == nullptr || !type->is_string()) {
    return fhir::Outcome::of(fhir::Severity::error, IssueType::structure,
                             "not a FHIR resource (no resourceType)", "/resourceType");
  }
  // A single resource is read as a collection Bundle holding it, so templates see one shape.
  std::optional<fhir::JsonDocument> wrapped;
  const JsonValue* bundle = &resource;
  if (type->as_string() != "Bundle") {
    const JsonValue* id = resource.find("id");
    std::string text = R"({"resourceType":"Bundle","type":"collection","entry":[{)";
    if (id != nullptr && id->is_string()) {
      text += fmt::format(R"("fullUrl":{},)", fhir::to_json(JsonValue::unowned_string(fmt::format(
                                                  "{}/{}", type->as_string(), id->as_string()))));
    }
    text += R"("resource":)" + fhir::to_json(resource) + "}]}";
    auto parsed = fhir::JsonDocument::parse(text);
    if (!parsed) return parsed.problems();
    wrapped = std::move(parsed).value();
    bundle = &wrapped->root();
  }
  fhirpath::Environment& environment = state_->environment;
  environment = {};
  const Value focus = fhirpath::resource_value(*bundle, set.model);
  environment.set("bundle", {focus});
  environment.set("canonical", {Value::of(std::string_view(set.canonical))});
  environment.set("deadlines", {Value::node(&set.deadlines.root(), nullptr)});
  Renderer& renderer = state_->renderer;
  renderer.start(focus, *bundle);
  for (const auto& [name, expression] : set.reverse_variables) {
    if (!renderer.bind(name, expression)) return renderer.problems();
  }
  std::vector<Value> matched;
  std::string tried;
  for (const std::size_t index : set.reverse_order) {
    const auto& kind = set.kinds[index];
    if (kind.reverse == nullptr || kind.match < 0) continue;
    if (!renderer.evaluate(kind.match, matched, nullptr)) return renderer.problems();
    if (matched.size() != 1 || !as_boolean(matched[0]).value_or(false)) {
      tried += tried.empty() ? kind.name : ", " + kind.name;
      continue;
    }
    std::string out;
    const bool produced = renderer.render(*kind.reverse, out);
    if (renderer.problems().has_errors()) return renderer.problems();
    if (!produced) {
      return fhir::Outcome::of(
          fhir::Severity::error, IssueType::processing,
          fmt::format("the reverse mapping for \"{}\" produced nothing", kind.name));
    }
    return out;
  }
  return fhir::Outcome::of(
      fhir::Severity::error, IssueType::not_supported,
      fmt::format("no reverse mapping recognises this {} (tried: {})", type->as_string(), tried));
}

}  // namespace adapter::map
