// FHIRPath: compile an expression once, evaluate it many times.
//
//   fhir::Model model = fhir::Model::r4().value();
//   auto expr = Expression::compile("Patient.name.given.first()", {.model = &model});
//   Evaluator evaluator;                       // one per thread; reuses its scratch memory
//   auto result = evaluator.evaluate(*expr, patient_json);
//
// An Expression is immutable after compile and may be evaluated from several threads at
// once, each with its own Evaluator. Errors are values: compile problems name the position
// in the expression; evaluation problems (e.g. single() on several items) say what failed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"
#include "adapter/fhirpath/value.h"

namespace adapter::fhirpath {

class Evaluator;
class Environment;

// Arguments and output of a caller-registered function.
struct FunctionCall {
  Collection focus;                  // the input collection the function was invoked on
  std::span<const Collection> args;  // each argument evaluated against %context... no: $this
  Evaluator& evaluator;              // scratch allocation for results (evaluator.keep_string)
  std::vector<Value>& out;           // append the result items here
  const Environment* environment;    // the caller's variables (nullptr when none were given)
};
// Returns an error message for an execution error (becomes an evaluation Outcome).
using Function = std::function<std::optional<std::string>(FunctionCall&)>;

// The adapter's own functions, beside the specification's library. Built once and shared
// (read-only) by every expression compiled with it.
class FunctionRegistry {
 public:
  // Arguments are evaluated with the focus item as $this before the call.
  void add(std::string name, int min_args, int max_args, Function function);
  struct Entry {
    int min_args;
    int max_args;
    Function function;
  };
  const Entry* find(std::string_view name) const;

 private:
  std::map<std::string, Entry, std::less<>> entries_;
};

struct CompileOptions {
  const fhir::Model* model = nullptr;           // nullptr: untyped JSON (input documents)
  const FunctionRegistry* functions = nullptr;  // the adapter's own functions
  // When set with a model, navigation is checked against the model at compile time and an
  // element the type does not have is a (semantic) compile error. "Patient", "Observation".
  std::string_view context_type = {};
  // With context_type: first(), last(), tail(), skip() and take() on the output of
  // children()/descendants(), whose order is undefined, are compile errors.
  bool check_ordered_functions = false;
};

class Expression {
 public:
  static fhir::Result<Expression> compile(std::string_view text,
                                          const CompileOptions& options = {});

  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

  std::string_view text() const;

  // The members of its input the expression reads, when that is all it reads of the data:
  // `contained.meta.empty()` reads {"contained"}. Then, on an input that has none of these
  // members (no JSON member whose name, without a leading '_', starts with one of them, so
  // that choice types such as valueString count as value), the result is the one it has on
  // an empty object, whatever %resource, %rootResource and the input's type are. nullopt
  // when the expression reads anything else: $this (also implicitly, as in `empty()`), a type
  // name (`Patient.name`), %resource or another variable (the specification's constants
  // %ucum, %sct, %loinc, %`vs-…` and %`ext-…` excepted, which callers must not rebind), the
  // clock, resolve(), custom functions, or a lambda over anything but such member paths.
  const std::optional<std::vector<std::string>>& input_members() const;

  struct Compiled;
  const Compiled& compiled() const { return *compiled_; }

 private:
  explicit Expression(std::unique_ptr<const Compiled> compiled);
  std::unique_ptr<const Compiled> compiled_;
};

// Environment variables beyond the specification's own (%resource, %rootResource,
// %context, %ucum, %sct, %loinc, %`vs-…`, %`ext-…`): name without '%'.
class Environment {
 public:
  // Replaces the innermost binding of `name`, or adds one.
  void set(std::string name, std::vector<Value> values);
  // Scoped bindings: push() shadows an outer binding of the same name until pop().
  void push(std::string name, std::vector<Value> values);
  void pop();
  void erase(std::string_view name);  // the innermost binding of `name`
  const std::vector<Value>* find(std::string_view name) const;

 private:
  // Few variables are in scope at once, so a scan from the innermost binding beats a map.
  std::vector<std::pair<std::string, std::vector<Value>>> variables_;
};

class Evaluator {
 public:
  Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;
  ~Evaluator();

  // Evaluates against `input` (the resource: %resource and %context). The returned values
  // stay valid until this Evaluator's next evaluate() and while `input` lives.
  fhir::Result<Collection> evaluate(const Expression& expression, const fhir::JsonValue& input,
                                    const Environment* environment = nullptr);
  // Same, with the context given as an already typed value (a node inside a resource).
  fhir::Result<Collection> evaluate(const Expression& expression, const Value& context,
                                    const fhir::JsonValue& resource,
                                    const Environment* environment = nullptr);
  // Same, with %resource typed by the caller too (resource_value()), so that evaluating many
  // expressions inside one resource does not look its type up each time.
  fhir::Result<Collection> evaluate(const Expression& expression, const Value& context,
                                    const Value& resource,
                                    const Environment* environment = nullptr);

  // Scratch memory that lives until the next evaluate(): for functions' results.
  std::string_view keep_string(std::string_view text);
  const Quantity* keep_quantity(Quantity quantity);

  // The current time for now()/today()/timeOfDay(); fixed for one evaluation as the spec
  // requires: read once, when an evaluation first asks. Tests set it (an empty function
  // keeps the current clock); by default it is the system clock.
  void set_clock(std::function<Temporal()> now);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// The typed root value for a resource (resourceType looked up in the model).
Value resource_value(const fhir::JsonValue& resource, const fhir::Model* model);

}  // namespace adapter::fhirpath
