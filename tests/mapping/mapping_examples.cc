// Every example document through the mappings: it must be valid, map to the golden Bundle
// (tests/mapping/golden/<name>.bundle.json) with the same bytes twice, and map back to
// exactly the document it came from (JSON equality: member order ignored, array order kept).
// FHIR inputs in tests/mapping/extra/*.bundle.json are unmapped and must give a valid
// document, equal to <name>.expected.json when that file exists.
//
//   mapping_examples SOURCE_DIR [--update] [--only KIND]
//
// --update rewrites the golden files from the current templates (review the diff!).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"
#include "adapter/map/mapping.h"
#include "adapter/parse/input_document.h"

namespace {

namespace fs = std::filesystem;
using adapter::fhir::JsonDocument;
using adapter::fhir::JsonValue;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string problems_text(const adapter::fhir::Outcome& outcome) {
  std::string text;
  for (const auto& issue : outcome.issues()) {
    text += "    " + issue.location + " " + issue.message + "\n";
  }
  return text;
}

// Differences between two JSON values, each with its JSON pointer; at most `limit`.
void compare(const JsonValue& expected, const JsonValue& actual, const std::string& pointer,
             std::vector<std::string>& out, std::size_t limit) {
  if (out.size() >= limit) return;
  if (expected.kind() != actual.kind()) {
    out.push_back(pointer + ": expected " + adapter::fhir::to_json(expected) + ", got " +
                  adapter::fhir::to_json(actual));
    return;
  }
  if (expected.is_object()) {
    for (const auto& member : expected.members()) {
      const std::string at = pointer + "/" + adapter::fhir::pointer_token(member.key);
      const JsonValue* other = actual.find(member.key);
      if (other == nullptr) {
        out.push_back(at + ": missing (expected " + adapter::fhir::to_json(member.value) + ")");
      } else {
        compare(member.value, *other, at, out, limit);
      }
      if (out.size() >= limit) return;
    }
    for (const auto& member : actual.members()) {
      if (expected.find(member.key) == nullptr) {
        out.push_back(pointer + "/" + adapter::fhir::pointer_token(member.key) +
                      ": not expected (got " + adapter::fhir::to_json(member.value) + ")");
      }
    }
    return;
  }
  if (expected.is_array()) {
    const auto a = expected.items();
    const auto b = actual.items();
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      compare(a[i], b[i], pointer + "/" + std::to_string(i), out, limit);
    }
    if (a.size() != b.size()) {
      out.push_back(pointer + ": expected " + std::to_string(a.size()) + " items, got " +
                    std::to_string(b.size()));
    }
    return;
  }
  if (!(expected == actual)) {
    out.push_back(pointer + ": expected " + adapter::fhir::to_json(expected) + ", got " +
                  adapter::fhir::to_json(actual));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: mapping_examples SOURCE_DIR [--update] [--only KIND]\n";
    return 2;
  }
  const fs::path source = argv[1];
  bool update = false;
  std::string only;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--update") {
      update = true;
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }

  auto format = adapter::parse::InputFormat::load(source / "mappings" / "input");
  auto model = adapter::fhir::Model::r4();
  if (!format || !model) {
    std::cerr << "cannot load the input schemas or the R4 model\n";
    return 2;
  }
  const auto ig = JsonDocument::parse(read_file(source / "profiles" / "ig.json"));
  if (!ig || ig->root().find("canonical") == nullptr) {
    std::cerr << "cannot read profiles/ig.json\n";
    return 2;
  }
  adapter::map::LoadOptions options{
      .mappings_dir = (source / "mappings").string(),
      .canonical = std::string(ig->root().find("canonical")->as_string()),
      .only_kinds = {}};
  if (!only.empty()) options.only_kinds.push_back(only);
  auto mappings = adapter::map::MappingSet::load(options, *model);
  if (!mappings) {
    std::cerr << "the mappings do not load:\n" << problems_text(mappings.problems());
    return 1;
  }
  adapter::map::Mapper mapper(*mappings);
  const fs::path golden_dir = source / "tests" / "mapping" / "golden";
  fs::create_directories(golden_dir);

  std::vector<fs::path> documents;
  std::vector<fs::path> bundles;
  for (const fs::path& folder :
       {source / "examples" / "journey", source / "examples" / "standalone",
        source / "tests" / "mapping" / "extra"}) {
    if (!fs::exists(folder)) continue;
    for (const auto& entry : fs::directory_iterator(folder)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".json" || name.ends_with(".expected.json")) continue;
      (name.ends_with(".bundle.json") ? bundles : documents).push_back(entry.path());
    }
  }
  std::sort(documents.begin(), documents.end());
  std::sort(bundles.begin(), bundles.end());

  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t skipped_kind = 0;
  auto report = [&](const fs::path& file, const std::vector<std::string>& problems) {
    if (problems.empty()) {
      ++passed;
      std::cout << "ok    " << file.filename().string() << "\n";
      return;
    }
    ++failed;
    std::cout << "FAIL  " << file.filename().string() << "\n";
    for (const auto& problem : problems)
      std::cout << "    " << problem << "\n";
  };

  for (const fs::path& file : documents) {
    std::vector<std::string> problems;
    const std::string text = read_file(file);
    auto document = JsonDocument::parse(text);
    if (!document) {
      report(file, {"not JSON"});
      continue;
    }
    const JsonValue* kind = document->root().find("kind");
    if (!only.empty() && (kind == nullptr || kind->as_string() != only)) {
      ++skipped_kind;
      continue;
    }
    if (const auto checked = format->check(document->root()); checked.has_errors()) {
      report(file, {"the example is not a valid input document:\n" + problems_text(checked)});
      continue;
    }
    auto bundle = mapper.map(document->root());
    if (!bundle) {
      report(file, {"map failed:\n" + problems_text(bundle.problems())});
      continue;
    }
    auto again = mapper.map(document->root());
    if (!again || *again != *bundle) problems.push_back("mapping twice gave different bytes");
    auto parsed_bundle = JsonDocument::parse(*bundle);
    if (!parsed_bundle) {
      report(file, {"map produced invalid JSON"});
      continue;
    }
    const std::string pretty =
        adapter::fhir::to_json(parsed_bundle->root(), adapter::fhir::JsonStyle::pretty) + "\n";
    const fs::path golden = golden_dir / (file.stem().string() + ".bundle.json");
    if (update) {
      std::ofstream(golden, std::ios::binary) << pretty;
    } else if (!fs::exists(golden)) {
      problems.push_back("no golden file " + golden.string() + " (run with --update)");
    } else if (read_file(golden) != pretty) {
      auto expected = JsonDocument::parse(read_file(golden));
      std::vector<std::string> differences;
      if (expected) compare(expected->root(), parsed_bundle->root(), "", differences, 10);
      problems.push_back("differs from " + golden.filename().string() + " (--update after review)");
      for (const auto& difference : differences)
        problems.push_back("  " + difference);
    }
    auto back = mapper.unmap(parsed_bundle->root());
    if (!back) {
      problems.push_back("unmap failed:\n" + problems_text(back.problems()));
    } else {
      auto round = JsonDocument::parse(*back);
      std::vector<std::string> differences;
      compare(document->root(), round->root(), "", differences, 25);
      for (const auto& difference : differences)
        problems.push_back("round trip " + difference);
    }
    report(file, problems);
  }

  for (const fs::path& file : bundles) {
    std::vector<std::string> problems;
    auto bundle = JsonDocument::parse(read_file(file));
    if (!bundle) {
      report(file, {"not JSON"});
      continue;
    }
    auto back = mapper.unmap(bundle->root());
    if (!back) {
      if (!only.empty()) {
        ++skipped_kind;
        continue;
      }
      report(file, {"unmap failed:\n" + problems_text(back.problems())});
      continue;
    }
    auto document = JsonDocument::parse(*back);
    const JsonValue* kind = document->root().find("kind");
    if (!only.empty() && (kind == nullptr || kind->as_string() != only)) {
      ++skipped_kind;
      continue;
    }
    if (const auto checked = format->check(document->root()); checked.has_errors()) {
      problems.push_back("unmap gave an invalid input document:\n" + problems_text(checked));
    }
    fs::path expected_path = file;
    expected_path.replace_filename(
        file.filename().string().substr(
            0, file.filename().string().size() - std::string(".bundle.json").size()) +
        ".expected.json");
    if (fs::exists(expected_path)) {
      auto expected = JsonDocument::parse(read_file(expected_path));
      std::vector<std::string> differences;
      if (expected) compare(expected->root(), document->root(), "", differences, 25);
      for (const auto& difference : differences)
        problems.push_back(difference);
    }
    report(file, problems);
  }

  std::cout << "mapping examples: " << passed << " passed, " << failed << " failed";
  if (skipped_kind > 0) std::cout << ", " << skipped_kind << " of other kinds not run";
  std::cout << "\n";
  return failed == 0 && passed > 0 ? 0 : 1;
}
