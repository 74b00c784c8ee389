#include "adapter/norway/deadline.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "adapter/norway/calendar.h"

namespace adapter::norway {
namespace {

namespace chr = std::chrono;
using adapter::fhir::IssueType;
using adapter::fhir::JsonValue;
using adapter::fhir::Outcome;
using adapter::fhir::Result;
using adapter::fhir::Severity;

constexpr std::size_t kMaxFileBytes = 1U << 20U;
constexpr std::string_view kSchemaName = "deadlines.schema.json";

std::string text_of(const JsonValue& object, std::string_view key) {
  const JsonValue* value = object.find(key);
  return value == nullptr ? std::string() : std::string(value->as_string());
}

std::string row_pointer(std::size_t index, std::string_view field) {
  return "/rows/" + std::to_string(index) + "/" + std::string(field);
}

std::filesystem::path schema_beside(const std::string& table_path) {
  return std::filesystem::path(table_path).parent_path() / kSchemaName;
}

}  // namespace

std::string_view to_code(DeadlineUnit unit) {
  return unit == DeadlineUnit::working_days ? "working-days" : "calendar-days";
}

std::optional<DeadlineUnit> deadline_unit_from_code(std::string_view code) {
  if (code == "working-days") return DeadlineUnit::working_days;
  if (code == "calendar-days") return DeadlineUnit::calendar_days;
  return std::nullopt;
}

Result<adapter::fhir::SchemaSet> DeadlineTable::load_schema(const std::string& schema_path) {
  Result<std::string> text = adapter::fhir::read_bounded(schema_path, kMaxFileBytes);
  if (!text) return text.problems();
  return adapter::fhir::SchemaSet::from_texts({{std::string(kSchemaName), std::move(text).value()}},
                                              adapter::fhir::FormatRegistry());
}

Result<DeadlineTable> DeadlineTable::from_json(const JsonValue& root,
                                               const adapter::fhir::SchemaSet& schema) {
  // The schema checks the form; what follows are the rules across entries it cannot state.
  Outcome outcome = schema.check(kSchemaName, root);
  if (outcome.has_errors()) return outcome;

  DeadlineTable table;
  table.source_ = text_of(root, "source");
  for (const JsonValue& item : root.find("startEvents")->items()) {
    StartEvent event{text_of(item, "code"), text_of(item, "nameNo"), text_of(item, "nameEn")};
    if (std::any_of(table.start_events_.begin(), table.start_events_.end(),
                    [&](const StartEvent& other) { return other.code == event.code; })) {
      outcome.error(IssueType::duplicate,
                    "/startEvents/" + std::to_string(table.start_events_.size()) + "/code",
                    "start event '" + event.code + "' is listed twice");
    }
    table.start_events_.push_back(std::move(event));
  }
  const auto rows = root.find("rows")->items();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const JsonValue& item = rows[i];
    DeadlineRow row{text_of(item, "id"),
                    text_of(item, "activity"),
                    text_of(item, "nameNo"),
                    text_of(item, "nameEn"),
                    std::nullopt,
                    item.find("generalRule")->as_bool(),
                    text_of(item, "timing"),
                    text_of(item, "quote"),
                    text_of(item, "source")};
    if (const JsonValue* deadline = item.find("deadline"); deadline->is_object()) {
      // The schema made it an integral number from 0 to 3660, whatever its spelling (1e2).
      const auto amount = static_cast<std::int64_t>(*deadline->find("amount")->as_double());
      row.deadline = DeadlineRule{text_of(*deadline, "start"), amount,
                                  *deadline_unit_from_code(text_of(*deadline, "unit"))};
      const std::string& start = row.deadline->start_event;
      if (std::none_of(table.start_events_.begin(), table.start_events_.end(),
                       [&](const StartEvent& event) { return event.code == start; })) {
        outcome.error(IssueType::not_found, row_pointer(i, "deadline/start"),
                      "start event '" + start + "' is not listed in /startEvents");
      }
    } else if (row.general_rule) {
      outcome.error(IssueType::invariant, row_pointer(i, "generalRule"),
                    "generalRule is true but the row has no deadline");
    }
    if (table.find(row.id) != nullptr) {
      outcome.error(IssueType::duplicate, row_pointer(i, "id"),
                    "row id '" + row.id + "' is used twice");
    }
    table.rows_.push_back(std::move(row));
  }
  if (outcome.has_errors()) return outcome;
  return table;
}

Result<DeadlineTable> DeadlineTable::load(const std::string& path) {
  Result<adapter::fhir::SchemaSet> schema = load_schema(schema_beside(path).string());
  if (!schema) return schema.problems();
  Result<std::string> text = adapter::fhir::read_bounded(path, kMaxFileBytes);
  if (!text) return text.problems();
  Result<adapter::fhir::JsonDocument> document = adapter::fhir::JsonDocument::parse(text.value());
  if (!document) return document.problems();
  return from_json(document->root(), schema.value());
}

std::vector<std::string> DeadlineTable::activities() const {
  std::vector<std::string> codes;
  for (const DeadlineRow& row : rows_) {
    if (std::find(codes.begin(), codes.end(), row.activity) == codes.end()) {
      codes.push_back(row.activity);
    }
  }
  return codes;
}

const DeadlineRow* DeadlineTable::find(std::string_view id) const {
  auto match = std::find_if(rows_.begin(), rows_.end(),
                            [&](const DeadlineRow& row) { return row.id == id; });
  return match == rows_.end() ? nullptr : &*match;
}

std::vector<const DeadlineRow*> DeadlineTable::rows_for_activity(std::string_view activity) const {
  std::vector<const DeadlineRow*> matches;
  for (const DeadlineRow& row : rows_) {
    if (row.activity == activity) matches.push_back(&row);
  }
  return matches;
}

Result<Due> DeadlineTable::due(std::string_view id_or_activity, chr::year_month_day start) const {
  const std::string key(id_or_activity);
  if (!start.ok()) {
    return Outcome::of(Severity::error, IssueType::value,
                       "the start date of '" + key + "' is not a real date");
  }
  const DeadlineRow* row = find(key);
  if (row == nullptr) {
    const std::vector<const DeadlineRow*> matches = rows_for_activity(key);
    if (matches.empty()) {
      return Outcome::of(Severity::error, IssueType::not_found,
                         "no deadline row or activity is called '" + key + "'");
    }
    if (matches.size() > 1) {
      std::string ids;
      for (const DeadlineRow* match : matches)
        ids += (ids.empty() ? "" : ", ") + match->id;
      return Outcome::of(Severity::error, IssueType::invalid,
                         "activity '" + key + "' has " + std::to_string(matches.size()) +
                             " deadline rows (" + ids + "); name one by its id");
    }
    row = matches.front();
  }
  if (!row->deadline) {
    return Outcome::of(Severity::error, IssueType::not_supported,
                       "'" + row->id + "' has no computable deadline (" + row->timing + ")");
  }
  // The schema bounds the amount (0-3660), so it fits an int.
  const int amount = static_cast<int>(row->deadline->amount);
  const chr::year_month_day date = row->deadline->unit == DeadlineUnit::working_days
                                       ? add_working_days(start, amount)
                                       : add_calendar_days(start, amount);
  return Due{date, *row};
}

}  // namespace adapter::norway
