// Internal to the validate stage: the codes of one value set, and whether a coded element's
// value (a code, a Coding or a CodeableConcept) draws on it. Shared by the base
// specification's bindings and the profiles' bindings.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"

namespace adapter::validate {

class CodeSet {
 public:
  CodeSet() = default;
  explicit CodeSet(const fhir::ValueSetExpansion& expansion);

  void add(std::string_view system, std::string_view code);
  void mark_not_expandable() { expandable_ = false; }
  bool expandable() const { return expandable_; }

  // A code string matches by code alone; a Coding by system and code (by code when it has no
  // system); a CodeableConcept when one of its codings does.
  bool covers(const fhir::JsonValue& value) const;

 private:
  bool covers_coding(const fhir::JsonValue& coding) const;

  bool expandable_ = true;
  std::unordered_map<std::string, std::unordered_set<std::string>> by_system_;
  std::unordered_set<std::string> codes_;
};

}  // namespace adapter::validate
