#include "adapter/validate/code_set.h"

#include <algorithm>

namespace adapter::validate {

CodeSet::CodeSet(const fhir::ValueSetExpansion& expansion) : expandable_(expansion.expandable) {
  for (const auto& [system, code] : expansion.codes)
    add(system, code);
}

void CodeSet::add(std::string_view system, std::string_view code) {
  by_system_[std::string(system)].emplace(code);
  codes_.emplace(code);
}

bool CodeSet::covers_coding(const fhir::JsonValue& coding) const {
  const fhir::JsonValue* code = coding.find("code");
  if (code == nullptr || !code->is_string()) return false;
  const fhir::JsonValue* system = coding.find("system");
  if (system == nullptr || !system->is_string()) {
    return codes_.contains(std::string(code->as_string()));
  }
  const auto in_system = by_system_.find(std::string(system->as_string()));
  return in_system != by_system_.end() &&
         in_system->second.contains(std::string(code->as_string()));
}

bool CodeSet::covers(const fhir::JsonValue& value) const {
  if (value.is_string()) return codes_.contains(std::string(value.as_string()));
  if (!value.is_object()) return false;
  if (const fhir::JsonValue* codings = value.find("coding")) {
    const auto list = codings->is_array() ? codings->items() : std::span<const fhir::JsonValue>{};
    return std::any_of(list.begin(), list.end(),
                       [&](const fhir::JsonValue& coding) { return covers_coding(coding); });
  }
  if (value.find("code") != nullptr) return covers_coding(value);
  return false;  // a CodeableConcept with text only
}

}  // namespace adapter::validate
