// SHA-256 as lower-case hex, for keys that must not carry what they are computed from (a
// person number in an ordering key) or that identify content (the outbox's duplicate check).
#pragma once

#include <string>
#include <string_view>

namespace adapter::fhir {

std::string sha256_hex(std::string_view text);

}  // namespace adapter::fhir
