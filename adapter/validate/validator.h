// Stage "validate": FHIR R4 resources checked against the base specification, answered with
// an OperationOutcome whose issues carry a FHIRPath location (`Patient.identifier[1].system`).
//
//   auto validator = validate::Validator(model);   // immutable, shared by all threads
//   fhir::Outcome outcome = validator.validate(resource_json);
//
// Checked now: resource types, unknown elements, cardinality (min, max, arrays), element
// types, choice types ([x], one value only), primitive formats (the specification's regular
// expressions), `_element` companions, empty elements (ele-1), contained resources and Bundle
// entries (each validated as its own resource), reference formats.
#pragma once

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"

namespace adapter::validate {

class Validator {
 public:
  explicit Validator(const fhir::Model& model) : model_(model) {}

  // Every problem of `resource`; no error-level issue means it conforms.
  fhir::Outcome validate(const fhir::JsonValue& resource) const;

 private:
  const fhir::Model& model_;
};

}  // namespace adapter::validate
