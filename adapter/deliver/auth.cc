#include "adapter/deliver/auth.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

#include "adapter/deliver/base64url.h"
#include "adapter/deliver/text.h"

namespace adapter::deliver {

using fhir::IssueType;
using fhir::Outcome;
using fhir::Result;
using fhir::Severity;

namespace {

constexpr std::string_view kAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
// SMART Backend Services: the assertion's exp is at most five minutes in the future.
constexpr std::chrono::seconds kAssertionLifetime{300};
// Used when a token response leaves out expires_in (SMART requires it; OAuth only recommends).
constexpr std::chrono::seconds kDefaultTokenLifetime{300};
// ES384: r and s are 384-bit integers, 48 bytes each in the JOSE form.
constexpr std::size_t kP384CoordinateBytes = 48;
constexpr int kMinimumRsaBits = 2048;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

// OpenSSL keeps failures in a per-thread queue that later TLS calls on the same thread
// (libcurl's) may misread; every failed call here leaves it empty.
class OpenSslErrorsCleared {
 public:
  OpenSslErrorsCleared() = default;
  OpenSslErrorsCleared(const OpenSslErrorsCleared&) = delete;
  OpenSslErrorsCleared& operator=(const OpenSslErrorsCleared&) = delete;
  ~OpenSslErrorsCleared() { ERR_clear_error(); }
};

Outcome problem(IssueType type, std::string message) {
  return Outcome::of(Severity::error, type, "SMART backend services: " + std::move(message));
}

// Encrypted keys have no password option: refuse instead of letting OpenSSL prompt on a
// terminal.
int refuse_password(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
  return -1;
}

std::string_view algorithm_name(JwtAlgorithm algorithm) {
  return algorithm == JwtAlgorithm::es384 ? "ES384" : "RS384";
}

// Reads the PEM key and checks it fits the algorithm. Messages never quote the key.
Result<Pkey> load_signing_key(const SmartBackendOptions& options) {
  const OpenSslErrorsCleared cleared;
  const std::string& pem = options.private_key_pem;
  if (pem.empty()) return problem(IssueType::invalid, "no private key given");
  if (pem.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return problem(IssueType::invalid, "the private key is too large");
  }
  const Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return problem(IssueType::exception, "out of memory reading the private key");
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, &refuse_password, nullptr));
  if (!key) {
    return problem(IssueType::invalid,
                   "the private key is not an unencrypted PEM private key (PKCS#8 or "
                   "traditional)");
  }
  const char* type_name = EVP_PKEY_get0_type_name(key.get());
  const std::string key_type = type_name != nullptr ? type_name : "unknown";
  if (options.algorithm == JwtAlgorithm::rs384) {
    if (EVP_PKEY_is_a(key.get(), "RSA") != 1) {
      return problem(IssueType::invalid, "RS384 needs an RSA private key, not " + key_type);
    }
    if (const int bits = EVP_PKEY_get_bits(key.get()); bits < kMinimumRsaBits) {
      return problem(IssueType::invalid,
                     "RS384 needs an RSA key of at least 2048 bits, not " + std::to_string(bits));
    }
  } else {
    std::array<char, 64> group{};
    std::size_t group_length = 0;
    if (EVP_PKEY_is_a(key.get(), "EC") != 1) {
      return problem(IssueType::invalid, "ES384 needs an EC P-384 private key, not " + key_type);
    }
    if (EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), &group_length) != 1 ||
        std::string_view(group.data(), group_length) != "secp384r1") {
      return problem(IssueType::invalid, "ES384 needs an EC key on curve P-384, not " +
                                             std::string(group.data(), group_length));
    }
  }
  return key;
}

Result<std::string> random_jti() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    ERR_clear_error();
    return problem(IssueType::exception, "the random generator failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string jti;
  for (const unsigned char byte : bytes) {
    jti.push_back(kHex[byte >> 4U]);
    jti.push_back(kHex[byte & 0x0FU]);
  }
  return jti;
}

std::string header_json(const SmartBackendOptions& options) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("alg");
  writer.String(std::string(algorithm_name(options.algorithm)));
  writer.Key("typ");
  writer.String("JWT");
  if (!options.key_id.empty()) {
    writer.Key("kid");
    writer.String(options.key_id);
  }
  writer.EndObject();
  return buffer.GetString();
}

std::string claims_json(const SmartBackendOptions& options, std::int64_t issued_at,
                        const std::string& jti) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("iss");
  writer.String(options.client_id);
  writer.Key("sub");
  writer.String(options.client_id);
  writer.Key("aud");
  writer.String(options.token_url);
  writer.Key("exp");
  writer.Int64(issued_at + kAssertionLifetime.count());
  writer.Key("iat");
  writer.Int64(issued_at);
  writer.Key("jti");
  writer.String(jti);
  writer.EndObject();
  return buffer.GetString();
}

// OpenSSL gives ECDSA signatures as DER SEQUENCE{r, s}; JWS wants r || s, each left-padded to
// the curve size (RFC 7518 section 3.4).
std::optional<std::vector<unsigned char>> der_to_jose(const std::vector<unsigned char>& der) {
  const unsigned char* cursor = der.data();
  const EcdsaSig signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!signature) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  std::vector<unsigned char> jose(2 * kP384CoordinateBytes);
  constexpr int kSize = static_cast<int>(kP384CoordinateBytes);
  if (BN_bn2binpad(r, jose.data(), kSize) != kSize ||
      BN_bn2binpad(s, jose.data() + kP384CoordinateBytes, kSize) != kSize) {
    return std::nullopt;
  }
  return jose;
}

Result<std::string> sign_with_key(const SmartBackendOptions& options, EVP_PKEY* key,
                                  std::chrono::system_clock::time_point now) {
  const OpenSslErrorsCleared cleared;
  if (options.client_id.empty()) return problem(IssueType::invalid, "no client_id given");
  if (options.token_url.empty()) return problem(IssueType::invalid, "no token_url given");
  auto jti = random_jti();
  if (!jti) return jti.problems();
  const std::int64_t issued_at =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::string signing_input = base64url_encode(header_json(options)) + "." +
                                    base64url_encode(claims_json(options, issued_at, *jti));

  const MdCtx context(EVP_MD_CTX_new());
  std::vector<unsigned char> signature(static_cast<std::size_t>(EVP_PKEY_get_size(key)));
  std::size_t signature_length = signature.size();
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha384(), nullptr, key) != 1 ||
      EVP_DigestSign(context.get(), signature.data(), &signature_length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return problem(IssueType::exception, "signing the client assertion failed");
  }
  signature.resize(signature_length);
  if (options.algorithm == JwtAlgorithm::es384) {
    auto jose = der_to_jose(signature);
    if (!jose) return problem(IssueType::exception, "could not convert the ECDSA signature");
    signature = std::move(*jose);
  }
  return signing_input + "." + base64url_encode(signature);
}

// -- static bearer ----------------------------------------------------------------------------

class BearerAuthorizer final : public Authorizer {
 public:
  explicit BearerAuthorizer(std::string token) : token_(std::move(token)) {}

  // A static token cannot be renewed: `refresh` gives the same value again.
  Result<std::string> authorization(bool /*refresh*/) override {
    if (token_.empty() || text::has_control_or_space(token_)) {
      return Outcome::of(Severity::error, IssueType::invalid,
                         "the bearer token is empty or holds spaces or control characters");
    }
    return "Bearer " + token_;
  }

 private:
  std::string token_;
};

// -- SMART Backend Services -------------------------------------------------------------------

struct AccessToken {
  std::string value;
  std::chrono::system_clock::time_point renew_at;
};

// A server-supplied string made safe for a message: printable, short, and without any part
// of our assertion in case the server echoes the request back (whole, cut short or glued to
// other text).
std::string sanitised(std::string_view server_text, const std::string& assertion) {
  constexpr std::size_t kMaxInput = 4096;
  constexpr std::size_t kMaxLength = 300;
  // 16 base64url characters are 96 bits: no accidental match with ordinary text.
  constexpr std::size_t kWindow = 16;
  const auto in_jws_alphabet = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  const auto holds_part_of_assertion = [&](std::string_view run) {
    for (std::size_t at = 0; at + kWindow <= run.size(); ++at) {
      if (assertion.find(run.substr(at, kWindow)) != std::string::npos) return true;
    }
    return false;
  };
  server_text = server_text.substr(0, kMaxInput);
  std::string out;
  for (std::size_t at = 0; at < server_text.size();) {
    if (!in_jws_alphabet(server_text[at])) {
      const auto byte = static_cast<unsigned char>(server_text[at]);
      out.push_back(byte < 0x20U || byte == 0x7FU ? ' ' : server_text[at]);
      ++at;
      continue;
    }
    std::size_t end = at;
    while (end < server_text.size() && in_jws_alphabet(server_text[end]))
      ++end;
    const std::string_view run = server_text.substr(at, end - at);
    out.append(holds_part_of_assertion(run) ? std::string_view("[redacted]") : run);
    at = end;
  }
  if (out.size() > kMaxLength) {
    out.resize(kMaxLength);
    out += "...";
  }
  return out;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsString()) return {};
  return {member->value.GetString(), member->value.GetStringLength()};
}

// expires_in as a JSON number, or as a numeric string (some servers send that).
std::optional<std::chrono::seconds> expires_in(const rapidjson::Value& object) {
  const auto member = object.FindMember("expires_in");
  if (member == object.MemberEnd()) return kDefaultTokenLifetime;
  const rapidjson::Value& value = member->value;
  if (value.IsInt64() && value.GetInt64() > 0) return std::chrono::seconds(value.GetInt64());
  if (value.IsDouble() && std::isfinite(value.GetDouble()) && value.GetDouble() >= 1 &&
      value.GetDouble() < 1e12) {
    return std::chrono::seconds(static_cast<std::int64_t>(value.GetDouble()));
  }
  if (value.IsString()) {
    const std::string_view digits(value.GetString(), value.GetStringLength());
    std::int64_t seconds = 0;
    const auto [end, failure] =
        std::from_chars(digits.data(), digits.data() + digits.size(), seconds);
    if (failure == std::errc() && end == digits.data() + digits.size() && seconds > 0) {
      return std::chrono::seconds(seconds);
    }
  }
  return std::nullopt;
}

class SmartBackendAuthorizer final : public Authorizer {
 public:
  SmartBackendAuthorizer(SmartBackendOptions options, Pkey key, HttpClient& http)
      : options_(std::move(options)), key_(std::move(key)), http_(&http) {
    // The parsed key is all we need; do not keep a second copy of the secret around.
    OPENSSL_cleanse(options_.private_key_pem.data(), options_.private_key_pem.size());
    options_.private_key_pem.clear();
  }

  // Serialised: one token request at a time, and the borrowed HttpClient is not thread-safe.
  Result<std::string> authorization(bool refresh) override {
    const std::lock_guard lock(mutex_);
    const auto now = options_.clock();
    if (refresh || !token_ || now >= token_->renew_at) {
      token_.reset();
      auto fresh = request_token(now);
      if (!fresh) return fresh.problems();
      token_ = std::move(*fresh);
    }
    return "Bearer " + token_->value;
  }

 private:
  Result<AccessToken> request_token(std::chrono::system_clock::time_point now) {
    auto assertion = sign_with_key(options_, key_.get(), now);
    if (!assertion) return assertion.problems();

    HttpRequest request;
    request.method = "POST";
    request.url = options_.token_url;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"}};
    request.body = "grant_type=client_credentials";
    if (!options_.scope.empty()) request.body += "&scope=" + text::percent_encode(options_.scope);
    request.body += "&client_assertion_type=" + text::percent_encode(kAssertionType);
    request.body += "&client_assertion=" + text::percent_encode(*assertion);

    const std::string where = "token request to " + options_.token_url;
    HttpResult result = http_->send(request);
    if (const auto* failure = std::get_if<TransportError>(&result)) {
      return problem(IssueType::exception, where + " failed: " + failure->message);
    }
    const auto& response = std::get<HttpResponse>(result);

    rapidjson::Document answer;
    // With an explicit length RapidJSON reads byte by byte, never (SSE2) past the body's end.
    answer.Parse(response.body.data(), response.body.size());
    const bool readable = !answer.HasParseError() && answer.IsObject();

    if (response.status != 200) {
      std::string message = where + " was refused: HTTP " + std::to_string(response.status);
      if (readable) {
        const std::string code = sanitised(string_member(answer, "error"), *assertion);
        const std::string description =
            sanitised(string_member(answer, "error_description"), *assertion);
        if (!code.empty()) message += ", error \"" + code + "\"";
        if (!description.empty()) message += ": " + description;
      }
      // Server trouble and rate limits pass; anything else is a rejection of us.
      const bool transient = response.status >= 500 || response.status == 429;
      return problem(transient ? IssueType::exception : IssueType::security, std::move(message));
    }
    // The body of a 200 holds a token: describe what is wrong, never quote it.
    if (!readable) {
      return problem(IssueType::exception, where + " answered 200 without a JSON object");
    }
    const std::string access_token = string_member(answer, "access_token");
    if (access_token.empty() || text::has_control_or_space(access_token)) {
      return problem(IssueType::exception, where + " answered without a usable access_token");
    }
    if (!text::iequals(string_member(answer, "token_type"), "bearer")) {
      return problem(IssueType::not_supported,
                     where + " answered with token_type \"" +
                         sanitised(string_member(answer, "token_type"), *assertion) +
                         "\"; only bearer tokens are supported");
    }
    const auto lifetime = expires_in(answer);
    if (!lifetime) {
      return problem(IssueType::exception, where + " answered with an unreadable expires_in");
    }
    // Renew renew_before ahead of expiry, but never spend more than half a short lifetime
    // waiting: a token valid for 30 s must still be used.
    const auto margin = std::min<std::chrono::seconds>(options_.renew_before, *lifetime / 2);
    return AccessToken{access_token, now + *lifetime - margin};
  }

  SmartBackendOptions options_;
  Pkey key_;
  HttpClient* http_;
  std::mutex mutex_;
  std::optional<AccessToken> token_;
};

}  // namespace

std::unique_ptr<Authorizer> make_bearer_authorizer(std::string token) {
  return std::make_unique<BearerAuthorizer>(std::move(token));
}

Result<std::string> sign_client_assertion(const SmartBackendOptions& options,
                                          std::chrono::system_clock::time_point now) {
  auto key = load_signing_key(options);
  if (!key) return key.problems();
  return sign_with_key(options, key->get(), now);
}

Result<std::unique_ptr<Authorizer>> make_smart_backend_authorizer(SmartBackendOptions options,
                                                                  HttpClient& http) {
  const auto origin = text::parse_origin(options.token_url);
  if (!origin) {
    return problem(IssueType::invalid, "token_url is not an absolute http(s) URL");
  }
  // The assertion and the token it buys must not cross the network in clear text.
  if (origin->scheme != "https" && !text::is_loopback(*origin)) {
    return problem(IssueType::security, "token_url must use https");
  }
  if (options.client_id.empty()) return problem(IssueType::invalid, "no client_id given");
  if (!options.clock) return problem(IssueType::invalid, "no clock given");
  if (options.renew_before < std::chrono::seconds::zero()) {
    return problem(IssueType::invalid, "renew_before must not be negative");
  }
  auto key = load_signing_key(options);
  if (!key) return key.problems();
  return std::unique_ptr<Authorizer>(
      std::make_unique<SmartBackendAuthorizer>(std::move(options), std::move(*key), http));
}

}  // namespace adapter::deliver
