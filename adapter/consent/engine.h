// Stage: consent. The decision engine: may this information about the patient go to this
// recipient, for this purpose, at this time, given the patient's Consent directives and
// Norwegian law (pasient- og brukerrettighetsloven §§ 3-3, 3-4, 3-6; helsepersonelloven
// §§ 10a, 21, 22)? Rules are tried in the order of rules(); the first that applies decides.
// docs/consent.md holds the same table and the cases the tests run.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/consent/directive.h"
#include "adapter/fhir/json.h"
#include "adapter/fhir/outcome.h"

namespace adapter::consent {

enum class Verdict { permit, deny, general_information_only };
std::string_view to_string(Verdict verdict);

struct Recipient {
  enum class Kind { relative, agency };
  Kind kind = Kind::relative;
  // Relatives: mother, father, co-mother, parent, child, sibling, spouse-or-registered-partner,
  // cohabitant, partner, grandparent, foster-parent, step-parent, guardian, other-family,
  // other.
  std::string relationship;
  std::optional<bool> parental_responsibility;            // for the patient; unknown when absent
  bool nearest_relative = false;                          // pbrl § 1-3 b, as named by the patient
  std::optional<std::chrono::year_month_day> birth_date;  // needed for children, siblings
  // Agencies: a consent-actor-role code (general-practitioner, municipal-coordinator,
  // coordinating-unit, referrer, nav, child-welfare, cooperating-personnel, …).
  std::string role;
  bool municipal = false;  // a municipal service: statutory notices may go to it
  // How provisions name the recipient: its reference and identifiers ("system|value").
  std::string reference;
  std::vector<std::string> identifiers;
};

struct Request {
  std::optional<std::chrono::year_month_day> patient_birth_date;  // else from the identifier
  std::string patient_identifier;  // FNR or D-number: the birth date it encodes
  Recipient recipient;
  std::string purpose;                  // purposes() code
  std::vector<std::string> categories;  // data_categories() codes; empty: not stated
  Instant time{};
  std::chrono::minutes time_offset{0};  // whole-day periods are read in this offset
  std::vector<Directive> directives;
  fhir::Outcome problems;  // found while building the request: each makes it undecidable
};

struct Obligation {
  std::string code;
  std::string description;
  std::string legal_basis;
};

// What happened to each directive: used, or why not (withdrawn, expired, …).
struct Considered {
  std::string consent;
  std::string status;  // in-force, withdrawn, expired, not-yet-valid, inactive, rejected, …
  std::string note;
};

struct Decision {
  Verdict verdict = Verdict::deny;
  std::string rule;
  std::string legal_basis;
  std::string reason;
  std::string consent;    // the directive whose provision decided, if one did
  std::string provision;  // "Consent.provision.provision[0]"
  std::vector<std::pair<std::string, Verdict>> categories;
  std::vector<Obligation> obligations;
  std::vector<Considered> considered;
  fhir::Outcome issues;  // why the request could not be decided, and warnings
  int patient_age = -1;
};

struct Rule {
  std::string_view id;
  Verdict verdict;
  std::string_view when;
  std::string_view legal_basis;
};

std::span<const Rule> rules();
std::span<const std::string_view> purposes();
std::span<const std::string_view> data_categories();
std::span<const std::string_view> relationships();

Decision decide(const Request& request);

// Whole years from `birth` to the day of `time` (read in `offset`).
int age_at(std::chrono::year_month_day birth, Instant time, std::chrono::minutes offset);

// The request of `fhir-adapter consent decide` (docs/consent.md): every problem, with its
// location, ends up in Request::problems, so the answer is a reported denial.
Request read_request(const fhir::JsonValue& json);

// The answer as JSON (one object).
std::string to_json(const Decision& decision, bool pretty = false);

}  // namespace adapter::consent
