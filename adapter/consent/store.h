// Stage: consent. The adapter's own record of the patients' consent directives (from
// consent-directive documents it sent, or imported from a server) and of every consent
// decision it made (AuditEvents). SQLite, mode 0600; one ConsentStore per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapter/consent/directive.h"
#include "adapter/fhir/json.h"
#include "adapter/fhir/outcome.h"

namespace adapter::consent {

struct StoredAudit {
  std::int64_t id = 0;
  std::string recorded;  // the AuditEvent's recorded time
  std::string json;      // the AuditEvent
};

class ConsentStore {
 public:
  static fhir::Result<ConsentStore> open(const std::string& path);
  ConsentStore(ConsentStore&&) noexcept;
  ConsentStore& operator=(ConsentStore&&) noexcept;
  ~ConsentStore();

  // Keeps every Consent of a Bundle (or a lone Consent) under the identifiers of the
  // patient it is about; references to RelatedPersons in the Bundle are kept with those
  // resources' identifiers, so that later documents can name the same people. A new
  // version of a consent-id replaces the old. Returns how many were kept; a Consent that
  // cannot be read is an error and nothing is kept.
  fhir::Result<std::size_t> add(const fhir::JsonValue& bundle_or_consent);

  // The directives on record for a patient, by any of the patient's identifiers
  // ("system|value").
  fhir::Result<std::vector<Directive>> directives(const std::vector<std::string>& patient_keys);

  fhir::Result<std::int64_t> add_audit(const std::string& recorded, const std::string& json);
  fhir::Result<std::vector<StoredAudit>> audits(std::size_t limit);

  struct Impl;

 private:
  explicit ConsentStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace adapter::consent
