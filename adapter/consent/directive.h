// Stage: consent. A FHIR Consent (scope patient-privacy) read into the form the engine
// evaluates: nested provisions with their actors, purposes, data classes and periods, the
// directive it withdraws, and a minor's refusal to have the parents informed.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/outcome.h"

namespace adapter::consent {

using Instant = std::chrono::sys_time<std::chrono::milliseconds>;

inline constexpr std::string_view kCanonical = "https://fhir.tsb-adapter.no";
inline constexpr std::string_view kActorRoleSystem =
    "https://fhir.tsb-adapter.no/CodeSystem/consent-actor-role";
inline constexpr std::string_view kPurposeSystem =
    "https://fhir.tsb-adapter.no/CodeSystem/consent-purpose";
inline constexpr std::string_view kCategorySystem =
    "https://fhir.tsb-adapter.no/CodeSystem/consent-data-category";
inline constexpr std::string_view kConsentIdSystem =
    "https://fhir.tsb-adapter.no/NamingSystem/consent-id";
inline constexpr std::string_view kRelatedPersonSystem =
    "https://fhir.tsb-adapter.no/NamingSystem/related-person";

// A period with either end open. Dates without a time cover the whole day, in the offset
// of the time the question is asked at.
struct Period {
  std::string start;  // as written: date or dateTime; empty = open
  std::string end;
  bool contains(Instant time, std::chrono::minutes offset) const;
};

// Who a provision is about: a role (consent-actor-role code) or a referenced party,
// known by its reference and, where the Bundle or server gave them, its identifiers.
struct Actor {
  std::string role;                      // consent-actor-role code; empty for a party
  std::string reference;                 // as written ("urn:uuid:…", "RelatedPerson/7")
  std::vector<std::string> identifiers;  // "system|value" of the referenced resource
};

struct Provision {
  std::string type;  // "permit" or "deny"; empty inherits the enclosing provision's
  std::optional<Period> period;
  std::vector<Actor> actors;            // empty: anyone
  std::vector<std::string> purposes;    // consent-purpose codes; empty: any purpose
  std::vector<std::string> categories;  // consent-data-category codes; empty: all data
  std::vector<Provision> provisions;    // exceptions
  bool has_filters() const { return !actors.empty() || !purposes.empty() || !categories.empty(); }
};

// pbrl § 3-4: a patient aged 12–16 refusing information to the parents, or weighty
// considerations for the child (any age under 16).
struct MinorRefusal {
  bool refuses = false;
  bool reasons_respected = false;
  bool weighty_considerations = false;
  std::vector<Actor> parents;    // empty: every parent with responsibility
  std::string restriction_code;  // Volven 9603, e.g. NORN_UNGDOM, NORN_FORANS
};

struct Directive {
  std::string id;      // the consent-id identifier's value, else Consent.id
  std::string status;  // draft | proposed | active | rejected | inactive | entered-in-error
  std::string date_time;
  std::string withdraws;  // consent-id this directive withdraws (consent-withdraws)
  std::string policy;     // policyRule code
  Provision root;
  std::optional<MinorRefusal> minor_refusal;
};

// The identifiers ("system|value") of the resource a reference points to, when the caller
// can tell (a Bundle's RelatedPerson entries); an empty list otherwise.
using ResolveReference = std::function<std::vector<std::string>(std::string_view reference)>;

// Reads a Consent resource. Anything the engine would have to guess at (no status, no
// provision type at the root, an unknown provision type) is an error, because a directive
// read wrongly is worse than one refused.
fhir::Result<Directive> read_directive(const fhir::JsonValue& consent,
                                       const ResolveReference& resolve = {});

// Resolution within a Bundle: by fullUrl and by "Type/id"; identifiers of the target.
class BundleIndex {
 public:
  void add_bundle(const fhir::JsonValue& bundle);
  void add_resource(const fhir::JsonValue& resource, std::string_view full_url = {});
  std::vector<std::string> identifiers(std::string_view reference) const;
  ResolveReference resolver() const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> entries_;
};

// A JSON string's text; empty for anything else or nothing.
inline std::string text_of(const fhir::JsonValue* value) {
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

// "system|value" for every identifier of a resource or Reference.identifier.
std::vector<std::string> identifiers_of(const fhir::JsonValue& resource);

}  // namespace adapter::consent
