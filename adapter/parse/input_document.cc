#include "adapter/parse/input_document.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "adapter/fhir/datetime.h"
#include "adapter/norway/identifier.h"

namespace adapter::parse {

using fhir::IssueType;
using fhir::JsonValue;
using fhir::Outcome;

namespace {

constexpr std::string_view kSchemaSuffix = ".schema.json";
constexpr std::string_view kCommonSchema = "common.schema.json";
// Top-level arrays whose entries other parts of a document refer to by `id`.
constexpr std::string_view kPartyCollections[] = {"relatives", "practitioners", "organizations"};

fhir::FormatCheck from_identifier_check(norway::IdentifierCheck (*check)(std::string_view)) {
  return [check](std::string_view value) -> std::optional<std::string> {
    const norway::IdentifierCheck result = check(value);
    if (result.valid) return std::nullopt;
    return result.problem;
  };
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

fhir::FormatCheck fixed_digits(std::size_t count, std::string what) {
  return [count, what = std::move(what)](std::string_view value) -> std::optional<std::string> {
    if (value.size() == count && all_digits(value)) return std::nullopt;
    return "a " + what + " has exactly " + std::to_string(count) + " digits";
  };
}

// A reference token of the pointer "/collection/index/field".
std::string at(std::string_view collection, std::size_t index, std::string_view field) {
  return "/" + std::string(collection) + "/" + std::to_string(index) + "/" + std::string(field);
}

// Ids are how content names people and organisations: each must be unique in its list.
void check_unique_ids(const JsonValue& document, Outcome& out) {
  for (std::string_view collection : kPartyCollections) {
    const JsonValue* entries = document.find(collection);
    if (entries == nullptr) continue;
    std::map<std::string_view, std::size_t> first_seen;
    const auto items = entries->items();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const JsonValue* id = items[i].find("id");
      if (id == nullptr || !id->is_string()) continue;
      auto [it, inserted] = first_seen.emplace(id->as_string(), i);
      if (!inserted) {
        out.error(IssueType::duplicate, at(collection, i, "id"),
                  "id \"" + std::string(id->as_string()) + "\" is already used by " +
                      at(collection, it->second, "id"));
      }
    }
  }
}

// A person number encodes the birth date: a birthDate beside it must agree.
void check_birth_date_matches(const JsonValue& person, const std::string& pointer, Outcome& out) {
  const JsonValue* identifier = person.find("identifier");
  const JsonValue* birth_date = person.find("birthDate");
  if (identifier == nullptr || birth_date == nullptr) return;
  const norway::IdentifierCheck number = norway::check_person_number(identifier->as_string());
  const auto stated = fhir::parse_full_date(birth_date->as_string());
  if (!number.valid || !number.birth_date || !stated) return;  // reported by the schema
  if (*number.birth_date != *stated) {
    out.error(IssueType::value, pointer + "/birthDate",
              "\"" + std::string(birth_date->as_string()) +
                  "\" differs from the birth date encoded in " + pointer + "/identifier (" +
                  fhir::format_date(*number.birth_date) + ")");
  }
}

}  // namespace

fhir::FormatRegistry input_formats() {
  fhir::FormatRegistry formats;
  formats.add("no-person-id", from_identifier_check(&norway::check_person_number));
  formats.add("no-org-number", from_identifier_check(&norway::check_org_number));
  formats.add("no-hpr", from_identifier_check(&norway::check_hpr));
  formats.add("no-her-id", from_identifier_check(&norway::check_her_id));
  formats.add("no-resh-id", from_identifier_check(&norway::check_resh_id));
  formats.add("no-municipality-number", fixed_digits(4, "municipality number (kommunenummer)"));
  formats.add("no-postal-code", fixed_digits(4, "Norwegian postal code"));
  formats.add("phone", [](std::string_view value) -> std::optional<std::string> {
    // E.164 (+ and 8-15 digits) or a Norwegian 8-digit number; spaces are not stored.
    const bool e164 = value.size() >= 9 && value.size() <= 16 && value.front() == '+' &&
                      all_digits(value.substr(1));
    if (e164 || (value.size() == 8 && all_digits(value))) return std::nullopt;
    return "a phone number is +<country code><number> or 8 digits, without spaces";
  });
  formats.add("email", [](std::string_view value) -> std::optional<std::string> {
    const std::size_t at_sign = value.find('@');
    const bool plausible = at_sign != std::string_view::npos && at_sign > 0 &&
                           value.find('.', at_sign) != std::string_view::npos &&
                           value.find_first_of(" \t\r\n") == std::string_view::npos &&
                           value.back() != '.';
    if (plausible) return std::nullopt;
    return "not an e-mail address";
  });
  formats.add("uri", [](std::string_view value) -> std::optional<std::string> {
    const std::size_t colon = value.find(':');
    const bool scheme = colon != std::string_view::npos && colon > 0 &&
                        std::isalpha(static_cast<unsigned char>(value.front())) != 0 &&
                        value.find_first_of(" \t\r\n") == std::string_view::npos;
    if (scheme) return std::nullopt;
    return "not an absolute URI (scheme:rest, no spaces)";
  });
  return formats;
}

fhir::Result<InputFormat> InputFormat::load(const std::filesystem::path& schema_folder) {
  auto schemas = fhir::SchemaSet::load_folder(schema_folder, input_formats());
  if (!schemas.ok()) return schemas.problems();
  InputFormat format;
  format.schemas_ = std::move(schemas).value();
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(schema_folder, error)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(kSchemaSuffix) && name != kCommonSchema) {
      format.kinds_.push_back(name.substr(0, name.size() - kSchemaSuffix.size()));
    }
  }
  std::ranges::sort(format.kinds_);
  return format;
}

Outcome InputFormat::check(const JsonValue& document) const {
  Outcome out;
  if (!document.is_object()) {
    out.error(IssueType::structure, "",
              "an input document is a JSON object, found " +
                  std::string(fhir::to_string(document.kind())));
    return out;
  }
  const JsonValue* kind = document.find("kind");
  if (kind == nullptr || !kind->is_string()) {
    out.error(kind == nullptr ? IssueType::required : IssueType::structure, "/kind",
              kind == nullptr ? "missing required field \"kind\"" : "\"kind\" must be a string");
    return out;
  }
  if (std::ranges::find(kinds_, kind->as_string()) == kinds_.end()) {
    std::string known;
    for (const std::string& name : kinds_)
      known += (known.empty() ? "" : ", ") + name;
    out.error(IssueType::value, "/kind",
              "unknown kind \"" + std::string(kind->as_string()) + "\"; known kinds: " + known);
    return out;
  }
  out = schemas_.check(std::string(kind->as_string()) + std::string(kSchemaSuffix), document);
  check_unique_ids(document, out);
  if (const JsonValue* patient = document.find("patient")) {
    check_birth_date_matches(*patient, "/patient", out);
  }
  if (const JsonValue* relatives = document.find("relatives")) {
    const auto items = relatives->items();
    for (std::size_t i = 0; i < items.size(); ++i) {
      check_birth_date_matches(items[i], "/relatives/" + std::to_string(i), out);
    }
  }
  return out;
}

fhir::Result<InputDocument> InputFormat::parse(std::string_view text,
                                               const fhir::JsonLimits& limits) const {
  auto json = fhir::JsonDocument::parse(text, limits);
  if (!json.ok()) return json.problems();
  Outcome problems = check(json->root());
  if (problems.has_errors()) return problems;
  InputDocument document{std::move(json).value(), {}};
  document.kind = std::string(document.json.root().find("kind")->as_string());
  return document;
}

}  // namespace adapter::parse
