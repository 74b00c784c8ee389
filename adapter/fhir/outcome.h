// Problems as values: every stage reports what is wrong with its input as an Outcome,
// which renders as a FHIR R4 OperationOutcome. An issue carries its severity, its FHIR
// issue-type code, a message a person understands and where in the document it is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace adapter::fhir {

// FHIR issue-severity (http://hl7.org/fhir/issue-severity).
enum class Severity : std::uint8_t { fatal, error, warning, information };

// The subset of FHIR issue-type (http://hl7.org/fhir/issue-type) the adapter uses.
enum class IssueType : std::uint8_t {
  invalid,
  structure,
  required,
  value,
  invariant,
  security,
  too_long,
  too_costly,
  not_found,
  duplicate,
  code_invalid,
  business_rule,
  processing,
  not_supported,
  exception,
  informational,
};

std::string_view to_code(Severity severity);
std::string_view to_code(IssueType type);

struct Issue {
  Severity severity = Severity::error;
  IssueType type = IssueType::invalid;
  std::string message;     // what is wrong and, where it helps, what was expected
  std::string location;    // JSON pointer (RFC 6901) into the checked document; "" = the whole
  std::string expression;  // FHIRPath-style path of the same place; derived from location if empty

  bool operator==(const Issue&) const = default;
};

class Outcome {
 public:
  Outcome() = default;
  static Outcome of(Severity severity, IssueType type, std::string message,
                    std::string location = {});

  void add(Issue issue);
  void error(IssueType type, std::string location, std::string message);
  void warning(IssueType type, std::string location, std::string message);
  void information(IssueType type, std::string location, std::string message);
  // Appends another outcome's issues; their locations are taken relative to `prefix`.
  void merge(const Outcome& other, std::string_view prefix = {});

  bool has_errors() const;  // any fatal or error issue
  bool empty() const { return issues_.empty(); }
  std::size_t size() const { return issues_.size(); }
  const std::vector<Issue>& issues() const { return issues_; }

  // The OperationOutcome resource as JSON. FHIR requires at least one issue, so an
  // empty outcome renders a single informational "no problems found" issue.
  std::string to_json(bool pretty = true) const;

 private:
  std::vector<Issue> issues_;
};

// "/patient/name/0/given" -> "patient.name[0].given" (JSON pointer escapes undone).
std::string pointer_to_expression(std::string_view pointer);
// Escapes one reference token of a JSON pointer: "~" -> "~0", "/" -> "~1".
std::string pointer_token(std::string_view key);

// A value or the problems that prevented it. Expected failures travel as values.
template <class T>
class Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Outcome problems) : state_(std::in_place_index<1>, std::move(problems)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Outcome& problems() const { return std::get<1>(state_); }

 private:
  std::variant<T, Outcome> state_;
};

}  // namespace adapter::fhir
