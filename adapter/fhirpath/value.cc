#include "adapter/fhirpath/value.h"

namespace adapter::fhirpath {

std::string_view type_name(const Value& v) {
  switch (v.kind()) {
    case ValueKind::boolean:
      return "boolean";
    case ValueKind::integer:
      return "integer";
    case ValueKind::decimal:
      return "decimal";
    case ValueKind::string:
      return "string";
    case ValueKind::quantity:
      return "Quantity";
    case ValueKind::temporal:
      switch (v.as_temporal().kind) {
        case TemporalKind::date:
          return "date";
        case TemporalKind::datetime:
          return "dateTime";
        case TemporalKind::time:
          return "time";
      }
      break;
    case ValueKind::node:
      if (v.type() != nullptr) return v.type()->name();
      if (v.json() == nullptr) return "object";
      switch (v.json()->kind()) {
        case fhir::JsonKind::boolean:
          return "boolean";
        case fhir::JsonKind::string:
          return "string";
        case fhir::JsonKind::number:
          return v.json()->number_text().find_first_of(".eE") == std::string_view::npos ? "integer"
                                                                                        : "decimal";
        default:
          return "object";
      }
  }
  return "object";
}

bool is_system_type(const Value& v) {
  return v.kind() != ValueKind::node;
}

std::optional<std::string> to_string(const Value& v) {
  switch (v.kind()) {
    case ValueKind::boolean:
      return std::string(v.as_bool() ? "true" : "false");
    case ValueKind::integer:
      return std::to_string(v.as_integer());
    case ValueKind::decimal:
      return v.as_decimal().to_string();
    case ValueKind::string:
      return std::string(v.as_string());
    case ValueKind::temporal:
      return v.as_temporal().to_string();
    case ValueKind::quantity:
      return v.as_quantity().to_string();
    case ValueKind::node: {
      const fhir::JsonValue* json = v.json();
      if (json == nullptr) return std::nullopt;
      switch (json->kind()) {
        case fhir::JsonKind::boolean:
          return std::string(json->as_bool() ? "true" : "false");
        case fhir::JsonKind::string:
          return std::string(json->as_string());
        case fhir::JsonKind::number:
          return std::string(json->number_text());
        default:
          return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

namespace {

void append_string(std::string_view text, std::string& out) {
  // Reuse the JSON layer's escaping through a string value view.
  fhir::append_json(fhir::JsonValue::unowned_string(text), out);
}

}  // namespace

void append_json(const Value& v, std::string& out) {
  switch (v.kind()) {
    case ValueKind::boolean:
      out += v.as_bool() ? "true" : "false";
      return;
    case ValueKind::integer:
      out += std::to_string(v.as_integer());
      return;
    case ValueKind::decimal:
      out += v.as_decimal().to_string();
      return;
    case ValueKind::string:
      append_string(v.as_string(), out);
      return;
    case ValueKind::temporal:
      append_string(v.as_temporal().to_string(), out);
      return;
    case ValueKind::quantity:
      out += "{\"value\":";
      out += v.as_quantity().value.to_string();
      out += ",\"unit\":";
      append_string(v.as_quantity().unit, out);
      out += '}';
      return;
    case ValueKind::node:
      if (v.json() != nullptr) {
        fhir::append_json(*v.json(), out);
      } else if (v.extension() != nullptr) {
        fhir::append_json(*v.extension(), out);  // a primitive with only id/extensions
      } else {
        out += "null";
      }
      return;
  }
}

std::string to_json(Collection values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    append_json(values[i], out);
  }
  out += ']';
  return out;
}

}  // namespace adapter::fhirpath
