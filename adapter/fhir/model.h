// The FHIR R4 type model: which elements each type has and what type each element is.
//
// Compiled at build time from the base StructureDefinitions of the npm package
// hl7.fhir.r4.examples@4.0.1 (adapter/fhir/compile_model.cc) into a compact JSON document that
// is embedded in the library, so a Model never needs a file at run time. FHIRPath uses it
// for typed navigation (choice types, `is`/`as`/`ofType`, primitives); the validator will
// extend the compiled form with cardinality, bindings and invariants.
//
// What the model holds:
// - Types named as FHIR names them ("Patient", "HumanName", "string"); backbone elements as
//   types named by their path ("Patient.contact", base BackboneElement or Element); an
//   element with a contentReference ("#Questionnaire.item") has that backbone type.
// - FHIRPath's system types "System.String", "System.Boolean", "System.Integer",
//   "System.Decimal", "System.Date", "System.DateTime", "System.Time", "System.Quantity"
//   (kind primitive, is_system()): the type of a primitive's `value` (string.value is
//   System.String) and of Element.id, Resource.id and Extension.url, as R4 declares them.
// - Core datatype profiles FHIR treats as types (SimpleQuantity, MoneyQuantity):
//   is_constraint(), base the constrained type, no elements of their own. R4 elements refer
//   to them as type Quantity plus a profile, so element types name Quantity.
// - Own elements are those a type defines; inherited ones are found through base() (a
//   snapshot's restatement of an inherited element is not repeated: positiveInt.value is
//   integer.value, System.Integer, where the R4 snapshot says System.String).
//
// Compiled format (format 1), one JSON object, everything sorted by name:
//   {"format":1, "fhirVersion":"4.0.1", "source":"hl7.fhir.r4.examples#4.0.1",
//    "types":[TYPE...]}
//   TYPE    = [name, kind, base or null, [ELEMENT...], flags?]
//             kind: "primitive" | "complex" | "resource" | "backbone" | "system"
//             flags: "a" abstract, "p" constraint (profile) type
//   ELEMENT = [name without [x], [type name...], min, max ("0", "1", "*", "n"), flags?]
//             flags: "c" choice (declared name[x])
// Trailing optional positions are omitted when empty; later formats may append positions
// (bindings, invariants, fixed values) and readers ignore positions they do not know.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapter/fhir/outcome.h"

namespace adapter::fhir {

enum class TypeKind : std::uint8_t {
  primitive,  // boolean, string, date, … (JSON primitive + optional `_name` object)
  complex,    // data types: HumanName, Quantity, Extension, …
  resource,   // Patient, Bundle, Resource, DomainResource, …
  backbone,   // an inline element with children, named by its path: "Patient.contact"
};

class TypeInfo;

struct ElementInfo {
  std::string_view name;                   // JSON name without [x]: "value", "deceased"
  std::span<const TypeInfo* const> types;  // one unless a choice; choice: JSON name = name + Type
  bool repeats = false;                    // max above 1 ("*"): an array in JSON
  bool choice = false;                     // declared as name[x]
  std::uint32_t min = 0;
  std::uint32_t max = kUnbounded;  // "*" is kUnbounded

  static constexpr std::uint32_t kUnbounded = UINT32_MAX;
};

class TypeInfo {
 public:
  std::string_view name() const { return name_; }  // "Patient", "string", "Patient.contact"
  TypeKind kind() const { return kind_; }
  const TypeInfo* base() const {
    return base_;
  }  // nullptr for the roots: Element, Resource, System.*
  // Own and inherited elements, by JSON name without [x]. nullptr when there is none.
  const ElementInfo* element(std::string_view name) const;
  std::span<const ElementInfo> own_elements() const { return elements_; }
  // True when this type is `other` or derives from it (Patient is DomainResource).
  bool is_a(const TypeInfo& other) const;
  bool is_primitive() const { return kind_ == TypeKind::primitive; }
  bool is_resource() const { return kind_ == TypeKind::resource; }
  bool is_system() const { return system_; }          // System.String, … (FHIRPath types)
  bool is_abstract() const { return abstract_; }      // Resource, DomainResource, Element, …
  bool is_constraint() const { return constraint_; }  // SimpleQuantity, MoneyQuantity

 private:
  friend class Model;
  std::string_view name_;
  TypeKind kind_ = TypeKind::complex;
  const TypeInfo* base_ = nullptr;
  std::vector<ElementInfo> elements_;  // sorted by name for binary search
  // Own and inherited elements ordered by (length, name): element() compares lengths
  // first, so most probes never touch the bytes. Built once when the model loads.
  std::vector<const ElementInfo*> lookup_;
  bool system_ = false;
  bool abstract_ = false;
  bool constraint_ = false;
};

// A FHIRPath invariant of the base specification (ele-1 excepted): it holds for every
// occurrence of the element at `path` ("Patient.contact") or every instance of the type
// ("Period", "Patient").
struct Invariant {
  std::string_view path;
  std::string_view key;       // "pat-1"
  std::string_view severity;  // "error" or "warning"
  std::string_view expression;
  std::string_view human;  // the specification's description
};

// A required terminology binding of the base specification on a coded element.
struct Binding {
  std::string_view path;       // "Patient.gender"
  std::string_view value_set;  // canonical URL, without version
};

// The codes of a value set, expanded at build time from the package's ValueSets and
// CodeSystems; `expandable` is false when it needs code systems the package does not hold.
struct ValueSetExpansion {
  std::string_view url;
  bool expandable = false;
  std::vector<std::pair<std::string_view, std::string_view>> codes;  // (system, code), sorted
};

class Model {
 public:
  Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  // The embedded R4 model (a few milliseconds to load; load once and share: a Model is
  // immutable and safe to use from several threads).
  static Result<Model> r4();
  // A model from compiled JSON text (the format tools/compile_model.cc writes).
  static Result<Model> from_json(std::string_view compiled);

  // Types and elements point into the Model: valid while it lives (moving it keeps them).
  const TypeInfo* type(std::string_view name) const;  // nullptr when unknown
  std::size_t type_count() const;
  std::span<const TypeInfo> types() const;        // all of them, sorted by name
  std::span<const Invariant> invariants() const;  // in definition order
  std::span<const Binding> bindings() const;
  const ValueSetExpansion* value_set(std::string_view url) const;  // nullptr when unknown

 private:
  struct Data;
  std::unique_ptr<Data> data_;
};

}  // namespace adapter::fhir
