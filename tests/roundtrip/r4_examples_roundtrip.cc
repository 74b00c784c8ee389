// Round trip over every JSON file of HL7's R4 examples package (npm
// hl7.fhir.r4.examples@4.0.1): parse -> serialise -> parse must give the same JSON
// value, serialising twice must give the same bytes, and the first parse must equal an
// independent parse by plain RapidJSON. Prints the count; any difference fails.
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "adapter/fhir/json.h"

namespace {

using adapter::fhir::JsonDocument;
using adapter::fhir::JsonKind;
using adapter::fhir::JsonValue;

// Our tree against RapidJSON's own DOM (numbers kept as strings by the same flag).
bool same_as_rapidjson(const JsonValue& ours, const rapidjson::Value& theirs) {
  switch (ours.kind()) {
    case JsonKind::null:
      return theirs.IsNull();
    case JsonKind::boolean:
      return theirs.IsBool() && theirs.GetBool() == ours.as_bool();
    case JsonKind::number:
      return theirs.IsString() &&
             std::string_view(theirs.GetString(), theirs.GetStringLength()) == ours.number_text();
    case JsonKind::string:
      return theirs.IsString() &&
             std::string_view(theirs.GetString(), theirs.GetStringLength()) == ours.as_string();
    case JsonKind::array: {
      if (!theirs.IsArray() || theirs.Size() != ours.size()) return false;
      for (rapidjson::SizeType i = 0; i < theirs.Size(); ++i) {
        if (!same_as_rapidjson(ours.items()[i], theirs[i])) return false;
      }
      return true;
    }
    case JsonKind::object: {
      if (!theirs.IsObject() || theirs.MemberCount() != ours.size()) return false;
      std::size_t i = 0;
      for (auto it = theirs.MemberBegin(); it != theirs.MemberEnd(); ++it, ++i) {
        const auto& member = ours.members()[i];  // both keep source order
        if (std::string_view(it->name.GetString(), it->name.GetStringLength()) != member.key ||
            !same_as_rapidjson(member.value, it->value)) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

std::string check_file(const std::filesystem::path& path) {
  auto text = adapter::fhir::read_bounded(path.string(), 256U << 20U);
  if (!text.ok()) return text.problems().to_json(false);
  adapter::fhir::JsonLimits limits;
  limits.max_bytes = 256U << 20U;
  auto first = JsonDocument::parse(text.value(), limits);
  if (!first.ok()) return "parse: " + first.problems().to_json(false);
  const std::string once = adapter::fhir::to_json(first->root());
  auto second = JsonDocument::parse(once, limits);
  if (!second.ok()) return "reparse: " + second.problems().to_json(false);
  if (!(second->root() == first->root())) return "reparsed value differs";
  if (adapter::fhir::to_json(second->root()) != once) return "second serialisation differs";
  rapidjson::Document oracle;
  oracle.Parse<rapidjson::kParseNumbersAsStringsFlag>(text->data(), text->size());
  if (oracle.HasParseError()) return "RapidJSON oracle cannot parse it";
  if (!same_as_rapidjson(first->root(), oracle)) return "differs from RapidJSON's parse";
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: r4_examples_roundtrip PACKAGE_DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  if (!std::filesystem::is_directory(dir)) {
    std::cerr << "no R4 examples package at " << dir
              << " (scripts/setup.sh installs it with npm ci in tests/)\n";
    return 1;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry);
  }
  std::ranges::sort(files);
  std::size_t failed = 0;
  std::uintmax_t bytes = 0;
  for (const auto& file : files) {
    bytes += std::filesystem::file_size(file);
    const std::string problem = check_file(file);
    if (!problem.empty()) {
      ++failed;
      std::cout << "DIFF " << file.filename().string() << ": " << problem << "\n";
    }
  }
  std::cout << "R4 examples round trip: " << files.size() << " files, " << bytes / (1U << 20U)
            << " MiB, " << failed << " differences\n";
  std::cout << files.size() - failed << " passed, " << failed << " failed\n";
  return failed == 0 && !files.empty() ? 0 : 1;
}
