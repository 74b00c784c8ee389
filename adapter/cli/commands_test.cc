#include "adapter/cli/commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapter/fhir/json.h"

namespace adapter::cli {
namespace {

using ::testing::HasSubstr;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun run_cli(std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = run(args, {out, err});
  return {code, out.str(), err.str()};
}

std::string mappings() {
  return std::string(ADAPTER_SOURCE_DIR) + "/mappings";
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() / ("commands_test_" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// Every answer on standard output is JSON, also on errors.
fhir::JsonDocument json_of(const CliRun& run) {
  auto doc = fhir::JsonDocument::parse(run.out);
  EXPECT_TRUE(doc.ok()) << run.out;
  return doc.ok() ? std::move(doc).value() : fhir::JsonDocument();
}

TEST(CommandsTest, HelpAndVersion) {
  EXPECT_EQ(run_cli({"--help"}).code, kOk);
  EXPECT_THAT(run_cli({"--help"}).out, HasSubstr("fhir-adapter check"));
  EXPECT_THAT(run_cli({"--version"}).out, HasSubstr("fhir-adapter 0."));
  EXPECT_EQ(run_cli({}).code, kUsageOrIo);
  EXPECT_EQ(run_cli({"check", "--help"}).code, kOk);
}

TEST(CommandsTest, UsageErrorsExitTwoWithAnOutcome) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"frobnicate"},
           {"check"},
           {"check", "--bogus", "x"},
           {"deadline", "--from", "2027-03-24"},
           {"deadline", "--from", "2027-03-24", "--working-days", "10", "--calendar-days", "3"},
           {"deadline", "--from", "2027-03-24", "--working-days", "-1"},
           {"deadline", "--from", "2027-03-24", "--working-days"},
           {"id-check"}}) {
    const CliRun result = run_cli(args);
    EXPECT_EQ(result.code, kUsageOrIo) << args[0];
    EXPECT_EQ(json_of(result).root().find("resourceType")->as_string(), "OperationOutcome");
    EXPECT_THAT(result.err, HasSubstr("fhir-adapter: "));
  }
}

TEST(CommandsTest, IdCheckRecognisesAndValidates) {
  CliRun valid = run_cli({"id-check", "17858912350"});  // synthetic FNR, born 1989-05-17
  EXPECT_EQ(valid.code, kOk) << valid.out;
  fhir::JsonDocument doc = json_of(valid);
  EXPECT_EQ(doc.root().find("type")->as_string(), "FNR");
  EXPECT_TRUE(doc.root().find("valid")->as_bool());
  EXPECT_TRUE(doc.root().find("synthetic")->as_bool());
  EXPECT_EQ(doc.root().find("system")->as_string(), "urn:oid:2.16.578.1.12.4.1.4.1");
  EXPECT_EQ(doc.root().find("birthDate")->as_string(), "1989-05-17");
  EXPECT_EQ(doc.root().find("sex")->as_string(), "male");

  CliRun invalid = run_cli({"id-check", "17858912351"});
  EXPECT_EQ(invalid.code, kInvalidInput);
  EXPECT_FALSE(json_of(invalid).root().find("valid")->as_bool());
  EXPECT_THAT(invalid.err, HasSubstr("17858912351"));

  CliRun org = run_cli({"id-check", "974760673"});
  EXPECT_EQ(org.code, kOk);
  EXPECT_EQ(json_of(org).root().find("type")->as_string(), "ENH");
}

TEST(CommandsTest, DeadlineCrossesEaster2027) {
  CliRun result = run_cli({"deadline", "--from", "2027-03-24", "--working-days", "10"});
  ASSERT_EQ(result.code, kOk) << result.out;
  fhir::JsonDocument doc = json_of(result);
  EXPECT_EQ(doc.root().find("due")->as_string(), "2027-04-12");
  std::vector<std::string_view> crossed;
  for (const auto& holiday : doc.root().find("publicHolidaysCrossed")->items()) {
    crossed.push_back(holiday.find("date")->as_string());
  }
  EXPECT_THAT(crossed,
              ::testing::ElementsAre("2027-03-25", "2027-03-26", "2027-03-28", "2027-03-29"));
  EXPECT_EQ(json_of(run_cli({"deadline", "--from=2027-03-24", "--calendar-days=21"}))
                .root()
                .find("due")
                ->as_string(),
            "2027-04-14");
  EXPECT_EQ(run_cli({"deadline", "--from", "2027-02-30", "--working-days", "1"}).code,
            kInvalidInput);
}

TEST(CommandsTest, DeadlineByActivityUsesTheTable) {
  CliRun result = run_cli({"deadline", "--from", "2027-03-24", "--activity", "referral-assessment",
                           "--mappings", mappings()});
  ASSERT_EQ(result.code, kOk) << result.out;
  fhir::JsonDocument doc = json_of(result);
  EXPECT_EQ(doc.root().find("due")->as_string(), "2027-04-12");
  EXPECT_EQ(doc.root().find("deadline")->find("activity")->as_string(), "referral-assessment");
  EXPECT_FALSE(doc.root().find("deadline")->find("source")->as_string().empty());
  CliRun ambiguous = run_cli({"deadline", "--from", "2027-03-24", "--activity",
                              "follow-up-decision", "--mappings", mappings()});
  EXPECT_EQ(ambiguous.code, kInvalidInput);
  EXPECT_THAT(ambiguous.out, HasSubstr("follow-up-decision-basic"));
}

TEST(CommandsTest, CheckReportsSyntaxErrorsAsOutcomes) {
  const auto truncated = temp_file("truncated.json", R"({"kind":"referral","patient":{)");
  CliRun result = run_cli({"check", "--mappings", mappings(), truncated.string()});
  EXPECT_EQ(result.code, kInvalidInput);
  EXPECT_THAT(result.out, HasSubstr("invalid JSON at line 1"));
  EXPECT_THAT(result.out, HasSubstr("\"/patient\""));

  const auto deep = temp_file("deep.json", std::string(100000, '[') + std::string(100000, ']'));
  result = run_cli({"check", "--mappings", mappings(), deep.string()});
  EXPECT_EQ(result.code, kInvalidInput);
  EXPECT_THAT(result.out, HasSubstr("too-costly"));

  result = run_cli({"check", "--mappings", mappings(), "--max-bytes", "10", truncated.string()});
  EXPECT_EQ(result.code, kInvalidInput);
  EXPECT_THAT(result.out, HasSubstr("more than 10 bytes"));

  const auto not_object = temp_file("array.json", "[1]");
  result = run_cli({"check", "--mappings", mappings(), not_object.string()});
  EXPECT_EQ(result.code, kInvalidInput);
  EXPECT_THAT(result.out, HasSubstr("an input document is a JSON object"));
  std::filesystem::remove(truncated);
  std::filesystem::remove(deep);
  std::filesystem::remove(not_object);
}

TEST(CommandsTest, CheckOfUnreadableFileIsAnIoError) {
  CliRun result = run_cli({"check", "--mappings", mappings(), "/nonexistent/file.json"});
  EXPECT_EQ(result.code, kUsageOrIo);
  EXPECT_EQ(json_of(result).root().find("issue")->items()[0].find("severity")->as_string(),
            "fatal");
}

TEST(CommandsTest, CheckOfSeveralFilesPrintsJsonLines) {
  const auto bad = temp_file("bad.json", "{");
  const auto wrong_kind = temp_file("kind.json", R"({"kind":"letter"})");
  CliRun result = run_cli({"check", "--mappings", mappings(), bad.string(), wrong_kind.string()});
  EXPECT_EQ(result.code, kInvalidInput);
  std::istringstream lines(result.out);
  std::string line;
  std::size_t count = 0;
  while (std::getline(lines, line)) {
    auto doc = fhir::JsonDocument::parse(line);
    ASSERT_TRUE(doc.ok()) << line;
    EXPECT_TRUE(doc->root().find("file")->is_string());
    EXPECT_EQ(doc->root().find("outcome")->find("resourceType")->as_string(), "OperationOutcome");
    ++count;
  }
  EXPECT_EQ(count, 2U);
  EXPECT_THAT(result.out, HasSubstr("unknown kind \\\"letter\\\""));
  EXPECT_THAT(result.err, HasSubstr("checked 2 documents: 0 valid, 2 invalid"));
  std::filesystem::remove(bad);
  std::filesystem::remove(wrong_kind);
}

TEST(CommandsTest, MissingSchemaFolderIsAnIoError) {
  CliRun result = run_cli({"check", "--mappings", "/nonexistent", "x.json"});
  EXPECT_EQ(result.code, kUsageOrIo);
  EXPECT_THAT(result.err, HasSubstr("cannot load the input schemas"));
}

// A small Patient: typed navigation with the R4 model and the resource's type as context.
constexpr std::string_view kPatient = R"({"resourceType":"Patient","id":"p1",
  "name":[{"family":"Chalmers","given":["Peter","James"]},{"given":["Jim"]}],
  "birthDate":"1974-12-25","active":true})";

TEST(CommandsTest, FhirpathEvaluatesAgainstAResource) {
  const auto patient = temp_file("patient.json", std::string(kPatient));
  CliRun result =
      run_cli({"fhirpath", "--resource", patient.string(), "Patient.name.given.first()"});
  EXPECT_EQ(result.code, kOk) << result.out << result.err;
  EXPECT_EQ(result.out, "[\"Peter\"]\n");

  result = run_cli({"fhirpath", "--resource", patient.string(), "name.given"});
  EXPECT_EQ(result.out, "[\"Peter\",\"James\",\"Jim\"]\n") << result.err;
  result = run_cli({"fhirpath", "--resource=" + patient.string(), "birthDate < @2000-01-01"});
  EXPECT_EQ(result.out, "[true]\n") << result.err;
  result = run_cli({"fhirpath", "--resource", patient.string(), "Patient.deceased.exists()"});
  EXPECT_EQ(result.out, "[false]\n") << result.err;
  std::filesystem::remove(patient);
}

TEST(CommandsTest, FhirpathWithoutAResourceAndWithVariables) {
  EXPECT_EQ(run_cli({"fhirpath", "1 + 2"}).out, "[3]\n");
  EXPECT_EQ(run_cli({"fhirpath", "{}"}).out, "[]\n");
  CliRun result = run_cli({"fhirpath", "--var", "limit=3", "%limit + 1"});
  EXPECT_EQ(result.code, kOk) << result.out;
  EXPECT_EQ(result.out, "[4]\n");
  // An array is a collection of its items; objects are navigated as plain JSON.
  result = run_cli({"fhirpath", "--var", R"(codes=["a","b","c"])", "--var",
                    R"(doc={"kind":"referral","n":[1,2]})", "%codes.count() + %doc.n.last()"});
  EXPECT_EQ(result.out, "[5]\n") << result.out;
  EXPECT_EQ(run_cli({"fhirpath", "--var", "x=null", "%x.empty()"}).out, "[true]\n");
  // Several scalar variables: each keeps its own value.
  EXPECT_EQ(
      run_cli({"fhirpath", "--var", "a=2", "--var", "b=3", "--var", "c=4", "%a * %b + %c"}).out,
      "[10]\n");
}

TEST(CommandsTest, FhirpathErrorsAreOutcomesWithExitOne) {
  const auto patient = temp_file("patient2.json", std::string(kPatient));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"fhirpath", "Patient.name.("},                                       // syntax
           {"fhirpath", "--resource", patient.string(), "Patient.nmae"},         // not in the model
           {"fhirpath", "--resource", patient.string(), "name.given.single()"},  // evaluation
           {"fhirpath", "--resource", patient.string(), "--max-bytes", "10", "name"}}) {
    const CliRun result = run_cli(args);
    EXPECT_EQ(result.code, kInvalidInput) << args.back() << ": " << result.out;
    EXPECT_EQ(json_of(result).root().find("resourceType")->as_string(), "OperationOutcome");
    EXPECT_THAT(result.err, HasSubstr("fhir-adapter: "));
  }
  const auto unknown = temp_file("unknown.json", R"({"resourceType":"Patinet","id":"x"})");
  const CliRun misspelt = run_cli({"fhirpath", "--resource", unknown.string(), "id"});
  EXPECT_EQ(misspelt.code, kInvalidInput);
  EXPECT_THAT(misspelt.out, HasSubstr("not a FHIR R4 resource type"));
  std::filesystem::remove(unknown);
  const auto broken = temp_file("broken.json", R"({"resourceType":"Patient",)");
  EXPECT_EQ(run_cli({"fhirpath", "--resource", broken.string(), "name"}).code, kInvalidInput);
  const auto deep = temp_file("deep2.json", std::string(200, '[') + std::string(200, ']'));
  EXPECT_EQ(run_cli({"fhirpath", "--resource", deep.string(), "name"}).code, kInvalidInput);
  EXPECT_EQ(run_cli({"fhirpath", "--resource", "/nonexistent/p.json", "name"}).code, kUsageOrIo);
  std::filesystem::remove(patient);
  std::filesystem::remove(broken);
  std::filesystem::remove(deep);
}

TEST(CommandsTest, FhirpathUsageErrorsExitTwo) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"fhirpath"},
                                             {"fhirpath", "1", "2"},
                                             {"fhirpath", "--resource"},
                                             {"fhirpath", "--var", "novalue", "1"},
                                             {"fhirpath", "--var", "=1", "1"},
                                             {"fhirpath", "--var", "%x=1", "1"},
                                             {"fhirpath", "--var", "x={", "1"},
                                             {"fhirpath", "--var", "x=1", "--var", "x=2", "%x"},
                                             {"fhirpath", "--bogus", "1", "1"}}) {
    const CliRun result = run_cli(args);
    EXPECT_EQ(result.code, kUsageOrIo) << ::testing::PrintToString(args);
    EXPECT_EQ(json_of(result).root().find("resourceType")->as_string(), "OperationOutcome");
  }
  EXPECT_THAT(run_cli({"--help"}).out, HasSubstr("fhir-adapter fhirpath"));
}

}  // namespace
}  // namespace adapter::cli
