// Collects a response's header block from the lines libcurl hands over (internal).
#pragma once

#include <string_view>

#include "adapter/deliver/http.h"

namespace adapter::deliver {

// curl calls its header callback once per line: the status line, each field line and the
// blank line that ends the block. Every status line starts a new block, so the headers of
// interim answers ("100 Continue", a proxy's CONNECT answer) are dropped and only the final
// answer's headers remain.
class ResponseHeaderCollector {
 public:
  void add_line(std::string_view line);
  const Headers& headers() const { return headers_; }
  Headers take() { return std::move(headers_); }

 private:
  Headers headers_;
};

}  // namespace adapter::deliver
