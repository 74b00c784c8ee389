// Norwegian identifiers for persons and organisations: recognise the kind of number, check it
// and map it to its FHIR identifier system (HL7 Norway no-basis 2.2). The rules and their sources
// are in docs/identifiers-and-calendar.md; where no public rule exists only the format is checked.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace adapter::norway {

enum class IdentifierType : std::uint8_t {
  fnr,         // fødselsnummer (also synthetic test numbers with month + 80)
  dnr,         // D-nummer: day + 40
  hnr,         // H-nummer: month + 40, unique only together with its assigner
  fhn,         // felles hjelpenummer: first digit 8 or 9
  hpr,         // Helsepersonellregisteret number
  her_id,      // HER-id of a communication party in the NHN address register
  org_number,  // organisasjonsnummer (Enhetsregisteret, ENH)
  resh_id,     // RESH-id (Register over enheter i spesialisthelsetjenesten)
  unknown,
};

enum class Sex : std::uint8_t { female, male };

// Which rule the first check digit (k1) of a person number satisfied. From 2032 Skatteetaten
// accepts remainders 1-3 as well as 0, so both forms are valid; the form is reported because
// numbers in the extended form are gender-neutral.
enum class CheckDigitForm : std::uint8_t {
  none,           // the identifier has no check digits that were verified
  classic,        // weighted sum including k1 is 0 mod 11
  extended_2032,  // weighted sum including k1 is 1, 2 or 3 mod 11
  mod11,          // organisation number: single mod-11 check digit
};

struct IdentifierCheck {
  IdentifierType type = IdentifierType::unknown;
  bool valid = false;
  bool synthetic = false;    // a test number (month + 80), never a real person
  bool format_only = false;  // no check-digit rule is published: only the form was checked
  CheckDigitForm check_digits = CheckDigitForm::none;
  std::string system;  // FHIR Identifier.system for `type`; empty when unknown
  std::optional<std::chrono::year_month_day> birth_date;  // as encoded in the number
  std::optional<Sex> sex;  // only where the number encodes it (classic form)
  std::string problem;     // why the value is invalid, for a person; empty when valid
  std::string note;        // caveats a person should know even when the value is valid
  // identify() only: the types the value could be when its form cannot tell them apart.
  std::vector<IdentifierType> candidates;
};

// FHIR identifier systems (no-basis 2.2 NamingSystems and profile slices).
inline constexpr std::string_view kFnrSystem = "urn:oid:2.16.578.1.12.4.1.4.1";
inline constexpr std::string_view kDnrSystem = "urn:oid:2.16.578.1.12.4.1.4.2";
inline constexpr std::string_view kFhnSystem = "urn:oid:2.16.578.1.12.4.1.4.3";
inline constexpr std::string_view kHprSystem = "urn:oid:2.16.578.1.12.4.1.4.4";
inline constexpr std::string_view kOrgNumberSystem = "urn:oid:2.16.578.1.12.4.1.4.101";
inline constexpr std::string_view kReshSystem = "urn:oid:2.16.578.1.12.4.1.4.102";
inline constexpr std::string_view kHerIdSystem = "urn:oid:2.16.578.1.12.4.1.2";
// no-basis-Patient slice HNR: Identifier.system is the bare token "HNR" and Identifier.type
// carries code HNR from Volven 8327; an assigner is mandatory because H-numbers are local.
inline constexpr std::string_view kHnrSystem = "HNR";
inline constexpr std::string_view kHnrTypeSystem = "urn:oid:2.16.578.1.12.4.1.1.8327";
inline constexpr std::string_view kHnrTypeCode = "HNR";

// "FNR", "DNR", "HNR", "FHN", "HPR", "HER", "ENH", "RESH"; "" for unknown.
std::string_view type_code(IdentifierType type);
// The preferred FHIR identifier system of a type; "" for unknown.
std::string_view system_uri(IdentifierType type);
// The type a FHIR identifier system names, accepting the non-preferred aliases the no-basis
// NamingSystems list (http://hl7.no/fhir/NamingSystem/FNR, ...); unknown otherwise.
IdentifierType type_for_system(std::string_view system);
// FHIR administrative-gender code: "female" or "male".
std::string_view gender_code(Sex sex);

// An 11-digit person number: FNR, D-number, H-number, felles hjelpenummer or a synthetic test
// number (month + 80, also combined with day + 40). The digit pattern decides the type.
IdentifierCheck check_person_number(std::string_view value);
// A 9-digit organisation number with its mod-11 check digit (weights 3,2,7,6,5,4,3,2).
IdentifierCheck check_org_number(std::string_view value);
// Format only (no public check-digit rule): 1-9 digits, no leading zero.
IdentifierCheck check_hpr(std::string_view value);
IdentifierCheck check_her_id(std::string_view value);
IdentifierCheck check_resh_id(std::string_view value);

// Guesses the type of a bare value, in this order:
//   1. anything but 1-11 ASCII digits            -> unknown, invalid
//   2. 11 digits                                  -> the person-number family (check_person_number)
//   3. 9 digits passing the organisation check    -> org_number (candidates also list HPR, HER
//                                                   and RESH, which may pass it by chance)
//   4. 1-9 digits otherwise, no leading zero      -> unknown: HPR, HER-id and RESH-id share this
//                                                   form; `candidates` lists them
//   5. anything else (10 digits, leading zero...) -> unknown, invalid
// Prefer check_identifier() whenever the system is known.
IdentifierCheck identify(std::string_view value);

// Checks a FHIR Identifier: the system chooses the rule. For person systems the value must also
// be of the type the system names (an FNR system holding a D-number is invalid). An unknown
// system gives type unknown with valid == false.
IdentifierCheck check_identifier(std::string_view system, std::string_view value);

}  // namespace adapter::norway
