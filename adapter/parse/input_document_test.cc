#include "adapter/parse/input_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace adapter::parse
