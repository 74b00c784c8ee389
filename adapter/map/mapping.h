// Stage "map": input documents to FHIR R4 transaction Bundles and back, driven by the JSON
// templates in mappings/ (docs/mapping-language.md).
//
//   auto mappings = map::MappingSet::load({.mappings_dir = "mappings", .canonical = base}, model);
//   map::Mapper mapper(*mappings);            // one per thread; reuses its scratch memory
//   auto bundle = mapper.map(document_root);  // JSON text of the transaction Bundle
//   auto document = mapper.unmap(bundle_root);
//
// Loading compiles every template and checks every expression and directive; a problem names
// the file, the JSON pointer inside it and the expression. A MappingSet is immutable after
// load and shared by all Mappers. Mapping the same document twice gives the same bytes.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"

namespace adapter::map {

struct LoadOptions {
  std::string mappings_dir;  // holds mappings.json, templates/, conceptmaps/, deadlines.json
  std::string canonical;     // the project's canonical base URL (profiles/ig.json)
  // Load only these kinds (empty: all). For template authors working on one mapping.
  std::vector<std::string> only_kinds;
};

class MappingSet {
 public:
  static fhir::Result<MappingSet> load(const LoadOptions& options, const fhir::Model& model);

  MappingSet(MappingSet&&) noexcept;
  MappingSet& operator=(MappingSet&&) noexcept;
  ~MappingSet();

  std::vector<std::string> kinds() const;  // input kinds with a mapping, in manifest order

  struct State;
  const State& state() const { return *state_; }

 private:
  explicit MappingSet(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class Mapper {
 public:
  explicit Mapper(const MappingSet& mappings);
  Mapper(const Mapper&) = delete;
  Mapper& operator=(const Mapper&) = delete;
  ~Mapper();

  // An input document that already passed parse::InputFormat::check → the transaction
  // Bundle as compact JSON. Template problems at run time are errors naming the template.
  fhir::Result<std::string> map(const fhir::JsonValue& document);

  // A FHIR Bundle (or a single resource) → the input document as compact JSON, using the
  // first reverse mapping (manifest order) whose `match` is true.
  fhir::Result<std::string> unmap(const fhir::JsonValue& resource);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace adapter::map
