// Resources validated per second (parse + validate, one thread) over the list of files that
// bench/validate_bench.mjs chose and measured with @medplum/core and FHIR.js.
// Usage: validate_bench --list FILE [benchmark flags]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/validate/validator.h"

namespace {

std::vector<std::string> load_texts(const std::string& list) {
  std::vector<std::string> texts;
  std::ifstream in(list);
  for (std::string path; std::getline(in, path);) {
    if (path.empty()) continue;
    auto text = adapter::fhir::read_bounded(path, 64U << 20U);
    if (!text) {
      std::cerr << "cannot read " << path << "\n";
      std::exit(2);
    }
    texts.push_back(std::move(text).value());
  }
  return texts;
}

void validate_all(benchmark::State& state, const std::vector<std::string>* texts,
                  bool with_profiles) {
  const adapter::fhir::Model model = adapter::fhir::Model::r4().value();
  const auto profiles =
      adapter::validate::ProfileSet::load(ADAPTER_SOURCE_DIR "/profiles", model).value();
  const adapter::validate::Validator validator(model, with_profiles ? &profiles : nullptr);
  std::size_t errors = 0;
  for (auto _ : state) {
    for (const std::string& text : *texts) {
      auto document = adapter::fhir::JsonDocument::parse(text);
      if (!document) state.SkipWithError("not JSON");
      errors += validator.validate(document->root()).has_errors() ? 1U : 0U;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(texts->size()));
  benchmark::DoNotOptimize(errors);
}

}  // namespace

int main(int argc, char** argv) {
  std::string list;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--list" && i + 1 < argc) {
      list = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (list.empty()) {
    std::cerr << "usage: validate_bench --list FILE [benchmark flags]\n";
    return 2;
  }
  static const std::vector<std::string> texts = load_texts(list);
  benchmark::RegisterBenchmark("validate/resources", validate_all, &texts, false);
  benchmark::RegisterBenchmark("validate/resources_with_profiles", validate_all, &texts, true);
  int count = static_cast<int>(rest.size());
  benchmark::Initialize(&count, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
