// Name-based UUIDs (RFC 4122 version 5, SHA-1): the same namespace and name always give the
// same UUID, which makes mapped Bundles deterministic (fullUrl urn:uuid:…).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace adapter::map {

using Uuid = std::array<std::uint8_t, 16>;

// The RFC 4122 namespace for URLs (6ba7b811-9dad-11d1-80b4-00c04fd430c8).
Uuid url_namespace();
std::optional<Uuid> parse_uuid(std::string_view text);  // "xxxxxxxx-xxxx-…" lower or upper
std::string to_string(const Uuid& uuid);                // lower-case, with hyphens
Uuid uuid_v5(const Uuid& name_space, std::string_view name);

}  // namespace adapter::map
