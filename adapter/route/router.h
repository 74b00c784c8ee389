// Stage: route. Decides which configured FHIR server(s) a mapped Bundle goes to, from the
// routing rules of the configuration (FHIRPath over the Bundle), and the key that keeps
// one patient's messages in order.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/config/config.h"
#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"

namespace adapter::route {

class Router {
 public:
  // Compiles every rule's expressions against the R4 model (`model` must outlive the
  // Router); a broken expression is reported with its rule's pointer (/routes/N/when).
  static fhir::Result<Router> create(const config::Config& config, const fhir::Model& model);

  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;
  ~Router();

  // The endpoint ids (configuration order, no repeats) for a Bundle of document kind
  // `kind` ("bundle" for FHIR input). A municipality number or HER-id that no endpoint
  // serves, or a Bundle no rule sends anywhere, is an error naming the rule: never a drop.
  // Not thread-safe (one evaluator); use one Router per thread.
  fhir::Result<std::vector<std::string>> route(const fhir::JsonValue& bundle,
                                               std::string_view kind);

  struct Impl;

 private:
  explicit Router(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Messages with the same key are delivered in order: "patient:" + a SHA-256 of the first
// Patient's first identifier (system|value), so no person number is stored in clear as a
// key; "bundle" when the Bundle has no Patient with an identifier.
std::string ordering_key(const fhir::JsonValue& bundle);

}  // namespace adapter::route
