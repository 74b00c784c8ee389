#include "adapter/consent/store.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>

#include <filesystem>

#include "adapter/fhir/sqlite.h"

namespace adapter::consent {
namespace {

using fhir::IssueType;
using fhir::JsonValue;
using fhir::Outcome;
using fhir::sqlite::Database;
using fhir::sqlite::Statement;
using fhir::sqlite::Use;

constexpr int kBusyTimeoutMs = 10'000;
constexpr std::string_view kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS directive (
  patient_key TEXT NOT NULL,
  consent_id  TEXT NOT NULL,
  consent     TEXT NOT NULL,
  PRIMARY KEY (patient_key, consent_id)
);
CREATE TABLE IF NOT EXISTS audit_event (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  recorded TEXT NOT NULL,
  event    TEXT NOT NULL
);
)SQL";

Outcome storage_error(std::string what) {
  return Outcome::of(fhir::Severity::error, IssueType::exception,
                     "consent store: " + std::move(what));
}

// The Consent as stored: every Reference the Bundle resolves gains the target's
// identifier (the adapter's related-person key first), so it still names the person once
// the Bundle is gone.
std::string with_identifiers(const JsonValue& consent, const BundleIndex& index) {
  rapidjson::Document document;
  const std::string compact = fhir::to_json(consent);
  document.Parse(compact.data(), compact.size());
  auto annotate = [&](rapidjson::Value& reference) {
    if (!reference.IsObject() || !reference.HasMember("reference") ||
        reference.HasMember("identifier") || !reference["reference"].IsString()) {
      return;
    }
    auto identifiers = index.identifiers(reference["reference"].GetString());
    if (identifiers.empty()) return;
    std::string chosen = identifiers.front();
    for (const auto& candidate : identifiers) {
      if (candidate.starts_with(std::string(kRelatedPersonSystem) + "|")) chosen = candidate;
    }
    const auto bar = chosen.find('|');
    rapidjson::Value identifier(rapidjson::kObjectType);
    auto& allocator = document.GetAllocator();
    identifier.AddMember("system", rapidjson::Value(chosen.substr(0, bar).c_str(), allocator),
                         allocator);
    identifier.AddMember("value", rapidjson::Value(chosen.substr(bar + 1).c_str(), allocator),
                         allocator);
    reference.AddMember("identifier", identifier, allocator);
  };
  std::function<void(rapidjson::Value&)> walk = [&](rapidjson::Value& provision) {
    if (provision.HasMember("actor") && provision["actor"].IsArray()) {
      for (auto& actor : provision["actor"].GetArray()) {
        if (actor.IsObject() && actor.HasMember("reference")) annotate(actor["reference"]);
      }
    }
    if (provision.HasMember("provision") && provision["provision"].IsArray()) {
      for (auto& child : provision["provision"].GetArray()) {
        if (child.IsObject()) walk(child);
      }
    }
  };
  if (document.HasMember("provision") && document["provision"].IsObject()) {
    walk(document["provision"]);
  }
  if (document.HasMember("extension") && document["extension"].IsArray()) {
    for (auto& extension : document["extension"].GetArray()) {
      if (!extension.IsObject() || !extension.HasMember("extension")) continue;
      for (auto& part : extension["extension"].GetArray()) {
        if (part.IsObject() && part.HasMember("valueReference")) annotate(part["valueReference"]);
      }
    }
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

struct ConsentStore::Impl {
  Database db;
  std::unique_ptr<Statement> upsert;
  std::unique_ptr<Statement> by_patient;
  std::unique_ptr<Statement> insert_audit;
  std::unique_ptr<Statement> list_audit;

  std::optional<Outcome> exec(std::string_view sql) {
    char* message = nullptr;
    if (sqlite3_exec(db.get(), std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message != nullptr ? message : "unknown error";
      sqlite3_free(message);
      return storage_error(text);
    }
    return std::nullopt;
  }
};

ConsentStore::ConsentStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsentStore::ConsentStore(ConsentStore&&) noexcept = default;
ConsentStore& ConsentStore::operator=(ConsentStore&&) noexcept = default;
ConsentStore::~ConsentStore() = default;

fhir::Result<ConsentStore> ConsentStore::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  const bool creating = !std::filesystem::exists(path);
  sqlite3* raw = nullptr;
  const int status =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  impl->db.reset(raw);
  if (status != SQLITE_OK) {
    return storage_error("cannot open " + path + ": " +
                         (raw != nullptr ? sqlite3_errmsg(raw) : "out of memory"));
  }
  // Patient data: readable by its owner only (chmod by name: see outbox.cc on why).
  if (creating) ::chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(impl->db.get(), kBusyTimeoutMs);
  if (auto failed = impl->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")) {
    return *failed;
  }
  if (auto failed = impl->exec(kSchema)) return *failed;
  sqlite3* db = impl->db.get();
  impl->upsert = std::make_unique<Statement>(
      db,
      "INSERT INTO directive (patient_key, consent_id, consent) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (patient_key, consent_id) DO UPDATE SET consent = excluded.consent");
  impl->by_patient = std::make_unique<Statement>(
      db, "SELECT consent FROM directive WHERE patient_key = ?1 ORDER BY rowid");
  impl->insert_audit =
      std::make_unique<Statement>(db, "INSERT INTO audit_event (recorded, event) VALUES (?1, ?2)");
  impl->list_audit = std::make_unique<Statement>(
      db, "SELECT id, recorded, event FROM audit_event ORDER BY id DESC LIMIT ?1");
  for (const auto* statement : {impl->upsert.get(), impl->by_patient.get(),
                                impl->insert_audit.get(), impl->list_audit.get()}) {
    if (!statement->ok()) return storage_error(statement->error());
  }
  return ConsentStore(std::move(impl));
}

fhir::Result<std::size_t> ConsentStore::add(const JsonValue& bundle_or_consent) {
  BundleIndex index;
  std::vector<std::pair<const JsonValue*, std::string>> consents;  // with the patient key
  auto patient_key = [&](const JsonValue& consent) {
    const auto* patient = consent.find("patient");
    if (patient == nullptr) return std::string();
    if (const auto* identifier = patient->find("identifier")) {
      const std::string value = text_of(identifier->find("value"));
      if (!value.empty()) return text_of(identifier->find("system")) + "|" + value;
    }
    auto identifiers = index.identifiers(text_of(patient->find("reference")));
    return identifiers.empty() ? std::string() : identifiers.front();
  };
  if (text_of(bundle_or_consent.find("resourceType")) == "Consent") {
    consents.emplace_back(&bundle_or_consent, "");
  } else {
    index.add_bundle(bundle_or_consent);
    if (const auto* entries = bundle_or_consent.find("entry")) {
      for (const auto& entry : entries->items()) {
        const auto* resource = entry.find("resource");
        if (resource != nullptr && text_of(resource->find("resourceType")) == "Consent") {
          consents.emplace_back(resource, "");
        }
      }
    }
  }
  Outcome problems;
  std::vector<std::tuple<std::string, std::string, std::string>> rows;
  for (std::size_t i = 0; i < consents.size(); ++i) {
    const JsonValue& consent = *consents[i].first;
    const std::string where = "Consent[" + std::to_string(i) + "]";
    auto directive = read_directive(consent, index.resolver());
    if (!directive) {
      problems.merge(directive.problems(), where + ".");
      continue;
    }
    const std::string key = patient_key(consent);
    if (key.empty()) {
      problems.error(IssueType::required, where + ".patient",
                     "the patient's identifier is needed to keep the directive");
      continue;
    }
    rows.emplace_back(key, directive->id, with_identifiers(consent, index));
  }
  if (problems.has_errors()) return problems;
  if (auto failed = impl_->exec("BEGIN IMMEDIATE")) return *failed;
  for (const auto& [key, id, json] : rows) {
    Use use(*impl_->upsert);
    impl_->upsert->bind(1, key).bind(2, id).bind(3, json);
    if (impl_->upsert->step() != SQLITE_DONE) {
      const std::string error = impl_->upsert->error();
      impl_->exec("ROLLBACK");
      return storage_error(error);
    }
  }
  if (auto failed = impl_->exec("COMMIT")) return *failed;
  return rows.size();
}

fhir::Result<std::vector<Directive>> ConsentStore::directives(
    const std::vector<std::string>& patient_keys) {
  std::vector<Directive> out;
  Outcome problems;
  for (const auto& key : patient_keys) {
    Use use(*impl_->by_patient);
    impl_->by_patient->bind(1, key);
    int status = SQLITE_ROW;
    while ((status = impl_->by_patient->step()) == SQLITE_ROW) {
      auto document = fhir::JsonDocument::parse(impl_->by_patient->text(0));
      if (!document) {
        problems.merge(document.problems());
        continue;
      }
      auto directive = read_directive(document->root());
      if (!directive) {
        problems.merge(directive.problems());
        continue;
      }
      if (std::none_of(out.begin(), out.end(),
                       [&](const Directive& d) { return d.id == directive->id; })) {
        out.push_back(std::move(*directive));
      }
    }
    if (status != SQLITE_DONE) return storage_error(impl_->by_patient->error());
  }
  if (problems.has_errors()) return problems;
  return out;
}

fhir::Result<std::int64_t> ConsentStore::add_audit(const std::string& recorded,
                                                   const std::string& json) {
  Use use(*impl_->insert_audit);
  impl_->insert_audit->bind(1, recorded).bind(2, json);
  if (impl_->insert_audit->step() != SQLITE_DONE) {
    return storage_error(impl_->insert_audit->error());
  }
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(impl_->db.get()));
}

fhir::Result<std::vector<StoredAudit>> ConsentStore::audits(std::size_t limit) {
  std::vector<StoredAudit> out;
  Use use(*impl_->list_audit);
  impl_->list_audit->bind(1, static_cast<std::int64_t>(limit));
  int status = SQLITE_ROW;
  while ((status = impl_->list_audit->step()) == SQLITE_ROW) {
    out.push_back(
        {impl_->list_audit->integer(0), impl_->list_audit->text(1), impl_->list_audit->text(2)});
  }
  if (status != SQLITE_DONE) return storage_error(impl_->list_audit->error());
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace adapter::consent
