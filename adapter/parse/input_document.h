// The adapter's input documents: what a hospital or municipal record system sends. One
// JSON envelope with a `kind` (referral, pathway-event, treatment-plan, crisis-plan,
// individual-plan, epicrisis, consent-directive), checked strictly against the schemas
// in mappings/input/ plus the rules a schema cannot say (docs/input-format.md).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/outcome.h"
#include "adapter/fhir/json_schema.h"

namespace adapter::parse {

struct InputDocument {
  fhir::JsonDocument json;
  std::string kind;
};

// The Norwegian formats the input schemas name (no-person-id, no-org-number, ...).
fhir::FormatRegistry input_formats();

class InputFormat {
 public:
  // Compiles <folder>/*.schema.json: one schema per kind plus common.schema.json.
  static fhir::Result<InputFormat> load(const std::filesystem::path& schema_folder);

  // Every problem of a parsed document, each with its JSON pointer. No problems = valid.
  fhir::Outcome check(const fhir::JsonValue& document) const;
  // Parses and checks in one go; the document only when it has no error.
  fhir::Result<InputDocument> parse(std::string_view text,
                                    const fhir::JsonLimits& limits = {}) const;

  const std::vector<std::string>& kinds() const { return kinds_; }

 private:
  fhir::SchemaSet schemas_;
  std::vector<std::string> kinds_;
};

}  // namespace adapter::parse
