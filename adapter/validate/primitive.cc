#include "adapter/validate/primitive.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>

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

// [^\s]+(\s[^\s]+)*: no leading, trailing or doubled whitespace.
bool is_code(std::string_view text) {
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

bool no_whitespace(std::string_view text) {
  for (const char c : text) {
    if (is_space(c)) return false;
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

bool is_base64(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    if (is_space(c)) continue;
    if (!(digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '+' || c == '/' ||
          c == '=')) {
      return false;
    }
    ++count;
  }
  return count % 4 == 0;
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

std::optional<std::string> check_primitive(std::string_view type, const JsonValue& value) {
  if (type == "boolean") {
    return value.is_bool() ? std::nullopt
                           : std::optional<std::string>("a boolean must be JSON true or false");
  }
  if (type == "integer") return check_integer(type, value, -2147483648LL);
  if (type == "unsignedInt") return check_integer(type, value, 0);
  if (type == "positiveInt") return check_integer(type, value, 1);
  if (type == "decimal") {
    return value.is_number() ? std::nullopt
                             : std::optional<std::string>("a decimal must be a JSON number");
  }
  if (!value.is_string()) return fmt::format("a {} must be a JSON string", type);
  const std::string_view text = value.as_string();
  if (type == "string" || type == "markdown") {
    if (text.empty()) return fmt::format("an empty {} is not allowed (use no element)", type);
    if (text.size() > 1024 * 1024) return fmt::format("a {} is limited to 1 MB", type);
    return std::nullopt;
  }
  if (type == "code") return expect(is_code(text), type, value);
  if (type == "id") return expect(is_id(text), type, value);
  if (type == "date") return expect(is_date(text), type, value);
  if (type == "dateTime") return expect(is_date_time(text), type, value);
  if (type == "instant") return expect(is_instant(text), type, value);
  if (type == "time") return expect(is_time(text), type, value);
  if (type == "uri" || type == "url" || type == "canonical") {
    return expect(!text.empty() && no_whitespace(text), type, value);
  }
  if (type == "oid") return expect(is_oid(text), type, value);
  if (type == "uuid") return expect(is_uuid(text), type, value);
  if (type == "base64Binary") return expect(is_base64(text), type, value);
  if (type == "xhtml") {
    return expect(text.starts_with("<div") &&
                      text.find("http://www.w3.org/1999/xhtml") != std::string_view::npos,
                  "xhtml div (a <div> in the XHTML namespace)", value);
  }
  return std::nullopt;
}

}  // namespace adapter::validate
