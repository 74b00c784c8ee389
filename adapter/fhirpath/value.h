// The values a FHIRPath expression computes with: System primitives (Boolean, Integer,
// Decimal, String, Date, DateTime, Time, Quantity) and nodes of the input JSON — FHIR
// elements when the model knows their type, plain JSON otherwise.
//
// A Value is a small view: strings and nodes point into the input document or into the
// Evaluator's scratch memory, so a Value is valid until that Evaluator evaluates again.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhirpath/decimal.h"
#include "adapter/fhirpath/quantity.h"
#include "adapter/fhirpath/temporal.h"

namespace adapter::fhirpath {

enum class ValueKind : std::uint8_t {
  boolean,
  integer,
  decimal,
  string,
  temporal,  // Date, DateTime or Time (see Temporal::kind)
  quantity,
  node,  // an element of the input: a JSON object, or a FHIR primitive's JSON value
};

class Value {
 public:
  Value() : kind_(ValueKind::boolean), boolean_(false) {}
  static Value of(bool b) {
    Value v;
    v.boolean_ = b;
    return v;
  }
  static Value of(std::int64_t i) {
    Value v;
    v.kind_ = ValueKind::integer;
    v.integer_ = i;
    return v;
  }
  static Value of(Decimal d) {
    Value v;
    v.kind_ = ValueKind::decimal;
    v.decimal_ = d;
    return v;
  }
  // The text must outlive the value (input document, expression, or evaluator scratch).
  static Value of(std::string_view s) {
    Value v;
    v.kind_ = ValueKind::string;
    v.string_ = s;
    return v;
  }
  static Value of(const Temporal& t) {
    Value v;
    v.kind_ = ValueKind::temporal;
    v.temporal_ = t;
    return v;
  }
  static Value of(const Quantity* q) {
    Value v;
    v.kind_ = ValueKind::quantity;
    v.quantity_ = q;
    return v;
  }
  // `json` may be nullptr for a FHIR primitive that has only an id/extensions (`_name`).
  static Value node(const fhir::JsonValue* json, const fhir::TypeInfo* type,
                    const fhir::JsonValue* extension = nullptr) {
    Value v;
    v.kind_ = ValueKind::node;
    v.json_ = json;
    v.type_ = type;
    v.extension_ = extension;
    return v;
  }

  ValueKind kind() const { return kind_; }
  bool as_bool() const { return boolean_; }
  std::int64_t as_integer() const { return integer_; }
  Decimal as_decimal() const { return decimal_; }
  std::string_view as_string() const { return string_; }
  const Temporal& as_temporal() const { return temporal_; }
  const Quantity& as_quantity() const { return *quantity_; }
  const fhir::JsonValue* json() const { return json_; }  // node only
  const fhir::TypeInfo* type() const { return type_; }   // node only; nullptr = untyped JSON
  const fhir::JsonValue* extension() const { return extension_; }  // node only

  bool is_node() const { return kind_ == ValueKind::node; }
  // A node that is a JSON object (resource, complex type, backbone element).
  bool is_object_node() const { return is_node() && json_ != nullptr && json_->is_object(); }

 private:
  ValueKind kind_;
  const fhir::TypeInfo* type_ = nullptr;
  const fhir::JsonValue* extension_ = nullptr;
  union {
    bool boolean_;
    std::int64_t integer_;
    Decimal decimal_;
    std::string_view string_;
    Temporal temporal_;
    const Quantity* quantity_;
    const fhir::JsonValue* json_;
  };
};

using Collection = std::span<const Value>;

// The type's name as FHIRPath reports it for type tests and the test suite: System types
// "boolean" "integer" "decimal" "string" "date" "dateTime" "time" "Quantity"; FHIR nodes
// their FHIR type name ("code", "HumanName", "Patient"); untyped JSON objects "object".
std::string_view type_name(const Value& v);
bool is_system_type(const Value& v);  // not a FHIR node

// toString() as the specification defines it; nodes that are objects have none (nullopt).
std::optional<std::string> to_string(const Value& v);
// JSON for output: primitives as their JSON values, dates/times as strings, quantities as
// {"value":…,"unit":…}, nodes as their JSON (FHIR primitives: the JSON primitive).
void append_json(const Value& v, std::string& out);
std::string to_json(Collection values);  // a JSON array

}  // namespace adapter::fhirpath
