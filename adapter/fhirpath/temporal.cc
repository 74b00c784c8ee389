#include "adapter/fhirpath/temporal.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdlib>

namespace adapter::fhirpath {
namespace {

constexpr std::int64_t kMillisPerSecond = 1000;
constexpr std::int64_t kMillisPerMinute = 60 * kMillisPerSecond;
constexpr std::int64_t kMillisPerHour = 60 * kMillisPerMinute;
constexpr std::int64_t kMillisPerDay = 24 * kMillisPerHour;
// Offsets in use span UTC-12:00 to UTC+14:00; a value without one lies anywhere in it.
constexpr std::int64_t kEarliestOffsetMillis = -12 * kMillisPerHour;
constexpr std::int64_t kLatestOffsetMillis = 14 * kMillisPerHour;
constexpr int kMaxOffsetMinutes = 14 * 60;

int days_in_month(int year, int month) {
  namespace chrono = std::chrono;
  const chrono::year_month_day_last last{
      chrono::year{year} / chrono::month{static_cast<unsigned>(month)} / chrono::last};
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(int year, int month, int day) {
  namespace chrono = std::chrono;
  const chrono::sys_days date{chrono::year{year} / chrono::month{static_cast<unsigned>(month)} /
                              chrono::day{static_cast<unsigned>(day)}};
  return date.time_since_epoch().count();
}

// Milliseconds since 1970-01-01T00:00 of the fields as written (the offset not applied).
std::int64_t local_millis(const Temporal& t) {
  return days_from_civil(t.year, t.month, t.day) * kMillisPerDay + t.hour * kMillisPerHour +
         t.minute * kMillisPerMinute + t.second * kMillisPerSecond + t.millisecond;
}

std::int64_t time_of_day_millis(const Temporal& t) {
  return t.hour * kMillisPerHour + t.minute * kMillisPerMinute + t.second * kMillisPerSecond +
         t.millisecond;
}

// Writes `millis` back into the date and time fields; false when the year leaves 1..9999.
bool set_local_millis(Temporal& t, std::int64_t millis) {
  std::int64_t days = millis / kMillisPerDay;
  std::int64_t of_day = millis % kMillisPerDay;
  if (of_day < 0) {
    of_day += kMillisPerDay;
    --days;
  }
  // Beyond about ±32767 years std::chrono::year cannot hold the date; it is out of range anyway.
  if (days < -800'000 || days > 3'000'000) return false;
  const std::chrono::year_month_day date{
      std::chrono::sys_days{std::chrono::days{static_cast<int>(days)}}};
  const int year = static_cast<int>(date.year());
  if (year < 1 || year > 9999) return false;
  t.year = static_cast<std::int16_t>(year);
  t.month = static_cast<std::uint8_t>(static_cast<unsigned>(date.month()));
  t.day = static_cast<std::uint8_t>(static_cast<unsigned>(date.day()));
  t.hour = static_cast<std::uint8_t>(of_day / kMillisPerHour);
  t.minute = static_cast<std::uint8_t>(of_day / kMillisPerMinute % 60);
  t.second = static_cast<std::uint8_t>(of_day / kMillisPerSecond % 60);
  t.millisecond = static_cast<std::uint16_t>(of_day % kMillisPerSecond);
  return true;
}

// Seconds and milliseconds are one precision for comparison (31 = 31.0, 31 != 31.1).
int comparison_level(Precision p) {
  return p == Precision::millisecond ? static_cast<int>(Precision::second) : static_cast<int>(p);
}

// ---- parsing ----

// Reads exactly `count` digits at `pos`.
std::optional<int> read_digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// "YYYY", "YYYY-MM" or "YYYY-MM-DD" at the start of `text`; returns the length read.
std::optional<std::size_t> parse_date_part(std::string_view text, Temporal& t) {
  const auto year = read_digits(text, 0, 4);
  if (!year || *year < 1) return std::nullopt;
  t.year = static_cast<std::int16_t>(*year);
  t.precision = Precision::year;
  if (text.size() == 4 || text[4] != '-') return 4;
  const auto month = read_digits(text, 5, 2);
  if (!month || *month < 1 || *month > 12) return std::nullopt;
  t.month = static_cast<std::uint8_t>(*month);
  t.precision = Precision::month;
  if (text.size() == 7 || text[7] != '-') return 7;
  const auto day = read_digits(text, 8, 2);
  if (!day || *day < 1 || *day > days_in_month(*year, *month)) return std::nullopt;
  t.day = static_cast<std::uint8_t>(*day);
  t.precision = Precision::day;
  return 10;
}

// "hh", "hh:mm", "hh:mm:ss" or "hh:mm:ss.fff…" at the start of `text`; returns the length.
std::optional<std::size_t> parse_time_part(std::string_view text, Temporal& t) {
  const auto hour = read_digits(text, 0, 2);
  if (!hour || *hour > 23) return std::nullopt;
  t.hour = static_cast<std::uint8_t>(*hour);
  t.precision = Precision::hour;
  if (text.size() == 2 || text[2] != ':') return 2;
  const auto minute = read_digits(text, 3, 2);
  if (!minute || *minute > 59) return std::nullopt;
  t.minute = static_cast<std::uint8_t>(*minute);
  t.precision = Precision::minute;
  if (text.size() == 5 || text[5] != ':') return 5;
  const auto second = read_digits(text, 6, 2);
  // 60 is a leap second, which FHIR's pattern allows.
  if (!second || *second > 60) return std::nullopt;
  t.second = static_cast<std::uint8_t>(*second);
  t.precision = Precision::second;
  if (text.size() == 8 || text[8] != '.') return 8;
  std::size_t end = 9;
  int millis = 0;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
    // Digits beyond milliseconds (FHIR instants may carry them) are dropped.
    if (end < 12) millis = millis * 10 + (text[end] - '0');
    ++end;
  }
  if (end == 9) return std::nullopt;
  for (std::size_t digits = end - 9; digits < 3; ++digits) {
    millis *= 10;  // ".1" is 100 ms
  }
  t.millisecond = static_cast<std::uint16_t>(millis);
  t.precision = Precision::millisecond;
  return end;
}

// "Z", "+hh:mm" or "-hh:mm", the whole of `text`.
bool parse_offset(std::string_view text, Temporal& t) {
  if (text == "Z") {
    t.has_offset = true;
    t.offset_minutes = 0;
    return true;
  }
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return false;
  const auto hours = read_digits(text, 1, 2);
  const auto minutes = read_digits(text, 4, 2);
  if (!hours || !minutes || *minutes > 59) return false;
  const int total = *hours * 60 + *minutes;
  if (total > kMaxOffsetMinutes) return false;
  t.has_offset = true;
  t.offset_minutes = static_cast<std::int16_t>(text[0] == '-' ? -total : total);
  return true;
}

void append_number(std::string& out, int value, int width) {
  std::array<char, 8> digits{};
  for (int i = width - 1; i >= 0; --i) {
    digits[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits.data(), static_cast<std::size_t>(width));
}

// ---- comparison ----

// The field a comparison looks at for `level`; seconds carry their milliseconds.
int field_at(const Temporal& t, Precision level) {
  switch (level) {
    case Precision::year:
      return t.year;
    case Precision::month:
      return t.month;
    case Precision::day:
      return t.day;
    case Precision::hour:
      return t.hour;
    case Precision::minute:
      return t.minute;
    case Precision::second:
    case Precision::millisecond:
      return t.second * 1000 + t.millisecond;
  }
  return 0;
}

// Field by field down to the coarser precision of the two.
std::optional<int> compare_fields(const Temporal& a, const Temporal& b) {
  const int level_a = comparison_level(a.precision);
  const int level_b = comparison_level(b.precision);
  const int common = std::min(level_a, level_b);
  const int first =
      static_cast<int>(a.kind == TemporalKind::time ? Precision::hour : Precision::year);
  for (int level = first; level <= common; ++level) {
    const int left = field_at(a, static_cast<Precision>(level));
    const int right = field_at(b, static_cast<Precision>(level));
    if (left != right) return left < right ? -1 : 1;
  }
  if (level_a != level_b) return std::nullopt;
  return 0;
}

Temporal in_utc(const Temporal& t) {
  Temporal utc = t;
  if (!t.has_offset || t.offset_minutes == 0) return utc;
  // The shift stays inside the year range but for the extreme first and last hours.
  if (!set_local_millis(utc, local_millis(t) - t.offset_minutes * kMillisPerMinute)) return t;
  utc.offset_minutes = 0;
  return utc;
}

struct MillisRange {
  std::int64_t first;
  std::int64_t last;
};

// The instants (UTC) a value may stand for: its whole precision period, and when it has no
// offset, every offset in use.
MillisRange possible_instants(const Temporal& t) {
  Temporal start = t;
  if (t.precision < Precision::month) start.month = 1;
  if (t.precision < Precision::day) start.day = 1;
  if (t.precision < Precision::hour) start.hour = 0;
  if (t.precision < Precision::minute) start.minute = 0;
  if (t.precision < Precision::second) start.second = 0;
  if (t.precision < Precision::millisecond) start.millisecond = 0;
  const std::int64_t first = local_millis(start);
  std::int64_t after = first;
  switch (t.precision) {
    case Precision::year:
      after = days_from_civil(t.year + 1, 1, 1) * kMillisPerDay;
      break;
    case Precision::month:
      after = first + days_in_month(t.year, t.month) * kMillisPerDay;
      break;
    case Precision::day:
      after = first + kMillisPerDay;
      break;
    case Precision::hour:
      after = first + kMillisPerHour;
      break;
    case Precision::minute:
      after = first + kMillisPerMinute;
      break;
    case Precision::second:  // seconds compare as a decimal: 31 is 31.000
    case Precision::millisecond:
      after = first + 1;
      break;
  }
  if (t.has_offset) {
    const std::int64_t offset = t.offset_minutes * kMillisPerMinute;
    return {first - offset, after - 1 - offset};
  }
  return {first - kLatestOffsetMillis, after - 1 - kEarliestOffsetMillis};
}

bool comparable_kinds(const Temporal& a, const Temporal& b) {
  return (a.kind == TemporalKind::time) == (b.kind == TemporalKind::time);
}

// ---- arithmetic ----

enum class CalendarUnit : std::uint8_t {
  year,
  month,
  week,
  day,
  hour,
  minute,
  second,
  millisecond
};

std::optional<CalendarUnit> calendar_unit(std::string_view unit) {
  struct Name {
    std::string_view name;
    CalendarUnit unit;
  };
  // UCUM 'a' and 'mo' are absent on purpose: they are mean lengths, not calendar steps,
  // and the FHIRPath suite requires `@1973-12-25 + 1 'mo'` to fail.
  static constexpr std::array<Name, 22> kNames = {{
      {"year", CalendarUnit::year},
      {"years", CalendarUnit::year},
      {"month", CalendarUnit::month},
      {"months", CalendarUnit::month},
      {"week", CalendarUnit::week},
      {"weeks", CalendarUnit::week},
      {"wk", CalendarUnit::week},
      {"day", CalendarUnit::day},
      {"days", CalendarUnit::day},
      {"d", CalendarUnit::day},
      {"hour", CalendarUnit::hour},
      {"hours", CalendarUnit::hour},
      {"h", CalendarUnit::hour},
      {"minute", CalendarUnit::minute},
      {"minutes", CalendarUnit::minute},
      {"min", CalendarUnit::minute},
      {"second", CalendarUnit::second},
      {"seconds", CalendarUnit::second},
      {"s", CalendarUnit::second},
      {"millisecond", CalendarUnit::millisecond},
      {"milliseconds", CalendarUnit::millisecond},
      {"ms", CalendarUnit::millisecond},
  }};
  for (const Name& n : kNames) {
    if (n.name == unit) return n.unit;
  }
  return std::nullopt;
}

// Milliseconds in a unit of fixed length, and in the nominal year (365 days) and month
// (30 days) used only to express a finer quantity at year or month precision.
std::int64_t nominal_millis(CalendarUnit unit) {
  switch (unit) {
    case CalendarUnit::year:
      return 365 * kMillisPerDay;
    case CalendarUnit::month:
      return 30 * kMillisPerDay;
    case CalendarUnit::week:
      return 7 * kMillisPerDay;
    case CalendarUnit::day:
      return kMillisPerDay;
    case CalendarUnit::hour:
      return kMillisPerHour;
    case CalendarUnit::minute:
      return kMillisPerMinute;
    case CalendarUnit::second:
      return kMillisPerSecond;
    case CalendarUnit::millisecond:
      return 1;
  }
  return 1;
}

// The largest amount of a unit that can still land inside years 1..9999.
std::int64_t amount_limit(CalendarUnit unit) {
  switch (unit) {
    case CalendarUnit::year:
      return 10'000;
    case CalendarUnit::month:
      return 120'000;
    default:
      return 10'000 * 366 * kMillisPerDay / nominal_millis(unit);
  }
}

// The unit that matches a value's precision, to which finer quantities are converted.
CalendarUnit unit_of_precision(Precision p) {
  switch (p) {
    case Precision::year:
      return CalendarUnit::year;
    case Precision::month:
      return CalendarUnit::month;
    case Precision::day:
      return CalendarUnit::day;
    case Precision::hour:
      return CalendarUnit::hour;
    case Precision::minute:
      return CalendarUnit::minute;
    case Precision::second:
      return CalendarUnit::second;
    case Precision::millisecond:
      return CalendarUnit::millisecond;
  }
  return CalendarUnit::millisecond;
}

// Ordered coarse to fine; a week counts as days for this purpose.
int fineness(CalendarUnit unit) {
  return unit == CalendarUnit::week ? static_cast<int>(CalendarUnit::day) : static_cast<int>(unit);
}

std::optional<Temporal> add_months(Temporal t, std::int64_t months) {
  const std::int64_t index = std::int64_t{t.year} * 12 + (t.month - 1) + months;
  const std::int64_t year = index >= 0 ? index / 12 : (index - 11) / 12;
  if (year < 1 || year > 9999) return std::nullopt;
  t.year = static_cast<std::int16_t>(year);
  t.month = static_cast<std::uint8_t>(index - year * 12 + 1);
  // 2012-02-29 + 1 year is 2013-02-28: the day is clamped to the month's end.
  t.day = static_cast<std::uint8_t>(std::min<int>(t.day, days_in_month(t.year, t.month)));
  return t;
}

}  // namespace

std::optional<Temporal> Temporal::parse_date(std::string_view text) {
  Temporal t;
  t.kind = TemporalKind::date;
  const auto length = parse_date_part(text, t);
  if (!length || *length != text.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> Temporal::parse_datetime(std::string_view text) {
  Temporal t;
  t.kind = TemporalKind::datetime;
  const auto length = parse_date_part(text, t);
  if (!length) return std::nullopt;
  std::string_view rest = text.substr(*length);
  if (rest.empty()) return t;  // "2015" as toDateTime() reads it
  if (rest.front() != 'T') return std::nullopt;
  rest.remove_prefix(1);
  if (rest.empty()) return t;  // the literal forms "2015T", "2015-02T", "2015-02-04T"
  if (t.precision != Precision::day) return std::nullopt;  // a time needs a whole date
  const auto time_length = parse_time_part(rest, t);
  if (!time_length) return std::nullopt;
  rest.remove_prefix(*time_length);
  if (rest.empty()) return t;
  if (!parse_offset(rest, t)) return std::nullopt;
  return t;
}

std::optional<Temporal> Temporal::parse_time(std::string_view text) {
  Temporal t;
  t.kind = TemporalKind::time;
  t.year = 1;
  const auto length = parse_time_part(text, t);
  if (!length || *length != text.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> Temporal::parse_date_or_datetime(std::string_view text) {
  return text.find('T') == std::string_view::npos ? parse_date(text) : parse_datetime(text);
}

std::string Temporal::to_string() const {
  std::string out;
  out.reserve(29);
  if (kind != TemporalKind::time) {
    append_number(out, year, 4);
    if (precision >= Precision::month) {
      out.push_back('-');
      append_number(out, month, 2);
    }
    if (precision >= Precision::day) {
      out.push_back('-');
      append_number(out, day, 2);
    }
    if (kind == TemporalKind::date || precision < Precision::hour) return out;
    out.push_back('T');
  }
  append_number(out, hour, 2);
  if (precision >= Precision::minute) {
    out.push_back(':');
    append_number(out, minute, 2);
  }
  if (precision >= Precision::second) {
    out.push_back(':');
    append_number(out, second, 2);
  }
  if (precision >= Precision::millisecond) {
    out.push_back('.');
    append_number(out, millisecond, 3);
  }
  if (has_offset && kind == TemporalKind::datetime) {
    if (offset_minutes == 0) {
      out.push_back('Z');
    } else {
      out.push_back(offset_minutes < 0 ? '-' : '+');
      const int magnitude = std::abs(offset_minutes);
      append_number(out, magnitude / 60, 2);
      out.push_back(':');
      append_number(out, magnitude % 60, 2);
    }
  }
  return out;
}

std::optional<int> temporal_compare(const Temporal& a, const Temporal& b) {
  if (!comparable_kinds(a, b)) return std::nullopt;
  if (a.has_offset == b.has_offset) {
    if (!a.has_offset || a.offset_minutes == b.offset_minutes) return compare_fields(a, b);
    return compare_fields(in_utc(a), in_utc(b));
  }
  // One offset only: the other value's instant is unknown within the offsets in use, so
  // only an order that holds for every offset is an answer.
  const MillisRange left = possible_instants(a);
  const MillisRange right = possible_instants(b);
  if (left.last < right.first) return -1;
  if (left.first > right.last) return 1;
  return std::nullopt;
}

std::optional<bool> temporal_equal(const Temporal& a, const Temporal& b) {
  if (!comparable_kinds(a, b)) return false;  // a time is never a date
  const auto order = temporal_compare(a, b);
  if (!order) return std::nullopt;
  return *order == 0;
}

bool temporal_equivalent(const Temporal& a, const Temporal& b) {
  if (!comparable_kinds(a, b)) return false;
  if (comparison_level(a.precision) != comparison_level(b.precision)) return false;
  const auto order = temporal_compare(a, b);
  return order && *order == 0;
}

std::optional<Temporal> temporal_add(const Temporal& t, Decimal amount, std::string_view unit) {
  const auto quantity_unit = calendar_unit(unit);
  if (!quantity_unit || !std::isfinite(amount.value)) return std::nullopt;
  const bool is_time = t.kind == TemporalKind::time;
  if (is_time && fineness(*quantity_unit) < static_cast<int>(CalendarUnit::hour)) {
    return std::nullopt;  // a time of day has no years, months or days to move
  }
  // The decimal part of the quantity is dropped (7.7 days is 7 days, 0.1 's' is 0 s).
  const double whole = std::trunc(amount.value);
  if (std::fabs(whole) > static_cast<double>(amount_limit(*quantity_unit))) return std::nullopt;
  std::int64_t count = static_cast<std::int64_t>(whole);
  CalendarUnit step = *quantity_unit;

  // A quantity finer than the value is expressed in the value's precision, truncated.
  const CalendarUnit precision_unit = unit_of_precision(t.precision);
  if (fineness(step) > fineness(precision_unit)) {
    if (step == CalendarUnit::month) {
      count /= 12;  // only a year is coarser than a month
    } else {
      count = count * nominal_millis(step) / nominal_millis(precision_unit);
    }
    step = precision_unit;
  }

  if (count == 0) return t;
  switch (step) {
    case CalendarUnit::year:
      return add_months(t, count * 12);
    case CalendarUnit::month:
      return add_months(t, count);
    default:
      break;
  }
  const std::int64_t delta = count * nominal_millis(step);
  Temporal result = t;
  if (is_time) {
    // Time of day wraps around midnight.
    std::int64_t of_day = (time_of_day_millis(t) + delta) % kMillisPerDay;
    if (of_day < 0) of_day += kMillisPerDay;
    result.hour = static_cast<std::uint8_t>(of_day / kMillisPerHour);
    result.minute = static_cast<std::uint8_t>(of_day / kMillisPerMinute % 60);
    result.second = static_cast<std::uint8_t>(of_day / kMillisPerSecond % 60);
    result.millisecond = static_cast<std::uint16_t>(of_day % kMillisPerSecond);
    return result;
  }
  if (!set_local_millis(result, local_millis(t) + delta)) return std::nullopt;
  return result;
}

}  // namespace adapter::fhirpath
