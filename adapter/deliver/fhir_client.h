// A FHIR R4 REST client over HttpClient: the interactions the adapter needs, nothing more.
// Version ids are opaque strings (servers use numbers, UUIDs or anything else).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapter/deliver/auth.h"
#include "adapter/deliver/http.h"

namespace adapter::deliver {

struct FhirResponse {
  long status = 0;
  std::string body;        // the resource, Bundle or OperationOutcome as received
  std::string version_id;  // from ETag W/"<vid>" (or meta.versionId); empty if none
  std::string location;    // Location / Content-Location header; empty if none
  std::optional<std::chrono::milliseconds> retry_after;  // on 429/503, from Retry-After
  // When the body is an OperationOutcome: its issues, one "severity code: diagnostics/text
  // (expression)" line each, for operators and dead letters.
  std::vector<std::string> outcome_lines;
};

// A transport failure, or the authorizer could not get a token (`auth` set).
struct FhirFailure {
  TransportError transport;
  bool auth = false;
};

using FhirResult = std::variant<FhirResponse, FhirFailure>;

class FhirClient {
 public:
  // base_url without trailing slash, e.g. "https://fhir.example.no/fhir". `http` and
  // `authorizer` (may be null: no Authorization header) are borrowed and must outlive this.
  FhirClient(std::string base_url, HttpClient& http, Authorizer* authorizer);

  FhirResult capabilities();                                    // GET metadata
  FhirResult read(std::string_view type, std::string_view id);  // GET Type/id
  FhirResult vread(std::string_view type, std::string_view id, std::string_view version_id);
  // GET Type?query, then every Bundle.link "next" (at most max_pages); each page's body.
  // A non-2xx page ends the search as the last element. A next link to another scheme, host
  // or port is a failure: our Authorization header is never sent to a server we were not
  // configured for.
  std::variant<std::vector<FhirResponse>, FhirFailure> search(std::string_view type,
                                                              std::string_view query,
                                                              int max_pages = 100);
  FhirResult create(std::string_view type, std::string resource);
  // POST with If-None-Exist: `condition` is a query such as "identifier=sys|val".
  FhirResult create_if_none_exist(std::string_view type, std::string resource,
                                  std::string_view condition);
  // PUT Type/id; If-Match: W/"<if_match>" when given.
  FhirResult update(std::string_view type, std::string_view id, std::string resource,
                    std::optional<std::string_view> if_match = std::nullopt);
  FhirResult conditional_update(std::string_view type, std::string_view condition,
                                std::string resource);
  // POST a transaction or batch Bundle to the base.
  FhirResult transaction(std::string bundle);
  FhirResult batch(std::string bundle);

  // Sends one request relative to the base ("Patient?identifier=…"), with the FHIR
  // headers and authorisation added; the building block of everything above. A 401 answer
  // with an authorizer: authorization(true) once and the request sent once more. A space or
  // control character in the URL, or a line break in a header value, fails without sending.
  FhirResult send(std::string_view method, std::string_view relative_url, std::string body = {},
                  Headers extra_headers = {});

  const std::string& base_url() const { return base_url_; }

 private:
  // send() with an absolute URL: search uses it for the server's "next" links.
  FhirResult send_to_url(std::string_view method, std::string url, std::string body,
                         Headers extra_headers);

  std::string base_url_;
  HttpClient* http_;
  Authorizer* authorizer_;
};

}  // namespace adapter::deliver
