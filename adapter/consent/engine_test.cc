// The decision table of docs/consent.md, run row by row: the document is the test's data,
// so what the documentation promises is what the engine does.
#include "adapter/consent/engine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "adapter/fhir/datetime.h"

namespace adapter::consent {
namespace {

namespace chr = std::chrono;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  return std::string(text);
}

// The rows of the markdown table between <!-- NAME:begin --> and <!-- NAME:end -->,
// header and separator left out.
std::vector<std::vector<std::string>> table(const std::string& markdown, const std::string& name) {
  const auto begin = markdown.find("<!-- " + name + ":begin -->");
  const auto end = markdown.find("<!-- " + name + ":end -->");
  std::vector<std::vector<std::string>> rows;
  if (begin == std::string::npos || end == std::string::npos) return rows;
  std::istringstream lines(markdown.substr(begin, end - begin));
  std::string line;
  int seen = 0;
  while (std::getline(lines, line)) {
    if (!line.starts_with("|")) continue;
    if (seen++ < 2) continue;
    std::vector<std::string> cells;
    std::string_view rest(line);
    rest.remove_prefix(1);
    while (!rest.empty()) {
      const auto bar = rest.find('|');
      cells.push_back(trim(rest.substr(0, bar)));
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

const std::string kDocs = std::string(ADAPTER_SOURCE_DIR) + "/docs/consent.md";
const std::string kDirectives = std::string(ADAPTER_SOURCE_DIR) + "/tests/consent/directives.json";

TEST(DecisionTable, DocumentedRulesAreTheEngineRules) {
  const auto rows = table(read_file(kDocs), "rules");
  const auto engine = rules();
  ASSERT_EQ(rows.size(), engine.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 5U) << "rules row " << i + 1;
    EXPECT_EQ(rows[i][0], std::to_string(i + 1));
    EXPECT_EQ(rows[i][1], "`" + std::string(engine[i].id) + "`");
    EXPECT_EQ(rows[i][2], to_string(engine[i].verdict)) << engine[i].id;
    EXPECT_EQ(rows[i][3], engine[i].when) << engine[i].id;
    EXPECT_EQ(rows[i][4], engine[i].legal_basis) << engine[i].id;
  }
}

struct Fixture {
  fhir::JsonDocument document;
};

Recipient recipient_named(const std::string& name) {
  Recipient r;
  auto relative = [&](std::string relationship, std::optional<bool> responsibility,
                      std::string reference) {
    r.kind = Recipient::Kind::relative;
    r.relationship = std::move(relationship);
    r.parental_responsibility = responsibility;
    r.reference = "RelatedPerson/" + reference;
  };
  auto born = [](int y, unsigned m, unsigned d) {
    return chr::year_month_day{chr::year(y), chr::month(m), chr::day(d)};
  };
  auto agency = [&](std::string role, bool municipal) {
    r.kind = Recipient::Kind::agency;
    r.role = std::move(role);
    r.municipal = municipal;
  };
  if (name == "partner") {
    relative("cohabitant", std::nullopt, "partner");
    r.nearest_relative = true;
  } else if (name == "spouse") {
    relative("spouse-or-registered-partner", std::nullopt, "spouse");
  } else if (name == "mother") {
    relative("mother", std::nullopt, "mother");
  } else if (name == "mother+pr") {
    relative("mother", true, "mother");
  } else if (name == "father+pr") {
    relative("father", true, "father");
  } else if (name == "father") {
    relative("father", false, "father");
  } else if (name == "guardian+pr") {
    relative("guardian", true, "guardian");
  } else if (name == "guardian") {
    relative("guardian", false, "guardian");
  } else if (name == "adult-child") {
    relative("child", std::nullopt, "adult-child");
    r.birth_date = born(2000, 3, 1);
  } else if (name == "minor-child") {
    relative("child", std::nullopt, "minor-child");
    r.birth_date = born(2017, 2, 1);
  } else if (name == "sibling") {
    relative("sibling", std::nullopt, "sibling");
    r.birth_date = born(1990, 5, 5);
  } else if (name == "minor-sibling") {
    relative("sibling", std::nullopt, "minor-sibling");
    r.birth_date = born(2013, 4, 1);
  } else if (name == "grandparent") {
    relative("grandparent", std::nullopt, "grandparent");
  } else if (name == "coordinating-unit" || name == "municipal-coordinator") {
    agency(name, true);
  } else {
    agency(name, false);
  }
  return r;
}

TEST(DecisionTable, EveryDocumentedCase) {
  const auto rows = table(read_file(kDocs), "cases");
  ASSERT_GE(rows.size(), 60U);
  auto parsed = fhir::JsonDocument::parse(read_file(kDirectives));
  ASSERT_TRUE(parsed);
  const auto* sets = parsed->root().find("directives");
  ASSERT_NE(sets, nullptr);
  const auto time = fhir::parse_date_time("2027-06-15T12:00:00+02:00");
  ASSERT_TRUE(time);

  std::map<std::string, int> rules_used;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 9U) << "case row " << (row.empty() ? "?" : row[0]);
    const std::string& id = row[0];
    Request request;
    request.time = time->utc;
    request.time_offset = time->offset;
    const std::string& age = row[1];
    if (age == "16 today") {
      request.patient_birth_date = chr::year_month_day{chr::year(2011), chr::June, chr::day(15)};
    } else if (age == "16 tomorrow") {
      request.patient_birth_date = chr::year_month_day{chr::year(2011), chr::June, chr::day(16)};
    } else if (age == "adult") {
      request.patient_birth_date = chr::year_month_day{chr::year(1987), chr::January, chr::day(10)};
    } else if (age != "unknown") {
      request.patient_birth_date =
          chr::year_month_day{chr::year(2027 - std::stoi(age)), chr::January, chr::day(10)};
    }
    request.recipient = recipient_named(row[2]);
    request.purpose = row[3];
    if (row[4] != "—") {
      std::istringstream categories(row[4]);
      std::string category;
      while (std::getline(categories, category, ','))
        request.categories.push_back(trim(category));
    }
    const auto* set = sets->find(row[5]);
    ASSERT_NE(set, nullptr) << "case " << id << ": no directive set " << row[5];
    for (const auto& consent : set->items()) {
      auto directive = read_directive(consent);
      if (directive) {
        request.directives.push_back(std::move(*directive));
      } else {
        request.problems.merge(directive.problems());
      }
    }
    const Decision decision = decide(request);
    EXPECT_EQ(to_string(decision.verdict), row[6]) << "case " << id << ": " << decision.reason;
    EXPECT_EQ(decision.rule, row[7]) << "case " << id << ": " << decision.reason;
    if (row[8] != "—") {
      const std::string decided_by =
          decision.consent + (decision.provision.empty() ? "" : " " + decision.provision);
      EXPECT_EQ(decided_by, row[8]) << "case " << id;
    }
    if (decision.rule == "undecidable") {
      EXPECT_TRUE(decision.issues.has_errors()) << "case " << id << ": denied but not reported";
    }
    ++rules_used[decision.rule];
  }
  // Every rule of the table is exercised by at least one case.
  for (const auto& rule : rules()) {
    EXPECT_GT(rules_used[std::string(rule.id)], 0) << "no case reaches rule " << rule.id;
  }
}

TEST(Engine, ObligationsComeWithTheirRules) {
  Request request;
  const auto time = fhir::parse_date_time("2027-06-15T12:00:00+02:00");
  request.time = time->utc;
  request.time_offset = time->offset;
  request.patient_birth_date = chr::year_month_day{chr::year(2012), chr::March, chr::day(1)};
  request.recipient = recipient_named("mother+pr");
  request.purpose = "parental-responsibility-need";
  request.categories = {"risk-assessments"};
  Decision decision = decide(request);
  ASSERT_EQ(decision.obligations.size(), 1U);
  EXPECT_EQ(decision.obligations[0].code, "inform-patient-of-disclosure");
  EXPECT_EQ(decision.obligations[0].legal_basis, "pbrl § 3-6");

  request.recipient = recipient_named("minor-child");
  request.purpose = "involve-in-treatment";
  decision = decide(request);
  ASSERT_EQ(decision.obligations.size(), 1U);
  EXPECT_EQ(decision.obligations[0].code, "assess-minor-relative-information-needs");
}

TEST(Engine, PatientAgeFromPersonNumber) {
  Request request;
  const auto time = fhir::parse_date_time("2027-06-15T12:00:00+02:00");
  request.time = time->utc;
  request.time_offset = time->offset;
  request.patient_identifier = "22811253964";  // synthetic, born 2012-01-22
  request.recipient = recipient_named("mother+pr");
  request.purpose = "involve-in-treatment";
  const Decision decision = decide(request);
  EXPECT_EQ(decision.patient_age, 15);
  EXPECT_EQ(decision.rule, "parents-under-16");
}

TEST(Engine, ReadsTheJsonRequestAndReportsEveryProblem) {
  auto json = fhir::JsonDocument::parse(R"({
    "patient": {},
    "recipient": {"relative": {"relationship": "aunt", "parentalResponsibility": "yes"}},
    "purpose": "involve-in-treatment", "dataCategories": ["gossip"], "extra": 1})");
  ASSERT_TRUE(json);
  const Request request = read_request(json->root());
  const Decision decision = decide(request);
  EXPECT_EQ(decision.rule, "undecidable");
  std::vector<std::string> locations;
  for (const auto& issue : decision.issues.issues())
    locations.push_back(issue.location);
  for (const char* expected : {"extra", "recipient.relative.parentalResponsibility", "time",
                               "patient", "dataCategories[0]", "recipient.relative.relationship"}) {
    EXPECT_NE(std::find(locations.begin(), locations.end(), expected), locations.end()) << expected;
  }
  const std::string answer = to_json(decision);
  EXPECT_NE(answer.find("\"decision\":\"deny\""), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"issues\":{\"resourceType\":\"OperationOutcome\""), std::string::npos);
}

}  // namespace
}  // namespace adapter::consent
