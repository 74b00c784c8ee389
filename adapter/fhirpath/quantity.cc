#include "adapter/fhirpath/quantity.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <numbers>

namespace adapter::fhirpath {
namespace {

// ---- UCUM atoms ----

// Exponents of the base quantities a unit measures. UCUM's own bases are m, g, s, rad, K,
// C and cd; amount of substance (mol, which UCUM defines as a pure number 6.02e23) and the
// international unit get dimensions of their own, so that neither is ever "equal" to a
// plain count.
enum Base : std::size_t {
  kLength,
  kMass,
  kTime,
  kAngle,
  kTemperature,
  kCharge,
  kLuminosity,
  kAmount,
  kInternationalUnit,
  kBaseCount
};
using Dimensions = std::array<std::int16_t, kBaseCount>;

constexpr Dimensions dims(std::int16_t m, std::int16_t g, std::int16_t s, std::int16_t rad = 0,
                          std::int16_t k = 0, std::int16_t c = 0, std::int16_t cd = 0,
                          std::int16_t mol = 0, std::int16_t iu = 0) {
  return {m, g, s, rad, k, c, cd, mol, iu};
}
constexpr Dimensions kNone = dims(0, 0, 0);

// Celsius and Fahrenheit are not multiples of kelvin; they convert only as whole units.
enum class Scale : std::uint8_t { ratio, celsius, fahrenheit };

struct Atom {
  std::string_view code;
  double factor;  // one of the unit in the base units (m, g, s, rad, K, C, cd, mol, [iU])
  Dimensions dimensions;
  bool metric;  // takes SI prefixes
  Scale scale = Scale::ratio;
};

constexpr double kInch = 0.0254;
constexpr double kPound = 453.59237;
constexpr double kGallonUs = 231 * kInch * kInch * kInch;
constexpr double kGallonBr = 4.54609e-3;
constexpr double kGravity = 9.80665;
constexpr double kMercuryMetre = 133322e3;  // 133.322 kPa, in g/(m.s2)
constexpr double kJulianYear = 365.25 * 86400;

// The UCUM atoms a FHIR adapter meets: SI and clinical units, US/British customary
// measures, and the time units with their UCUM lengths ('mo' and 'a' are Julian means).
constexpr auto kAtoms = std::to_array<Atom>({
    // base units
    {"m", 1, dims(1, 0, 0), true},
    {"g", 1, dims(0, 1, 0), true},
    {"s", 1, dims(0, 0, 1), true},
    {"rad", 1, dims(0, 0, 0, 1), true},
    {"K", 1, dims(0, 0, 0, 0, 1), true},
    {"C", 1, dims(0, 0, 0, 0, 0, 1), true},
    {"cd", 1, dims(0, 0, 0, 0, 0, 0, 1), true},
    {"mol", 1, dims(0, 0, 0, 0, 0, 0, 0, 1), true},
    {"[iU]", 1, dims(0, 0, 0, 0, 0, 0, 0, 0, 1), true},
    {"[IU]", 1, dims(0, 0, 0, 0, 0, 0, 0, 0, 1), true},
    // pure numbers
    {"%", 1e-2, kNone, false},
    {"[ppth]", 1e-3, kNone, false},
    {"[ppm]", 1e-6, kNone, false},
    {"[ppb]", 1e-9, kNone, false},
    {"[pptr]", 1e-12, kNone, false},
    {"10*", 10, kNone, false},
    {"10^", 10, kNone, false},
    {"[pi]", std::numbers::pi, kNone, false},
    // angle
    {"sr", 1, dims(0, 0, 0, 2), true},
    {"deg", std::numbers::pi / 180, dims(0, 0, 0, 1), false},
    // time
    {"min", 60, dims(0, 0, 1), false},
    {"h", 3600, dims(0, 0, 1), false},
    {"d", 86400, dims(0, 0, 1), false},
    {"wk", 7 * 86400, dims(0, 0, 1), false},
    {"a", kJulianYear, dims(0, 0, 1), false},
    {"a_j", kJulianYear, dims(0, 0, 1), false},
    {"a_t", 365.24219 * 86400, dims(0, 0, 1), false},
    {"a_g", 365.2425 * 86400, dims(0, 0, 1), false},
    {"mo", kJulianYear / 12, dims(0, 0, 1), false},
    {"mo_j", kJulianYear / 12, dims(0, 0, 1), false},
    {"mo_g", 365.2425 * 86400 / 12, dims(0, 0, 1), false},
    {"mo_s", 29.53059 * 86400, dims(0, 0, 1), false},
    {"Hz", 1, dims(0, 0, -1), true},
    // length, area, volume
    {"Ao", 1e-10, dims(1, 0, 0), false},
    {"[in_i]", kInch, dims(1, 0, 0), false},
    {"[ft_i]", 12 * kInch, dims(1, 0, 0), false},
    {"[yd_i]", 36 * kInch, dims(1, 0, 0), false},
    {"[mi_i]", 63360 * kInch, dims(1, 0, 0), false},
    {"[nmi_i]", 1852, dims(1, 0, 0), false},
    {"ar", 100, dims(2, 0, 0), true},
    {"[sin_i]", kInch* kInch, dims(2, 0, 0), false},
    {"[sft_i]", 144 * kInch* kInch, dims(2, 0, 0), false},
    {"[cin_i]", kInch* kInch* kInch, dims(3, 0, 0), false},
    {"L", 1e-3, dims(3, 0, 0), true},
    {"l", 1e-3, dims(3, 0, 0), true},
    {"[gal_us]", kGallonUs, dims(3, 0, 0), false},
    {"[qt_us]", kGallonUs / 4, dims(3, 0, 0), false},
    {"[pt_us]", kGallonUs / 8, dims(3, 0, 0), false},
    {"[cup_us]", kGallonUs / 16, dims(3, 0, 0), false},
    {"[foz_us]", kGallonUs / 128, dims(3, 0, 0), false},
    {"[tbs_us]", kGallonUs / 256, dims(3, 0, 0), false},
    {"[tsp_us]", kGallonUs / 768, dims(3, 0, 0), false},
    {"[gal_br]", kGallonBr, dims(3, 0, 0), false},
    {"[pt_br]", kGallonBr / 8, dims(3, 0, 0), false},
    {"[foz_br]", kGallonBr / 160, dims(3, 0, 0), false},
    {"[drp]", 1e-3 * 1e-3 / 20, dims(3, 0, 0), false},
    // mass
    {"t", 1e6, dims(0, 1, 0), true},
    {"u", 1.6605402e-24, dims(0, 1, 0), true},
    {"[lb_av]", kPound, dims(0, 1, 0), false},
    {"[oz_av]", kPound / 16, dims(0, 1, 0), false},
    {"[gr]", 64.79891e-3, dims(0, 1, 0), false},
    {"[car_m]", 0.2, dims(0, 1, 0), false},
    // mechanics (the base mass is the gram, so a newton is 1000 g.m/s2)
    {"[g]", kGravity, dims(1, 0, -2), false},
    {"N", 1e3, dims(1, 1, -2), true},
    {"dyn", 1e-2, dims(1, 1, -2), true},
    {"gf", kGravity, dims(1, 1, -2), true},
    {"Pa", 1e3, dims(-1, 1, -2), true},
    {"bar", 1e8, dims(-1, 1, -2), true},
    {"atm", 101325e3, dims(-1, 1, -2), false},
    {"m[Hg]", kMercuryMetre, dims(-1, 1, -2), true},
    {"m[H2O]", kGravity * 1e6, dims(-1, 1, -2), true},
    {"[in_i'Hg]", kMercuryMetre* kInch, dims(-1, 1, -2), false},
    {"[psi]", kPound* kGravity / (kInch * kInch), dims(-1, 1, -2), false},
    {"J", 1e3, dims(2, 1, -2), true},
    {"erg", 1e-4, dims(2, 1, -2), true},
    {"cal", 4184, dims(2, 1, -2), true},
    {"[Cal]", 4184e3, dims(2, 1, -2), false},
    {"eV", 1.60217733e-16, dims(2, 1, -2), true},
    {"W", 1e3, dims(2, 1, -3), true},
    {"P", 100, dims(-1, 1, -1), true},
    {"St", 1e-4, dims(2, 0, -1), true},
    // electromagnetism
    {"A", 1, dims(0, 0, -1, 0, 0, 1), true},
    {"V", 1e3, dims(2, 1, -2, 0, 0, -1), true},
    {"Ohm", 1e3, dims(2, 1, -1, 0, 0, -2), true},
    {"S", 1e-3, dims(-2, -1, 1, 0, 0, 2), true},
    {"F", 1e-3, dims(-2, -1, 2, 0, 0, 2), true},
    {"T", 1e3, dims(0, 1, -1, 0, 0, -1), true},
    // radiation, light, temperature, chemistry
    {"Bq", 1, dims(0, 0, -1), true},
    {"Gy", 1, dims(2, 0, -2), true},
    {"Sv", 1, dims(2, 0, -2), true},
    {"Cel", 1, dims(0, 0, 0, 0, 1), false, Scale::celsius},
    {"[degF]", 5.0 / 9.0, dims(0, 0, 0, 0, 1), false, Scale::fahrenheit},
    {"lm", 1, dims(0, 0, 0, 2, 0, 0, 1), true},
    {"lx", 1, dims(-2, 0, 0, 2, 0, 0, 1), true},
    {"Ci", 3.7e10, dims(0, 0, -1), true},
    {"kat", 1, dims(0, 0, -1, 0, 0, 0, 0, 1), true},
    {"U", 1e-6 / 60, dims(0, 0, -1, 0, 0, 0, 0, 1), true},
    {"eq", 1, dims(0, 0, 0, 0, 0, 0, 0, 1), true},
    {"osm", 1, dims(0, 0, 0, 0, 0, 0, 0, 1), true},
    {"Wb", 1e3, dims(2, 1, -1, 0, 0, -1), true},
});

struct Prefix {
  std::string_view code;
  double factor;
};

// "da" first: a two-letter prefix must win over "d" followed by "a…".
constexpr std::array<Prefix, 20> kPrefixes = {{
    {"da", 1e1}, {"Y", 1e24},  {"Z", 1e21},  {"E", 1e18},  {"P", 1e15},  {"T", 1e12},  {"G", 1e9},
    {"M", 1e6},  {"k", 1e3},   {"h", 1e2},   {"d", 1e-1},  {"c", 1e-2},  {"m", 1e-3},  {"u", 1e-6},
    {"n", 1e-9}, {"p", 1e-12}, {"f", 1e-15}, {"a", 1e-18}, {"z", 1e-21}, {"y", 1e-24},
}};

// Sorted at compile time, so a lookup is a binary search rather than a scan.
constexpr auto kAtomsByCode = [] {
  auto atoms = kAtoms;
  std::ranges::sort(atoms, {}, &Atom::code);
  return atoms;
}();

const Atom* find_atom(std::string_view code) {
  const auto* found = std::ranges::lower_bound(kAtomsByCode, code, {}, &Atom::code);
  return found != kAtomsByCode.end() && found->code == code ? found : nullptr;
}

// ---- calendar keywords ----

struct CalendarKeyword {
  std::string_view singular;
  std::string_view plural;
  std::string_view ucum;  // the UCUM unit it is equivalent (~) to
  // A calendar year or month has no fixed length, so for `=` it compares only with itself
  // (1 year = 1 'a' and 1 year = 12 months are empty); weeks and shorter are fixed.
  bool fixed_length;
};

constexpr std::array<CalendarKeyword, 8> kCalendarKeywords = {{
    {"year", "years", "a", false},
    {"month", "months", "mo", false},
    {"week", "weeks", "wk", true},
    {"day", "days", "d", true},
    {"hour", "hours", "h", true},
    {"minute", "minutes", "min", true},
    {"second", "seconds", "s", true},
    {"millisecond", "milliseconds", "ms", true},
}};

const CalendarKeyword* find_keyword(std::string_view unit) {
  for (const CalendarKeyword& keyword : kCalendarKeywords) {
    if (keyword.singular == unit || keyword.plural == unit) return &keyword;
  }
  return nullptr;
}

std::string_view unit_or_one(std::string_view unit) {
  return unit.empty() ? "1" : unit;
}

// The same unit written the same way, or the singular and plural of one keyword.
bool same_unit(std::string_view a, std::string_view b) {
  if (a == b) return true;
  const CalendarKeyword* keyword = find_keyword(a);
  return keyword != nullptr && keyword == find_keyword(b);
}

// ---- UCUM expressions ----

// One symbol of an expression with its exponent: "cm" in "mg/cm2" has exponent -2.
struct Term {
  std::string_view symbol;  // prefix and atom as written, without exponent or annotation
  int exponent = 0;
  double factor = 1;  // one symbol in base units
  Dimensions dimensions{};
};

constexpr std::size_t kMaxTerms = 12;
constexpr int kMaxNesting = 8;

// A parsed unit, kept on the stack: comparisons run per resource and must not allocate.
struct UnitExpression {
  double factor = 1;  // the whole unit in base units
  Dimensions dimensions{};
  double number = 1;  // the product of plain numbers in it (the 100 of "g/(100.mL)")
  Scale scale = Scale::ratio;
  std::array<Term, kMaxTerms> terms{};
  std::size_t term_count = 0;
};

// x^n by repeated multiplication: exact for the powers of ten and small exponents that
// units use, and much cheaper than std::pow.
double integer_power(double x, int n) {
  double result = 1;
  for (int i = 0; i < std::abs(n); ++i) {
    result *= x;
  }
  return n < 0 ? 1 / result : result;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Recursive descent over UCUM's grammar: term = ["/"] component {("." | "/") component};
// component = "(" term ")" | annotation | simple-unit [exponent]; each followed by an
// optional {annotation}, which carries no meaning.
class UnitParser {
 public:
  explicit UnitParser(std::string_view text) : text_(text) {}

  bool parse(UnitExpression& out) {
    if (text_.empty() || !parse_term(out, 1) || pos_ != text_.size()) return false;
    if (out.scale != Scale::ratio) {
      // °C and °F are offsets, not multiples: only the bare unit makes sense.
      return out.term_count == 1 && out.terms[0].exponent == 1 && out.number == 1;
    }
    return true;
  }

 private:
  bool parse_term(UnitExpression& out, int sign) {
    int next_sign = sign;
    if (peek() == '/') {
      ++pos_;
      next_sign = -sign;
    }
    if (!parse_component(out, next_sign)) return false;
    while (peek() == '.' || peek() == '/') {
      next_sign = text_[pos_] == '/' ? -sign : sign;
      ++pos_;
      if (!parse_component(out, next_sign)) return false;
    }
    return true;
  }

  bool parse_component(UnitExpression& out, int sign) {
    if (peek() == '(') {
      if (++depth_ > kMaxNesting) return false;
      ++pos_;
      if (!parse_term(out, sign) || peek() != ')') return false;
      ++pos_;
      --depth_;
      return skip_annotation();
    }
    if (peek() == '{') return skip_annotation();  // "{score}" alone is the unity
    if (!parse_simple(out, sign)) return false;
    return skip_annotation();
  }

  bool skip_annotation() {
    if (peek() != '{') return true;
    const std::size_t close = text_.find('}', pos_);
    if (close == std::string_view::npos) return false;
    pos_ = close + 1;
    return true;
  }

  bool parse_simple(UnitExpression& out, int sign) {
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '.' || c == '/' || c == '(' || c == ')' || c == '{' || c == '}') break;
      if (c == '[') {
        const std::size_t close = text_.find(']', pos_);
        if (close == std::string_view::npos) return false;
        pos_ = close + 1;
        continue;
      }
      if (c <= ' ' || c > '~') return false;
      ++pos_;
    }
    const std::string_view token = text_.substr(start, pos_ - start);
    if (token.empty()) return false;
    if (std::all_of(token.begin(), token.end(), is_digit)) return add_number(out, token, sign);

    // A trailing integer, with its sign, is the exponent: "m2", "s-1", "10*3".
    std::size_t exponent_at = token.size();
    while (exponent_at > 0 && is_digit(token[exponent_at - 1])) {
      --exponent_at;
    }
    int exponent = 1;
    if (exponent_at < token.size()) {
      const std::string_view digits = token.substr(exponent_at);
      if (digits.size() > 2) return false;
      exponent = 0;
      for (char c : digits) {
        exponent = exponent * 10 + (c - '0');
      }
      if (exponent_at > 0 && (token[exponent_at - 1] == '-' || token[exponent_at - 1] == '+')) {
        if (token[exponent_at - 1] == '-') exponent = -exponent;
        --exponent_at;
      }
    }
    const std::string_view symbol = token.substr(0, exponent_at);
    if (symbol.empty()) return false;
    return add_symbol(out, symbol, exponent * sign);
  }

  static bool add_number(UnitExpression& out, std::string_view digits, int sign) {
    if (digits.size() > 15) return false;
    double number = 0;
    for (char c : digits) {
      number = number * 10 + (c - '0');
    }
    if (number == 0) return false;
    out.number *= sign > 0 ? number : 1 / number;
    out.factor *= sign > 0 ? number : 1 / number;
    return true;
  }

  static bool add_symbol(UnitExpression& out, std::string_view symbol, int exponent) {
    double prefix = 1;
    const Atom* atom = find_atom(symbol);
    if (atom == nullptr) {
      // The whole symbol as an atom wins ("cd" is the candela, "Pa" the pascal); only
      // then a prefix on a metric atom ("cm", "dag", "mm[Hg]").
      for (const Prefix& p : kPrefixes) {
        if (p.code.front() != symbol.front() || symbol.size() <= p.code.size() ||
            !symbol.starts_with(p.code)) {
          continue;
        }
        const Atom* candidate = find_atom(symbol.substr(p.code.size()));
        if (candidate != nullptr && candidate->metric) {
          atom = candidate;
          prefix = p.factor;
          break;
        }
      }
    }
    if (atom == nullptr) return false;
    if (atom->scale != Scale::ratio) {
      if (prefix != 1 || out.scale != Scale::ratio) return false;
      out.scale = atom->scale;
    }
    const double factor = prefix * atom->factor;
    out.factor *= integer_power(factor, exponent);
    for (std::size_t i = 0; i < kBaseCount; ++i) {
      out.dimensions[i] =
          static_cast<std::int16_t>(out.dimensions[i] + atom->dimensions[i] * exponent);
    }
    for (std::size_t i = 0; i < out.term_count; ++i) {
      if (out.terms[i].symbol == symbol) {
        out.terms[i].exponent += exponent;
        return true;
      }
    }
    if (out.term_count == kMaxTerms) return false;
    out.terms[out.term_count++] = Term{symbol, exponent, factor, atom->dimensions};
    return true;
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

std::optional<UnitExpression> parse_unit(std::string_view unit) {
  std::optional<UnitExpression> expression(std::in_place);  // built in place, never copied
  if (!UnitParser(unit).parse(*expression)) expression.reset();
  return expression;
}

// ---- conversion ----

constexpr int kMaxScale = 28;
// Digits added when a conversion factor has no short decimal form (1/7 of a week, 1/2.54).
constexpr int kInexactFactorDigits = 8;

// How many more digits after the point a value needs once multiplied by `ratio`:
// none for 1000 (g to mg), three for 0.001 (mg to g), eight for 1/7.
int digits_added_by(double ratio) {
  double scaled = std::fabs(ratio);
  for (int digits = 0; digits < kInexactFactorDigits; ++digits) {
    if (std::fabs(scaled - std::round(scaled)) <= 1e-9 * std::max(1.0, scaled)) return digits;
    scaled *= 10;
  }
  return kInexactFactorDigits;
}

Decimal with_scale_for(double value, int scale) {
  const int clamped = std::clamp(scale, 0, kMaxScale);
  return round_decimal(Decimal{value, static_cast<std::uint8_t>(clamped)}, clamped);
}

Decimal rescale(Decimal value, double ratio) {
  if (ratio == 1) return value;
  return with_scale_for(value.value * ratio, value.scale + digits_added_by(ratio));
}

double to_kelvin(double value, const UnitExpression& unit) {
  switch (unit.scale) {
    case Scale::celsius:
      return value + 273.15;
    case Scale::fahrenheit:
      return (value + 459.67) * 5 / 9;
    case Scale::ratio:
      break;
  }
  return value * unit.factor;
}

double from_kelvin(double kelvin, const UnitExpression& unit) {
  switch (unit.scale) {
    case Scale::celsius:
      return kelvin - 273.15;
    case Scale::fahrenheit:
      return kelvin * 9 / 5 - 459.67;
    case Scale::ratio:
      break;
  }
  return kelvin / unit.factor;
}

// `value` in unit `from` expressed in unit `to`; the units have the same dimensions.
Decimal convert(Decimal value, const UnitExpression& from, const UnitExpression& to) {
  if (from.scale == Scale::ratio && to.scale == Scale::ratio) {
    return rescale(value, from.factor / to.factor);
  }
  const bool fahrenheit = from.scale == Scale::fahrenheit || to.scale == Scale::fahrenheit;
  // 273.15 has two decimals; a Fahrenheit conversion has none short.
  const int added = fahrenheit ? kInexactFactorDigits : 2;
  return with_scale_for(from_kelvin(to_kelvin(value.value, from), to), value.scale + added);
}

enum class Match : std::uint8_t { equality, equivalence };
// Comparisons work in the coarser unit (so 4 'g' ~ 4040 'mg' compares 4 with 4.040 at
// the lesser precision); sums in the finer one (1 'm' + 1 'cm' = 101 'cm'); conversions
// in the right-hand unit.
enum class Target : std::uint8_t { coarser, finer, right };
// Celsius and Fahrenheit convert for comparison, but a sum across them means nothing.
enum class TemperatureScales : std::uint8_t { convert, refuse };
enum class Side : std::uint8_t { left, right };

// Both values in one unit, and whose unit that is.
struct Aligned {
  Decimal left;
  Decimal right;
  Side unit_of;
};

Aligned align_by_factor(Decimal left, double left_factor, Decimal right, double right_factor,
                        Target target) {
  bool into_left = false;
  switch (target) {
    case Target::coarser:
      into_left = left_factor >= right_factor;
      break;
    case Target::finer:
      into_left = left_factor <= right_factor;
      break;
    case Target::right:
      break;
  }
  if (into_left) return {left, rescale(right, right_factor / left_factor), Side::left};
  return {rescale(left, left_factor / right_factor), right, Side::right};
}

std::optional<Aligned> align(const Quantity& a, const Quantity& b, Match match, Target target,
                             TemperatureScales temperatures = TemperatureScales::convert) {
  const std::string_view unit_a = unit_or_one(a.unit);
  const std::string_view unit_b = unit_or_one(b.unit);
  const Side same = target == Target::right ? Side::right : Side::left;
  if (same_unit(unit_a, unit_b)) return Aligned{a.value, b.value, same};

  const CalendarKeyword* keyword_a = find_keyword(unit_a);
  const CalendarKeyword* keyword_b = find_keyword(unit_b);
  if (match == Match::equality && ((keyword_a != nullptr && !keyword_a->fixed_length) ||
                                   (keyword_b != nullptr && !keyword_b->fixed_length))) {
    return std::nullopt;
  }
  const std::string_view code_a = keyword_a != nullptr ? keyword_a->ucum : unit_a;
  const std::string_view code_b = keyword_b != nullptr ? keyword_b->ucum : unit_b;
  if (code_a == code_b) return Aligned{a.value, b.value, same};

  const auto left = parse_unit(code_a);
  const auto right = parse_unit(code_b);
  if (!left || !right || left->dimensions != right->dimensions) return std::nullopt;
  if (left->scale != Scale::ratio || right->scale != Scale::ratio) {
    if (temperatures == TemperatureScales::refuse) return std::nullopt;
    if (target == Target::right) {
      return Aligned{convert(a.value, *left, *right), b.value, Side::right};
    }
    return Aligned{a.value, convert(b.value, *right, *left), Side::left};
  }
  return align_by_factor(a.value, left->factor, b.value, right->factor, target);
}

std::optional<Quantity> add_or_subtract(const Quantity& a, const Quantity& b, bool subtract) {
  const auto aligned = align(a, b, Match::equality, Target::finer, TemperatureScales::refuse);
  if (!aligned) return std::nullopt;
  const Decimal value = subtract ? decimal_subtract(aligned->left, aligned->right)
                                 : decimal_add(aligned->left, aligned->right);
  return Quantity{value, aligned->unit_of == Side::left ? a.unit : b.unit};
}

std::string format_terms(const std::array<Term, kMaxTerms>& terms, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (terms[i].exponent <= 0) continue;
    if (!out.empty()) out.push_back('.');
    out.append(terms[i].symbol);
    if (terms[i].exponent != 1) out.append(std::to_string(terms[i].exponent));
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (terms[i].exponent >= 0) continue;
    if (out.empty()) out.push_back('1');  // "1/s"
    out.push_back('/');
    out.append(terms[i].symbol);
    if (terms[i].exponent != -1) out.append(std::to_string(-terms[i].exponent));
  }
  if (out.empty()) out = "1";
  return out;
}

// Product (sign 1) or quotient (sign -1) of two quantities: the units' symbols combine,
// and a symbol meeting another of the same dimension is converted to the coarser of the
// two (cm . m = 0.01 m2), so that m/m cancels to '1' and mg/dL . L gives mg.
std::optional<Quantity> multiply_or_divide(const Quantity& a, const Quantity& b, int sign) {
  const auto value = sign > 0 ? std::optional(decimal_multiply(a.value, b.value))
                              : decimal_divide(a.value, b.value);
  if (!value) return std::nullopt;
  const std::string_view unit_a = unit_or_one(a.unit);
  const std::string_view unit_b = unit_or_one(b.unit);
  if (unit_b == "1") return Quantity{*value, std::string(unit_a)};
  if (unit_a == "1" && sign > 0) return Quantity{*value, std::string(unit_b)};

  const CalendarKeyword* keyword_a = find_keyword(unit_a);
  const CalendarKeyword* keyword_b = find_keyword(unit_b);
  const auto left = parse_unit(keyword_a != nullptr ? keyword_a->ucum : unit_a);
  const auto right = parse_unit(keyword_b != nullptr ? keyword_b->ucum : unit_b);
  if (!left || !right || left->scale != Scale::ratio || right->scale != Scale::ratio) {
    return std::nullopt;
  }
  std::array<Term, kMaxTerms> terms = left->terms;
  std::size_t count = left->term_count;
  // Plain numbers in the units ("g/(100.mL)") move into the value.
  double ratio = left->number * integer_power(right->number, sign);
  for (std::size_t j = 0; j < right->term_count; ++j) {
    const Term& term = right->terms[j];
    const int exponent = term.exponent * sign;
    Term* match = nullptr;
    for (std::size_t i = 0; i < count && match == nullptr; ++i) {
      if (terms[i].symbol == term.symbol) match = &terms[i];
    }
    // Pure numbers ('%', '10*') differ in meaning, not only in size: they never merge.
    for (std::size_t i = 0; i < count && match == nullptr && term.dimensions != kNone; ++i) {
      if (terms[i].dimensions == term.dimensions) match = &terms[i];
    }
    if (match == nullptr) {
      if (count == kMaxTerms) return std::nullopt;
      terms[count++] = Term{term.symbol, exponent, term.factor, term.dimensions};
      continue;
    }
    if (match->symbol != term.symbol) {
      if (match->factor >= term.factor) {
        ratio *= integer_power(term.factor / match->factor, exponent);
      } else {
        ratio *= integer_power(match->factor / term.factor, match->exponent);
        match->symbol = term.symbol;
        match->factor = term.factor;
      }
    }
    match->exponent += exponent;
  }
  return Quantity{rescale(*value, ratio), format_terms(terms, count)};
}

}  // namespace

std::string Quantity::to_string() const {
  std::string out = value.to_string();
  out.push_back(' ');
  if (is_calendar_keyword(unit)) {
    out.append(unit);
    return out;
  }
  out.push_back('\'');
  for (char c : unit_or_one(unit)) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

bool is_calendar_keyword(std::string_view unit) {
  return find_keyword(unit) != nullptr;
}

bool is_ucum_unit(std::string_view unit) {
  return parse_unit(unit).has_value();
}

std::optional<bool> quantity_equal(const Quantity& a, const Quantity& b) {
  const auto aligned = align(a, b, Match::equality, Target::coarser);
  if (!aligned) return std::nullopt;
  return decimal_equal(aligned->left, aligned->right);
}

std::optional<bool> quantity_equivalent(const Quantity& a, const Quantity& b) {
  const auto aligned = align(a, b, Match::equivalence, Target::coarser);
  if (!aligned) return std::nullopt;
  return decimal_equivalent(aligned->left, aligned->right);
}

std::optional<int> quantity_compare(const Quantity& a, const Quantity& b) {
  const auto aligned = align(a, b, Match::equality, Target::coarser);
  if (!aligned) return std::nullopt;
  return decimal_compare(aligned->left, aligned->right);
}

std::optional<Quantity> quantity_add(const Quantity& a, const Quantity& b) {
  return add_or_subtract(a, b, false);
}

std::optional<Quantity> quantity_subtract(const Quantity& a, const Quantity& b) {
  return add_or_subtract(a, b, true);
}

std::optional<Quantity> quantity_multiply(const Quantity& a, const Quantity& b) {
  return multiply_or_divide(a, b, 1);
}

std::optional<Quantity> quantity_divide(const Quantity& a, const Quantity& b) {
  return multiply_or_divide(a, b, -1);
}

std::optional<Quantity> parse_quantity_string(std::string_view text) {
  std::size_t end = 0;
  if (end < text.size() && (text[end] == '+' || text[end] == '-')) ++end;
  while (end < text.size() && (is_digit(text[end]) || text[end] == '.')) {
    ++end;
  }
  const auto value = Decimal::parse(text.substr(0, end));
  if (!value) return std::nullopt;
  std::string_view unit = text.substr(end);
  while (!unit.empty() && unit.front() == ' ') {
    unit.remove_prefix(1);
  }
  if (unit.empty()) return end == text.size() ? std::optional(Quantity{*value, "1"}) : std::nullopt;
  if (unit.front() == '\'') {
    if (unit.size() < 3 || unit.find('\'', 1) != unit.size() - 1) return std::nullopt;
    return Quantity{*value, std::string(unit.substr(1, unit.size() - 2))};
  }
  if (!is_calendar_keyword(unit)) return std::nullopt;  // '1 wk': a UCUM unit needs quotes
  return Quantity{*value, std::string(unit)};
}

std::optional<Quantity> quantity_convert(const Quantity& q, std::string_view unit) {
  const Quantity target{Decimal{}, std::string(unit)};
  const auto aligned = align(q, target, Match::equality, Target::right);
  if (!aligned) return std::nullopt;
  return Quantity{aligned->left, target.unit};
}

}  // namespace adapter::fhirpath
