#include "reports/expression.hpp"

#include <cctype>
#include <cmath>
#include <regex>

#include "core/diagnostics.hpp"
#include "core/duration.hpp"

namespace gpusim::reports {

namespace {

const std::vector<std::string> kFunctions = {
    "max", "min", "avg",  "mean", "sum", "count", "first", "last", "duration", "total_duration",
    "all", "any", "none", "p50",  "p90", "p95",   "p99"};

enum class Tok {
  kIdent,
  kString,
  kNumber,
  kOp,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kComma,
  kDotDot,
  kEnd
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier, string value, operator, number text
  int column = 0;    // 1-based
  Literal literal;   // kNumber
};

std::vector<Token> lex(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto col = [&](std::size_t at) { return static_cast<int>(at) + 1; };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    Token t;
    t.column = col(start);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_'))
        ++i;
      t.kind = Tok::kIdent;
      t.text = std::string(s.substr(start, i - start));
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() &&
                std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      // A number, a duration (1h30m, 250ms) or a percentage (80%).
      while (i < s.size()) {
        const char d = s[i];
        if (std::isdigit(static_cast<unsigned char>(d)) ||
            std::isalpha(static_cast<unsigned char>(d))) {
          ++i;
        } else if (d == '.' && i + 1 < s.size() &&
                   std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
          ++i;
        } else {
          break;
        }
      }
      std::string text(s.substr(start, i - start));
      Literal lit;
      lit.column = t.column;
      bool digits_only = true;
      for (char d : text)
        digits_only = digits_only && (std::isdigit(static_cast<unsigned char>(d)) || d == '.');
      if (i < s.size() && s[i] == '%') {
        ++i;
        if (!digits_only) throw ExpressionError(t.column, "\"" + text + "%\" is not a percentage");
        lit.value = std::stod(text) / 100.0;
        lit.unit = Unit::kRatio;
        text += "%";
      } else if (digits_only) {
        lit.value = std::stod(text);
        lit.unit = Unit::kNumber;
      } else {
        auto ms = parse_duration_ms(text);
        if (!ms) {
          throw ExpressionError(
              t.column, "\"" + text + "\" is not a number or a duration",
              "durations are written like 90s, 10m, 1h30m, 2d; percentages like 80%");
        }
        lit.value = static_cast<double>(*ms);
        lit.unit = Unit::kDuration;
      }
      lit.text = text;
      t.kind = Tok::kNumber;
      t.text = text;
      t.literal = lit;
    } else if (c == '"') {
      ++i;
      std::string v;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          v += s[i + 1];
          i += 2;
        } else if (s[i] == '"') {
          ++i;
          closed = true;
          break;
        } else {
          v += s[i++];
        }
      }
      if (!closed) throw ExpressionError(t.column, "unterminated string");
      t.kind = Tok::kString;
      t.text = v;
    } else {
      auto two = s.substr(i, 2);
      if (two == "<=" || two == ">=" || two == "==" || two == "!=" || two == "=~" || two == "!~") {
        t.kind = Tok::kOp;
        t.text = std::string(two);
        i += 2;
      } else if (two == "..") {
        t.kind = Tok::kDotDot;
        t.text = "..";
        i += 2;
      } else if (c == '<' || c == '>' || c == '=') {
        t.kind = Tok::kOp;
        t.text = std::string(1, c);
        ++i;
      } else if (c == '(' || c == ')' || c == '{' || c == '}' || c == ',') {
        t.kind = c == '('   ? Tok::kLParen
                 : c == ')' ? Tok::kRParen
                 : c == '{' ? Tok::kLBrace
                 : c == '}' ? Tok::kRBrace
                            : Tok::kComma;
        t.text = std::string(1, c);
        ++i;
      } else if (c == '&' || c == '|') {
        throw ExpressionError(t.column, std::string("unexpected '") + c + "'",
                              "write `and` / `or`");
      } else {
        throw ExpressionError(t.column, std::string("unexpected character '") + c + "'");
      }
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.kind = Tok::kEnd;
  end.column = static_cast<int>(s.size()) + 1;
  out.push_back(end);
  return out;
}

std::optional<CmpOp> cmp_of(const std::string& s) {
  if (s == "<") return CmpOp::kLt;
  if (s == "<=") return CmpOp::kLe;
  if (s == ">") return CmpOp::kGt;
  if (s == ">=") return CmpOp::kGe;
  if (s == "==") return CmpOp::kEq;
  if (s == "!=") return CmpOp::kNe;
  return std::nullopt;
}

const char* unit_name(Unit u) {
  switch (u) {
    case Unit::kDuration:
      return "a duration";
    case Unit::kRatio:
      return "a percentage";
    case Unit::kBool:
      return "a true/false value";
    case Unit::kNumber:
      return "a number";
  }
  return "a number";
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), toks_(lex(text)) {}

  std::unique_ptr<Condition> parse_all() {
    auto c = parse_or();
    if (peek().kind == Tok::kIdent && peek().text == "over") {
      next();
      Window w = parse_window();
      apply_default_window(*c, w);
    }
    if (peek().kind != Tok::kEnd) fail(peek(), "unexpected \"" + peek().text + "\"", expect_hint());
    check(*c);
    return c;
  }

 private:
  const Token& peek(std::size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const Token& next() { return toks_[std::min(pos_++, toks_.size() - 1)]; }
  [[noreturn]] void fail(const Token& t, const std::string& msg,
                         const std::string& hint = {}) const {
    throw ExpressionError(t.column,
                          t.kind == Tok::kEnd ? msg + " at the end of the expression" : msg, hint);
  }
  std::string expect_hint() const { return "conditions are joined with `and` / `or`"; }
  bool is_word(const Token& t, const char* w) const { return t.kind == Tok::kIdent && t.text == w; }
  std::string slice(int from_col, int to_col) const {
    const auto a = static_cast<std::size_t>(from_col - 1);
    const auto b = std::min(static_cast<std::size_t>(to_col - 1), text_.size());
    std::string s(text_.substr(a, b > a ? b - a : 0));
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
      s.pop_back();
    return s;
  }

  std::unique_ptr<Condition> parse_or() {
    const int start = peek().column;
    auto first = parse_and();
    if (!is_word(peek(), "or")) return first;
    auto c = std::make_unique<Condition>();
    c->type = Condition::Type::kOr;
    c->parts.push_back(std::move(first));
    while (is_word(peek(), "or")) {
      next();
      c->parts.push_back(parse_and());
    }
    c->text = slice(start, peek().column);
    return c;
  }
  std::unique_ptr<Condition> parse_and() {
    const int start = peek().column;
    auto first = parse_unary();
    if (!is_word(peek(), "and")) return first;
    auto c = std::make_unique<Condition>();
    c->type = Condition::Type::kAnd;
    c->parts.push_back(std::move(first));
    while (is_word(peek(), "and")) {
      next();
      c->parts.push_back(parse_unary());
    }
    c->text = slice(start, peek().column);
    return c;
  }
  std::unique_ptr<Condition> parse_unary() {
    const int start = peek().column;
    if (is_word(peek(), "not")) {
      next();
      auto c = std::make_unique<Condition>();
      c->type = Condition::Type::kNot;
      c->parts.push_back(parse_unary());
      c->text = slice(start, peek().column);
      return c;
    }
    if (peek().kind == Tok::kLParen) {
      next();
      auto c = parse_or();
      if (peek().kind != Tok::kRParen) fail(peek(), "expected ')'");
      next();
      return c;
    }
    return parse_comparison();
  }
  std::unique_ptr<Condition> parse_comparison() {
    const int start = peek().column;
    auto c = std::make_unique<Condition>();
    Operand lhs = parse_operand();
    std::optional<CmpOp> op;
    if (peek().kind == Tok::kOp) op = cmp_of(peek().text);
    if (!op) {
      if (peek().kind == Tok::kOp && peek().text == "=")
        fail(peek(), "'=' is not a comparison", "write ==");
      if (lhs.query && lhs.query->is_condition()) {
        c->type = Condition::Type::kQuery;
        c->query = std::move(lhs.query);
        c->text = slice(start, peek().column);
        return c;
      }
      if (lhs.query) {
        fail(peek(),
             "expected a comparison (<, <=, >, >=, ==, !=) after " + lhs.query->function + "(...)",
             "only all(...), any(...) and none(...) stand alone");
      }
      fail(peek(), "expected a comparison after " + lhs.literal->text);
    }
    next();
    Operand rhs = parse_operand();
    if ((lhs.query && lhs.query->is_condition()) || (rhs.query && rhs.query->is_condition())) {
      const Query& q = lhs.query && lhs.query->is_condition() ? *lhs.query : *rhs.query;
      throw ExpressionError(q.column, q.function + "(...) is a condition, not a value",
                            "use count(...) to compare");
    }
    if (lhs.literal && rhs.literal)
      throw ExpressionError(lhs.literal->column, "comparison of two constants");
    c->type = Condition::Type::kCompare;
    c->lhs = std::move(lhs);
    c->rhs = std::move(rhs);
    c->op = *op;
    c->text = slice(start, peek().column);
    return c;
  }
  Operand parse_operand() {
    Operand o;
    if (peek().kind == Tok::kNumber) {
      o.literal = next().literal;
      return o;
    }
    if (peek().kind == Tok::kOp && peek().text == "-")
      fail(peek(), "negative values are not supported");
    if (peek().kind != Tok::kIdent) {
      fail(peek(),
           peek().kind == Tok::kEnd ? "expected a value"
                                    : "expected a value, got \"" + peek().text + "\"",
           "a value is an aggregate such as max(pod_wait) or a constant such as 10m or 80%");
    }
    o.query = parse_query();
    return o;
  }
  Query parse_query() {
    const Token& fn = next();
    Query q;
    q.column = fn.column;
    q.function = fn.text;
    if (fn.text == "mean") q.function = "avg";
    const bool pnn = fn.text.size() >= 2 && fn.text[0] == 'p' &&
                     fn.text.find_first_not_of("0123456789", 1) == std::string::npos;
    if (pnn) {
      q.percentile = std::stod(fn.text.substr(1));
      if (q.percentile <= 0 || q.percentile > 100)
        fail(fn, "percentile " + fn.text + " is not in p1..p100");
    } else if (std::find(kFunctions.begin(), kFunctions.end(), fn.text) == kFunctions.end()) {
      if (find_metric(fn.text) != nullptr || !family_file(fn.text).empty()) {
        fail(fn, "\"" + fn.text + "\" is a metric; aggregate it",
             "for example max(" + fn.text + ") or p95(" + fn.text + ")");
      }
      const std::string near = closest_match(fn.text, kFunctions);
      fail(fn, "unknown function \"" + fn.text + "\"",
           near.empty() ? "functions: max min avg sum count first last pNN duration total_duration "
                          "all any none"
                        : "did you mean " + near + "?");
    }
    if (peek().kind != Tok::kLParen) fail(peek(), "expected '(' after " + fn.text);
    next();
    const Token& m = next();
    if (m.kind != Tok::kIdent) fail(m, "expected a metric name");
    q.metric = m.text;
    if (find_metric(m.text) == nullptr && family_file(m.text).empty()) {
      std::vector<std::string> names;
      for (const auto& mi : metric_catalog())
        names.push_back(mi.name);
      const std::string near = closest_match(m.text, names);
      fail(m, "unknown metric \"" + m.text + "\"",
           near.empty() ? "see docs/scenario.md \"Expectations\" for the metrics"
                        : "did you mean " + near + "?");
    }
    if (peek().kind == Tok::kLBrace) {
      next();
      while (peek().kind != Tok::kRBrace) {
        const Token& l = next();
        if (l.kind != Tok::kIdent) fail(l, "expected a label name");
        const Token& op = next();
        LabelMatcher lm;
        lm.label = l.text;
        if (op.kind == Tok::kOp && op.text == "=")
          lm.op = LabelMatcher::Op::kEq;
        else if (op.kind == Tok::kOp && op.text == "!=")
          lm.op = LabelMatcher::Op::kNe;
        else if (op.kind == Tok::kOp && op.text == "=~")
          lm.op = LabelMatcher::Op::kRegex;
        else if (op.kind == Tok::kOp && op.text == "!~")
          lm.op = LabelMatcher::Op::kNotRegex;
        else
          fail(op, "expected =, !=, =~ or !~ after label " + l.text);
        const Token& v = next();
        if (v.kind != Tok::kString)
          fail(v, "expected a quoted value for label " + l.text,
               "labels match strings: " + l.text + "=\"...\"");
        lm.value = v.text;
        if (lm.op == LabelMatcher::Op::kRegex || lm.op == LabelMatcher::Op::kNotRegex) {
          try {
            std::regex re(lm.value);
          } catch (const std::regex_error&) {
            fail(v, "invalid regular expression \"" + lm.value + "\"");
          }
        }
        if (const MetricInfo* mi = find_metric(q.metric);
            mi != nullptr && family_file(q.metric).empty()) {
          if (std::find(mi->labels.begin(), mi->labels.end(), lm.label) == mi->labels.end()) {
            std::string known;
            for (const auto& x : mi->labels)
              known += (known.empty() ? "" : ", ") + x;
            fail(l, q.metric + " has no label \"" + l.text + "\"",
                 known.empty() ? "it has no labels" : "its labels: " + known);
          }
        }
        q.matchers.push_back(std::move(lm));
        if (peek().kind == Tok::kComma) {
          next();
        } else if (peek().kind != Tok::kRBrace) {
          fail(peek(), "expected ',' or '}'");
        }
      }
      next();
    }
    if (peek().kind == Tok::kOp) {
      const Token& op = next();
      auto cmp = cmp_of(op.text);
      if (!cmp) fail(op, "expected a comparison operator");
      if (peek().kind != Tok::kNumber) fail(peek(), "expected a constant after " + op.text);
      q.filter = std::make_pair(*cmp, next().literal);
    }
    if (is_word(peek(), "over")) {
      next();
      q.window = parse_window();
    }
    if (peek().kind != Tok::kRParen) fail(peek(), "expected ')'");
    q.text = slice(q.column, peek().column + 1);
    next();
    return q;
  }
  TimeMs window_time(const Token& t) {
    if (t.kind != Tok::kNumber || (t.literal.unit != Unit::kDuration &&
                                   !(t.literal.unit == Unit::kNumber && t.literal.value == 0))) {
      fail(t, "expected a simulated time such as 2h or 0");
    }
    return static_cast<TimeMs>(t.literal.value);
  }
  Window parse_window() {
    Window w;
    const int start = peek().column;
    if (is_word(peek(), "last")) {
      next();
      w.last_ms = window_time(next());
    } else {
      if (peek().kind == Tok::kNumber) w.from_ms = window_time(next());
      if (peek().kind != Tok::kDotDot)
        fail(peek(), "expected '..' in the window", "windows are FROM..TO, FROM.., ..TO or last D");
      next();
      if (peek().kind == Tok::kNumber) w.to_ms = window_time(next());
      if (w.from_ms && w.to_ms && *w.to_ms < *w.from_ms)
        throw ExpressionError(start, "the window ends before it starts");
    }
    w.text = slice(start, peek().column);
    return w;
  }
  void apply_default_window(Condition& c, const Window& w) {
    auto fix = [&](std::optional<Query>& q) {
      if (q && !q->window) q->window = w;
    };
    fix(c.query);
    fix(c.lhs.query);
    fix(c.rhs.query);
    for (auto& p : c.parts)
      apply_default_window(*p, w);
  }

  // Units and kinds: a duration compares with a duration, a ratio with a percentage...
  static Unit metric_unit(const Query& q) {
    const MetricInfo* mi = find_metric(q.metric);
    return mi != nullptr ? mi->unit : Unit::kNumber;
  }
  static MetricKind metric_kind(const Query& q) {
    const MetricInfo* mi = find_metric(q.metric);
    return mi != nullptr ? mi->kind : MetricKind::kGauge;
  }
  static void check_literal(const Literal& lit, Unit want, const std::string& what) {
    if (want == Unit::kBool) want = Unit::kNumber;
    if (lit.unit == want) return;
    if (want == Unit::kRatio && lit.unit == Unit::kNumber && lit.value >= 0 && lit.value <= 1)
      return;
    if (lit.unit == Unit::kNumber && lit.value == 0) return;
    std::string hint;
    if (want == Unit::kRatio && lit.unit == Unit::kNumber)
      hint = "write " + lit.text + "% for a percentage";
    if (want == Unit::kDuration && lit.unit == Unit::kNumber)
      hint = "write a duration such as " + lit.text + "s or " + lit.text + "m";
    throw ExpressionError(
        lit.column,
        what + " is " + unit_name(want) + "; " + lit.text + " is " + unit_name(lit.unit), hint);
  }
  void check_query(const Query& q) {
    const Unit mu = metric_unit(q);
    const MetricKind mk = metric_kind(q);
    if ((q.function == "duration" || q.function == "total_duration") && mk != MetricKind::kGauge) {
      throw ExpressionError(
          q.column,
          q.function + "() measures how long a gauge is non-zero; " + q.metric + " is not a gauge",
          "count(...) counts events and objects");
    }
    if (q.filter) check_literal(q.filter->second, mu, q.metric);
    if (q.is_condition() && !q.filter && mu != Unit::kBool && family_file(q.metric).empty()) {
      throw ExpressionError(q.column,
                            q.function + "() needs a true/false metric or a filter; " + q.metric +
                                " is " + unit_name(mu),
                            "for example " + q.function + "(" + q.metric + " > 0)");
    }
  }
  void check(const Condition& c) {
    switch (c.type) {
      case Condition::Type::kQuery:
        check_query(*c.query);
        break;
      case Condition::Type::kCompare: {
        auto unit_of = [](const Query& q) { return q.result_unit(metric_unit(q)); };
        if (c.lhs.query) check_query(*c.lhs.query);
        if (c.rhs.query) check_query(*c.rhs.query);
        if (c.lhs.query && c.rhs.literal)
          check_literal(*c.rhs.literal, unit_of(*c.lhs.query), c.lhs.query->text);
        if (c.rhs.query && c.lhs.literal)
          check_literal(*c.lhs.literal, unit_of(*c.rhs.query), c.rhs.query->text);
        if (c.lhs.query && c.rhs.query) {
          const Unit a = unit_of(*c.lhs.query), b = unit_of(*c.rhs.query);
          if (a != b && !(a == Unit::kBool && b == Unit::kNumber) &&
              !(a == Unit::kNumber && b == Unit::kBool)) {
            throw ExpressionError(c.rhs.query->column, c.lhs.query->text + " is " + unit_name(a) +
                                                           " but " + c.rhs.query->text + " is " +
                                                           unit_name(b));
          }
        }
        break;
      }
      default:
        for (const auto& p : c.parts)
          check(*p);
    }
  }

  std::string_view text_;
  std::vector<Token> toks_;
  std::size_t pos_ = 0;
};

void collect(const Condition& c, std::vector<const Query*>& out) {
  if (c.query) out.push_back(&*c.query);
  if (c.lhs.query) out.push_back(&*c.lhs.query);
  if (c.rhs.query) out.push_back(&*c.rhs.query);
  for (const auto& p : c.parts)
    collect(*p, out);
}

}  // namespace

const char* to_string(CmpOp op) {
  switch (op) {
    case CmpOp::kLt:
      return "<";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kGe:
      return ">=";
    case CmpOp::kEq:
      return "==";
    case CmpOp::kNe:
      return "!=";
  }
  return "?";
}

bool compare(double a, CmpOp op, double b) {
  // Values come from integer milliseconds and ratios of integers: compare with a tolerance so
  // 0.8 written as 80% equals 4/5 computed.
  const double eps = 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
  const bool eq = std::fabs(a - b) <= eps;
  switch (op) {
    case CmpOp::kLt:
      return a < b && !eq;
    case CmpOp::kLe:
      return a < b || eq;
    case CmpOp::kGt:
      return a > b && !eq;
    case CmpOp::kGe:
      return a > b || eq;
    case CmpOp::kEq:
      return eq;
    case CmpOp::kNe:
      return !eq;
  }
  return false;
}

std::pair<TimeMs, TimeMs> Window::resolve(TimeMs end_ms) const {
  if (last_ms) return {std::max<TimeMs>(0, end_ms - *last_ms), end_ms};
  return {from_ms.value_or(0), to_ms.value_or(end_ms)};
}

Unit Query::result_unit(Unit metric_unit) const {
  if (function == "count") return Unit::kNumber;
  if (function == "duration" || function == "total_duration") return Unit::kDuration;
  if (is_condition()) return Unit::kBool;
  if (metric_unit == Unit::kBool &&
      (function == "avg" || function == "sum" || function[0] == 'p')) {
    return function == "avg" ? Unit::kRatio : Unit::kNumber;
  }
  return metric_unit;
}

Expression Expression::parse(std::string_view text) {
  Expression e;
  e.text_ = std::string(text);
  Parser p(e.text_);
  e.root_ = p.parse_all();
  return e;
}

std::vector<const Query*> Expression::queries() const {
  std::vector<const Query*> out;
  collect(*root_, out);
  return out;
}

}  // namespace gpusim::reports
