#include "adapter/norway/fhirpath_functions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adapter::norway {
namespace {

std::string eval(std::string_view expression, std::string_view input = "{}") {
  fhirpath::FunctionRegistry registry;
  add_calendar_functions(registry);
  const auto document = fhir::JsonDocument::parse(input).value();
  auto compiled = fhirpath::Expression::compile(expression, {.functions = &registry});
  if (!compiled) return compiled.problems().issues().front().message;
  fhirpath::Evaluator evaluator;
  auto result = evaluator.evaluate(*compiled, document.root());
  if (!result) return result.problems().issues().front().message;
  return fhirpath::to_json(*result);
}

TEST(CalendarFunctions, AddWorkingDaysSkipsWeekendsAndHolidays) {
  EXPECT_EQ(eval("@2026-12-22.addWorkingDays(10)"), R"(["2027-01-07"])");
  // Maundy Thursday 25 March to Easter Monday 29 March 2027 are not working days.
  EXPECT_EQ(eval("@2027-03-24.addWorkingDays(1)"), R"(["2027-03-30"])");
  EXPECT_EQ(eval("@2026-12-22T09:30:00+01:00.addWorkingDays(0)"), R"(["2026-12-22"])");
}

TEST(CalendarFunctions, WorksOnUntypedInputDocuments) {
  EXPECT_EQ(eval("received.addWorkingDays(10)", R"({"received": "2026-12-22"})"),
            R"(["2027-01-07"])");
  EXPECT_EQ(eval("received.workingDaysUntil(@2027-01-07)", R"({"received": "2026-12-22"})"),
            "[10]");
  // The number of days may come from untyped JSON too (the deadline table).
  EXPECT_EQ(eval("received.addWorkingDays(days)", R"({"received": "2026-12-22", "days": 10})"),
            R"(["2027-01-07"])");
  EXPECT_THAT(eval("received.addWorkingDays(days)", R"({"received": "2026-12-22", "days": 1.5})"),
              ::testing::HasSubstr("must be an integer"));
}

TEST(CalendarFunctions, IsWorkingDay) {
  EXPECT_EQ(eval("@2026-12-25.isWorkingDay()"), "[false]");
  EXPECT_EQ(eval("@2026-12-24.isWorkingDay()"), "[true]");  // Christmas Eve is no public holiday
  EXPECT_EQ(eval("@2026-05-17.isWorkingDay()"), "[false]");
  EXPECT_EQ(eval("@2026-11-21.isWorkingDay()"), "[false]");  // a Saturday
  EXPECT_EQ(eval("{}.isWorkingDay()"), "[]");
}

TEST(CalendarFunctions, BadInputIsAnErrorNotAGuess) {
  EXPECT_THAT(eval("@2026.addWorkingDays(3)"), ::testing::HasSubstr("year, month and day"));
  EXPECT_THAT(eval("'x'.addWorkingDays(3)"), ::testing::HasSubstr("year, month and day"));
  EXPECT_THAT(eval("@2026-01-01.addWorkingDays(100000)"), ::testing::HasSubstr("±10000"));
  EXPECT_THAT(eval("(@2026-01-01 | @2026-01-02).isWorkingDay()"), ::testing::HasSubstr("2 items"));
}

}  // namespace
}  // namespace adapter::norway
