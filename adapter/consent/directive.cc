#include "adapter/consent/directive.h"

#include <algorithm>
#include <charconv>

#include "adapter/fhir/datetime.h"

namespace adapter::consent {
namespace {

using fhir::IssueType;
using fhir::JsonValue;
using fhir::Outcome;
namespace chr = std::chrono;

std::optional<int> number(std::string_view digits) {
  int value = 0;
  const auto* end = digits.data() + digits.size();
  auto [ptr, error] = std::from_chars(digits.data(), end, value);
  if (error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The first instant a (possibly partial) date or dateTime covers, and the first instant
// after it; partial dates are read in `offset`.
std::optional<std::pair<Instant, Instant>> span_of(std::string_view value, chr::minutes offset) {
  if (value.size() > 10) {
    auto parsed = fhir::parse_date_time(value);
    if (!parsed) return std::nullopt;
    return std::pair{parsed->utc, parsed->utc + chr::milliseconds(1)};
  }
  if (value.size() != 4 && value.size() != 7 && value.size() != 10) return std::nullopt;
  auto year = number(value.substr(0, 4));
  std::optional<int> month = value.size() >= 7 ? number(value.substr(5, 2)) : 1;
  std::optional<int> day = value.size() == 10 ? number(value.substr(8, 2)) : 1;
  if (!year || !month || !day) return std::nullopt;
  const chr::year_month_day first{chr::year(*year), chr::month(static_cast<unsigned>(*month)),
                                  chr::day(static_cast<unsigned>(*day))};
  if (!first.ok()) return std::nullopt;
  chr::sys_days after;
  if (value.size() == 4) {
    after = chr::sys_days(chr::year_month_day{chr::year(*year + 1), chr::January, chr::day(1)});
  } else if (value.size() == 7) {
    after = chr::sys_days(first + chr::months(1));
  } else {
    after = chr::sys_days(first) + chr::days(1);
  }
  const Instant begin = chr::time_point_cast<chr::milliseconds>(chr::sys_days(first)) - offset;
  const Instant end = chr::time_point_cast<chr::milliseconds>(after) - offset;
  return std::pair{begin, end};
}

std::vector<std::string> codes_of(const JsonValue* codings, std::string_view system) {
  std::vector<std::string> codes;
  if (codings == nullptr) return codes;
  for (const auto& coding : codings->items()) {
    if (text_of(coding.find("system")) == system) codes.push_back(text_of(coding.find("code")));
  }
  return codes;
}

Actor read_reference(const JsonValue* reference, const ResolveReference& resolve) {
  Actor actor;
  if (reference == nullptr) return actor;
  actor.reference = text_of(reference->find("reference"));
  if (const auto* identifier = reference->find("identifier")) {
    const std::string system = text_of(identifier->find("system"));
    const std::string value = text_of(identifier->find("value"));
    if (!value.empty()) actor.identifiers.push_back(system + "|" + value);
  }
  if (!actor.reference.empty() && resolve) {
    for (auto& identifier : resolve(actor.reference))
      actor.identifiers.push_back(identifier);
  }
  return actor;
}

void read_provision(const JsonValue& json, const std::string& location, bool root,
                    const ResolveReference& resolve, Provision& out, Outcome& problems, int depth) {
  if (depth > 8) {
    problems.error(IssueType::too_costly, location, "provisions nested deeper than 8 levels");
    return;
  }
  out.type = text_of(json.find("type"));
  if (root && out.type.empty()) {
    problems.error(IssueType::required, location + ".type",
                   "the root provision must say permit or deny");
  } else if (!out.type.empty() && out.type != "permit" && out.type != "deny") {
    problems.error(IssueType::code_invalid, location + ".type",
                   "provision type \"" + out.type + "\" is neither permit nor deny");
  }
  if (const auto* period = json.find("period")) {
    out.period = Period{text_of(period->find("start")), text_of(period->find("end"))};
  }
  if (const auto* actors = json.find("actor")) {
    for (const auto& item : actors->items()) {
      Actor actor = read_reference(item.find("reference"), resolve);
      if (const auto* role = item.find("role")) {
        auto roles = codes_of(role->find("coding"), kActorRoleSystem);
        if (!roles.empty()) actor.role = roles.front();
      }
      out.actors.push_back(std::move(actor));
    }
  }
  if (const auto* purposes = json.find("purpose")) {
    for (const auto& coding : purposes->items()) {
      if (text_of(coding.find("system")) == kPurposeSystem) {
        out.purposes.push_back(text_of(coding.find("code")));
      } else {
        // A purpose the engine does not know still narrows the provision: keep it, so it
        // matches nothing rather than everything.
        out.purposes.push_back(text_of(coding.find("system")) + "|" + text_of(coding.find("code")));
      }
    }
  }
  if (const auto* classes = json.find("class")) {
    for (const auto& coding : classes->items()) {
      if (text_of(coding.find("system")) == kCategorySystem) {
        out.categories.push_back(text_of(coding.find("code")));
      } else {
        out.categories.push_back(text_of(coding.find("system")) + "|" +
                                 text_of(coding.find("code")));
      }
    }
  }
  if (const auto* nested = json.find("provision")) {
    std::size_t index = 0;
    for (const auto& child : nested->items()) {
      Provision provision;
      read_provision(child, location + ".provision[" + std::to_string(index++) + "]", false,
                     resolve, provision, problems, depth + 1);
      out.provisions.push_back(std::move(provision));
    }
  }
}

}  // namespace

bool Period::contains(Instant time, chr::minutes offset) const {
  if (!start.empty()) {
    auto span = span_of(start, offset);
    if (!span || time < span->first) return false;
  }
  if (!end.empty()) {
    auto span = span_of(end, offset);
    if (!span || time >= span->second) return false;
  }
  return true;
}

std::vector<std::string> identifiers_of(const JsonValue& resource) {
  std::vector<std::string> out;
  const auto* identifiers = resource.find("identifier");
  if (identifiers == nullptr) return out;
  auto add = [&](const JsonValue& identifier) {
    const std::string value = text_of(identifier.find("value"));
    if (!value.empty()) out.push_back(text_of(identifier.find("system")) + "|" + value);
  };
  if (identifiers->is_array()) {
    for (const auto& identifier : identifiers->items())
      add(identifier);
  } else if (identifiers->is_object()) {
    add(*identifiers);
  }
  return out;
}

fhir::Result<Directive> read_directive(const JsonValue& consent, const ResolveReference& resolve) {
  Outcome problems;
  if (text_of(consent.find("resourceType")) != "Consent") {
    return Outcome::of(fhir::Severity::error, IssueType::invalid, "not a Consent resource",
                       "Consent");
  }
  Directive directive;
  for (const auto& identifier : identifiers_of(consent)) {
    if (identifier.starts_with(std::string(kConsentIdSystem) + "|")) {
      directive.id = identifier.substr(kConsentIdSystem.size() + 1);
    }
  }
  if (directive.id.empty()) directive.id = text_of(consent.find("id"));
  if (directive.id.empty()) {
    problems.error(IssueType::required, "Consent.identifier",
                   "a Consent needs a consent-id identifier or an id to be referred to");
  }
  directive.status = text_of(consent.find("status"));
  if (directive.status.empty()) {
    problems.error(IssueType::required, "Consent.status", "a Consent without a status");
  }
  directive.date_time = text_of(consent.find("dateTime"));
  if (const auto* policy = consent.find("policyRule")) {
    auto codes =
        codes_of(policy->find("coding"), std::string(kCanonical) + "/CodeSystem/consent-policy");
    if (!codes.empty()) directive.policy = codes.front();
  }
  if (const auto* extensions = consent.find("extension")) {
    for (const auto& extension : extensions->items()) {
      const std::string url = text_of(extension.find("url"));
      if (url == std::string(kCanonical) + "/StructureDefinition/consent-withdraws") {
        if (const auto* reference = extension.find("valueReference")) {
          if (const auto* identifier = reference->find("identifier")) {
            directive.withdraws = text_of(identifier->find("value"));
          }
        }
        if (directive.withdraws.empty()) {
          problems.error(IssueType::required, "Consent.extension('consent-withdraws')",
                         "a withdrawal that does not name the consent-id it withdraws");
        }
      } else if (url == std::string(kCanonical) + "/StructureDefinition/minor-refusal") {
        MinorRefusal refusal;
        if (const auto* parts = extension.find("extension")) {
          for (const auto& part : parts->items()) {
            const std::string name = text_of(part.find("url"));
            const auto* flag = part.find("valueBoolean");
            if (name == "refusesInformingParents" && flag) refusal.refuses = flag->as_bool();
            if (name == "reasonsRespected" && flag) refusal.reasons_respected = flag->as_bool();
            if (name == "weightyConsiderations" && flag) {
              refusal.weighty_considerations = flag->as_bool();
            }
            if (name == "parent") {
              refusal.parents.push_back(read_reference(part.find("valueReference"), resolve));
            }
            if (name == "restrictionCode") {
              if (const auto* coding = part.find("valueCoding")) {
                refusal.restriction_code = text_of(coding->find("code"));
              }
            }
          }
        }
        directive.minor_refusal = std::move(refusal);
      }
    }
  }
  if (const auto* provision = consent.find("provision")) {
    read_provision(*provision, "Consent.provision", true, resolve, directive.root, problems, 0);
  } else if (directive.status == "active") {
    problems.error(IssueType::required, "Consent.provision",
                   "an active Consent without provisions says nothing the engine can apply");
  }
  if (problems.has_errors()) return problems;
  return directive;
}

void BundleIndex::add_resource(const JsonValue& resource, std::string_view full_url) {
  std::vector<std::string> identifiers = identifiers_of(resource);
  if (!full_url.empty()) entries_.emplace_back(std::string(full_url), identifiers);
  const std::string type = text_of(resource.find("resourceType"));
  const std::string id = text_of(resource.find("id"));
  if (!type.empty() && !id.empty()) entries_.emplace_back(type + "/" + id, identifiers);
}

void BundleIndex::add_bundle(const JsonValue& bundle) {
  const auto* entries = bundle.find("entry");
  if (entries == nullptr) return;
  for (const auto& entry : entries->items()) {
    const auto* resource = entry.find("resource");
    if (resource == nullptr) continue;
    add_resource(*resource, text_of(entry.find("fullUrl")));
    if (text_of(resource->find("resourceType")) == "Bundle") add_bundle(*resource);
  }
}

std::vector<std::string> BundleIndex::identifiers(std::string_view reference) const {
  for (const auto& [key, identifiers] : entries_) {
    if (key == reference) return identifiers;
  }
  // "https://server/fhir/RelatedPerson/7" and "RelatedPerson/7" name the same resource.
  for (const auto& [key, identifiers] : entries_) {
    if (reference.size() > key.size() && reference.ends_with(key) &&
        reference[reference.size() - key.size() - 1] == '/') {
      return identifiers;
    }
  }
  return {};
}

ResolveReference BundleIndex::resolver() const {
  return [this](std::string_view reference) { return identifiers(reference); };
}

}  // namespace adapter::consent
