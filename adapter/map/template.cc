#include "adapter/map/template.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace adapter::map {
namespace {

using fhir::IssueType;
using fhir::JsonValue;
using fhirpath::Value;
using fhirpath::ValueKind;

constexpr std::size_t kMaxDepth = 200;  // template nesting incl. includes

std::string json_string(std::string_view text) {
  return fhir::to_json(JsonValue::unowned_string(text));
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

bool is_identifier(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

TemplateLibrary::TemplateLibrary(const fhirpath::CompileOptions& forward,
                                 const fhirpath::CompileOptions& reverse)
    : forward_(forward), reverse_(reverse) {}

std::string TemplateLibrary::where(int file, std::string_view pointer) const {
  return fmt::format("{} {}", files_[static_cast<std::size_t>(file)],
                     pointer.empty() ? "/" : pointer);
}

int TemplateLibrary::add_expression(std::string_view text, bool reverse, std::string_view file,
                                    std::string_view pointer, fhir::Outcome& problems) {
  auto compiled = fhirpath::Expression::compile(text, reverse ? reverse_ : forward_);
  if (!compiled) {
    for (const auto& issue : compiled.problems().issues()) {
      problems.error(IssueType::invalid, std::string(pointer),
                     fmt::format("{} {}: {} in \"{}\"", file, pointer.empty() ? "/" : pointer,
                                 issue.message, text));
    }
    return -1;
  }
  expressions_.push_back(std::make_unique<fhirpath::Expression>(std::move(compiled).value()));
  return static_cast<int>(expressions_.size() - 1);
}

const TemplateNode* TemplateLibrary::add(std::string file_name, const JsonValue& root, bool reverse,
                                         fhir::Outcome& problems) {
  files_.push_back(std::move(file_name));
  return compile(root, static_cast<int>(files_.size() - 1), "/template", reverse, problems);
}

void TemplateLibrary::add_fragment(std::string name, const TemplateNode* root) {
  fragments_[std::move(name)] = root;
}

TemplateNode* TemplateLibrary::compile(const JsonValue& json, int file, const std::string& pointer,
                                       bool reverse, fhir::Outcome& problems) {
  switch (json.kind()) {
    case fhir::JsonKind::string:
      return compile_string(json.as_string(), file, pointer, reverse, problems);
    case fhir::JsonKind::object:
      return compile_object(json, file, pointer, reverse, problems);
    case fhir::JsonKind::array: {
      TemplateNode& node = nodes_.emplace_back();
      node.kind = TemplateNode::Kind::array;
      node.file = file;
      node.pointer = pointer;
      std::size_t index = 0;
      for (const JsonValue& item : json.items()) {
        if (TemplateNode* child =
                compile(item, file, fmt::format("{}/{}", pointer, index++), reverse, problems)) {
          node.items.push_back(child);
        }
      }
      return &node;
    }
    default: {
      TemplateNode& node = nodes_.emplace_back();
      node.kind = TemplateNode::Kind::literal;
      node.literal = fhir::to_json(json);
      node.file = file;
      node.pointer = pointer;
      return &node;
    }
  }
}

TemplateNode* TemplateLibrary::compile_string(std::string_view text, int file,
                                              const std::string& pointer, bool reverse,
                                              fhir::Outcome& problems) {
  TemplateNode& node = nodes_.emplace_back();
  node.file = file;
  node.pointer = pointer;
  if (text.find("{{") == std::string_view::npos) {
    node.kind = TemplateNode::Kind::literal;
    node.literal = json_string(text);
    return &node;
  }
  // Split into text and {{ expression }} parts.
  std::vector<std::pair<std::string, std::string>> pieces;  // (text before, expression)
  std::string pending;
  std::size_t at = 0;
  bool ok = true;
  while (at < text.size()) {
    const std::size_t open = text.find("{{", at);
    if (open == std::string_view::npos) {
      pending.append(text.substr(at));
      break;
    }
    pending.append(text.substr(at, open - at));
    // The closing braces are the first "}}" outside a quoted string literal.
    std::size_t close = std::string_view::npos;
    char quote = 0;
    for (std::size_t i = open + 2; i + 1 < text.size(); ++i) {
      const char c = text[i];
      if (quote != 0) {
        if (c == '\\') {
          ++i;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '`') {
        quote = c;
      } else if (c == '}' && text[i + 1] == '}') {
        close = i;
        break;
      }
    }
    if (close == std::string_view::npos) {
      problems.error(IssueType::invalid, pointer,
                     fmt::format("{}: \"{{{{\" without a closing \"}}}}\" in \"{}\"",
                                 where(file, pointer), text));
      ok = false;
      break;
    }
    pieces.emplace_back(std::move(pending),
                        std::string(trim(text.substr(open + 2, close - open - 2))));
    pending.clear();
    at = close + 2;
  }
  if (!ok) return nullptr;
  for (auto& [before, expression_text] : pieces) {
    if (expression_text.empty()) {
      problems.error(IssueType::invalid, pointer,
                     fmt::format("{}: empty \"{{{{ }}}}\" in \"{}\"", where(file, pointer), text));
      return nullptr;
    }
  }
  if (pieces.size() == 1 && pieces[0].first.empty() && pending.empty()) {
    node.kind = TemplateNode::Kind::expression;
    node.expression = add_expression(pieces[0].second, reverse,
                                     files_[static_cast<std::size_t>(file)], pointer, problems);
    return node.expression < 0 ? nullptr : &node;
  }
  node.kind = TemplateNode::Kind::interpolation;
  for (auto& [before, expression_text] : pieces) {
    TemplateNode::Part part;
    part.text = before;
    part.expression = add_expression(expression_text, reverse,
                                     files_[static_cast<std::size_t>(file)], pointer, problems);
    if (part.expression < 0) ok = false;
    node.parts.push_back(std::move(part));
  }
  if (!pending.empty()) node.parts.push_back({pending, -1});
  // Part texts are stored raw; they are escaped when the whole string is written.
  return ok ? &node : nullptr;
}

TemplateNode* TemplateLibrary::compile_object(const JsonValue& json, int file,
                                              const std::string& pointer, bool reverse,
                                              fhir::Outcome& problems) {
  TemplateNode& node = nodes_.emplace_back();
  node.kind = TemplateNode::Kind::object;
  node.file = file;
  node.pointer = pointer;
  const std::string& file_name = files_[static_cast<std::size_t>(file)];
  bool ok = true;
  bool has_plain_members = false;
  for (const fhir::JsonMember& member : json.members()) {
    const std::string member_pointer = pointer + "/" + fhir::pointer_token(member.key);
    if (member.key.empty() || member.key[0] != '$') {
      has_plain_members = true;
      TemplateNode* child = compile(member.value, file, member_pointer, reverse, problems);
      if (child == nullptr) {
        ok = false;
        continue;
      }
      node.members.push_back({json_string(member.key) + ":", child});
      continue;
    }
    auto expect_string = [&](std::string_view directive) -> std::string_view {
      if (!member.value.is_string()) {
        problems.error(
            IssueType::invalid, member_pointer,
            fmt::format("{}: {} takes a string", where(file, member_pointer), directive));
        ok = false;
        return {};
      }
      return member.value.as_string();
    };
    if (member.key == "$for") {
      const std::string_view text = expect_string("$for");
      const std::size_t in = text.find(" in ");
      const std::string_view name = in == std::string_view::npos ? "" : trim(text.substr(0, in));
      if (!is_identifier(name)) {
        problems.error(IssueType::invalid, member_pointer,
                       fmt::format("{}: $for is \"name in expression\", found \"{}\"",
                                   where(file, member_pointer), text));
        ok = false;
        continue;
      }
      node.for_variable = std::string(name);
      node.for_index_variable = node.for_variable + "Index";
      node.for_expression =
          add_expression(trim(text.substr(in + 4)), reverse, file_name, member_pointer, problems);
      ok = ok && node.for_expression >= 0;
    } else if (member.key == "$let") {
      if (!member.value.is_object()) {
        problems.error(IssueType::invalid, member_pointer,
                       fmt::format("{}: $let takes an object of name: expression",
                                   where(file, member_pointer)));
        ok = false;
        continue;
      }
      for (const fhir::JsonMember& let : member.value.members()) {
        const std::string let_pointer = member_pointer + "/" + fhir::pointer_token(let.key);
        if (!is_identifier(let.key) || !let.value.is_string()) {
          problems.error(
              IssueType::invalid, let_pointer,
              fmt::format("{}: a $let member is name: \"expression\"", where(file, let_pointer)));
          ok = false;
          continue;
        }
        const int index =
            add_expression(let.value.as_string(), reverse, file_name, let_pointer, problems);
        ok = ok && index >= 0;
        node.lets.push_back({std::string(let.key), index});
      }
    } else if (member.key == "$if") {
      node.if_expression =
          add_expression(expect_string("$if"), reverse, file_name, member_pointer, problems);
      ok = ok && node.if_expression >= 0;
    } else if (member.key == "$include") {
      node.include = std::string(expect_string("$include"));
    } else if (member.key == "$comment") {
      // A note for people reading the template; ignored.
    } else if (member.key == "$merge") {
      node.merge = std::string(expect_string("$merge"));
    } else if (member.key == "$value") {
      node.value = compile(member.value, file, member_pointer, reverse, problems);
      ok = ok && node.value != nullptr;
    } else {
      problems.error(IssueType::invalid, member_pointer,
                     fmt::format("{}: unknown directive \"{}\" (known: $for, $let, $if, $include, "
                                 "$merge, $value, $comment)",
                                 where(file, member_pointer), member.key));
      ok = false;
    }
  }
  const bool include = !node.include.empty();
  const bool value = node.value != nullptr;
  if (include || value) {
    if (has_plain_members || !node.merge.empty() || (include && value)) {
      problems.error(IssueType::invalid, pointer,
                     fmt::format("{}: an object with {} has no other members than $for, $let, $if",
                                 where(file, pointer), include ? "$include" : "$value"));
      ok = false;
    }
    node.kind = include ? TemplateNode::Kind::include : TemplateNode::Kind::value;
  }
  return ok ? &node : nullptr;
}

bool TemplateLibrary::link_node(TemplateNode& node, std::vector<const TemplateNode*>& stack,
                                fhir::Outcome& problems) {
  // Depth-first over include/merge edges, to find fragments that include themselves.
  bool ok = true;
  auto visit = [&](const TemplateNode* target, std::string_view directive, std::string_view name) {
    if (target == nullptr) return;
    if (std::find(stack.begin(), stack.end(), target) != stack.end()) {
      problems.error(IssueType::invalid, node.pointer,
                     fmt::format("{}: {} \"{}\" includes itself", where(node.file, node.pointer),
                                 directive, name));
      ok = false;
      return;
    }
    stack.push_back(target);
    ok = link_node(const_cast<TemplateNode&>(*target), stack, problems) && ok;  // NOLINT
    stack.pop_back();
  };
  visit(node.include_target, "$include", node.include);
  visit(node.merge_target, "$merge", node.merge);
  for (auto& member : node.members)
    ok = ok && link_node(*member.node, stack, problems);
  for (TemplateNode* item : node.items)
    ok = ok && link_node(*item, stack, problems);
  if (node.value != nullptr) ok = ok && link_node(*node.value, stack, problems);
  return ok;
}

void TemplateLibrary::link(fhir::Outcome& problems) {
  bool names_ok = true;
  for (TemplateNode& node : nodes_) {
    auto resolve = [&](const std::string& name, const TemplateNode*& target,
                       std::string_view directive) {
      if (name.empty()) return;
      const auto found = fragments_.find(name);
      if (found == fragments_.end()) {
        problems.error(IssueType::not_found, node.pointer,
                       fmt::format("{}: {} names the fragment \"{}\", which does not exist",
                                   where(node.file, node.pointer), directive, name));
        names_ok = false;
        return;
      }
      target = found->second;
    };
    resolve(node.include, node.include_target, "$include");
    resolve(node.merge, node.merge_target, "$merge");
    if (node.merge_target != nullptr && node.merge_target->kind != TemplateNode::Kind::object) {
      problems.error(IssueType::invalid, node.pointer,
                     fmt::format("{}: $merge needs a fragment whose template is an object",
                                 where(node.file, node.pointer)));
      node.merge_target = nullptr;
      names_ok = false;
    }
  }
  if (!names_ok) return;
  for (auto& [name, root] : fragments_) {
    std::vector<const TemplateNode*> stack{root};
    if (!link_node(const_cast<TemplateNode&>(*root), stack, problems)) return;  // NOLINT
  }
}

// ---------------------------------------------------------------------------------------------

std::optional<bool> as_boolean(const Value& value) {
  if (value.kind() == ValueKind::boolean) return value.as_bool();
  if (value.is_node() && value.json() != nullptr && value.json()->is_bool()) {
    return value.json()->as_bool();
  }
  return std::nullopt;
}

Renderer::Renderer(const TemplateLibrary& library, fhirpath::Evaluator& evaluator,
                   fhirpath::Environment& environment)
    : library_(library), evaluator_(evaluator), environment_(environment) {}

void Renderer::start(const Value& focus, const JsonValue& root) {
  focus_ = focus;
  root_ = &root;
  kept_strings_.clear();
  kept_quantities_.clear();
  problems_ = {};
  depth_ = 0;
}

void Renderer::fail(const TemplateNode& node, std::string message, int expression) {
  std::string text = fmt::format("{} {}: {}", library_.file(node.file), node.pointer, message);
  if (expression >= 0) {
    text += fmt::format(" (expression \"{}\")", library_.expression(expression).text());
  }
  problems_.error(IssueType::processing, node.pointer, std::move(text));
}

Value Renderer::keep(const Value& value) {
  switch (value.kind()) {
    case ValueKind::string:
      return Value::of(std::string_view(kept_strings_.emplace_back(value.as_string())));
    case ValueKind::quantity:
      return Value::of(&kept_quantities_.emplace_back(value.as_quantity()));
    default:
      return value;
  }
}

std::optional<fhirpath::Collection> Renderer::evaluate_now(int expression,
                                                           const TemplateNode* where) {
  auto result = evaluator_.evaluate(library_.expression(expression), focus_, *root_, &environment_);
  if (!result) {
    std::string message;
    for (const auto& issue : result.problems().issues()) {
      if (!message.empty()) message += "; ";
      message += issue.message;
    }
    if (where != nullptr) {
      fail(*where, message, expression);
    } else {
      problems_.error(
          IssueType::processing, "",
          fmt::format("{} (expression \"{}\")", message, library_.expression(expression).text()));
    }
    return std::nullopt;
  }
  return *result;
}

bool Renderer::evaluate(int expression, std::vector<Value>& out, const TemplateNode* where) {
  out.clear();
  const auto result = evaluate_now(expression, where);
  if (!result) return false;
  out.reserve(result->size());
  for (const Value& value : *result)
    out.push_back(keep(value));
  return true;
}

bool Renderer::bind(std::string name, int expression) {
  std::vector<Value> values;
  if (!evaluate(expression, values, nullptr)) return false;
  environment_.set(std::move(name), std::move(values));
  return true;
}

bool Renderer::render(const TemplateNode& node, std::string& out) {
  return render_value(node, out);
}

template <class Body>
bool Renderer::with_scope(const TemplateNode& node, Body&& body) {
  // Variables shadow outer ones of the same name until the object is done.
  std::size_t pushed = 0;
  auto leave = [&] {
    for (; pushed > 0; --pushed)
      environment_.pop();
  };
  for (const auto& let : node.lets) {
    std::vector<Value> values;
    if (!evaluate(let.expression, values, &node)) {
      leave();
      return false;
    }
    environment_.push(let.name, std::move(values));
    ++pushed;
  }
  bool keep_going = true;
  if (node.if_expression >= 0) {
    const auto condition = evaluate_now(node.if_expression, &node);
    if (!condition || condition->empty()) {
      keep_going = false;
    } else if (const auto truth =
                   condition->size() == 1 ? as_boolean((*condition)[0]) : std::nullopt;
               !truth) {
      fail(node, "$if must give true, false or nothing", node.if_expression);
      keep_going = false;
    } else {
      keep_going = *truth;
    }
  }
  const bool produced = keep_going && body();
  leave();
  return produced;
}

bool Renderer::render_object_members(const TemplateNode& node, std::string& out, bool& any) {
  if (node.merge_target != nullptr) {
    with_scope(*node.merge_target,
               [&] { return render_object_members(*node.merge_target, out, any); });
  }
  for (const auto& member : node.members) {
    const std::size_t mark = out.size();
    if (any) out.push_back(',');
    out.append(member.key_json);
    if (render_value(*member.node, out)) {
      any = true;
    } else {
      out.resize(mark);
    }
  }
  return any;
}

bool Renderer::render_value(const TemplateNode& node, std::string& out) {
  if (++depth_ > kMaxDepth) {
    fail(node, fmt::format("templates nest deeper than {} levels", kMaxDepth));
    --depth_;
    return false;
  }
  struct Leave {
    std::size_t& depth;
    ~Leave() { --depth; }
  } leave{depth_};
  if (node.for_expression >= 0) {
    fail(node, "$for is only allowed on an array element");
    return false;
  }
  switch (node.kind) {
    case TemplateNode::Kind::literal:
      out.append(node.literal);
      return true;
    case TemplateNode::Kind::expression: {
      const auto values = evaluate_now(node.expression, &node);
      if (!values || values->empty()) return false;
      if (values->size() > 1) {
        fail(node, fmt::format("{} values where one is expected", values->size()), node.expression);
        return false;
      }
      const Value& value = (*values)[0];
      if (value.kind() == ValueKind::quantity) {
        fail(node, "a Quantity has no JSON form here; write its value and unit", node.expression);
        return false;
      }
      if (value.is_node() && value.json() == nullptr) return false;  // only _element
      fhirpath::append_json(value, out);
      return true;
    }
    case TemplateNode::Kind::interpolation: {
      std::string text;
      for (const auto& part : node.parts) {
        text.append(part.text);
        if (part.expression < 0) continue;
        const auto values = evaluate_now(part.expression, &node);
        if (!values || values->empty()) return false;
        if (values->size() > 1) {
          fail(node, fmt::format("{} values where one is expected", values->size()),
               part.expression);
          return false;
        }
        auto piece = fhirpath::to_string((*values)[0]);
        if (!piece) {
          fail(node, "an object cannot be written into text", part.expression);
          return false;
        }
        text.append(*piece);
      }
      out.append(json_string(text));
      return true;
    }
    case TemplateNode::Kind::array: {
      const std::size_t mark = out.size();
      out.push_back('[');
      std::size_t count = 0;
      for (const TemplateNode* item : node.items)
        render_elements(*item, out, count);
      if (count == 0) {
        out.resize(mark);
        return false;
      }
      out.push_back(']');
      return true;
    }
    case TemplateNode::Kind::object:
      return with_scope(node, [&] {
        const std::size_t mark = out.size();
        out.push_back('{');
        bool any = false;
        render_object_members(node, out, any);
        if (!any) {
          out.resize(mark);
          return false;
        }
        out.push_back('}');
        return true;
      });
    case TemplateNode::Kind::include:
      return with_scope(node, [&] {
        return node.include_target != nullptr && render_value(*node.include_target, out);
      });
    case TemplateNode::Kind::value:
      return with_scope(node, [&] { return render_value(*node.value, out); });
  }
  return false;
}

void Renderer::render_one_element(const TemplateNode& node, std::string& out, std::size_t& count) {
  // In an array, includes and $value that are arrays add all their elements.
  auto splice = [&](const TemplateNode& inner) {
    if (inner.kind == TemplateNode::Kind::array && inner.for_expression < 0 && inner.lets.empty() &&
        inner.if_expression < 0) {
      for (const TemplateNode* item : inner.items)
        render_elements(*item, out, count);
      return true;
    }
    render_elements(inner, out, count);
    return true;
  };
  switch (node.kind) {
    case TemplateNode::Kind::include:
      with_scope(node,
                 [&] { return node.include_target != nullptr && splice(*node.include_target); });
      return;
    case TemplateNode::Kind::value:
      with_scope(node, [&] { return splice(*node.value); });
      return;
    case TemplateNode::Kind::expression: {
      const auto values = evaluate_now(node.expression, &node);
      if (!values) return;
      for (const Value& value : *values) {
        if (value.kind() == ValueKind::quantity) {
          fail(node, "a Quantity has no JSON form here; write its value and unit", node.expression);
          return;
        }
        if (value.is_node() && value.json() == nullptr) continue;
        if (count++ > 0) out.push_back(',');
        fhirpath::append_json(value, out);
      }
      return;
    }
    default: {
      const std::size_t mark = out.size();
      if (count > 0) out.push_back(',');
      if (render_value(node, out)) {
        ++count;
      } else {
        out.resize(mark);
      }
      return;
    }
  }
}

void Renderer::render_elements(const TemplateNode& node, std::string& out, std::size_t& count) {
  if (node.for_expression < 0) {
    render_one_element(node, out, count);
    return;
  }
  std::vector<Value> items;
  if (!evaluate(node.for_expression, items, &node)) return;
  // The object is rendered once per item with its $for ignored (the loop is here).
  for (std::size_t i = 0; i < items.size(); ++i) {
    environment_.push(node.for_variable, {items[i]});
    environment_.push(node.for_index_variable, {Value::of(static_cast<std::int64_t>(i))});
    if (node.kind == TemplateNode::Kind::include || node.kind == TemplateNode::Kind::value) {
      render_one_element(node, out, count);
    } else {
      const std::size_t mark = out.size();
      if (count > 0) out.push_back(',');
      ++depth_;
      const bool produced = with_scope(node, [&] {
        out.push_back('{');
        bool any = false;
        render_object_members(node, out, any);
        if (!any) return false;
        out.push_back('}');
        return true;
      });
      --depth_;
      if (produced) {
        ++count;
      } else {
        out.resize(mark);
      }
    }
    environment_.pop();
    environment_.pop();
  }
}

}  // namespace adapter::map
