#include "adapter/deliver/fhir_client.h"

#include <set>

#include "adapter/deliver/json_peek.h"
#include "adapter/deliver/text.h"
#include "adapter/fhir/json.h"

namespace adapter::deliver {

namespace {

constexpr std::string_view kFhirJson = "application/fhir+json";
constexpr std::string_view kFhirJsonBody = "application/fhir+json; charset=utf-8";

FhirFailure failure(std::string message) {
  return FhirFailure{TransportError{TransportErrorKind::other, std::move(message)}, false};
}

FhirFailure auth_failure(const fhir::Outcome& problems) {
  std::string message = "authorisation failed";
  for (const auto& issue : problems.issues())
    message += ": " + issue.message;
  return FhirFailure{TransportError{TransportErrorKind::other, std::move(message)}, true};
}

// A type or id as one path segment: "/" or "?" in an id cannot change the URL's meaning.
std::optional<std::string> segment(std::string_view value) {
  if (value.empty()) return std::nullopt;
  return text::percent_encode(value);
}

// Conditions and queries are encoded by the caller; all we do is refuse what would break the
// request line (spaces, control characters, line breaks).
bool usable_in_url(std::string_view query) {
  return !text::has_control_or_space(query);
}

std::string_view without_question_mark(std::string_view query) {
  if (query.starts_with('?')) query.remove_prefix(1);
  return query;
}

// W/"3" or "3" -> 3. Servers that send a bare value get it back unchanged.
std::string version_from_etag(std::string_view etag) {
  etag = text::trim(etag);
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::string_view string_at(const fhir::JsonValue& object, std::string_view name) {
  const fhir::JsonValue* value = object.find(name);
  return value != nullptr ? value->as_string() : std::string_view();
}

// "error processing: Patient.name is required (Patient.name)"
std::string outcome_line(const fhir::JsonValue& issue) {
  std::string line(string_at(issue, "severity"));
  const std::string_view code = string_at(issue, "code");
  if (!code.empty()) line += (line.empty() ? "" : " ") + std::string(code);
  std::string_view message = string_at(issue, "diagnostics");
  if (message.empty()) {
    if (const fhir::JsonValue* details = issue.find("details"); details != nullptr) {
      message = string_at(*details, "text");
      if (message.empty()) {
        if (const fhir::JsonValue* codings = details->find("coding");
            codings != nullptr && !codings->items().empty()) {
          message = string_at(codings->items().front(), "display");
          if (message.empty()) message = string_at(codings->items().front(), "code");
        }
      }
    }
  }
  if (!message.empty()) line += ": " + std::string(message);
  // expression is R4's preferred place; location the deprecated XPath one.
  const fhir::JsonValue* where = issue.find("expression");
  if (where == nullptr || where->items().empty()) where = issue.find("location");
  if (where != nullptr && !where->items().empty()) {
    std::string places;
    for (const fhir::JsonValue& place : where->items()) {
      if (!places.empty()) places += ", ";
      places += place.as_string();
    }
    line += " (" + places + ")";
  }
  return line;
}

// The body as JSON when it looks like an object; nullopt for anything else.
std::optional<fhir::JsonDocument> parse_body(const std::string& body) {
  const std::string_view start = text::trim(body);
  if (!start.starts_with('{')) return std::nullopt;
  auto parsed = fhir::JsonDocument::parse(body);
  if (!parsed) return std::nullopt;
  return std::move(parsed).value();
}

FhirResponse to_fhir_response(HttpResponse http) {
  FhirResponse response;
  response.status = http.status;
  if (const auto etag = http.header("etag")) response.version_id = version_from_etag(*etag);
  if (const auto location = http.header("location")) {
    response.location = std::string(*location);
  } else if (const auto content_location = http.header("content-location")) {
    response.location = std::string(*content_location);
  }
  if (http.status == 429 || http.status == 503) {
    response.retry_after = retry_after(http, std::chrono::system_clock::now());
  }
  // Parsed only when it can tell us something: an OperationOutcome's issues, or the
  // versionId of a resource that came without an ETag. A transaction-response (often as
  // large as the transaction) is left to the caller.
  const std::string resource_type = peek_top_level_string(http.body, "resourceType");
  const bool worth_parsing =
      resource_type == "OperationOutcome" ||
      (response.version_id.empty() && !resource_type.empty() && resource_type != "Bundle");
  if (const auto document = worth_parsing ? parse_body(http.body) : std::nullopt) {
    const fhir::JsonValue& root = document->root();
    if (response.version_id.empty()) {
      if (const fhir::JsonValue* meta = root.find("meta"); meta != nullptr) {
        response.version_id = std::string(string_at(*meta, "versionId"));
      }
    }
    if (string_at(root, "resourceType") == "OperationOutcome") {
      if (const fhir::JsonValue* issues = root.find("issue"); issues != nullptr) {
        for (const fhir::JsonValue& issue : issues->items()) {
          response.outcome_lines.push_back(outcome_line(issue));
        }
      }
    }
  }
  response.body = std::move(http.body);
  return response;
}

// The absolute URL of a Bundle's link with relation "next"; empty when there is none.
std::string next_link(const std::string& body) {
  const auto document = parse_body(body);
  if (!document || string_at(document->root(), "resourceType") != "Bundle") return {};
  const fhir::JsonValue* links = document->root().find("link");
  if (links == nullptr) return {};
  for (const fhir::JsonValue& link : links->items()) {
    if (string_at(link, "relation") == "next") return std::string(string_at(link, "url"));
  }
  return {};
}

bool has_header(const Headers& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (text::iequals(field, name)) return true;
  }
  return false;
}

}  // namespace

FhirClient::FhirClient(std::string base_url, HttpClient& http, Authorizer* authorizer)
    : base_url_(std::move(base_url)), http_(&http), authorizer_(authorizer) {
  while (base_url_.ends_with('/'))
    base_url_.pop_back();
}

FhirResult FhirClient::capabilities() {
  return send("GET", "metadata");
}

FhirResult FhirClient::read(std::string_view type, std::string_view id) {
  const auto type_segment = segment(type);
  const auto id_segment = segment(id);
  if (!type_segment || !id_segment) return failure("read: empty resource type or id");
  return send("GET", *type_segment + "/" + *id_segment);
}

FhirResult FhirClient::vread(std::string_view type, std::string_view id,
                             std::string_view version_id) {
  const auto type_segment = segment(type);
  const auto id_segment = segment(id);
  const auto version_segment = segment(version_id);
  if (!type_segment || !id_segment || !version_segment) {
    return failure("vread: empty resource type, id or version id");
  }
  return send("GET", *type_segment + "/" + *id_segment + "/_history/" + *version_segment);
}

std::variant<std::vector<FhirResponse>, FhirFailure> FhirClient::search(std::string_view type,
                                                                        std::string_view query,
                                                                        int max_pages) {
  const auto type_segment = segment(type);
  if (!type_segment) return failure("search: empty resource type");
  query = without_question_mark(query);
  if (!usable_in_url(query)) {
    return failure("search: the query holds a space or control character (encode it)");
  }
  const auto base_origin = text::parse_origin(base_url_);
  if (!base_origin) return failure("search: the base URL is not an absolute http(s) URL");

  std::vector<FhirResponse> pages;
  std::set<std::string> followed;
  FhirResult page =
      send("GET", query.empty() ? *type_segment : *type_segment + "?" + std::string(query));
  while (true) {
    if (auto* problem = std::get_if<FhirFailure>(&page)) return std::move(*problem);
    pages.push_back(std::get<FhirResponse>(std::move(page)));
    const FhirResponse& last = pages.back();
    // A failing page ends the search; the caller finds it as the last element.
    if (last.status < 200 || last.status > 299) break;
    if (pages.size() >= static_cast<std::size_t>(std::max(max_pages, 1))) break;
    std::string next = next_link(last.body);
    if (next.empty()) break;
    // Our Authorization header goes wherever the link points: only to the server we were
    // configured for, never to a host a (compromised) server names.
    const auto next_origin = text::parse_origin(next);
    if (!next_origin || *next_origin != *base_origin) {
      return failure("search: refusing to follow a next link to " +
                     (next_origin ? next_origin->to_string() : std::string("an unusable URL")) +
                     ", which is not the server at " + base_origin->to_string());
    }
    if (!followed.insert(next).second) break;  // a server paging in circles
    page = send_to_url("GET", std::move(next), {}, {});
  }
  return pages;
}

FhirResult FhirClient::create(std::string_view type, std::string resource) {
  const auto type_segment = segment(type);
  if (!type_segment) return failure("create: empty resource type");
  return send("POST", *type_segment, std::move(resource));
}

FhirResult FhirClient::create_if_none_exist(std::string_view type, std::string resource,
                                            std::string_view condition) {
  const auto type_segment = segment(type);
  if (!type_segment) return failure("create: empty resource type");
  condition = without_question_mark(condition);
  if (condition.empty()) return failure("create: empty If-None-Exist condition");
  // FHIR R4 http.html#ccreate: "If-None-Exist: [search parameters]", no leading "?".
  return send("POST", *type_segment, std::move(resource),
              {{"If-None-Exist", std::string(condition)}});
}

FhirResult FhirClient::update(std::string_view type, std::string_view id, std::string resource,
                              std::optional<std::string_view> if_match) {
  const auto type_segment = segment(type);
  const auto id_segment = segment(id);
  if (!type_segment || !id_segment) return failure("update: empty resource type or id");
  Headers headers;
  if (if_match) {
    // FHIR R4 http.html#concurrency: If-Match carries the weak ETag, W/"<versionId>".
    const std::string_view version = text::trim(*if_match);
    if (version.empty() || version.find('"') != std::string_view::npos) {
      return failure("update: the If-Match version id is empty or holds a quote");
    }
    headers.emplace_back("If-Match", "W/\"" + std::string(version) + "\"");
  }
  return send("PUT", *type_segment + "/" + *id_segment, std::move(resource), std::move(headers));
}

FhirResult FhirClient::conditional_update(std::string_view type, std::string_view condition,
                                          std::string resource) {
  const auto type_segment = segment(type);
  if (!type_segment) return failure("update: empty resource type");
  condition = without_question_mark(condition);
  if (condition.empty()) return failure("update: empty condition");
  return send("PUT", *type_segment + "?" + std::string(condition), std::move(resource));
}

FhirResult FhirClient::transaction(std::string bundle) {
  return send("POST", "", std::move(bundle));
}

FhirResult FhirClient::batch(std::string bundle) {
  return send("POST", "", std::move(bundle));
}

FhirResult FhirClient::send(std::string_view method, std::string_view relative_url,
                            std::string body, Headers extra_headers) {
  if (!usable_in_url(relative_url)) {
    return failure("the URL holds a space or control character (encode it)");
  }
  std::string url = base_url_;
  if (!relative_url.empty()) {
    if (!relative_url.starts_with('/') && !relative_url.starts_with('?')) url += '/';
    url += relative_url;
  }
  return send_to_url(method, std::move(url), std::move(body), std::move(extra_headers));
}

FhirResult FhirClient::send_to_url(std::string_view method, std::string url, std::string body,
                                   Headers extra_headers) {
  for (const auto& [name, value] : extra_headers) {
    if (!text::is_token(name) || text::has_line_break(value)) {
      return failure("header \"" + (text::is_token(name) ? name : std::string("?")) +
                     "\" has an invalid name or a line break in its value");
    }
  }
  HttpRequest request;
  request.method = std::string(method);
  request.url = std::move(url);
  request.body = std::move(body);
  // The caller's headers win over the defaults of the same name.
  request.headers = std::move(extra_headers);
  if (!has_header(request.headers, "Accept")) request.headers.emplace_back("Accept", kFhirJson);
  if (!request.body.empty() && !has_header(request.headers, "Content-Type")) {
    request.headers.emplace_back("Content-Type", kFhirJsonBody);
  }
  std::size_t authorization_index = request.headers.size();
  if (authorizer_ != nullptr) {
    auto authorization = authorizer_->authorization(false);
    if (!authorization) return auth_failure(authorization.problems());
    request.headers.emplace_back("Authorization", std::move(authorization).value());
  }

  HttpResult result = http_->send(request);
  const auto* first = std::get_if<HttpResponse>(&result);
  if (first != nullptr && first->status == 401 && authorizer_ != nullptr) {
    // The token may have been revoked or expired early: one new token, one more try.
    auto authorization = authorizer_->authorization(true);
    if (!authorization) return auth_failure(authorization.problems());
    request.headers[authorization_index].second = std::move(authorization).value();
    result = http_->send(request);
  }
  if (auto* transport = std::get_if<TransportError>(&result)) {
    return FhirFailure{std::move(*transport), false};
  }
  return to_fhir_response(std::get<HttpResponse>(std::move(result)));
}

}  // namespace adapter::deliver
