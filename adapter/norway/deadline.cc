#include "adapter/norway/deadline.h"

#include <algorithm>
#include <initializer_list>
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

// Ten years of days: far beyond any pathway deadline, small enough that counting working days
// one by one stays cheap and every amount fits an int.
constexpr std::int64_t kMaxAmount = 3660;
constexpr std::size_t kMaxFileBytes = 1U << 20U;

std::string member_pointer(std::string_view object_pointer, std::string_view key) {
  return std::string(object_pointer) + "/" + adapter::fhir::pointer_token(key);
}

std::string item_pointer(std::string_view array_pointer, std::size_t index) {
  return std::string(array_pointer) + "/" + std::to_string(index);
}

// Lowercase words joined by single hyphens: the form of every code and id in the table.
bool is_code(std::string_view text) {
  if (text.empty() || text.front() == '-' || text.back() == '-') return false;
  char previous = ' ';
  for (char c : text) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!allowed || (c == '-' && previous == '-')) return false;
    previous = c;
  }
  return true;
}

// Reads objects strictly, collecting every problem instead of stopping at the first.
class StrictReader {
 public:
  explicit StrictReader(Outcome& outcome) : outcome_(outcome) {}

  bool expect_object(const JsonValue& value, const std::string& pointer) {
    if (value.is_object()) return true;
    outcome_.error(
        IssueType::structure, pointer,
        "expected an object, found " + std::string(adapter::fhir::to_string(value.kind())));
    return false;
  }

  void reject_unknown(const JsonValue& object, std::string_view pointer,
                      std::initializer_list<std::string_view> known) {
    for (const adapter::fhir::JsonMember& member : object.members()) {
      if (std::find(known.begin(), known.end(), member.key) == known.end()) {
        std::string allowed;
        for (std::string_view name : known)
          allowed += (allowed.empty() ? "" : ", ") + std::string(name);
        outcome_.error(
            IssueType::structure, member_pointer(pointer, member.key),
            "unknown field '" + std::string(member.key) + "' (allowed: " + allowed + ")");
      }
    }
  }

  // A required, non-empty string; `code` also demands the lowercase-hyphen code form.
  std::string string(const JsonValue& object, std::string_view pointer, std::string_view key,
                     bool code = false) {
    const JsonValue* value = object.find(key);
    const std::string where = member_pointer(pointer, key);
    if (value == nullptr) {
      outcome_.error(IssueType::required, where,
                     "missing required field '" + std::string(key) + "'");
      return {};
    }
    return string_value(*value, where, code);
  }

  std::string optional_string(const JsonValue& object, std::string_view pointer,
                              std::string_view key) {
    const JsonValue* value = object.find(key);
    if (value == nullptr) return {};
    return string_value(*value, member_pointer(pointer, key), false);
  }

  bool boolean(const JsonValue& object, std::string_view pointer, std::string_view key) {
    const JsonValue* value = object.find(key);
    const std::string where = member_pointer(pointer, key);
    if (value == nullptr) {
      outcome_.error(IssueType::required, where,
                     "missing required field '" + std::string(key) + "'");
      return false;
    }
    if (!value->is_bool()) {
      outcome_.error(
          IssueType::structure, where,
          "expected true or false, found " + std::string(adapter::fhir::to_string(value->kind())));
      return false;
    }
    return value->as_bool();
  }

  // A required array; nullptr (with an issue) otherwise.
  const JsonValue* array(const JsonValue& object, std::string_view pointer, std::string_view key) {
    const JsonValue* value = object.find(key);
    const std::string where = member_pointer(pointer, key);
    if (value == nullptr) {
      outcome_.error(IssueType::required, where,
                     "missing required field '" + std::string(key) + "'");
      return nullptr;
    }
    if (!value->is_array()) {
      outcome_.error(
          IssueType::structure, where,
          "expected an array, found " + std::string(adapter::fhir::to_string(value->kind())));
      return nullptr;
    }
    return value;
  }

  Outcome& outcome() { return outcome_; }

 private:
  std::string string_value(const JsonValue& value, const std::string& where, bool code) {
    if (!value.is_string()) {
      outcome_.error(
          IssueType::structure, where,
          "expected a string, found " + std::string(adapter::fhir::to_string(value.kind())));
      return {};
    }
    std::string text(value.as_string());
    if (text.empty()) {
      outcome_.error(IssueType::value, where, "must not be empty");
    } else if (code && !is_code(text)) {
      outcome_.error(
          IssueType::value, where,
          "'" + text + "' is not a code: use lowercase letters and digits joined by '-'");
    }
    return text;
  }

  Outcome& outcome_;
};

std::optional<DeadlineRule> read_rule(StrictReader& reader, const JsonValue& row,
                                      const std::string& row_pointer,
                                      const std::vector<StartEvent>& start_events) {
  const JsonValue* value = row.find("deadline");
  const std::string pointer = member_pointer(row_pointer, "deadline");
  if (value == nullptr) {
    reader.outcome().error(IssueType::required, pointer,
                           "missing required field 'deadline' (null when the sources state none)");
    return std::nullopt;
  }
  if (value->is_null() || !reader.expect_object(*value, pointer)) return std::nullopt;
  reader.reject_unknown(*value, pointer, {"start", "amount", "unit"});

  DeadlineRule rule;
  rule.start_event = reader.string(*value, pointer, "start", true);
  if (!rule.start_event.empty() &&
      std::none_of(start_events.begin(), start_events.end(),
                   [&](const StartEvent& event) { return event.code == rule.start_event; })) {
    reader.outcome().error(IssueType::code_invalid, member_pointer(pointer, "start"),
                           "start event '" + rule.start_event + "' is not listed in /startEvents");
  }

  const JsonValue* amount = value->find("amount");
  if (amount == nullptr) {
    reader.outcome().error(IssueType::required, member_pointer(pointer, "amount"),
                           "missing required field 'amount'");
  } else if (std::optional<std::int64_t> number = amount->as_int64();
             !number || *number < 0 || *number > kMaxAmount) {
    reader.outcome().error(IssueType::value, member_pointer(pointer, "amount"),
                           "amount must be a whole number from 0 to " + std::to_string(kMaxAmount));
  } else {
    rule.amount = *number;
  }

  const std::string unit = reader.string(*value, pointer, "unit");
  if (std::optional<DeadlineUnit> parsed = deadline_unit_from_code(unit)) {
    rule.unit = *parsed;
  } else if (!unit.empty()) {
    reader.outcome().error(IssueType::code_invalid, member_pointer(pointer, "unit"),
                           "unknown unit '" + unit + "' (allowed: working-days, calendar-days)");
  }
  return rule;
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

Result<DeadlineTable> DeadlineTable::from_json(const JsonValue& root) {
  Outcome outcome;
  StrictReader reader(outcome);
  if (!reader.expect_object(root, "")) return outcome;
  reader.reject_unknown(root, "", {"source", "startEvents", "rows"});

  DeadlineTable table;
  table.source_ = reader.string(root, "", "source");

  if (const JsonValue* events = reader.array(root, "", "startEvents")) {
    const auto items = events->items();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string pointer = item_pointer("/startEvents", i);
      if (!reader.expect_object(items[i], pointer)) continue;
      reader.reject_unknown(items[i], pointer, {"code", "nameNo", "nameEn"});
      StartEvent event{reader.string(items[i], pointer, "code", true),
                       reader.string(items[i], pointer, "nameNo"),
                       reader.string(items[i], pointer, "nameEn")};
      const bool duplicate =
          !event.code.empty() &&
          std::any_of(table.start_events_.begin(), table.start_events_.end(),
                      [&](const StartEvent& other) { return other.code == event.code; });
      if (duplicate) {
        outcome.error(IssueType::duplicate, member_pointer(pointer, "code"),
                      "start event '" + event.code + "' is listed twice");
      }
      table.start_events_.push_back(std::move(event));
    }
  }

  if (const JsonValue* rows = reader.array(root, "", "rows")) {
    const auto items = rows->items();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string pointer = item_pointer("/rows", i);
      if (!reader.expect_object(items[i], pointer)) continue;
      reader.reject_unknown(items[i], pointer,
                            {"id", "activity", "nameNo", "nameEn", "deadline", "generalRule",
                             "timing", "quote", "source"});
      DeadlineRow row;
      row.id = reader.string(items[i], pointer, "id", true);
      row.activity = reader.string(items[i], pointer, "activity", true);
      row.name_no = reader.string(items[i], pointer, "nameNo");
      row.name_en = reader.string(items[i], pointer, "nameEn");
      row.deadline = read_rule(reader, items[i], pointer, table.start_events_);
      row.general_rule = reader.boolean(items[i], pointer, "generalRule");
      row.timing = reader.string(items[i], pointer, "timing");
      row.quote = reader.optional_string(items[i], pointer, "quote");
      row.source = reader.string(items[i], pointer, "source");
      const JsonValue* deadline = items[i].find("deadline");
      if (row.general_rule && deadline != nullptr && deadline->is_null()) {
        outcome.error(IssueType::invariant, member_pointer(pointer, "generalRule"),
                      "generalRule is true but the row has no deadline");
      }
      if (!row.id.empty() && table.find(row.id) != nullptr) {
        outcome.error(IssueType::duplicate, member_pointer(pointer, "id"),
                      "row id '" + row.id + "' is used twice");
      }
      table.rows_.push_back(std::move(row));
    }
  }

  if (outcome.has_errors()) return outcome;
  return table;
}

Result<DeadlineTable> DeadlineTable::load(const std::string& path) {
  Result<std::string> text = adapter::fhir::read_bounded(path, kMaxFileBytes);
  if (!text) return text.problems();
  Result<adapter::fhir::JsonDocument> document = adapter::fhir::JsonDocument::parse(text.value());
  if (!document) return document.problems();
  return from_json(document->root());
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
  // from_json bounds the amount, so it fits an int.
  const int amount = static_cast<int>(row->deadline->amount);
  const chr::year_month_day date = row->deadline->unit == DeadlineUnit::working_days
                                       ? add_working_days(start, amount)
                                       : add_calendar_days(start, amount);
  return Due{date, *row};
}

}  // namespace adapter::norway
