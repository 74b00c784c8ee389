#include "adapter/config/config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "adapter/fhir/json.h"

namespace adapter::config {
namespace {

using fhir::IssueType;
using fhir::JsonValue;
using fhir::Outcome;

constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// Reads the members of one object, remembers which were read, and reports the rest as
// unknown: a misspelt setting must not silently fall back to its default.
class ObjectReader {
 public:
  ObjectReader(const JsonValue& object, std::string pointer, Outcome& outcome)
      : object_(object), pointer_(std::move(pointer)), outcome_(outcome) {
    if (!object.is_object()) outcome_.error(IssueType::structure, pointer_, "expected an object");
  }
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;
  ~ObjectReader() {
    for (const auto& member : object_.members()) {
      if (!read_.contains(std::string(member.key))) {
        outcome_.error(IssueType::structure, at(member.key),
                       "unknown setting \"" + std::string(member.key) + "\"");
      }
    }
  }

  std::string at(std::string_view key) const { return pointer_ + "/" + fhir::pointer_token(key); }

  const JsonValue* find(std::string_view key) {
    read_.insert(std::string(key));
    return object_.find(key);
  }

  std::string string(std::string_view key, bool required = false) {
    const JsonValue* value = find(key);
    if (value == nullptr) {
      if (required) outcome_.error(IssueType::required, at(key), "missing required setting");
      return {};
    }
    if (!value->is_string() || value->as_string().empty()) {
      outcome_.error(IssueType::value, at(key), "expected a non-empty string");
      return {};
    }
    return std::string(value->as_string());
  }

  std::vector<std::string> strings(std::string_view key) {
    std::vector<std::string> result;
    const JsonValue* value = find(key);
    if (value == nullptr) return result;
    if (!value->is_array()) {
      outcome_.error(IssueType::value, at(key), "expected an array of strings");
      return result;
    }
    std::size_t index = 0;
    for (const JsonValue& item : value->items()) {
      if (!item.is_string() || item.as_string().empty()) {
        outcome_.error(IssueType::value, at(key) + "/" + std::to_string(index),
                       "expected a non-empty string");
      } else {
        result.emplace_back(item.as_string());
      }
      ++index;
    }
    return result;
  }

  // A number in [min, max]; `fallback` when absent or wrong.
  double number(std::string_view key, double fallback, double min, double max) {
    const JsonValue* value = find(key);
    if (value == nullptr) return fallback;
    const auto number = value->as_double();
    if (!value->is_number() || !number || !(*number >= min && *number <= max)) {
      outcome_.error(IssueType::value, at(key),
                     "expected a number from " + trim_number(min) + " to " + trim_number(max));
      return fallback;
    }
    return *number;
  }

  bool boolean(std::string_view key, bool fallback) {
    const JsonValue* value = find(key);
    if (value == nullptr) return fallback;
    if (!value->is_bool()) {
      outcome_.error(IssueType::value, at(key), "expected true or false");
      return fallback;
    }
    return value->as_bool();
  }

  SecretSource secret(std::string_view file_key, std::string_view environment_key) {
    SecretSource source{string(file_key), string(environment_key)};
    if (!source.file.empty() && !source.environment.empty()) {
      outcome_.error(IssueType::invalid, at(file_key),
                     "give either \"" + std::string(file_key) + "\" or \"" +
                         std::string(environment_key) + "\", not both");
    }
    return source;
  }

 private:
  static std::string trim_number(double value) {
    std::string text = std::to_string(value);
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
    return text;
  }

  const JsonValue& object_;
  std::string pointer_;
  Outcome& outcome_;
  std::set<std::string, std::less<>> read_;
};

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

// "https://…", or "http://" only to a loopback host (tests, a local proxy).
bool acceptable_base_url(std::string_view url) {
  if (url.starts_with("https://")) return url.size() > 8;
  for (std::string_view loopback : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    if (url.starts_with(loopback)) {
      const std::string_view rest = url.substr(loopback.size());
      return rest.empty() || rest.front() == ':' || rest.front() == '/';
    }
  }
  return false;
}

void read_delivery(ObjectReader& root, Config& config, Outcome& outcome) {
  const JsonValue* section = root.find("delivery");
  if (section == nullptr) return;
  ObjectReader delivery(*section, root.at("delivery"), outcome);
  auto& settings = config.delivery;
  settings.connect_timeout = seconds_to_ms(delivery.number("connectTimeoutSeconds", 5, 0.1, 300));
  settings.timeout = seconds_to_ms(delivery.number("timeoutSeconds", 30, 0.1, 3600));
  settings.conflict_retries = static_cast<int>(delivery.number("conflictRetries", 3, 0, 20));
  if (const JsonValue* retry_value = delivery.find("retry")) {
    ObjectReader retry(*retry_value, delivery.at("retry"), outcome);
    auto& policy = settings.retry;
    policy.initial_delay = seconds_to_ms(retry.number("initialDelaySeconds", 1, 0.001, 3600));
    policy.max_delay = seconds_to_ms(retry.number("maxDelaySeconds", 300, 0.001, 86400));
    policy.multiplier = retry.number("multiplier", 2, 1, 10);
    policy.jitter = retry.number("jitter", 0.5, 0, 1);
    policy.give_up_after = std::chrono::seconds(
        std::llround(retry.number("giveUpAfterHours", 168, 0.0003, 24 * 365) * 3600.0));
    if (policy.max_delay < policy.initial_delay) {
      outcome.error(IssueType::value, retry.at("maxDelaySeconds"),
                    "must not be smaller than initialDelaySeconds");
    }
  }
}

void read_credentials(ObjectReader& root, Config& config, Outcome& outcome) {
  const JsonValue* section = root.find("credentials");
  if (section == nullptr) return;
  const std::string pointer = root.at("credentials");
  if (!section->is_object()) {
    outcome.error(IssueType::structure, pointer, "expected an object of named credentials");
    return;
  }
  for (const auto& member : section->members()) {
    Credential credential;
    credential.id = std::string(member.key);
    ObjectReader reader(member.value, pointer + "/" + fhir::pointer_token(member.key), outcome);
    const std::string type = reader.string("type", true);
    if (type == "bearer") {
      credential.type = Credential::Type::bearer;
      credential.token = reader.secret("tokenFile", "tokenEnv");
      if (credential.token.empty()) {
        outcome.error(IssueType::required, reader.at("tokenFile"),
                      "a bearer credential needs \"tokenFile\" or \"tokenEnv\" (tokens are "
                      "never written in the configuration itself)");
      }
      if (reader.find("token") != nullptr) {
        outcome.error(IssueType::security, reader.at("token"),
                      "a token must not be written in the configuration: use \"tokenFile\" or "
                      "\"tokenEnv\"");
      }
    } else if (type == "smart-backend") {
      credential.type = Credential::Type::smart_backend;
      credential.token_url = reader.string("tokenUrl", true);
      credential.client_id = reader.string("clientId", true);
      credential.scope = reader.string("scope", true);
      credential.private_key_file = reader.string("privateKeyFile", true);
      credential.key_id = reader.string("keyId");
      if (const JsonValue* algorithm = reader.find("algorithm")) {
        if (algorithm->is_string() &&
            (algorithm->as_string() == "RS384" || algorithm->as_string() == "ES384")) {
          credential.algorithm = std::string(algorithm->as_string());
        } else {
          outcome.error(IssueType::value, reader.at("algorithm"),
                        "expected \"RS384\" or \"ES384\"");
        }
      }
      if (!credential.token_url.empty() && !acceptable_base_url(credential.token_url)) {
        outcome.error(IssueType::security, reader.at("tokenUrl"),
                      "the token endpoint must use https (http only to a loopback host)");
      }
    } else if (!type.empty()) {
      outcome.error(IssueType::value, reader.at("type"),
                    "expected \"bearer\" or \"smart-backend\", found \"" + type + "\"");
    }
    config.credentials.emplace(credential.id, std::move(credential));
  }
}

void read_endpoints(ObjectReader& root, Config& config, Outcome& outcome) {
  const JsonValue* section = root.find("endpoints");
  const std::string pointer = root.at("endpoints");
  if (section == nullptr || !section->is_array() || section->size() == 0) {
    outcome.error(IssueType::required, pointer, "expected a non-empty array of endpoints");
    return;
  }
  std::set<std::string, std::less<>> ids;
  std::size_t index = 0;
  for (const JsonValue& item : section->items()) {
    const std::string item_pointer = pointer + "/" + std::to_string(index++);
    ObjectReader reader(item, item_pointer, outcome);
    Endpoint endpoint;
    endpoint.id = reader.string("id", true);
    if (!endpoint.id.empty() && !ids.insert(endpoint.id).second) {
      outcome.error(IssueType::duplicate, reader.at("id"),
                    "endpoint id \"" + endpoint.id + "\" is used twice");
    }
    endpoint.base_url = reader.string("baseUrl", true);
    while (endpoint.base_url.ends_with('/'))
      endpoint.base_url.pop_back();
    if (!endpoint.base_url.empty() && !acceptable_base_url(endpoint.base_url)) {
      outcome.error(IssueType::security, reader.at("baseUrl"),
                    "a FHIR server must be reached over https (http only to a loopback host)");
    }
    endpoint.credentials = reader.string("credentials");
    if (!endpoint.credentials.empty() && !config.credentials.contains(endpoint.credentials)) {
      outcome.error(IssueType::not_found, reader.at("credentials"),
                    "no credentials named \"" + endpoint.credentials + "\"");
    }
    endpoint.municipalities = reader.strings("municipalities");
    for (std::size_t i = 0; i < endpoint.municipalities.size(); ++i) {
      const auto& number = endpoint.municipalities[i];
      if (number.size() != 4 ||
          !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        outcome.error(IssueType::value, reader.at("municipalities") + "/" + std::to_string(i),
                      "a municipality number has 4 digits");
      }
    }
    endpoint.her_ids = reader.strings("herIds");
    if (const JsonValue* tls_value = reader.find("tls")) {
      ObjectReader tls(*tls_value, reader.at("tls"), outcome);
      endpoint.tls.verify = tls.boolean("verify", true);
      endpoint.tls.ca_bundle = tls.string("caBundle");
      endpoint.tls.client_certificate = tls.string("clientCertificate");
      endpoint.tls.client_key = tls.string("clientKey");
      endpoint.tls.client_key_password =
          tls.secret("clientKeyPasswordFile", "clientKeyPasswordEnv");
      if (endpoint.tls.client_certificate.empty() != endpoint.tls.client_key.empty()) {
        outcome.error(IssueType::required, reader.at("tls"),
                      "\"clientCertificate\" and \"clientKey\" go together");
      }
    }
    config.endpoints.push_back(std::move(endpoint));
  }
}

void read_routes(ObjectReader& root, Config& config, Outcome& outcome) {
  const JsonValue* section = root.find("routes");
  const std::string pointer = root.at("routes");
  if (section == nullptr || !section->is_array() || section->size() == 0) {
    outcome.error(IssueType::required, pointer, "expected a non-empty array of routing rules");
    return;
  }
  std::size_t index = 0;
  for (const JsonValue& item : section->items()) {
    const std::string item_pointer = pointer + "/" + std::to_string(index++);
    ObjectReader reader(item, item_pointer, outcome);
    Route route;
    route.name = reader.string("name", true);
    route.kinds = reader.strings("kinds");
    route.when = reader.string("when");
    route.to = reader.string("to");
    route.to_municipality = reader.string("toMunicipality");
    route.to_her_id = reader.string("toHerId");
    const int targets = int{!route.to.empty()} + int{!route.to_municipality.empty()} +
                        int{!route.to_her_id.empty()};
    if (targets != 1) {
      outcome.error(IssueType::invalid, item_pointer,
                    "a rule has exactly one of \"to\", \"toMunicipality\" and \"toHerId\"");
    }
    if (!route.to.empty() && config.endpoint(route.to) == nullptr) {
      outcome.error(IssueType::not_found, reader.at("to"),
                    "no endpoint with id \"" + route.to + "\"");
    }
    config.routes.push_back(std::move(route));
  }
}

}  // namespace

const Endpoint* Config::endpoint(std::string_view id) const {
  for (const auto& endpoint : endpoints) {
    if (endpoint.id == id) return &endpoint;
  }
  return nullptr;
}

fhir::Result<std::string> read_secret(const SecretSource& source) {
  std::string value;
  if (!source.environment.empty()) {
    const char* text = std::getenv(source.environment.c_str());
    if (text == nullptr || *text == '\0') {
      return Outcome::of(fhir::Severity::error, IssueType::security,
                         "environment variable " + source.environment + " is not set");
    }
    value = text;
  } else if (!source.file.empty()) {
    auto text = fhir::read_bounded(source.file, 64 * 1024);
    if (!text) {
      return Outcome::of(fhir::Severity::error, IssueType::security,
                         "cannot read the secret file " + source.file);
    }
    value = std::move(*text);
    if (const auto end = value.find_first_of("\r\n"); end != std::string::npos) value.resize(end);
  }
  const auto first = value.find_first_not_of(" \t");
  const auto last = value.find_last_not_of(" \t");
  if (first == std::string::npos) {
    return Outcome::of(fhir::Severity::error, IssueType::security,
                       "the secret in " +
                           (source.file.empty() ? "$" + source.environment : source.file) +
                           " is empty");
  }
  return value.substr(first, last - first + 1);
}

fhir::Result<Config> parse(std::string_view text, const std::string& path) {
  auto document = fhir::JsonDocument::parse(text);
  if (!document) return document.problems();
  Outcome outcome;
  Config config;
  config.path = path;
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  auto resolve = [&](std::string& file) {
    if (!file.empty() && std::filesystem::path(file).is_relative()) {
      file = (folder / file).lexically_normal().string();
    }
  };
  {
    ObjectReader root(document->root(), "", outcome);
    if (const JsonValue* comment = root.find("$comment"); comment && !comment->is_string()) {
      outcome.error(IssueType::value, "/$comment", "expected a string");
    }
    if (const JsonValue* outbox_value = root.find("outbox")) {
      ObjectReader outbox(*outbox_value, "/outbox", outcome);
      config.outbox_path = outbox.string("path", true);
    } else {
      outcome.error(IssueType::required, "/outbox", "missing required setting");
    }
    if (const JsonValue* consent_value = root.find("consent")) {
      ObjectReader consent(*consent_value, "/consent", outcome);
      config.consent_store_path = consent.string("store", false);
    }
    read_delivery(root, config, outcome);
    read_credentials(root, config, outcome);
    read_endpoints(root, config, outcome);
    read_routes(root, config, outcome);
  }
  if (outcome.has_errors()) return outcome;
  resolve(config.outbox_path);
  if (config.consent_store_path.empty())
    config.consent_store_path = config.outbox_path + ".consents";
  resolve(config.consent_store_path);
  for (auto& [id, credential] : config.credentials) {
    resolve(credential.private_key_file);
    resolve(credential.token.file);
  }
  for (auto& endpoint : config.endpoints) {
    resolve(endpoint.tls.ca_bundle);
    resolve(endpoint.tls.client_certificate);
    resolve(endpoint.tls.client_key);
    resolve(endpoint.tls.client_key_password.file);
  }
  return config;
}

fhir::Result<Config> load(const std::string& path) {
  auto text = fhir::read_bounded(path, kMaxConfigBytes);
  if (!text) return text.problems();
  return parse(*text, path);
}

}  // namespace adapter::config
