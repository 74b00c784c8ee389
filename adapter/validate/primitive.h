// FHIR R4 primitive formats, checked by hand-written matchers equivalent to the regular
// expressions of the specification (https://hl7.org/fhir/R4/datatypes.html), which are far
// slower as std::regex.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapter/fhir/json.h"

namespace adapter::validate {

// The problem with `value` as FHIR primitive `type` ("date", "positiveInt", …), or nullopt
// when it conforms. Unknown type names are not checked.
std::optional<std::string> check_primitive(std::string_view type, const fhir::JsonValue& value);

}  // namespace adapter::validate
