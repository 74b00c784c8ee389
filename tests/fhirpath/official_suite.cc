// The official FHIRPath test suite (HL7's tests-fhir-r4.xml, copied into
// tests/fhirpath/suite/) run against the adapter's FHIRPath engine.
//
//   official_suite SUITE_DIR EXPECTED_FAILURES [--filter TEXT]
//
// Every test is compiled with the R4 model and, when it has an input file, the input's
// resourceType as context type; then evaluated against that input (an empty JSON null when
// the test names none) and compared with the expected outputs. Prints passed/failed per
// group, every failure with its expression, expectation and actual answer, and the total.
//
// Suite semantics: invalid="syntax"/"semantic" must be refused by compile; "execution" (and
// "true") by compile or evaluation. predicate="true" takes the result as a boolean (a single
// Boolean is itself, otherwise non-empty = true). ordered="false" compares as a bag. The
// engine always checks against the model when given a context type, which is the suite's
// mode="strict"; the same compile serves the other tests. checkOrderedFunctions="true"
// switches on CompileOptions::check_ordered_functions.
// Exit 1 when a test fails that EXPECTED_FAILURES does not list, when a listed test
// passes or does not exist, or when fewer than 95 % pass; exit 2 when the suite cannot be
// read. --filter runs only the tests whose name contains TEXT and skips the list checks.
#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhirpath/expression.h"
#include "adapter/fhirpath/value.h"

namespace {

namespace fhir = adapter::fhir;
namespace fhirpath = adapter::fhirpath;
using Poco::XML::Element;
using Poco::XML::Node;

constexpr double kRequiredPassRate = 0.95;

struct ExpectedOutput {
  std::string type;  // empty: the suite gives no type (boundary/precision tests)
  std::string text;
};

struct SuiteTest {
  std::string id;  // the test's name; "name#2" for a second test of the same name
  std::string group;
  std::string input_file;  // the suite's name (*.xml); empty when none
  std::string expression;
  std::string invalid;  // "", "syntax", "semantic", "execution" or "true"
  bool predicate = false;
  bool ordered = true;
  bool check_ordered_functions = false;  // checkOrderedFunctions="true"
  std::vector<ExpectedOutput> outputs;
};

struct Verdict {
  bool passed = false;
  std::string actual;  // rendered result or the error, for the failure report
};

// ---------------------------------------------------------------------------------------
// Reading the suite

std::vector<const Element*> child_elements(const Element& parent, std::string_view name) {
  std::vector<const Element*> found;
  for (const Node* node = parent.firstChild(); node != nullptr; node = node->nextSibling()) {
    if (node->nodeType() == Node::ELEMENT_NODE && node->nodeName() == name) {
      found.push_back(static_cast<const Element*>(node));
    }
  }
  return found;
}

std::vector<SuiteTest> read_suite(const std::string& xml_path) {
  Poco::XML::DOMParser parser;
  Poco::AutoPtr<Poco::XML::Document> document = parser.parse(xml_path);
  std::vector<SuiteTest> tests;
  std::map<std::string, int> seen;
  const Element* root = document->documentElement();
  for (const Element* group : child_elements(*root, "group")) {
    int index = 0;
    for (const Element* test : child_elements(*group, "test")) {
      ++index;
      SuiteTest t;
      t.group = group->getAttribute("name");
      std::string name = test->getAttribute("name");
      if (name.empty()) name = t.group + "[" + std::to_string(index) + "]";
      // testEquivalent23 occurs twice in the suite: the second one is "testEquivalent23#2".
      const int occurrence = ++seen[name];
      t.id = occurrence == 1 ? name : name + "#" + std::to_string(occurrence);
      t.input_file = test->getAttribute("inputfile");
      t.predicate = test->getAttribute("predicate") == "true";
      t.ordered = test->getAttribute("ordered") != "false";
      t.check_ordered_functions = test->getAttribute("checkOrderedFunctions") == "true";
      const auto expressions = child_elements(*test, "expression");
      if (expressions.size() != 1) {
        throw std::runtime_error("test " + t.id + " has " + std::to_string(expressions.size()) +
                                 " expressions");
      }
      t.expression = expressions.front()->innerText();
      t.invalid = expressions.front()->getAttribute("invalid");
      for (const Element* output : child_elements(*test, "output")) {
        t.outputs.push_back({output->getAttribute("type"), output->innerText()});
      }
      tests.push_back(std::move(t));
    }
  }
  return tests;
}

// "name  # reason" per line; blank lines and lines starting with '#' are comments.
std::map<std::string, std::string> read_expected_failures(const std::string& path,
                                                          std::vector<std::string>& problems) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::map<std::string, std::string> listed;
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto hash = line.find('#', first);
    std::string name = line.substr(first, hash == std::string::npos ? hash : hash - first);
    name.erase(name.find_last_not_of(" \t\r") + 1);
    std::string reason = hash == std::string::npos ? "" : line.substr(hash + 1);
    reason.erase(0, std::min(reason.size(), reason.find_first_not_of(" \t")));
    reason.erase(reason.find_last_not_of(" \t\r") + 1);
    const std::string where = path + ":" + std::to_string(number) + ": ";
    if (reason.empty()) problems.push_back(where + name + " has no reason after '#'");
    if (!listed.emplace(name, reason).second) problems.push_back(where + name + " listed twice");
  }
  return listed;
}

// ---------------------------------------------------------------------------------------
// Rendering results the way the suite writes its outputs

bool is_temporal_type(std::string_view type) {
  return type == "date" || type == "dateTime" || type == "instant" || type == "time";
}

// The text of one value as the suite's <output> elements write it: dates and date-times
// as "@2014-01-25", times as "@T10:30", quantities as "4 'g'", everything else as its
// plain text. Rendered here rather than with the engine's toString() so that the check
// does not depend on the code under test.
std::string suite_text(const fhirpath::Value& value) {
  using fhirpath::ValueKind;
  switch (value.kind()) {
    case ValueKind::boolean:
      return value.as_bool() ? "true" : "false";
    case ValueKind::integer:
      return std::to_string(value.as_integer());
    case ValueKind::decimal:
      return value.as_decimal().to_string();
    case ValueKind::string:
      return std::string(value.as_string());
    case ValueKind::temporal: {
      const fhirpath::Temporal& t = value.as_temporal();
      return (t.kind == fhirpath::TemporalKind::time ? "@T" : "@") + t.to_string();
    }
    case ValueKind::quantity:
      return value.as_quantity().to_string();
    case ValueKind::node:
      break;
  }
  const fhir::JsonValue* json = value.json();
  if (json == nullptr) return "(a primitive with only extensions)";
  std::string text;
  if (json->is_string()) {
    text = json->as_string();
  } else if (json->is_number()) {
    text = json->number_text();
  } else if (json->is_bool()) {
    text = json->as_bool() ? "true" : "false";
  } else {
    return fhir::to_json(*json);
  }
  const std::string_view type = fhirpath::type_name(value);
  if (type == "time") return "@T" + text;
  if (is_temporal_type(type)) return "@" + text;
  return text;
}

std::string describe(const std::vector<ExpectedOutput>& outputs) {
  std::string text = "[";
  for (const ExpectedOutput& output : outputs) {
    if (text.size() > 1) text += ", ";
    text += output.text + (output.type.empty() ? "" : " (" + output.type + ")");
  }
  return text + "]";
}

std::vector<ExpectedOutput> rendered(fhirpath::Collection values) {
  std::vector<ExpectedOutput> outputs;
  for (const fhirpath::Value& value : values) {
    outputs.push_back({std::string(fhirpath::type_name(value)), suite_text(value)});
  }
  return outputs;
}

std::optional<double> number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

// A typed expectation checks the type name and the value (decimals numerically: the suite
// writes 2 / 2 as "1"); an untyped one (boundary and precision tests) the exact text,
// since there the digits written are what is being tested.
bool matches(const ExpectedOutput& expected, const ExpectedOutput& actual) {
  if (expected.type.empty()) return expected.text == actual.text;
  if (expected.type != actual.type) return false;
  if (expected.type == "decimal") {
    const auto a = number(expected.text);
    const auto b = number(actual.text);
    return a && b && std::fabs(*a - *b) <= 1e-12 * std::max(1.0, std::fabs(*a));
  }
  return expected.text == actual.text;
}

bool same_outputs(std::vector<ExpectedOutput> expected, std::vector<ExpectedOutput> actual,
                  bool ordered) {
  if (expected.size() != actual.size()) return false;
  if (!ordered) {
    // Unordered comparison: try each expected output against any unused actual one.
    std::vector<bool> used(actual.size(), false);
    for (const ExpectedOutput& e : expected) {
      bool found = false;
      for (std::size_t i = 0; i < actual.size() && !found; ++i) {
        if (!used[i] && matches(e, actual[i])) used[i] = found = true;
      }
      if (!found) return false;
    }
    return true;
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (!matches(expected[i], actual[i])) return false;
  }
  return true;
}

// predicate="true": the result taken as a boolean the way the reference runner does it:
// a single Boolean is itself, otherwise true exactly when the collection is not empty.
bool as_predicate(fhirpath::Collection values) {
  if (values.size() == 1) {
    const fhirpath::Value& v = values.front();
    if (v.kind() == fhirpath::ValueKind::boolean) return v.as_bool();
    if (v.is_node() && v.json() != nullptr && v.json()->is_bool()) return v.json()->as_bool();
  }
  return !values.empty();
}

std::string first_message(const fhir::Outcome& problems) {
  if (problems.issues().empty()) return "(an outcome without issues)";
  std::string text;
  for (const fhir::Issue& issue : problems.issues()) {
    if (!text.empty()) text += "; ";
    text += issue.message;
  }
  return text;
}

// ---------------------------------------------------------------------------------------
// Running

class Runner {
 public:
  Runner(std::string suite_dir, const fhir::Model& model)
      : suite_dir_(std::move(suite_dir)), model_(model) {}

  Verdict run(const SuiteTest& test) {
    const fhir::JsonValue* input = &no_input_;
    std::string context_type;
    if (!test.input_file.empty()) {
      auto loaded = load(test.input_file);
      if (!loaded.ok()) return {false, "cannot load input: " + first_message(loaded.problems())};
      input = loaded.value();
      if (const fhir::JsonValue* type = input->find("resourceType")) {
        context_type = std::string(type->as_string());
      }
    }
    auto expression = fhirpath::Expression::compile(
        test.expression, {.model = &model_,
                          .context_type = context_type,
                          .check_ordered_functions = test.check_ordered_functions});
    const bool must_fail_compiling = test.invalid == "syntax" || test.invalid == "semantic";
    if (!expression.ok()) {
      const std::string error = "compile error: " + first_message(expression.problems());
      // Any invalid expression may be refused at compile time; an execution error found
      // early is still the error the suite asks for.
      return {!test.invalid.empty(), error};
    }
    if (must_fail_compiling) {
      return {false, "compiled, but the suite expects a " + test.invalid + " error"};
    }
    auto result = evaluator_.evaluate(expression.value(), *input);
    if (!result.ok()) {
      return {!test.invalid.empty(), "evaluation error: " + first_message(result.problems())};
    }
    std::vector<ExpectedOutput> actual;
    if (test.predicate) {
      actual.push_back({"boolean", as_predicate(result.value()) ? "true" : "false"});
    } else {
      actual = rendered(result.value());
    }
    if (!test.invalid.empty()) {
      return {false, describe(actual) + ", but the suite expects an execution error"};
    }
    return {same_outputs(test.outputs, actual, test.ordered), describe(actual)};
  }

 private:
  // Inputs are named *.xml in the suite; the folder holds the JSON of the same stem.
  fhir::Result<const fhir::JsonValue*> load(const std::string& input_file) {
    std::string name = input_file;
    if (name.ends_with(".xml")) name.replace(name.size() - 4, 4, ".json");
    if (auto it = inputs_.find(name); it != inputs_.end()) return &it->second.root();
    auto text = fhir::read_bounded(suite_dir_ + "/" + name, fhir::JsonLimits{}.max_bytes);
    if (!text.ok()) return text.problems();
    auto document = fhir::JsonDocument::parse(text.value());
    if (!document.ok()) return document.problems();
    return &inputs_.emplace(name, std::move(document).value()).first->second.root();
  }

  std::string suite_dir_;
  const fhir::Model& model_;
  fhir::JsonValue no_input_;  // JSON null: the tests that name no input file
  std::map<std::string, fhir::JsonDocument> inputs_;
  fhirpath::Evaluator evaluator_;
};

int run_suite(int argc, char** argv) {
  if (argc != 3 && !(argc == 5 && std::string_view(argv[3]) == "--filter")) {
    std::cerr << "usage: official_suite SUITE_DIR EXPECTED_FAILURES [--filter TEXT]\n";
    return 2;
  }
  const std::string suite_dir = argv[1];
  const std::string filter = argc == 5 ? argv[4] : "";
  std::vector<std::string> problems;
  const auto expected_failures = read_expected_failures(argv[2], problems);
  const std::vector<SuiteTest> tests = read_suite(suite_dir + "/tests-fhir-r4.xml");
  auto model = fhir::Model::r4();
  if (!model.ok()) {
    std::cerr << "cannot load the R4 model: " << model.problems().to_json() << '\n';
    return 2;
  }

  Runner runner(suite_dir, model.value());
  std::size_t run = 0;
  std::size_t passed = 0;
  std::size_t unexpected = 0;
  std::size_t expected_and_failed = 0;
  std::set<std::string> names;
  std::vector<std::pair<std::string, std::pair<int, int>>> groups;  // name, passed, total
  std::ostringstream failures;
  for (const SuiteTest& test : tests) {
    names.insert(test.id);
    if (!filter.empty() && test.id.find(filter) == std::string::npos) continue;
    Verdict outcome;
    try {
      outcome = runner.run(test);
    } catch (const std::exception& error) {  // a bug in the engine must not stop the run
      outcome = {false, std::string("exception: ") + error.what()};
    }
    ++run;
    if (groups.empty() || groups.back().first != test.group) groups.push_back({test.group, {}});
    ++groups.back().second.second;
    const auto listed = expected_failures.find(test.id);
    if (outcome.passed) {
      ++passed;
      ++groups.back().second.first;
      if (listed != expected_failures.end()) {
        problems.push_back("expected failure now passes: remove it from the list: " + test.id);
      }
      continue;
    }
    if (listed == expected_failures.end()) {
      ++unexpected;
    } else {
      ++expected_and_failed;
    }
    failures << "FAIL " << test.id << " [" << test.group << "]"
             << (listed == expected_failures.end() ? ""
                                                   : " (expected failure: " + listed->second + ")")
             << "\n  expression: " << test.expression << "\n  expected:   "
             << (test.invalid.empty() ? describe(test.outputs) : test.invalid + " error")
             << (test.predicate ? " as a predicate" : "") << "\n  actual:     " << outcome.actual
             << '\n';
  }

  for (const auto& [group, counts] : groups) {
    std::cout << "group " << group << ": " << counts.first << "/" << counts.second << " passed"
              << (counts.first == counts.second
                      ? ""
                      : ", " + std::to_string(counts.second - counts.first) + " failed")
              << '\n';
  }
  std::cout << failures.str();
  const double rate = run == 0 ? 0.0 : static_cast<double>(passed) / static_cast<double>(run);
  std::cout << "official FHIRPath suite: " << passed << "/" << run << " passed (" << std::fixed
            << std::setprecision(1) << rate * 100 << "%)";
  if (expected_and_failed > 0) std::cout << ", " << expected_and_failed << " expected failures";
  std::cout << '\n';
  if (!filter.empty()) {
    std::cout << "filtered run: the expected-failure list and the pass rate were not checked\n";
    return unexpected == 0 ? 0 : 1;
  }

  for (const auto& [name, reason] : expected_failures) {
    if (!names.contains(name)) {
      problems.push_back("listed as an expected failure but no such test: " + name);
    }
  }
  if (unexpected > 0) {
    problems.push_back(std::to_string(unexpected) +
                       " failures not in the expected-failure list (see FAIL lines above)");
  }
  if (rate < kRequiredPassRate) {
    problems.push_back("pass rate below the required " +
                       std::to_string(static_cast<int>(kRequiredPassRate * 100)) + "%");
  }
  for (const std::string& problem : problems)
    std::cout << "ERROR: " << problem << '\n';
  return problems.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_suite(argc, argv);
  } catch (const Poco::Exception& error) {
    std::cerr << "official_suite: " << error.displayText() << '\n';
  } catch (const std::exception& error) {
    std::cerr << "official_suite: " << error.what() << '\n';
  }
  return 2;
}
