#include "adapter/deliver/response_headers.h"

#include "adapter/deliver/text.h"

namespace adapter::deliver {

void ResponseHeaderCollector::add_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    headers_.clear();
    return;
  }
  if (line.empty()) return;
  if (line.front() == ' ' || line.front() == '\t') {
    // Obsolete line folding (RFC 9110 5.5): the line continues the previous field value.
    if (!headers_.empty()) {
      std::string& value = headers_.back().second;
      const std::string_view continuation = text::trim(line);
      if (!value.empty() && !continuation.empty()) value.push_back(' ');
      value.append(continuation);
    }
    return;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return;  // not a field line: ignore
  headers_.emplace_back(text::to_lower(line.substr(0, colon)),
                        std::string(text::trim(line.substr(colon + 1))));
}

}  // namespace adapter::deliver
