#include "adapter/fhirpath/expression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapter/fhirpath/ast.h"

namespace adapter::fhirpath {
namespace {

using ::testing::HasSubstr;

const fhir::Model& r4() {
  static const fhir::Model model = fhir::Model::r4().value();
  return model;
}

fhir::JsonDocument parse(std::string_view text) {
  return fhir::JsonDocument::parse(text).value();
}

constexpr std::string_view kPatient = R"({
  "resourceType": "Patient", "id": "p1", "active": true,
  "name": [{"use": "official", "family": "Nordmann", "given": ["Kari", "Ola"]},
           {"use": "nickname", "given": ["KO"]}],
  "birthDate": "1989-06-14",
  "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                                "valueDateTime": "1989-06-14T10:15:00+02:00"}]},
  "deceasedBoolean": false,
  "contained": [{"resourceType": "Organization", "id": "org", "name": "HF"}],
  "managingOrganization": {"reference": "#org"}
})";

// Evaluates with the R4 model and returns the result as JSON, or the error message.
std::string eval(std::string_view expression, std::string_view resource = kPatient,
                 const Environment* environment = nullptr) {
  const auto document = parse(resource);
  auto compiled = Expression::compile(expression, {.model = &r4()});
  if (!compiled) return "compile error: " + compiled.problems().issues().front().message;
  Evaluator evaluator;
  auto result = evaluator.evaluate(*compiled, document.root(), environment);
  if (!result) return "error: " + result.problems().issues().front().message;
  return to_json(*result);
}

TEST(Expression, NavigatesTypedResources) {
  EXPECT_EQ(eval("Patient.name.given"), R"(["Kari","Ola","KO"])");
  EXPECT_EQ(eval("name.where(use = 'official').family"), R"(["Nordmann"])");
  EXPECT_EQ(eval("Patient.name.given.first()"), R"(["Kari"])");
  EXPECT_EQ(eval("Patient.deceased"), "[false]");
  EXPECT_EQ(eval("Patient.deceased is boolean"), "[true]");
  EXPECT_EQ(eval("Patient.birthDate.extension.value"), R"(["1989-06-14T10:15:00+02:00"])");
  EXPECT_EQ(eval("Patient.managingOrganization.resolve().name"), R"(["HF"])");
  EXPECT_EQ(eval("Patient.contained.ofType(Organization).name"), R"(["HF"])");
  EXPECT_EQ(eval("Encounter.name"), "[]");
}

TEST(Expression, Literals) {
  EXPECT_EQ(eval("1 + 2 * 3"), "[7]");
  EXPECT_EQ(eval("(1 + 2) * 3"), "[9]");
  EXPECT_EQ(eval("'a\\'b' + 'c'"), R"(["a'bc"])");
  EXPECT_EQ(eval("@2014-01-25"), R"(["2014-01-25"])");
  EXPECT_EQ(eval("5 'mg'"), R"([{"value":5,"unit":"mg"}])");
  EXPECT_EQ(eval("{}"), "[]");
  EXPECT_EQ(eval("-5.5"), "[-5.5]");
}

TEST(Expression, ThreeValuedLogic) {
  EXPECT_EQ(eval("true and {}"), "[]");
  EXPECT_EQ(eval("false and {}"), "[false]");
  EXPECT_EQ(eval("true or {}"), "[true]");
  EXPECT_EQ(eval("{} implies false"), "[]");
  EXPECT_EQ(eval("false implies {}"), "[true]");
  EXPECT_EQ(eval("true xor false"), "[true]");
}

TEST(Expression, StringsCountCharactersNotBytes) {
  EXPECT_EQ(eval("'Bénédicte'.length()"), "[9]");
  EXPECT_EQ(eval("'Bénédicte'.substring(1, 3)"), R"(["éné"])");
  EXPECT_EQ(eval("'Bénédicte'.indexOf('d')"), "[4]");
  EXPECT_EQ(eval("'Ærlig Øyvind på Åsen'.upper()"), R"(["ÆRLIG ØYVIND PÅ ÅSEN"])");
  EXPECT_EQ(eval("'ÆØÅ'.lower()"), R"(["æøå"])");
  EXPECT_EQ(eval("'æø'.toChars()"), R"(["æ","ø"])");
  EXPECT_EQ(eval("'a\tb' ~ 'A B'"), "[true]");
  EXPECT_EQ(eval("'a b  c' ~ 'A B C'"), "[false]");
}

TEST(Expression, AggregatesAndNot) {
  EXPECT_EQ(eval("(1 | 2 | 3).sum()"), "[6]");
  EXPECT_EQ(eval("(1.5 | 2).avg()"), "[1.75000000]");
  EXPECT_EQ(eval("('b' | 'a').min()"), R"(["a"])");
  EXPECT_EQ(eval("{}.max()"), "[]");
  EXPECT_EQ(eval("Patient.active.not()"), "[false]");
  EXPECT_EQ(eval("{}.not()"), "[]");
}

TEST(Expression, TypeTestsFollowTheSuite) {
  EXPECT_EQ(eval("Patient.name.first().use is code"), "[true]");
  EXPECT_EQ(eval("Patient.name.first().use is string"), "[true]");
  EXPECT_EQ(eval("Patient.name.first().use.as(string)"), "[]");
  EXPECT_THAT(eval("Patient.name.first().use.as(strin)"), HasSubstr("unknown type 'strin'"));
  EXPECT_EQ(eval("Patient.id is string"), "[true]");
}

TEST(Expression, SyntaxErrorsNameThePosition) {
  const auto compiled = Expression::compile("Patient.name.where(", {.model = &r4()});
  ASSERT_FALSE(compiled.ok());
  EXPECT_THAT(compiled.problems().issues().front().message, HasSubstr("line 1, column 20"));
  const auto unknown = Expression::compile("Patient.name.frobnicate()");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.problems().issues().front().message,
              HasSubstr("unknown function 'frobnicate'"));
}

TEST(Expression, SemanticCheckWithAContextType) {
  const auto wrong =
      Expression::compile("name.given1", {.model = &r4(), .context_type = "Patient"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.problems().issues().front().message, HasSubstr("'given1'"));
  EXPECT_TRUE(Expression::compile("name.given", {.model = &r4(), .context_type = "Patient"}).ok());
}

TEST(Expression, EvaluationErrors) {
  EXPECT_THAT(eval("Patient.name.given.single()"), HasSubstr("single() found 3 items"));
  EXPECT_THAT(eval("%nonexistent"), HasSubstr("unknown variable"));
}

TEST(Expression, UntypedJsonForInputDocuments) {
  constexpr std::string_view kDocument =
      R"({"kind": "referral", "patient": {"birthDate": "2012-03-01", "children": [{"age": 3}, {"age": 9}]},
          "score": 2.50})";
  const auto document = parse(kDocument);
  auto expression = Expression::compile("patient.children.where(age > 5).age");
  ASSERT_TRUE(expression.ok());
  Evaluator evaluator;
  EXPECT_EQ(to_json(*evaluator.evaluate(*expression, document.root())), "[9]");
  auto date = Expression::compile("patient.birthDate < @2013-01-01");
  EXPECT_EQ(to_json(*evaluator.evaluate(*date, document.root())), "[true]");
  auto decimal = Expression::compile("score * 2");
  EXPECT_EQ(to_json(*evaluator.evaluate(*decimal, document.root())), "[5.00]");
}

TEST(Expression, EnvironmentAndCustomFunctions) {
  const auto value = parse(R"("Kari")");
  Environment environment;
  environment.set("expected", {Value::node(&value.root(), nullptr)});
  EXPECT_EQ(eval("Patient.name.given.first() = %expected", kPatient, &environment), "[true]");

  FunctionRegistry functions;
  functions.add("twice", 0, 0, [](FunctionCall& call) -> std::optional<std::string> {
    for (const Value& item : call.focus) {
      if (item.kind() != ValueKind::integer) return "needs integers";
      call.out.push_back(Value::of(item.as_integer() * 2));
    }
    return std::nullopt;
  });
  const auto document = parse("{}");
  auto expression = Expression::compile("(1 | 2).twice()", {.functions = &functions});
  ASSERT_TRUE(expression.ok());
  Evaluator evaluator;
  EXPECT_EQ(to_json(*evaluator.evaluate(*expression, document.root())), "[2,4]");
  auto failing = Expression::compile("'x'.twice()", {.functions = &functions});
  EXPECT_THAT(evaluator.evaluate(*failing, document.root()).problems().issues().front().message,
              HasSubstr("twice(): needs integers"));
}

std::optional<std::vector<std::string>> input_members(std::string_view expression) {
  auto compiled = Expression::compile(expression, {.model = &r4()});
  EXPECT_TRUE(compiled.ok()) << expression;
  return compiled.ok() ? compiled->input_members() : std::nullopt;
}

TEST(Expression, InputMembersOfMemberPaths) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(input_members("contained.contained.empty()"), Names{"contained"});
  EXPECT_EQ(input_members("extension.exists() != value.exists()"), (Names{"extension", "value"}));
  EXPECT_EQ(input_members("system.empty() or system = %ucum"), Names{"system"});
  EXPECT_EQ(input_members("text.`div`.exists()"), Names{"text"});
  EXPECT_EQ(input_members("true"), Names{});
  // A criterion over an absent member is never evaluated, whatever it reads.
  EXPECT_EQ(input_members("entry.all(request.exists() = (%resource.type = 'batch'))"),
            Names{"entry"});
  EXPECT_EQ(input_members("contained.where(id = %resource.id).trace('unmatched', id).empty()"),
            Names{"contained"});
}

TEST(Expression, NoInputMembersWhenMoreIsRead) {
  for (const std::string_view expression :
       {"empty()", "$this.name.exists()", "Patient.name.exists()", "%resource.id.exists()",
        "name.exists() or %rootResource.id.exists()", "managingOrganization.resolve().exists()",
        "birthDate < today()", "iif(name.exists(), 1, 2)", "where(use = 'home').empty()",
        "(1 | 2).where($this = %resource.id).empty()", "name.given.contains($this)",
        "name.aggregate($total, 0)"}) {
    EXPECT_EQ(input_members(expression), std::nullopt) << expression;
  }
}

// The promise input_members() makes: without those members, the result on an empty object.
TEST(Expression, WithoutItsInputMembersTheResultIsTheEmptyObjects) {
  constexpr std::string_view kWithout =
      R"({"resourceType": "Patient", "id": "p2", "active": false, "gender": "other"})";
  for (const std::string_view expression :
       {"contained.empty()", "name.exists() implies name.given.exists()",
        "telecom.where(system = 'phone').count()", "deceased.exists().not()",
        "link.select(other).first()", "(name | address).count() + 1"}) {
    ASSERT_TRUE(input_members(expression).has_value()) << expression;
    EXPECT_EQ(eval(expression, kWithout), eval(expression, "{}")) << expression;
  }
}

// Parts that do not depend on $this are computed once per evaluation (Node::memo_slot):
// the results must be those of evaluating them every time.
TEST(Expression, RepeatedFrameIndependentPartsKeepTheirResults) {
  EXPECT_EQ(eval("name.select(%resource.name.given.count() + given.count())"), "[5,4]");
  EXPECT_EQ(eval("name.where(given.count() < %resource.name.given.count()).use"),
            R"(["official","nickname"])");
  EXPECT_EQ(eval("%resource.descendants().count() = %resource.descendants().count()"), "[true]");
  EXPECT_EQ(eval("(1 | 2 | 3).select($index + %resource.name.count())"), "[2,3,4]");
  EXPECT_EQ(eval("(1 | 2).select((3 | 4).select($this + $index))"), "[3,5,3,5]");
  EXPECT_EQ(eval("name.select(given.first())"), R"(["Kari","KO"])");
  EXPECT_EQ(eval("name.select(iif($index = 0, 'a', 'b'))"), R"(["a","b"])");
  EXPECT_EQ(eval("(1 | 2 | 3).aggregate($this + $total, 0)"), "[6]");
  EXPECT_EQ(eval("name.where(%resource.name.given.count() > 2).count()"), "[2]");
  constexpr std::string_view kDom3Like =
      "contained.where(('#' + id in %resource.descendants().reference) or "
      "%resource.descendants().exists()).empty()";
  EXPECT_EQ(eval(kDom3Like), "[false]");
  const auto compiled = Expression::compile(kDom3Like, {.model = &r4()});
  ASSERT_TRUE(compiled.ok());
  // The operand of `in`, the right of `or`, and the twice written %resource.descendants().
  EXPECT_EQ(compiled->compiled().memo_slots, 3U);
}

TEST(Expression, DeepNestingIsRefusedNotCrashing) {
  std::string deep(5000, '(');
  deep += "1";
  deep += std::string(5000, ')');
  EXPECT_FALSE(Expression::compile(deep).ok());
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i)
    chain += "+1";
  EXPECT_FALSE(Expression::compile(chain).ok());
}

TEST(Expression, OneCompiledExpressionManyThreads) {
  const auto document = parse(kPatient);
  auto expression =
      Expression::compile("Patient.name.where(use = 'official').given.count()", {.model = &r4()});
  ASSERT_TRUE(expression.ok());
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Evaluator evaluator;
      for (int i = 0; i < 2000; ++i) {
        auto result = evaluator.evaluate(*expression, document.root());
        if (!result || to_json(*result) != "[2]") ++wrong;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace adapter::fhirpath
