// Profiles: StructureDefinition differentials checked on top of the base validation.
//
// Supported in a differential (what the project's profiles use): min/max narrowing,
// fixed[x] (exact) and pattern[x] (subset) values, bindings to value sets the project can
// expand (its own CodeSystems, or the base specification's expansions), and slices — on any
// repeating element, told apart by the fixed/pattern values of the slice's children, and on
// extension by the extension's profile URL — each with its own cardinality and constraints.
// Anything else in a differential is reported once, at load, as not supported.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"

namespace adapter::validate {

class ProfileSet {
 public:
  // Reads every StructureDefinition, CodeSystem and ValueSet (*.json) in `folder`.
  static fhir::Result<ProfileSet> load(const std::string& folder, const fhir::Model& model);
  // The same from resources already parsed (tests).
  static fhir::Result<ProfileSet> from(const std::vector<const fhir::JsonValue*>& resources,
                                       const fhir::Model& model);

  ProfileSet();
  ProfileSet(ProfileSet&&) noexcept;
  ProfileSet& operator=(ProfileSet&&) noexcept;
  ~ProfileSet();

  bool contains(std::string_view url) const;
  std::size_t size() const;

  // Checks `resource` against the profile `url`; issues are added to `outcome` with their
  // FHIRPath and JSON pointer locations, prefixed by `expression`/`pointer` (where the
  // resource sits, e.g. inside a Bundle). Returns false when the profile is unknown.
  bool check(std::string_view url, const fhir::JsonValue& resource, fhir::Outcome& outcome,
             std::string_view expression = {}, std::string_view pointer = {}) const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace adapter::validate
