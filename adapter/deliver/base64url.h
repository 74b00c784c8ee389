// base64url without padding (RFC 7515 section 2), as JWS uses it (internal).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace adapter::deliver {

std::string base64url_encode(std::span<const unsigned char> bytes);
std::string base64url_encode(std::string_view bytes);
// nullopt for characters outside the base64url alphabet, padding or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace adapter::deliver
