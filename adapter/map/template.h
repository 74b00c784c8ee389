// Internal to the map stage: a compiled JSON template and its renderer.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/outcome.h"
#include "adapter/fhirpath/expression.h"

namespace adapter::map {

struct TemplateNode {
  enum class Kind : std::uint8_t {
    literal,
    expression,
    interpolation,
    object,
    array,
    include,
    value
  };
  struct Part {
    std::string text;     // literal text before the expression (already JSON-escaped)
    int expression = -1;  // -1: text only
  };
  struct Member {
    std::string key_json;  // "\"name\":"
    TemplateNode* node = nullptr;
  };
  struct Let {
    std::string name;
    int expression = -1;
  };

  Kind kind = Kind::literal;
  std::string literal;  // literal: its compact JSON
  int expression = -1;  // expression
  std::vector<Part> parts;
  std::vector<Member> members;
  std::vector<TemplateNode*> items;
  // Directives (objects, includes, values).
  std::string for_variable;
  std::string for_index_variable;
  int for_expression = -1;
  std::vector<Let> lets;
  int if_expression = -1;
  std::string include;  // fragment name; resolved to include_target after all files load
  const TemplateNode* include_target = nullptr;
  std::string merge;
  const TemplateNode* merge_target = nullptr;
  TemplateNode* value = nullptr;
  // Where it came from, for messages.
  int file = -1;
  std::string pointer;
};

// All templates and fragments of one mapping set, their expressions and source files.
class TemplateLibrary {
 public:
  TemplateLibrary(const fhirpath::CompileOptions& forward, const fhirpath::CompileOptions& reverse);

  // Compiles `root` (the file's "template" member); problems go to `problems`.
  const TemplateNode* add(std::string file_name, const fhir::JsonValue& root, bool reverse,
                          fhir::Outcome& problems);
  void add_fragment(std::string name, const TemplateNode* root);
  // Resolves $include and $merge names and rejects include cycles.
  void link(fhir::Outcome& problems);
  // Compiles a stand-alone expression (manifest variables, `match`).
  int add_expression(std::string_view text, bool reverse, std::string_view file,
                     std::string_view pointer, fhir::Outcome& problems);

  const fhirpath::Expression& expression(int index) const {
    return *expressions_[static_cast<std::size_t>(index)];
  }
  std::string_view file(int index) const { return files_[static_cast<std::size_t>(index)]; }

 private:
  TemplateNode* compile(const fhir::JsonValue& json, int file, const std::string& pointer,
                        bool reverse, fhir::Outcome& problems);
  TemplateNode* compile_string(std::string_view text, int file, const std::string& pointer,
                               bool reverse, fhir::Outcome& problems);
  TemplateNode* compile_object(const fhir::JsonValue& json, int file, const std::string& pointer,
                               bool reverse, fhir::Outcome& problems);
  bool link_node(TemplateNode& node, std::vector<const TemplateNode*>& stack,
                 fhir::Outcome& problems);
  std::string where(int file, std::string_view pointer) const;

  fhirpath::CompileOptions forward_;
  fhirpath::CompileOptions reverse_;
  std::deque<TemplateNode> nodes_;
  std::vector<std::unique_ptr<fhirpath::Expression>> expressions_;
  std::vector<std::string> files_;
  std::map<std::string, const TemplateNode*, std::less<>> fragments_;
};

// true/false for a Boolean value or a JSON boolean node (untyped input, FHIR boolean).
std::optional<bool> as_boolean(const fhirpath::Value& value);

// Renders templates for one document. Not thread-safe; one per Mapper.
class Renderer {
 public:
  Renderer(const TemplateLibrary& library, fhirpath::Evaluator& evaluator,
           fhirpath::Environment& environment);

  // `focus` and `root`: what expressions evaluate against (the document or the Bundle).
  void start(const fhirpath::Value& focus, const fhir::JsonValue& root);
  // Evaluates an expression and keeps its values alive until the next start().
  bool evaluate(int expression, std::vector<fhirpath::Value>& out, const TemplateNode* where);
  // Evaluates for immediate use: the values are valid until the next evaluation.
  std::optional<fhirpath::Collection> evaluate_now(int expression, const TemplateNode* where);
  // Binds a variable for the rest of the document (manifest variables).
  bool bind(std::string name, int expression);
  // Writes the JSON value of `node`; false when it is absent.
  bool render(const TemplateNode& node, std::string& out);

  const fhir::Outcome& problems() const { return problems_; }

 private:
  bool render_value(const TemplateNode& node, std::string& out);
  void render_elements(const TemplateNode& node, std::string& out, std::size_t& count);
  void render_one_element(const TemplateNode& node, std::string& out, std::size_t& count);
  bool render_object_members(const TemplateNode& node, std::string& out, bool& any);
  // Applies $let and $if around `body`; returns false when $if removed the node.
  template <class Body>
  bool with_scope(const TemplateNode& node, Body&& body);
  fhirpath::Value keep(const fhirpath::Value& value);
  void fail(const TemplateNode& node, std::string message, int expression = -1);

  const TemplateLibrary& library_;
  fhirpath::Evaluator& evaluator_;
  fhirpath::Environment& environment_;
  fhirpath::Value focus_;
  const fhir::JsonValue* root_ = nullptr;
  std::deque<std::string> kept_strings_;
  std::deque<fhirpath::Quantity> kept_quantities_;
  std::vector<std::vector<fhirpath::Value>> scratch_;  // per-depth evaluation buffers
  std::size_t depth_ = 0;
  fhir::Outcome problems_;
};

}  // namespace adapter::map
