// Reads one top-level string member of a JSON object without parsing the rest: FHIR JSON
// states resourceType and a Bundle's type first, so a large body is not parsed to learn
// them. Internal to the deliver stage.
#pragma once

#include <string>
#include <string_view>

namespace adapter::deliver {

// The value of the top-level member `key` when it is a string; empty otherwise (absent,
// not a string, or the text is not a JSON object).
std::string peek_top_level_string(std::string_view json, std::string_view key);

}  // namespace adapter::deliver
