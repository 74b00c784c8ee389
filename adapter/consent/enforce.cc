#include "adapter/consent/enforce.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <map>

#include "adapter/fhir/datetime.h"
#include "adapter/fhir/digest.h"
#include "adapter/fhirpath/expression.h"

namespace adapter::consent {
namespace {

using fhir::IssueType;
using fhir::JsonValue;
using fhir::Outcome;
namespace chr = std::chrono;

constexpr std::size_t kMaxRulesSize = 1 << 20;
constexpr std::string_view kObligationSystem =
    "https://fhir.tsb-adapter.no/NamingSystem/consent-obligation";

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    const auto dot = path.find('.');
    parts.emplace_back(path.substr(0, dot));
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  return parts;
}

struct Disclosure {
  std::string name;
  std::string pointer;  // in the rules file
  std::string resource;
  std::optional<fhirpath::Expression> when;
  std::vector<std::string> items;  // path to the array of disclosing elements; empty: the resource
  std::vector<std::string> reference;  // path from the item (or resource) to the Reference
  fhirpath::Expression purpose;
  std::optional<fhirpath::Expression> categories;
};

// The relationship code the engine uses, from a RelatedPerson's codings.
std::string relationship_of(const JsonValue& person) {
  static constexpr std::pair<std::string_view, std::string_view> kCodes[] = {
      {"mor", "mother"},           {"far", "father"},
      {"medmor", "co-mother"},     {"barn", "child"},
      {"søsken", "sibling"},       {"ektefelleEllerPartner", "spouse-or-registered-partner"},
      {"DOMPART", "cohabitant"},   {"SIGOTHR", "partner"},
      {"GRPRN", "grandparent"},    {"PRNFOST", "foster-parent"},
      {"STPPRN", "step-parent"},   {"GUARD", "guardian"},
      {"FAMMEMB", "other-family"}, {"MTH", "mother"},
      {"FTH", "father"},           {"CHILD", "child"},
      {"SIB", "sibling"},          {"SPS", "spouse-or-registered-partner"},
      {"PRN", "parent"},
  };
  if (const auto* relationships = person.find("relationship")) {
    for (const auto& concept_ : relationships->items()) {
      if (const auto* codings = concept_.find("coding")) {
        for (const auto& coding : codings->items()) {
          const std::string code = text_of(coding.find("code"));
          for (const auto& [from, to] : kCodes) {
            if (code == from) return std::string(to);
          }
        }
      }
    }
  }
  return "other";
}

// no-basis-parental-responsibility says who holds it; whether this relative does follows.
std::optional<bool> responsibility_of(const JsonValue& person, std::string_view relationship) {
  const auto* relationships = person.find("relationship");
  if (relationships == nullptr) return std::nullopt;
  for (const auto& concept_ : relationships->items()) {
    const auto* codings = concept_.find("coding");
    if (codings == nullptr) continue;
    for (const auto& coding : codings->items()) {
      if (!text_of(coding.find("system")).ends_with("no-basis-parental-responsibility")) continue;
      const std::string code = text_of(coding.find("code"));
      if (code == "ukjent") return std::nullopt;
      if (code == "felles") {
        return relationship == "mother" || relationship == "father" ||
               relationship == "co-mother" || relationship == "parent";
      }
      if (code == "mor") return relationship == "mother";
      if (code == "far") return relationship == "father";
      if (code == "medmor") return relationship == "co-mother";
      if (code == "andre") {
        return relationship == "guardian" || relationship == "foster-parent" ||
               relationship == "step-parent" || relationship == "other-family" ||
               relationship == "other";
      }
    }
  }
  return std::nullopt;
}

bool is_nearest(const JsonValue& person) {
  const auto* relationships = person.find("relationship");
  if (relationships == nullptr) return false;
  for (const auto& concept_ : relationships->items()) {
    if (const auto* codings = concept_.find("coding")) {
      for (const auto& coding : codings->items()) {
        if (text_of(coding.find("system")) == "http://terminology.hl7.org/CodeSystem/v2-0131" &&
            text_of(coding.find("code")) == "N") {
          return true;
        }
      }
    }
  }
  return false;
}

Recipient recipient_of(const JsonValue& person, std::string_view full_url) {
  Recipient recipient;
  recipient.kind = Recipient::Kind::relative;
  recipient.relationship = relationship_of(person);
  recipient.parental_responsibility = responsibility_of(person, recipient.relationship);
  recipient.nearest_relative = is_nearest(person);
  recipient.birth_date = fhir::parse_full_date(text_of(person.find("birthDate")));
  recipient.reference = std::string(full_url);
  recipient.identifiers = identifiers_of(person);
  return recipient;
}

// A logical reference for the audit trail: the identifier to prefer, or the display.
void write_identifier_reference(rapidjson::Writer<rapidjson::StringBuffer>& w,
                                const std::vector<std::string>& identifiers, std::string_view type,
                                std::string_view display) {
  w.StartObject();
  if (!type.empty()) {
    w.Key("type");
    w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  }
  std::string chosen;
  for (const auto& identifier : identifiers) {
    if (chosen.empty() || identifier.starts_with(std::string(kRelatedPersonSystem) + "|")) {
      chosen = identifier;
    }
  }
  if (!chosen.empty()) {
    const auto bar = chosen.find('|');
    w.Key("identifier");
    w.StartObject();
    w.Key("system");
    w.String(chosen.substr(0, bar).c_str());
    w.Key("value");
    w.String(chosen.substr(bar + 1).c_str());
    w.EndObject();
  }
  if (!display.empty()) {
    w.Key("display");
    w.String(display.data(), static_cast<rapidjson::SizeType>(display.size()));
  }
  w.EndObject();
}

void coding(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view system,
            std::string_view code, std::string_view display = {}) {
  w.StartObject();
  w.Key("system");
  w.String(system.data(), static_cast<rapidjson::SizeType>(system.size()));
  w.Key("code");
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  if (!display.empty()) {
    w.Key("display");
    w.String(display.data(), static_cast<rapidjson::SizeType>(display.size()));
  }
  w.EndObject();
}

// AuditEvent.entity.detail: name/value pairs, empty values left out.
void write_details(rapidjson::Writer<rapidjson::StringBuffer>& w,
                   std::initializer_list<std::pair<std::string, std::string>> details) {
  w.Key("detail");
  w.StartArray();
  for (const auto& [name, value] : details) {
    if (value.empty()) continue;
    w.StartObject();
    w.Key("type");
    w.String(name.c_str());
    w.Key("valueString");
    w.String(value.c_str());
    w.EndObject();
  }
  w.EndArray();
}

struct Subject {
  std::string type;
  std::vector<std::string> identifiers;
  std::string what;  // "Task owner", "CareTeam participant", for people
};

std::string audit_event(const Decision& decision, const Request& request,
                        const std::vector<std::string>& patient_identifiers, const Subject& subject,
                        const EnforceOptions& options) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("resourceType");
  w.String("AuditEvent");
  w.Key("meta");
  w.StartObject();
  w.Key("security");
  w.StartArray();
  coding(w, "http://terminology.hl7.org/CodeSystem/v3-ActCode", "ETH",
         "substance abuse information sensitivity");
  w.EndArray();
  w.EndObject();
  w.Key("type");
  coding(w, "http://dicom.nema.org/resources/ontology/DCM", "110113", "Security Alert");
  w.Key("subtype");
  w.StartArray();
  coding(w, "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType", "AuthZ-Consent",
         "Authorization Decision using Roles and Consent");
  w.EndArray();
  w.Key("action");
  w.String("E");
  w.Key("recorded");
  w.String(options.recorded.c_str());
  w.Key("outcome");
  w.String(decision.verdict == Verdict::permit ? "0" : "8");
  const std::string description = std::string(to_string(decision.verdict)) + " (" + options.stage +
                                  "): " + decision.rule + " — " + decision.reason + " [" +
                                  decision.legal_basis + "]";
  w.Key("outcomeDesc");
  w.String(description.c_str());
  w.Key("purposeOfEvent");
  w.StartArray();
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  coding(w, kPurposeSystem, request.purpose);
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.Key("agent");
  w.StartArray();
  {
    w.StartObject();  // the information recipient
    w.Key("type");
    w.StartObject();
    w.Key("coding");
    w.StartArray();
    coding(w, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP",
           "information recipient");
    w.EndArray();
    w.EndObject();
    w.Key("who");
    write_identifier_reference(w, request.recipient.identifiers, "RelatedPerson",
                               request.recipient.relationship);
    w.Key("requestor");
    w.Bool(false);
    w.EndObject();
    w.StartObject();  // the adapter, which asked and decided
    w.Key("type");
    w.StartObject();
    w.Key("coding");
    w.StartArray();
    coding(w, "http://dicom.nema.org/resources/ontology/DCM", "110150", "Application");
    w.EndArray();
    w.EndObject();
    w.Key("who");
    w.StartObject();
    w.Key("display");
    w.String("fhir-adapter consent engine");
    w.EndObject();
    w.Key("requestor");
    w.Bool(true);
    w.EndObject();
  }
  w.EndArray();
  w.Key("source");
  w.StartObject();
  w.Key("observer");
  w.StartObject();
  w.Key("display");
  w.String("fhir-adapter");
  w.EndObject();
  w.Key("type");
  w.StartArray();
  coding(w, "http://terminology.hl7.org/CodeSystem/security-source-type", "6", "Security Server");
  w.EndArray();
  w.EndObject();
  w.Key("entity");
  w.StartArray();
  {
    w.StartObject();  // the patient
    w.Key("what");
    write_identifier_reference(w, patient_identifiers, "Patient", {});
    w.Key("type");
    coding(w, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person");
    w.Key("role");
    coding(w, "http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient");
    w.EndObject();
    for (const auto& considered : decision.considered) {
      w.StartObject();  // each directive considered, and what became of it
      w.Key("what");
      write_identifier_reference(w, {std::string(kConsentIdSystem) + "|" + considered.consent},
                                 "Consent", {});
      w.Key("type");
      coding(w, "http://hl7.org/fhir/resource-types", "Consent", "Consent");
      const std::string status =
          considered.status + (considered.note.empty() ? "" : " (" + considered.note + ")");
      write_details(
          w, {{"status", status},
              {"provision", considered.consent == decision.consent ? decision.provision : ""}});
      w.EndObject();
    }
    w.StartObject();  // what would have been disclosed
    w.Key("what");
    write_identifier_reference(w, subject.identifiers, subject.type, subject.what);
    w.Key("type");
    coding(w, "http://hl7.org/fhir/resource-types", subject.type, subject.type);
    std::string categories;
    for (const auto& c : request.categories)
      categories += (categories.empty() ? "" : ",") + c;
    write_details(w, {{"rule", decision.rule},
                      {"legalBasis", decision.legal_basis},
                      {"dataCategories", categories.empty() ? "unspecified" : categories}});
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

// The items at `path` below `node`: (array, index) for arrays, (node, -1) for a single
// object at the end of the path.
void collect(rapidjson::Value& node, const std::vector<std::string>& path, std::size_t at,
             std::vector<std::pair<rapidjson::Value*, int>>& out) {
  if (!node.IsObject()) return;
  auto member = node.FindMember(path[at].c_str());
  if (member == node.MemberEnd()) return;
  rapidjson::Value& value = member->value;
  const bool last = at + 1 == path.size();
  if (value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      if (last) {
        out.emplace_back(&value, static_cast<int>(i));
      } else {
        collect(value[i], path, at + 1, out);
      }
    }
  } else if (last) {
    out.emplace_back(&value, -1);
  } else {
    collect(value, path, at + 1, out);
  }
}

std::string reference_at(rapidjson::Value& item, const std::vector<std::string>& path) {
  rapidjson::Value* node = &item;
  for (const auto& part : path) {
    if (!node->IsObject()) return {};
    auto member = node->FindMember(part.c_str());
    if (member == node->MemberEnd()) return {};
    node = &member->value;
  }
  if (!node->IsObject()) return {};
  auto reference = node->FindMember("reference");
  if (reference == node->MemberEnd() || !reference->value.IsString()) return {};
  return reference->value.GetString();
}

// A name-based UUID (version 5 layout) from a SHA-256 of `name`: the same Task gets the
// same fullUrl in every Bundle.
std::string uuid_for(std::string_view name) {
  std::string hex = fhir::sha256_hex(name).substr(0, 32);
  hex[12] = '5';
  hex[16] = "89ab"[hex[16] % 4];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

// hpl § 10a: the Task that asks the clinician to assess a minor relative's needs. Created
// once (If-None-Exist on its identifier): a clinician's progress on it is never reset.
std::string obligation_task(const std::string& value, const std::string& relationship,
                            const std::string& patient_url, const std::string& relative_url) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto string = [&](const char* key, const std::string& text) {
    w.Key(key);
    w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  };
  auto reference = [&](const char* key, const std::string& target) {
    w.Key(key);
    w.StartObject();
    string("reference", target);
    w.EndObject();
  };
  w.StartObject();
  string("fullUrl", "urn:uuid:" + uuid_for(value));
  w.Key("resource");
  w.StartObject();
  string("resourceType", "Task");
  w.Key("meta");
  w.StartObject();
  w.Key("security");
  w.StartArray();
  coding(w, "http://terminology.hl7.org/CodeSystem/v3-ActCode", "ETH",
         "substance abuse information sensitivity");
  w.EndArray();
  w.EndObject();
  w.Key("identifier");
  w.StartArray();
  w.StartObject();
  string("system", std::string(kObligationSystem));
  string("value", value);
  w.EndObject();
  w.EndArray();
  string("status", "requested");
  string("intent", "order");
  w.Key("code");
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  coding(w, "https://fhir.tsb-adapter.no/CodeSystem/consent-obligation",
         "assess-minor-relative-information-needs",
         "Vurdere informasjonsbehov hos mindreårige pårørende");
  w.EndArray();
  string("text",
         "Kartlegg og ivareta informasjons- og oppfølgingsbehov hos pasientens "
         "mindreårige " +
             std::string(relationship == "child" ? "barn" : "søsken") +
             " (helsepersonelloven § 10a)");
  w.EndObject();
  if (!patient_url.empty()) reference("for", patient_url);
  reference("focus", relative_url);
  w.EndObject();
  w.Key("request");
  w.StartObject();
  string("method", "POST");
  string("url", "Task");
  string("ifNoneExist", "identifier=" + std::string(kObligationSystem) + "|" + value);
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

struct Enforcer::Impl {
  const fhir::Model* model = nullptr;
  std::vector<Disclosure> disclosures;
};

Enforcer::Enforcer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Enforcer::Enforcer(Enforcer&&) noexcept = default;
Enforcer& Enforcer::operator=(Enforcer&&) noexcept = default;
Enforcer::~Enforcer() = default;

fhir::Result<Enforcer> Enforcer::load(const std::string& path, const fhir::Model& model) {
  auto content = fhir::read_bounded(path, kMaxRulesSize);
  if (!content) return content.problems();
  auto document = fhir::JsonDocument::parse(*content);
  if (!document) return document.problems();
  auto impl = std::make_unique<Impl>();
  impl->model = &model;
  Outcome problems;
  const auto* list = document->root().find("disclosures");
  if (list == nullptr || !list->is_array()) {
    return Outcome::of(fhir::Severity::error, IssueType::structure,
                       path + ": expected {\"disclosures\": [...]}", "/disclosures");
  }
  std::size_t index = 0;
  for (const auto& item : list->items()) {
    const std::string pointer = "/disclosures/" + std::to_string(index++);
    const std::string resource = text_of(item.find("resource"));
    const fhirpath::CompileOptions options{.model = &model, .context_type = resource};
    auto compile = [&](std::string_view member,
                       bool required) -> std::optional<fhirpath::Expression> {
      const std::string source = text_of(item.find(member));
      if (source.empty()) {
        if (required) {
          problems.error(IssueType::required, pointer + "/" + std::string(member), "missing");
        }
        return std::nullopt;
      }
      auto expression = fhirpath::Expression::compile(source, options);
      if (!expression) {
        for (const auto& issue : expression.problems().issues()) {
          problems.error(IssueType::invalid, pointer + "/" + std::string(member), issue.message);
        }
        return std::nullopt;
      }
      return std::move(expression).value();
    };
    if (resource.empty()) problems.error(IssueType::required, pointer + "/resource", "missing");
    auto when = compile("when", false);
    auto purpose = compile("purpose", true);
    auto categories = compile("dataCategories", false);
    const std::string reference = text_of(item.find("reference"));
    const std::string items = text_of(item.find("items"));
    if (reference.empty() && items.empty()) {
      problems.error(IssueType::required, pointer + "/reference",
                     "the element path to the Reference is needed when there are no items");
    }
    if (!purpose || resource.empty() || (reference.empty() && items.empty())) continue;
    impl->disclosures.push_back(Disclosure{
        text_of(item.find("name")), pointer, resource, std::move(when), split_path(items),
        split_path(reference), std::move(*purpose), std::move(categories)});
  }
  if (problems.has_errors()) {
    Outcome located;
    located.merge(problems, path + "#");
    return located;
  }
  return Enforcer(std::move(impl));
}

bool Enforcer::may_disclose(std::string_view bundle_text) {
  return bundle_text.find("\"RelatedPerson\"") != std::string_view::npos;
}

std::vector<std::string> patient_keys(const JsonValue& bundle) {
  if (const auto* entries = bundle.find("entry")) {
    for (const auto& entry : entries->items()) {
      const auto* resource = entry.find("resource");
      if (resource != nullptr && text_of(resource->find("resourceType")) == "Patient") {
        return identifiers_of(*resource);
      }
    }
  }
  return {};
}

fhir::Result<Enforced> Enforcer::enforce(const JsonValue& bundle, std::string_view bundle_text,
                                         const std::vector<Directive>& directives,
                                         const EnforceOptions& options) const {
  Enforced result;
  result.bundle = std::string(bundle_text);
  if (!may_disclose(bundle_text)) return result;
  rapidjson::Document edit;
  edit.Parse(bundle_text.data(), bundle_text.size());
  if (edit.HasParseError() || !edit.IsObject()) {
    return Outcome::of(fhir::Severity::error, IssueType::structure, "the Bundle is not JSON");
  }

  // The people the Bundle names, by fullUrl; nested document Bundles included.
  std::map<std::string, const JsonValue*, std::less<>> people;
  const JsonValue* patient = nullptr;
  std::string patient_url;
  std::function<void(const JsonValue&)> index = [&](const JsonValue& b) {
    const auto* entries = b.find("entry");
    if (entries == nullptr) return;
    for (const auto& entry : entries->items()) {
      const auto* resource = entry.find("resource");
      if (resource == nullptr) continue;
      const std::string type = text_of(resource->find("resourceType"));
      if (type == "RelatedPerson") people[text_of(entry.find("fullUrl"))] = resource;
      if (type == "Patient" && patient == nullptr) {
        patient = resource;
        patient_url = text_of(entry.find("fullUrl"));
      }
      if (type == "Bundle") index(*resource);
    }
  };
  index(bundle);
  if (people.empty()) return result;

  Request base;
  base.time = options.time;
  base.time_offset = options.offset;
  base.directives = directives;
  std::vector<std::string> patient_identifiers;
  if (patient != nullptr) {
    base.patient_birth_date = fhir::parse_full_date(text_of(patient->find("birthDate")));
    patient_identifiers = identifiers_of(*patient);
    for (const auto& identifier : patient_identifiers) {
      if (identifier.starts_with("urn:oid:2.16.578.1.12.4.1.4.1|") ||
          identifier.starts_with("urn:oid:2.16.578.1.12.4.1.4.2|")) {
        base.patient_identifier = identifier.substr(identifier.find('|') + 1);
      }
    }
  }

  fhirpath::Evaluator evaluator;
  fhirpath::Environment environment;
  environment.set("bundle", {fhirpath::resource_value(bundle, impl_->model)});
  std::map<std::string, std::size_t> decided;  // recipient|purpose|categories -> decision
  std::vector<std::size_t> drop_entries;       // top-level entries to remove
  struct ItemRemoval {
    rapidjson::Value* array;
    int index;
  };
  std::vector<ItemRemoval> drop_items;

  auto strings = [&](const fhirpath::Expression& expression, const JsonValue& resource,
                     const std::string& where) -> fhir::Result<std::vector<std::string>> {
    auto values = evaluator.evaluate(expression, resource, &environment);
    if (!values) {
      Outcome outcome;
      outcome.error(
          IssueType::processing, where,
          values.problems().empty() ? "evaluation failed" : values.problems().issues()[0].message);
      return outcome;
    }
    std::vector<std::string> out;
    for (const auto& value : *values) {
      if (auto s = fhirpath::to_string(value)) out.push_back(std::move(*s));
    }
    return out;
  };

  // Decides one disclosure; true when it may stay.
  auto permitted = [&](const std::string& person_url, const std::string& purpose,
                       const std::vector<std::string>& categories, const Subject& subject,
                       const std::string& location) -> bool {
    const Recipient recipient = recipient_of(*people.find(person_url)->second, person_url);
    std::string key = person_url + "|" + purpose;
    for (const auto& c : categories)
      key += "|" + c;
    std::size_t at = 0;
    if (auto found = decided.find(key); found != decided.end()) {
      at = found->second;
    } else {
      Request request = base;
      request.recipient = recipient;
      request.purpose = purpose;
      request.categories = categories;
      Decision decision = decide(request);
      result.audit_events.push_back(
          audit_event(decision, request, patient_identifiers, subject, options));
      result.decisions.push_back(std::move(decision));
      at = result.decisions.size() - 1;
      decided.emplace(key, at);
    }
    const Decision& decision = result.decisions[at];
    if (decision.verdict == Verdict::permit) return true;
    result.warnings.warning(IssueType::security, location,
                            subject.what + " for the patient's " + recipient.relationship + " (" +
                                purpose + ") removed: " + std::string(to_string(decision.verdict)) +
                                " by rule " + decision.rule + " (" + decision.legal_basis +
                                "): " + decision.reason);
    return false;
  };

  const auto* entries = bundle.find("entry");
  auto& edit_entries = edit["entry"];
  // `inner_entry`: where the resource's entry sits in a document Bundle (nullopt: a
  // top-level entry, `top_entry`).
  auto visit = [&](const JsonValue& resource, rapidjson::Value& edit_resource,
                   const std::string& full_url, const std::string& location,
                   std::optional<std::size_t> top_entry,
                   std::optional<ItemRemoval> inner_entry) -> std::optional<Outcome> {
    const std::string type = text_of(resource.find("resourceType"));
    environment.set("fullUrl", {fhirpath::Value::of(std::string_view(full_url))});
    for (const auto& rule : impl_->disclosures) {
      if (rule.resource != type) continue;
      if (rule.when) {
        auto applies = evaluator.evaluate(*rule.when, resource, &environment);
        if (!applies) {
          Outcome outcome;
          outcome.error(IssueType::processing, rule.pointer + "/when",
                        applies.problems().empty() ? "evaluation failed"
                                                   : applies.problems().issues()[0].message);
          return outcome;
        }
        if (applies->size() != 1 || (*applies)[0].kind() != fhirpath::ValueKind::boolean ||
            !(*applies)[0].as_bool()) {
          continue;
        }
      }
      auto purpose = strings(rule.purpose, resource, rule.pointer + "/purpose");
      if (!purpose) return purpose.problems();
      std::vector<std::string> categories;
      if (rule.categories) {
        auto found = strings(*rule.categories, resource, rule.pointer + "/dataCategories");
        if (!found) return found.problems();
        categories = std::move(*found);
      }
      if (purpose->size() != 1) {
        Outcome outcome;
        outcome.error(IssueType::processing, rule.pointer + "/purpose",
                      "a disclosure rule must give exactly one purpose");
        return outcome;
      }
      Subject subject{type, identifiers_of(resource), rule.name};
      if (rule.items.empty()) {
        const std::string person = reference_at(edit_resource, rule.reference);
        if (!people.contains(person)) continue;
        if (!permitted(person, purpose->front(), categories, subject, location)) {
          if (top_entry) drop_entries.push_back(*top_entry);
          if (inner_entry) drop_items.push_back(*inner_entry);
        }
        continue;
      }
      std::vector<std::pair<rapidjson::Value*, int>> items;
      collect(edit_resource, rule.items, 0, items);
      for (const auto& [array, item_index] : items) {
        if (item_index < 0) continue;
        rapidjson::Value& item = (*array)[static_cast<rapidjson::SizeType>(item_index)];
        const std::string person = reference_at(item, rule.reference);
        if (!people.contains(person)) continue;
        if (!permitted(person, purpose->front(), categories, subject, location)) {
          drop_items.push_back({array, item_index});
        }
      }
    }
    return std::nullopt;
  };

  if (entries != nullptr && edit_entries.IsArray()) {
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const JsonValue& entry = entries->items()[i];
      const auto* resource = entry.find("resource");
      if (resource == nullptr) continue;
      rapidjson::Value& edit_resource =
          edit_entries[static_cast<rapidjson::SizeType>(i)]["resource"];
      const std::string location = "Bundle.entry[" + std::to_string(i) + "].resource";
      if (auto failed = visit(*resource, edit_resource, text_of(entry.find("fullUrl")), location, i,
                              std::nullopt)) {
        return *failed;
      }
      if (text_of(resource->find("resourceType")) == "Bundle") {
        const auto* inner = resource->find("entry");
        if (inner == nullptr || !edit_resource.HasMember("entry")) continue;
        for (std::size_t j = 0; j < inner->size(); ++j) {
          const JsonValue& inner_entry = inner->items()[j];
          const auto* inner_resource = inner_entry.find("resource");
          if (inner_resource == nullptr) continue;
          if (auto failed =
                  visit(*inner_resource,
                        edit_resource["entry"][static_cast<rapidjson::SizeType>(j)]["resource"],
                        text_of(inner_entry.find("fullUrl")),
                        location + ".entry[" + std::to_string(j) + "].resource", std::nullopt,
                        ItemRemoval{&edit_resource["entry"], static_cast<int>(j)})) {
            return *failed;
          }
        }
      }
    }
  }

  // Removals, last first so that indexes stay valid.
  std::sort(drop_items.begin(), drop_items.end(), [](const ItemRemoval& a, const ItemRemoval& b) {
    return a.array != b.array ? a.array < b.array : a.index > b.index;
  });
  drop_items.erase(std::unique(drop_items.begin(), drop_items.end(),
                               [](const ItemRemoval& a, const ItemRemoval& b) {
                                 return a.array == b.array && a.index == b.index;
                               }),
                   drop_items.end());
  for (const auto& removal : drop_items) {
    removal.array->Erase(removal.array->Begin() + removal.index);
  }
  std::sort(drop_entries.begin(), drop_entries.end(), std::greater<>());
  drop_entries.erase(std::unique(drop_entries.begin(), drop_entries.end()), drop_entries.end());
  for (const std::size_t entry : drop_entries) {
    edit_entries.Erase(edit_entries.Begin() + static_cast<rapidjson::SizeType>(entry));
  }
  result.removed = drop_items.size() + drop_entries.size();

  // hpl § 10a: the patient's minor children and siblings get an assessment of their needs.
  std::size_t tasks = 0;
  for (const auto& [url, person] : people) {
    const Recipient relative = recipient_of(*person, url);
    if ((relative.relationship != "child" && relative.relationship != "sibling") ||
        !relative.birth_date || age_at(*relative.birth_date, options.time, options.offset) >= 18) {
      continue;
    }
    std::string key;
    for (const auto& identifier : relative.identifiers) {
      if (identifier.starts_with(std::string(kRelatedPersonSystem) + "|")) {
        key = identifier.substr(kRelatedPersonSystem.size() + 1);
      }
    }
    if (key.empty()) continue;  // no stable key: the Task could not be found again
    const std::string value = "minor-relative-information-needs:" + key;
    // Already there (added when the message was accepted): the re-check adds nothing.
    if (bundle_text.find("\"" + value + "\"") != std::string_view::npos) continue;
    const std::string task_json = obligation_task(value, relative.relationship, patient_url, url);
    rapidjson::Document task(&edit.GetAllocator());
    task.Parse(task_json.data(), task_json.size());
    if (task.HasParseError()) continue;
    edit_entries.PushBack(rapidjson::Value(task, edit.GetAllocator()), edit.GetAllocator());
    ++tasks;
  }

  result.changed = result.removed > 0 || tasks > 0;
  if (result.changed) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    edit.Accept(writer);
    result.bundle.assign(buffer.GetString(), buffer.GetSize());
  }
  return result;
}

std::string audit_bundle(const std::vector<std::string>& audit_events) {
  std::string out = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  bool first = true;
  for (const auto& event : audit_events) {
    const std::string id = fhir::sha256_hex(event);
    std::string resource = event;
    resource.insert(1, R"("id":")" + id + R"(",)");
    out += (first ? "" : ",") + std::string(R"({"resource":)") + resource +
           R"(,"request":{"method":"PUT","url":"AuditEvent/)" + id + R"("}})";
    first = false;
  }
  out += "]}";
  return out;
}

}  // namespace adapter::consent
