// FHIR R4 primitive formats, checked by hand-written matchers equivalent to the regular
// expressions of the specification (https://hl7.org/fhir/R4/datatypes.html), which are far
// slower as std::regex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapter/fhir/json.h"

namespace adapter::validate {

enum class Primitive : std::uint8_t {
  unchecked,  // a type name this file does not know
  boolean,
  integer,
  unsigned_int,
  positive_int,
  decimal,
  string,
  markdown,
  code,
  id,
  date,
  date_time,
  instant,
  time,
  uri,
  oid,
  uuid,
  base64,
  xhtml,
};
Primitive primitive_of(std::string_view type);  // "positiveInt" → Primitive::positive_int

// The problem with `value` as that FHIR primitive, or nullopt when it conforms.
std::optional<std::string> check_primitive(Primitive type, const fhir::JsonValue& value);
std::optional<std::string> check_primitive(std::string_view type, const fhir::JsonValue& value);

}  // namespace adapter::validate
