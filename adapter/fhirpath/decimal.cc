#include "adapter/fhirpath/decimal.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <system_error>

namespace adapter::fhirpath {
namespace {

constexpr int kMaxScale = 28;
// The scale a quotient gets: the specification asks for at least 8 digits.
constexpr int kDivisionScale = 8;

// Powers of ten that a double holds exactly.
constexpr std::array<double, 23> kPowersOfTen = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Below this magnitude a double still has a fractional part worth rounding.
constexpr double kNoFractionBeyond = 4503599627370496.0;  // 2^52

std::uint8_t clamp_scale(int scale) {
  return static_cast<std::uint8_t>(std::clamp(scale, 0, kMaxScale));
}

// Adding +0.0 turns -0.0 into 0.0, so computed zeros never print as "-0".
double without_negative_zero(double value) {
  return value + 0.0;
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<double> to_double(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Rounds half away from zero on the shortest decimal text of `value`, the number the
// value stands for (2.675 is 2.67499999… in binary, yet rounds to 2.68 at two digits).
double round_decimal_text(double value, int digits) {
  std::array<char, 400> buffer{};
  const auto [end, error] =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed);
  if (error != std::errc{}) return value;
  std::string_view text(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
  const std::size_t point = text.find('.');
  if (point == std::string_view::npos ||
      text.size() - point - 1 <= static_cast<std::size_t>(digits)) {
    return value;
  }
  const std::size_t keep = point + 1 + static_cast<std::size_t>(digits);
  const bool round_up = text[keep] >= '5';
  // Room for a carry into a new leading digit ("9.99" -> "10.0").
  std::array<char, 402> rounded{};
  std::size_t length = 0;
  const bool negative = text.front() == '-';
  if (negative) rounded[length++] = '-';
  const std::size_t digits_start = length;
  rounded[length++] = '0';
  for (std::size_t i = negative ? 1 : 0; i < keep; ++i) {
    rounded[length++] = text[i];
  }
  if (rounded[length - 1] == '.') --length;
  if (round_up) {
    for (std::size_t i = length; i-- > digits_start;) {
      if (rounded[i] == '.') continue;
      if (rounded[i] == '9') {
        rounded[i] = '0';
        continue;
      }
      ++rounded[i];
      break;
    }
  }
  return to_double(std::string_view(rounded.data(), length)).value_or(value);
}

// The double nearest to `value` rounded half away from zero at `digits` decimals. Fast
// arithmetic for the usual case; the exact text method when the value sits near a half.
double round_to(double value, int digits) {
  if (!std::isfinite(value) || digits < 0 || digits >= static_cast<int>(kPowersOfTen.size())) {
    return value;
  }
  const double power = kPowersOfTen[static_cast<std::size_t>(digits)];
  const double scaled = value * power;
  const double magnitude = std::fabs(scaled);
  if (magnitude >= kNoFractionBeyond) return value;
  const double fraction = magnitude - std::floor(magnitude);
  if (std::fabs(fraction - 0.5) < 1e-6) {
    return without_negative_zero(round_decimal_text(value, digits));
  }
  // An integer below 2^53 divided by an exact power of ten is the nearest double.
  return without_negative_zero(std::round(scaled) / power);
}

}  // namespace

std::optional<Decimal> Decimal::parse(std::string_view text) {
  std::string_view number = text;
  if (!number.empty() && (number.front() == '+' || number.front() == '-')) {
    number.remove_prefix(1);
  }
  const std::size_t point = number.find('.');
  const std::string_view whole = number.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view{} : number.substr(point + 1);
  if (!all_digits(whole) || (point != std::string_view::npos && !all_digits(fraction))) {
    return std::nullopt;
  }
  // from_chars takes no leading '+'.
  const auto value = to_double(text.front() == '+' ? text.substr(1) : text);
  if (!value) return std::nullopt;
  return Decimal{*value, clamp_scale(static_cast<int>(fraction.size()))};
}

std::optional<Decimal> Decimal::parse_json(std::string_view text) {
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '-') rest.remove_prefix(1);
  const std::size_t exponent_at = rest.find_first_of("eE");
  const std::string_view mantissa = rest.substr(0, exponent_at);
  const std::size_t point = mantissa.find('.');
  const std::string_view whole = mantissa.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view{} : mantissa.substr(point + 1);
  if (!all_digits(whole) || (point != std::string_view::npos && !all_digits(fraction))) {
    return std::nullopt;
  }
  int exponent = 0;
  if (exponent_at != std::string_view::npos) {
    std::string_view exponent_text = rest.substr(exponent_at + 1);
    if (!exponent_text.empty() && exponent_text.front() == '+') exponent_text.remove_prefix(1);
    const bool negative = !exponent_text.empty() && exponent_text.front() == '-';
    if (!all_digits(negative ? exponent_text.substr(1) : exponent_text)) return std::nullopt;
    const auto [end, error] = std::from_chars(
        exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
    if (error != std::errc{}) return std::nullopt;
  }
  const auto value = to_double(text);
  if (!value) return std::nullopt;
  // "1.50e1" is 15.0: the digits written after the point, less those the exponent moves.
  const long long scale = static_cast<long long>(fraction.size()) - exponent;
  return Decimal{*value, clamp_scale(static_cast<int>(std::clamp(scale, 0LL, 28LL)))};
}

std::string Decimal::to_string() const {
  if (!std::isfinite(value))
    return std::isnan(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity");
  std::array<char, 400> buffer{};
  // Shortest text that reads back as the same double, in fixed notation (no exponent).
  const auto [end, error] =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed);
  std::string text(buffer.data(), error == std::errc{} ? end : buffer.data());
  const std::size_t point = text.find('.');
  const std::size_t written = point == std::string::npos ? 0 : text.size() - point - 1;
  if (written < scale) {
    if (point == std::string::npos) text.push_back('.');
    text.append(scale - written, '0');
  }
  return text;
}

Decimal round_decimal(Decimal d, int digits) {
  const int scale = std::clamp(digits, 0, kMaxScale);
  return {round_to(d.value, scale), clamp_scale(scale)};
}

bool decimal_equal(Decimal a, Decimal b) {
  if (a.value == b.value) return true;
  const int scale = std::max(a.scale, b.scale);
  return round_to(a.value, scale) == round_to(b.value, scale);
}

bool decimal_equivalent(Decimal a, Decimal b) {
  const int scale = std::min(a.scale, b.scale);
  return round_to(a.value, scale) == round_to(b.value, scale);
}

int decimal_compare(Decimal a, Decimal b) {
  if (decimal_equal(a, b)) return 0;
  return a.value < b.value ? -1 : 1;
}

Decimal decimal_add(Decimal a, Decimal b) {
  const int scale = std::max(a.scale, b.scale);
  return {round_to(a.value + b.value, scale), clamp_scale(scale)};
}

Decimal decimal_subtract(Decimal a, Decimal b) {
  const int scale = std::max(a.scale, b.scale);
  return {round_to(a.value - b.value, scale), clamp_scale(scale)};
}

Decimal decimal_multiply(Decimal a, Decimal b) {
  const int scale = std::min(a.scale + b.scale, kMaxScale);
  return {round_to(a.value * b.value, scale), clamp_scale(scale)};
}

std::optional<Decimal> decimal_divide(Decimal a, Decimal b) {
  if (b.value == 0) return std::nullopt;
  const int scale =
      std::max({kDivisionScale, static_cast<int>(a.scale), static_cast<int>(b.scale)});
  return Decimal{round_to(a.value / b.value, std::min(scale, kMaxScale)), clamp_scale(scale)};
}

}  // namespace adapter::fhirpath
