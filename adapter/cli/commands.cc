#include "adapter/cli/commands.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <charconv>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <new>
#include <optional>
#include <ostream>
#include <set>
#include <string_view>

#include "adapter/cli/exchange.h"
#include "adapter/cli/support.h"
#include "adapter/fhir/datetime.h"
#include "adapter/fhir/json.h"
#include "adapter/fhir/model.h"
#include "adapter/fhir/outcome.h"
#include "adapter/fhirpath/expression.h"
#include "adapter/fhirpath/value.h"
#include "adapter/map/mapping.h"
#include "adapter/norway/calendar.h"
#include "adapter/norway/deadline.h"
#include "adapter/norway/fhirpath_functions.h"
#include "adapter/norway/identifier.h"
#include "adapter/parse/input_document.h"
#include "adapter/validate/validator.h"

#ifndef ADAPTER_VERSION
#define ADAPTER_VERSION "0.0.0"
#endif

namespace adapter::cli {
namespace {

using fhir::IssueType;
using fhir::Outcome;
using fhir::Result;
using fhir::Severity;

constexpr std::string_view kUsage =
    R"(fhir-adapter: FHIR R4 adapter for Norwegian substance-use and mental-health care (TSB)

Usage:
  fhir-adapter check [--mappings DIR] [--max-bytes N] [--max-depth N] FILE...|-
      Check input documents (docs/input-format.md). One file: its OperationOutcome.
      Several: one JSON line {"file":...,"outcome":...} each. Exit 0 all valid, 1 any invalid.
  fhir-adapter id-check VALUE
      Recognise and check a Norwegian identifier (FNR, D-, H-number, FHN, HPR, HER-id,
      organisation number, RESH-id). Exit 0 valid, 1 invalid.
  fhir-adapter deadline --from DATE (--working-days N | --calendar-days N | --activity CODE)
                        [--mappings DIR]
      Due date counted in Norwegian working days or calendar days, or by the pathway
      deadline table (mappings/deadlines.json).
  fhir-adapter fhirpath [--resource FILE|-] [--var NAME=JSON]... [--max-bytes N]
                        [--max-depth N] EXPRESSION
      Evaluate a FHIRPath expression and print the result collection as a JSON array.
      A resource (JSON with a resourceType) is read with the FHIR R4 model and its type
      as context, so misspelt elements are errors; other JSON is navigated untyped.
      --var makes %NAME available: a JSON value (an array gives a collection of its
      items, null the empty collection). Exit 1 on a syntax or evaluation error.
  fhir-adapter map [--mappings DIR] [--profiles DIR] FILE...|-
      Check an input document, then map it to a FHIR R4 transaction Bundle with the
      templates in mappings/ (docs/mapping-language.md). Exit 1 with an OperationOutcome
      when the document is invalid. Several FILEs: one JSON line each, {"file":…,
      "bundle":{…}} or {"file":…,"outcome":{…}}.
  fhir-adapter unmap [--mappings DIR] [--profiles DIR] [--no-check] FILE|-
      Map a FHIR Bundle (or one resource) back to an input document; the result is
      checked like `check` unless --no-check. Exit 1 when nothing matches or it is invalid.
  fhir-adapter validate [--profile URL] [--profiles DIR] [--max-bytes N] [--max-depth N]
                        FILE...|-
      Validate FHIR R4 resources against the base specification (structure, cardinality,
      types, primitive formats, choice types, contained resources, Bundle entries,
      references, invariants, required bindings) and the project's profiles: those
      meta.profile names, and --profile URL for the top resource. One file: its
      OperationOutcome; several: one JSON line {"file":...,"outcome":...} each, so a
      folder of thousands validates in one process. Exit 0 when no file has an
      error-level issue, 1 otherwise.
  fhir-adapter send --config FILE [--mappings DIR] [--profiles DIR] [--consent-time T] DOC...|-
      Accept documents for delivery: check and map input documents (FHIR Bundles are
      taken as they are), apply consent (what a relative may not receive is removed, with
      a warning), validate, route to the configured servers and commit them to the
      outbox. One JSON line per DOC. Exit 0 only when every DOC was committed.
  fhir-adapter deliver --config FILE [--once [--max-wait SECONDS]] [--consent-time T]
      Run the delivery worker: send what the outbox holds, retry transient failures with
      backoff, move permanent ones to the dead letters. --once drains the outbox and exits
      (exit 1 when messages are still waiting after --max-wait, default 300). SIGINT/SIGTERM
      stop it after the message in flight. Consent is checked again before each message
      goes: what a withdrawal no longer permits is not delivered.
  fhir-adapter outbox --config FILE (list [--state S] | dead | show ID | retry ID)
      Inspect the outbox: JSON lines per message; `dead` with the server's
      OperationOutcome; `retry ID` makes a dead letter pending again.
  fhir-adapter consent decide REQUEST|-
      Decide whether information about a patient may go to a relative or an agency, for a
      purpose, at a time, given Consent resources and Norwegian law (docs/consent.md). The
      answer: decision, rule, legal basis, deciding provision, obligations. Exit 0 permit.
  fhir-adapter consent --config FILE (import FILE... | audit [--limit N])
      import: keep Consent resources read from a server (a Bundle with the RelatedPersons
      they name) in the consent store; audit: the AuditEvents of every consent decision.
  fhir-adapter --help | --version

Options:
  --mappings DIR   folder with input/ and deadlines.json (default: $FHIR_ADAPTER_MAPPINGS,
                   else the build's own mappings/ folder)
  --kinds K,K      map/unmap: load only these kinds' templates (when working on one)
  --profiles DIR   folder with ig.json (the canonical base URL) and the project's profiles,
                   CodeSystems and ValueSets; default: beside mappings/
  --max-bytes N    largest accepted document in bytes (default 67108864)
  --max-depth N    deepest accepted JSON nesting (default 128)
  --config FILE    the adapter's configuration: outbox, delivery, credentials, endpoints,
                   routes (docs/configuration.md)
  --consent-time T evaluate consent as of dateTime T instead of the clock (replays, tests)

Output: JSON on standard output, messages for people on standard error.
Exit codes: 0 ok, 1 invalid input, 2 usage or I/O error.
)";

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void write(Writer& writer, std::string_view key, std::string_view value) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// The value, or null when there is none.
void write_or_null(Writer& writer, std::string_view key, std::optional<std::string_view> value) {
  if (value) {
    write(writer, key, *value);
  } else {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer.Null();
  }
}

void print(Streams io, const rapidjson::StringBuffer& buffer) {
  io.out << std::string_view(buffer.GetString(), buffer.GetSize()) << '\n';
}

// ---------------------------------------------------------------------------------------
// check

// Reads, parses and checks every FILE (or - for standard input) with `check`. One file:
// its OperationOutcome on stdout; several: one JSON line {"file":…,"outcome":…} each.
// `each_on_stderr`: also a line per file for people.
struct FileTally {
  std::size_t valid = 0;
  std::size_t invalid = 0;
  std::size_t unreadable = 0;
  int exit_code() const { return unreadable > 0 ? kUsageOrIo : invalid > 0 ? kInvalidInput : kOk; }
};

FileTally check_files(const Arguments& arguments, Streams io,
                      const std::function<Outcome(const fhir::JsonValue&)>& check,
                      bool each_on_stderr) {
  const fhir::JsonLimits limits = json_limits(arguments);
  const bool single = arguments.positional.size() == 1;
  FileTally tally;
  for (const std::string& path : arguments.positional) {
    Outcome outcome;
    bool read_failed = false;
    auto text = fhir::read_bounded(path, limits.max_bytes);
    if (!text.ok()) {
      outcome = text.problems();
      read_failed = text.problems().issues().front().type == IssueType::exception;
    } else if (auto json = fhir::JsonDocument::parse(text.value(), limits); !json.ok()) {
      outcome = json.problems();
    } else {
      outcome = check(json->root());
    }
    const bool ok = !outcome.has_errors();
    (ok ? tally.valid : read_failed ? tally.unreadable : tally.invalid)++;
    if (single) {
      io.out << outcome.to_json() << '\n';
    } else {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> line(buffer);
      line.StartObject();
      line.Key("file");
      line.String(path.data(), static_cast<rapidjson::SizeType>(path.size()));
      line.Key("outcome");
      const std::string rendered = outcome.to_json(false);
      line.RawValue(rendered.data(), rendered.size(), rapidjson::kObjectType);
      line.EndObject();
      io.out << std::string_view(buffer.GetString(), buffer.GetSize()) << '\n';
    }
    if (!each_on_stderr) continue;
    const std::size_t problems = outcome.has_errors() ? outcome.size() : 0;
    io.err << path << ": "
           << (ok ? std::string("valid")
                  : (read_failed ? "unreadable" : "invalid") + std::string(" (") +
                        std::to_string(problems) + (problems == 1 ? " problem)" : " problems)"))
           << '\n';
  }
  return tally;
}

int run_check(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments = parse_arguments(args, 1, {"mappings", "max-bytes", "max-depth"});
  if (arguments.positional.empty()) throw UsageError("check needs at least one FILE (or -)");
  const std::string folder = mappings_folder(arguments) + "/input";
  auto format = parse::InputFormat::load(folder);
  if (!format.ok()) {
    return fail(io, format.problems(), kUsageOrIo, "cannot load the input schemas in " + folder);
  }
  const FileTally tally = check_files(
      arguments, io, [&](const fhir::JsonValue& document) { return format->check(document); },
      true);
  if (arguments.positional.size() > 1) {
    io.err << "checked " << arguments.positional.size() << " documents: " << tally.valid
           << " valid, " << tally.invalid << " invalid"
           << (tally.unreadable ? ", " + std::to_string(tally.unreadable) + " unreadable" : "")
           << '\n';
  }
  return tally.exit_code();
}

// ---------------------------------------------------------------------------------------
// id-check

int run_id_check(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments = parse_arguments(args, 1, {});
  if (arguments.positional.size() != 1) throw UsageError("id-check takes exactly one VALUE");
  const std::string& value = arguments.positional.front();
  const norway::IdentifierCheck check = norway::identify(value);

  const std::string_view type = norway::type_code(check.type);
  const std::optional<std::string> birth_date =
      check.birth_date ? std::optional(fhir::format_date(*check.birth_date)) : std::nullopt;
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  out.SetIndent(' ', 2);
  out.StartObject();
  write(out, "value", value);
  write(out, "type", type.empty() ? "unknown" : type);
  out.Key("valid");
  out.Bool(check.valid);
  write_or_null(
      out, "system",
      check.system.empty() ? std::nullopt : std::optional<std::string_view>(check.system));
  write_or_null(out, "birthDate", birth_date);
  write_or_null(out, "sex",
                check.sex ? std::optional(norway::gender_code(*check.sex)) : std::nullopt);
  out.Key("synthetic");
  out.Bool(check.synthetic);
  if (!check.candidates.empty()) {
    out.Key("candidates");
    out.StartArray();
    for (norway::IdentifierType candidate : check.candidates) {
      const std::string_view code = norway::type_code(candidate);
      out.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
    }
    out.EndArray();
  }
  if (!check.problem.empty()) write(out, "problem", check.problem);
  if (!check.note.empty()) write(out, "note", check.note);
  out.EndObject();
  print(io, buffer);
  if (!check.valid)
    io.err << value << ": " << (check.problem.empty() ? "not valid" : check.problem) << '\n';
  return check.valid ? kOk : kInvalidInput;
}

// ---------------------------------------------------------------------------------------
// deadline

int run_deadline(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments =
      parse_arguments(args, 1, {"from", "working-days", "calendar-days", "activity", "mappings"});
  if (!arguments.positional.empty()) {
    throw UsageError("deadline takes no positional arguments: \"" + arguments.positional[0] + "\"");
  }
  const std::string* from_text = arguments.get("from");
  if (from_text == nullptr) throw UsageError("deadline needs --from YYYY-MM-DD");
  const auto from = fhir::parse_full_date(*from_text);
  if (!from) {
    return fail(io,
                Outcome::of(Severity::error, IssueType::value,
                            "--from \"" + *from_text + "\" is not a calendar date YYYY-MM-DD"),
                kInvalidInput, "invalid --from date");
  }
  const std::string* working = arguments.get("working-days");
  const std::string* calendar = arguments.get("calendar-days");
  const std::string* activity = arguments.get("activity");
  if ((working != nullptr) + (calendar != nullptr) + (activity != nullptr) != 1) {
    throw UsageError("deadline needs exactly one of --working-days, --calendar-days, --activity");
  }

  std::chrono::year_month_day due{};
  std::optional<norway::DeadlineRow> row;
  std::int64_t amount = 0;
  norway::DeadlineUnit unit = norway::DeadlineUnit::calendar_days;
  if (activity != nullptr) {
    const std::string path = mappings_folder(arguments) + "/deadlines.json";
    auto table = norway::DeadlineTable::load(path);
    if (!table.ok()) {
      return fail(io, table.problems(), kUsageOrIo, "cannot load the deadline table " + path);
    }
    auto computed = table->due(*activity, *from);
    if (!computed.ok()) return fail(io, computed.problems(), kInvalidInput, "no due date");
    due = computed->date;
    row = computed->row;
    amount = row->deadline->amount;
    unit = row->deadline->unit;
  } else {
    constexpr std::size_t kMaxDays = 36500;  // a century is past any care deadline
    const bool by_working_days = working != nullptr;
    amount = static_cast<std::int64_t>(
        parse_count(by_working_days ? *working : *calendar,
                    by_working_days ? "working-days" : "calendar-days", kMaxDays));
    unit =
        by_working_days ? norway::DeadlineUnit::working_days : norway::DeadlineUnit::calendar_days;
    due = by_working_days ? norway::add_working_days(*from, static_cast<int>(amount))
                          : norway::add_calendar_days(*from, static_cast<int>(amount));
  }

  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.SetIndent(' ', 2);
  writer.StartObject();
  write(writer, "from", fhir::format_date(*from));
  write(writer, "due", fhir::format_date(due));
  writer.Key("amount");
  writer.Int64(amount);
  write(writer, "unit", norway::to_code(unit));
  // The holidays the count stepped over: what makes a due date surprising to a person.
  writer.Key("publicHolidaysCrossed");
  writer.StartArray();
  for (int year = static_cast<int>(from->year()); year <= static_cast<int>(due.year()); ++year) {
    for (const norway::PublicHoliday& holiday : norway::public_holidays(std::chrono::year{year})) {
      const auto day = std::chrono::sys_days{holiday.date};
      if (day > std::chrono::sys_days{*from} && day <= std::chrono::sys_days{due}) {
        writer.StartObject();
        write(writer, "date", fhir::format_date(holiday.date));
        write(writer, "name", holiday.name_no);
        write(writer, "nameEn", holiday.name_en);
        writer.EndObject();
      }
    }
  }
  writer.EndArray();
  if (row) {
    writer.Key("deadline");
    writer.StartObject();
    write(writer, "id", row->id);
    write(writer, "activity", row->activity);
    write(writer, "name", row->name_no);
    write(writer, "nameEn", row->name_en);
    write(writer, "startEvent", row->deadline->start_event);
    writer.Key("generalRule");
    writer.Bool(row->general_rule);
    write(writer, "source", row->source);
    writer.EndObject();
  }
  writer.EndObject();
  print(io, buffer);
  return kOk;
}

// ---------------------------------------------------------------------------------------
// fhirpath

int run_fhirpath(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments =
      parse_arguments(args, 1, {"resource", "max-bytes", "max-depth"}, {"var"});
  if (arguments.positional.size() != 1) {
    throw UsageError("fhirpath takes exactly one EXPRESSION (quote it for the shell)");
  }
  const std::string& text = arguments.positional.front();
  const fhir::JsonLimits limits = json_limits(arguments);

  // --var NAME=JSON: each value's document must outlive the evaluation, and stay in place:
  // a Value points at the document's root, so the vector must never reallocate.
  std::vector<fhir::JsonDocument> variable_documents;
  variable_documents.reserve(arguments.repeated.size());
  fhirpath::Environment environment;
  std::set<std::string, std::less<>> variable_names;
  for (const auto& [option, assignment] : arguments.repeated) {
    const std::size_t equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw UsageError("--var takes NAME=JSON, not \"" + assignment + "\"");
    }
    const std::string name = assignment.substr(0, equals);
    if (name.starts_with('%')) throw UsageError("--var " + name + ": give the name without '%'");
    if (!variable_names.insert(name).second) throw UsageError("--var " + name + " given twice");
    auto json = fhir::JsonDocument::parse(std::string_view(assignment).substr(equals + 1), limits);
    if (!json.ok()) {
      throw UsageError("--var " + name +
                       " is not JSON: " + json.problems().issues().front().message);
    }
    const fhir::JsonValue& root = variable_documents.emplace_back(std::move(json).value()).root();
    std::vector<fhirpath::Value> values;
    if (root.is_array()) {
      for (const fhir::JsonValue& item : root.items()) {
        if (!item.is_null()) values.push_back(fhirpath::Value::node(&item, nullptr));
      }
    } else if (!root.is_null()) {
      values.push_back(fhirpath::Value::node(&root, nullptr));
    }
    environment.set(name, std::move(values));
  }

  fhir::JsonDocument resource;
  if (const std::string* path = arguments.get("resource")) {
    auto content = fhir::read_bounded(*path, limits.max_bytes);
    if (!content.ok()) {
      const bool io_error = content.problems().issues().front().type == IssueType::exception;
      return fail(io, content.problems(), io_error ? kUsageOrIo : kInvalidInput,
                  *path + ": cannot read the resource");
    }
    auto json = fhir::JsonDocument::parse(content.value(), limits);
    if (!json.ok()) return fail(io, json.problems(), kInvalidInput, *path + ": not JSON");
    resource = std::move(json).value();
  }

  // A FHIR resource is read with the R4 model and its type as context (so the expression
  // is checked against the model); anything else (an input document, no resource at all)
  // is navigated as plain JSON.
  std::optional<fhir::Model> model;
  std::string_view context_type;
  if (const fhir::JsonValue* type = resource.root().find("resourceType");
      type != nullptr && type->is_string()) {
    auto r4 = fhir::Model::r4();
    if (!r4.ok()) return fail(io, r4.problems(), kUsageOrIo, "cannot load the FHIR R4 model");
    model = std::move(r4).value();
    context_type = type->as_string();
    // Otherwise a misspelt resourceType would silently lose the model's checks.
    const fhir::TypeInfo* info = model->type(context_type);
    if (info == nullptr || !info->is_resource()) {
      return fail(io,
                  Outcome::of(Severity::error, IssueType::value,
                              "resourceType \"" + std::string(context_type) +
                                  "\" is not a FHIR R4 resource type",
                              "/resourceType"),
                  kInvalidInput, "unknown resourceType");
    }
  }
  // The adapter's own functions are available here as in mappings and rules.
  fhirpath::FunctionRegistry functions;
  norway::add_calendar_functions(functions);
  auto expression = fhirpath::Expression::compile(
      text,
      {.model = model ? &*model : nullptr, .functions = &functions, .context_type = context_type});
  if (!expression.ok()) {
    return fail(io, expression.problems(), kInvalidInput, "invalid FHIRPath expression");
  }
  fhirpath::Evaluator evaluator;
  auto result = evaluator.evaluate(expression.value(), resource.root(), &environment);
  if (!result.ok()) return fail(io, result.problems(), kInvalidInput, "evaluation failed");
  io.out << fhirpath::to_json(result.value()) << '\n';
  return kOk;
}

// ---------------------------------------------------------------------------------------
// map, unmap

// The input document or Bundle named by the single positional argument.
Result<fhir::JsonDocument> read_single(const Arguments& arguments, std::string_view command) {
  if (arguments.positional.size() != 1) {
    throw UsageError(std::string(command) + " takes exactly one FILE (or -)");
  }
  const fhir::JsonLimits limits = json_limits(arguments);
  auto text = fhir::read_bounded(arguments.positional.front(), limits.max_bytes);
  if (!text.ok()) return text.problems();
  return fhir::JsonDocument::parse(text.value(), limits);
}

// Several documents in one process: one JSON line each, {"file":…,"bundle":{…}} or
// {"file":…,"outcome":{…}}. Exit 1 when any could not be mapped.
int map_files(const Arguments& arguments, const MappingContext& context, Streams io) {
  const fhir::JsonLimits limits = json_limits(arguments);
  map::Mapper mapper(*context.mappings);
  std::size_t failed = 0;
  for (const std::string& path : arguments.positional) {
    Outcome outcome;
    std::string bundle;
    if (auto text = fhir::read_bounded(path, limits.max_bytes); !text.ok()) {
      outcome = text.problems();
    } else if (auto json = fhir::JsonDocument::parse(*text, limits); !json.ok()) {
      outcome = json.problems();
    } else if (outcome = context.format->check(json->root()); !outcome.has_errors()) {
      auto mapped = mapper.map(json->root());
      if (mapped.ok()) {
        bundle = std::move(*mapped);
      } else {
        outcome = mapped.problems();
      }
    }
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> line(buffer);
    line.StartObject();
    line.Key("file");
    line.String(path.data(), static_cast<rapidjson::SizeType>(path.size()));
    if (bundle.empty()) {
      ++failed;
      const std::string rendered = outcome.to_json(false);
      line.Key("outcome");
      line.RawValue(rendered.data(), rendered.size(), rapidjson::kObjectType);
    } else {
      line.Key("bundle");
      line.RawValue(bundle.data(), bundle.size(), rapidjson::kObjectType);
    }
    line.EndObject();
    io.out << std::string_view(buffer.GetString(), buffer.GetSize()) << '\n';
  }
  io.err << "mapped " << arguments.positional.size() - failed << " of "
         << arguments.positional.size() << " documents\n";
  return failed > 0 ? kInvalidInput : kOk;
}

int run_map(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments =
      parse_arguments(args, 1, {"mappings", "profiles", "kinds", "max-bytes", "max-depth"});
  MappingContext context;
  if (auto problems = load_mapping_context(arguments, context)) {
    return fail(io, *problems, kUsageOrIo, "cannot load the mappings");
  }
  if (arguments.positional.size() > 1) return map_files(arguments, context, io);
  auto document = read_single(arguments, "map");
  if (!document.ok())
    return fail(io, document.problems(), kInvalidInput, "cannot read the document");
  const Outcome checked = context.format->check(document->root());
  if (checked.has_errors()) return fail(io, checked, kInvalidInput, "the document is invalid");
  map::Mapper mapper(*context.mappings);
  auto bundle = mapper.map(document->root());
  if (!bundle.ok()) return fail(io, bundle.problems(), kInvalidInput, "the mapping failed");
  print_pretty(io, *bundle);
  return kOk;
}

int run_unmap(const std::vector<std::string>& args, Streams io) {
  std::vector<std::string> rest;
  bool check = true;
  for (const std::string& arg : args) {
    if (arg == "--no-check") {
      check = false;
    } else {
      rest.push_back(arg);
    }
  }
  const Arguments arguments =
      parse_arguments(rest, 1, {"mappings", "profiles", "kinds", "max-bytes", "max-depth"});
  MappingContext context;
  if (auto problems = load_mapping_context(arguments, context)) {
    return fail(io, *problems, kUsageOrIo, "cannot load the mappings");
  }
  auto resource = read_single(arguments, "unmap");
  if (!resource.ok()) return fail(io, resource.problems(), kInvalidInput, "cannot read the input");
  map::Mapper mapper(*context.mappings);
  auto document = mapper.unmap(resource->root());
  if (!document.ok())
    return fail(io, document.problems(), kInvalidInput, "the reverse mapping failed");
  if (check) {
    auto parsed = fhir::JsonDocument::parse(*document);
    if (!parsed.ok()) return fail(io, parsed.problems(), kInvalidInput, "internal: not JSON");
    const Outcome checked = context.format->check(parsed->root());
    if (checked.has_errors()) {
      return fail(io, checked, kInvalidInput,
                  "the document read back from FHIR is not a valid input document (see "
                  "--no-check)");
    }
  }
  print_pretty(io, *document);
  return kOk;
}

// ---------------------------------------------------------------------------------------
// validate

int run_validate(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments =
      parse_arguments(args, 1, {"max-bytes", "max-depth", "profile", "profiles", "mappings"});
  if (arguments.positional.empty()) throw UsageError("validate needs at least one FILE (or -)");
  auto model = fhir::Model::r4();
  if (!model.ok()) return fail(io, model.problems(), kUsageOrIo, "cannot load the FHIR R4 model");
  const std::string folder = profiles_folder(arguments);
  auto profiles = validate::ProfileSet::load(folder, *model);
  if (!profiles.ok()) {
    return fail(io, profiles.problems(), kUsageOrIo, "cannot load the profiles in " + folder);
  }
  const std::string* profile = arguments.get("profile");
  if (profile != nullptr && !profiles->contains(*profile)) {
    return fail(io,
                Outcome::of(Severity::error, IssueType::not_found,
                            "the profile " + *profile + " is not in " + folder),
                kUsageOrIo, "unknown profile");
  }
  const validate::Validator validator(*model, &*profiles);
  const std::string_view requested = profile != nullptr ? std::string_view(*profile) : "";
  const FileTally tally = check_files(
      arguments, io,
      [&](const fhir::JsonValue& resource) { return validator.validate(resource, requested); },
      false);
  io.err << "validated " << arguments.positional.size()
         << (arguments.positional.size() == 1 ? " resource: " : " resources: ") << tally.valid
         << " without errors, " << tally.invalid << " with errors"
         << (tally.unreadable ? ", " + std::to_string(tally.unreadable) + " unreadable" : "")
         << '\n';
  return tally.exit_code();
}

int dispatch(const std::vector<std::string>& args, Streams io) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    io.out << kUsage;
    return args.empty() ? kUsageOrIo : kOk;
  }
  if (args[0] == "--version") {
    io.out << "fhir-adapter " << ADAPTER_VERSION << '\n';
    return kOk;
  }
  if (args.size() > 1 && (args[1] == "--help" || args[1] == "-h")) {
    io.out << kUsage;
    return kOk;
  }
  if (args[0] == "check") return run_check(args, io);
  if (args[0] == "id-check") return run_id_check(args, io);
  if (args[0] == "deadline") return run_deadline(args, io);
  if (args[0] == "fhirpath") return run_fhirpath(args, io);
  if (args[0] == "map") return run_map(args, io);
  if (args[0] == "unmap") return run_unmap(args, io);
  if (args[0] == "validate") return run_validate(args, io);
  if (args[0] == "send") return run_send(args, io);
  if (args[0] == "deliver") return run_deliver(args, io);
  if (args[0] == "outbox") return run_outbox(args, io);
  if (args[0] == "consent") return run_consent(args, io);
  throw UsageError("unknown command \"" + args[0] + "\" (see fhir-adapter --help)");
}

}  // namespace

int run(const std::vector<std::string>& args, Streams io) {
  try {
    return dispatch(args, io);
  } catch (const UsageError& error) {
    return fail(io, Outcome::of(Severity::error, IssueType::invalid, error.what()), kUsageOrIo,
                std::string(error.what()) + " (see fhir-adapter --help)");
  } catch (const std::bad_alloc&) {
    return fail(io, Outcome::of(Severity::fatal, IssueType::too_costly, "out of memory"),
                kUsageOrIo, "out of memory");
  } catch (const std::exception& error) {
    return fail(io, Outcome::of(Severity::fatal, IssueType::exception, error.what()), kUsageOrIo,
                std::string("internal error: ") + error.what());
  }
}

}  // namespace adapter::cli
