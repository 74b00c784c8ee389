// The exact FHIR JSON layer: a lossless, bounded JSON reader and writer over RapidJSON.
//
// - Numbers keep the text they were written with ("1.0" stays "1.0", "0.10" stays
//   "0.10"): FHIR requires decimal precision to be preserved, so numbers are never
//   converted on the way through.
// - Object members keep their order; duplicate keys are an error.
// - Size and nesting depth are bounded by JsonLimits; exceeding them is an error value,
//   never a crash (the parser is iterative, so deep input cannot overflow the stack).
// - A JsonDocument owns all memory of its tree (one buffer plus an arena); JsonValue is
//   a small, trivially copyable view into it that is valid while the document lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "adapter/fhir/outcome.h"

namespace adapter::fhir {

enum class JsonKind : std::uint8_t { null, boolean, number, string, array, object };
std::string_view to_string(JsonKind kind);

struct JsonMember;

class JsonValue {
 public:
  JsonValue() = default;  // null

  JsonKind kind() const { return kind_; }
  bool is_null() const { return kind_ == JsonKind::null; }
  bool is_bool() const { return kind_ == JsonKind::boolean; }
  bool is_number() const { return kind_ == JsonKind::number; }
  bool is_string() const { return kind_ == JsonKind::string; }
  bool is_array() const { return kind_ == JsonKind::array; }
  bool is_object() const { return kind_ == JsonKind::object; }

  // Accessors return an empty/false answer for the wrong kind rather than failing:
  // callers that care check kind() first.
  bool as_bool() const { return kind_ == JsonKind::boolean && bool_; }
  // The string's decoded UTF-8 (escapes resolved); empty unless a string.
  std::string_view as_string() const;
  // The number exactly as written in the source; empty unless a number.
  std::string_view number_text() const;
  std::optional<std::int64_t> as_int64() const;  // only for integral text in range
  std::optional<double> as_double() const;

  std::span<const JsonValue> items() const;     // empty unless an array
  std::span<const JsonMember> members() const;  // empty unless an object
  std::size_t size() const { return is_array() || is_object() ? size_ : 0; }
  // Member lookup by key (linear: FHIR objects are small). nullptr when absent.
  const JsonValue* find(std::string_view key) const;

  // Makers for values whose memory is owned elsewhere (JsonDocument::make_*).
  static JsonValue boolean(bool value);
  static JsonValue unowned_string(std::string_view text);
  static JsonValue unowned_number(std::string_view text);
  static JsonValue unowned_array(std::span<const JsonValue> items);
  static JsonValue unowned_object(std::span<const JsonMember> members);

 private:
  union {
    const char* text_ = nullptr;
    const JsonValue* items_;
    const JsonMember* members_;
  };
  std::uint32_t size_ = 0;
  JsonKind kind_ = JsonKind::null;
  bool bool_ = false;
};

struct JsonMember {
  std::string_view key;
  JsonValue value;
};

// JSON value equality: objects compare as unordered sets of members, arrays in order,
// numbers by their exact text (so 1.0 and 1.00 differ, as they do in FHIR).
bool operator==(const JsonValue& a, const JsonValue& b);

struct JsonLimits {
  std::size_t max_bytes = 64U << 20U;  // whole document
  std::size_t max_depth = 128;         // arrays + objects open at once
};

class JsonDocument {
 public:
  JsonDocument();
  JsonDocument(JsonDocument&&) noexcept;
  JsonDocument& operator=(JsonDocument&&) noexcept;
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;
  ~JsonDocument();

  // Parses RFC 8259 JSON (UTF-8, validated). Problems come back as an Outcome whose
  // issue names the line and column and, as its location, the JSON pointer of the
  // value being read.
  static Result<JsonDocument> parse(std::string_view text, const JsonLimits& limits = {});

  const JsonValue& root() const { return root_; }
  void set_root(JsonValue root) { root_ = root; }

  // Building: copies into this document's arena, so the result lives as long as it does.
  JsonValue make_string(std::string_view text);
  JsonValue make_number(std::string_view text);  // caller guarantees valid JSON number text
  JsonValue make_array(std::span<const JsonValue> items);
  JsonValue make_object(std::span<const JsonMember> members);
  std::string_view make_key(std::string_view key);

 private:
  std::unique_ptr<char[]> buffer_;  // the source text, decoded in place
  std::unique_ptr<std::pmr::monotonic_buffer_resource> arena_;
  JsonValue root_;
};

enum class JsonStyle : std::uint8_t { compact, pretty };
std::string to_json(const JsonValue& value, JsonStyle style = JsonStyle::compact);
void append_json(const JsonValue& value, std::string& out, JsonStyle style = JsonStyle::compact);

// Reads a whole file or standard input ("-"), refusing more than `max_bytes` before
// reading it all. I/O problems come back as an Outcome (type exception / too-costly).
Result<std::string> read_bounded(const std::string& path, std::size_t max_bytes);

// A FHIR primitive as it appears in JSON: the value under "name" and its id/extensions
// under "_name" (either may be absent). For repeating primitives both are arrays whose
// positions correspond, with null filling the gaps.
struct PrimitiveElement {
  const JsonValue* value = nullptr;
  const JsonValue* extension = nullptr;
  bool present() const { return value != nullptr || extension != nullptr; }
};
PrimitiveElement primitive_element(const JsonValue& object, std::string_view name);

}  // namespace adapter::fhir
