// Test support: an HTTP(S) server inside the test process, answering from a per-test script.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/deliver/http.h"

namespace adapter::deliver::testing {

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query as received
  Headers headers;     // names in lower case
  std::string body;
  std::string peer;  // client address:port, one per TCP connection

  std::string header(std::string_view name) const;  // "" when absent
};

struct ScriptedResponse {
  int status = 200;
  Headers headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // wait this long before answering
  bool gzip = false;                   // send the body gzip-compressed
};

using Script = std::function<ScriptedResponse(const RecordedRequest&)>;

struct ServerTls {
  std::string certificate_file;  // PEM
  std::string key_file;          // PEM, unencrypted
  std::string client_ca_file;    // non-empty: demand a client certificate issued by this
};

struct FakeServerState;

class FakeServer {
 public:
  explicit FakeServer(Script script, std::optional<ServerTls> tls = std::nullopt);
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;
  ~FakeServer();

  std::string url() const;  // "http://127.0.0.1:PORT" (https with TLS), no trailing slash
  std::uint16_t port() const;
  std::vector<RecordedRequest> requests() const;
  std::size_t connections() const;  // distinct client endpoints seen

 private:
  struct Engine;
  std::shared_ptr<FakeServerState> state_;
  std::unique_ptr<Engine> engine_;
  bool tls_ = false;
};

// A port on 127.0.0.1 nobody listens on (bound, then closed again).
std::uint16_t unused_port();

}  // namespace adapter::deliver::testing
