// Stage "validate": FHIR R4 resources checked against the base specification, answered with
// an OperationOutcome whose issues carry a FHIRPath location (`Patient.identifier[1].system`).
//
//   auto validator = validate::Validator(model);   // immutable, shared by all threads
//   fhir::Outcome outcome = validator.validate(resource_json);
//
// Checked now: resource types, unknown elements, cardinality (min, max, arrays), element
// types, choice types ([x], one value only), primitive formats (the specification's regular
// expressions), `_element` companions, empty elements (ele-1), contained resources and Bundle
// entries (each validated as its own resource), reference formats, urn:uuid/urn:oid references
// that must resolve to a fullUrl of the Bundle around them, the FHIRPath invariants of the
// base specification (dom-*, per-1, pat-1, …; warnings stay warnings) and its required
// bindings (value sets expanded at build time; external code systems: information only).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"
#include "adapter/validate/profile.h"

namespace adapter::validate {

class Validator {
 public:
  // Compiles the base specification's FHIRPath invariants of `model` once.
  explicit Validator(const fhir::Model& model);
  // With the project's profiles: every resource is also checked against the profiles its
  // meta.profile names (an unknown profile is information, not an error).
  Validator(const fhir::Model& model, const ProfileSet* profiles);
  Validator(Validator&&) noexcept;
  Validator& operator=(Validator&&) noexcept;
  ~Validator();

  // Every problem of `resource`; no error-level issue means it conforms. Thread-safe.
  fhir::Outcome validate(const fhir::JsonValue& resource) const;
  // Also against `profile` (a StructureDefinition URL of the ProfileSet), for the top resource.
  fhir::Outcome validate(const fhir::JsonValue& resource, std::string_view profile) const;

  // Invariants the FHIRPath engine could not compile ("key: problem"); none expected.
  const std::vector<std::string>& skipped_invariants() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace adapter::validate
