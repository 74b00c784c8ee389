#include "adapter/norway/deadline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "adapter/fhir/datetime.h"
#include "adapter/norway/calendar.h"

namespace adapter::norway {
namespace {

using adapter::fhir::IssueType;
using adapter::fhir::JsonDocument;
using adapter::fhir::Outcome;
using adapter::fhir::Result;
using std::chrono::year_month_day;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const std::string kTablePath = std::string(ADAPTER_SOURCE_DIR) + "/mappings/deadlines.json";

year_month_day date(std::string_view iso) {
  std::optional<year_month_day> parsed = fhir::parse_full_date(iso);
  EXPECT_TRUE(parsed.has_value()) << iso;
  return parsed.value_or(year_month_day{});
}

Result<DeadlineTable> table_from(std::string_view json) {
  Result<JsonDocument> document = JsonDocument::parse(json);
  if (!document) return document.problems();
  static const Result<adapter::fhir::SchemaSet> schema = DeadlineTable::load_schema(
      std::string(ADAPTER_SOURCE_DIR) + "/mappings/deadlines.schema.json");
  if (!schema) return schema.problems();
  return DeadlineTable::from_json(document->root(), schema.value());
}

// The first issue at `location` (a failure naming every issue found when there is none).
adapter::fhir::Issue issue_at(const Outcome& outcome, std::string_view location) {
  for (const adapter::fhir::Issue& issue : outcome.issues()) {
    if (issue.location == location) return issue;
  }
  std::string all;
  for (const adapter::fhir::Issue& issue : outcome.issues()) {
    all += "\n  " + issue.location + ": " + issue.message;
  }
  ADD_FAILURE() << "no issue at '" << location << "'; issues:" << all;
  return adapter::fhir::Issue{adapter::fhir::Severity::information,
                              IssueType::informational,
                              "<none>",
                              std::string(location),
                              {}};
}

// A minimal valid table that tests break one field at a time.
std::string table_json(std::string_view row_override = {}, std::string_view extra_top = {}) {
  const std::string row = row_override.empty()
                              ? R"({"id": "referral-assessment", "activity": "referral-assessment",
                                  "nameNo": "Vurdering", "nameEn": "Assessment",
                                  "deadline": {"start": "referral-received", "amount": 10,
                                               "unit": "working-days"},
                                  "generalRule": false, "timing": "10 working days",
                                  "source": "000:432"})"
                              : std::string(row_override);
  return R"({"source": "test", )" + std::string(extra_top) +
         R"("startEvents": [{"code": "referral-received", "nameNo": "Mottatt", "nameEn": "Received"}],
            "rows": [)" +
         row + "]}";
}

std::string row_with_deadline(std::string_view deadline, std::string_view general_rule = "false") {
  return R"({"id": "r", "activity": "a", "nameNo": "n", "nameEn": "n", "deadline": )" +
         std::string(deadline) + R"(, "generalRule": )" + std::string(general_rule) +
         R"(, "timing": "t", "source": "s"})";
}

class RealTable : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<DeadlineTable> loaded = DeadlineTable::load(kTablePath);
    ASSERT_TRUE(loaded.ok()) << loaded.problems().to_json();
    table_.emplace(std::move(loaded).value());
  }
  const DeadlineTable& table() const { return *table_; }

 private:
  std::optional<DeadlineTable> table_;
};

TEST_F(RealTable, CataloguesExactlyTheSharedActivityCodes) {
  EXPECT_THAT(
      table().activities(),
      UnorderedElementsAre(
          "referral-assessment", "acute-entry-decision", "referral-forwarded", "first-conversation",
          "basic-assessment", "extended-assessment", "follow-up-decision", "pathway-ended-no-basis",
          "detox-discharge", "post-detox-appointment", "treatment-plan-established",
          "individual-plan-need-notified", "inpatient-admission", "cooperation-meeting",
          "treatment-interrupted", "treatment-resumed", "evaluation", "discharge-coordination",
          "closing-conversation", "follow-up-offer", "pathway-ended"));
  EXPECT_FALSE(table().source().empty());
  for (const DeadlineRow& row : table().rows()) {
    EXPECT_FALSE(row.source.empty()) << row.id;
    EXPECT_FALSE(row.name_no.empty()) << row.id;
    EXPECT_FALSE(row.name_en.empty()) << row.id;
    EXPECT_FALSE(row.timing.empty()) << row.id;
  }
}

TEST_F(RealTable, ReferralAssessmentIsTenWorkingDaysAcrossEaster) {
  Result<Due> due = table().due("referral-assessment", date("2027-03-24"));
  ASSERT_TRUE(due.ok()) << due.problems().to_json();
  EXPECT_EQ(fhir::format_date(due->date), "2027-04-12");
  EXPECT_EQ(due->row.id, "referral-assessment");
  EXPECT_EQ(due->row.activity, "referral-assessment");
  ASSERT_TRUE(due->row.deadline.has_value());
  EXPECT_EQ(due->row.deadline->start_event, "referral-received");
  EXPECT_EQ(due->row.deadline->amount, 10);
  EXPECT_EQ(due->row.deadline->unit, DeadlineUnit::working_days);
  EXPECT_FALSE(due->row.general_rule);
  EXPECT_EQ(due->row.source, "000:429-457");
}

TEST_F(RealTable, CalendarDayDeadlines) {
  struct Case {
    const char* key;
    const char* start;
    const char* due;
    bool general_rule;
  };
  for (const Case& c : {
           Case{"acute-entry-decision", "2026-01-10", "2026-01-24", false},
           Case{"basic-assessment", "2026-03-02", "2026-03-23", true},
           Case{"extended-assessment", "2026-03-02", "2026-05-04", true},
           Case{"follow-up-decision-basic", "2026-03-02", "2026-03-23", true},
           Case{"follow-up-decision-extended", "2026-03-02", "2026-05-04", true},
           // Not moved off Easter Sunday: the source counts calendar days.
           Case{"post-detox-appointment", "2027-03-25", "2027-03-28", false},
           Case{"inpatient-admission", "2026-06-12", "2026-06-12", false},
           Case{"epicrisis-addiction-medicine", "2026-06-12", "2026-06-12", false},
           Case{"epicrisis-mental-health", "2026-06-12", "2026-06-19", false},
       }) {
    Result<Due> due = table().due(c.key, date(c.start));
    ASSERT_TRUE(due.ok()) << c.key << ": " << due.problems().to_json();
    EXPECT_EQ(fhir::format_date(due->date), c.due) << c.key;
    EXPECT_EQ(due->row.general_rule, c.general_rule) << c.key;
    EXPECT_EQ(due->row.deadline->unit, DeadlineUnit::calendar_days) << c.key;
  }
}

TEST_F(RealTable, AmbiguousActivitiesListTheirRowIds) {
  Result<Due> follow_up = table().due("follow-up-decision", date("2026-03-02"));
  ASSERT_FALSE(follow_up.ok());
  ASSERT_EQ(follow_up.problems().size(), 1U);
  EXPECT_THAT(follow_up.problems().issues()[0].message,
              HasSubstr("follow-up-decision-basic, follow-up-decision-extended"));

  Result<Due> ended = table().due("pathway-ended", date("2026-03-02"));
  ASSERT_FALSE(ended.ok());
  EXPECT_THAT(ended.problems().issues()[0].message,
              HasSubstr("epicrisis-addiction-medicine, epicrisis-mental-health"));
  EXPECT_THAT(table().rows_for_activity("pathway-ended"), ::testing::SizeIs(2));
}

TEST_F(RealTable, RowsWithoutDeadlinesUnknownKeysAndBadDates) {
  Result<Due> none = table().due("first-conversation", date("2026-03-02"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.problems().issues()[0].type, IssueType::not_supported);
  EXPECT_THAT(none.problems().issues()[0].message, HasSubstr("none stated"));

  const DeadlineRow* ip = table().find("individual-plan-need-notified");
  ASSERT_NE(ip, nullptr);
  EXPECT_FALSE(ip->deadline.has_value());
  EXPECT_THAT(ip->timing, HasSubstr("as soon as possible"));

  Result<Due> unknown = table().due("no-such-activity", date("2026-03-02"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.problems().issues()[0].type, IssueType::not_found);

  const year_month_day february_30 = std::chrono::year{2026} / 2 / 30;
  Result<Due> bad_start = table().due("basic-assessment", february_30);
  ASSERT_FALSE(bad_start.ok());
  EXPECT_EQ(bad_start.problems().issues()[0].type, IssueType::value);
}

TEST(DeadlineTableJson, MinimalTableParses) {
  Result<DeadlineTable> table = table_from(table_json());
  ASSERT_TRUE(table.ok()) << table.problems().to_json();
  EXPECT_EQ(table->source(), "test");
  ASSERT_EQ(table->start_events().size(), 1U);
  EXPECT_EQ(table->start_events()[0].name_en, "Received");
  ASSERT_EQ(table->rows().size(), 1U);
  EXPECT_EQ(table->rows()[0].quote, "");
}

TEST(DeadlineTableJson, UnknownFieldsAreRejectedWithPointers) {
  Result<DeadlineTable> top = table_from(table_json({}, R"("colour": "blue", )"));
  ASSERT_FALSE(top.ok());
  const adapter::fhir::Issue issue = issue_at(top.problems(), "/colour");
  EXPECT_EQ(issue.type, IssueType::structure);
  EXPECT_THAT(issue.message, HasSubstr("unknown field \"colour\""));

  Result<DeadlineTable> row = table_from(table_json(
      R"({"id": "r", "activity": "a", "nameNo": "n", "nameEn": "n", "deadline": null,
          "generalRule": false, "timing": "t", "source": "s", "owner": "x"})"));
  ASSERT_FALSE(row.ok());
  issue_at(row.problems(), "/rows/0/owner");

  Result<DeadlineTable> deadline = table_from(table_json(row_with_deadline(
      R"({"start": "referral-received", "amount": 1, "unit": "working-days", "grace": 2})")));
  ASSERT_FALSE(deadline.ok());
  issue_at(deadline.problems(), "/rows/0/deadline/grace");
}

TEST(DeadlineTableJson, BadUnitsAmountsAndStartEvents) {
  Result<DeadlineTable> unit = table_from(table_json(
      row_with_deadline(R"({"start": "referral-received", "amount": 1, "unit": "weeks"})")));
  ASSERT_FALSE(unit.ok());
  const adapter::fhir::Issue unit_issue = issue_at(unit.problems(), "/rows/0/deadline/unit");
  EXPECT_EQ(unit_issue.type, IssueType::value);
  EXPECT_EQ(unit_issue.expression, "rows[0].deadline.unit");

  for (const char* amount : {"-1", "1.5", "\"10\"", "3661", "null"}) {
    Result<DeadlineTable> table = table_from(table_json(row_with_deadline(
        std::string(R"({"start": "referral-received", "unit": "calendar-days", "amount": )") +
        amount + "}")));
    ASSERT_FALSE(table.ok()) << amount;
    issue_at(table.problems(), "/rows/0/deadline/amount");
  }

  // JSON Schema's integer is any number without a fraction, so 1e2 is the amount 100.
  Result<DeadlineTable> exponent = table_from(table_json(row_with_deadline(
      R"({"start": "referral-received", "unit": "calendar-days", "amount": 1e2})")));
  ASSERT_TRUE(exponent.ok()) << exponent.problems().to_json();
  EXPECT_EQ(exponent->rows()[0].deadline->amount, 100);

  Result<DeadlineTable> start = table_from(table_json(
      row_with_deadline(R"({"start": "discharge", "amount": 1, "unit": "calendar-days"})")));
  ASSERT_FALSE(start.ok());
  EXPECT_THAT(issue_at(start.problems(), "/rows/0/deadline/start").message,
              HasSubstr("not listed in /startEvents"));
}

TEST(DeadlineTableJson, DuplicatesAreRejected) {
  const std::string row =
      R"({"id": "same", "activity": "a", "nameNo": "n", "nameEn": "n", "deadline": null,
          "generalRule": false, "timing": "t", "source": "s"})";
  Result<DeadlineTable> ids = table_from(table_json(row + ", " + row));
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(issue_at(ids.problems(), "/rows/1/id").type, IssueType::duplicate);

  Result<DeadlineTable> events = table_from(
      R"({"source": "s", "startEvents": [
            {"code": "discharge", "nameNo": "a", "nameEn": "b"},
            {"code": "discharge", "nameNo": "c", "nameEn": "d"}],
          "rows": [{"id": "r", "activity": "a", "nameNo": "n", "nameEn": "n", "deadline": null,
                    "generalRule": false, "timing": "t", "source": "s"}]})");
  ASSERT_FALSE(events.ok());
  issue_at(events.problems(), "/startEvents/1/code");
}

TEST(DeadlineTableJson, MissingFieldsWrongKindsAndCodeForms) {
  Result<DeadlineTable> missing = table_from(table_json(
      R"({"id": "r", "activity": "a", "nameNo": "n", "generalRule": false, "timing": "t",
          "source": "s"})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(issue_at(missing.problems(), "/rows/0/nameEn").type, IssueType::required);
  EXPECT_EQ(issue_at(missing.problems(), "/rows/0/deadline").type, IssueType::required);

  Result<DeadlineTable> kinds = table_from(table_json(
      R"({"id": 7, "activity": "a", "nameNo": "n", "nameEn": "", "deadline": [],
          "generalRule": "no", "timing": "t", "source": "s"})"));
  ASSERT_FALSE(kinds.ok());
  issue_at(kinds.problems(), "/rows/0/id");
  issue_at(kinds.problems(), "/rows/0/nameEn");
  issue_at(kinds.problems(), "/rows/0/deadline");
  issue_at(kinds.problems(), "/rows/0/generalRule");
  EXPECT_GE(kinds.problems().size(), 4U) << "all problems are reported at once";

  Result<DeadlineTable> code = table_from(table_json(
      R"({"id": "Referral Assessment", "activity": "a--b", "nameNo": "n", "nameEn": "n",
          "deadline": null, "generalRule": false, "timing": "t", "source": "s"})"));
  ASSERT_FALSE(code.ok());
  issue_at(code.problems(), "/rows/0/id");
  issue_at(code.problems(), "/rows/0/activity");

  Result<DeadlineTable> root = table_from("[]");
  ASSERT_FALSE(root.ok());
  issue_at(root.problems(), "");

  Result<DeadlineTable> rows = table_from(R"({"source": "s", "startEvents": [], "rows": {}})");
  ASSERT_FALSE(rows.ok());
  issue_at(rows.problems(), "/rows");
}

TEST(DeadlineTableJson, GeneralRuleNeedsADeadline) {
  Result<DeadlineTable> table = table_from(table_json(row_with_deadline("null", "true")));
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(issue_at(table.problems(), "/rows/0/generalRule").type, IssueType::invariant);
}

TEST(DeadlineTableJson, ActivityWithOneRowIsFoundByItsCode) {
  Result<DeadlineTable> table = table_from(table_json(R"({"id": "assessment-row",
      "activity": "referral-assessment", "nameNo": "n", "nameEn": "n",
      "deadline": {"start": "referral-received", "amount": 0, "unit": "working-days"},
      "generalRule": false, "timing": "t", "source": "s"})"));
  ASSERT_TRUE(table.ok()) << table.problems().to_json();
  Result<Due> due = table->due("referral-assessment", date("2027-03-27"));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->row.id, "assessment-row");
  EXPECT_EQ(fhir::format_date(due->date), "2027-03-27") << "0 working days is the start itself";
}

TEST(DeadlineTableLoad, ReportsMissingAndMalformedFiles) {
  Result<DeadlineTable> missing = DeadlineTable::load(kTablePath + ".does-not-exist");
  EXPECT_FALSE(missing.ok());

  const std::string path = ::testing::TempDir() + "norway_deadlines_malformed.json";
  {
    std::ofstream out(path);
    out << R"({"source": "s", "rows": [)";
  }
  Result<DeadlineTable> malformed = DeadlineTable::load(path);
  EXPECT_FALSE(malformed.ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace adapter::norway
