// The pathway deadline table (mappings/deadlines.json, DOMAIN.md §3) as data: one row per
// deadline, keyed by its own id, plus rows for activities whose sources state no computable
// deadline, so the file is the one catalogue of activity codes. Due dates count calendar days or
// Norwegian working days (adapter/norway/calendar.h) from a start event.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/json_schema.h"
#include "adapter/fhir/outcome.h"

namespace adapter::norway {

enum class DeadlineUnit : std::uint8_t { working_days, calendar_days };
// "working-days" / "calendar-days", as in the JSON.
std::string_view to_code(DeadlineUnit unit);
std::optional<DeadlineUnit> deadline_unit_from_code(std::string_view code);

struct StartEvent {
  std::string code;  // e.g. "referral-received"
  std::string name_no;
  std::string name_en;
};

// A computable deadline: `amount` units after the start event. Working days count as in
// add_working_days (the n-th working day strictly after the start); calendar days are never
// moved off weekends or holidays, because the sources count them as calendar days.
struct DeadlineRule {
  std::string start_event;
  std::int64_t amount = 0;
  DeadlineUnit unit = DeadlineUnit::calendar_days;
};

struct DeadlineRow {
  std::string id;        // unique in the table
  std::string activity;  // activity code shared with the input schemas; may repeat across rows
  std::string name_no;
  std::string name_en;
  std::optional<DeadlineRule> deadline;  // empty: the sources state no computable deadline
  bool general_rule = false;  // "som hovedregel": a target to report as overdue, never to refuse
  std::string timing;         // the deadline in words, or why there is none ("as soon as possible")
  std::string quote;          // the source's own Norwegian wording, when it states one
  std::string source;         // seed lines, e.g. "000:429-457"
};

struct Due {
  std::chrono::year_month_day date;
  DeadlineRow row;  // a copy, so a Due stays valid on its own
};

class DeadlineTable {
 public:
  // The schema every table satisfies (mappings/deadlines.schema.json).
  static adapter::fhir::Result<adapter::fhir::SchemaSet> load_schema(
      const std::string& schema_path);
  // Strict: every problem the schema finds (unknown or missing fields, wrong kinds, unknown
  // units, amounts out of range, malformed codes), then duplicate ids or start events, start
  // events that are not listed and general rules without a deadline; each located by pointer.
  static adapter::fhir::Result<DeadlineTable> from_json(const adapter::fhir::JsonValue& root,
                                                        const adapter::fhir::SchemaSet& schema);
  // Reads (at most 1 MiB) the table and deadlines.schema.json from the same folder.
  static adapter::fhir::Result<DeadlineTable> load(const std::string& path);

  const std::string& source() const { return source_; }
  std::span<const StartEvent> start_events() const { return start_events_; }
  std::span<const DeadlineRow> rows() const { return rows_; }
  // Distinct activity codes in file order.
  std::vector<std::string> activities() const;

  const DeadlineRow* find(std::string_view id) const;  // nullptr when absent
  std::vector<const DeadlineRow*> rows_for_activity(std::string_view activity) const;

  // The due date of a row named by its id or, when no id matches, by an activity code that has
  // exactly one row. Unknown keys, ambiguous activities (the message lists their row ids), rows
  // without a computable deadline and invalid start dates are issues.
  adapter::fhir::Result<Due> due(std::string_view id_or_activity,
                                 std::chrono::year_month_day start) const;

 private:
  std::string source_;
  std::vector<StartEvent> start_events_;
  std::vector<DeadlineRow> rows_;
};

}  // namespace adapter::norway
