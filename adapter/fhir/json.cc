#include "adapter/fhir/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iostream>
#include <vector>

namespace adapter::fhir {

std::string_view to_string(JsonKind kind) {
  switch (kind) {
    case JsonKind::null:
      return "null";
    case JsonKind::boolean:
      return "boolean";
    case JsonKind::number:
      return "number";
    case JsonKind::string:
      return "string";
    case JsonKind::array:
      return "array";
    case JsonKind::object:
      return "object";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------
// JsonValue

std::string_view JsonValue::as_string() const {
  return kind_ == JsonKind::string ? std::string_view(text_, size_) : std::string_view();
}

std::string_view JsonValue::number_text() const {
  return kind_ == JsonKind::number ? std::string_view(text_, size_) : std::string_view();
}

std::optional<std::int64_t> JsonValue::as_int64() const {
  if (kind_ != JsonKind::number) return std::nullopt;
  std::int64_t out = 0;
  const char* end = text_ + size_;
  auto [ptr, ec] = std::from_chars(text_, end, out);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return out;
}

std::optional<double> JsonValue::as_double() const {
  if (kind_ != JsonKind::number) return std::nullopt;
  double out = 0;
  const char* end = text_ + size_;
  auto [ptr, ec] = std::from_chars(text_, end, out);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return out;
}

std::span<const JsonValue> JsonValue::items() const {
  if (kind_ != JsonKind::array) return {};
  return {items_, size_};
}

std::span<const JsonMember> JsonValue::members() const {
  if (kind_ != JsonKind::object) return {};
  return {members_, size_};
}

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const JsonMember& member : members()) {
    if (member.key == key) return &member.value;
  }
  return nullptr;
}

JsonValue JsonValue::boolean(bool value) {
  JsonValue v;
  v.kind_ = JsonKind::boolean;
  v.bool_ = value;
  return v;
}

JsonValue JsonValue::unowned_string(std::string_view text) {
  JsonValue v;
  v.kind_ = JsonKind::string;
  v.text_ = text.data();
  v.size_ = static_cast<std::uint32_t>(text.size());
  return v;
}

JsonValue JsonValue::unowned_number(std::string_view text) {
  JsonValue v = unowned_string(text);
  v.kind_ = JsonKind::number;
  return v;
}

JsonValue JsonValue::unowned_array(std::span<const JsonValue> items) {
  JsonValue v;
  v.kind_ = JsonKind::array;
  v.items_ = items.data();
  v.size_ = static_cast<std::uint32_t>(items.size());
  return v;
}

JsonValue JsonValue::unowned_object(std::span<const JsonMember> members) {
  JsonValue v;
  v.kind_ = JsonKind::object;
  v.members_ = members.data();
  v.size_ = static_cast<std::uint32_t>(members.size());
  return v;
}

bool operator==(const JsonValue& a, const JsonValue& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case JsonKind::null:
      return true;
    case JsonKind::boolean:
      return a.as_bool() == b.as_bool();
    case JsonKind::number:
      return a.number_text() == b.number_text();
    case JsonKind::string:
      return a.as_string() == b.as_string();
    case JsonKind::array:
      return std::ranges::equal(a.items(), b.items());
    case JsonKind::object: {
      if (a.size() != b.size()) return false;
      // Keys are unique in both, so same size + every member found equal is equality.
      return std::ranges::all_of(a.members(), [&b](const JsonMember& member) {
        const JsonValue* other = b.find(member.key);
        return other != nullptr && *other == member.value;
      });
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// JsonDocument

namespace {

constexpr std::size_t kArenaFirstBlock = 4096;
constexpr std::size_t kSimdPadding = 16;
// Deepest nesting parsed by the recursive reader: a few hundred bytes of stack a level.
constexpr std::size_t kMaxRecursiveDepth = 512;

std::unique_ptr<std::pmr::monotonic_buffer_resource> new_arena(std::size_t first_block) {
  return std::make_unique<std::pmr::monotonic_buffer_resource>(first_block);
}

template <class T>
T* arena_copy(std::pmr::monotonic_buffer_resource& arena, std::span<const T> from) {
  if (from.empty()) return nullptr;
  void* memory = arena.allocate(from.size_bytes(), alignof(T));
  std::memcpy(memory, from.data(), from.size_bytes());
  return static_cast<T*>(memory);
}

struct LineColumn {
  std::size_t line = 1;
  std::size_t column = 1;
};

LineColumn line_column(std::string_view text, std::size_t offset) {
  LineColumn at;
  offset = std::min(offset, text.size());
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++at.line;
      at.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) {
      ++at.column;  // count code points, not UTF-8 continuation bytes
    }
  }
  return at;
}

// Builds the tree from RapidJSON's SAX events. Values wait on a stack until their
// container closes, then move into the arena in one block (the approach of RapidJSON's
// own Document, so that every container is one contiguous allocation).
class TreeBuilder {
 public:
  using Ch = char;

  TreeBuilder(std::pmr::monotonic_buffer_resource& arena, std::size_t max_depth)
      : arena_(arena), max_depth_(max_depth) {
    values_.reserve(256);
    frames_.reserve(32);
  }

  bool Null() { return push(JsonValue()); }
  bool Bool(bool b) { return push(JsonValue::boolean(b)); }
  // kParseNumbersAsStringsFlag routes every number here, text untouched.
  bool RawNumber(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    return push(JsonValue::unowned_number({text, length}));
  }
  // Never called under kParseNumbersAsStringsFlag; present because the Reader's template
  // names them. Refusing keeps a flag change from silently losing precision.
  bool Int(int /*unused*/) { return false; }
  bool Uint(unsigned /*unused*/) { return false; }
  bool Int64(std::int64_t /*unused*/) { return false; }
  bool Uint64(std::uint64_t /*unused*/) { return false; }
  bool Double(double /*unused*/) { return false; }
  bool String(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    return push(JsonValue::unowned_string({text, length}));
  }
  bool Key(const char* text, rapidjson::SizeType length, bool copy) {
    return String(text, length, copy);
  }
  bool StartObject() { return open(JsonKind::object); }
  bool StartArray() { return open(JsonKind::array); }

  bool EndObject(rapidjson::SizeType member_count) {
    const std::size_t first = frames_.back().first_value;
    const std::size_t count = member_count;
    members_scratch_.clear();
    members_scratch_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      members_scratch_.push_back(
          JsonMember{values_[first + 2 * i].as_string(), values_[first + 2 * i + 1]});
    }
    if (const JsonMember* duplicate = find_duplicate_key(); duplicate != nullptr) {
      duplicate_key_ = std::string(duplicate->key);
      found_duplicate_ = true;
      return false;
    }
    values_.resize(first);
    frames_.pop_back();
    JsonMember* stored = arena_copy<JsonMember>(arena_, members_scratch_);
    return push(JsonValue::unowned_object({stored, count}));
  }

  bool EndArray(rapidjson::SizeType element_count) {
    const std::size_t first = frames_.back().first_value;
    const std::span<const JsonValue> items(values_.data() + first, element_count);
    const JsonValue* stored = arena_copy<JsonValue>(arena_, items);
    values_.resize(first);
    frames_.pop_back();
    return push(JsonValue::unowned_array({stored, element_count}));
  }

  JsonValue root() const { return values_.empty() ? JsonValue() : values_.front(); }
  bool depth_exceeded() const { return depth_exceeded_; }
  bool found_duplicate() const { return found_duplicate_; }
  const std::string& duplicate_key() const { return duplicate_key_; }

  // The JSON pointer of the place being read, to say where a problem is. With
  // `into_innermost` false it stops at the innermost open container itself.
  std::string current_pointer(bool into_innermost) const {
    std::string pointer;
    for (std::size_t f = 0; f < frames_.size(); ++f) {
      const bool innermost = f + 1 == frames_.size();
      if (innermost && !into_innermost) break;
      const std::size_t end = innermost ? values_.size() : frames_[f + 1].first_value;
      const std::size_t held = end - frames_[f].first_value;
      if (frames_[f].kind == JsonKind::array) {
        pointer += '/';
        pointer += std::to_string(held);
      } else if (held % 2 == 1) {
        // Objects hold key, value, key, value...: an odd count means the last key
        // waits for the value being read.
        pointer += '/';
        pointer += pointer_token(values_[end - 1].as_string());
      }
    }
    return pointer;
  }

 private:
  struct Frame {
    std::size_t first_value;
    JsonKind kind;
  };

  bool push(JsonValue value) {
    values_.push_back(value);
    return true;
  }

  bool open(JsonKind kind) {
    if (frames_.size() >= max_depth_) {
      depth_exceeded_ = true;
      return false;
    }
    frames_.push_back(Frame{values_.size(), kind});
    return true;
  }

  const JsonMember* find_duplicate_key() {
    const std::size_t n = members_scratch_.size();
    if (n < 2) return nullptr;
    if (n <= 16) {  // FHIR objects are small: pairwise is fastest there
      for (std::size_t i = 1; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (members_scratch_[i].key == members_scratch_[j].key) return &members_scratch_[i];
        }
      }
      return nullptr;
    }
    sorted_keys_.clear();
    for (std::size_t i = 0; i < n; ++i)
      sorted_keys_.emplace_back(members_scratch_[i].key, i);
    std::ranges::sort(sorted_keys_);
    for (std::size_t i = 1; i < n; ++i) {
      if (sorted_keys_[i].first == sorted_keys_[i - 1].first) {
        return &members_scratch_[std::max(sorted_keys_[i].second, sorted_keys_[i - 1].second)];
      }
    }
    return nullptr;
  }

  std::pmr::monotonic_buffer_resource& arena_;
  std::size_t max_depth_;
  std::vector<JsonValue> values_;
  std::vector<Frame> frames_;
  std::vector<JsonMember> members_scratch_;
  std::vector<std::pair<std::string_view, std::size_t>> sorted_keys_;
  bool depth_exceeded_ = false;
  bool found_duplicate_ = false;
  std::string duplicate_key_;
};

// The common case read fast: a document of well-formed UTF-8 whose strings have no \u
// escapes and whose numbers have no exponent and at most 15 integer digits. It feeds the
// TreeBuilder the same events, with the same arguments, and leaves the same bytes in the
// buffer as RapidJSON's in-place reader does on such a document (strings decoded where
// they start and NUL-terminated, numbers untouched). On anything else, errors included,
// it gives up: the caller then reads the document with RapidJSON, for the same tree or
// the same error message. It relies on the zeroed padding after the text.
class FastReader {
 public:
  FastReader(char* text, std::size_t size, TreeBuilder& builder)
      : at_(text), end_(text + size), builder_(builder) {}

  bool read() {
    skip_space();
    if (at_ == end_ || !value()) return false;
    skip_space();
    return at_ == end_;
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

  static std::uint64_t load(const char* at) {
    std::uint64_t word = 0;
    std::memcpy(&word, at, sizeof word);
    return word;
  }

  void skip_space() {
    // Indentation comes in runs of spaces: eight at a time.
    constexpr std::uint64_t kSpaces = 0x2020202020202020U;
    while (at_ != end_ && is_space(*at_)) {
      ++at_;
      while (load(at_) == kSpaces)
        at_ += 8;
    }
  }

  bool value() {
    switch (*at_) {
      case '{':
        return object();
      case '[':
        return array();
      case '"': {
        const char* text = nullptr;
        rapidjson::SizeType length = 0;
        return string(text, length) && builder_.String(text, length, false);
      }
      case 't':
        return literal("true") && builder_.Bool(true);
      case 'f':
        return literal("false") && builder_.Bool(false);
      case 'n':
        return literal("null") && builder_.Null();
      default:
        return number();
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - at_) < word.size() ||
        std::string_view(at_, word.size()) != word) {
      return false;
    }
    at_ += word.size();
    return true;
  }

  bool object() {
    ++at_;
    if (!builder_.StartObject()) return false;
    skip_space();
    if (at_ != end_ && *at_ == '}') {
      ++at_;
      return builder_.EndObject(0);
    }
    for (rapidjson::SizeType count = 1;; ++count) {
      const char* key = nullptr;
      rapidjson::SizeType length = 0;
      if (at_ == end_ || *at_ != '"' || !string(key, length) || !builder_.Key(key, length, false)) {
        return false;
      }
      skip_space();
      if (at_ == end_ || *at_ != ':') return false;
      ++at_;
      skip_space();
      if (at_ == end_ || !value()) return false;
      skip_space();
      if (at_ == end_) return false;
      if (*at_ == '}') {
        ++at_;
        return builder_.EndObject(count);
      }
      if (*at_ != ',') return false;
      ++at_;
      skip_space();
    }
  }

  bool array() {
    ++at_;
    if (!builder_.StartArray()) return false;
    skip_space();
    if (at_ != end_ && *at_ == ']') {
      ++at_;
      return builder_.EndArray(0);
    }
    for (rapidjson::SizeType count = 1;; ++count) {
      if (at_ == end_ || !value()) return false;
      skip_space();
      if (at_ == end_) return false;
      if (*at_ == ']') {
        ++at_;
        return builder_.EndArray(count);
      }
      if (*at_ != ',') return false;
      ++at_;
      skip_space();
    }
  }

  // Whether one of the eight bytes at `at` is '"', '\\' or below 0x20 (the classic
  // "has a zero byte" / "has a byte less than n" bit tricks).
  static bool has_special(const char* at) {
    constexpr std::uint64_t kOnes = 0x0101010101010101U;
    constexpr std::uint64_t kHigh = kOnes * 0x80U;
    const std::uint64_t word = load(at);
    const std::uint64_t quote = word ^ (kOnes * '"');
    const std::uint64_t backslash = word ^ (kOnes * '\\');
    return ((((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
             ((word - kOnes * 0x20U) & ~word)) &
            kHigh) != 0;
  }

  // At the opening quote. Decodes in place from the first character, as RapidJSON does.
  bool string(const char*& text, rapidjson::SizeType& length) {
    char* const start = ++at_;
    while (!has_special(at_))
      at_ += 8;
    while (*at_ != '"' && *at_ != '\\' && static_cast<unsigned char>(*at_) >= 0x20)
      ++at_;
    char* out = at_;
    while (at_ < end_) {
      const char c = *at_;
      if (c == '"') {
        *out = '\0';
        ++at_;
        text = start;
        length = static_cast<rapidjson::SizeType>(out - start);
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        *out++ = c;
        ++at_;
        continue;
      }
      switch (at_[1]) {
        case '"':
        case '\\':
        case '/':
          *out++ = at_[1];
          break;
        case 'b':
          *out++ = '\b';
          break;
        case 'f':
          *out++ = '\f';
          break;
        case 'n':
          *out++ = '\n';
          break;
        case 'r':
          *out++ = '\r';
          break;
        case 't':
          *out++ = '\t';
          break;
        default:
          return false;  // \u escapes, and invalid ones
      }
      at_ += 2;
    }
    return false;
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // -?(0|[1-9][0-9]{0,14})(.[0-9]+)?, which RapidJSON reads without a range error.
  bool number() {
    char* const start = at_;
    if (*at_ == '-') ++at_;
    if (at_ == end_ || !digit(*at_)) return false;
    if (*at_ == '0') {
      ++at_;
    } else {
      const char* const first = at_;
      while (at_ != end_ && digit(*at_))
        ++at_;
      if (at_ - first > 15) return false;
    }
    if (at_ != end_ && *at_ == '.') {
      ++at_;
      if (at_ == end_ || !digit(*at_)) return false;
      while (at_ != end_ && digit(*at_))
        ++at_;
    }
    if (at_ != end_ && (*at_ == 'e' || *at_ == 'E')) return false;
    return builder_.RawNumber(start, static_cast<rapidjson::SizeType>(at_ - start), false);
  }

  char* at_;
  char* const end_;
  TreeBuilder& builder_;
};

// Well-formed UTF-8 as RFC 3629 and Unicode's table 3-7 define it (no overlong forms, no
// surrogates, nothing above U+10FFFF): the same bytes RapidJSON's encoding validation
// accepts in strings, so that the FastReader may take strings as they are. ASCII, the
// common case, is checked eight bytes at a time.
bool well_formed_utf8(std::string_view text) {
  const auto* at = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* const end = at + text.size();
  constexpr std::uint64_t kHighBits = 0x8080808080808080U;
  while (at != end) {
    std::uint64_t word = 0;
    while (end - at >= 8 && (std::memcpy(&word, at, 8), (word & kHighBits) == 0)) {
      at += 8;
    }
    if (at == end) break;
    const unsigned char lead = *at;
    if (lead < 0x80) {
      ++at;
      continue;
    }
    // Continuation bytes are 80..BF, except the second byte after E0, ED, F0 and F4.
    std::size_t continuations = 0;
    unsigned char second_low = 0x80;
    unsigned char second_high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuations = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuations = 2;
      if (lead == 0xE0) second_low = 0xA0;
      if (lead == 0xED) second_high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuations = 3;
      if (lead == 0xF0) second_low = 0x90;
      if (lead == 0xF4) second_high = 0x8F;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - at) <= continuations) return false;
    if (at[1] < second_low || at[1] > second_high) return false;
    for (std::size_t i = 2; i <= continuations; ++i) {
      if (at[i] < 0x80 || at[i] > 0xBF) return false;
    }
    at += continuations + 1;
  }
  return true;
}

std::string at_text(std::string_view text, std::size_t offset) {
  const LineColumn at = line_column(text, offset);
  return "line " + std::to_string(at.line) + ", column " + std::to_string(at.column);
}

}  // namespace

JsonDocument::JsonDocument() : arena_(new_arena(256)) {}
JsonDocument::JsonDocument(JsonDocument&&) noexcept = default;
JsonDocument& JsonDocument::operator=(JsonDocument&&) noexcept = default;
JsonDocument::~JsonDocument() = default;

Result<JsonDocument> JsonDocument::parse(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Outcome::of(Severity::error, IssueType::too_costly,
                       "the JSON document is " + std::to_string(text.size()) +
                           " bytes; the limit is " + std::to_string(limits.max_bytes) + " bytes");
  }
  JsonDocument doc;
  // Parse in place: strings are decoded inside our own copy of the text, so the tree
  // points into one buffer instead of allocating per string.
  // The terminator is followed by zeroed padding: RapidJSON's SSE2 whitespace skipping
  // loads aligned 16-byte blocks, which may reach past the terminator.
  doc.buffer_ = std::make_unique_for_overwrite<char[]>(text.size() + 1 + kSimdPadding);
  std::memcpy(doc.buffer_.get(), text.data(), text.size());
  std::memset(doc.buffer_.get() + text.size(), 0, 1 + kSimdPadding);
  doc.arena_ = new_arena(std::max(kArenaFirstBlock, text.size() / 2));

  // The builder refuses to open a container past max_depth, which bounds the recursive
  // reader's stack to max_depth frames. That reader is ~30% faster, so it is used while
  // the bound is small; a larger limit switches to the iterative reader, which keeps its
  // stack on the heap. The FastReader, recursive too, is tried first under the same bound,
  // on text of well-formed UTF-8 (it does not check the encoding of strings itself).
  const bool recursive = limits.max_depth <= kMaxRecursiveDepth;
  if (recursive && well_formed_utf8(text)) {
    bool done = false;
    {
      TreeBuilder builder(*doc.arena_, limits.max_depth);
      if (FastReader(doc.buffer_.get(), text.size(), builder).read()) {
        doc.root_ = builder.root();
        done = true;
      }
    }
    if (done) return doc;
    // RapidJSON reads it from the start: the text again, a fresh arena.
    std::memcpy(doc.buffer_.get(), text.data(), text.size());
    doc.arena_ = new_arena(std::max(kArenaFirstBlock, text.size() / 2));
  }

  TreeBuilder builder(*doc.arena_, limits.max_depth);
  rapidjson::InsituStringStream stream(doc.buffer_.get());
  rapidjson::Reader reader;
  // Validating the encoding also keeps RapidJSON off its SIMD string scan, which lets the
  // control characters 0x1A-0x1F through (it compares with 0x19).
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseValidateEncodingFlag;
  const rapidjson::ParseResult result =
      recursive ? reader.Parse<kFlags>(stream, builder)
                : reader.Parse<kFlags | rapidjson::kParseIterativeFlag>(stream, builder);
  if (result.IsError()) {
    const std::size_t offset = result.Offset();
    std::string message;
    IssueType type = IssueType::structure;
    std::string location;
    if (builder.depth_exceeded()) {
      type = IssueType::too_costly;
      message = "JSON nesting deeper than " + std::to_string(limits.max_depth) + " levels at " +
                at_text(text, offset);
      location = builder.current_pointer(true);
    } else if (builder.found_duplicate()) {
      type = IssueType::duplicate;
      message = "duplicate key \"" + builder.duplicate_key() + "\" in the object ending at " +
                at_text(text, offset);
      location = builder.current_pointer(false) + "/" + pointer_token(builder.duplicate_key());
    } else {
      message = std::string("invalid JSON at ") + at_text(text, offset) + ": " +
                rapidjson::GetParseError_En(result.Code());
      location = builder.current_pointer(true);
    }
    return Outcome::of(Severity::error, type, std::move(message), std::move(location));
  }
  if (stream.Tell() != text.size()) {
    // The in-place reader stops at a NUL byte; anything after one is not JSON we read.
    return Outcome::of(
        Severity::error, IssueType::structure,
        "invalid JSON at " + at_text(text, stream.Tell()) + ": a NUL byte outside a string");
  }
  doc.root_ = builder.root();
  return doc;
}

JsonValue JsonDocument::make_string(std::string_view text) {
  return JsonValue::unowned_string(make_key(text));
}

JsonValue JsonDocument::make_number(std::string_view text) {
  return JsonValue::unowned_number(make_key(text));
}

JsonValue JsonDocument::make_array(std::span<const JsonValue> items) {
  return JsonValue::unowned_array({arena_copy<JsonValue>(*arena_, items), items.size()});
}

JsonValue JsonDocument::make_object(std::span<const JsonMember> members) {
  return JsonValue::unowned_object({arena_copy<JsonMember>(*arena_, members), members.size()});
}

std::string_view JsonDocument::make_key(std::string_view key) {
  if (key.empty()) return {};
  return {arena_copy<char>(*arena_, std::span<const char>(key.data(), key.size())), key.size()};
}

// ---------------------------------------------------------------------------------------
// Writing

namespace {

// A RapidJSON output stream that appends to a std::string. The Writer reserves room
// before each token (PutReserve) and then writes unchecked (PutUnsafe), so the string
// grows geometrically and characters are stored without a capacity check each.
class StringSink {
 public:
  using Ch = char;
  explicit StringSink(std::string& out) : out_(out), size_(out.size()) {}
  StringSink(const StringSink&) = delete;
  StringSink& operator=(const StringSink&) = delete;
  ~StringSink() { out_.resize(size_); }

  // Grows by what is needed only: the string's own capacity doubling keeps this amortised,
  // and a small append to a long output must not zero-fill a copy of the whole output.
  void reserve(std::size_t count) {
    if (size_ + count > out_.size()) out_.resize(size_ + count + 64);
  }
  void put_unchecked(char c) { out_[size_++] = c; }
  void Put(char c) {
    reserve(1);
    put_unchecked(c);
  }
  void Flush() {}

 private:
  std::string& out_;
  std::size_t size_;  // characters written; out_ may be longer while writing
};

// Found by argument-dependent lookup from inside RapidJSON's Writer, ahead of its
// generic templates (which would call Put for every character).
void PutReserve(StringSink& sink, std::size_t count) {
  sink.reserve(count);
}
void PutUnsafe(StringSink& sink, char c) {
  sink.put_unchecked(c);
}

template <class Writer>
void write_value(const JsonValue& value, Writer& writer) {
  switch (value.kind()) {
    case JsonKind::null:
      writer.Null();
      return;
    case JsonKind::boolean:
      writer.Bool(value.as_bool());
      return;
    case JsonKind::number: {
      const std::string_view text = value.number_text();
      writer.RawValue(text.data(), text.size(), rapidjson::kNumberType);
      return;
    }
    case JsonKind::string: {
      const std::string_view text = value.as_string();
      writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
      return;
    }
    case JsonKind::array:
      writer.StartArray();
      for (const JsonValue& item : value.items())
        write_value(item, writer);
      writer.EndArray();
      return;
    case JsonKind::object:
      writer.StartObject();
      for (const JsonMember& member : value.members()) {
        writer.Key(member.key.data(), static_cast<rapidjson::SizeType>(member.key.size()));
        write_value(member.value, writer);
      }
      writer.EndObject();
      return;
  }
}

}  // namespace

void append_json(const JsonValue& value, std::string& out, JsonStyle style) {
  StringSink sink(out);
  if (style == JsonStyle::pretty) {
    rapidjson::PrettyWriter<StringSink> writer(sink);
    writer.SetIndent(' ', 2);
    write_value(value, writer);
  } else {
    rapidjson::Writer<StringSink> writer(sink);
    write_value(value, writer);
  }
}

std::string to_json(const JsonValue& value, JsonStyle style) {
  std::string out;
  append_json(value, out, style);
  return out;
}

// ---------------------------------------------------------------------------------------
// Reading input

Result<std::string> read_bounded(const std::string& path, std::size_t max_bytes) {
  auto too_large = [&](std::size_t size) {
    return Outcome::of(Severity::error, IssueType::too_costly,
                       (path == "-" ? std::string("standard input") : path) + " holds more than " +
                           std::to_string(max_bytes) + " bytes (" +
                           (size > 0 ? std::to_string(size) + " bytes)" : "not read)"));
  };
  std::string content;
  if (path == "-") {
    constexpr std::size_t kChunk = 1U << 16U;
    std::vector<char> chunk(kChunk);
    while (std::cin.read(chunk.data(), kChunk) || std::cin.gcount() > 0) {
      content.append(chunk.data(), static_cast<std::size_t>(std::cin.gcount()));
      if (content.size() > max_bytes) return too_large(0);
    }
    return content;
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Outcome::of(Severity::fatal, IssueType::exception,
                       "cannot read " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) {
    return Outcome::of(Severity::fatal, IssueType::exception, path + " is a directory");
  }
  if (static_cast<std::size_t>(info.st_size) > max_bytes) {
    return too_large(static_cast<std::size_t>(info.st_size));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Outcome::of(Severity::fatal, IssueType::exception,
                       "cannot open " + path + ": " + std::strerror(errno));
  }
  content.resize(static_cast<std::size_t>(info.st_size));
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  // A file that grew while being read is read only up to its size at stat time.
  return content;
}

PrimitiveElement primitive_element(const JsonValue& object, std::string_view name) {
  PrimitiveElement element;
  for (const JsonMember& member : object.members()) {
    if (member.key == name) {
      element.value = &member.value;
    } else if (member.key.size() == name.size() + 1 && member.key.front() == '_' &&
               member.key.substr(1) == name) {
      element.extension = &member.value;
    }
  }
  return element;
}

}  // namespace adapter::fhir
