// Internal to the engine: the compiled form of an expression (an abstract syntax tree
// with functions resolved and literals pre-built) shared by parser and evaluator.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapter/fhirpath/expression.h"

namespace adapter::fhirpath::detail {

enum class NodeKind : std::uint8_t {
  empty,      // {}
  literal,    // Node::literal
  member,     // name: navigation (or a type name at the start of a path)
  function,   // name(args…) on focus; builtin or custom
  indexer,    // focus[args[0]]
  unary,      // op (negate / plus) on args[0]
  binary,     // op on args[0], args[1]
  variable,   // %name
  this_var,   // $this
  index_var,  // $index
  total_var,  // $total
};

enum class Op : std::uint8_t {
  negate,
  plus,  // unary
  multiply,
  divide,
  int_divide,
  modulo,  // multiplicative
  add,
  subtract,
  concatenate,  // additive
  is,
  as,      // type
  union_,  // |
  less,
  greater,
  less_equal,
  greater_equal,  // comparison
  equal,
  equivalent,
  not_equal,
  not_equivalent,  // equality
  in,
  contains,  // membership
  and_,
  or_,
  xor_,
  implies,  // logic
};

// A type named in an expression: `Patient`, `FHIR.string`, `System.Integer`.
struct TypeSpec {
  enum class Namespace : std::uint8_t { unqualified, fhir, system } ns = Namespace::unqualified;
  std::string name;
  const fhir::TypeInfo* fhir_type = nullptr;  // resolved when the model knows it
};

struct Builtin;

struct Node {
  NodeKind kind = NodeKind::empty;
  Op op = Op::plus;
  std::uint32_t position = 0;  // offset of the node's first character in the text
  std::uint32_t depth = 1;     // height of the subtree: bounded so evaluation cannot overflow
  std::string name;            // member, function or variable name
  Value literal;
  std::unique_ptr<Node> focus;  // invocation target; nullptr means $this
  std::vector<std::unique_ptr<Node>> args;
  const Builtin* builtin = nullptr;
  const FunctionRegistry::Entry* custom = nullptr;
  // member: the element, when the compiler knows the type it is looked up in.
  const fhir::TypeInfo* cached_owner = nullptr;
  const fhir::ElementInfo* cached_element = nullptr;
  TypeSpec type;  // is/as (binary or function form), ofType
  // Index of the per-evaluation memo holding this node's value, or -1. Set for nodes whose
  // value cannot depend on $this/$index/$total and that would otherwise be evaluated more
  // than once per evaluation (in a where()/all()/… criterion, or repeated in the text).
  std::int32_t memo_slot = -1;
};

}  // namespace adapter::fhirpath::detail

namespace adapter::fhirpath {

struct Expression::Compiled {
  std::string text;
  std::unique_ptr<detail::Node> root;
  const fhir::Model* model = nullptr;
  const fhir::TypeInfo* element_type = nullptr;   // the model's Element and Quantity,
  const fhir::TypeInfo* quantity_type = nullptr;  // looked up once at compile time
  std::deque<std::string> strings;                // decoded string literals the tree points into
  std::deque<Quantity> quantities;                // quantity literals
  std::size_t memo_slots = 0;                     // how many Node::memo_slot values exist
  // Expression::input_members(), worked out once at compile time.
  std::optional<std::vector<std::string>> input_members;
};

}  // namespace adapter::fhirpath
