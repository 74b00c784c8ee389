#include "adapter/validate/code_set.h"

#include <gtest/gtest.h>

namespace adapter::validate {
namespace {

bool covers(const CodeSet& set, std::string_view json) {
  const auto value = fhir::JsonDocument::parse(json).value();
  return set.covers(value.root());
}

TEST(CodeSet, CodesCodingsAndCodeableConcepts) {
  CodeSet set;
  set.add("http://a", "x");
  set.add("http://b", "y");
  EXPECT_TRUE(covers(set, R"("x")"));
  EXPECT_FALSE(covers(set, R"("z")"));
  EXPECT_TRUE(covers(set, R"({"system": "http://a", "code": "x"})"));
  EXPECT_FALSE(covers(set, R"({"system": "http://b", "code": "x"})"));
  EXPECT_TRUE(covers(set, R"({"code": "y"})"));
  EXPECT_TRUE(covers(
      set,
      R"({"coding": [{"system": "http://c", "code": "q"}, {"system": "http://b", "code": "y"}]})"));
  EXPECT_FALSE(covers(set, R"({"coding": [{"system": "http://c", "code": "q"}]})"));
  EXPECT_FALSE(covers(set, R"({"text": "x"})"));
}

}  // namespace
}  // namespace adapter::validate
