// Internal to the map stage: FHIR ConceptMaps loaded for translate()/reverseTranslate().
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/outcome.h"
#include "adapter/fhirpath/expression.h"

namespace adapter::map {

class ConceptMaps {
 public:
  // Adds one ConceptMap resource (R4 JSON); problems name `file`.
  void add(const fhir::JsonValue& concept_map, const std::string& file, fhir::Outcome& problems);
  bool contains(std::string_view id) const { return maps_.find(id) != maps_.end(); }

  // Target codings for a source code; nullopt when the map or the code is unknown. An empty
  // vector means the code is listed as unmatched.
  std::optional<std::vector<const fhir::JsonValue*>> translate(std::string_view map,
                                                               std::string_view code) const;
  // The source code for a target (system may be empty: match on the code alone).
  std::optional<std::string_view> reverse(std::string_view map, std::string_view system,
                                          std::string_view code) const;

  // translate('id') and reverseTranslate('id'); the registry keeps a pointer to this object.
  void register_functions(fhirpath::FunctionRegistry& registry) const;

 private:
  struct Map {
    std::map<std::string, std::vector<const fhir::JsonValue*>, std::less<>> forward;
    std::map<std::string, std::string, std::less<>> reverse;  // "system|code"
    std::map<std::string, std::string, std::less<>> reverse_by_code;
    fhir::JsonDocument codings;  // owns the target Coding objects
  };
  std::map<std::string, std::unique_ptr<Map>, std::less<>> maps_;
};

}  // namespace adapter::map
