#include "adapter/norway/identifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace adapter::norway {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;
using std::chrono::year_month_day;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

year_month_day ymd(int y, unsigned m, unsigned d) {
  return year{y} / month{m} / day{d};
}

// Numbers marked "computed" were made for these tests from nine chosen digits with the check-digit
// rules; the others are published examples (HL7 Norway no-basis 2.2, fnrinfo.no, Brønnøysund).

TEST(PersonNumber, PublishedFnrExamplesAreValidWithBirthDateAndSex) {
  // no-basis examples: Jannice Søreng, Solid æresdoktor, Ærlend Sørgård.
  IdentifierCheck jannice = check_person_number("21030550231");
  EXPECT_TRUE(jannice.valid) << jannice.problem;
  EXPECT_EQ(jannice.type, IdentifierType::fnr);
  EXPECT_EQ(jannice.system, "urn:oid:2.16.578.1.12.4.1.4.1");
  EXPECT_EQ(jannice.check_digits, CheckDigitForm::classic);
  EXPECT_FALSE(jannice.synthetic);
  EXPECT_EQ(jannice.birth_date, ymd(2005, 3, 21));  // individual 502, yy 05 -> 2000s
  EXPECT_EQ(jannice.sex, Sex::female);

  IdentifierCheck solid = check_person_number("15080050515");
  EXPECT_TRUE(solid.valid);
  EXPECT_EQ(solid.birth_date, ymd(2000, 8, 15));
  EXPECT_EQ(solid.sex, Sex::male);

  IdentifierCheck aerlend = check_person_number("05073500186");
  EXPECT_TRUE(aerlend.valid);
  EXPECT_EQ(aerlend.birth_date, ymd(1935, 7, 5));  // individual 001 -> 1900s
  EXPECT_EQ(aerlend.sex, Sex::male);
}

TEST(PersonNumber, CenturyFollowsTheIndividualNumberSeries) {
  // fnrinfo.no's worked example: individual 567 with yy 99 lies in 500-749 with yy >= 54.
  EXPECT_EQ(check_person_number("31129956715").birth_date, ymd(1899, 12, 31));
  EXPECT_EQ(check_person_number("01018060031").birth_date, ymd(1880, 1, 1));  // computed, 600
  // 900-999 with yy >= 40 is the 1900s (computed: individual 967 of a synthetic number).
  EXPECT_EQ(check_person_number("10915596784").birth_date, ymd(1955, 11, 10));
}

TEST(PersonNumber, UnusedSeriesGivesNoBirthDateButStaysValid) {
  // Computed: individual 800 is never used with yy 50 before 2032; from 2032 the century can no
  // longer be derived, so the number is not rejected for it.
  IdentifierCheck check = check_person_number("01017080039");
  EXPECT_TRUE(check.valid) << check.problem;
  EXPECT_FALSE(check.birth_date.has_value());
  EXPECT_THAT(check.note, HasSubstr("century"));
}

TEST(PersonNumber, LeapDaysDependOnTheCentury) {
  // Computed. 29 Feb 2000 exists, 29 Feb 1900 and 2001 do not.
  IdentifierCheck leap = check_person_number("29020050088");
  EXPECT_TRUE(leap.valid) << leap.problem;
  EXPECT_EQ(leap.birth_date, ymd(2000, 2, 29));

  IdentifierCheck nineteen_hundred = check_person_number("29020010027");
  EXPECT_FALSE(nineteen_hundred.valid);
  EXPECT_THAT(nineteen_hundred.problem, HasSubstr("not a real date"));
  EXPECT_FALSE(nineteen_hundred.birth_date.has_value());

  EXPECT_FALSE(check_person_number("29020150007").valid);
}

TEST(PersonNumber, ImpossibleDatesAreInvalid) {
  IdentifierCheck february_30 = check_person_number("30029012373");  // computed, 30.02.1990
  EXPECT_FALSE(february_30.valid);
  EXPECT_THAT(february_30.problem, HasSubstr("not a real date"));

  EXPECT_FALSE(check_person_number("00019012360").valid);  // computed, day 0
  EXPECT_FALSE(check_person_number("72019012345").valid);  // computed, D-number day 32

  IdentifierCheck month_13 = check_person_number("01139012328");  // computed
  EXPECT_FALSE(month_13.valid);
  EXPECT_THAT(month_13.problem, HasSubstr("digits 3-4 (13)"));
  EXPECT_EQ(month_13.type, IdentifierType::unknown);
}

TEST(PersonNumber, WrongCheckDigitsAreInvalid) {
  IdentifierCheck k2 = check_person_number("21030550232");
  EXPECT_FALSE(k2.valid);
  EXPECT_THAT(k2.problem, HasSubstr("second check digit"));
  EXPECT_EQ(k2.type, IdentifierType::fnr);  // still recognised, so the problem can name it
  EXPECT_FALSE(k2.sex.has_value());

  IdentifierCheck k1 = check_person_number("21030550281");
  EXPECT_FALSE(k1.valid);
  EXPECT_THAT(k1.problem, HasSubstr("first check digit"));

  // The FNR example in no-basis-Patient's profile text does not pass its own check digits.
  EXPECT_FALSE(check_person_number("13057444850").valid);
}

TEST(PersonNumber, EverySingleDigitTypoIsCaught) {
  // k2 weighs every digit by 1-7, never 0 mod 11, so one changed digit always breaks it, even
  // with the wider 2032 k1 rule.
  for (std::string valid : {"21030550231", "01819012373", "15437520108", "81234567802"}) {
    ASSERT_TRUE(check_person_number(valid).valid) << valid;
    for (std::size_t position = 0; position < valid.size(); ++position) {
      for (char replacement = '0'; replacement <= '9'; ++replacement) {
        if (replacement == valid[position]) continue;
        std::string typo = valid;
        typo[position] = replacement;
        EXPECT_FALSE(check_person_number(typo).valid) << typo;
      }
    }
  }
}

TEST(PersonNumber, Rule2032AcceptsK1RemaindersOneToThree) {
  // Computed from 018190123 (a synthetic 1990-01-01): k1 remainders 0, 1, 2 and 5.
  IdentifierCheck classic = check_person_number("01819012365");
  EXPECT_TRUE(classic.valid);
  EXPECT_EQ(classic.check_digits, CheckDigitForm::classic);
  EXPECT_EQ(classic.sex, Sex::male);

  for (const char* extended : {"01819012373", "01819012381"}) {
    IdentifierCheck check = check_person_number(extended);
    EXPECT_TRUE(check.valid) << extended << ": " << check.problem;
    EXPECT_EQ(check.check_digits, CheckDigitForm::extended_2032) << extended;
    EXPECT_FALSE(check.sex.has_value()) << "2032 numbers are gender-neutral";
    EXPECT_EQ(check.birth_date, ymd(1990, 1, 1));
    EXPECT_THAT(check.note, HasSubstr("2032"));
  }

  IdentifierCheck remainder_3 = check_person_number("41819012383");  // synthetic D-number
  EXPECT_TRUE(remainder_3.valid) << remainder_3.problem;
  EXPECT_EQ(remainder_3.check_digits, CheckDigitForm::extended_2032);

  IdentifierCheck leap_extended = check_person_number("29020050002");
  EXPECT_TRUE(leap_extended.valid);
  EXPECT_EQ(leap_extended.check_digits, CheckDigitForm::extended_2032);

  IdentifierCheck remainder_5 = check_person_number("01819012306");
  EXPECT_FALSE(remainder_5.valid);
  EXPECT_THAT(remainder_5.problem, HasSubstr("first check digit"));
}

TEST(PersonNumber, DNumberHasDayPlus40) {
  // Computed: day 54 (14 + 40) with month 43 (3 + 40).
  IdentifierCheck check = check_person_number("54437520162");
  EXPECT_FALSE(check.valid) << "day + 40 with month + 40 is not a defined form";
  EXPECT_THAT(check.problem, HasSubstr("not a defined form"));

  IdentifierCheck dnr = check_person_number("50030020151");  // computed
  EXPECT_TRUE(dnr.valid) << dnr.problem;
  EXPECT_EQ(dnr.type, IdentifierType::dnr);
  EXPECT_EQ(dnr.system, "urn:oid:2.16.578.1.12.4.1.4.2");
  EXPECT_EQ(dnr.birth_date, ymd(1900, 3, 10));
  EXPECT_EQ(dnr.sex, Sex::male);
  EXPECT_THAT(dnr.note, HasSubstr("registration date"));
}

TEST(PersonNumber, HNumberHasMonthPlus40) {
  IdentifierCheck check = check_person_number("15437520108");  // computed
  EXPECT_TRUE(check.valid) << check.problem;
  EXPECT_EQ(check.type, IdentifierType::hnr);
  EXPECT_EQ(check.system, "HNR");
  EXPECT_EQ(check.birth_date, ymd(1975, 3, 15));
  EXPECT_EQ(check.sex, Sex::male);
  EXPECT_THAT(check.note, HasSubstr("assigner"));

  // A test number published by NAV's fnrvalidator as an H-number.
  IdentifierCheck nav = check_person_number("13527248013");
  EXPECT_TRUE(nav.valid);
  EXPECT_EQ(nav.type, IdentifierType::hnr);
  EXPECT_EQ(nav.birth_date, ymd(1972, 12, 13));
}

TEST(PersonNumber, SyntheticNumbersHaveMonthPlus80) {
  IdentifierCheck fnr = check_person_number("01819012365");  // computed
  EXPECT_TRUE(fnr.valid);
  EXPECT_TRUE(fnr.synthetic);
  EXPECT_EQ(fnr.type, IdentifierType::fnr);
  EXPECT_EQ(fnr.birth_date, ymd(1990, 1, 1));
  EXPECT_THAT(fnr.note, HasSubstr("synthetic"));

  IdentifierCheck dnr = check_person_number("41819012359");  // computed: day + 40, month + 80
  EXPECT_TRUE(dnr.valid) << dnr.problem;
  EXPECT_TRUE(dnr.synthetic);
  EXPECT_EQ(dnr.type, IdentifierType::dnr);
  EXPECT_EQ(dnr.birth_date, ymd(1990, 1, 1));

  IdentifierCheck nav = check_person_number("10915596784");  // NAV fnrvalidator's T-number
  EXPECT_TRUE(nav.valid);
  EXPECT_TRUE(nav.synthetic);
  EXPECT_EQ(nav.sex, Sex::male);

  EXPECT_FALSE(check_person_number("15037520125").synthetic);
}

TEST(PersonNumber, FellesHjelpenummerStartsWith8Or9AndCarriesNoDate) {
  IdentifierCheck eight = check_person_number("81234567802");  // computed
  EXPECT_TRUE(eight.valid) << eight.problem;
  EXPECT_EQ(eight.type, IdentifierType::fhn);
  EXPECT_EQ(eight.system, "urn:oid:2.16.578.1.12.4.1.4.3");
  EXPECT_FALSE(eight.birth_date.has_value());
  EXPECT_FALSE(eight.sex.has_value());

  IdentifierCheck nine = check_person_number("91234567883");  // computed
  EXPECT_TRUE(nine.valid);
  EXPECT_EQ(nine.type, IdentifierType::fhn);

  IdentifierCheck extended = check_person_number("91234567808");  // computed, k1 remainder 3
  EXPECT_TRUE(extended.valid);
  EXPECT_EQ(extended.check_digits, CheckDigitForm::extended_2032);
  EXPECT_THAT(extended.note, HasSubstr("2032"));

  EXPECT_FALSE(check_person_number("81234567803").valid);
}

TEST(PersonNumber, WrongLengthAndNonDigitsAreInvalid) {
  IdentifierCheck short_value = check_person_number("2103055023");
  EXPECT_FALSE(short_value.valid);
  EXPECT_THAT(short_value.problem, HasSubstr("11 digits"));
  EXPECT_FALSE(check_person_number("210305502311").valid);
  EXPECT_FALSE(check_person_number("").valid);

  IdentifierCheck spaced = check_person_number("210305 5023");
  EXPECT_FALSE(spaced.valid);
  EXPECT_THAT(spaced.problem, HasSubstr("character 7"));
  EXPECT_FALSE(check_person_number("2103055023a").valid);
  EXPECT_FALSE(check_person_number("２1030550231").valid);  // full-width digit, not ASCII
}

TEST(OrgNumber, Mod11) {
  IdentifierCheck brreg = check_org_number("974760673");  // Brønnøysundregistrene
  EXPECT_TRUE(brreg.valid) << brreg.problem;
  EXPECT_EQ(brreg.type, IdentifierType::org_number);
  EXPECT_EQ(brreg.system, "urn:oid:2.16.578.1.12.4.1.4.101");
  EXPECT_EQ(brreg.check_digits, CheckDigitForm::mod11);
  EXPECT_TRUE(check_org_number("915933149").valid);  // no-basis Organization example

  IdentifierCheck wrong = check_org_number("974760674");
  EXPECT_FALSE(wrong.valid);
  EXPECT_THAT(wrong.problem, HasSubstr("expected 3"));

  // Computed: the first 8 digits 97476069 give check digit 10, so no number starts with them.
  for (char last = '0'; last <= '9'; ++last) {
    IdentifierCheck check = check_org_number(std::string("97476069") + last);
    EXPECT_FALSE(check.valid);
    EXPECT_THAT(check.problem, HasSubstr("10"));
  }

  EXPECT_FALSE(check_org_number("97476067").valid);
  EXPECT_FALSE(check_org_number("9747606730").valid);
  EXPECT_FALSE(check_org_number("97476067a").valid);
  EXPECT_FALSE(check_org_number("974 760 673").valid);
}

TEST(RegisterNumbers, OnlyTheFormatIsChecked) {
  IdentifierCheck hpr = check_hpr("9144889");  // no-basis Practitioner example
  EXPECT_TRUE(hpr.valid);
  EXPECT_TRUE(hpr.format_only);
  EXPECT_EQ(hpr.check_digits, CheckDigitForm::none);
  EXPECT_EQ(hpr.system, "urn:oid:2.16.578.1.12.4.1.4.4");
  EXPECT_THAT(hpr.note, HasSubstr("format only"));

  IdentifierCheck her = check_her_id("720");  // no-basis Patient generalPractitioner example
  EXPECT_TRUE(her.valid);
  EXPECT_EQ(her.type, IdentifierType::her_id);
  EXPECT_EQ(her.system, "urn:oid:2.16.578.1.12.4.1.2");

  IdentifierCheck resh = check_resh_id("4001031");
  EXPECT_TRUE(resh.valid);
  EXPECT_EQ(resh.system, "urn:oid:2.16.578.1.12.4.1.4.102");

  EXPECT_FALSE(check_hpr("").valid);
  EXPECT_FALSE(check_hpr("0914488").valid);
  EXPECT_FALSE(check_her_id("1234567890").valid);
  EXPECT_FALSE(check_resh_id("12-34").valid);
  EXPECT_TRUE(check_resh_id("123456789").valid);
}

TEST(Identify, GuessesInTheDocumentedOrder) {
  IdentifierCheck person = identify("21030550231");
  EXPECT_EQ(person.type, IdentifierType::fnr);
  EXPECT_TRUE(person.valid);

  IdentifierCheck org = identify("974760673");
  EXPECT_EQ(org.type, IdentifierType::org_number);
  EXPECT_TRUE(org.valid);
  EXPECT_THAT(org.candidates, ElementsAre(IdentifierType::org_number, IdentifierType::hpr,
                                          IdentifierType::her_id, IdentifierType::resh_id));

  IdentifierCheck nine_digits = identify("974760674");
  EXPECT_EQ(nine_digits.type, IdentifierType::unknown);
  EXPECT_FALSE(nine_digits.valid);
  EXPECT_THAT(nine_digits.problem, HasSubstr("not an organisation number"));
  EXPECT_THAT(nine_digits.candidates,
              ElementsAre(IdentifierType::hpr, IdentifierType::her_id, IdentifierType::resh_id));

  IdentifierCheck short_number = identify("9144889");
  EXPECT_EQ(short_number.type, IdentifierType::unknown);
  EXPECT_FALSE(short_number.valid);
  EXPECT_THAT(short_number.problem, HasSubstr("identifier system"));
  EXPECT_EQ(short_number.candidates.size(), 3U);

  for (const char* nothing : {"", "abc", "1234567890", "0123", "123456789012", "21.03.05"}) {
    IdentifierCheck check = identify(nothing);
    EXPECT_EQ(check.type, IdentifierType::unknown) << nothing;
    EXPECT_FALSE(check.valid) << nothing;
    EXPECT_TRUE(check.candidates.empty()) << nothing;
    EXPECT_FALSE(check.problem.empty()) << nothing;
  }
}

TEST(CheckIdentifier, TheSystemChoosesTheRule) {
  EXPECT_TRUE(check_identifier(kFnrSystem, "21030550231").valid);
  EXPECT_TRUE(check_identifier("http://hl7.no/fhir/NamingSystem/FNR", "21030550231").valid);
  EXPECT_TRUE(check_identifier(kDnrSystem, "50030020151").valid);
  EXPECT_TRUE(check_identifier(kFnrSystem, "01819012365").valid) << "synthetic FNR";
  EXPECT_TRUE(check_identifier(kHnrSystem, "15437520108").valid);
  EXPECT_TRUE(check_identifier(kFhnSystem, "81234567802").valid);
  EXPECT_TRUE(check_identifier(kOrgNumberSystem, "974760673").valid);
  EXPECT_TRUE(check_identifier("urn:oid:2.16.578.1.12.4.1.2.101", "974760673").valid);
  EXPECT_TRUE(check_identifier(kHprSystem, "9144889").valid);
  EXPECT_TRUE(check_identifier(kHerIdSystem, "720").valid);
  EXPECT_TRUE(check_identifier(kReshSystem, "4001031").valid);
  EXPECT_FALSE(check_identifier(kOrgNumberSystem, "974760674").valid);

  IdentifierCheck mismatch = check_identifier(kFnrSystem, "50030020151");
  EXPECT_FALSE(mismatch.valid);
  EXPECT_EQ(mismatch.type, IdentifierType::dnr);
  EXPECT_THAT(mismatch.problem, HasSubstr("names a FNR but the value is a DNR"));
  EXPECT_FALSE(mismatch.birth_date.has_value());

  IdentifierCheck old_h = check_identifier(kHnrSystem, "81234567802");
  EXPECT_TRUE(old_h.valid);
  EXPECT_EQ(old_h.type, IdentifierType::hnr);
  EXPECT_THAT(old_h.note, HasSubstr("old-style"));

  IdentifierCheck unknown = check_identifier("urn:example:ids", "1");
  EXPECT_FALSE(unknown.valid);
  EXPECT_EQ(unknown.type, IdentifierType::unknown);
  EXPECT_THAT(unknown.problem, HasSubstr("unknown identifier system"));
}

TEST(Codes, TypeCodesSystemsAndAliases) {
  EXPECT_EQ(type_code(IdentifierType::fnr), "FNR");
  EXPECT_EQ(type_code(IdentifierType::dnr), "DNR");
  EXPECT_EQ(type_code(IdentifierType::hnr), "HNR");
  EXPECT_EQ(type_code(IdentifierType::fhn), "FHN");
  EXPECT_EQ(type_code(IdentifierType::hpr), "HPR");
  EXPECT_EQ(type_code(IdentifierType::her_id), "HER");
  EXPECT_EQ(type_code(IdentifierType::org_number), "ENH");
  EXPECT_EQ(type_code(IdentifierType::resh_id), "RESH");
  EXPECT_EQ(type_code(IdentifierType::unknown), "");

  for (IdentifierType type : {IdentifierType::fnr, IdentifierType::dnr, IdentifierType::hnr,
                              IdentifierType::fhn, IdentifierType::hpr, IdentifierType::her_id,
                              IdentifierType::org_number, IdentifierType::resh_id}) {
    EXPECT_EQ(type_for_system(system_uri(type)), type) << type_code(type);
  }
  EXPECT_EQ(system_uri(IdentifierType::unknown), "");
  EXPECT_EQ(type_for_system("http://hl7.no/fhir/NamingSystem/DNR"), IdentifierType::dnr);
  EXPECT_EQ(type_for_system("http://hl7.no/fhir/NamingSystem/FHNR"), IdentifierType::fhn);
  EXPECT_EQ(type_for_system("http://hl7.no/fhir/NamingSystem/HPR"), IdentifierType::hpr);
  EXPECT_EQ(type_for_system("urn:oid:2.16.578.1.12.4.1.4"), IdentifierType::unknown);
  EXPECT_EQ(gender_code(Sex::female), "female");
  EXPECT_EQ(gender_code(Sex::male), "male");
}

}  // namespace
}  // namespace adapter::norway
