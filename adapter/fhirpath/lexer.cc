#include "adapter/fhirpath/lexer.h"

#include <fmt/format.h>

namespace adapter::fhirpath::detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_identifier_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_identifier_part(char c) {
  return is_identifier_start(c) || is_digit(c);
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  fhir::Result<std::vector<Token>> run() {
    std::vector<Token> tokens;
    while (true) {
      if (!skip_space_and_comments()) return problems();
      Token token;
      token.position = static_cast<std::uint32_t>(at_);
      if (at_ >= text_.size()) {
        tokens.push_back(std::move(token));
        return tokens;
      }
      if (!next(token)) return problems();
      tokens.push_back(std::move(token));
    }
  }

 private:
  fhir::Outcome problems() const {
    return fhir::Outcome::of(fhir::Severity::error, fhir::IssueType::invalid,
                             fmt::format("FHIRPath syntax error at {}: {}",
                                         describe_position(text_, error_at_), error_));
  }
  bool fail(std::size_t at, std::string message) {
    error_at_ = static_cast<std::uint32_t>(at);
    error_ = std::move(message);
    return false;
  }
  char peek(std::size_t ahead = 0) const {
    return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0';
  }

  bool skip_space_and_comments() {
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
        ++at_;
      } else if (c == '/' && peek(1) == '/') {
        while (at_ < text_.size() && text_[at_] != '\n')
          ++at_;
      } else if (c == '/' && peek(1) == '*') {
        const std::size_t end = text_.find("*/", at_ + 2);
        if (end == std::string_view::npos) return fail(at_, "comment /* is not closed");
        at_ = end + 2;
      } else {
        break;
      }
    }
    return true;
  }

  bool next(Token& token) {
    const std::size_t start = at_;
    const char c = text_[at_];
    if (is_identifier_start(c)) {
      while (at_ < text_.size() && is_identifier_part(text_[at_]))
        ++at_;
      token.kind = TokenKind::identifier;
      token.text = text_.substr(start, at_ - start);
      token.value = std::string(token.text);
      return true;
    }
    if (c == '`' || c == '\'') {
      token.kind = c == '`' ? TokenKind::identifier : TokenKind::string;
      token.delimited = c == '`';
      if (!quoted(c, token.value)) return false;
      token.text = text_.substr(start, at_ - start);
      return true;
    }
    if (is_digit(c)) return number(token);
    if (c == '@') return date_time(token);
    if (c == '%') {
      ++at_;
      if (peek() == '`' || peek() == '\'') {
        if (!quoted(peek(), token.value)) return false;
      } else if (is_identifier_start(peek())) {
        const std::size_t name_start = at_;
        while (at_ < text_.size() && is_identifier_part(text_[at_]))
          ++at_;
        token.value = std::string(text_.substr(name_start, at_ - name_start));
      } else {
        return fail(start, "'%' must be followed by a variable name");
      }
      token.kind = TokenKind::variable;
      token.text = text_.substr(start, at_ - start);
      return true;
    }
    if (c == '$') {
      ++at_;
      while (at_ < text_.size() && is_identifier_part(text_[at_]))
        ++at_;
      token.text = text_.substr(start, at_ - start);
      if (token.text != "$this" && token.text != "$index" && token.text != "$total") {
        return fail(start, fmt::format("unknown special variable '{}'", token.text));
      }
      token.kind = TokenKind::special;
      return true;
    }
    static constexpr std::string_view kTwoCharacter[] = {"<=", ">=", "!=", "!~"};
    for (std::string_view symbol : kTwoCharacter) {
      if (text_.substr(at_, 2) == symbol) {
        at_ += 2;
        token.kind = TokenKind::symbol;
        token.text = symbol;
        return true;
      }
    }
    static constexpr std::string_view kSingle = ".,()[]{}+-*/&|<>=~";
    if (kSingle.find(c) != std::string_view::npos) {
      ++at_;
      token.kind = TokenKind::symbol;
      token.text = text_.substr(start, 1);
      return true;
    }
    return fail(start, fmt::format("unexpected character '{}'", c));
  }

  // '…' or `…` with the escapes of the grammar: \' \" \` \\ \/ \f \n \r \t \uXXXX.
  bool quoted(char quote, std::string& out) {
    const std::size_t start = at_;
    ++at_;
    while (true) {
      if (at_ >= text_.size()) {
        return fail(start,
                    quote == '`' ? "identifier `… is not closed" : "string '… is not closed");
      }
      const char c = text_[at_++];
      if (c == quote) return true;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at_ >= text_.size()) return fail(at_ - 1, "escape at the end of the expression");
      const char e = text_[at_++];
      switch (e) {
        case '\'':
        case '"':
        case '`':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          if (at_ + 4 > text_.size()) return fail(at_ - 2, "\\u needs four hex digits");
          std::uint32_t code = 0;
          for (int i = 0; i < 4; ++i) {
            const char h = text_[at_++];
            code <<= 4U;
            if (h >= '0' && h <= '9')
              code |= static_cast<std::uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f')
              code |= static_cast<std::uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
              code |= static_cast<std::uint32_t>(h - 'A' + 10);
            else
              return fail(at_ - 1, "\\u needs four hex digits");
          }
          append_utf8(out, code);
          break;
        }
        default:
          return fail(at_ - 2, fmt::format("unknown escape '\\{}'", e));
      }
    }
  }

  bool number(Token& token) {
    const std::size_t start = at_;
    while (is_digit(peek()))
      ++at_;
    token.kind = TokenKind::integer;
    if (peek() == '.' && is_digit(peek(1))) {
      ++at_;
      while (is_digit(peek()))
        ++at_;
      token.kind = TokenKind::decimal;
    } else if (peek() == 'L') {
      token.text = text_.substr(start, at_ - start);
      ++at_;
      token.kind = TokenKind::long_integer;
      return true;
    }
    token.text = text_.substr(start, at_ - start);
    return true;
  }

  // @YYYY[-MM[-DD]][T[hh[:mm[:ss[.fff]]]][zone]] or @Thh[:mm[:ss[.fff]]]. The text is
  // scanned by shape here and checked for real values by Temporal's parsers.
  bool date_time(Token& token) {
    const std::size_t start = at_;
    ++at_;
    if (peek() == 'T') {
      ++at_;
      if (!scan_time()) return fail(start, "a time literal needs hh[:mm[:ss[.fff]]] after @T");
    } else {
      if (!digits_after(0, 4))
        return fail(start, "a date literal needs a four-digit year after '@'");
      at_ += 4;
      if (peek() == '-' && digits_after(1, 2)) {
        at_ += 3;
        if (peek() == '-' && digits_after(1, 2)) at_ += 3;
      }
      if (peek() == 'T') {
        ++at_;
        if (is_digit(peek())) {
          if (!scan_time()) return fail(start, "malformed time in a date-time literal");
          scan_zone();
        }
      }
    }
    token.kind = TokenKind::date_time;
    token.text = text_.substr(start + 1, at_ - start - 1);
    return true;
  }
  bool digits_after(std::size_t offset, std::size_t count) const {
    for (std::size_t i = 0; i < count; ++i) {
      if (!is_digit(peek(offset + i))) return false;
    }
    return true;
  }
  bool scan_time() {
    if (!digits_after(0, 2)) return false;
    at_ += 2;
    if (peek() == ':' && digits_after(1, 2)) {
      at_ += 3;
      if (peek() == ':' && digits_after(1, 2)) {
        at_ += 3;
        if (peek() == '.' && is_digit(peek(1))) {
          ++at_;
          while (is_digit(peek()))
            ++at_;
        }
      }
    }
    return true;
  }
  void scan_zone() {
    if (peek() == 'Z') {
      ++at_;
    } else if ((peek() == '+' || peek() == '-') && digits_after(1, 2) && peek(3) == ':' &&
               digits_after(4, 2)) {
      at_ += 6;
    }
  }

  std::string_view text_;
  std::size_t at_ = 0;
  std::uint32_t error_at_ = 0;
  std::string error_;
};

}  // namespace

fhir::Result<std::vector<Token>> tokenize(std::string_view text) {
  return Lexer(text).run();
}

std::string describe_position(std::string_view text, std::uint32_t position) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < position && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

}  // namespace adapter::fhirpath::detail
