#include "adapter/fhir/outcome.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>

namespace adapter::fhir {

std::string_view to_code(Severity severity) {
  switch (severity) {
    case Severity::fatal:
      return "fatal";
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::information:
      return "information";
  }
  return "error";
}

std::string_view to_code(IssueType type) {
  switch (type) {
    case IssueType::invalid:
      return "invalid";
    case IssueType::structure:
      return "structure";
    case IssueType::required:
      return "required";
    case IssueType::value:
      return "value";
    case IssueType::invariant:
      return "invariant";
    case IssueType::security:
      return "security";
    case IssueType::too_long:
      return "too-long";
    case IssueType::too_costly:
      return "too-costly";
    case IssueType::not_found:
      return "not-found";
    case IssueType::duplicate:
      return "duplicate";
    case IssueType::code_invalid:
      return "code-invalid";
    case IssueType::business_rule:
      return "business-rule";
    case IssueType::processing:
      return "processing";
    case IssueType::not_supported:
      return "not-supported";
    case IssueType::exception:
      return "exception";
    case IssueType::informational:
      return "informational";
  }
  return "invalid";
}

Outcome Outcome::of(Severity severity, IssueType type, std::string message, std::string location) {
  Outcome outcome;
  outcome.add(Issue{severity, type, std::move(message), std::move(location), {}});
  return outcome;
}

void Outcome::add(Issue issue) {
  if (issue.expression.empty() && !issue.location.empty()) {
    issue.expression = pointer_to_expression(issue.location);
  }
  issues_.push_back(std::move(issue));
}

void Outcome::error(IssueType type, std::string location, std::string message) {
  add(Issue{Severity::error, type, std::move(message), std::move(location), {}});
}

void Outcome::warning(IssueType type, std::string location, std::string message) {
  add(Issue{Severity::warning, type, std::move(message), std::move(location), {}});
}

void Outcome::information(IssueType type, std::string location, std::string message) {
  add(Issue{Severity::information, type, std::move(message), std::move(location), {}});
}

void Outcome::merge(const Outcome& other, std::string_view prefix) {
  for (Issue issue : other.issues_) {
    if (!prefix.empty()) {
      issue.location = std::string(prefix) + issue.location;
      issue.expression.clear();
    }
    add(std::move(issue));
  }
}

bool Outcome::has_errors() const {
  return std::ranges::any_of(issues_, [](const Issue& issue) {
    return issue.severity == Severity::fatal || issue.severity == Severity::error;
  });
}

namespace {

template <class Writer>
void write_string(Writer& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

template <class Writer>
void write_issue(Writer& writer, const Issue& issue) {
  writer.StartObject();
  writer.Key("severity");
  write_string(writer, to_code(issue.severity));
  writer.Key("code");
  write_string(writer, to_code(issue.type));
  writer.Key("diagnostics");
  write_string(writer, issue.message);
  if (!issue.location.empty()) {
    writer.Key("location");
    writer.StartArray();
    write_string(writer, issue.location);
    writer.EndArray();
  }
  if (!issue.expression.empty()) {
    writer.Key("expression");
    writer.StartArray();
    write_string(writer, issue.expression);
    writer.EndArray();
  }
  writer.EndObject();
}

template <class Writer>
void write_outcome(Writer& writer, const std::vector<Issue>& issues) {
  writer.StartObject();
  writer.Key("resourceType");
  writer.String("OperationOutcome");
  writer.Key("issue");
  writer.StartArray();
  if (issues.empty()) {
    write_issue(
        writer,
        Issue{Severity::information, IssueType::informational, "no problems found", {}, {}});
  }
  for (const Issue& issue : issues)
    write_issue(writer, issue);
  writer.EndArray();
  writer.EndObject();
}

}  // namespace

std::string Outcome::to_json(bool pretty) const {
  rapidjson::StringBuffer buffer;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    write_outcome(writer, issues_);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    write_outcome(writer, issues_);
  }
  return {buffer.GetString(), buffer.GetSize()};
}

std::string pointer_to_expression(std::string_view pointer) {
  std::string expression;
  std::size_t pos = 0;
  while (pos < pointer.size()) {
    if (pointer[pos] != '/') break;  // not a pointer: leave the rest alone
    const std::size_t next = pointer.find('/', pos + 1);
    const std::string_view raw = pointer.substr(
        pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size()) {
        token += raw[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        token += raw[i];
      }
    }
    const bool index = !token.empty() && std::ranges::all_of(token, [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (index) {
      expression += '[' + token + ']';
    } else {
      if (!expression.empty()) expression += '.';
      expression += token;
    }
    if (next == std::string_view::npos) break;
    pos = next;
  }
  return expression;
}

std::string pointer_token(std::string_view key) {
  std::string token;
  token.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      token += "~0";
    } else if (c == '/') {
      token += "~1";
    } else {
      token += c;
    }
  }
  return token;
}

}  // namespace adapter::fhir
