// Internal to the engine: the evaluation context the evaluator and the function library
// share. Collections live in the Evaluator's arena and die at its next evaluate().
#pragma once

#include <functional>
#include <memory_resource>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapter/fhirpath/ast.h"

namespace adapter::fhirpath::detail {

using Items = std::pmr::vector<Value>;
// Evaluated arguments of a builtin, in the evaluation's arena like their items.
using ArgItems = std::pmr::vector<Items>;

// What the implicit input ($this), $index and $total are at a point of evaluation.
struct Frame {
  const Value* this_value = nullptr;  // nullptr: no input (an empty $this)
  std::int64_t index = 0;
  const Items* total = nullptr;  // aggregate() only
};

class Context;

enum class ArgKind : std::uint8_t {
  value,   // arguments evaluated once against the caller's frame
  lambda,  // arguments evaluated by the function, per item, with $this = item
  type,    // one type specifier (is, as, ofType)
};

struct Builtin {
  std::string_view name;
  std::int8_t min_args;
  std::int8_t max_args;
  ArgKind arg_kind;
  // Appends the result to `out`; false after ctx.fail() for an execution error.
  bool (*implementation)(Context& ctx, const Node& call, const Items& focus, const Frame& frame,
                         const ArgItems& args, Items& out);
};

const Builtin* find_builtin(std::string_view name);

class Context {
 public:
  Context(std::pmr::memory_resource* arena, Evaluator& evaluator,
          const Expression::Compiled& compiled, const fhir::JsonValue* resource,
          const Environment* environment, const std::function<Temporal()>& clock,
          std::unordered_map<std::string, std::regex>& regex_cache)
      : arena_(arena),
        evaluator_(evaluator),
        compiled_(compiled),
        resource_(resource),
        environment_(environment),
        clock_(clock),
        regex_cache_(regex_cache),
        memo_(arena) {}

  Items items() {
    Items result(arena_);
    result.reserve(4);  // most collections are small: skip the 1-2-4 regrowth
    return result;
  }
  std::pmr::memory_resource* arena() { return arena_; }
  Evaluator& evaluator() { return evaluator_; }
  const fhir::Model* model() const { return compiled_.model; }
  const fhir::JsonValue* resource() const { return resource_; }
  const Temporal& now() {
    if (!now_) now_ = clock_();
    return *now_;
  }
  Value context_value;   // %context
  Value resource_value;  // %resource, typed once per evaluation

  bool eval(const Node& node, const Frame& frame, Items& out);
  bool fail(const Node& node, std::string message);
  const std::string& error() const { return error_; }
  std::uint32_t error_position() const { return error_position_; }

  // Children of one item by element name, typed when the model knows the type.
  // `hint`: the member node, whose compile-time element look-up is reused when it applies.
  void navigate(const Value& item, std::string_view name, Items& out,
                const Node* hint = nullptr) const;
  // The JSON object whose members are the item's children, with its type: the item itself,
  // or a primitive's `_name` object (typed Element). False when it has no children.
  bool object_of(const Value& item, const fhir::JsonValue*& json,
                 const fhir::TypeInfo*& type) const;
  // All children (children()), in document order.
  void children(const Value& item, Items& out) const;
  // A FHIR/JSON primitive as its System value; nullopt for objects or unparseable text.
  std::optional<Value> to_system(const Value& item) const;
  // The FHIR Quantity element (or System Quantity) as a System Quantity.
  std::optional<Value> quantity_of(const Value& item) const;
  bool is_type(const Value& item, const TypeSpec& type) const;
  bool cast_matches(const Value& item, const TypeSpec& type) const;  // as(), ofType()
  // A type name neither the model nor System knows is an execution error.
  bool known_type(const Node& node, const TypeSpec& type);
  // The type a resource object really has (resourceType), for elements typed Resource.
  const fhir::TypeInfo* resource_type_of(const fhir::JsonValue& object) const;

  // = and ~ on single items: nullopt is the empty result.
  std::optional<bool> equal(const Value& a, const Value& b) const;
  bool equivalent(const Value& a, const Value& b) const;
  // Collection equality / equivalence per the specification.
  std::optional<bool> equal(const Items& a, const Items& b) const;
  bool equivalent(const Items& a, const Items& b) const;
  // Ordering: nullopt when not comparable (kinds differ → caller raises an error);
  // `incomparable` is set when the spec says the result is empty (date precision).
  std::optional<int> compare(const Value& a, const Value& b, bool& incomparable) const;

  // The singleton-evaluation rule: empty → nullopt result, one item → it, else an error.
  // Booleans: a single non-boolean item counts as true.
  bool singleton_boolean(const Node& node, const Items& items, std::optional<bool>& result);

  std::string_view keep(std::string_view text) const;
  const Quantity* keep(Quantity quantity) const;
  // Compiled once per Evaluator and reused; nullptr (after fail()) for a bad pattern.
  const std::regex* regex(const Node& node, std::string_view pattern);

 private:
  std::pmr::memory_resource* arena_;
  Evaluator& evaluator_;
  const Expression::Compiled& compiled_;
  const fhir::JsonValue* resource_;
  const Environment* environment_;
  const std::function<Temporal()>& clock_;
  std::optional<Temporal> now_;
  std::unordered_map<std::string, std::regex>& regex_cache_;
  std::string error_;
  std::uint32_t error_position_ = 0;
  // Values of memoised nodes (Node::memo_slot), nullptr until first computed; sized on the
  // first use so that expressions without memoised nodes pay nothing.
  std::pmr::vector<const Items*> memo_;

  friend class Evaluation;
  bool eval_node(const Node& node, const Frame& frame, Items& out);
  bool eval_memo(const Node& node, const Frame& frame, Items& out);
  bool eval_member(const Node& node, const Frame& frame, Items& out);
  bool eval_function(const Node& node, const Frame& frame, Items& out);
  bool eval_binary(const Node& node, const Frame& frame, Items& out);
  bool eval_variable(const Node& node, const Frame& frame, Items& out);
};

}  // namespace adapter::fhirpath::detail
