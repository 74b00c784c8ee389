// A strict JSON Schema (2020-12 subset) engine for the adapter's own JSON formats: the
// input documents (mappings/input/) and the data files under mappings/.
//
// A schema is the one contract for a format: this engine compiles it once (refusing any
// keyword it does not implement, so a schema never silently means less than it says) and
// checks documents against it, reporting EVERY problem with its JSON pointer. The subset
// and the custom keywords (x-refers-to, x-ordered) are described in docs/input-format.md.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/outcome.h"

namespace adapter::fhir {

// Checks one string against a named `format`: nullopt when fine, else why it is not.
using FormatCheck = std::function<std::optional<std::string>(std::string_view value)>;

// The formats a schema set may name. date and date-time are built in; the caller
// registers the domain's own (Norwegian identifiers and the like).
class FormatRegistry {
 public:
  FormatRegistry();
  void add(std::string name, FormatCheck check);
  const FormatCheck* find(std::string_view name) const;

 private:
  std::map<std::string, FormatCheck, std::less<>> checks_;
};

struct SchemaNode;

// A folder of schema files, compiled and linked (cross-file $ref resolved).
class SchemaSet {
 public:
  SchemaSet();
  SchemaSet(SchemaSet&&) noexcept;
  SchemaSet& operator=(SchemaSet&&) noexcept;
  ~SchemaSet();

  // Loads every *.schema.json in `folder`. Problems name the file and the schema path.
  static Result<SchemaSet> load_folder(const std::filesystem::path& folder,
                                             FormatRegistry formats);
  // Same from in-memory texts: file name -> schema JSON.
  static Result<SchemaSet> from_texts(const std::map<std::string, std::string>& texts,
                                            FormatRegistry formats);

  bool has(std::string_view file_name) const;
  // Checks `document` against the schema in `file_name`; every problem is reported.
  Outcome check(std::string_view file_name, const JsonValue& document) const;

  struct Compiled;  // opaque: defined and used only in schema.cc

 private:
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace adapter::fhir
