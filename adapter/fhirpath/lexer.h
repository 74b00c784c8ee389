// Internal to the engine: FHIRPath tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/outcome.h"

namespace adapter::fhirpath::detail {

enum class TokenKind : std::uint8_t {
  end,
  identifier,    // name, or a delimited `name` (value holds it decoded)
  string,        // 'text' (value decoded)
  integer,       // 123
  long_integer,  // 123L
  decimal,       // 1.5
  date_time,     // @2014-01-25, @2014-01-25T10:00, @T10:00 (text without '@')
  variable,      // %name, %`name`, %'name' (value: name)
  special,       // $this, $index, $total (text)
  symbol,        // . , ( ) [ ] { } + - * / & | < > <= >= = ~ != !~
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::string_view text;  // as written
  std::string value;      // decoded (strings, delimited identifiers, variables)
  std::uint32_t position = 0;
  bool delimited = false;  // `identifier`: never a keyword
};

// Splits the expression into tokens, skipping whitespace and comments. A problem is an
// Outcome whose message names the position (line and column) in the expression.
fhir::Result<std::vector<Token>> tokenize(std::string_view text);

// "line 2, column 5" for an offset, used by every message about the expression.
std::string describe_position(std::string_view text, std::uint32_t position);

}  // namespace adapter::fhirpath::detail
