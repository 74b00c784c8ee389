#include "adapter/cli/support.h"

#include <charconv>
#include <cstdlib>
#include <ostream>

#ifndef ADAPTER_DATA_DIR
#define ADAPTER_DATA_DIR "."
#endif

namespace adapter::cli {

using fhir::IssueType;
using fhir::Outcome;
using fhir::Result;
using fhir::Severity;

Arguments parse_arguments(const std::vector<std::string>& args, std::size_t first,
                          const std::set<std::string_view>& allowed,
                          const std::set<std::string_view>& repeatable) {
  Arguments parsed;
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.positional.insert(parsed.positional.end(), args.begin() + static_cast<long>(i) + 1,
                               args.end());
      break;
    }
    if (arg.size() > 2 && arg.starts_with("--")) {
      const std::size_t equals = arg.find('=');
      const std::string name = arg.substr(2, equals == std::string::npos ? equals : equals - 2);
      if (!allowed.contains(name) && !repeatable.contains(name)) {
        throw UsageError("unknown option --" + name);
      }
      std::string value;
      if (equals != std::string::npos) {
        value = arg.substr(equals + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        throw UsageError("option --" + name + " needs a value");
      }
      if (repeatable.contains(name)) {
        parsed.repeated.emplace_back(name, std::move(value));
      } else if (!parsed.options.emplace(name, value).second) {
        throw UsageError("option --" + name + " given twice");
      }
    } else {
      parsed.positional.push_back(arg);
    }
  }
  return parsed;
}

std::size_t parse_count(const std::string& text, std::string_view option, std::size_t max) {
  std::size_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) {
    throw UsageError("--" + std::string(option) + " takes a whole number from 0 to " +
                     std::to_string(max) + ", not \"" + text + "\"");
  }
  return value;
}

std::string mappings_folder(const Arguments& arguments) {
  if (const std::string* folder = arguments.get("mappings")) return *folder;
  if (const char* from_env = std::getenv("FHIR_ADAPTER_MAPPINGS"); from_env && *from_env) {
    return from_env;
  }
  return std::string(ADAPTER_DATA_DIR) + "/mappings";
}

std::string profiles_folder(const Arguments& arguments) {
  if (const std::string* folder = arguments.get("profiles")) return *folder;
  return mappings_folder(arguments) + "/../profiles";
}

int fail(Streams io, const Outcome& outcome, int code, std::string_view summary) {
  io.out << outcome.to_json() << '\n';
  io.err << "fhir-adapter: " << summary << '\n';
  return code;
}

// --max-bytes and --max-depth, shared by every command that reads documents.
fhir::JsonLimits json_limits(const Arguments& arguments) {
  fhir::JsonLimits limits;
  if (const std::string* bytes = arguments.get("max-bytes")) {
    limits.max_bytes = parse_count(*bytes, "max-bytes", std::size_t{1} << 31U);
  }
  if (const std::string* depth = arguments.get("max-depth")) {
    limits.max_depth = parse_count(*depth, "max-depth", 100000);
  }
  return limits;
}

// Loads the input schemas, the R4 model and the mapping templates; nullopt-free on success.
std::optional<Outcome> load_mapping_context(const Arguments& arguments, MappingContext& context) {
  const std::string folder = mappings_folder(arguments);
  auto format = parse::InputFormat::load(folder + "/input");
  if (!format.ok()) return format.problems();
  context.format = std::move(format).value();
  auto model = fhir::Model::r4();
  if (!model.ok()) return model.problems();
  context.model = std::move(model).value();
  const std::string ig_path = profiles_folder(arguments) + "/ig.json";
  auto ig_text = fhir::read_bounded(ig_path, 1U << 20U);
  if (!ig_text.ok()) return ig_text.problems();
  auto ig = fhir::JsonDocument::parse(ig_text.value());
  if (!ig.ok()) return ig.problems();
  const fhir::JsonValue* canonical = ig->root().find("canonical");
  if (canonical == nullptr || !canonical->is_string()) {
    return Outcome::of(Severity::error, IssueType::required,
                       ig_path + ": no \"canonical\" (the project's canonical base URL)");
  }
  map::LoadOptions options{
      .mappings_dir = folder, .canonical = std::string(canonical->as_string()), .only_kinds = {}};
  if (const std::string* kinds = arguments.get("kinds")) {
    std::string_view rest = *kinds;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      options.only_kinds.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  auto mappings = map::MappingSet::load(options, *context.model);
  if (!mappings.ok()) return mappings.problems();
  context.mappings = std::move(mappings).value();
  return std::nullopt;
}

void print_pretty(Streams io, const std::string& compact) {
  auto parsed = fhir::JsonDocument::parse(compact);
  io.out << (parsed.ok() ? fhir::to_json(parsed->root(), fhir::JsonStyle::pretty) : compact)
         << '\n';
}

}  // namespace adapter::cli
