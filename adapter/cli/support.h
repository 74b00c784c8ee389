// Shared by the command implementations (not part of the public CLI header): argument
// parsing, the data folders, and the common ways of answering.
#pragma once

#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapter/cli/commands.h"
#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"
#include "adapter/map/mapping.h"
#include "adapter/parse/input_document.h"

namespace adapter::cli {

class UsageError : public std::exception {
 public:
  explicit UsageError(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// Parsed options of one command: --name VALUE / --name=VALUE and positionals. Options
// named as repeatable may be given several times; they are kept in order in `repeated`.
struct Arguments {
  std::map<std::string, std::string, std::less<>> options;
  std::vector<std::pair<std::string, std::string>> repeated;
  std::vector<std::string> positional;

  const std::string* get(std::string_view name) const {
    auto it = options.find(name);
    return it == options.end() ? nullptr : &it->second;
  }
};

Arguments parse_arguments(const std::vector<std::string>& args, std::size_t first,
                          const std::set<std::string_view>& allowed,
                          const std::set<std::string_view>& repeatable = {});

std::size_t parse_count(const std::string& text, std::string_view option, std::size_t max);

// --mappings, else $FHIR_ADAPTER_MAPPINGS, else the build's own mappings/ folder.
std::string mappings_folder(const Arguments& arguments);
// --profiles, else beside mappings/.
std::string profiles_folder(const Arguments& arguments);

// Prints an outcome that stopped the command and returns its exit code.
int fail(Streams io, const fhir::Outcome& outcome, int code, std::string_view summary);

// --max-bytes and --max-depth, shared by every command that reads documents.
fhir::JsonLimits json_limits(const Arguments& arguments);

struct MappingContext {
  std::optional<parse::InputFormat> format;
  std::optional<fhir::Model> model;
  std::optional<map::MappingSet> mappings;
};

// Loads the input schemas, the R4 model and the mapping templates (--kinds honoured);
// the problems when something cannot be loaded.
std::optional<fhir::Outcome> load_mapping_context(const Arguments& arguments,
                                                  MappingContext& context);

// Compact JSON re-printed with indentation.
void print_pretty(Streams io, const std::string& compact);

}  // namespace adapter::cli
