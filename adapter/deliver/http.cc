#include "adapter/deliver/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

#include "adapter/deliver/response_headers.h"
#include "adapter/deliver/text.h"

namespace adapter::deliver {

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (text::iequals(field, name)) return std::string_view(value);
  }
  return std::nullopt;
}

namespace {

// curl_global_init must run once before the first handle and is not thread-safe in every
// libcurl build; a function-local static gives exactly-once initialisation. It is never
// undone: clients may live until the process exits.
bool curl_ready() {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}

struct CurlEasyCleanup {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyCleanup>;

struct CurlSlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistFree>;

// What one transfer's callbacks write into.
struct Transfer {
  std::size_t max_body_bytes = 0;
  std::string body;
  ResponseHeaderCollector headers;
  bool body_too_large = false;
  bool out_of_memory = false;
};

// Callbacks run inside libcurl's C code: no exception may escape them.
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (bytes > transfer.max_body_bytes - transfer.body.size()) {
    transfer.body_too_large = true;
    return 0;  // anything but `bytes` makes curl abort with CURLE_WRITE_ERROR
  }
  try {
    transfer.body.append(data, bytes);
  } catch (...) {
    transfer.out_of_memory = true;
    return 0;
  }
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  try {
    transfer.headers.add_line(std::string_view(data, bytes));
  } catch (...) {
    transfer.out_of_memory = true;
    return 0;
  }
  return bytes;
}

TransportErrorKind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return TransportErrorKind::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportErrorKind::timeout;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return TransportErrorKind::tls;
    case CURLE_FILESIZE_EXCEEDED:
      return TransportErrorKind::too_large;
    default:
      return TransportErrorKind::other;
  }
}

TransportError error(TransportErrorKind kind, std::string message) {
  return TransportError{kind, std::move(message)};
}

// Sets curl options, remembering the first failure so the caller checks once.
class OptionSetter {
 public:
  explicit OptionSetter(CURL* handle) : handle_(handle) {}
  template <class Value>
  void operator()(CURLoption option, Value value) {
    if (first_failure_ == CURLE_OK) first_failure_ = curl_easy_setopt(handle_, option, value);
  }
  CURLcode first_failure() const { return first_failure_; }

 private:
  CURL* handle_;
  CURLcode first_failure_ = CURLE_OK;
};

bool has_header(const Headers& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (text::iequals(field, name)) return true;
  }
  return false;
}

class CurlClient final : public HttpClient {
 public:
  explicit CurlClient(HttpOptions options) : options_(std::move(options)) {
    if (curl_ready()) handle_.reset(curl_easy_init());
  }

  HttpResult send(const HttpRequest& request) override {
    if (!handle_) return error(TransportErrorKind::other, "libcurl could not be initialised");
    if (!text::is_token(request.method)) {
      return error(TransportErrorKind::other, "invalid HTTP method");
    }
    if (request.url.empty() || text::has_control_or_space(request.url)) {
      return error(TransportErrorKind::other,
                   "the URL is empty or holds a space or control character");
    }
    CurlSlist header_list;
    for (const auto& [name, value] : request.headers) {
      // A line break in a header would let the value start a header or request of its own.
      if (!text::is_token(name) || text::has_line_break(value) ||
          value.find('\0') != std::string::npos) {
        return error(TransportErrorKind::other,
                     "header \"" + (text::is_token(name) ? name : std::string("?")) +
                         "\" has an invalid name or a line break in its value");
      }
      // "Name;" is curl's way of sending a header with an empty value.
      const std::string line = value.empty() ? name + ";" : name + ": " + value;
      if (!append(header_list, line)) return error(TransportErrorKind::other, "out of memory");
    }
    // curl sends "Expect: 100-continue" before large bodies and then waits for an answer
    // that many servers never give; only ask when the caller does.
    if (!has_header(request.headers, "Expect") && !append(header_list, "Expect:")) {
      return error(TransportErrorKind::other, "out of memory");
    }

    Transfer transfer;
    transfer.max_body_bytes = options_.max_response_bytes;
    // Reset drops the previous request's options but keeps the connection cache, so the
    // next request to the same server reuses the open connection.
    curl_easy_reset(handle_.get());
    error_buffer_[0] = '\0';
    if (const CURLcode code = configure(request, header_list.get(), transfer); code != CURLE_OK) {
      return error(TransportErrorKind::other,
                   std::string("could not configure the request: ") + curl_easy_strerror(code));
    }

    const CURLcode code = curl_easy_perform(handle_.get());
    if (code != CURLE_OK) return failure(code, transfer);

    HttpResponse response;
    curl_easy_getinfo(handle_.get(), CURLINFO_RESPONSE_CODE, &response.status);
    response.headers = transfer.headers.take();
    response.body = std::move(transfer.body);
    return response;
  }

 private:
  static bool append(CurlSlist& list, const std::string& line) {
    curl_slist* extended = curl_slist_append(list.get(), line.c_str());
    if (extended == nullptr) return false;  // the old list is still intact and owned
    static_cast<void>(list.release());      // now part of `extended`
    list.reset(extended);
    return true;
  }

  CURLcode configure(const HttpRequest& request, curl_slist* header_list, Transfer& transfer) {
    CURL* handle = handle_.get();
    OptionSetter set(handle);
    set(CURLOPT_ERRORBUFFER, error_buffer_.data());
    set(CURLOPT_URL, request.url.c_str());
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set(CURLOPT_FOLLOWLOCATION, 0L);  // a redirect is the caller's decision, not ours
    set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    set(CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: clients run on worker threads
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    set(CURLOPT_TCP_KEEPALIVE, 1L);
    set(CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl can decode
    set(CURLOPT_USERAGENT, options_.user_agent.c_str());
    // Refuses early when Content-Length already says too much; on_body catches the rest
    // (chunked or compressed bodies).
    set(CURLOPT_MAXFILESIZE_LARGE,
        static_cast<curl_off_t>(std::min<std::size_t>(
            options_.max_response_bytes,
            static_cast<std::size_t>(std::numeric_limits<curl_off_t>::max()))));
    set(CURLOPT_HTTPHEADER, header_list);
    set(CURLOPT_WRITEFUNCTION, &on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
    set(CURLOPT_HEADERFUNCTION, &on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer));

    const TlsOptions& tls = options_.tls;
    set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    set(CURLOPT_SSL_VERIFYPEER, tls.verify_peer ? 1L : 0L);
    set(CURLOPT_SSL_VERIFYHOST, tls.verify_peer ? 2L : 0L);
    if (!tls.ca_bundle.empty()) set(CURLOPT_CAINFO, tls.ca_bundle.c_str());
    if (!tls.client_certificate.empty()) {
      set(CURLOPT_SSLCERT, tls.client_certificate.c_str());
      set(CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (!tls.client_key.empty()) {
      set(CURLOPT_SSLKEY, tls.client_key.c_str());
      set(CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (!tls.client_key_password.empty()) {
      set(CURLOPT_KEYPASSWD, tls.client_key_password.c_str());
    }

    const std::string& method = request.method;
    if (method == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
    } else if (request.body.empty() && method != "POST" && method != "PUT" && method != "PATCH") {
      set(CURLOPT_HTTPGET, 1L);
      if (method != "GET") set(CURLOPT_CUSTOMREQUEST, method.c_str());
    } else {
      // The body is sent from the caller's buffer, which outlives curl_easy_perform.
      set(CURLOPT_POST, 1L);
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      set(CURLOPT_POSTFIELDS, request.body.data());
      if (method != "POST") set(CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    return set.first_failure();
  }

  TransportError failure(CURLcode code, const Transfer& transfer) const {
    if (transfer.body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
      return error(
          TransportErrorKind::too_large,
          "response body larger than " + std::to_string(options_.max_response_bytes) + " bytes");
    }
    if (transfer.out_of_memory) return error(TransportErrorKind::other, "out of memory");
    // curl's error buffer names host, port and cause; it never holds headers or bodies.
    std::string message = error_buffer_[0] != '\0' ? std::string(error_buffer_.data())
                                                   : std::string(curl_easy_strerror(code));
    message += " (curl error " + std::to_string(static_cast<int>(code)) + ")";
    if (code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING) {
      message +=
          "; the connection broke after the request was sent or while sending it, so the "
          "server may or may not have applied it";
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      message += "; the server may or may not have applied the request";
    }
    return error(kind_of(code), std::move(message));
  }

  HttpOptions options_;
  CurlEasy handle_;
  std::array<char, CURL_ERROR_SIZE> error_buffer_{};
};

// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate, RFC 9110 5.6.7).
std::optional<std::chrono::system_clock::time_point> parse_imf_fixdate(std::string_view date) {
  using namespace std::chrono;
  if (date.size() != 29 || date.substr(3, 2) != ", " || date[7] != ' ' || date[11] != ' ' ||
      date[16] != ' ' || date[19] != ':' || date[22] != ':' || date.substr(25) != " GMT") {
    return std::nullopt;
  }
  constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                     "Fri", "Sat", "Sun"};
  constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (std::ranges::find(kDays, date.substr(0, 3)) == kDays.end()) return std::nullopt;
  const auto month_name = std::ranges::find(kMonths, date.substr(8, 3));
  if (month_name == kMonths.end()) return std::nullopt;

  const auto number = [&](std::size_t at, std::size_t digits) -> std::optional<int> {
    int value = 0;
    for (std::size_t i = at; i < at + digits; ++i) {
      if (date[i] < '0' || date[i] > '9') return std::nullopt;
      value = value * 10 + (date[i] - '0');
    }
    return value;
  };
  const auto day_number = number(5, 2);
  const auto year_number = number(12, 4);
  const auto hour_number = number(17, 2);
  const auto minute_number = number(20, 2);
  const auto second_number = number(23, 2);
  if (!day_number || !year_number || !hour_number || !minute_number || !second_number) {
    return std::nullopt;
  }
  // 60: a leap second
  if (*hour_number > 23 || *minute_number > 59 || *second_number > 60) return std::nullopt;
  const year_month_day date_part{year{*year_number},
                                 month{static_cast<unsigned>(month_name - kMonths.begin() + 1)},
                                 day{static_cast<unsigned>(*day_number)}};
  if (!date_part.ok()) return std::nullopt;
  return sys_days(date_part) + hours(*hour_number) + minutes(*minute_number) +
         seconds(*second_number);
}

}  // namespace

std::unique_ptr<HttpClient> make_curl_client(HttpOptions options) {
  return std::make_unique<CurlClient>(std::move(options));
}

std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response,
                                                     std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  const auto header = response.header("retry-after");
  if (!header) return std::nullopt;
  const std::string_view value = text::trim(*header);
  if (value.empty()) return std::nullopt;

  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    // delta-seconds; beyond ~31,000 years it is not a delay anyone means.
    constexpr std::uint64_t kMaxSeconds = 1'000'000'000'000ULL;
    std::uint64_t delay = 0;
    const auto [end, failure] = std::from_chars(value.data(), value.data() + value.size(), delay);
    if (failure != std::errc() || end != value.data() + value.size() || delay > kMaxSeconds) {
      return std::nullopt;
    }
    return duration_cast<milliseconds>(seconds(static_cast<std::int64_t>(delay)));
  }
  const auto when = parse_imf_fixdate(value);
  if (!when) return std::nullopt;
  const auto delay = duration_cast<milliseconds>(*when - now);
  return delay < milliseconds::zero() ? milliseconds::zero() : delay;
}

}  // namespace adapter::deliver
