// Small text and URL helpers shared by the transport files (internal to adapter/deliver).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace adapter::deliver::text {

std::string to_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
// Drops HTTP optional white space (spaces and tabs) at both ends.
std::string_view trim(std::string_view text);

// CR or LF: what lets a value end a header line or request line early (request splitting).
bool has_line_break(std::string_view text);
// Any ASCII control character, DEL or space: never valid raw in a URL.
bool has_control_or_space(std::string_view text);
// An RFC 9110 token (method and header field names).
bool is_token(std::string_view text);

// Percent-encodes every byte outside RFC 3986 "unreserved": safe as one path segment and as
// an application/x-www-form-urlencoded value.
std::string percent_encode(std::string_view text);

// scheme://host:port of an absolute http(s) URL, normalised (lower case, default port filled
// in) so that two URLs of the same server compare equal.
struct UrlOrigin {
  std::string scheme;
  std::string host;  // IPv6 literals keep their brackets
  std::uint16_t port = 0;

  bool operator==(const UrlOrigin&) const = default;
  std::string to_string() const;
};

// nullopt unless `url` is an absolute http or https URL with a host and no user info (a URL
// with user info can make "https://trusted@other/" look like the trusted server).
std::optional<UrlOrigin> parse_origin(std::string_view url);

// 127.0.0.1, ::1 or localhost.
bool is_loopback(const UrlOrigin& origin);

}  // namespace adapter::deliver::text
