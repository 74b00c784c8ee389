#include "adapter/fhir/model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "adapter/fhir/json.h"

namespace adapter::fhir {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// Loaded once for all tests: a Model is immutable once built.
const Model& r4() {
  static const Model model = [] {
    Result<Model> loaded = Model::r4();
    if (!loaded) {
      std::cerr << loaded.problems().to_json() << "\n";
      std::abort();
    }
    return std::move(loaded).value();
  }();
  return model;
}

const TypeInfo& type(std::string_view name) {
  const TypeInfo* found = r4().type(name);
  if (found == nullptr) {
    ADD_FAILURE() << "no type " << name;
    return *r4().type("Element");
  }
  return *found;
}

std::vector<std::string> type_names(const ElementInfo& element) {
  std::vector<std::string> names;
  for (const TypeInfo* t : element.types)
    names.emplace_back(t->name());
  return names;
}

// Follows a FHIRPath-style path ("Questionnaire.item.item") through the first type of each
// element; nullptr when a step is unknown.
const ElementInfo* resolve(const Model& model, std::string_view path) {
  std::size_t dot = path.find('.');
  const TypeInfo* current = model.type(path.substr(0, dot));
  const ElementInfo* element = nullptr;
  while (current != nullptr && dot != std::string_view::npos) {
    path.remove_prefix(dot + 1);
    dot = path.find('.');
    element = current->element(path.substr(0, dot));
    if (element == nullptr) return nullptr;
    current = element->types.front();
  }
  return current != nullptr ? element : nullptr;
}

TEST(Model, LoadsTheEmbeddedR4ModelInMilliseconds) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> millis;
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    Result<Model> model = Model::r4();
    millis.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    ASSERT_TRUE(model.ok()) << model.problems().to_json();
    EXPECT_GT(model->type_count(), 600U);
  }
  std::sort(millis.begin(), millis.end());
  // Reported, not asserted: timings depend on the machine and build type.
  std::cout << "[ model    ] Model::r4(): " << r4().type_count() << " types, median "
            << millis[millis.size() / 2] << " ms, best " << millis.front() << " ms\n";
}

TEST(Model, PatientNameIsRepeatingHumanName) {
  const ElementInfo* name = type("Patient").element("name");
  ASSERT_NE(name, nullptr);
  EXPECT_THAT(type_names(*name), ElementsAre("HumanName"));
  EXPECT_TRUE(name->repeats);
  EXPECT_FALSE(name->choice);
  EXPECT_EQ(name->min, 0U);
  EXPECT_EQ(name->max, ElementInfo::kUnbounded);
  EXPECT_EQ(name->types[0]->kind(), TypeKind::complex);

  const ElementInfo* active = type("Patient").element("active");
  ASSERT_NE(active, nullptr);
  EXPECT_FALSE(active->repeats);
  EXPECT_EQ(active->max, 1U);
  EXPECT_EQ(type("Patient.link").element("other")->min, 1U);
}

TEST(Model, ObservationValueIsAChoice) {
  const ElementInfo* value = type("Observation").element("value");
  ASSERT_NE(value, nullptr);
  EXPECT_TRUE(value->choice);
  EXPECT_FALSE(value->repeats);
  EXPECT_THAT(type_names(*value),
              UnorderedElementsAre("Quantity", "CodeableConcept", "string", "boolean", "integer",
                                   "Range", "Ratio", "SampledData", "time", "dateTime", "Period"));
  // Lookup is by the name without [x], never by the JSON name.
  EXPECT_EQ(type("Observation").element("value[x]"), nullptr);
  EXPECT_EQ(type("Observation").element("valueQuantity"), nullptr);
  EXPECT_TRUE(type("Patient").element("deceased")->choice);
}

TEST(Model, ResourceHierarchy) {
  const TypeInfo& patient = type("Patient");
  const TypeInfo& domain = type("DomainResource");
  const TypeInfo& resource = type("Resource");
  EXPECT_EQ(patient.kind(), TypeKind::resource);
  EXPECT_TRUE(patient.is_resource());
  EXPECT_EQ(patient.base(), &domain);
  EXPECT_EQ(domain.base(), &resource);
  EXPECT_EQ(resource.base(), nullptr);
  EXPECT_TRUE(patient.is_a(domain));
  EXPECT_TRUE(patient.is_a(resource));
  EXPECT_TRUE(patient.is_a(patient));
  EXPECT_FALSE(resource.is_a(patient));
  EXPECT_FALSE(patient.is_a(type("Bundle")));
  EXPECT_TRUE(type("Bundle").is_a(resource));
  EXPECT_FALSE(type("Bundle").is_a(domain));
  EXPECT_TRUE(resource.is_abstract());
  EXPECT_TRUE(domain.is_abstract());
  EXPECT_FALSE(patient.is_abstract());
  EXPECT_EQ(type("Element").base(), nullptr);
}

TEST(Model, InheritedElementsResolveThroughTheBaseChain) {
  const TypeInfo& patient = type("Patient");
  // Own elements are only those Patient defines; the rest come from its bases.
  const auto own = patient.own_elements();
  EXPECT_TRUE(std::none_of(own.begin(), own.end(), [](const ElementInfo& e) {
    return e.name == "id" || e.name == "text";
  }));
  ASSERT_NE(patient.element("id"), nullptr);
  // R4 types Resource.id as System.String with the fhir-type extension naming "string";
  // FHIRPath sees the FHIR type.
  EXPECT_THAT(type_names(*patient.element("id")), ElementsAre("string"));
  EXPECT_THAT(type_names(*patient.element("meta")), ElementsAre("Meta"));
  EXPECT_THAT(type_names(*patient.element("text")), ElementsAre("Narrative"));
  EXPECT_THAT(type_names(*patient.element("contained")), ElementsAre("Resource"));
  EXPECT_TRUE(patient.element("extension")->repeats);
  EXPECT_THAT(type_names(*patient.element("modifierExtension")), ElementsAre("Extension"));
  EXPECT_EQ(patient.element("resourceType"), nullptr);  // JSON only, not an element

  const TypeInfo& contact = type("Patient.contact");
  EXPECT_EQ(contact.kind(), TypeKind::backbone);
  EXPECT_EQ(contact.base(), r4().type("BackboneElement"));
  EXPECT_NE(contact.element("modifierExtension"), nullptr);
  EXPECT_THAT(type_names(*contact.element("id")), ElementsAre("string"));
  EXPECT_THAT(type_names(*contact.element("name")), ElementsAre("HumanName"));
  EXPECT_TRUE(type("Patient").element("contact")->repeats);
}

TEST(Model, ContentReferencePointsAtTheBackboneType) {
  const TypeInfo& item = type("Questionnaire.item");
  EXPECT_EQ(item.kind(), TypeKind::backbone);
  const ElementInfo* nested = item.element("item");
  ASSERT_NE(nested, nullptr);
  ASSERT_EQ(nested->types.size(), 1U);
  EXPECT_EQ(nested->types[0], &item);
  EXPECT_TRUE(nested->repeats);
  EXPECT_EQ(resolve(r4(), "Questionnaire.item.item.item.linkId")->types[0]->name(), "string");
  EXPECT_EQ(resolve(r4(), "QuestionnaireResponse.item.answer.item")->types[0]->name(),
            "QuestionnaireResponse.item");
  EXPECT_EQ(resolve(r4(), "Bundle.entry.link")->types[0]->name(), "Bundle.link");
}

TEST(Model, BundleEntryResourceIsResource) {
  const ElementInfo* resource = resolve(r4(), "Bundle.entry.resource");
  ASSERT_NE(resource, nullptr);
  EXPECT_THAT(type_names(*resource), ElementsAre("Resource"));
  EXPECT_FALSE(resource->repeats);
  EXPECT_EQ(type("Bundle.entry").base()->name(), "BackboneElement");
}

TEST(Model, ElementTypedBackbonesInDatatypes) {
  const TypeInfo& repeat = type("Timing.repeat");
  EXPECT_EQ(repeat.kind(), TypeKind::backbone);
  EXPECT_EQ(repeat.base()->name(), "Element");  // datatypes nest Element, not BackboneElement
  EXPECT_EQ(repeat.element("modifierExtension"), nullptr);
  EXPECT_THAT(type_names(*repeat.element("bounds")),
              UnorderedElementsAre("Duration", "Range", "Period"));
}

TEST(Model, PrimitivesAndTheirBaseChain) {
  for (const char* name : {"string", "code", "id", "uri", "markdown", "boolean", "decimal",
                           "dateTime", "positiveInt", "canonical", "xhtml"}) {
    EXPECT_EQ(type(name).kind(), TypeKind::primitive) << name;
    EXPECT_TRUE(type(name).is_primitive()) << name;
    EXPECT_FALSE(type(name).is_system()) << name;
  }
  // R4's baseDefinitions: code, id and markdown specialise string; canonical, url, oid and
  // uuid specialise uri; positiveInt and unsignedInt specialise integer.
  EXPECT_EQ(type("code").base()->name(), "string");
  EXPECT_EQ(type("id").base()->name(), "string");
  EXPECT_EQ(type("markdown").base()->name(), "string");
  EXPECT_EQ(type("string").base()->name(), "Element");
  EXPECT_EQ(type("uri").base()->name(), "Element");
  EXPECT_EQ(type("canonical").base()->name(), "uri");
  EXPECT_EQ(type("oid").base()->name(), "uri");
  EXPECT_EQ(type("positiveInt").base()->name(), "integer");
  EXPECT_TRUE(type("code").is_a(type("string")));
  EXPECT_TRUE(type("code").is_a(type("Element")));
  EXPECT_FALSE(type("uri").is_a(type("string")));

  // A primitive's value is a FHIRPath system type; id and extension are inherited.
  EXPECT_THAT(type_names(*type("string").element("value")), ElementsAre("System.String"));
  EXPECT_THAT(type_names(*type("code").element("value")), ElementsAre("System.String"));
  EXPECT_THAT(type_names(*type("boolean").element("value")), ElementsAre("System.Boolean"));
  EXPECT_THAT(type_names(*type("decimal").element("value")), ElementsAre("System.Decimal"));
  EXPECT_THAT(type_names(*type("instant").element("value")), ElementsAre("System.DateTime"));
  EXPECT_THAT(type_names(*type("date").element("value")), ElementsAre("System.Date"));
  EXPECT_THAT(type_names(*type("time").element("value")), ElementsAre("System.Time"));
  // Inherited from integer.value: R4's snapshot says System.String, but the JSON is a number.
  EXPECT_THAT(type_names(*type("positiveInt").element("value")), ElementsAre("System.Integer"));
  EXPECT_THAT(type_names(*type("unsignedInt").element("value")), ElementsAre("System.Integer"));
  EXPECT_TRUE(type("code").element("extension")->repeats);
  EXPECT_THAT(type_names(*type("Extension").element("url")), ElementsAre("uri"));
}

TEST(Model, SystemTypes) {
  for (const char* name : {"System.Boolean", "System.String", "System.Integer", "System.Decimal",
                           "System.Date", "System.DateTime", "System.Time", "System.Quantity"}) {
    const TypeInfo& t = type(name);
    EXPECT_TRUE(t.is_system()) << name;
    EXPECT_TRUE(t.is_primitive()) << name;
    EXPECT_EQ(t.base(), nullptr) << name;
    EXPECT_TRUE(t.own_elements().empty()) << name;
  }
}

TEST(Model, QuantityFamily) {
  const TypeInfo& quantity = type("Quantity");
  for (const char* name :
       {"Age", "Count", "Distance", "Duration", "SimpleQuantity", "MoneyQuantity"}) {
    EXPECT_TRUE(type(name).is_a(quantity)) << name;
    EXPECT_EQ(type(name).base(), &quantity) << name;
    EXPECT_EQ(type(name).kind(), TypeKind::complex) << name;
    ASSERT_NE(type(name).element("value"), nullptr) << name;
    EXPECT_THAT(type_names(*type(name).element("value")), ElementsAre("decimal"));
  }
  EXPECT_FALSE(quantity.is_a(type("Age")));
  EXPECT_TRUE(type("SimpleQuantity").is_constraint());
  EXPECT_TRUE(type("MoneyQuantity").is_constraint());
  EXPECT_FALSE(type("Age").is_constraint());  // a specialization in R4
  // Elements profiled as SimpleQuantity keep type Quantity: the JSON name is doseQuantity.
  EXPECT_THAT(type_names(*resolve(r4(), "Dosage.doseAndRate.dose")),
              UnorderedElementsAre("Range", "Quantity"));
}

TEST(Model, UnknownNames) {
  EXPECT_EQ(r4().type("NoSuchType"), nullptr);
  EXPECT_EQ(r4().type(""), nullptr);
  EXPECT_EQ(r4().type("patient"), nullptr);  // names are case-sensitive
  EXPECT_EQ(r4().type("Patient.nothing"), nullptr);
  EXPECT_EQ(type("Patient").element("nothing"), nullptr);
  EXPECT_EQ(type("Patient").element(""), nullptr);
  // Logical models and profiles that are not datatypes stay out.
  EXPECT_EQ(r4().type("MetadataResource"), nullptr);
  EXPECT_EQ(r4().type("FiveWs"), nullptr);
  EXPECT_EQ(r4().type("observation-bmi"), nullptr);
}

TEST(Model, ExtensionValueTakesEveryOpenType) {
  const ElementInfo* value = type("Extension").element("value");
  ASSERT_NE(value, nullptr);
  EXPECT_TRUE(value->choice);
  const std::vector<std::string> names = type_names(*value);
  EXPECT_EQ(names.size(), 50U);
  // Every primitive but xhtml (which has no JSON form of its own).
  for (const TypeInfo& t : r4().types()) {
    if (!t.is_primitive() || t.is_system()) continue;
    const bool listed = std::find(names.begin(), names.end(), t.name()) != names.end();
    EXPECT_EQ(listed, t.name() != "xhtml") << t.name();
  }
  for (const char* name : {"Address",
                           "Age",
                           "Annotation",
                           "Attachment",
                           "CodeableConcept",
                           "Coding",
                           "ContactPoint",
                           "Count",
                           "Distance",
                           "Duration",
                           "HumanName",
                           "Identifier",
                           "Money",
                           "Period",
                           "Quantity",
                           "Range",
                           "Ratio",
                           "Reference",
                           "SampledData",
                           "Signature",
                           "Timing",
                           "ContactDetail",
                           "Contributor",
                           "DataRequirement",
                           "Expression",
                           "ParameterDefinition",
                           "RelatedArtifact",
                           "TriggerDefinition",
                           "UsageContext",
                           "Dosage",
                           "Meta"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST(Model, EveryTypeHangsTogether) {
  const std::span<const TypeInfo> types = r4().types();
  EXPECT_EQ(types.size(), r4().type_count());
  std::size_t resources = 0;
  for (std::size_t i = 0; i < types.size(); ++i) {
    const TypeInfo& t = types[i];
    if (i > 0) {
      EXPECT_LT(types[i - 1].name(), t.name());
    }
    EXPECT_EQ(r4().type(t.name()), &t);
    if (t.kind() == TypeKind::resource && !t.is_abstract()) ++resources;
    if (t.kind() == TypeKind::backbone) {
      EXPECT_TRUE(t.base() != nullptr &&
                  (t.base()->name() == "BackboneElement" || t.base()->name() == "Element"))
          << t.name();
    }
    const auto own = t.own_elements();
    for (std::size_t j = 0; j < own.size(); ++j) {
      if (j > 0) {
        EXPECT_LT(own[j - 1].name, own[j].name) << t.name();
      }
      EXPECT_FALSE(own[j].types.empty()) << t.name() << "." << own[j].name;
      EXPECT_EQ(t.element(own[j].name), &own[j]);
      EXPECT_EQ(own[j].repeats, own[j].max > 1) << t.name() << "." << own[j].name;
      if (own[j].choice) {
        EXPECT_GT(own[j].types.size(), 1U) << t.name() << "." << own[j].name;
      }
    }
  }
  EXPECT_EQ(resources, 146U);  // R4 has 146 concrete resource types
}

// An independent cross-check: the fhirpath.js model data (tests/node_modules/fhirpath) is
// generated from the same StructureDefinitions by another implementation.
class FhirpathJsModel : public ::testing::Test {
 protected:
  static Result<JsonDocument> load(const std::string& file) {
    Result<std::string> text = read_bounded(
        std::string(ADAPTER_SOURCE_DIR) + "/tests/node_modules/fhirpath/fhir-context/r4/" + file,
        16U << 20U);
    if (!text) return text.problems();
    return JsonDocument::parse(text.value());
  }
  // Paths of logical models (MetadataResource, FiveWs, …), which are no types.
  static bool skipped(std::string_view path) {
    return r4().type(path.substr(0, path.find('.'))) == nullptr;
  }
};

TEST_F(FhirpathJsModel, ChoiceTypesAgree) {
  Result<JsonDocument> choices = load("choiceTypePaths.json");
  // The npm tooling the build needs includes fhirpath.js: missing is a failure, not a skip.
  ASSERT_TRUE(choices.ok()) << "fhirpath.js model not installed: run scripts/setup.sh";
  ASSERT_GT(choices->root().size(), 150U);
  std::size_t compared = 0;
  for (const JsonMember& member : choices->root().members()) {
    // fhirpath.js also covers logical models (not types) and lists one extension's value
    // types as if they were ElementDefinition.extension.value's.
    if (skipped(member.key) || member.key == "ElementDefinition.extension.value") continue;
    ++compared;
    const ElementInfo* element = resolve(r4(), member.key);
    ASSERT_NE(element, nullptr) << member.key;
    EXPECT_TRUE(element->choice) << member.key;
    std::vector<std::string> expected;
    for (const JsonValue& name : member.value.items())
      expected.emplace_back(name.as_string());
    std::vector<std::string> ours = type_names(*element);
    for (std::string& name : ours)
      name[0] = static_cast<char>(std::toupper(name[0]));
    EXPECT_THAT(ours, ::testing::UnorderedElementsAreArray(expected)) << member.key;
  }
  EXPECT_GT(compared, 150U);
}

TEST_F(FhirpathJsModel, RepeatingElementsAgree) {
  Result<JsonDocument> repeating = load("path2Repeating.json");
  ASSERT_TRUE(repeating.ok()) << "fhirpath.js model not installed: run scripts/setup.sh";
  ASSERT_GT(repeating->root().size(), 2000U);
  for (const JsonValue& path : repeating->root().items()) {
    if (skipped(path.as_string())) continue;
    const ElementInfo* element = resolve(r4(), path.as_string());
    ASSERT_NE(element, nullptr) << path.as_string();
    EXPECT_TRUE(element->repeats) << path.as_string();
  }
}

TEST(ModelFromJson, ReadsTheCompiledFormat) {
  Result<Model> model = Model::from_json(R"({"format": 1, "types": [
    ["Base", "complex", null, [["id", ["System.String"], 0, "1"]], "a"],
    ["Pair", "complex", "Base", [["left", ["System.String", "Pair"], 1, "1", "c"],
                                  ["right", ["Pair"], 0, "*", "", {"later": "fields"}]],
     "", "ignored"],
    ["System.String", "system", null, []]
  ]})");
  ASSERT_TRUE(model.ok()) << model.problems().to_json();
  const TypeInfo* pair = model->type("Pair");
  ASSERT_NE(pair, nullptr);
  EXPECT_TRUE(model->type("Base")->is_abstract());
  EXPECT_TRUE(pair->is_a(*model->type("Base")));
  EXPECT_TRUE(pair->element("left")->choice);
  EXPECT_EQ(pair->element("left")->min, 1U);
  EXPECT_EQ(pair->element("left")->types[1], pair);
  EXPECT_TRUE(pair->element("right")->repeats);
  EXPECT_EQ(pair->element("id")->types[0], model->type("System.String"));
  EXPECT_TRUE(model->type("System.String")->is_system());

  // Moving the model keeps every pointer into it valid.
  Model moved = std::move(model).value();
  EXPECT_EQ(moved.type("Pair"), pair);
  EXPECT_EQ(pair->element("left")->types[1], pair);
}

std::string first_problem(std::string_view compiled) {
  Result<Model> model = Model::from_json(compiled);
  if (model.ok()) return "loaded";
  const Issue& issue = model.problems().issues().front();
  return issue.location + " " + issue.message;
}

TEST(ModelFromJson, RefusesBrokenModels) {
  EXPECT_THAT(first_problem("{"), HasSubstr("line"));
  EXPECT_THAT(first_problem(R"({"types": []})"), HasSubstr("format"));
  EXPECT_THAT(first_problem(R"({"format": 2, "types": []})"), HasSubstr("format 1"));
  EXPECT_THAT(first_problem(R"({"format": 1})"), HasSubstr("/types"));
  EXPECT_EQ(first_problem(R"({"format": 1, "types": []})"), "loaded");
  EXPECT_THAT(first_problem(R"({"format": 1, "types": [["A", "complex", null]]})"),
              HasSubstr("/types/0 expected"));
  EXPECT_THAT(first_problem(R"({"format": 1, "types": [["A", "thing", null, []]]})"),
              HasSubstr("unknown kind thing"));
  EXPECT_THAT(first_problem(R"({"format": 1, "types": [["B", "complex", null, []],
                                                        ["A", "complex", null, []]]})"),
              HasSubstr("not sorted"));
  EXPECT_THAT(first_problem(R"({"format": 1, "types": [["A", "complex", "Z", []]]})"),
              HasSubstr("/types/0/2 unknown base Z"));
  EXPECT_THAT(first_problem(R"({"format": 1, "types": [["A", "complex", null,
                                                         [["x", ["Nope"], 0, "1"]]]]})"),
              HasSubstr("/types/0/3/0 unknown type Nope"));
  EXPECT_THAT(first_problem(R"({"format": 1, "types": [["A", "complex", null,
                                                         [["x", [], 0, "1"]]]]})"),
              HasSubstr("no type"));
  EXPECT_THAT(first_problem(R"({"format": 1, "types": [["A", "complex", null,
                                                         [["x", ["A"], 0, "many"]]]]})"),
              HasSubstr("cardinality"));
  EXPECT_THAT(first_problem(R"({"format": 1, "types": [["A", "complex", null,
                                                         [["y", ["A"], 0, "1"],
                                                          ["x", ["A"], 0, "1"]]]]})"),
              HasSubstr("elements not sorted"));
  EXPECT_THAT(first_problem(R"({"format": 1, "types": [["A", "complex", "B", []],
                                                        ["B", "complex", "A", []]]})"),
              HasSubstr("cycle"));
}

TEST(ModelFromJson, DefaultModelIsEmpty) {
  Model empty;
  EXPECT_EQ(empty.type_count(), 0U);
  EXPECT_EQ(empty.type("Patient"), nullptr);
  EXPECT_TRUE(empty.types().empty());
}

}  // namespace
}  // namespace adapter::fhir
