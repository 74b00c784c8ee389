// The JSON form of a decision request and of its answer (docs/consent.md).
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "adapter/consent/engine.h"
#include "adapter/fhir/datetime.h"
#include "adapter/norway/identifier.h"

namespace adapter::consent {
namespace {

using fhir::IssueType;
using fhir::JsonValue;

std::optional<std::chrono::year_month_day> date(const JsonValue* value, const std::string& where,
                                                fhir::Outcome& problems) {
  if (value == nullptr) return std::nullopt;
  auto parsed = value->is_string() ? fhir::parse_full_date(value->as_string()) : std::nullopt;
  if (!parsed) problems.error(IssueType::invalid, where, "not a date (YYYY-MM-DD)");
  return parsed;
}

std::optional<bool> flag(const JsonValue* value, const std::string& where,
                         fhir::Outcome& problems) {
  if (value == nullptr) return std::nullopt;
  if (!value->is_bool()) {
    problems.error(IssueType::invalid, where, "not true or false");
    return std::nullopt;
  }
  return value->as_bool();
}

void read_identifiers(const JsonValue& party, const std::string& where, Recipient& recipient,
                      fhir::Outcome& problems) {
  recipient.reference = text_of(party.find("reference"));
  if (const auto* list = party.find("identifiers")) {
    std::size_t index = 0;
    for (const auto& item : list->items()) {
      if (!item.is_string() || item.as_string().find('|') == std::string_view::npos) {
        problems.error(IssueType::invalid, where + ".identifiers[" + std::to_string(index) + "]",
                       "identifiers are \"system|value\"");
      } else {
        recipient.identifiers.emplace_back(item.as_string());
      }
      ++index;
    }
  }
}

void add_object(const JsonValue& item, BundleIndex& index, std::vector<const JsonValue*>& found) {
  const std::string type = text_of(item.find("resourceType"));
  if (type == "Consent") {
    found.push_back(&item);
  } else if (type == "Bundle") {
    if (const auto* entries = item.find("entry")) {
      for (const auto& entry : entries->items()) {
        if (const auto* resource = entry.find("resource")) {
          index.add_resource(*resource, text_of(entry.find("fullUrl")));
          add_object(*resource, index, found);
        }
      }
    }
  } else {
    index.add_resource(item);
  }
}

template <class Writer>
void write_string(Writer& writer, std::string_view name, std::string_view value) {
  writer.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

template <class Writer>
void write_decision(Writer& w, const Decision& decision) {
  w.StartObject();
  write_string(w, "decision", to_string(decision.verdict));
  write_string(w, "rule", decision.rule);
  write_string(w, "legalBasis", decision.legal_basis);
  write_string(w, "reason", decision.reason);
  if (decision.patient_age >= 0) {
    w.Key("patientAge");
    w.Int(decision.patient_age);
  }
  if (!decision.consent.empty()) write_string(w, "consent", decision.consent);
  if (!decision.provision.empty()) write_string(w, "provision", decision.provision);
  if (!decision.categories.empty()) {
    w.Key("dataCategories");
    w.StartObject();
    for (const auto& [category, verdict] : decision.categories) {
      write_string(w, category, to_string(verdict));
    }
    w.EndObject();
  }
  w.Key("obligations");
  w.StartArray();
  for (const auto& obligation : decision.obligations) {
    w.StartObject();
    write_string(w, "code", obligation.code);
    write_string(w, "description", obligation.description);
    write_string(w, "legalBasis", obligation.legal_basis);
    w.EndObject();
  }
  w.EndArray();
  w.Key("considered");
  w.StartArray();
  for (const auto& entry : decision.considered) {
    w.StartObject();
    write_string(w, "consent", entry.consent);
    write_string(w, "status", entry.status);
    if (!entry.note.empty()) write_string(w, "note", entry.note);
    w.EndObject();
  }
  w.EndArray();
  if (!decision.issues.empty()) {
    const std::string outcome = decision.issues.to_json(false);
    w.Key("issues");
    w.RawValue(outcome.data(), outcome.size(), rapidjson::kObjectType);
  }
  w.EndObject();
}

}  // namespace

Request read_request(const JsonValue& json) {
  Request request;
  fhir::Outcome& problems = request.problems;
  if (!json.is_object()) {
    problems.error(IssueType::structure, "", "a decision request is a JSON object");
    return request;
  }
  for (const auto& member : json.members()) {
    const std::string_view key = member.key;
    if (key != "patient" && key != "recipient" && key != "purpose" && key != "dataCategories" &&
        key != "time" && key != "consents") {
      problems.error(IssueType::structure, std::string(key), "unknown member");
    }
  }
  if (const auto* patient = json.find("patient")) {
    request.patient_birth_date = date(patient->find("birthDate"), "patient.birthDate", problems);
    request.patient_identifier = text_of(patient->find("identifier"));
  } else {
    problems.error(IssueType::required, "patient", "the request must name the patient");
  }
  const auto* recipient = json.find("recipient");
  const JsonValue* relative = recipient != nullptr ? recipient->find("relative") : nullptr;
  const JsonValue* agency = recipient != nullptr ? recipient->find("agency") : nullptr;
  if ((relative == nullptr) == (agency == nullptr)) {
    problems.error(IssueType::required, "recipient",
                   "the recipient is exactly one of {\"relative\": …} or {\"agency\": …}");
  } else if (relative != nullptr) {
    Recipient& r = request.recipient;
    r.kind = Recipient::Kind::relative;
    r.relationship = text_of(relative->find("relationship"));
    r.parental_responsibility = flag(relative->find("parentalResponsibility"),
                                     "recipient.relative.parentalResponsibility", problems);
    r.nearest_relative =
        flag(relative->find("nearestRelative"), "recipient.relative.nearestRelative", problems)
            .value_or(false);
    r.birth_date = date(relative->find("birthDate"), "recipient.relative.birthDate", problems);
    read_identifiers(*relative, "recipient.relative", r, problems);
    if (const std::string fnr = text_of(relative->find("identifier")); !fnr.empty()) {
      r.identifiers.push_back(std::string(norway::kFnrSystem) + "|" + fnr);
      if (!request.patient_identifier.empty()) {
        r.identifiers.push_back(std::string(kRelatedPersonSystem) + "|" +
                                request.patient_identifier + ":" + fnr);
      }
    }
  } else {
    Recipient& r = request.recipient;
    r.kind = Recipient::Kind::agency;
    r.role = text_of(agency->find("role"));
    r.municipal =
        flag(agency->find("municipal"), "recipient.agency.municipal", problems).value_or(false);
    read_identifiers(*agency, "recipient.agency", r, problems);
  }
  request.purpose = text_of(json.find("purpose"));
  if (request.purpose.empty()) problems.error(IssueType::required, "purpose", "no purpose");
  if (const auto* categories = json.find("dataCategories")) {
    for (const auto& item : categories->items())
      request.categories.emplace_back(text_of(&item));
  }
  const std::string time = text_of(json.find("time"));
  if (auto parsed = fhir::parse_date_time(time)) {
    request.time = parsed->utc;
    request.time_offset = parsed->offset;
  } else {
    problems.error(IssueType::required, "time",
                   "the time of the disclosure, as a dateTime with a time zone, is required");
  }
  if (const auto* consents = json.find("consents")) {
    BundleIndex index;
    std::vector<const JsonValue*> found;
    for (const auto& item : consents->items())
      add_object(item, index, found);
    const auto resolve = index.resolver();
    for (std::size_t i = 0; i < found.size(); ++i) {
      auto directive = read_directive(*found[i], resolve);
      if (!directive) {
        problems.merge(directive.problems(), "consents[" + std::to_string(i) + "].");
      } else {
        request.directives.push_back(std::move(*directive));
      }
    }
  }
  return request;
}

std::string to_json(const Decision& decision, bool pretty) {
  rapidjson::StringBuffer buffer;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    write_decision(writer, decision);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    write_decision(writer, decision);
  }
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace adapter::consent
