// Input documents mapped per second per core (one thread), for each example of the journey:
//   map/<name>             an already parsed and checked document → transaction Bundle text
//   parse_check_map/<name> the whole path of `fhir-adapter map`: parse, check, map
//   reference/<name>       plain RapidJSON: parse the input and write the produced Bundle
//                          again — the least any mapper must do with these bytes
// bench/run.sh mapping prints documents per second and the ratio to the reference.
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/map/mapping.h"
#include "adapter/parse/input_document.h"

namespace {

namespace fs = std::filesystem;

struct Fixture {
  adapter::fhir::Model model = adapter::fhir::Model::r4().value();
  std::optional<adapter::parse::InputFormat> format;
  std::optional<adapter::map::MappingSet> mappings;

  Fixture() {
    const fs::path source = ADAPTER_SOURCE_DIR;
    format = adapter::parse::InputFormat::load(source / "mappings" / "input").value();
    auto ig = adapter::fhir::JsonDocument::parse(
                  adapter::fhir::read_bounded((source / "profiles" / "ig.json").string(), 1U << 20U)
                      .value())
                  .value();
    auto loaded = adapter::map::MappingSet::load(
        {.mappings_dir = (source / "mappings").string(),
         .canonical = std::string(ig.root().find("canonical")->as_string()),
         .only_kinds = {}},
        model);
    if (!loaded) {
      std::cerr << loaded.problems().to_json() << '\n';
      std::exit(2);
    }
    mappings = std::move(loaded).value();
  }
};

const Fixture& fixture() {
  static const Fixture instance;
  return instance;
}

std::string load(const fs::path& path) {
  return adapter::fhir::read_bounded(path.string(), 64U << 20U).value();
}

void map_only(benchmark::State& state, const fs::path& path) {
  const std::string text = load(path);
  const auto document = adapter::fhir::JsonDocument::parse(text).value();
  adapter::map::Mapper mapper(*fixture().mappings);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto bundle = mapper.map(document.root());
    if (!bundle) state.SkipWithError("map failed");
    bytes = bundle->size();
    benchmark::DoNotOptimize(bundle->data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["bundle_bytes"] = static_cast<double>(bytes);
}

void parse_check_map(benchmark::State& state, const fs::path& path) {
  const std::string text = load(path);
  adapter::map::Mapper mapper(*fixture().mappings);
  for (auto _ : state) {
    auto document = adapter::fhir::JsonDocument::parse(text);
    if (!document || fixture().format->check(document->root()).has_errors()) {
      state.SkipWithError("invalid document");
    }
    auto bundle = mapper.map(document->root());
    if (!bundle) state.SkipWithError("map failed");
    benchmark::DoNotOptimize(bundle->data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void reference(benchmark::State& state, const fs::path& path) {
  const std::string text = load(path);
  const auto document = adapter::fhir::JsonDocument::parse(text).value();
  adapter::map::Mapper mapper(*fixture().mappings);
  const std::string bundle = mapper.map(document.root()).value();
  for (auto _ : state) {
    rapidjson::Document input;
    input.Parse(text.data(), text.size());
    rapidjson::Document output;
    output.Parse(bundle.data(), bundle.size());
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> writer(out);
    output.Accept(writer);
    benchmark::DoNotOptimize(out.GetString());
    benchmark::DoNotOptimize(input.IsObject());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

int register_all() {
  std::vector<fs::path> files;
  for (const auto& entry :
       fs::directory_iterator(fs::path(ADAPTER_SOURCE_DIR) / "examples" / "journey")) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const std::string name = file.stem().string();
    benchmark::RegisterBenchmark(("map/" + name).c_str(), map_only, file);
    benchmark::RegisterBenchmark(("parse_check_map/" + name).c_str(), parse_check_map, file);
    benchmark::RegisterBenchmark(("reference/" + name).c_str(), reference, file);
  }
  return 0;
}

const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
