// HTTP transport for delivery: one interface, one libcurl implementation.
//
// Expected failures (connection refused, timeout, TLS) are values, never exceptions. The
// client never logs request headers or bodies, so secrets in Authorization headers and
// patient data stay out of logs.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace adapter::deliver {

struct TlsOptions {
  bool verify_peer = true;          // certificate and host name checks; off only by explicit choice
  std::string ca_bundle;            // PEM file of trusted CAs; empty = the system store
  std::string client_certificate;   // PEM file for mutual TLS; empty = none
  std::string client_key;           // PEM private key for client_certificate
  std::string client_key_password;  // secret: never logged
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{30'000};  // whole request, connect included
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  std::string user_agent = "tsb-fhir-adapter";
  TlsOptions tls;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // GET, POST, PUT, DELETE
  std::string url;
  Headers headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names in lower case, in the order received
  std::string body;

  // The first header with this (case-insensitive) name.
  std::optional<std::string_view> header(std::string_view name) const;
};

enum class TransportErrorKind {
  connect,    // refused, unreachable, DNS: nothing reached the server
  timeout,    // the server may or may not have applied the request
  tls,        // handshake or certificate verification failed
  too_large,  // response above max_response_bytes
  // Anything else. Includes a connection the server dropped while or after the request was
  // sent (curl: send/receive error, empty reply): the request may or may not have been
  // applied, as with a timeout.
  other,
};

struct TransportError {
  TransportErrorKind kind = TransportErrorKind::other;
  std::string message;  // for an operator; contains no header values or bodies
};

using HttpResult = std::variant<HttpResponse, TransportError>;

// One client per endpoint and thread: implementations keep connections open between calls.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResult send(const HttpRequest& request) = 0;
};

// libcurl, with connection reuse (one easy handle kept per client), HTTP/1.1, TLS 1.2 or
// newer, verification on unless options.tls.verify_peer is false, no redirects followed, gzip
// accepted. Proxies come from the environment (https_proxy, no_proxy) as usual for libcurl.
std::unique_ptr<HttpClient> make_curl_client(HttpOptions options);

// "Retry-After: 120" or an HTTP-date, as a delay from `now`; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response,
                                                     std::chrono::system_clock::time_point now);

}  // namespace adapter::deliver
