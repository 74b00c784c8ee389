// Stage: consent. Enforcement on outgoing Bundles: every element that discloses something
// about the patient to a relative (mappings/consent-disclosures.json: FHIRPath says when,
// for what purpose and which data; a plain element path says where the relative is named)
// is put to the engine. What is not permitted is removed, with a warning saying what and
// why; the patient's minor children and siblings get a Task to assess their information
// needs (hpl § 10a); every decision becomes an AuditEvent (IHE BALP AuthZ-Consent style).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/consent/directive.h"
#include "adapter/consent/engine.h"
#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"

namespace adapter::consent {

struct Enforced {
  std::string bundle;       // what may be sent (the input unchanged when nothing was removed)
  bool changed = false;     // something was removed or added
  std::size_t removed = 0;  // disclosures taken out
  fhir::Outcome warnings;   // one per removal, with the rule and its legal basis
  std::vector<Decision> decisions;
  std::vector<std::string> audit_events;  // AuditEvent JSON, one per decision
};

struct EnforceOptions {
  Instant time{};
  std::chrono::minutes offset{0};
  std::string recorded;  // AuditEvent.recorded (the wall clock, even when time is replayed)
  std::string stage;     // "send" or "deliver", for the audit trail
};

class Enforcer {
 public:
  // Reads and compiles the disclosure rules; `model` must outlive the Enforcer.
  static fhir::Result<Enforcer> load(const std::string& path, const fhir::Model& model);
  Enforcer(Enforcer&&) noexcept;
  Enforcer& operator=(Enforcer&&) noexcept;
  ~Enforcer();

  // Whether the Bundle could disclose anything to a relative at all (names a RelatedPerson):
  // the others pass untouched without being parsed.
  static bool may_disclose(std::string_view bundle_text);

  // Thread-safe (a fresh evaluator per call). `bundle` is `bundle_text` already parsed:
  // FHIRPath reads the one, the removals edit a copy of the other.
  fhir::Result<Enforced> enforce(const fhir::JsonValue& bundle, std::string_view bundle_text,
                                 const std::vector<Directive>& directives,
                                 const EnforceOptions& options) const;

  struct Impl;

 private:
  explicit Enforcer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The identifiers ("system|value") of the Bundle's first Patient: the keys to the store.
std::vector<std::string> patient_keys(const fhir::JsonValue& bundle);

// A batch Bundle that creates the AuditEvents (each PUT to an id derived from its content,
// so a resend creates nothing new).
std::string audit_bundle(const std::vector<std::string>& audit_events);

}  // namespace adapter::consent
