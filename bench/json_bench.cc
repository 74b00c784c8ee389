// FHIR JSON parse + serialise throughput of the adapter's JSON layer next to plain
// RapidJSON (Document::Parse + Writer) on the same bytes. bench/run.sh prints the ratio.
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "adapter/fhir/json.h"

namespace {

std::string examples_dir() {
  if (const char* dir = std::getenv("R4_EXAMPLES_DIR"); dir && *dir) return dir;
  return ADAPTER_R4_EXAMPLES_DIR;
}

// Read outside the timed loops; each benchmark holds its own copy.
std::string load(const std::string& name) {
  adapter::fhir::JsonLimits limits;
  auto text = adapter::fhir::read_bounded(examples_dir() + "/" + name, limits.max_bytes);
  if (!text.ok()) {
    std::cerr << text.problems().to_json() << '\n';
    std::exit(2);
  }
  return std::move(text).value();
}

void rapidjson_parse_write(benchmark::State& state, const std::string& name) {
  const std::string text = load(name);
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError()) state.SkipWithError("parse error");
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> writer(out);
    doc.Accept(writer);
    benchmark::DoNotOptimize(out.GetString());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void adapter_parse_serialise(benchmark::State& state, const std::string& name) {
  const std::string text = load(name);
  for (auto _ : state) {
    auto doc = adapter::fhir::JsonDocument::parse(text);
    if (!doc.ok()) state.SkipWithError("parse error");
    std::string out = adapter::fhir::to_json(doc->root());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void rapidjson_parse(benchmark::State& state, const std::string& name) {
  const std::string text = load(name);
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    benchmark::DoNotOptimize(doc.IsObject());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void adapter_parse(benchmark::State& state, const std::string& name) {
  const std::string text = load(name);
  for (auto _ : state) {
    auto doc = adapter::fhir::JsonDocument::parse(text);
    benchmark::DoNotOptimize(doc.ok());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

// A 0.6 MB clinical searchset Bundle and the 35 MB Bundle of all resource definitions.
const std::string kClinical = "Bundle-72ac8493-52ac-41bd-8d5d-7258c289b5ea.json";
const std::string kLarge = "Bundle-resources.json";

BENCHMARK_CAPTURE(rapidjson_parse_write, clinical, kClinical);
BENCHMARK_CAPTURE(adapter_parse_serialise, clinical, kClinical);
BENCHMARK_CAPTURE(rapidjson_parse_write, large, kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(adapter_parse_serialise, large, kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(rapidjson_parse, clinical, kClinical);
BENCHMARK_CAPTURE(adapter_parse, clinical, kClinical);

}  // namespace

BENCHMARK_MAIN();
