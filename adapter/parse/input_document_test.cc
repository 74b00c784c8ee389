#include "adapter/parse/input_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

namespace adapter::parse {
namespace {

TEST(InputFormatsTest, NorwegianFormatsAreRegistered) {
  const fhir::FormatRegistry formats = input_formats();
  for (const char* name :
       {"no-person-id", "no-org-number", "no-hpr", "no-her-id", "no-resh-id",
        "no-municipality-number", "no-postal-code", "phone", "email", "uri", "date", "date-time"}) {
    EXPECT_NE(formats.find(name), nullptr) << name;
  }
  EXPECT_EQ((*formats.find("no-org-number"))("974760673"), std::nullopt);
  EXPECT_NE((*formats.find("no-org-number"))("974760674"), std::nullopt);
  EXPECT_EQ((*formats.find("phone"))("+4791234567"), std::nullopt);
  EXPECT_NE((*formats.find("phone"))("912 34 567"), std::nullopt);
  EXPECT_EQ((*formats.find("no-municipality-number"))("4601"), std::nullopt);
  EXPECT_NE((*formats.find("no-municipality-number"))("460"), std::nullopt);
}

class RealInputFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = InputFormat::load(std::string(ADAPTER_SOURCE_DIR) + "/mappings/input");
    ASSERT_TRUE(loaded.ok()) << loaded.problems().to_json();
    format_.emplace(std::move(loaded).value());
  }
  static std::string example(const std::string& name) {
    auto text =
        fhir::read_bounded(std::string(ADAPTER_SOURCE_DIR) + "/examples/" + name, 1U << 20U);
    EXPECT_TRUE(text.ok());
    return text.ok() ? std::move(text).value() : std::string();
  }
  std::optional<InputFormat> format_;
};

TEST_F(RealInputFormat, KnowsEveryKind) {
  EXPECT_THAT(
      format_->kinds(),
      ::testing::ElementsAre("consent-directive", "crisis-plan", "epicrisis", "individual-plan",
                             "pathway-event", "referral", "treatment-plan"));
}

TEST_F(RealInputFormat, ParsesAValidDocumentAndNamesItsKind) {
  auto document = format_->parse(example("journey/01-referral.json"));
  ASSERT_TRUE(document.ok()) << document.problems().to_json();
  EXPECT_EQ(document->kind, "referral");
  EXPECT_TRUE(document->json.root().find("patient")->is_object());
}

TEST_F(RealInputFormat, BirthDateMustMatchThePersonNumber) {
  auto document = fhir::JsonDocument::parse(example("invalid/birth-date-mismatch.json"));
  ASSERT_TRUE(document.ok());
  const fhir::Outcome outcome = format_->check(document->root());
  ASSERT_EQ(outcome.size(), 1U) << outcome.to_json();
  EXPECT_EQ(outcome.issues()[0].location, "/patient/birthDate");
  EXPECT_THAT(outcome.issues()[0].message, ::testing::HasSubstr("differs from the birth date"));
}

TEST_F(RealInputFormat, LocalIdsMustBeUnique) {
  auto document = fhir::JsonDocument::parse(example("invalid/duplicate-id.json"));
  ASSERT_TRUE(document.ok());
  const fhir::Outcome outcome = format_->check(document->root());
  ASSERT_TRUE(outcome.has_errors());
  EXPECT_TRUE(std::ranges::any_of(outcome.issues(), [](const fhir::Issue& issue) {
    return issue.type == fhir::IssueType::duplicate && issue.location.ends_with("/id");
  }));
}

TEST_F(RealInputFormat, KindDecidesTheSchema) {
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"kind":"letter"})", "unknown kind \"letter\""},
           {R"({"kind":7})", "\"kind\" must be a string"},
           {R"({})", "missing required field \"kind\""},
           {R"("referral")", "an input document is a JSON object"}}) {
    auto result = format_->parse(text);
    ASSERT_FALSE(result.ok()) << text;
    ASSERT_EQ(result.problems().size(), 1U) << text;
    EXPECT_THAT(result.problems().issues()[0].message, ::testing::HasSubstr(message));
  }
}

TEST(InputFormatLoadTest, MissingFolderIsAnError) {
  auto loaded = InputFormat::load("/nonexistent/input");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.problems().issues()[0].severity, fhir::Severity::fatal);
}

}  // namespace
}  // namespace adapter::parse
