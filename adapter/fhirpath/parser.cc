// Recursive-descent parser for the FHIRPath grammar (normative release), with the
// precedence table of the specification, from tightest to loosest:
//   . []  |  unary + -  |  * / div mod  |  + - &  |  is as  |  '|'  |  < > <= >=
//   |  = ~ != !~  |  in contains  |  and  |  or xor  |  implies
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <unordered_map>

#include "adapter/fhirpath/context.h"
#include "adapter/fhirpath/lexer.h"

namespace adapter::fhirpath {
namespace detail {
namespace {

using NodePtr = std::unique_ptr<Node>;

// A set of possible FHIR types for compile-time checking; `open` means "unknown: do not
// check" (untyped input, Resource-typed elements, functions whose type we don't track).
struct StaticType {
  bool open = true;
  bool unordered = false;  // from children()/descendants(): order is not defined
  std::vector<const fhir::TypeInfo*> types;
  static StaticType unknown() { return {}; }
  static StaticType of(const fhir::TypeInfo* type) {
    StaticType t;
    t.open = false;
    t.types.push_back(type);
    return t;
  }
};

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, const CompileOptions& options,
         Expression::Compiled& compiled)
      : text_(text), tokens_(std::move(tokens)), options_(options), compiled_(compiled) {}

  fhir::Result<NodePtr> parse() {
    NodePtr root = expression();
    if (root && current().kind != TokenKind::end) {
      fail(current().position,
           fmt::format("unexpected '{}' after the end of the expression", current().text));
      root.reset();
    }
    if (!root) {
      return fhir::Outcome::of(fhir::Severity::error, fhir::IssueType::invalid,
                               fmt::format("FHIRPath {} error at {}: {}", error_kind_,
                                           describe_position(text_, error_at_), error_));
    }
    if (options_.model != nullptr) {
      // With a known context type the checks are strict (errors); without one, the same
      // pass still resolves element look-ups where the type is certain, for speed.
      const fhir::TypeInfo* context =
          options_.context_type.empty() ? nullptr : options_.model->type(options_.context_type);
      strict_ = context != nullptr;
      error_kind_ = "semantic";
      const StaticType input = context != nullptr ? StaticType::of(context) : StaticType();
      if (!check(*root, input, input)) {
        return fhir::Outcome::of(fhir::Severity::error, fhir::IssueType::invalid,
                                 fmt::format("FHIRPath semantic error at {}: {}",
                                             describe_position(text_, error_at_), error_));
      }
    }
    return root;
  }

 private:
  const Token& current() const { return tokens_[at_]; }
  const Token& ahead(std::size_t n) const { return tokens_[std::min(at_ + n, tokens_.size() - 1)]; }
  bool is_symbol(std::string_view symbol) const {
    return current().kind == TokenKind::symbol && current().text == symbol;
  }
  bool is_word(std::string_view word) const {
    return current().kind == TokenKind::identifier && !current().delimited &&
           current().text == word;
  }
  std::nullptr_t fail(std::uint32_t position, std::string message) {
    if (error_.empty()) {
      error_at_ = position;
      error_ = std::move(message);
    }
    return nullptr;
  }
  bool expect(std::string_view symbol) {
    if (is_symbol(symbol)) {
      ++at_;
      return true;
    }
    fail(current().position,
         current().kind == TokenKind::end
             ? fmt::format("expected '{}' but the expression ended", symbol)
             : fmt::format("expected '{}' but found '{}'", symbol, current().text));
    return false;
  }

  static NodePtr make(NodeKind kind, std::uint32_t position) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->position = position;
    return node;
  }
  NodePtr binary(Op op, std::uint32_t position, NodePtr lhs, NodePtr rhs) {
    NodePtr node = make(NodeKind::binary, position);
    node->op = op;
    node->args.push_back(std::move(lhs));
    node->args.push_back(std::move(rhs));
    return bounded(std::move(node));
  }
  // Every node's subtree height is recorded and bounded, so that neither evaluation nor
  // destruction (both recursive) can exhaust the stack on a long chain like 1+1+1+…
  NodePtr bounded(NodePtr node) {
    std::uint32_t height = 0;
    if (node->focus) height = node->focus->depth;
    for (const auto& arg : node->args)
      height = std::max(height, arg->depth);
    node->depth = height + 1;
    if (node->depth > kMaxTreeDepth) {
      return fail(node->position, "expression nested too deeply");
    }
    return node;
  }

  NodePtr expression() {
    if (++depth_ > kMaxDepth) return fail(current().position, "expression nested too deeply");
    NodePtr result = implies();
    --depth_;
    return result;
  }

  NodePtr implies() {
    NodePtr lhs = or_expression();
    while (lhs && is_word("implies")) {
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr rhs = or_expression();
      if (!rhs) return nullptr;
      lhs = binary(Op::implies, at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  NodePtr or_expression() {
    NodePtr lhs = and_expression();
    while (lhs && (is_word("or") || is_word("xor"))) {
      const Op op = is_word("or") ? Op::or_ : Op::xor_;
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr rhs = and_expression();
      if (!rhs) return nullptr;
      lhs = binary(op, at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  NodePtr and_expression() {
    NodePtr lhs = membership();
    while (lhs && is_word("and")) {
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr rhs = membership();
      if (!rhs) return nullptr;
      lhs = binary(Op::and_, at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  NodePtr membership() {
    NodePtr lhs = equality();
    while (lhs && (is_word("in") || is_word("contains"))) {
      const Op op = is_word("in") ? Op::in : Op::contains;
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr rhs = equality();
      if (!rhs) return nullptr;
      lhs = binary(op, at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  NodePtr equality() {
    NodePtr lhs = comparison();
    while (lhs) {
      Op op;
      if (is_symbol("="))
        op = Op::equal;
      else if (is_symbol("~"))
        op = Op::equivalent;
      else if (is_symbol("!="))
        op = Op::not_equal;
      else if (is_symbol("!~"))
        op = Op::not_equivalent;
      else
        break;
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr rhs = comparison();
      if (!rhs) return nullptr;
      lhs = binary(op, at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  NodePtr comparison() {
    NodePtr lhs = union_expression();
    while (lhs) {
      Op op;
      if (is_symbol("<"))
        op = Op::less;
      else if (is_symbol(">"))
        op = Op::greater;
      else if (is_symbol("<="))
        op = Op::less_equal;
      else if (is_symbol(">="))
        op = Op::greater_equal;
      else
        break;
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr rhs = union_expression();
      if (!rhs) return nullptr;
      lhs = binary(op, at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  NodePtr union_expression() {
    NodePtr lhs = type_expression();
    while (lhs && is_symbol("|")) {
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr rhs = type_expression();
      if (!rhs) return nullptr;
      lhs = binary(Op::union_, at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  NodePtr type_expression() {
    NodePtr lhs = additive();
    while (lhs && (is_word("is") || is_word("as"))) {
      const Op op = is_word("is") ? Op::is : Op::as;
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr node = make(NodeKind::binary, at);
      node->op = op;
      if (!type_specifier(node->type)) return nullptr;
      node->args.push_back(std::move(lhs));
      lhs = bounded(std::move(node));
    }
    return lhs;
  }
  NodePtr additive() {
    NodePtr lhs = multiplicative();
    while (lhs) {
      Op op;
      if (is_symbol("+"))
        op = Op::add;
      else if (is_symbol("-"))
        op = Op::subtract;
      else if (is_symbol("&"))
        op = Op::concatenate;
      else
        break;
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr rhs = multiplicative();
      if (!rhs) return nullptr;
      lhs = binary(op, at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  NodePtr multiplicative() {
    NodePtr lhs = unary();
    while (lhs) {
      Op op;
      if (is_symbol("*"))
        op = Op::multiply;
      else if (is_symbol("/"))
        op = Op::divide;
      else if (is_word("div"))
        op = Op::int_divide;
      else if (is_word("mod"))
        op = Op::modulo;
      else
        break;
      const std::uint32_t at = current().position;
      ++at_;
      NodePtr rhs = unary();
      if (!rhs) return nullptr;
      lhs = binary(op, at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  NodePtr unary() {
    if (is_symbol("+") || is_symbol("-")) {
      const bool negate = is_symbol("-");
      const std::uint32_t at = current().position;
      ++at_;
      if (++depth_ > kMaxDepth) return fail(at, "expression nested too deeply");
      NodePtr operand = unary();
      --depth_;
      if (!operand) return nullptr;
      // Fold a negated number literal, so -5 is a literal (and -5 'mg' a quantity).
      if (negate && operand->kind == NodeKind::literal) {
        Value& v = operand->literal;
        if (v.kind() == ValueKind::integer) {
          v = Value::of(-v.as_integer());
          operand->position = at;
          return operand;
        }
        if (v.kind() == ValueKind::decimal) {
          Decimal d = v.as_decimal();
          d.value = -d.value;
          v = Value::of(d);
          operand->position = at;
          return operand;
        }
      }
      NodePtr node = make(NodeKind::unary, at);
      node->op = negate ? Op::negate : Op::plus;
      node->args.push_back(std::move(operand));
      return bounded(std::move(node));
    }
    return postfix();
  }
  NodePtr postfix() {
    NodePtr focus = term();
    while (focus) {
      if (is_symbol(".")) {
        ++at_;
        NodePtr next = invocation();
        if (!next) return nullptr;
        next->focus = std::move(focus);
        focus = bounded(std::move(next));
      } else if (is_symbol("[")) {
        const std::uint32_t at = current().position;
        ++at_;
        NodePtr index = expression();
        if (!index || !expect("]")) return nullptr;
        NodePtr node = make(NodeKind::indexer, at);
        node->focus = std::move(focus);
        node->args.push_back(std::move(index));
        focus = bounded(std::move(node));
      } else {
        break;
      }
    }
    return focus;
  }

  NodePtr term() {
    const Token& token = current();
    switch (token.kind) {
      case TokenKind::end:
        return fail(token.position, "the expression ended where a term was expected");
      case TokenKind::string: {
        NodePtr node = make(NodeKind::literal, token.position);
        node->literal = Value::of(std::string_view(compiled_.strings.emplace_back(token.value)));
        ++at_;
        return node;
      }
      case TokenKind::integer:
      case TokenKind::long_integer:
      case TokenKind::decimal:
        return number();
      case TokenKind::date_time:
        return temporal();
      case TokenKind::variable: {
        NodePtr node = make(NodeKind::variable, token.position);
        node->name = token.value;
        ++at_;
        return node;
      }
      case TokenKind::identifier:
        if (!token.delimited && (token.text == "true" || token.text == "false") &&
            !(ahead(1).kind == TokenKind::symbol && ahead(1).text == "(")) {
          NodePtr node = make(NodeKind::literal, token.position);
          node->literal = Value::of(token.text == "true");
          ++at_;
          return node;
        }
        return invocation();
      case TokenKind::special:
        return invocation();
      case TokenKind::symbol:
        if (token.text == "(") {
          ++at_;
          NodePtr inner = expression();
          if (!inner || !expect(")")) return nullptr;
          return inner;
        }
        if (token.text == "{") {
          const std::uint32_t at = token.position;
          ++at_;
          if (!expect("}")) return nullptr;
          return make(NodeKind::empty, at);
        }
        return fail(token.position, fmt::format("unexpected '{}'", token.text));
    }
    return fail(token.position, "unexpected token");
  }

  NodePtr number() {
    const Token& token = current();
    NodePtr node = make(NodeKind::literal, token.position);
    if (token.kind == TokenKind::decimal) {
      auto d = Decimal::parse(token.text);
      if (!d) return fail(token.position, fmt::format("'{}' is not a valid decimal", token.text));
      node->literal = Value::of(*d);
    } else {
      std::int64_t value = 0;
      const auto [end, ec] =
          std::from_chars(token.text.data(), token.text.data() + token.text.size(), value);
      if (ec != std::errc() || end != token.text.data() + token.text.size()) {
        return fail(token.position, fmt::format("integer '{}' is out of range", token.text));
      }
      if (token.kind == TokenKind::integer && value > 2147483647) {
        // FHIRPath Integer is 32-bit; larger integral literals are decimals (as in the
        // suite's 1234567890987654321.0) unless written as a Long (…L).
        node->literal = Value::of(Decimal{static_cast<double>(value), 0});
      } else {
        node->literal = Value::of(value);
      }
    }
    ++at_;
    // A quantity: number followed by a 'unit' string or a calendar-duration keyword.
    const Token& next = current();
    const bool unit_string = next.kind == TokenKind::string;
    const bool calendar_word =
        next.kind == TokenKind::identifier && !next.delimited && is_calendar_keyword(next.text);
    if (token.kind != TokenKind::long_integer && (unit_string || calendar_word)) {
      Quantity quantity;
      quantity.value = node->literal.kind() == ValueKind::integer
                           ? Decimal::of_integer(node->literal.as_integer())
                           : node->literal.as_decimal();
      quantity.unit = unit_string ? next.value : std::string(next.text);
      node->literal = Value::of(&compiled_.quantities.emplace_back(std::move(quantity)));
      ++at_;
    }
    return node;
  }

  NodePtr temporal() {
    const Token& token = current();
    std::optional<Temporal> value;
    if (!token.text.empty() && token.text.front() == 'T') {
      value = Temporal::parse_time(token.text.substr(1));
    } else if (token.text.find('T') != std::string_view::npos) {
      value = Temporal::parse_datetime(token.text);
    } else {
      value = Temporal::parse_date(token.text);
    }
    if (!value) {
      return fail(token.position, fmt::format("'@{}' is not a valid date/time", token.text));
    }
    NodePtr node = make(NodeKind::literal, token.position);
    node->literal = Value::of(*value);
    ++at_;
    return node;
  }

  NodePtr invocation() {
    const Token& token = current();
    if (token.kind == TokenKind::special) {
      NodeKind kind = NodeKind::this_var;
      if (token.text == "$index") kind = NodeKind::index_var;
      if (token.text == "$total") kind = NodeKind::total_var;
      NodePtr node = make(kind, token.position);
      ++at_;
      return node;
    }
    if (token.kind != TokenKind::identifier) {
      return fail(token.position, token.kind == TokenKind::end
                                      ? std::string("the expression ended after '.'")
                                      : fmt::format("expected a name but found '{}'", token.text));
    }
    const std::uint32_t at = token.position;
    std::string name = token.value;
    ++at_;
    if (!is_symbol("(")) {
      NodePtr node = make(NodeKind::member, at);
      // A capitalised name may be a type at the start of a path (Patient.name): resolve it
      // now rather than per evaluation.
      if (options_.model != nullptr && std::isupper(static_cast<unsigned char>(name[0]))) {
        node->type.fhir_type = options_.model->type(name);
      }
      node->name = std::move(name);
      return node;
    }
    ++at_;
    NodePtr node = make(NodeKind::function, at);
    node->name = std::move(name);
    node->builtin = find_builtin(node->name);
    if (node->builtin == nullptr && options_.functions != nullptr) {
      node->custom = options_.functions->find(node->name);
    }
    if (node->builtin == nullptr && node->custom == nullptr) {
      return fail(at, fmt::format("unknown function '{}'", node->name));
    }
    if (node->builtin != nullptr && node->builtin->arg_kind == ArgKind::type) {
      if (!type_specifier(node->type) || !expect(")")) return nullptr;
      return check_arity(std::move(node), 1);
    }
    if (!is_symbol(")")) {
      while (true) {
        NodePtr arg = expression();
        if (!arg) return nullptr;
        node->args.push_back(std::move(arg));
        if (is_symbol(",")) {
          ++at_;
          continue;
        }
        break;
      }
    }
    if (!expect(")")) return nullptr;
    return check_arity(std::move(node), node->args.size());
  }

  NodePtr check_arity(NodePtr node, std::size_t count) {
    const int min = node->builtin ? node->builtin->min_args : node->custom->min_args;
    const int max = node->builtin ? node->builtin->max_args : node->custom->max_args;
    const auto n = static_cast<int>(count);
    if (n < min || n > max) {
      const std::string expected =
          min == max ? fmt::format("{}", min) : fmt::format("{} to {}", min, max);
      return fail(node->position,
                  fmt::format("function '{}' takes {} argument{}, not {}", node->name, expected,
                              max == 1 && min == max ? "" : "s", n));
    }
    return bounded(std::move(node));
  }

  // Type names: Patient, FHIR.Patient, System.Integer, FHIR.`Patient`.
  bool type_specifier(TypeSpec& type) {
    if (current().kind != TokenKind::identifier) {
      fail(current().position, "expected a type name");
      return false;
    }
    std::string first = current().value;
    ++at_;
    if ((first == "FHIR" || first == "System") && is_symbol(".") &&
        ahead(1).kind == TokenKind::identifier) {
      ++at_;
      type.ns = first == "FHIR" ? TypeSpec::Namespace::fhir : TypeSpec::Namespace::system;
      type.name = current().value;
      ++at_;
    } else {
      type.name = std::move(first);
    }
    if (options_.model != nullptr && type.ns != TypeSpec::Namespace::system) {
      type.fhir_type = options_.model->type(type.name);
    }
    return true;
  }

  // ---- compile-time checks against the model (only with a known context type) ----

  // True when navigation from these types can be checked (no Resource-typed openness).
  static bool closed(const StaticType& t) {
    if (t.open) return false;
    for (const fhir::TypeInfo* type : t.types) {
      if (type->name() == "Resource" || type->name() == "DomainResource") return false;
    }
    return true;
  }

  // How many items a union of literals surely has (`1 | 2 | 3` has 3, `{} | true` 1); 0
  // when that is not known at compile time.
  static int literal_items(const Node& node) {
    if (node.kind == NodeKind::literal) return 1;
    if (node.kind == NodeKind::binary && node.op == Op::union_) {
      const int lhs = literal_items(*node.args[0]);
      const int rhs = literal_items(*node.args[1]);
      const bool lhs_known = lhs > 0 || node.args[0]->kind == NodeKind::empty;
      const bool rhs_known = rhs > 0 || node.args[1]->kind == NodeKind::empty;
      return lhs_known && rhs_known ? lhs + rhs : 0;
    }
    return 0;
  }

  bool fail_at(const Node& node, std::string message) {
    if (!strict_) return true;  // best-effort pass: leave it to run time
    error_at_ = node.position;
    error_ = std::move(message);
    return false;
  }

  bool check(Node& node, const StaticType& input, const StaticType& this_type) {
    StaticType ignored;
    return infer(node, input, this_type, ignored);
  }

  // Infers the static type of `node` evaluated on `input` ($this = this_type), failing
  // on navigation the model says cannot succeed.
  bool infer(Node& node, const StaticType& this_type, const StaticType& context, StaticType& out) {
    out = StaticType::unknown();
    StaticType focus = this_type;
    if (node.focus) {
      if (!infer(*node.focus, this_type, context, focus)) return false;
    }
    switch (node.kind) {
      case NodeKind::member: {
        out.unordered = focus.unordered;
        const fhir::TypeInfo* named = node.type.fhir_type;  // Patient at a path's start
        if (!strict_ && !node.focus && named != nullptr && named->is_resource() &&
            !named->is_abstract()) {
          out = StaticType::of(named);  // checked at run time; assumed for look-ups
          return true;
        }
        if (!closed(focus)) return true;
        // A type name at the start of a path selects the context when it matches.
        if (!node.focus && !node.name.empty() &&
            std::isupper(static_cast<unsigned char>(node.name[0]))) {
          if (named != nullptr) {
            for (const fhir::TypeInfo* type : focus.types) {
              if (type->is_a(*named)) {
                out = StaticType::of(type);
                return true;
              }
            }
            if (named->is_resource()) {
              if (!strict_) return true;
              error_at_ = node.position;
              error_ = fmt::format("'{}' cannot match the context type '{}'", node.name,
                                   focus.types.front()->name());
              return false;
            }
          }
        }
        StaticType result;
        result.open = false;
        result.unordered = focus.unordered;
        for (const fhir::TypeInfo* type : focus.types) {
          const fhir::ElementInfo* element = type->element(node.name);
          if (element == nullptr) continue;
          if (focus.types.size() == 1) {
            node.cached_owner = type;  // the evaluator skips the look-up for this type
            node.cached_element = element;
          }
          for (const fhir::TypeInfo* t : element->types)
            result.types.push_back(t);
        }
        if (result.types.empty()) {
          if (!strict_) return true;
          error_at_ = node.position;
          std::string names;
          for (const fhir::TypeInfo* type : focus.types) {
            if (!names.empty()) names += " | ";
            names += type->name();
          }
          error_ = fmt::format("'{}' is not an element of {}", node.name, names);
          return false;
        }
        out = std::move(result);
        return true;
      }
      case NodeKind::this_var:
        out = this_type;
        return true;
      case NodeKind::function: {
        const bool lambda = node.builtin != nullptr && node.builtin->arg_kind == ArgKind::lambda;
        const StaticType item_type = focus;  // lambda arguments see each item as $this
        for (const auto& arg : node.args) {
          StaticType arg_type;
          if (!infer(*arg, lambda ? item_type : this_type, context, arg_type)) return false;
        }
        static const std::set<std::string_view> kPreserving = {
            "where", "first",    "last",  "single",    "tail",   "skip",
            "take",  "distinct", "trace", "intersect", "exclude"};
        static const std::set<std::string_view> kOrdered = {"first", "last", "tail", "skip",
                                                            "take"};
        static const std::set<std::string_view> kOnStrings = {
            "startsWith",     "endsWith", "contains", "matches", "matchesFull", "replace",
            "replaceMatches", "length",   "upper",    "lower",   "indexOf",     "lastIndexOf",
            "substring",      "toChars",  "trim",     "split"};
        if (options_.check_ordered_functions && focus.unordered && kOrdered.count(node.name)) {
          return fail_at(node, fmt::format("{}() needs an ordered input, but the order of "
                                           "children()/descendants() is not defined",
                                           node.name));
        }
        if (node.builtin != nullptr && kOnStrings.count(node.name) && closed(focus) &&
            std::none_of(focus.types.begin(), focus.types.end(),
                         [](const fhir::TypeInfo* t) { return t->is_primitive(); })) {
          return fail_at(node, fmt::format("{}() applies to strings, not to {}", node.name,
                                           focus.types.front()->name()));
        }
        if (node.name == "iif" && !node.args.empty()) {
          const Node& criterion = *node.args[0];
          if (criterion.kind == NodeKind::literal &&
              criterion.literal.kind() != ValueKind::boolean) {
            return fail_at(criterion, "iif() criterion must be a boolean");
          }
          if (literal_items(criterion) > 1) {
            return fail_at(criterion, "iif() criterion must be a single boolean, not a union");
          }
        }
        if (kPreserving.count(node.name) != 0) {
          out = focus;
        } else if ((node.name == "ofType" || node.name == "as") && node.type.fhir_type) {
          out = StaticType::of(node.type.fhir_type);
        } else if (node.name == "children" || node.name == "descendants") {
          out.unordered = true;
        }
        return true;
      }
      case NodeKind::binary: {
        StaticType lhs;
        if (!infer(*node.args[0], this_type, context, lhs)) return false;
        if (node.args.size() > 1) {
          StaticType rhs;
          if (!infer(*node.args[1], this_type, context, rhs)) return false;
        }
        if ((node.op == Op::add || node.op == Op::subtract) &&
            node.args[0]->kind == NodeKind::literal && node.args[1]->kind == NodeKind::literal &&
            node.args[0]->literal.kind() == ValueKind::temporal &&
            (node.args[1]->literal.kind() == ValueKind::integer ||
             node.args[1]->literal.kind() == ValueKind::decimal)) {
          return fail_at(node, "a date/time plus a number needs a unit (e.g. 7 days)");
        }
        if (node.op == Op::as && node.type.fhir_type != nullptr) {
          out = StaticType::of(node.type.fhir_type);
        }
        return true;
      }
      case NodeKind::indexer: {
        StaticType index;
        if (!infer(*node.args[0], this_type, context, index)) return false;
        out = focus;
        return true;
      }
      case NodeKind::unary:
        return infer(*node.args[0], this_type, context, out) && (out = {}, true);
      default:
        return true;
    }
  }

  static constexpr int kMaxDepth = 200;
  static constexpr std::uint32_t kMaxTreeDepth = 1000;
  std::string_view text_;
  std::vector<Token> tokens_;
  std::size_t at_ = 0;
  int depth_ = 0;
  const CompileOptions& options_;
  Expression::Compiled& compiled_;
  std::string error_;
  std::uint32_t error_at_ = 0;
  std::string_view error_kind_ = "syntax";
  bool strict_ = false;  // semantic problems are errors (a context type was given)
};

// ---- Analyses of the finished tree ----

bool in(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Functions that evaluate their lambda argument once per input item, with that item as
// $this and nothing of the caller's frame: no item, no evaluation. (iif() and aggregate()
// see the caller's frame; trace() never evaluates its arguments.)
bool per_item_lambda(std::string_view name) {
  return in(name, {"where", "select", "all", "exists", "repeat", "sort"});
}

// Memoisation plan: a node whose value cannot depend on the frame ($this, $index, $total)
// has one value per evaluation, as the input, %resource, the environment and the clock are
// fixed during one. Such a node gets a memo slot when it would otherwise be evaluated
// again: inside a per-item criterion (`entry.all(request.exists() = (%resource.type =
// 'batch'))`), or written more than once (dom-3's four `%resource.descendants()`), in which
// case the equal subtrees share the slot.
class MemoPlanner {
 public:
  explicit MemoPlanner(Expression::Compiled& compiled) : compiled_(compiled) {}

  void run() {
    describe(*compiled_.root);
    assign(*compiled_.root, false, false);
    compiled_.memo_slots = slots_.size();
  }

 private:
  struct Facts {
    bool independent = false;  // of the frame
    std::string key;           // equal keys: structurally equal subtrees
  };

  static bool memoisable(NodeKind kind) {
    return kind == NodeKind::member || kind == NodeKind::function || kind == NodeKind::binary ||
           kind == NodeKind::unary || kind == NodeKind::indexer;
  }

  static void append_name(std::string& key, std::string_view name) {
    key += fmt::format("{}:{}", name.size(), name);
  }

  // Literals that compare equal by this key are the same value; others (decimals, dates,
  // quantities) get a key of their own, so subtrees holding them are never shared.
  void append_literal(std::string& key, const Node& node) {
    const Value& value = node.literal;
    switch (value.kind()) {
      case ValueKind::boolean:
        key += value.as_bool() ? "T" : "F";
        return;
      case ValueKind::integer:
        key += fmt::format("i{};", value.as_integer());
        return;
      case ValueKind::string:
        key += 's';
        append_name(key, value.as_string());
        return;
      default:
        key += fmt::format("u{};", unique_++);
        return;
    }
  }

  const Facts& describe(const Node& node) {
    Facts facts;
    std::string& key = facts.key;
    key += fmt::format("({},{},", static_cast<int>(node.kind), static_cast<int>(node.op));
    append_name(key, node.name);
    key += fmt::format("{},", static_cast<int>(node.type.ns));
    append_name(key, node.type.name);
    if (node.custom != nullptr) key += 'c';
    if (node.kind == NodeKind::literal) append_literal(key, node);
    bool independent = true;
    if (node.focus) {
      const Facts& focus = describe(*node.focus);
      independent = focus.independent;
      key += focus.key;
    }
    key += '[';
    for (const auto& arg : node.args) {
      const Facts& argument = describe(*arg);
      key += argument.key;
      if (!lambda_of(node)) independent = independent && argument.independent;
    }
    key += "])";
    switch (node.kind) {
      case NodeKind::this_var:
      case NodeKind::index_var:
      case NodeKind::total_var:
        independent = false;
        break;
      case NodeKind::member:
        independent = independent && node.focus != nullptr;  // else a member of $this
        break;
      case NodeKind::function:
        // No focus: the function applies to $this. Custom functions may do anything.
        independent = independent && node.focus != nullptr && node.builtin != nullptr &&
                      (node.builtin->arg_kind != ArgKind::lambda || node.name == "trace" ||
                       per_item_lambda(node.name));
        break;
      default:
        break;
    }
    facts.independent = independent;
    if (independent && memoisable(node.kind)) ++occurrences_[facts.key];
    return facts_.insert_or_assign(&node, std::move(facts)).first->second;
  }

  // Lambda arguments are evaluated with a frame of their own, never the caller's.
  static bool lambda_of(const Node& node) {
    return node.kind == NodeKind::function && node.builtin != nullptr &&
           node.builtin->arg_kind == ArgKind::lambda;
  }

  // `repeated`: the node may be evaluated several times in one evaluation. `covered`: an
  // ancestor evaluated at most once (memoised) contains it, outside any lambda.
  void assign(Node& node, bool repeated, bool covered) {
    const Facts& facts = facts_.at(&node);
    if (facts.independent && memoisable(node.kind) &&
        (occurrences_.at(facts.key) > 1 || (repeated && !covered))) {
      node.memo_slot =
          slots_.try_emplace(facts.key, static_cast<std::int32_t>(slots_.size())).first->second;
      covered = true;
    }
    if (node.focus) assign(*node.focus, repeated, covered);
    const bool per_item = lambda_of(node) && per_item_lambda(node.name);
    for (auto& arg : node.args) {
      if (per_item) {
        assign(*arg, true, false);
      } else {
        assign(*arg, repeated, covered);
      }
    }
  }

  Expression::Compiled& compiled_;
  std::unordered_map<const Node*, Facts> facts_;
  std::unordered_map<std::string, int> occurrences_;
  std::unordered_map<std::string, std::int32_t> slots_;
  std::size_t unique_ = 0;
};

// Expression::input_members(): which members of the input a node reads, false when it
// reads anything else (see there).
bool empty_without_members(const Node& node);

bool reads_only_members(const Node& node, std::vector<std::string>& members) {
  switch (node.kind) {
    case NodeKind::empty:
    case NodeKind::literal:
      return true;
    case NodeKind::member:
      if (node.focus) return reads_only_members(*node.focus, members);
      // An upper-case first step may be a type name testing the input (`Patient.name`).
      if (node.name.empty() || (node.name[0] >= 'A' && node.name[0] <= 'Z')) return false;
      if (std::find(members.begin(), members.end(), node.name) == members.end()) {
        members.push_back(node.name);
      }
      return true;
    case NodeKind::variable:
      return node.name == "ucum" || node.name == "sct" || node.name == "loinc" ||
             node.name.starts_with("vs-") || node.name.starts_with("ext-");
    case NodeKind::function: {
      // Without a focus a function applies to $this; custom functions may read anything;
      // these builtins read the clock, resolve references or see the caller's frame.
      if (!node.focus || node.builtin == nullptr ||
          in(node.name, {"now", "today", "timeOfDay", "resolve", "iif", "aggregate", "htmlChecks",
                         "conformsTo"})) {
        return false;
      }
      if (!reads_only_members(*node.focus, members)) return false;
      switch (node.builtin->arg_kind) {
        case ArgKind::type:
          return true;
        case ArgKind::value:
          return std::all_of(node.args.begin(), node.args.end(),
                             [&](const auto& arg) { return reads_only_members(*arg, members); });
        case ArgKind::lambda:
          // Never evaluated: trace() ignores its arguments, and a per-item function has no
          // item to evaluate them on when its input is empty.
          return node.args.empty() || node.name == "trace" ||
                 (per_item_lambda(node.name) && empty_without_members(*node.focus));
      }
      return false;
    }
    case NodeKind::indexer:
      return reads_only_members(*node.focus, members) && reads_only_members(*node.args[0], members);
    case NodeKind::unary:
    case NodeKind::binary:
      return std::all_of(node.args.begin(), node.args.end(),
                         [&](const auto& arg) { return reads_only_members(*arg, members); });
    default:
      return false;  // $this, $index, $total
  }
}

// True when `node` (already known to read only members of the input) is empty whenever
// those members are absent.
bool empty_without_members(const Node& node) {
  switch (node.kind) {
    case NodeKind::empty:
      return true;
    case NodeKind::member:
      return !node.focus || empty_without_members(*node.focus);
    case NodeKind::function:
      return node.focus != nullptr &&
             in(node.name,
                {"where", "select", "repeat", "first", "last", "tail", "skip", "take", "single",
                 "distinct", "ofType", "as", "trace", "children", "descendants"}) &&
             empty_without_members(*node.focus);
    case NodeKind::indexer:
      return empty_without_members(*node.focus);
    case NodeKind::binary:
      if (node.op == Op::union_) {
        return empty_without_members(*node.args[0]) && empty_without_members(*node.args[1]);
      }
      return node.op == Op::as && empty_without_members(*node.args[0]);
    default:
      return false;
  }
}

}  // namespace
}  // namespace detail

fhir::Result<Expression> Expression::compile(std::string_view text, const CompileOptions& options) {
  constexpr std::size_t kMaxExpressionBytes = 64 * 1024;
  if (text.size() > kMaxExpressionBytes) {
    return fhir::Outcome::of(fhir::Severity::error, fhir::IssueType::too_costly,
                             fmt::format("FHIRPath expression of {} bytes exceeds the limit of {}",
                                         text.size(), kMaxExpressionBytes));
  }
  auto compiled = std::make_unique<Compiled>();
  compiled->text = std::string(text);
  compiled->model = options.model;
  if (options.model != nullptr) {
    compiled->element_type = options.model->type("Element");
    compiled->quantity_type = options.model->type("Quantity");
  }
  auto tokens = detail::tokenize(compiled->text);
  if (!tokens) return tokens.problems();
  detail::Parser parser(compiled->text, std::move(tokens.value()), options, *compiled);
  auto root = parser.parse();
  if (!root) return root.problems();
  compiled->root = std::move(root.value());
  detail::MemoPlanner(*compiled).run();
  if (std::vector<std::string> members; detail::reads_only_members(*compiled->root, members)) {
    compiled->input_members = std::move(members);
  }
  return Expression(std::move(compiled));
}

Expression::Expression(std::unique_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;
std::string_view Expression::text() const {
  return compiled_->text;
}
const std::optional<std::vector<std::string>>& Expression::input_members() const {
  return compiled_->input_members;
}

void FunctionRegistry::add(std::string name, int min_args, int max_args, Function function) {
  entries_[std::move(name)] = Entry{min_args, max_args, std::move(function)};
}
const FunctionRegistry::Entry* FunctionRegistry::find(std::string_view name) const {
  const auto found = entries_.find(name);
  return found == entries_.end() ? nullptr : &found->second;
}

}  // namespace adapter::fhirpath
