#include "adapter/validate/primitive.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace adapter::validate {
namespace {

using fhir::JsonValue;

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `count` digits at `at`.
bool digits(std::string_view text, std::size_t& at, std::size_t count, int& value) {
  if (at + count > text.size()) return false;
  value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (!digit(text[at + i])) return false;
    value = value * 10 + (text[at + i] - '0');
  }
  at += count;
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// YYYY, YYYY-MM or YYYY-MM-DD; `full` requires the day. Advances `at`.
bool date_part(std::string_view text, std::size_t& at, bool full) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (!digits(text, at, 4, year) || year == 0) return false;
  if (at == text.size() || text[at] != '-') return !full;
  ++at;
  if (!digits(text, at, 2, month) || month < 1 || month > 12) return false;
  if (at == text.size() || text[at] != '-') return !full;
  ++at;
  return digits(text, at, 2, day) && day >= 1 && day <= days_in_month(year, month);
}

// hh:mm:ss(.fff)? Advances `at`.
bool time_part(std::string_view text, std::size_t& at) {
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!digits(text, at, 2, hour) || hour > 23) return false;
  if (at == text.size() || text[at++] != ':') return false;
  if (!digits(text, at, 2, minute) || minute > 59) return false;
  if (at == text.size() || text[at++] != ':') return false;
  if (!digits(text, at, 2, second) || second > 60) return false;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t start = at;
    while (at < text.size() && digit(text[at]))
      ++at;
    if (at == start) return false;
  }
  return true;
}

// Z or +hh:mm / -hh:mm (hours ≤ 14).
bool zone_part(std::string_view text, std::size_t& at) {
  if (at < text.size() && text[at] == 'Z') {
    ++at;
    return true;
  }
  if (at == text.size() || (text[at] != '+' && text[at] != '-')) return false;
  ++at;
  int hours = 0;
  int minutes = 0;
  if (!digits(text, at, 2, hours) || hours > 14) return false;
  if (at == text.size() || text[at++] != ':') return false;
  return digits(text, at, 2, minutes) && minutes <= 59 && (hours < 14 || minutes == 0);
}

bool is_date(std::string_view text) {
  std::size_t at = 0;
  return date_part(text, at, false) && at == text.size();
}

bool is_date_time(std::string_view text) {
  std::size_t at = 0;
  if (!date_part(text, at, false)) return false;
  if (at == text.size()) return true;
  // A time needs a full date before it and a zone after it.
  if (text[at] != 'T' || at != 10) return false;
  ++at;
  return time_part(text, at) && zone_part(text, at) && at == text.size();
}

bool is_instant(std::string_view text) {
  std::size_t at = 0;
  if (!date_part(text, at, true) || at == text.size() || text[at++] != 'T') return false;
  return time_part(text, at) && zone_part(text, at) && at == text.size();
}

bool is_time(std::string_view text) {
  std::size_t at = 0;
  return time_part(text, at) && at == text.size();
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Whether some byte of the eight at `at` is below 0x21, i.e. whitespace or a control
// character (the classic "has a byte less than n" bit trick; bytes from 0x80 never count).
bool has_byte_below_0x21(const char* at) {
  constexpr std::uint64_t kOnes = 0x0101010101010101U;
  std::uint64_t word = 0;
  std::memcpy(&word, at, sizeof word);
  return ((word - kOnes * 0x21U) & ~word & (kOnes * 0x80U)) != 0;
}

// No whitespace at all, eight bytes at a time: most codes and URIs need nothing more.
bool no_whitespace(std::string_view text) {
  std::size_t at = 0;
  for (; at + 8 <= text.size(); at += 8) {
    if (!has_byte_below_0x21(text.data() + at)) continue;
    for (std::size_t i = at; i < at + 8; ++i) {
      if (is_space(text[i])) return false;
    }
  }
  for (; at < text.size(); ++at) {
    if (is_space(text[at])) return false;
  }
  return true;
}

// [^\s]+(\s[^\s]+)*: no leading, trailing or doubled whitespace.
bool is_code(std::string_view text) {
  if (!text.empty() && no_whitespace(text)) return true;
  if (text.empty() || is_space(text.front()) || is_space(text.back())) return false;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (is_space(text[i]) && is_space(text[i - 1])) return false;
  }
  return true;
}

bool is_id(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (const char c : text) {
    if (!(digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool is_oid(std::string_view text) {
  constexpr std::string_view prefix = "urn:oid:";
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  if (text.empty() || text[0] < '0' || text[0] > '2') return false;
  std::size_t at = 1;
  if (at == text.size()) return false;  // needs at least one more arc
  while (at < text.size()) {
    if (text[at++] != '.') return false;
    const std::size_t start = at;
    while (at < text.size() && digit(text[at]))
      ++at;
    if (at == start || (text[start] == '0' && at - start > 1)) return false;
  }
  return true;
}

bool is_uuid(std::string_view text) {
  constexpr std::string_view prefix = "urn:uuid:";
  if (!text.starts_with(prefix) || text.size() != prefix.size() + 36) return false;
  text.remove_prefix(prefix.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!(digit(c) || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

// 1: base64 alphabet (incl. '='), 2: whitespace, 0: anything else.
constexpr std::array<std::uint8_t, 256> kBase64Classes = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 'A'; c <= 'Z'; ++c)
    table[static_cast<std::size_t>(c)] = 1;
  for (int c = 'a'; c <= 'z'; ++c)
    table[static_cast<std::size_t>(c)] = 1;
  for (int c = '0'; c <= '9'; ++c)
    table[static_cast<std::size_t>(c)] = 1;
  for (const char c : {'+', '/', '='})
    table[static_cast<unsigned char>(c)] = 1;
  for (const char c : {' ', '\t', '\r', '\n'})
    table[static_cast<unsigned char>(c)] = 2;
  return table;
}();

bool is_base64(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    const std::uint8_t kind = kBase64Classes[static_cast<unsigned char>(c)];
    if (kind == 0) return false;
    count += kind & 1U;
  }
  return count % 4 == 0;
}

std::string_view name_of(Primitive type) {
  switch (type) {
    case Primitive::string:
      return "string";
    case Primitive::markdown:
      return "markdown";
    default:
      return "value of this type";
  }
}

std::optional<std::string> expect(bool ok, std::string_view type, const JsonValue& value) {
  if (ok) return std::nullopt;
  return fmt::format("{} is not a valid {}", fhir::to_json(value), type);
}

std::optional<std::string> check_integer(std::string_view type, const JsonValue& value,
                                         std::int64_t minimum) {
  if (!value.is_number()) return fmt::format("a {} must be a JSON number", type);
  const auto number = value.as_int64();
  if (!number || value.number_text().find_first_of(".eE") != std::string_view::npos) {
    return fmt::format("{} is not a whole number ({})", value.number_text(), type);
  }
  if (*number < minimum || *number > 2147483647) {
    return fmt::format("{} is outside the range of {} ({} to 2147483647)", *number, type, minimum);
  }
  return std::nullopt;
}

}  // namespace

Primitive primitive_of(std::string_view type) {
  static constexpr std::pair<std::string_view, Primitive> kNames[] = {
      {"boolean", Primitive::boolean},
      {"integer", Primitive::integer},
      {"unsignedInt", Primitive::unsigned_int},
      {"positiveInt", Primitive::positive_int},
      {"decimal", Primitive::decimal},
      {"string", Primitive::string},
      {"markdown", Primitive::markdown},
      {"code", Primitive::code},
      {"id", Primitive::id},
      {"date", Primitive::date},
      {"dateTime", Primitive::date_time},
      {"instant", Primitive::instant},
      {"time", Primitive::time},
      {"uri", Primitive::uri},
      {"url", Primitive::uri},
      {"canonical", Primitive::uri},
      {"oid", Primitive::oid},
      {"uuid", Primitive::uuid},
      {"base64Binary", Primitive::base64},
      {"xhtml", Primitive::xhtml},
  };
  for (const auto& [name, kind] : kNames) {
    if (name == type) return kind;
  }
  return Primitive::unchecked;
}

std::optional<std::string> check_primitive(std::string_view type, const JsonValue& value) {
  return check_primitive(primitive_of(type), value);
}

std::optional<std::string> check_primitive(Primitive type, const JsonValue& value) {
  switch (type) {
    case Primitive::unchecked:
      return std::nullopt;
    case Primitive::boolean:
      return value.is_bool() ? std::nullopt
                             : std::optional<std::string>("a boolean must be JSON true or false");
    case Primitive::integer:
      return check_integer("integer", value, -2147483648LL);
    case Primitive::unsigned_int:
      return check_integer("unsignedInt", value, 0);
    case Primitive::positive_int:
      return check_integer("positiveInt", value, 1);
    case Primitive::decimal:
      return value.is_number() ? std::nullopt
                               : std::optional<std::string>("a decimal must be a JSON number");
    default:
      break;
  }
  if (!value.is_string()) return fmt::format("a {} must be a JSON string", name_of(type));
  const std::string_view text = value.as_string();
  switch (type) {
    case Primitive::string:
    case Primitive::markdown:
      if (text.empty()) {
        return fmt::format("an empty {} is not allowed (use no element)", name_of(type));
      }
      if (text.size() > 1024 * 1024) return fmt::format("a {} is limited to 1 MB", name_of(type));
      return std::nullopt;
    case Primitive::code:
      return expect(is_code(text), "code", value);
    case Primitive::id:
      return expect(is_id(text), "id", value);
    case Primitive::date:
      return expect(is_date(text), "date", value);
    case Primitive::date_time:
      return expect(is_date_time(text), "dateTime", value);
    case Primitive::instant:
      return expect(is_instant(text), "instant", value);
    case Primitive::time:
      return expect(is_time(text), "time", value);
    case Primitive::uri:
      return expect(!text.empty() && no_whitespace(text), "uri", value);
    case Primitive::oid:
      return expect(is_oid(text), "oid", value);
    case Primitive::uuid:
      return expect(is_uuid(text), "uuid", value);
    case Primitive::base64:
      return expect(is_base64(text), "base64Binary", value);
    case Primitive::xhtml: {
      // The namespace is declared on the opening <div ...> tag; the rest is not scanned.
      const std::string_view tag = text.substr(0, text.find('>'));
      return expect(text.starts_with("<div") &&
                        tag.find("http://www.w3.org/1999/xhtml") != std::string_view::npos,
                    "xhtml div (a <div> in the XHTML namespace)", value);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace adapter::validate
