// The adapter's configuration file (docs/configuration.md): outbox, delivery policy,
// credentials, endpoints and routing rules. Read and checked once, in one place, so every
// problem is reported together with its JSON pointer; the stages receive plain values.
//
// Secrets never sit in the file itself: tokens and key passwords are named by file or
// environment variable, private keys by file, and are read only when a client is built.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapter/fhir/outcome.h"

namespace adapter::config {

struct RetryPolicy {
  std::chrono::milliseconds initial_delay{1'000};
  std::chrono::milliseconds max_delay{300'000};
  double multiplier = 2.0;
  double jitter = 0.5;  // a delay is drawn from [d·(1-jitter), d]
  // A message not delivered this long after it was accepted becomes a dead letter.
  std::chrono::seconds give_up_after{std::chrono::hours{24 * 7}};
};

struct DeliverySettings {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{30'000};
  RetryPolicy retry;
  int conflict_retries = 3;  // re-read and re-apply rounds on 409/412 before a dead letter
};

// Where a secret comes from: a file (first line, trimmed) or an environment variable.
struct SecretSource {
  std::string file;
  std::string environment;
  bool empty() const { return file.empty() && environment.empty(); }
};

// The secret's value, or an error naming the source (never the value).
fhir::Result<std::string> read_secret(const SecretSource& source);

struct Credential {
  enum class Type { bearer, smart_backend };
  std::string id;
  Type type = Type::bearer;
  SecretSource token;  // bearer
  // smart_backend
  std::string token_url;
  std::string client_id;
  std::string scope;
  std::string private_key_file;
  std::string algorithm = "RS384";  // RS384 | ES384
  std::string key_id;
};

struct Tls {
  bool verify = true;
  std::string ca_bundle;
  std::string client_certificate;
  std::string client_key;
  SecretSource client_key_password;
};

struct Endpoint {
  std::string id;
  std::string base_url;
  std::string credentials;  // id in Config::credentials; empty = no Authorization header
  Tls tls;
  std::vector<std::string> municipalities;  // municipality numbers this server serves
  std::vector<std::string> her_ids;         // coordinating units' HER-ids it serves
};

// One routing rule. A document goes to the union of the targets of every rule that
// applies; a document no rule sends anywhere is refused as unroutable.
struct Route {
  std::string name;
  std::vector<std::string> kinds;  // input document kinds; empty = every kind
  std::string when;                // FHIRPath over the Bundle; empty = always
  std::string to;                  // an endpoint id
  std::string to_municipality;     // FHIRPath giving municipality numbers
  std::string to_her_id;           // FHIRPath giving HER-ids
};

struct Config {
  std::string path;         // the file it was read from
  std::string outbox_path;  // relative paths are resolved against the file's folder
  // The patients' consent directives and the audit of consent decisions; default: the
  // outbox's path + ".consents".
  std::string consent_store_path;
  DeliverySettings delivery;
  std::map<std::string, Credential> credentials;
  std::vector<Endpoint> endpoints;
  std::vector<Route> routes;

  const Endpoint* endpoint(std::string_view id) const;
};

// Parses and checks the whole file: unknown members, types, ranges, references between
// sections (an endpoint's credentials, a route's endpoint), https base URLs unless the
// host is a loopback address. Every problem is reported, each with its JSON pointer.
fhir::Result<Config> load(const std::string& path);
fhir::Result<Config> parse(std::string_view text, const std::string& path);

}  // namespace adapter::config
