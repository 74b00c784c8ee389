// FHIRPath evaluation speed: each expression of bench/fhirpath-expressions.json is compiled
// once (R4 model, the resource's type as context) and evaluated repeatedly by one
// Evaluator against its resource; items_per_second is evaluations per second.
// bench/fhirpath_bench.mjs runs the same set with fhirpath.js; bench/run.sh prints ratios.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhirpath/expression.h"

namespace {

namespace fhir = adapter::fhir;
namespace fhirpath = adapter::fhirpath;

std::string examples_dir() {
  if (const char* dir = std::getenv("R4_EXAMPLES_DIR"); dir && *dir) return dir;
  return ADAPTER_R4_EXAMPLES_DIR;
}

[[noreturn]] void die(const std::string& what, const fhir::Outcome& problems) {
  std::cerr << "fhirpath_bench: " << what << '\n' << problems.to_json() << '\n';
  std::exit(2);
}

fhir::JsonDocument load_json(const std::string& path) {
  auto text = fhir::read_bounded(path, fhir::JsonLimits{}.max_bytes);
  if (!text.ok()) die("cannot read " + path, text.problems());
  auto json = fhir::JsonDocument::parse(text.value());
  if (!json.ok()) die("cannot parse " + path, json.problems());
  return std::move(json).value();
}

// Everything the benchmarks read, loaded once before any of them runs.
struct Inputs {
  fhir::Model model;
  std::map<std::string, fhir::JsonDocument> resources;
};

void evaluate(benchmark::State& state, const fhirpath::Expression& expression,
              const fhir::JsonValue& resource) {
  fhirpath::Evaluator evaluator;
  for (auto _ : state) {
    auto result = evaluator.evaluate(expression, resource);
    if (!result.ok()) {
      state.SkipWithError("evaluation failed");
      break;
    }
    benchmark::DoNotOptimize(result.value().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  auto model = fhir::Model::r4();
  if (!model.ok()) die("cannot load the R4 model", model.problems());
  auto inputs = std::make_unique<Inputs>(Inputs{std::move(model).value(), {}});
  const fhir::JsonDocument set = load_json(ADAPTER_BENCH_DIR "/fhirpath-expressions.json");
  const fhir::JsonValue* entries = set.root().find("expressions");
  if (entries == nullptr || !entries->is_array()) {
    die("fhirpath-expressions.json has no \"expressions\" array", fhir::Outcome());
  }
  // Reserved so that the references the benchmarks hold stay valid.
  std::vector<fhirpath::Expression> expressions;
  expressions.reserve(entries->size());
  for (const fhir::JsonValue& entry : entries->items()) {
    const std::string name(entry.find("name")->as_string());
    const std::string file(entry.find("resource")->as_string());
    auto [it, added] = inputs->resources.try_emplace(file);
    if (added) it->second = load_json(examples_dir() + "/" + file);
    const fhir::JsonValue& resource = it->second.root();
    const fhir::JsonValue* type = resource.find("resourceType");
    auto compiled = fhirpath::Expression::compile(
        entry.find("expression")->as_string(),
        {.model = &inputs->model, .context_type = type ? type->as_string() : ""});
    if (!compiled.ok()) die("cannot compile " + name, compiled.problems());
    const fhirpath::Expression& expression = expressions.emplace_back(std::move(compiled).value());
    benchmark::RegisterBenchmark(("fhirpath/" + name).c_str(),
                                 [&expression, &resource](benchmark::State& state) {
                                   evaluate(state, expression, resource);
                                 });
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
