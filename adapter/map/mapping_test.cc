#include "adapter/map/mapping.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "adapter/map/uuid.h"

namespace adapter::map {
namespace {

namespace fs = std::filesystem;

const fhir::Model& model() {
  static const fhir::Model instance = fhir::Model::r4().value();
  return instance;
}

// A throw-away mappings folder with one kind ("demo") whose templates the test writes.
class MappingFolder {
 public:
  MappingFolder() {
    root_ = fs::temp_directory_path() /
            ("map-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "templates" / "fragments");
    fs::create_directories(root_ / "conceptmaps");
    write("deadlines.json", R"({"rows": []})");
    write("mappings.json", R"({
      "kinds": {"demo": {"forward": "templates/demo.forward.json",
                         "reverse": "templates/demo.reverse.json"}},
      "forwardVariables": {"patientUrn": "'urn:uuid:' + (%doc.documentId + '|patient').uuid() "},
      "reverseVariables": {"patient": "%bundle.entry.resource.ofType(Patient).first() "}
    })");
    write("conceptmaps/demo-gender.json", R"({
      "resourceType": "ConceptMap", "id": "demo-gender", "status": "draft",
      "group": [{"source": "https://example.org/in", "target": "http://hl7.org/fhir/administrative-gender",
        "element": [
          {"code": "m", "target": [{"code": "male", "display": "Male", "equivalence": "equivalent"}]},
          {"code": "f", "target": [{"code": "female", "equivalence": "equivalent"}]},
          {"code": "x", "target": [{"equivalence": "unmatched"}]}]}]
    })");
    reverse(R"({"kind": "demo", "documentId": "{{ %patient.id }}"})",
            "entry.resource.ofType(Patient).exists()");
  }
  ~MappingFolder() { fs::remove_all(root_); }

  void write(const std::string& relative, const std::string& text) const {
    std::ofstream(root_ / relative) << text;
  }
  void forward(const std::string& template_json) const {
    write("templates/demo.forward.json",
          R"({"description": "test", "template": )" + template_json + "}");
  }
  void reverse(const std::string& template_json, const std::string& match) const {
    write("templates/demo.reverse.json", R"({"description": "test", "match": ")" + match +
                                             R"(", "template": )" + template_json + "}");
  }
  void fragment(const std::string& name, const std::string& template_json) const {
    write("templates/fragments/" + name + ".json", R"({"template": )" + template_json + "}");
  }
  fhir::Result<MappingSet> load() const {
    return MappingSet::load(
        {.mappings_dir = root_.string(), .canonical = "https://example.org", .only_kinds = {}},
        model());
  }

 private:
  fs::path root_;
};

fhir::JsonDocument parse(const std::string& text) {
  return fhir::JsonDocument::parse(text).value();
}

std::string messages(const fhir::Outcome& outcome) {
  std::string all;
  for (const auto& issue : outcome.issues())
    all += issue.message + "\n";
  return all;
}

// Maps `document` with `template_json` as the forward template.
std::string map_with(const std::string& template_json, const std::string& document) {
  MappingFolder folder;
  folder.forward(template_json);
  auto mappings = folder.load();
  if (!mappings) return "LOAD: " + messages(mappings.problems());
  Mapper mapper(*mappings);
  const auto input = parse(document);
  auto out = mapper.map(input.root());
  if (!out) return "MAP: " + messages(out.problems());
  return *out;
}

const char* kDocument = R"({
  "kind": "demo", "documentId": "D-1",
  "patient": {"gender": "m", "name": {"given": ["Eirik", "Andreas"], "family": "Solheim"}},
  "items": [{"id": "a", "n": 1}, {"id": "b", "n": 2.50}, {"id": "c"}],
  "flag": true, "empty": []
})";

TEST(Mapping, ValuesAndAbsentElements) {
  EXPECT_EQ(map_with(R"({"resourceType": "Patient", "gender": "{{ patient.gender }}",
                          "active": "{{ flag }}", "missing": "{{ patient.nothing }}",
                          "name": [{"family": "{{ patient.name.family }}",
                                    "given": ["{{ patient.name.given }}"],
                                    "prefix": ["{{ patient.prefix }}"]}],
                          "contact": [{"name": {"text": "{{ patient.none }}"}}],
                          "fixed": 3})",
                     kDocument),
            R"({"resourceType":"Patient","gender":"m","active":true,)"
            R"("name":[{"family":"Solheim","given":["Eirik","Andreas"]}],"fixed":3})");
}

TEST(Mapping, NumbersKeepTheirDigits) {
  EXPECT_EQ(map_with(R"({"v": ["{{ items.n }}"], "w": "{{ items[1].n }}"})", kDocument),
            R"({"v":[1,2.50],"w":2.50})");
}

TEST(Mapping, InterpolationIsAbsentWhenAPartIsEmpty) {
  EXPECT_EQ(map_with(R"({"a": "Patient/{{ documentId }}/x", "b": "Patient/{{ nothing }}",
                          "c": "{{ '{{' }} literal"})",
                     kDocument),
            R"({"a":"Patient/D-1/x","c":"{{ literal"})");
}

TEST(Mapping, ForBindsItemAndIndexAndDropsEmptyItems) {
  EXPECT_EQ(map_with(R"({"list": [{"$for": "it in items", "id": "{{ %it.id }}",
                                   "pos": "{{ %itIndex }}", "n": "{{ %it.n }}"},
                                  {"$for": "e in empty", "x": 1},
                                  {"$for": "it in items", "$if": "%it.n.exists() ",
                                   "only": "{{ %it.id }}"}]})",
                     kDocument),
            R"({"list":[{"id":"a","pos":0,"n":1},{"id":"b","pos":1,"n":2.50},{"id":"c","pos":2},)"
            R"({"only":"a"},{"only":"b"}]})");
}

TEST(Mapping, IfLetAndShadowing) {
  EXPECT_EQ(map_with(R"({"$let": {"x": "'outer'"},
                          "a": {"$let": {"x": "'inner'", "y": "%x + '!'"}, "v": "{{ %y }}"},
                          "b": "{{ %x }}",
                          "c": {"$if": "flag", "v": 1},
                          "d": {"$if": "flag.not() ", "v": 1},
                          "e": {"$if": "nothing", "v": 1}})",
                     kDocument),
            R"({"a":{"v":"inner!"},"b":"outer","c":{"v":1}})");
}

TEST(Mapping, IncludeSplicesArraysAndMergeAddsMembers) {
  MappingFolder folder;
  folder.fragment("two", R"([{"k": 1}, {"$for": "it in items", "k": "{{ %it.id }}"}])");
  folder.fragment("meta", R"({"$let": {"z": "'zz'"}, "m1": "{{ %z }}", "m2": "{{ nothing }}"})");
  folder.fragment("value", R"("{{ %who }}")");
  folder.forward(R"({"$merge": "meta", "list": [{"k": 0}, {"$include": "two"}],
                     "v": {"$let": {"who": "documentId"}, "$include": "value"},
                     "w": {"$if": "false", "$value": "never"}})");
  auto mappings = folder.load();
  ASSERT_TRUE(mappings) << messages(mappings.problems());
  Mapper mapper(*mappings);
  const auto input = parse(kDocument);
  EXPECT_EQ(mapper.map(input.root()).value(),
            R"({"m1":"zz","list":[{"k":0},{"k":1},{"k":"a"},{"k":"b"},{"k":"c"}],"v":"D-1"})");
}

TEST(Mapping, TranslateAndReverseTranslate) {
  EXPECT_EQ(map_with(R"({"coding": ["{{ patient.gender.translate('demo-gender') }}"],
                          "code": "{{ 'f'.translate('demo-gender').code }}",
                          "none": "{{ 'x'.translate('demo-gender') }}",
                          "back": "{{ 'f'.translate('demo-gender').reverseTranslate('demo-gender') }}"})",
                     kDocument),
            R"({"coding":[{"system":"http://hl7.org/fhir/administrative-gender","code":"male",)"
            R"("display":"Male"}],"code":"female","back":"f"})");
  EXPECT_NE(map_with(R"({"c": "{{ 'q'.translate('demo-gender') }}"})", kDocument)
                .find("ConceptMap \"demo-gender\" has no entry for \"q\""),
            std::string::npos);
  EXPECT_NE(map_with(R"({"c": "{{ 'q'.translate('nope') }}"})", kDocument)
                .find("no ConceptMap with id \"nope\""),
            std::string::npos);
}

TEST(Mapping, UuidsAreDeterministicAndUrnsDependOnTheDocument) {
  const std::string out = map_with(
      R"({"a": "{{ 'x'.uuid() }}", "p": "{{ %patientUrn }}", "u": "{{ 'pr-gp'.urn('practitioners') }}"})",
      kDocument);
  const Uuid ns = uuid_v5(url_namespace(), "https://example.org");
  EXPECT_EQ(out, R"({"a":")" + to_string(uuid_v5(ns, "x")) + R"(","p":"urn:uuid:)" +
                     to_string(uuid_v5(ns, "D-1|patient")) + R"(","u":"urn:uuid:)" +
                     to_string(uuid_v5(ns, "D-1|practitioners|pr-gp")) + R"("})");
}

TEST(Mapping, RunTimeProblemsNameTheTemplatePlace) {
  const std::string out =
      map_with(R"({"a": {"b": "{{ items.id }}"}, "c": "{{ items.id }}"})", kDocument);
  EXPECT_NE(out.find("templates/demo.forward.json /template/a/b: 3 values where one is expected "
                     "(expression \"items.id\")"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("/template/c: 3 values"), std::string::npos) << out;
}

TEST(Mapping, LoadProblemsNameFilePointerAndExpression) {
  const std::string out = map_with(
      R"({"a": [{"x": "{{ patient.name. }}"}], "b": {"$unknown": 1},
          "c": {"$include": "missing"}, "d": {"$for": "noin", "x": 1},
          "e": {"$include": "x", "y": 1}, "f": "{{ open"})",
      kDocument);
  EXPECT_NE(out.find("templates/demo.forward.json /template/a/0/x: FHIRPath syntax error"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("in \"patient.name.\""), std::string::npos) << out;
  EXPECT_NE(out.find("/template/b/$unknown: unknown directive"), std::string::npos) << out;
  EXPECT_NE(out.find("/template/d/$for: $for is \"name in expression\""), std::string::npos) << out;
  EXPECT_NE(out.find("/template/e: an object with $include has no other members"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("/template/f: \"{{\" without a closing \"}}\""), std::string::npos) << out;
}

TEST(Mapping, MissingFragmentAndIncludeCycleAreLoadErrors) {
  MappingFolder folder;
  folder.fragment("loop-a", R"({"$include": "loop-b"})");
  folder.fragment("loop-b", R"([{"$include": "loop-a"}])");
  folder.forward(R"({"x": {"$include": "absent"}})");
  auto mappings = folder.load();
  ASSERT_FALSE(mappings);
  const std::string out = messages(mappings.problems());
  EXPECT_NE(out.find("$include names the fragment \"absent\", which does not exist"),
            std::string::npos)
      << out;
  folder.forward(R"({"x": {"$include": "loop-a"}})");
  auto cyclic = folder.load();
  ASSERT_FALSE(cyclic);
  EXPECT_NE(messages(cyclic.problems()).find("includes itself"), std::string::npos)
      << messages(cyclic.problems());
}

TEST(Mapping, UnmapUsesTheMatchingReverseMappingOverTypedFhir) {
  MappingFolder folder;
  folder.forward(R"({"resourceType": "Bundle"})");
  folder.reverse(R"({"kind": "demo", "documentId": "{{ %patient.id }}",
                     "born": "{{ %patient.birthDate }}",
                     "deceased": "{{ %patient.deceased.ofType(boolean) }}",
                     "gp": "{{ %patient.generalPractitioner.resolve().name.family }}"})",
                 "entry.resource.ofType(Patient).exists()");
  auto mappings = folder.load();
  ASSERT_TRUE(mappings) << messages(mappings.problems());
  Mapper mapper(*mappings);
  const auto bundle = parse(R"({"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "id": "p1",
      "birthDate": "1989-06-14", "deceasedBoolean": false,
      "generalPractitioner": [{"reference": "urn:uuid:2"}]}},
    {"fullUrl": "urn:uuid:2", "resource": {"resourceType": "Practitioner", "name": [{"family": "Brekke"}]}}]})");
  EXPECT_EQ(
      mapper.unmap(bundle.root()).value(),
      R"({"kind":"demo","documentId":"p1","born":"1989-06-14","deceased":false,"gp":"Brekke"})");
  // A lone resource is wrapped in a Bundle.
  const auto patient = parse(R"({"resourceType": "Patient", "id": "p2"})");
  EXPECT_EQ(mapper.unmap(patient.root()).value(), R"({"kind":"demo","documentId":"p2"})");
  const auto other = parse(R"({"resourceType": "Observation", "id": "o"})");
  const auto none = mapper.unmap(other.root());
  ASSERT_FALSE(none);
  EXPECT_NE(messages(none.problems()).find("no reverse mapping recognises this Observation"),
            std::string::npos);
}

TEST(Mapping, SameDocumentSameBytes) {
  const std::string first =
      map_with(R"({"a": "{{ 'x'.uuid() }}", "b": ["{{ items.id }}"]})", kDocument);
  EXPECT_EQ(first, map_with(R"({"a": "{{ 'x'.uuid() }}", "b": ["{{ items.id }}"]})", kDocument));
}

}  // namespace
}  // namespace adapter::map
