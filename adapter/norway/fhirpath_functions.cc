#include "adapter/norway/fhirpath_functions.h"

#include <fmt/format.h>

#include "adapter/norway/calendar.h"

namespace adapter::norway {
namespace {

using fhirpath::FunctionCall;
using fhirpath::Temporal;
using fhirpath::TemporalKind;
using fhirpath::Value;
using fhirpath::ValueKind;

// A single Date/DateTime of at least day precision, as a calendar day. Strings are read
// as dates too, since untyped input documents carry dates as JSON strings.
std::optional<std::chrono::year_month_day> single_day(fhirpath::Collection items,
                                                      std::string& problem) {
  if (items.size() != 1) {
    problem = fmt::format("needs a single date, not {} items", items.size());
    return std::nullopt;
  }
  const Value& item = items[0];
  std::optional<Temporal> temporal;
  if (item.kind() == ValueKind::temporal) {
    temporal = item.as_temporal();
  } else if (item.kind() == ValueKind::string) {
    temporal = Temporal::parse_date_or_datetime(item.as_string());
  } else if (item.is_node() && item.json() != nullptr && item.json()->is_string()) {
    temporal = Temporal::parse_date_or_datetime(item.json()->as_string());
  }
  if (!temporal || temporal->kind == TemporalKind::time ||
      temporal->precision < fhirpath::Precision::day) {
    problem = "needs a date with year, month and day";
    return std::nullopt;
  }
  return std::chrono::year_month_day{std::chrono::year{temporal->year},
                                     std::chrono::month{temporal->month},
                                     std::chrono::day{temporal->day}};
}

Value date_value(std::chrono::year_month_day day) {
  Temporal t;
  t.kind = TemporalKind::date;
  t.precision = fhirpath::Precision::day;
  t.year = static_cast<std::int16_t>(static_cast<int>(day.year()));
  t.month = static_cast<std::uint8_t>(static_cast<unsigned>(day.month()));
  t.day = static_cast<std::uint8_t>(static_cast<unsigned>(day.day()));
  return Value::of(t);
}

std::optional<std::int64_t> single_integer(fhirpath::Collection items) {
  if (items.size() != 1) return std::nullopt;
  if (items[0].kind() == ValueKind::integer) return items[0].as_integer();
  // A whole JSON number read from untyped input (e.g. the deadline table) counts too.
  if (items[0].is_node() && items[0].json() != nullptr && items[0].json()->is_number()) {
    return items[0].json()->as_int64();
  }
  return std::nullopt;
}

}  // namespace

void add_calendar_functions(fhirpath::FunctionRegistry& registry) {
  registry.add("addWorkingDays", 1, 1, [](FunctionCall& call) -> std::optional<std::string> {
    if (call.focus.empty()) return std::nullopt;
    std::string problem;
    const auto day = single_day(call.focus, problem);
    if (!day) return problem;
    const auto count = single_integer(call.args[0]);
    // Bounded: a pathway deadline is weeks, not centuries, away.
    if (!count || *count < -10000 || *count > 10000) {
      return std::string("the number of working days must be an integer within ±10000");
    }
    call.out.push_back(date_value(add_working_days(*day, static_cast<int>(*count))));
    return std::nullopt;
  });
  registry.add("isWorkingDay", 0, 0, [](FunctionCall& call) -> std::optional<std::string> {
    if (call.focus.empty()) return std::nullopt;
    std::string problem;
    const auto day = single_day(call.focus, problem);
    if (!day) return problem;
    call.out.push_back(Value::of(is_working_day(*day)));
    return std::nullopt;
  });
  registry.add("workingDaysUntil", 1, 1, [](FunctionCall& call) -> std::optional<std::string> {
    if (call.focus.empty() || call.args[0].empty()) return std::nullopt;
    std::string problem;
    const auto from = single_day(call.focus, problem);
    if (!from) return problem;
    const auto to = single_day(call.args[0], problem);
    if (!to) return "the argument " + problem;
    const auto span = std::chrono::sys_days{*to} - std::chrono::sys_days{*from};
    if (span.count() > 36600 || span.count() < -36600) {
      return std::string("the dates are more than a century apart");
    }
    call.out.push_back(Value::of(static_cast<std::int64_t>(count_working_days(*from, *to))));
    return std::nullopt;
  });
}

}  // namespace adapter::norway
