// The function library of the FHIRPath specification (and the FHIR additions: extension,
// resolve, hasValue, getValue, htmlChecks), as small functions over collections.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "adapter/fhirpath/context.h"

namespace adapter::fhirpath::detail {
namespace {

using Args = ArgItems;

// ---- helpers ----

bool push_bool(Items& out, bool value) {
  out.push_back(Value::of(value));
  return true;
}

// The focus as one System value: empty → `present` false; several items → an error.
bool single_value(Context& ctx, const Node& call, const Items& focus, std::optional<Value>& value) {
  value.reset();
  if (focus.empty()) return true;
  if (focus.size() > 1) {
    return ctx.fail(call, fmt::format("{}() needs a single item but the input has {}", call.name,
                                      focus.size()));
  }
  value = ctx.to_system(focus[0]);
  if (!value) value = focus[0];
  return true;
}

bool single_string(Context& ctx, const Node& call, const Items& items,
                   std::optional<std::string_view>& text, std::string_view what = "input") {
  text.reset();
  if (items.empty()) return true;
  if (items.size() > 1) {
    return ctx.fail(call, fmt::format("{}(): the {} must be a single string, not {} items",
                                      call.name, what, items.size()));
  }
  const auto value = ctx.to_system(items[0]);
  if (!value || value->kind() != ValueKind::string) {
    return ctx.fail(call, fmt::format("{}(): the {} must be a string, not {}", call.name, what,
                                      type_name(items[0])));
  }
  text = value->as_string();
  return true;
}

bool single_integer(Context& ctx, const Node& call, const Items& items,
                    std::optional<std::int64_t>& number) {
  number.reset();
  if (items.empty()) return true;
  const auto value = items.size() == 1 ? ctx.to_system(items[0]) : std::nullopt;
  if (!value || value->kind() != ValueKind::integer) {
    return ctx.fail(call, fmt::format("{}(): the argument must be a single integer", call.name));
  }
  number = value->as_integer();
  return true;
}

bool contains_equal(const Context& ctx, const Items& items, const Value& v) {
  for (const Value& item : items) {
    if (ctx.equal(item, v) == true) return true;
  }
  return false;
}

// Evaluates a lambda argument with $this = item.
bool eval_with(Context& ctx, const Node& argument, const Value& item, std::int64_t index,
               Items& out) {
  Frame frame;
  frame.this_value = &item;
  frame.index = index;
  return ctx.eval(argument, frame, out);
}

// Criteria results: true only for a single true (the singleton rule for where/all/exists).
bool criteria_true(Context& ctx, const Node& call, const Items& result, bool& value) {
  std::optional<bool> b;
  if (!ctx.singleton_boolean(call, result, b)) return false;
  value = b.value_or(false);
  return true;
}

// ---- existence ----

bool fn_empty(Context&, const Node&, const Items& focus, const Frame&, const Args&, Items& out) {
  return push_bool(out, focus.empty());
}

bool fn_exists(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
               Items& out) {
  if (call.args.empty()) return push_bool(out, !focus.empty());
  for (std::size_t i = 0; i < focus.size(); ++i) {
    Items result = ctx.items();
    bool matched = false;
    if (!eval_with(ctx, *call.args[0], focus[i], static_cast<std::int64_t>(i), result) ||
        !criteria_true(ctx, call, result, matched)) {
      return false;
    }
    if (matched) return push_bool(out, true);
  }
  return push_bool(out, false);
}

bool fn_all(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
            Items& out) {
  for (std::size_t i = 0; i < focus.size(); ++i) {
    Items result = ctx.items();
    bool matched = false;
    if (!eval_with(ctx, *call.args[0], focus[i], static_cast<std::int64_t>(i), result) ||
        !criteria_true(ctx, call, result, matched)) {
      return false;
    }
    if (!matched) return push_bool(out, false);
  }
  return push_bool(out, true);
}

template <bool kAll, bool kWanted>
bool fn_boolean_set(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
                    Items& out) {
  for (const Value& item : focus) {
    const auto value = ctx.to_system(item);
    if (!value || value->kind() != ValueKind::boolean) {
      return ctx.fail(call,
                      fmt::format("{}() needs booleans but found {}", call.name, type_name(item)));
    }
    const bool is_wanted = value->as_bool() == kWanted;
    if (kAll && !is_wanted) return push_bool(out, false);
    if (!kAll && is_wanted) return push_bool(out, true);
  }
  return push_bool(out, kAll);
}

bool fn_not(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
            Items& out) {
  std::optional<bool> value;
  if (!ctx.singleton_boolean(call, focus, value)) return false;
  if (value) out.push_back(Value::of(!*value));
  return true;
}

bool fn_subset_of(Context& ctx, const Node&, const Items& focus, const Frame&, const Args& args,
                  Items& out) {
  for (const Value& item : focus) {
    if (!contains_equal(ctx, args[0], item)) return push_bool(out, false);
  }
  return push_bool(out, true);
}

bool fn_superset_of(Context& ctx, const Node&, const Items& focus, const Frame&, const Args& args,
                    Items& out) {
  for (const Value& item : args[0]) {
    if (!contains_equal(ctx, focus, item)) return push_bool(out, false);
  }
  return push_bool(out, true);
}

bool fn_count(Context&, const Node&, const Items& focus, const Frame&, const Args&, Items& out) {
  out.push_back(Value::of(static_cast<std::int64_t>(focus.size())));
  return true;
}

bool fn_distinct(Context& ctx, const Node&, const Items& focus, const Frame&, const Args&,
                 Items& out) {
  const std::size_t start = out.size();
  for (const Value& item : focus) {
    bool seen = false;
    for (std::size_t i = start; i < out.size(); ++i) {
      if (ctx.equal(out[i], item) == true) {
        seen = true;
        break;
      }
    }
    if (!seen) out.push_back(item);
  }
  return true;
}

bool fn_is_distinct(Context& ctx, const Node& call, const Items& focus, const Frame& frame,
                    const Args& args, Items& out) {
  Items distinct = ctx.items();
  fn_distinct(ctx, call, focus, frame, args, distinct);
  return push_bool(out, distinct.size() == focus.size());
}

// ---- filtering and projection ----

bool fn_where(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
              Items& out) {
  for (std::size_t i = 0; i < focus.size(); ++i) {
    Items result = ctx.items();
    bool matched = false;
    if (!eval_with(ctx, *call.args[0], focus[i], static_cast<std::int64_t>(i), result) ||
        !criteria_true(ctx, call, result, matched)) {
      return false;
    }
    if (matched) out.push_back(focus[i]);
  }
  return true;
}

bool fn_select(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
               Items& out) {
  for (std::size_t i = 0; i < focus.size(); ++i) {
    if (!eval_with(ctx, *call.args[0], focus[i], static_cast<std::int64_t>(i), out)) return false;
  }
  return true;
}

bool fn_repeat(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
               Items& out) {
  // Breadth-first; an item already produced is not expanded again, so cycles end.
  constexpr std::size_t kMaxItems = 1'000'000;
  const std::size_t start = out.size();
  Items pending = ctx.items();
  pending.assign(focus.begin(), focus.end());
  while (!pending.empty()) {
    Items next = ctx.items();
    for (std::size_t i = 0; i < pending.size(); ++i) {
      Items produced = ctx.items();
      if (!eval_with(ctx, *call.args[0], pending[i], static_cast<std::int64_t>(i), produced)) {
        return false;
      }
      for (const Value& item : produced) {
        bool seen = false;
        for (std::size_t j = start; j < out.size(); ++j) {
          if (ctx.equal(out[j], item) == true) {
            seen = true;
            break;
          }
        }
        if (seen) continue;
        out.push_back(item);
        next.push_back(item);
        if (out.size() - start > kMaxItems) {
          return ctx.fail(call, "repeat() produced more than a million items");
        }
      }
    }
    pending = std::move(next);
  }
  return true;
}

bool fn_of_type(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
                Items& out) {
  if (!ctx.known_type(call, call.type)) return false;
  for (const Value& item : focus) {
    if (ctx.cast_matches(item, call.type)) out.push_back(item);
  }
  return true;
}

bool fn_is(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
           Items& out) {
  if (!ctx.known_type(call, call.type)) return false;
  if (focus.empty()) return true;
  if (focus.size() > 1) {
    return ctx.fail(call,
                    fmt::format("is() needs a single item but the input has {}", focus.size()));
  }
  return push_bool(out, ctx.is_type(focus[0], call.type));
}

bool fn_as(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
           Items& out) {
  if (focus.size() > 1) {
    return ctx.fail(call,
                    fmt::format("as() needs a single item but the input has {}", focus.size()));
  }
  if (!ctx.known_type(call, call.type)) return false;
  if (!focus.empty() && ctx.cast_matches(focus[0], call.type)) out.push_back(focus[0]);
  return true;
}

// ---- subsetting ----

bool fn_single(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
               Items& out) {
  if (focus.size() > 1) {
    return ctx.fail(call, fmt::format("single() found {} items", focus.size()));
  }
  out.insert(out.end(), focus.begin(), focus.end());
  return true;
}

bool fn_first(Context&, const Node&, const Items& focus, const Frame&, const Args&, Items& out) {
  if (!focus.empty()) out.push_back(focus.front());
  return true;
}

bool fn_last(Context&, const Node&, const Items& focus, const Frame&, const Args&, Items& out) {
  if (!focus.empty()) out.push_back(focus.back());
  return true;
}

bool fn_tail(Context&, const Node&, const Items& focus, const Frame&, const Args&, Items& out) {
  if (focus.size() > 1) out.insert(out.end(), focus.begin() + 1, focus.end());
  return true;
}

bool fn_skip(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
             Items& out) {
  std::optional<std::int64_t> n;
  if (!single_integer(ctx, call, args[0], n)) return false;
  if (!n) return true;
  const std::size_t skip = *n <= 0 ? 0 : static_cast<std::size_t>(*n);
  if (skip < focus.size())
    out.insert(out.end(), focus.begin() + static_cast<std::ptrdiff_t>(skip), focus.end());
  return true;
}

bool fn_take(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
             Items& out) {
  std::optional<std::int64_t> n;
  if (!single_integer(ctx, call, args[0], n)) return false;
  if (!n || *n <= 0) return true;
  const std::size_t take = std::min(focus.size(), static_cast<std::size_t>(*n));
  out.insert(out.end(), focus.begin(), focus.begin() + static_cast<std::ptrdiff_t>(take));
  return true;
}

bool fn_intersect(Context& ctx, const Node&, const Items& focus, const Frame&, const Args& args,
                  Items& out) {
  const std::size_t start = out.size();
  for (const Value& item : focus) {
    if (!contains_equal(ctx, args[0], item)) continue;
    bool seen = false;
    for (std::size_t i = start; i < out.size() && !seen; ++i)
      seen = ctx.equal(out[i], item) == true;
    if (!seen) out.push_back(item);
  }
  return true;
}

bool fn_exclude(Context& ctx, const Node&, const Items& focus, const Frame&, const Args& args,
                Items& out) {
  for (const Value& item : focus) {
    if (!contains_equal(ctx, args[0], item)) out.push_back(item);
  }
  return true;
}

// ---- combining ----

bool fn_union(Context& ctx, const Node&, const Items& focus, const Frame&, const Args& args,
              Items& out) {
  const std::size_t start = out.size();
  const auto add = [&](const Value& item) {
    for (std::size_t i = start; i < out.size(); ++i) {
      if (ctx.equal(out[i], item) == true) return;
    }
    out.push_back(item);
  };
  for (const Value& item : focus)
    add(item);
  for (const Value& item : args[0])
    add(item);
  return true;
}

bool fn_combine(Context&, const Node&, const Items& focus, const Frame&, const Args& args,
                Items& out) {
  out.insert(out.end(), focus.begin(), focus.end());
  out.insert(out.end(), args[0].begin(), args[0].end());
  return true;
}

// ---- conversion ----

bool fn_iif(Context& ctx, const Node& call, const Items& focus, const Frame& frame, const Args&,
            Items& out) {
  if (focus.size() > 1) {
    return ctx.fail(call, fmt::format("iif() needs at most one input item, not {}", focus.size()));
  }
  Frame inner = frame;
  if (call.focus) inner.this_value = focus.empty() ? nullptr : &focus[0];
  Items criterion = ctx.items();
  if (!ctx.eval(*call.args[0], inner, criterion)) return false;
  if (criterion.size() > 1) {
    return ctx.fail(call, fmt::format("iif() criterion must be a single boolean, not {} items",
                                      criterion.size()));
  }
  bool condition = false;
  if (!criterion.empty()) {
    const auto value = ctx.to_system(criterion[0]);
    if (!value || value->kind() != ValueKind::boolean) {
      return ctx.fail(
          call, fmt::format("iif() criterion must be a boolean, not {}", type_name(criterion[0])));
    }
    condition = value->as_bool();
  }
  if (condition) return ctx.eval(*call.args[1], inner, out);
  if (call.args.size() > 2) return ctx.eval(*call.args[2], inner, out);
  return true;
}

std::optional<bool> convert_to_boolean(const Value& v) {
  switch (v.kind()) {
    case ValueKind::boolean:
      return v.as_bool();
    case ValueKind::integer:
      if (v.as_integer() == 1) return true;
      if (v.as_integer() == 0) return false;
      return std::nullopt;
    case ValueKind::decimal:
      if (v.as_decimal().value == 1.0) return true;
      if (v.as_decimal().value == 0.0) return false;
      return std::nullopt;
    case ValueKind::string: {
      std::string lower(v.as_string());
      for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "true" || lower == "t" || lower == "yes" || lower == "y" || lower == "1" ||
          lower == "1.0") {
        return true;
      }
      if (lower == "false" || lower == "f" || lower == "no" || lower == "n" || lower == "0" ||
          lower == "0.0") {
        return false;
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<std::int64_t> convert_to_integer(const Value& v) {
  switch (v.kind()) {
    case ValueKind::integer:
      return v.as_integer();
    case ValueKind::boolean:
      return v.as_bool() ? 1 : 0;
    case ValueKind::string: {
      std::string_view text = v.as_string();
      std::size_t i = 0;
      if (!text.empty() && (text[0] == '+' || text[0] == '-')) i = 1;
      if (i == text.size() || text.size() - i > 10) return std::nullopt;
      for (std::size_t j = i; j < text.size(); ++j) {
        if (text[j] < '0' || text[j] > '9') return std::nullopt;
      }
      const std::int64_t value = std::stoll(std::string(text));
      if (value > std::numeric_limits<std::int32_t>::max() ||
          value < std::numeric_limits<std::int32_t>::min()) {
        return std::nullopt;
      }
      return value;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Decimal> convert_to_decimal(const Value& v) {
  switch (v.kind()) {
    case ValueKind::decimal:
      return v.as_decimal();
    case ValueKind::integer:
      return Decimal::of_integer(v.as_integer());
    case ValueKind::boolean:
      return Decimal::of_integer(v.as_bool() ? 1 : 0);
    case ValueKind::string: {
      std::string_view text = v.as_string();
      if (!text.empty() && text[0] == '+') text.remove_prefix(1);
      return Decimal::parse(text);
    }
    default:
      return std::nullopt;
  }
}

std::optional<Temporal> convert_to_temporal(const Value& v, TemporalKind kind) {
  if (v.kind() == ValueKind::temporal) {
    Temporal t = v.as_temporal();
    if (t.kind == kind) return t;
    if (kind == TemporalKind::datetime && t.kind == TemporalKind::date) {
      t.kind = TemporalKind::datetime;
      return t;
    }
    if (kind == TemporalKind::date && t.kind == TemporalKind::datetime) {
      t.kind = TemporalKind::date;
      if (t.precision > Precision::day) t.precision = Precision::day;
      t.has_offset = false;
      return t;
    }
    return std::nullopt;
  }
  if (v.kind() != ValueKind::string) return std::nullopt;
  const std::string_view text = v.as_string();
  switch (kind) {
    case TemporalKind::date: {
      auto t = Temporal::parse_date(text);
      if (!t) {
        t = Temporal::parse_datetime(text);
        if (t) {
          t->kind = TemporalKind::date;
          if (t->precision > Precision::day) t->precision = Precision::day;
          t->has_offset = false;
        }
      }
      return t;
    }
    case TemporalKind::datetime: {
      auto t = Temporal::parse_date_or_datetime(text);
      if (t) t->kind = TemporalKind::datetime;
      return t;
    }
    case TemporalKind::time:
      return Temporal::parse_time(text);
  }
  return std::nullopt;
}

std::optional<Quantity> convert_to_quantity(const Context& ctx, const Value& original,
                                            const Value& v) {
  switch (v.kind()) {
    case ValueKind::quantity:
      return v.as_quantity();
    case ValueKind::integer:
      return Quantity{Decimal::of_integer(v.as_integer()), "1"};
    case ValueKind::decimal:
      return Quantity{v.as_decimal(), "1"};
    case ValueKind::boolean:
      return Quantity{Decimal::of_integer(v.as_bool() ? 1 : 0), "1"};
    case ValueKind::string:
      return parse_quantity_string(v.as_string());
    default:
      break;
  }
  if (const auto q = ctx.quantity_of(original)) return q->as_quantity();
  return std::nullopt;
}

enum class Conversion : std::uint8_t {
  boolean,
  integer,
  decimal,
  string,
  date,
  datetime,
  time,
  quantity
};

template <Conversion kTo, bool kTest>
bool fn_convert(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
                Items& out) {
  if (focus.empty()) return true;
  if (focus.size() > 1) {
    return ctx.fail(call, fmt::format("{}() needs a single item but the input has {}", call.name,
                                      focus.size()));
  }
  const Value& original = focus[0];
  const auto system = ctx.to_system(original);
  const Value v = system ? *system : original;
  bool converted = false;
  switch (kTo) {
    case Conversion::boolean: {
      const auto b = convert_to_boolean(v);
      converted = b.has_value();
      if (b && !kTest) out.push_back(Value::of(*b));
      break;
    }
    case Conversion::integer: {
      const auto i = convert_to_integer(v);
      converted = i.has_value();
      if (i && !kTest) out.push_back(Value::of(*i));
      break;
    }
    case Conversion::decimal: {
      const auto d = convert_to_decimal(v);
      converted = d.has_value();
      if (d && !kTest) out.push_back(Value::of(*d));
      break;
    }
    case Conversion::string: {
      const auto s = v.is_node() ? std::nullopt : to_string(v);
      converted = s.has_value();
      if (s && !kTest) out.push_back(Value::of(ctx.keep(*s)));
      break;
    }
    case Conversion::date:
    case Conversion::datetime:
    case Conversion::time: {
      const TemporalKind kind = kTo == Conversion::date       ? TemporalKind::date
                                : kTo == Conversion::datetime ? TemporalKind::datetime
                                                              : TemporalKind::time;
      const auto t = convert_to_temporal(v, kind);
      converted = t.has_value();
      if (t && !kTest) out.push_back(Value::of(*t));
      break;
    }
    case Conversion::quantity: {
      auto q = convert_to_quantity(ctx, original, v);
      if (q && !args.empty()) {
        std::optional<std::string_view> unit;
        if (!single_string(ctx, call, args[0], unit, "unit")) return false;
        if (unit) q = quantity_convert(*q, *unit);
      }
      converted = q.has_value();
      if (q && !kTest) out.push_back(Value::of(ctx.keep(std::move(*q))));
      break;
    }
  }
  if (kTest) out.push_back(Value::of(converted));
  return true;
}

// ---- strings ----
//
// Strings are UTF-8; positions and lengths count characters (code points), as FHIRPath
// and fhirpath.js do for every text a FHIR resource is likely to hold.

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++count;
  }
  return count;
}

// Byte offset of the character at `index` (text.size() when past the end).
std::size_t utf8_offset(std::string_view text, std::size_t index) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0U) == 0x80U) continue;
    if (seen == index) return i;
    ++seen;
  }
  return text.size();
}

std::size_t utf8_index(std::string_view text, std::size_t byte_offset) {
  return utf8_length(text.substr(0, byte_offset));
}

// Decodes one code point at `at` (input is valid UTF-8: the JSON layer checks it).
std::uint32_t utf8_next(std::string_view text, std::size_t& at) {
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(text[i]));
  };
  const std::uint32_t first = byte(at);
  std::size_t length = 1;
  std::uint32_t code = first;
  if (first >= 0xF0U && at + 3 < text.size()) {
    length = 4;
    code = first & 0x07U;
  } else if (first >= 0xE0U && at + 2 < text.size()) {
    length = 3;
    code = first & 0x0FU;
  } else if (first >= 0xC0U && at + 1 < text.size()) {
    length = 2;
    code = first & 0x1FU;
  }
  for (std::size_t i = 1; i < length; ++i)
    code = (code << 6U) | (byte(at + i) & 0x3FU);
  at += length;
  return code;
}

void utf8_append(std::string& out, std::uint32_t code) {
  if (code < 0x80U) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800U) {
    out.push_back(static_cast<char>(0xC0U | (code >> 6U)));
    out.push_back(static_cast<char>(0x80U | (code & 0x3FU)));
  } else if (code < 0x10000U) {
    out.push_back(static_cast<char>(0xE0U | (code >> 12U)));
    out.push_back(static_cast<char>(0x80U | ((code >> 6U) & 0x3FU)));
    out.push_back(static_cast<char>(0x80U | (code & 0x3FU)));
  } else {
    out.push_back(static_cast<char>(0xF0U | (code >> 18U)));
    out.push_back(static_cast<char>(0x80U | ((code >> 12U) & 0x3FU)));
    out.push_back(static_cast<char>(0x80U | ((code >> 6U) & 0x3FU)));
    out.push_back(static_cast<char>(0x80U | (code & 0x3FU)));
  }
}

// Simple case mapping for ASCII, Latin-1 (æ ø å é ü …), Latin Extended-A, Greek and
// Cyrillic: the scripts Norwegian records carry. Other characters stay as they are.
std::uint32_t change_case(std::uint32_t c, bool upper) {
  if (upper) {
    if (c >= 'a' && c <= 'z') return c - 32;
    if (c >= 0xE0U && c <= 0xFEU && c != 0xF7U) return c - 32;
    if (c == 0xFFU) return 0x178U;
    if (c >= 0x100U && c <= 0x17FU && c != 0x130U && c != 0x131U && c != 0x138U && c != 0x149U) {
      const bool pairs_even = (c < 0x139U) || (c > 0x148U && c < 0x179U);
      if (pairs_even ? (c % 2 == 1) : (c % 2 == 0 && c != 0x17FU)) return c - 1;
      return c;
    }
    if (c >= 0x3B1U && c <= 0x3C9U && c != 0x3C2U) return c - 32;
    if (c >= 0x430U && c <= 0x44FU) return c - 32;
    if (c >= 0x450U && c <= 0x45FU) return c - 80;
    return c;
  }
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0U && c <= 0xDEU && c != 0xD7U) return c + 32;
  if (c == 0x178U) return 0xFFU;
  if (c >= 0x100U && c <= 0x17FU && c != 0x130U && c != 0x131U && c != 0x138U && c != 0x149U) {
    const bool pairs_even = (c < 0x139U) || (c > 0x148U && c < 0x179U);
    if (pairs_even ? (c % 2 == 0) : (c % 2 == 1)) return c + 1;
    return c;
  }
  if (c >= 0x391U && c <= 0x3A9U && c != 0x3A2U) return c + 32;
  if (c >= 0x410U && c <= 0x42FU) return c + 32;
  if (c >= 0x400U && c <= 0x40FU) return c + 80;
  return c;
}

template <bool kLast>  // indexOf / lastIndexOf, in characters
bool fn_index_of(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
                 Items& out) {
  std::optional<std::string_view> text;
  std::optional<std::string_view> needle;
  if (!single_string(ctx, call, focus, text) ||
      !single_string(ctx, call, args[0], needle, "argument"))
    return false;
  if (!text || !needle) return true;
  const auto at = kLast ? text->rfind(*needle) : text->find(*needle);
  out.push_back(Value::of(at == std::string_view::npos
                              ? std::int64_t{-1}
                              : static_cast<std::int64_t>(utf8_index(*text, at))));
  return true;
}

bool fn_substring(Context& ctx, const Node& call, const Items& focus, const Frame&,
                  const Args& args, Items& out) {
  std::optional<std::string_view> text;
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> length;
  if (!single_string(ctx, call, focus, text) || !single_integer(ctx, call, args[0], start))
    return false;
  if (args.size() > 1 && !single_integer(ctx, call, args[1], length)) return false;
  if (!text || !start) return true;
  if (*start < 0 || static_cast<std::size_t>(*start) >= utf8_length(*text)) return true;
  const std::size_t from = utf8_offset(*text, static_cast<std::size_t>(*start));
  std::size_t to = text->size();
  if (args.size() > 1 && length) {
    const std::size_t count = *length <= 0 ? 0 : static_cast<std::size_t>(*length);
    to = from + utf8_offset(text->substr(from), count);
  }
  out.push_back(Value::of(text->substr(from, to - from)));
  return true;
}

template <int kWhich>  // 0 startsWith, 1 endsWith, 2 contains
bool fn_string_test(Context& ctx, const Node& call, const Items& focus, const Frame&,
                    const Args& args, Items& out) {
  std::optional<std::string_view> text;
  std::optional<std::string_view> part;
  if (!single_string(ctx, call, focus, text) ||
      !single_string(ctx, call, args[0], part, "argument"))
    return false;
  if (!text || !part) return true;
  bool result = false;
  if (kWhich == 0) result = text->starts_with(*part);
  if (kWhich == 1) result = text->ends_with(*part);
  if (kWhich == 2) result = text->find(*part) != std::string_view::npos;
  return push_bool(out, result);
}

template <bool kUpper>
bool fn_case(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
             Items& out) {
  std::optional<std::string_view> text;
  if (!single_string(ctx, call, focus, text)) return false;
  if (!text) return true;
  std::string result;
  result.reserve(text->size());
  for (std::size_t at = 0; at < text->size();) {
    utf8_append(result, change_case(utf8_next(*text, at), kUpper));
  }
  out.push_back(Value::of(ctx.keep(result)));
  return true;
}

bool fn_replace(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
                Items& out) {
  std::optional<std::string_view> text;
  std::optional<std::string_view> pattern;
  std::optional<std::string_view> substitution;
  if (!single_string(ctx, call, focus, text) ||
      !single_string(ctx, call, args[0], pattern, "pattern") ||
      !single_string(ctx, call, args[1], substitution, "substitution")) {
    return false;
  }
  if (!text || !pattern || !substitution) return true;
  std::string result;
  if (pattern->empty()) {
    // An empty pattern matches between every character.
    result.append(*substitution);
    for (char c : *text) {
      result.push_back(c);
      result.append(*substitution);
    }
  } else {
    std::size_t from = 0;
    while (true) {
      const auto at = text->find(*pattern, from);
      if (at == std::string_view::npos) break;
      result.append(text->substr(from, at - from));
      result.append(*substitution);
      from = at + pattern->size();
    }
    result.append(text->substr(from));
  }
  out.push_back(Value::of(ctx.keep(result)));
  return true;
}

constexpr std::size_t kMaxRegexInput = 16 * 1024;  // std::regex recursion grows with input

template <bool kFull>
bool fn_matches(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
                Items& out) {
  std::optional<std::string_view> text;
  std::optional<std::string_view> pattern;
  if (!single_string(ctx, call, focus, text) ||
      !single_string(ctx, call, args[0], pattern, "pattern")) {
    return false;
  }
  if (!text || !pattern) return true;
  if (text->size() > kMaxRegexInput) {
    return ctx.fail(call,
                    fmt::format("{}() input exceeds {} characters", call.name, kMaxRegexInput));
  }
  const std::regex* regex = ctx.regex(call, *pattern);
  if (regex == nullptr) return false;
  const bool matched = kFull ? std::regex_match(text->begin(), text->end(), *regex)
                             : std::regex_search(text->begin(), text->end(), *regex);
  return push_bool(out, matched);
}

bool fn_replace_matches(Context& ctx, const Node& call, const Items& focus, const Frame&,
                        const Args& args, Items& out) {
  std::optional<std::string_view> text;
  std::optional<std::string_view> pattern;
  std::optional<std::string_view> substitution;
  if (!single_string(ctx, call, focus, text) ||
      !single_string(ctx, call, args[0], pattern, "pattern") ||
      !single_string(ctx, call, args[1], substitution, "substitution")) {
    return false;
  }
  if (!text || !pattern || !substitution) return true;
  if (text->size() > kMaxRegexInput) {
    return ctx.fail(call,
                    fmt::format("{}() input exceeds {} characters", call.name, kMaxRegexInput));
  }
  if (pattern->empty()) {
    out.push_back(Value::of(*text));
    return true;
  }
  const std::regex* regex = ctx.regex(call, *pattern);
  if (regex == nullptr) return false;
  const std::string result =
      std::regex_replace(std::string(*text), *regex, std::string(*substitution));
  out.push_back(Value::of(ctx.keep(result)));
  return true;
}

bool fn_length(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
               Items& out) {
  std::optional<std::string_view> text;
  if (!single_string(ctx, call, focus, text)) return false;
  if (text) out.push_back(Value::of(static_cast<std::int64_t>(utf8_length(*text))));
  return true;
}

bool fn_to_chars(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
                 Items& out) {
  std::optional<std::string_view> text;
  if (!single_string(ctx, call, focus, text)) return false;
  if (!text) return true;
  for (std::size_t at = 0; at < text->size();) {
    const std::size_t start = at;
    utf8_next(*text, at);
    out.push_back(Value::of(text->substr(start, at - start)));
  }
  return true;
}

bool fn_trim(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
             Items& out) {
  std::optional<std::string_view> text;
  if (!single_string(ctx, call, focus, text)) return false;
  if (!text) return true;
  std::string_view t = *text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front())))
    t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())))
    t.remove_suffix(1);
  out.push_back(Value::of(t));
  return true;
}

bool fn_split(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
              Items& out) {
  std::optional<std::string_view> text;
  std::optional<std::string_view> separator;
  if (!single_string(ctx, call, focus, text) ||
      !single_string(ctx, call, args[0], separator, "separator")) {
    return false;
  }
  if (!text || !separator) return true;
  if (separator->empty()) {
    for (std::size_t i = 0; i < text->size(); ++i)
      out.push_back(Value::of(text->substr(i, 1)));
    return true;
  }
  std::size_t from = 0;
  while (true) {
    const auto at = text->find(*separator, from);
    if (at == std::string_view::npos) {
      out.push_back(Value::of(text->substr(from)));
      return true;
    }
    out.push_back(Value::of(text->substr(from, at - from)));
    from = at + separator->size();
  }
}

bool fn_join(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
             Items& out) {
  std::optional<std::string_view> separator;
  if (!args.empty() && !single_string(ctx, call, args[0], separator, "separator")) return false;
  std::string result;
  bool first = true;
  for (const Value& item : focus) {
    const auto value = ctx.to_system(item);
    if (!value || value->kind() != ValueKind::string) {
      return ctx.fail(call, fmt::format("join() needs strings but found {}", type_name(item)));
    }
    if (!first && separator) result.append(*separator);
    first = false;
    result.append(value->as_string());
  }
  out.push_back(Value::of(ctx.keep(result)));
  return true;
}

std::string base64_encode(std::string_view data, bool url) {
  const char* alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16U) |
                   (static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8U) |
                   static_cast<unsigned>(static_cast<unsigned char>(data[i + 2]));
    out.push_back(alphabet[(n >> 18U) & 63U]);
    out.push_back(alphabet[(n >> 12U) & 63U]);
    out.push_back(alphabet[(n >> 6U) & 63U]);
    out.push_back(alphabet[n & 63U]);
  }
  if (i < data.size()) {
    auto n = static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16U;
    if (i + 1 < data.size())
      n |= static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8U;
    out.push_back(alphabet[(n >> 18U) & 63U]);
    out.push_back(alphabet[(n >> 12U) & 63U]);
    out.push_back(i + 1 < data.size() ? alphabet[(n >> 6U) & 63U] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    buffer = (buffer << 6U) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU));
    }
  }
  return out;
}

template <bool kEncode>
bool fn_encoding(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
                 Items& out) {
  std::optional<std::string_view> text;
  std::optional<std::string_view> format;
  if (!single_string(ctx, call, focus, text) ||
      !single_string(ctx, call, args[0], format, "format"))
    return false;
  if (!text || !format) return true;
  std::string result;
  if (*format == "hex") {
    if (kEncode) {
      static constexpr char kHex[] = "0123456789abcdef";
      for (char c : *text) {
        result.push_back(kHex[static_cast<unsigned char>(c) >> 4U]);
        result.push_back(kHex[static_cast<unsigned char>(c) & 15U]);
      }
    } else {
      if (text->size() % 2 != 0) return true;
      for (std::size_t i = 0; i < text->size(); i += 2) {
        unsigned byte = 0;
        for (std::size_t j = 0; j < 2; ++j) {
          const char h =
              static_cast<char>(std::tolower(static_cast<unsigned char>((*text)[i + j])));
          byte <<= 4U;
          if (h >= '0' && h <= '9')
            byte |= static_cast<unsigned>(h - '0');
          else if (h >= 'a' && h <= 'f')
            byte |= static_cast<unsigned>(h - 'a' + 10);
          else
            return true;
        }
        result.push_back(static_cast<char>(byte));
      }
    }
  } else if (*format == "base64" || *format == "urlbase64") {
    if (kEncode) {
      result = base64_encode(*text, *format == "urlbase64");
    } else {
      const auto decoded = base64_decode(*text);
      if (!decoded) return true;
      result = *decoded;
    }
  } else {
    return ctx.fail(call, fmt::format("{}(): unknown format '{}'", call.name, *format));
  }
  out.push_back(Value::of(ctx.keep(result)));
  return true;
}

template <bool kEscape>
bool fn_escaping(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
                 Items& out) {
  std::optional<std::string_view> text;
  std::optional<std::string_view> target;
  if (!single_string(ctx, call, focus, text) ||
      !single_string(ctx, call, args[0], target, "target"))
    return false;
  if (!text || !target) return true;
  std::string result;
  if (*target == "html") {
    static constexpr std::array<std::pair<char, std::string_view>, 5> kEntities{
        {{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"}}};
    if (kEscape) {
      for (char c : *text) {
        const auto found = std::find_if(kEntities.begin(), kEntities.end(),
                                        [c](const auto& e) { return e.first == c; });
        if (found != kEntities.end())
          result.append(found->second);
        else
          result.push_back(c);
      }
    } else {
      for (std::size_t i = 0; i < text->size();) {
        bool replaced = false;
        for (const auto& [c, entity] : kEntities) {
          if (text->substr(i, entity.size()) == entity) {
            result.push_back(c);
            i += entity.size();
            replaced = true;
            break;
          }
        }
        if (!replaced) result.push_back((*text)[i++]);
      }
    }
  } else if (*target == "json") {
    if (kEscape) {
      for (char c : *text) {
        switch (c) {
          case '"':
            result.append("\\\"");
            break;
          case '\\':
            result.append("\\\\");
            break;
          case '\n':
            result.append("\\n");
            break;
          case '\r':
            result.append("\\r");
            break;
          case '\t':
            result.append("\\t");
            break;
          default:
            result.push_back(c);
        }
      }
    } else {
      for (std::size_t i = 0; i < text->size(); ++i) {
        if ((*text)[i] == '\\' && i + 1 < text->size()) {
          const char e = (*text)[++i];
          switch (e) {
            case 'n':
              result.push_back('\n');
              break;
            case 'r':
              result.push_back('\r');
              break;
            case 't':
              result.push_back('\t');
              break;
            default:
              result.push_back(e);
          }
        } else {
          result.push_back((*text)[i]);
        }
      }
    }
  } else {
    return ctx.fail(call, fmt::format("{}(): unknown target '{}'", call.name, *target));
  }
  out.push_back(Value::of(ctx.keep(result)));
  return true;
}

// ---- math ----

bool single_number(Context& ctx, const Node& call, const Items& focus,
                   std::optional<Value>& value) {
  if (!single_value(ctx, call, focus, value)) return false;
  if (value && value->kind() != ValueKind::integer && value->kind() != ValueKind::decimal &&
      value->kind() != ValueKind::quantity) {
    return ctx.fail(call, fmt::format("{}() needs a number, not {}", call.name, type_name(*value)));
  }
  return true;
}

enum class MathOp : std::uint8_t { abs, ceiling, floor, truncate, exp, ln, sqrt };

template <MathOp kOp>
bool fn_math(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
             Items& out) {
  std::optional<Value> value;
  if (!single_number(ctx, call, focus, value)) return false;
  if (!value) return true;
  if (value->kind() == ValueKind::quantity) {
    if (kOp != MathOp::abs) return ctx.fail(call, fmt::format("{}() needs a number", call.name));
    Quantity q = value->as_quantity();
    q.value.value = std::fabs(q.value.value);
    out.push_back(Value::of(ctx.keep(std::move(q))));
    return true;
  }
  const bool integer = value->kind() == ValueKind::integer;
  const Decimal d = integer ? Decimal::of_integer(value->as_integer()) : value->as_decimal();
  switch (kOp) {
    case MathOp::abs:
      if (integer)
        out.push_back(
            Value::of(value->as_integer() < 0 ? -value->as_integer() : value->as_integer()));
      else
        out.push_back(Value::of(Decimal{std::fabs(d.value), d.scale}));
      return true;
    case MathOp::ceiling:
      out.push_back(Value::of(static_cast<std::int64_t>(std::ceil(d.value))));
      return true;
    case MathOp::floor:
      out.push_back(Value::of(static_cast<std::int64_t>(std::floor(d.value))));
      return true;
    case MathOp::truncate:
      out.push_back(Value::of(static_cast<std::int64_t>(std::trunc(d.value))));
      return true;
    case MathOp::exp:
      out.push_back(Value::of(round_decimal(Decimal{std::exp(d.value), 8}, 8)));
      return true;
    case MathOp::ln:
      if (d.value <= 0) return true;
      out.push_back(Value::of(round_decimal(Decimal{std::log(d.value), 8}, 8)));
      return true;
    case MathOp::sqrt:
      if (d.value < 0) return true;
      out.push_back(Value::of(round_decimal(Decimal{std::sqrt(d.value), 8}, 8)));
      return true;
  }
  return true;
}

bool fn_log(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
            Items& out) {
  std::optional<Value> value;
  std::optional<Value> base;
  if (!single_number(ctx, call, focus, value) || !single_number(ctx, call, args[0], base))
    return false;
  if (!value || !base) return true;
  const double x = value->kind() == ValueKind::integer ? static_cast<double>(value->as_integer())
                                                       : value->as_decimal().value;
  const double b = base->kind() == ValueKind::integer ? static_cast<double>(base->as_integer())
                                                      : base->as_decimal().value;
  if (x <= 0 || b <= 0 || b == 1) return true;
  out.push_back(Value::of(round_decimal(Decimal{std::log(x) / std::log(b), 8}, 8)));
  return true;
}

bool fn_power(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
              Items& out) {
  std::optional<Value> value;
  std::optional<Value> exponent;
  if (!single_number(ctx, call, focus, value) || !single_number(ctx, call, args[0], exponent))
    return false;
  if (!value || !exponent) return true;
  const bool integers =
      value->kind() == ValueKind::integer && exponent->kind() == ValueKind::integer;
  const double x = value->kind() == ValueKind::integer ? static_cast<double>(value->as_integer())
                                                       : value->as_decimal().value;
  const double e = exponent->kind() == ValueKind::integer
                       ? static_cast<double>(exponent->as_integer())
                       : exponent->as_decimal().value;
  const double result = std::pow(x, e);
  if (std::isnan(result) || std::isinf(result)) return true;
  if (integers && exponent->as_integer() >= 0) {
    if (std::fabs(result) > std::numeric_limits<std::int32_t>::max()) return true;
    out.push_back(Value::of(static_cast<std::int64_t>(result)));
  } else {
    out.push_back(Value::of(round_decimal(Decimal{result, 8}, 8)));
  }
  return true;
}

bool fn_round(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
              Items& out) {
  std::optional<Value> value;
  std::optional<std::int64_t> digits;
  if (!single_number(ctx, call, focus, value)) return false;
  if (!args.empty() && !single_integer(ctx, call, args[0], digits)) return false;
  if (!value) return true;
  if (digits && *digits < 0) return ctx.fail(call, "round() precision must not be negative");
  const Decimal d = value->kind() == ValueKind::integer ? Decimal::of_integer(value->as_integer())
                                                        : value->as_decimal();
  out.push_back(Value::of(round_decimal(d, static_cast<int>(digits.value_or(0)))));
  return true;
}

// ---- aggregates (FHIRPath 2.0 sum/min/max/avg) ----

enum class Aggregate : std::uint8_t { sum, min, max, avg };

template <Aggregate kKind>
bool fn_aggregate_of(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
                     Items& out) {
  if (focus.empty()) return true;
  std::optional<Value> result;
  for (const Value& item : focus) {
    const auto value = ctx.to_system(item);
    if (!value)
      return ctx.fail(call, fmt::format("{}() cannot use {}", call.name, type_name(item)));
    if (!result) {
      result = *value;
      continue;
    }
    if (kKind == Aggregate::min || kKind == Aggregate::max) {
      bool incomparable = false;
      const auto order = ctx.compare(*value, *result, incomparable);
      if (!order) {
        return ctx.fail(call, fmt::format("{}() cannot compare {} with {}", call.name,
                                          type_name(*value), type_name(*result)));
      }
      if (incomparable) return true;
      if ((kKind == Aggregate::min && *order < 0) || (kKind == Aggregate::max && *order > 0)) {
        result = *value;
      }
      continue;
    }
    const bool integers =
        value->kind() == ValueKind::integer && result->kind() == ValueKind::integer;
    const bool numbers =
        (value->kind() == ValueKind::integer || value->kind() == ValueKind::decimal) &&
        (result->kind() == ValueKind::integer || result->kind() == ValueKind::decimal);
    if (integers) {
      result = Value::of(result->as_integer() + value->as_integer());
    } else if (numbers) {
      const auto decimal = [](const Value& v) {
        return v.kind() == ValueKind::integer ? Decimal::of_integer(v.as_integer())
                                              : v.as_decimal();
      };
      result = Value::of(decimal_add(decimal(*result), decimal(*value)));
    } else if (value->kind() == ValueKind::quantity && result->kind() == ValueKind::quantity) {
      const auto sum = quantity_add(result->as_quantity(), value->as_quantity());
      if (!sum) return ctx.fail(call, fmt::format("{}() cannot add these units", call.name));
      result = Value::of(ctx.keep(*sum));
    } else {
      return ctx.fail(call, fmt::format("{}() needs numbers or quantities", call.name));
    }
  }
  if (kKind == Aggregate::avg) {
    const auto count = Decimal::of_integer(static_cast<std::int64_t>(focus.size()));
    if (result->kind() == ValueKind::integer || result->kind() == ValueKind::decimal) {
      const Decimal total = result->kind() == ValueKind::integer
                                ? Decimal::of_integer(result->as_integer())
                                : result->as_decimal();
      if (const auto average = decimal_divide(total, count)) out.push_back(Value::of(*average));
      return true;
    }
    if (result->kind() == ValueKind::quantity) {
      Quantity q = result->as_quantity();
      if (const auto average = decimal_divide(q.value, count)) {
        q.value = *average;
        out.push_back(Value::of(ctx.keep(std::move(q))));
      }
      return true;
    }
    return ctx.fail(call, "avg() needs numbers or quantities");
  }
  out.push_back(*result);
  return true;
}

// ---- tree navigation ----

bool fn_children(Context& ctx, const Node&, const Items& focus, const Frame&, const Args&,
                 Items& out) {
  for (const Value& item : focus)
    ctx.children(item, out);
  return true;
}

bool fn_descendants(Context& ctx, const Node&, const Items& focus, const Frame&, const Args&,
                    Items& out) {
  Items level = ctx.items();
  for (const Value& item : focus)
    ctx.children(item, level);
  while (!level.empty()) {
    out.insert(out.end(), level.begin(), level.end());
    Items next = ctx.items();
    for (const Value& item : level)
      ctx.children(item, next);
    level = std::move(next);
  }
  return true;
}

// ---- utility ----

bool fn_trace(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
              Items& out) {
  // Tracing goes nowhere by default: the adapter has no global log sink, and evaluation
  // must not write to the process's output. The input passes through unchanged.
  (void)args;
  (void)ctx;
  (void)call;
  out.insert(out.end(), focus.begin(), focus.end());
  return true;
}

bool fn_now(Context& ctx, const Node&, const Items&, const Frame&, const Args&, Items& out) {
  out.push_back(Value::of(ctx.now()));
  return true;
}

bool fn_today(Context& ctx, const Node&, const Items&, const Frame&, const Args&, Items& out) {
  Temporal t = ctx.now();
  t.kind = TemporalKind::date;
  t.precision = Precision::day;
  t.has_offset = false;
  t.hour = t.minute = t.second = 0;
  t.millisecond = 0;
  out.push_back(Value::of(t));
  return true;
}

bool fn_time_of_day(Context& ctx, const Node&, const Items&, const Frame&, const Args&,
                    Items& out) {
  Temporal t = ctx.now();
  t.kind = TemporalKind::time;
  t.has_offset = false;
  out.push_back(Value::of(t));
  return true;
}

bool fn_aggregate(Context& ctx, const Node& call, const Items& focus, const Frame& frame,
                  const Args&, Items& out) {
  Items total = ctx.items();
  if (call.args.size() > 1 && !ctx.eval(*call.args[1], frame, total)) return false;
  for (std::size_t i = 0; i < focus.size(); ++i) {
    Frame inner;
    inner.this_value = &focus[i];
    inner.index = static_cast<std::int64_t>(i);
    inner.total = &total;
    Items next = ctx.items();
    if (!ctx.eval(*call.args[0], inner, next)) return false;
    total = std::move(next);
  }
  out.insert(out.end(), total.begin(), total.end());
  return true;
}

bool fn_sort(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
             Items& out) {
  struct Keyed {
    Value item;
    std::vector<std::optional<Value>> keys;  // nullopt: an empty key
  };
  // sort(-key) sorts descending, for strings and dates as well as numbers.
  std::vector<bool> descending;
  for (const auto& arg : call.args) {
    descending.push_back(arg->kind == NodeKind::unary && arg->op == Op::negate);
  }
  std::vector<Keyed> keyed;
  keyed.reserve(focus.size());
  for (std::size_t i = 0; i < focus.size(); ++i) {
    Keyed entry{focus[i], {}};
    if (call.args.empty()) {
      entry.keys.push_back(focus[i]);
    }
    for (std::size_t k = 0; k < call.args.size(); ++k) {
      const Node& key_node = descending[k] ? *call.args[k]->args[0] : *call.args[k];
      Items key = ctx.items();
      if (!eval_with(ctx, key_node, focus[i], static_cast<std::int64_t>(i), key)) return false;
      if (key.size() > 1) return ctx.fail(call, "sort() keys must be single values");
      entry.keys.push_back(key.empty() ? std::nullopt : std::optional<Value>(key[0]));
    }
    keyed.push_back(std::move(entry));
  }
  bool failed = false;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
    for (std::size_t k = 0; k < a.keys.size(); ++k) {
      const bool down = k < descending.size() && descending[k];
      if (!a.keys[k] || !b.keys[k]) {
        if (!a.keys[k] && !b.keys[k]) continue;
        // An empty key sorts as the greatest: last ascending, first descending.
        return down ? !a.keys[k].has_value() : a.keys[k].has_value();
      }
      bool incomparable = false;
      const auto order = ctx.compare(*a.keys[k], *b.keys[k], incomparable);
      if (!order) {
        failed = true;
        return false;
      }
      if (*order != 0) return down ? *order > 0 : *order < 0;
    }
    return false;
  });
  if (failed) return ctx.fail(call, "sort() keys are not comparable");
  for (const Keyed& entry : keyed)
    out.push_back(entry.item);
  return true;
}

bool fn_type(Context& ctx, const Node&, const Items& focus, const Frame&, const Args&, Items& out) {
  for (const Value& item : focus) {
    const bool fhir = item.is_node() && item.type() != nullptr;
    const std::string_view ns = fhir ? "FHIR" : "System";
    std::string_view name;
    if (fhir) {
      name = item.type()->name();
    } else {
      const auto system = ctx.to_system(item);
      const std::string_view lower = system ? type_name(*system) : std::string_view("object");
      static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kNames{
          {{"boolean", "Boolean"},
           {"integer", "Integer"},
           {"decimal", "Decimal"},
           {"string", "String"},
           {"date", "Date"},
           {"dateTime", "DateTime"},
           {"time", "Time"},
           {"Quantity", "Quantity"}}};
      name = lower;
      for (const auto& [from, to] : kNames) {
        if (from == lower) name = to;
      }
    }
    // {"namespace": …, "name": …} built in the arena as an untyped JSON object.
    auto* members = static_cast<fhir::JsonMember*>(
        ctx.arena()->allocate(2 * sizeof(fhir::JsonMember), alignof(fhir::JsonMember)));
    new (&members[0]) fhir::JsonMember{"namespace", fhir::JsonValue::unowned_string(ns)};
    new (&members[1]) fhir::JsonMember{"name", fhir::JsonValue::unowned_string(name)};
    auto* object = static_cast<fhir::JsonValue*>(
        ctx.arena()->allocate(sizeof(fhir::JsonValue), alignof(fhir::JsonValue)));
    new (object) fhir::JsonValue(fhir::JsonValue::unowned_object({members, 2}));
    out.push_back(Value::node(object, nullptr));
  }
  return true;
}

// ---- FHIR additions ----

bool fn_extension(Context& ctx, const Node& call, const Items& focus, const Frame&,
                  const Args& args, Items& out) {
  std::optional<std::string_view> url;
  if (!single_string(ctx, call, args[0], url, "url")) return false;
  if (!url) return true;
  Items extensions = ctx.items();
  for (const Value& item : focus)
    ctx.navigate(item, "extension", extensions);
  for (const Value& extension : extensions) {
    if (!extension.is_object_node()) continue;
    const fhir::JsonValue* value = extension.json()->find("url");
    if (value != nullptr && value->is_string() && value->as_string() == *url)
      out.push_back(extension);
  }
  return true;
}

bool fn_has_value(Context& ctx, const Node&, const Items& focus, const Frame&, const Args&,
                  Items& out) {
  return push_bool(out, focus.size() == 1 && focus[0].is_node() && focus[0].json() != nullptr &&
                            !focus[0].json()->is_object() && ctx.to_system(focus[0]).has_value());
}

bool fn_get_value(Context& ctx, const Node&, const Items& focus, const Frame&, const Args&,
                  Items& out) {
  if (focus.size() != 1) return true;
  if (focus[0].is_object_node()) return true;
  if (const auto value = ctx.to_system(focus[0])) out.push_back(*value);
  return true;
}

bool fn_html_checks(Context&, const Node&, const Items&, const Frame&, const Args&, Items& out) {
  // Narrative XHTML safety is the validator's job; as an expression it holds.
  return push_bool(out, true);
}

// "Patient/123", "http://x/fhir/Patient/123", "urn:uuid:…", "#contained".
void resolve_reference(const Context& ctx, std::string_view reference, Items& out) {
  const fhir::JsonValue* root = ctx.resource();
  if (root == nullptr || !root->is_object() || reference.empty()) return;
  const auto matches_resource = [&](const fhir::JsonValue& resource) {
    const fhir::JsonValue* type = resource.find("resourceType");
    const fhir::JsonValue* id = resource.find("id");
    if (type == nullptr || id == nullptr || !type->is_string() || !id->is_string()) return false;
    const std::string_view t = type->as_string();
    const std::string_view i = id->as_string();
    // Ends with "Type/id" (absolute or relative), ignoring a version suffix.
    std::string_view ref = reference;
    if (const auto history = ref.find("/_history/"); history != std::string_view::npos) {
      ref = ref.substr(0, history);
    }
    if (ref.size() < t.size() + 1 + i.size()) return false;
    const std::string_view tail = ref.substr(ref.size() - t.size() - 1 - i.size());
    return tail.substr(0, t.size()) == t && tail[t.size()] == '/' &&
           tail.substr(t.size() + 1) == i &&
           (ref.size() == tail.size() || ref[ref.size() - tail.size() - 1] == '/');
  };
  const auto add = [&](const fhir::JsonValue& resource) {
    const fhir::TypeInfo* type = ctx.resource_type_of(resource);
    out.push_back(Value::node(&resource, type));
  };
  if (reference[0] == '#') {
    const std::string_view id = reference.substr(1);
    const auto search_contained = [&](const fhir::JsonValue& container) {
      const fhir::JsonValue* contained = container.find("contained");
      if (contained == nullptr) return false;
      for (const fhir::JsonValue& resource : contained->items()) {
        const fhir::JsonValue* rid = resource.find("id");
        if (rid != nullptr && rid->is_string() && rid->as_string() == id) {
          add(resource);
          return true;
        }
      }
      return false;
    };
    if (search_contained(*root)) return;
    if (const fhir::JsonValue* entries = root->find("entry")) {
      for (const fhir::JsonValue& entry : entries->items()) {
        const fhir::JsonValue* resource = entry.find("resource");
        if (resource != nullptr && search_contained(*resource)) return;
      }
    }
    return;
  }
  if (const fhir::JsonValue* entries = root->find("entry")) {
    for (const fhir::JsonValue& entry : entries->items()) {
      const fhir::JsonValue* full_url = entry.find("fullUrl");
      const fhir::JsonValue* resource = entry.find("resource");
      if (resource == nullptr || !resource->is_object()) continue;
      if ((full_url != nullptr && full_url->is_string() && full_url->as_string() == reference) ||
          matches_resource(*resource)) {
        add(*resource);
        return;
      }
    }
  }
  if (matches_resource(*root)) add(*root);
}

bool fn_resolve(Context& ctx, const Node&, const Items& focus, const Frame&, const Args&,
                Items& out) {
  for (const Value& item : focus) {
    std::string_view reference;
    if (item.is_object_node()) {
      const fhir::JsonValue* value = item.json()->find("reference");
      if (value == nullptr || !value->is_string()) continue;
      reference = value->as_string();
    } else if (const auto text = ctx.to_system(item); text && text->kind() == ValueKind::string) {
      reference = text->as_string();
    } else {
      continue;
    }
    resolve_reference(ctx, reference, out);
  }
  return true;
}

// ---- temporal precision helpers (FHIRPath 2.0, in the R4 suite) ----

// Digits of each precision as precision()/lowBoundary() count them, by Precision: a date
// or date-time YYYYMMDDhhmmssfff, a time hhmmssfff (0: a time has no such precision).
constexpr std::array<int, 7> kDateDigits{4, 6, 8, 10, 12, 14, 17};
constexpr std::array<int, 7> kTimeDigits{0, 0, 0, 2, 4, 6, 9};

bool fn_precision(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args&,
                  Items& out) {
  std::optional<Value> value;
  if (!single_value(ctx, call, focus, value)) return false;
  if (!value) return true;
  if (value->kind() == ValueKind::decimal) {
    out.push_back(Value::of(static_cast<std::int64_t>(value->as_decimal().scale)));
    return true;
  }
  if (value->kind() == ValueKind::temporal) {
    const Temporal& t = value->as_temporal();
    const auto p = static_cast<std::size_t>(t.precision);
    out.push_back(Value::of(
        static_cast<std::int64_t>(t.kind == TemporalKind::time ? kTimeDigits[p] : kDateDigits[p])));
    return true;
  }
  if (value->kind() == ValueKind::integer) {
    out.push_back(Value::of(std::int64_t{0}));
    return true;
  }
  return ctx.fail(call, fmt::format("precision() does not apply to {}", type_name(*value)));
}

// lowBoundary()/highBoundary(): the ends of the interval a value of limited precision
// stands for, written at `precision` digits (decimals: digits after the point; dates and
// times: 4 year, 6 month, 8 day, 10 hour, 12 minute, 14 second, 17 millisecond; 9 for
// a time's milliseconds). A date-time without an offset spans every offset: +14:00 at
// the low end, -12:00 at the high end.
Decimal decimal_boundary(Decimal d, int precision, bool high) {
  const double half = 0.5 * std::pow(10.0, -static_cast<int>(d.scale));
  const double edge = high ? d.value + half : d.value - half;
  const double scale = std::pow(10.0, precision);
  // The edge is exact at scale + 1 digits; cut it to `precision` digits outward.
  const double scaled = std::round(edge * scale * 1e6) / 1e6;
  const double cut = (high ? std::ceil(scaled) : std::floor(scaled)) / scale;
  return round_decimal(Decimal{cut, static_cast<std::uint8_t>(precision)}, precision);
}

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

std::optional<Temporal> temporal_boundary(Temporal t, int digits, bool high) {
  const auto& table = t.kind == TemporalKind::time ? kTimeDigits : kDateDigits;
  const auto found = std::find(table.begin(), table.end(), digits);
  if (digits <= 0 || found == table.end()) return std::nullopt;
  const auto target = static_cast<Precision>(found - table.begin());
  if (t.kind == TemporalKind::date && target > Precision::day) return std::nullopt;
  // Fill every field finer than the value's precision with its lowest or highest value.
  if (t.precision < Precision::month) t.month = high ? 12 : 1;
  if (t.precision < Precision::day)
    t.day = static_cast<std::uint8_t>(high ? days_in_month(t.year, t.month) : 1);
  if (t.precision < Precision::hour) t.hour = high ? 23 : 0;
  if (t.precision < Precision::minute) t.minute = high ? 59 : 0;
  if (t.precision < Precision::second) t.second = high ? 59 : 0;
  if (t.precision < Precision::millisecond) t.millisecond = high ? 999 : 0;
  if (t.kind == TemporalKind::datetime && target > Precision::day && !t.has_offset) {
    t.has_offset = true;
    t.offset_minutes = high ? -12 * 60 : 14 * 60;
  }
  if (t.kind == TemporalKind::datetime && target <= Precision::day) t.has_offset = false;
  t.precision = target;
  return t;
}

template <bool kHigh>
bool fn_boundary(Context& ctx, const Node& call, const Items& focus, const Frame&, const Args& args,
                 Items& out) {
  std::optional<Value> value;
  std::optional<std::int64_t> precision;
  if (!single_value(ctx, call, focus, value)) return false;
  if (!args.empty() && !single_integer(ctx, call, args[0], precision)) return false;
  if (!value) return true;
  switch (value->kind()) {
    case ValueKind::integer:
    case ValueKind::decimal: {
      const int digits = static_cast<int>(precision.value_or(8));
      if (digits < 0 || digits > 28) return true;
      const Decimal d = value->kind() == ValueKind::integer
                            ? Decimal::of_integer(value->as_integer())
                            : value->as_decimal();
      out.push_back(Value::of(decimal_boundary(d, digits, kHigh)));
      return true;
    }
    case ValueKind::quantity: {
      const int digits = static_cast<int>(precision.value_or(8));
      if (digits < 0 || digits > 28) return true;
      Quantity q = value->as_quantity();
      q.value = decimal_boundary(q.value, digits, kHigh);
      out.push_back(Value::of(ctx.keep(std::move(q))));
      return true;
    }
    case ValueKind::temporal: {
      const Temporal& t = value->as_temporal();
      const int digits = static_cast<int>(precision.value_or(
          t.kind == TemporalKind::time ? 9 : (t.kind == TemporalKind::date ? 8 : 17)));
      if (const auto boundary = temporal_boundary(t, digits, kHigh))
        out.push_back(Value::of(*boundary));
      return true;
    }
    default:
      return ctx.fail(call, fmt::format("{}() does not apply to {}", call.name, type_name(*value)));
  }
}

bool fn_comparable(Context& ctx, const Node& call, const Items& focus, const Frame&,
                   const Args& args, Items& out) {
  std::optional<Value> a;
  std::optional<Value> b;
  if (!single_value(ctx, call, focus, a) || !single_value(ctx, call, args[0], b)) return false;
  if (!a || !b) return true;
  const auto qa = ctx.quantity_of(*a);
  const auto qb = ctx.quantity_of(*b);
  if (!qa || !qb) return ctx.fail(call, "comparable() compares quantities");
  return push_bool(out, quantity_compare(qa->as_quantity(), qb->as_quantity()).has_value());
}

// Core profiles only: conformance to other profiles is the validator's question.
bool fn_conforms_to(Context& ctx, const Node& call, const Items& focus, const Frame&,
                    const Args& args, Items& out) {
  std::optional<std::string_view> url;
  if (!single_string(ctx, call, args[0], url, "url")) return false;
  if (!url || focus.empty()) return true;
  if (focus.size() > 1) return ctx.fail(call, "conformsTo() needs a single item");
  constexpr std::string_view kCore = "http://hl7.org/fhir/StructureDefinition/";
  if (!url->starts_with(kCore) || ctx.model() == nullptr) {
    return ctx.fail(call,
                    fmt::format("conformsTo('{}'): only core FHIR profiles are known here", *url));
  }
  const fhir::TypeInfo* type = ctx.model()->type(url->substr(kCore.size()));
  const fhir::TypeInfo* actual = focus[0].is_node() ? focus[0].type() : nullptr;
  return push_bool(out, type != nullptr && actual != nullptr && actual->is_a(*type));
}

const std::array kBuiltins = {
    Builtin{"empty", 0, 0, ArgKind::value, fn_empty},
    Builtin{"not", 0, 0, ArgKind::value, fn_not},
    Builtin{"exists", 0, 1, ArgKind::lambda, fn_exists},
    Builtin{"all", 1, 1, ArgKind::lambda, fn_all},
    Builtin{"allTrue", 0, 0, ArgKind::value, fn_boolean_set<true, true>},
    Builtin{"anyTrue", 0, 0, ArgKind::value, fn_boolean_set<false, true>},
    Builtin{"allFalse", 0, 0, ArgKind::value, fn_boolean_set<true, false>},
    Builtin{"anyFalse", 0, 0, ArgKind::value, fn_boolean_set<false, false>},
    Builtin{"subsetOf", 1, 1, ArgKind::value, fn_subset_of},
    Builtin{"supersetOf", 1, 1, ArgKind::value, fn_superset_of},
    Builtin{"count", 0, 0, ArgKind::value, fn_count},
    Builtin{"distinct", 0, 0, ArgKind::value, fn_distinct},
    Builtin{"isDistinct", 0, 0, ArgKind::value, fn_is_distinct},
    Builtin{"where", 1, 1, ArgKind::lambda, fn_where},
    Builtin{"select", 1, 1, ArgKind::lambda, fn_select},
    Builtin{"repeat", 1, 1, ArgKind::lambda, fn_repeat},
    Builtin{"ofType", 1, 1, ArgKind::type, fn_of_type},
    Builtin{"is", 1, 1, ArgKind::type, fn_is},
    Builtin{"as", 1, 1, ArgKind::type, fn_as},
    Builtin{"single", 0, 0, ArgKind::value, fn_single},
    Builtin{"first", 0, 0, ArgKind::value, fn_first},
    Builtin{"last", 0, 0, ArgKind::value, fn_last},
    Builtin{"tail", 0, 0, ArgKind::value, fn_tail},
    Builtin{"skip", 1, 1, ArgKind::value, fn_skip},
    Builtin{"take", 1, 1, ArgKind::value, fn_take},
    Builtin{"intersect", 1, 1, ArgKind::value, fn_intersect},
    Builtin{"exclude", 1, 1, ArgKind::value, fn_exclude},
    Builtin{"union", 1, 1, ArgKind::value, fn_union},
    Builtin{"combine", 1, 1, ArgKind::value, fn_combine},
    Builtin{"iif", 2, 3, ArgKind::lambda, fn_iif},
    Builtin{"toBoolean", 0, 0, ArgKind::value, fn_convert<Conversion::boolean, false>},
    Builtin{"convertsToBoolean", 0, 0, ArgKind::value, fn_convert<Conversion::boolean, true>},
    Builtin{"toInteger", 0, 0, ArgKind::value, fn_convert<Conversion::integer, false>},
    Builtin{"convertsToInteger", 0, 0, ArgKind::value, fn_convert<Conversion::integer, true>},
    Builtin{"toDecimal", 0, 0, ArgKind::value, fn_convert<Conversion::decimal, false>},
    Builtin{"convertsToDecimal", 0, 0, ArgKind::value, fn_convert<Conversion::decimal, true>},
    Builtin{"toString", 0, 0, ArgKind::value, fn_convert<Conversion::string, false>},
    Builtin{"convertsToString", 0, 0, ArgKind::value, fn_convert<Conversion::string, true>},
    Builtin{"toDate", 0, 0, ArgKind::value, fn_convert<Conversion::date, false>},
    Builtin{"convertsToDate", 0, 0, ArgKind::value, fn_convert<Conversion::date, true>},
    Builtin{"toDateTime", 0, 0, ArgKind::value, fn_convert<Conversion::datetime, false>},
    Builtin{"convertsToDateTime", 0, 0, ArgKind::value, fn_convert<Conversion::datetime, true>},
    Builtin{"toTime", 0, 0, ArgKind::value, fn_convert<Conversion::time, false>},
    Builtin{"convertsToTime", 0, 0, ArgKind::value, fn_convert<Conversion::time, true>},
    Builtin{"toQuantity", 0, 1, ArgKind::value, fn_convert<Conversion::quantity, false>},
    Builtin{"convertsToQuantity", 0, 1, ArgKind::value, fn_convert<Conversion::quantity, true>},
    Builtin{"indexOf", 1, 1, ArgKind::value, fn_index_of<false>},
    Builtin{"lastIndexOf", 1, 1, ArgKind::value, fn_index_of<true>},
    Builtin{"substring", 1, 2, ArgKind::value, fn_substring},
    Builtin{"startsWith", 1, 1, ArgKind::value, fn_string_test<0>},
    Builtin{"endsWith", 1, 1, ArgKind::value, fn_string_test<1>},
    Builtin{"contains", 1, 1, ArgKind::value, fn_string_test<2>},
    Builtin{"upper", 0, 0, ArgKind::value, fn_case<true>},
    Builtin{"lower", 0, 0, ArgKind::value, fn_case<false>},
    Builtin{"replace", 2, 2, ArgKind::value, fn_replace},
    Builtin{"matches", 1, 1, ArgKind::value, fn_matches<false>},
    Builtin{"matchesFull", 1, 1, ArgKind::value, fn_matches<true>},
    Builtin{"replaceMatches", 2, 2, ArgKind::value, fn_replace_matches},
    Builtin{"length", 0, 0, ArgKind::value, fn_length},
    Builtin{"toChars", 0, 0, ArgKind::value, fn_to_chars},
    Builtin{"trim", 0, 0, ArgKind::value, fn_trim},
    Builtin{"split", 1, 1, ArgKind::value, fn_split},
    Builtin{"join", 0, 1, ArgKind::value, fn_join},
    Builtin{"encode", 1, 1, ArgKind::value, fn_encoding<true>},
    Builtin{"decode", 1, 1, ArgKind::value, fn_encoding<false>},
    Builtin{"escape", 1, 1, ArgKind::value, fn_escaping<true>},
    Builtin{"unescape", 1, 1, ArgKind::value, fn_escaping<false>},
    Builtin{"abs", 0, 0, ArgKind::value, fn_math<MathOp::abs>},
    Builtin{"ceiling", 0, 0, ArgKind::value, fn_math<MathOp::ceiling>},
    Builtin{"floor", 0, 0, ArgKind::value, fn_math<MathOp::floor>},
    Builtin{"truncate", 0, 0, ArgKind::value, fn_math<MathOp::truncate>},
    Builtin{"exp", 0, 0, ArgKind::value, fn_math<MathOp::exp>},
    Builtin{"ln", 0, 0, ArgKind::value, fn_math<MathOp::ln>},
    Builtin{"sqrt", 0, 0, ArgKind::value, fn_math<MathOp::sqrt>},
    Builtin{"log", 1, 1, ArgKind::value, fn_log},
    Builtin{"power", 1, 1, ArgKind::value, fn_power},
    Builtin{"round", 0, 1, ArgKind::value, fn_round},
    Builtin{"children", 0, 0, ArgKind::value, fn_children},
    Builtin{"descendants", 0, 0, ArgKind::value, fn_descendants},
    Builtin{"trace", 1, 2, ArgKind::lambda, fn_trace},
    Builtin{"now", 0, 0, ArgKind::value, fn_now},
    Builtin{"today", 0, 0, ArgKind::value, fn_today},
    Builtin{"timeOfDay", 0, 0, ArgKind::value, fn_time_of_day},
    Builtin{"aggregate", 1, 2, ArgKind::lambda, fn_aggregate},
    Builtin{"sort", 0, 8, ArgKind::lambda, fn_sort},
    Builtin{"type", 0, 0, ArgKind::value, fn_type},
    Builtin{"extension", 1, 1, ArgKind::value, fn_extension},
    Builtin{"hasValue", 0, 0, ArgKind::value, fn_has_value},
    Builtin{"getValue", 0, 0, ArgKind::value, fn_get_value},
    Builtin{"htmlChecks", 0, 0, ArgKind::value, fn_html_checks},
    Builtin{"resolve", 0, 0, ArgKind::value, fn_resolve},
    Builtin{"precision", 0, 0, ArgKind::value, fn_precision},
    Builtin{"sum", 0, 0, ArgKind::value, fn_aggregate_of<Aggregate::sum>},
    Builtin{"min", 0, 0, ArgKind::value, fn_aggregate_of<Aggregate::min>},
    Builtin{"max", 0, 0, ArgKind::value, fn_aggregate_of<Aggregate::max>},
    Builtin{"avg", 0, 0, ArgKind::value, fn_aggregate_of<Aggregate::avg>},
    Builtin{"lowBoundary", 0, 1, ArgKind::value, fn_boundary<false>},
    Builtin{"highBoundary", 0, 1, ArgKind::value, fn_boundary<true>},
    Builtin{"comparable", 1, 1, ArgKind::value, fn_comparable},
    Builtin{"conformsTo", 1, 1, ArgKind::value, fn_conforms_to},
};

}  // namespace

const Builtin* find_builtin(std::string_view name) {
  for (const Builtin& builtin : kBuiltins) {
    if (builtin.name == name) return &builtin;
  }
  return nullptr;
}

}  // namespace adapter::fhirpath::detail
