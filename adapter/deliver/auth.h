// Outbound authorisation: static bearer tokens and SMART Backend Services
// (client_credentials with a private_key_jwt assertion, RS384 or ES384).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "adapter/deliver/http.h"
#include "adapter/fhir/outcome.h"

namespace adapter::deliver {

// Gives the Authorization header value for the next request. Secrets never appear in the
// Outcome messages it returns. Their issue type says what kind of failure it was: `exception`
// = transient (transport error, token endpoint 5xx or 429, unreadable answer), `security` =
// the token endpoint refused us (4xx), `not_supported` = it answered with a token type other
// than bearer, `invalid` = our configuration (key, client_id, token_url).
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // "Bearer <token>". `refresh` = the server answered 401 with the last value: get a new one.
  virtual fhir::Result<std::string> authorization(bool refresh) = 0;
};

std::unique_ptr<Authorizer> make_bearer_authorizer(std::string token);

enum class JwtAlgorithm { rs384, es384 };

struct SmartBackendOptions {
  std::string token_url;
  std::string client_id;
  std::string scope;            // e.g. "system/*.write system/*.read"
  std::string private_key_pem;  // PKCS#8 or traditional PEM; RSA for RS384, EC P-384 for ES384
  JwtAlgorithm algorithm = JwtAlgorithm::rs384;
  std::string key_id;  // JWT "kid"; empty = omitted
  // A token is renewed this long before its expires_in runs out.
  std::chrono::seconds renew_before{60};
  std::function<std::chrono::system_clock::time_point()> clock = std::chrono::system_clock::now;
};

// Posts the signed assertion to token_url through `http` (which it does not own; it must
// outlive the authorizer) and caches the access token until shortly before it expires
// (renew_before, at most half the token's lifetime). The authorizer is thread-safe and uses
// `http` only under its own lock, so give it a client no other thread uses. token_url must be
// https (plain http only for loopback test servers); the key is checked against the algorithm
// here, so a wrong key fails at start-up rather than on the first delivery.
fhir::Result<std::unique_ptr<Authorizer>> make_smart_backend_authorizer(SmartBackendOptions options,
                                                                        HttpClient& http);

// The compact JWS used as client assertion (exposed for tests): header {alg, typ, kid},
// claims {iss, sub, aud, exp, iat, jti}; ES384 signatures in JOSE form (r || s, 96 bytes).
fhir::Result<std::string> sign_client_assertion(const SmartBackendOptions& options,
                                                std::chrono::system_clock::time_point now);

}  // namespace adapter::deliver
