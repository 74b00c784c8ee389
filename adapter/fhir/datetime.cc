#include "adapter/fhir/datetime.h"

namespace adapter::fhir {
namespace {

// Reads exactly `width` digits at `pos`.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<std::chrono::year_month_day> parse_full_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  if (!year || !month || !day || *year == 0) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  return date;
}

std::string format_date(std::chrono::year_month_day date) {
  const int year = static_cast<int>(date.year());
  const unsigned month = static_cast<unsigned>(date.month());
  const unsigned day = static_cast<unsigned>(date.day());
  std::string out(10, '0');
  auto put = [&](std::size_t at, unsigned value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
      out[at + width - 1 - i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<unsigned>(year), 4);
  out[4] = '-';
  put(5, month, 2);
  out[7] = '-';
  put(8, day, 2);
  return out;
}

std::optional<DateTime> parse_date_time(std::string_view text) {
  using namespace std::chrono;
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto date = parse_full_date(text.substr(0, 10));
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  auto second = digits(text, 17, 2);
  if (!date || !hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int millis = 0;
  if (text[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (std::size_t n = pos - start; n < 3; ++n)
      millis *= 10;
  }
  if (*second == 60) {  // leap second: the last representable moment of that minute
    second = 59;
    millis = 999;
  }
  minutes offset{0};
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    const auto off_hour = digits(text, pos + 1, 2);
    const auto off_minute = digits(text, pos + 4, 2);
    if (!off_hour || !off_minute || *off_hour > 14 || *off_minute > 59) return std::nullopt;
    offset = minutes{*off_hour * 60 + *off_minute};
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const auto local =
      sys_days{*date} + hours{*hour} + minutes{*minute} + seconds{*second} + milliseconds{millis};
  return DateTime{local - offset, offset};
}

}  // namespace adapter::fhir
