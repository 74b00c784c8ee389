#include "adapter/norway/identifier.h"

#include <array>
#include <cstddef>
#include <span>

namespace adapter::norway {
namespace {

namespace chr = std::chrono;

// Weights of the two person-number checks, each including its own check digit with weight 1, so
// a check holds when the weighted sum is 0 mod 11 (the classic "11 - remainder" rule restated).
constexpr std::array<int, 10> kK1Weights{3, 7, 6, 1, 8, 9, 4, 5, 2, 1};
constexpr std::array<int, 11> kK2Weights{5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1};
// Remainders of the k1 sum Skatteetaten accepts from 2032 (0 is the classic one).
constexpr int kLargestExtendedK1Remainder = 3;
constexpr std::array<int, 8> kOrgNumberWeights{3, 2, 7, 6, 5, 4, 3, 2};
// Plausibility bound for HPR, HER-id and RESH-id: no published length, registers issue
// positive integers and all known values are well below a billion.
constexpr std::size_t kMaxRegisterNumberDigits = 9;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::optional<std::size_t> first_non_digit(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!is_digit(value[i])) return i;
  }
  return std::nullopt;
}

int digit_at(std::string_view value, std::size_t index) {
  return value[index] - '0';
}

int number_at(std::string_view value, std::size_t index, std::size_t length) {
  int number = 0;
  for (std::size_t i = index; i < index + length; ++i)
    number = number * 10 + digit_at(value, i);
  return number;
}

int weighted_remainder(std::string_view digits, std::span<const int> weights) {
  int sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i)
    sum += digit_at(digits, i) * weights[i];
  return sum % 11;
}

std::string two_digits(int number) {
  return std::string{static_cast<char>('0' + number / 10), static_cast<char>('0' + number % 10)};
}

void append(std::string& text, std::string_view part) {
  if (!text.empty()) text += "; ";
  text += part;
}

std::string non_digit_problem(std::string_view value, std::size_t position) {
  return "character " + std::to_string(position + 1) + " ('" + std::string(1, value[position]) +
         "') is not a digit; the value must be digits only, without spaces or separators";
}

// The century the individual number (digits 7-9) gives a two-digit year, per the series of
// folkeregisterforskriften as listed by Direktoratet for e-helse. Empty when the classic series
// never combine them (possible for numbers issued from 2032).
std::optional<int> birth_year(int two_digit_year, int individual_number) {
  if (individual_number <= 499) return 1900 + two_digit_year;
  if (individual_number <= 749 && two_digit_year >= 54) return 1800 + two_digit_year;
  if (two_digit_year <= 39) return 2000 + two_digit_year;  // 500-999
  if (individual_number >= 900) return 1900 + two_digit_year;
  return std::nullopt;
}

chr::year_month_day make_date(int year, int month, int day) {
  return chr::year{year} / chr::month{static_cast<unsigned>(month)} /
         chr::day{static_cast<unsigned>(day)};
}

// Verifies k1 and k2; returns the k1 form, or none with the problems appended.
CheckDigitForm check_person_digits(std::string_view value, std::string& problem) {
  const int k1_remainder = weighted_remainder(value, kK1Weights);
  const int k2_remainder = weighted_remainder(value, kK2Weights);
  CheckDigitForm form = CheckDigitForm::none;
  if (k1_remainder == 0) {
    form = CheckDigitForm::classic;
  } else if (k1_remainder <= kLargestExtendedK1Remainder) {
    form = CheckDigitForm::extended_2032;
  } else {
    append(problem, "the first check digit (digit 10) is wrong");
  }
  if (k2_remainder != 0) append(problem, "the second check digit (digit 11) is wrong");
  return k2_remainder == 0 ? form : CheckDigitForm::none;
}

IdentifierCheck check_fhn(std::string_view value) {
  IdentifierCheck out;
  out.type = IdentifierType::fhn;
  out.system = std::string(kFhnSystem);
  out.check_digits = check_person_digits(value, out.problem);
  out.valid = out.problem.empty();
  append(out.note,
         "felles hjelpenummer: the digits after the first are random, so no birth date or sex");
  if (out.check_digits == CheckDigitForm::extended_2032) {
    append(
        out.note,
        "k1 matches only the 2032 extension, which Skatteetaten publishes for FNR and D-numbers; "
        "accepted for felles hjelpenummer too");
  }
  return out;
}

IdentifierCheck check_register_number(std::string_view value, IdentifierType type,
                                      std::string_view name) {
  IdentifierCheck out;
  out.type = type;
  out.system = std::string(system_uri(type));
  out.format_only = true;
  if (value.empty()) {
    out.problem = std::string(name) + " is empty";
  } else if (auto position = first_non_digit(value)) {
    out.problem = non_digit_problem(value, *position);
  } else if (value.size() > kMaxRegisterNumberDigits) {
    out.problem = std::string(name) + " must have at most " +
                  std::to_string(kMaxRegisterNumberDigits) + " digits; this value has " +
                  std::to_string(value.size());
  } else if (value.front() == '0') {
    out.problem = std::string(name) + " must not start with 0";
  }
  out.valid = out.problem.empty();
  append(out.note, "format only: no check-digit rule is published for " + std::string(name));
  return out;
}

}  // namespace

std::string_view type_code(IdentifierType type) {
  switch (type) {
    case IdentifierType::fnr:
      return "FNR";
    case IdentifierType::dnr:
      return "DNR";
    case IdentifierType::hnr:
      return "HNR";
    case IdentifierType::fhn:
      return "FHN";
    case IdentifierType::hpr:
      return "HPR";
    case IdentifierType::her_id:
      return "HER";
    case IdentifierType::org_number:
      return "ENH";
    case IdentifierType::resh_id:
      return "RESH";
    case IdentifierType::unknown:
      return "";
  }
  return "";
}

std::string_view system_uri(IdentifierType type) {
  switch (type) {
    case IdentifierType::fnr:
      return kFnrSystem;
    case IdentifierType::dnr:
      return kDnrSystem;
    case IdentifierType::hnr:
      return kHnrSystem;
    case IdentifierType::fhn:
      return kFhnSystem;
    case IdentifierType::hpr:
      return kHprSystem;
    case IdentifierType::her_id:
      return kHerIdSystem;
    case IdentifierType::org_number:
      return kOrgNumberSystem;
    case IdentifierType::resh_id:
      return kReshSystem;
    case IdentifierType::unknown:
      return "";
  }
  return "";
}

IdentifierType type_for_system(std::string_view system) {
  struct Alias {
    std::string_view system;
    IdentifierType type;
  };
  // Preferred systems first, then the non-preferred uniqueIds of the no-basis NamingSystems and
  // the organisation-number OID variant DOMAIN.md §5 reports seeing in use.
  static constexpr std::array<Alias, 13> kAliases{{
      {kFnrSystem, IdentifierType::fnr},
      {kDnrSystem, IdentifierType::dnr},
      {kFhnSystem, IdentifierType::fhn},
      {kHnrSystem, IdentifierType::hnr},
      {kHprSystem, IdentifierType::hpr},
      {kOrgNumberSystem, IdentifierType::org_number},
      {kReshSystem, IdentifierType::resh_id},
      {kHerIdSystem, IdentifierType::her_id},
      {"http://hl7.no/fhir/NamingSystem/FNR", IdentifierType::fnr},
      {"http://hl7.no/fhir/NamingSystem/DNR", IdentifierType::dnr},
      {"http://hl7.no/fhir/NamingSystem/FHNR", IdentifierType::fhn},
      {"http://hl7.no/fhir/NamingSystem/HPR", IdentifierType::hpr},
      {"urn:oid:2.16.578.1.12.4.1.2.101", IdentifierType::org_number},
  }};
  for (const Alias& alias : kAliases) {
    if (alias.system == system) return alias.type;
  }
  return IdentifierType::unknown;
}

std::string_view gender_code(Sex sex) {
  return sex == Sex::female ? "female" : "male";
}

IdentifierCheck check_person_number(std::string_view value) {
  IdentifierCheck out;
  if (value.size() != 11) {
    out.problem = "a person number has 11 digits; this value has " + std::to_string(value.size()) +
                  " characters";
    return out;
  }
  if (auto position = first_non_digit(value)) {
    out.problem = non_digit_problem(value, *position);
    return out;
  }
  if (digit_at(value, 0) >= 8) return check_fhn(value);

  const int day_field = number_at(value, 0, 2);
  const int month_field = number_at(value, 2, 2);
  const int two_digit_year = number_at(value, 4, 2);
  const int individual_number = number_at(value, 6, 3);

  const bool d_number = digit_at(value, 0) >= 4;
  const int day = d_number ? day_field - 40 : day_field;
  int month = month_field;
  bool h_number = false;
  if (month_field >= 41 && month_field <= 52) {
    h_number = true;
    month = month_field - 40;
  } else if (month_field >= 81 && month_field <= 92) {
    out.synthetic = true;
    month = month_field - 80;
  } else if (month_field < 1 || month_field > 12) {
    append(out.problem, "digits 3-4 (" + two_digits(month_field) +
                            ") are neither a month, a month + 40 (H-number) nor a month + 80 "
                            "(synthetic test number)");
    month = 0;
  }

  if (d_number && h_number) {
    append(out.problem,
           "day + 40 (D-number) together with month + 40 (H-number) is not a defined form");
  } else if (month != 0) {
    out.type =
        d_number ? IdentifierType::dnr : (h_number ? IdentifierType::hnr : IdentifierType::fnr);
    out.system = std::string(system_uri(out.type));
  }

  out.check_digits = check_person_digits(value, out.problem);

  if (month != 0) {
    const std::optional<int> year = birth_year(two_digit_year, individual_number);
    // Without a century, 20yy stands in: in 2000-2099 a year is leap exactly when yy % 4 == 0,
    // so 29 February is accepted whenever some century makes it real.
    const chr::year_month_day date = make_date(year.value_or(2000 + two_digit_year), month, day);
    if (!date.ok()) {
      append(out.problem, "the date part (day " + two_digits(day) + ", month " + two_digits(month) +
                              ", year " + two_digits(two_digit_year) + ") is not a real date");
    } else if (year) {
      out.birth_date = date;
    } else {
      append(out.note, "individual number " + std::to_string(individual_number) +
                           " is not used with year " + two_digits(two_digit_year) +
                           " in the pre-2032 series, so the century and birth date are unknown");
    }
  }

  out.valid = out.problem.empty();
  if (!out.valid) {
    out.birth_date.reset();
    return out;
  }
  if (out.check_digits == CheckDigitForm::classic) {
    out.sex = individual_number % 2 == 1 ? Sex::male : Sex::female;
  } else {
    append(out.note,
           "k1 follows the 2032 rule: such numbers are gender-neutral, so no sex is derived");
    if (out.type == IdentifierType::hnr) {
      append(out.note,
             "the 2032 extension is published for FNR and D-numbers; accepted for H-numbers too");
    }
  }
  if (out.synthetic) append(out.note, "synthetic test number (month + 80): not a real person");
  if (out.type == IdentifierType::dnr) {
    append(out.note, "a D-number's date may be the registration date, not the birth date");
  }
  if (out.type == IdentifierType::hnr) {
    append(out.note, "an H-number is unique only together with its assigner");
  }
  return out;
}

IdentifierCheck check_org_number(std::string_view value) {
  IdentifierCheck out;
  out.type = IdentifierType::org_number;
  out.system = std::string(kOrgNumberSystem);
  if (value.size() != 9) {
    out.problem = "an organisation number has 9 digits; this value has " +
                  std::to_string(value.size()) + " characters";
    return out;
  }
  if (auto position = first_non_digit(value)) {
    out.problem = non_digit_problem(value, *position);
    return out;
  }
  const int expected = (11 - weighted_remainder(value, kOrgNumberWeights)) % 11;
  const int given = digit_at(value, 8);
  if (expected == 10) {
    out.problem =
        "no organisation number starts with these 8 digits (their check digit would be 10)";
  } else if (given != expected) {
    out.problem = "the check digit (digit 9) is " + std::to_string(given) + ", expected " +
                  std::to_string(expected);
  } else {
    out.valid = true;
    out.check_digits = CheckDigitForm::mod11;
  }
  return out;
}

IdentifierCheck check_hpr(std::string_view value) {
  return check_register_number(value, IdentifierType::hpr, "an HPR number");
}

IdentifierCheck check_her_id(std::string_view value) {
  return check_register_number(value, IdentifierType::her_id, "a HER-id");
}

IdentifierCheck check_resh_id(std::string_view value) {
  return check_register_number(value, IdentifierType::resh_id, "a RESH-id");
}

IdentifierCheck identify(std::string_view value) {
  IdentifierCheck out;
  if (value.empty()) {
    out.problem = "the value is empty";
    return out;
  }
  if (auto position = first_non_digit(value)) {
    out.problem = non_digit_problem(value, *position);
    return out;
  }
  if (value.size() == 11) return check_person_number(value);
  const std::vector<IdentifierType> register_types{IdentifierType::hpr, IdentifierType::her_id,
                                                   IdentifierType::resh_id};
  if (value.size() == 9) {
    IdentifierCheck org = check_org_number(value);
    if (org.valid) {
      org.candidates = {IdentifierType::org_number};
      org.candidates.insert(org.candidates.end(), register_types.begin(), register_types.end());
      append(org.note, "a 9-digit HPR number, HER-id or RESH-id may pass this check by chance");
      return org;
    }
    append(out.problem, "not an organisation number (" + org.problem + ")");
  }
  if (value.size() <= kMaxRegisterNumberDigits && value.front() != '0') {
    out.candidates = register_types;
    append(out.problem,
           "an HPR number, HER-id and RESH-id look alike; give the identifier system to check it");
    return out;
  }
  append(out.problem, "no Norwegian identifier handled here has this form (" +
                          std::to_string(value.size()) + " digits" +
                          (value.front() == '0' ? ", leading 0" : "") + ")");
  return out;
}

IdentifierCheck check_identifier(std::string_view system, std::string_view value) {
  const IdentifierType wanted = type_for_system(system);
  switch (wanted) {
    case IdentifierType::fnr:
    case IdentifierType::dnr:
    case IdentifierType::hnr:
    case IdentifierType::fhn: {
      IdentifierCheck out = check_person_number(value);
      if (out.type == wanted || out.type == IdentifierType::unknown) return out;
      if (wanted == IdentifierType::hnr && out.type == IdentifierType::fhn) {
        // Before month + 40, local H-numbers started with 8 or 9 (fnrinfo.no); such legacy
        // numbers can still appear under the local HNR system.
        out.type = IdentifierType::hnr;
        out.system = std::string(kHnrSystem);
        out.note =
            "old-style H-number (first digit 8 or 9, used before month + 40): no birth date "
            "or sex is derived";
        return out;
      }
      out.valid = false;
      out.birth_date.reset();
      out.sex.reset();
      append(out.problem, "the system names a " + std::string(type_code(wanted)) +
                              " but the value is a " + std::string(type_code(out.type)));
      return out;
    }
    case IdentifierType::org_number:
      return check_org_number(value);
    case IdentifierType::hpr:
      return check_hpr(value);
    case IdentifierType::her_id:
      return check_her_id(value);
    case IdentifierType::resh_id:
      return check_resh_id(value);
    case IdentifierType::unknown:
      break;
  }
  IdentifierCheck out;
  out.problem = "unknown identifier system '" + std::string(system) + "'";
  return out;
}

}  // namespace adapter::norway
