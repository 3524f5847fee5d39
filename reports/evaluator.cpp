#include "reports/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "core/duration.hpp"

namespace gpusim::reports {

std::string format_time(TimeMs t) {
  return format_duration(t);
}

std::string format_value(double v, Unit u) {
  char buf[64];
  switch (u) {
    case Unit::kDuration: {
      // Whole seconds read better than milliseconds for waits of minutes.
      const auto ms = static_cast<TimeMs>(std::llround(v));
      return format_duration(std::llabs(ms) >= 60'000 ? (ms / 1000) * 1000 : ms);
    }
    case Unit::kRatio:
      std::snprintf(buf, sizeof buf, "%.1f%%", v * 100.0);
      return buf;
    case Unit::kBool:
    case Unit::kNumber:
      if (std::fabs(v - std::round(v)) < 1e-9) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
      } else {
        std::snprintf(buf, sizeof buf, "%.3g", v);
      }
      return buf;
  }
  return {};
}

namespace {

std::string selector_text(const Query& q) {
  std::string s = q.metric;
  if (!q.matchers.empty()) {
    s += "{";
    for (std::size_t i = 0; i < q.matchers.size(); ++i) {
      const auto& m = q.matchers[i];
      const char* op = m.op == LabelMatcher::Op::kEq      ? "="
                       : m.op == LabelMatcher::Op::kNe    ? "!="
                       : m.op == LabelMatcher::Op::kRegex ? "=~"
                                                          : "!~";
      s += (i ? "," : "") + m.label + op + "\"" + m.value + "\"";
    }
    s += "}";
  }
  return s;
}

std::string when(const QueryValue& v) {
  std::string s;
  if (!v.subject.empty()) s += v.subject;
  if (v.at_ms) {
    if (!s.empty()) s += " ";
    s += v.until_ms ? "from " + format_time(*v.at_ms) + " to " + format_time(*v.until_ms)
                    : "at " + format_time(*v.at_ms);
  }
  return s;
}

}  // namespace

QueryValue Evaluator::value_of(const Query& q) const {
  const MetricInfo info = describe_metric(&run_, q.metric);
  QueryValue out;
  out.unit = q.result_unit(info.unit);
  const std::vector<Series> series = load_series(run_, q.metric, q.matchers);
  const TimeMs end = run_.end_ms();
  // Plain variables, not a structured binding: the lambdas below capture them (clang 14 cannot
  // capture structured bindings).
  const std::pair<TimeMs, TimeMs> window =
      q.window ? q.window->resolve(end) : std::make_pair(TimeMs{0}, end);
  const TimeMs from = window.first;
  const TimeMs to = window.second;
  const std::string where = selector_text(q) + (q.window ? " over " + q.window->text : "");

  if (q.function == "duration" || q.function == "total_duration") {
    if (series.empty()) {
      out.no_data = "no series match " + where;
      return out;
    }
    double best = 0;
    for (const auto& s : series) {
      TimeMs run_start = -1, total = 0;
      auto close = [&](TimeMs stop) {
        if (run_start < 0) return;
        const TimeMs a = std::max(run_start, from), b = std::min(stop, to);
        if (b > a) {
          total += b - a;
          if (q.function == "duration" && static_cast<double>(b - a) > best) {
            best = static_cast<double>(b - a);
            out.at_ms = a;
            out.until_ms = b;
            out.subject = s.points.empty() ? std::string() : s.points.front().subject;
          }
        }
        run_start = -1;
      };
      for (const Point& p : s.points) {
        // The stretch is where the filter holds (`duration(pods_pending > 1)`), without one
        // where the value is non-zero (true).
        const bool holds =
            q.filter ? compare(p.value, q.filter->first, q.filter->second.value) : p.value != 0;
        if (holds && run_start < 0) run_start = p.t_ms;
        if (!holds) close(p.t_ms);
      }
      close(end);
      if (q.function == "total_duration" && static_cast<double>(total) > best) {
        best = static_cast<double>(total);
        out.subject = s.points.empty() ? std::string() : s.points.front().subject;
      }
    }
    out.value = best;
    return out;
  }

  // count() of a true/false metric counts what is true (`count(pod_failed)`: the pods that
  // failed, not every pod); a filter says otherwise explicitly (`count(pod_failed == 0)`).
  const bool count_true = q.function == "count" && !q.filter && info.unit == Unit::kBool;
  // all/any/none with a filter ask whether every / some / no point passes it
  // (`all(pod_wait < 10m)`), so the points that do not pass stay in, as false.
  const bool condition = q.function == "all" || q.function == "any" || q.function == "none";
  auto holds = [&](const Point& p) {
    return q.filter ? compare(p.value, q.filter->first, q.filter->second.value) : p.value != 0;
  };
  std::vector<const Point*> pts;
  for (const auto& s : series) {
    for (const auto& p : s.points) {
      if (p.t_ms < from || p.t_ms > to) continue;
      if (q.filter && !condition && !compare(p.value, q.filter->first, q.filter->second.value))
        continue;
      if (count_true && p.value == 0) continue;
      pts.push_back(&p);
    }
  }
  std::stable_sort(pts.begin(), pts.end(),
                   [](const Point* a, const Point* b) { return a->t_ms < b->t_ms; });
  const std::string& fn = q.function;
  if (fn == "count") {
    out.value = static_cast<double>(pts.size());
    if (!pts.empty()) {
      out.at_ms = pts.front()->t_ms;
      out.subject = "first: " + pts.front()->subject;
    }
    return out;
  }
  if (fn == "sum") {
    double s = 0;
    for (auto* p : pts)
      s += p->value;
    out.value = s;
    return out;
  }
  if (pts.empty()) {
    out.no_data = (series.empty() ? "no series match " : "no data for ") + where;
    if (fn == "none") out.value = 1;
    return out;
  }
  if (fn == "all" || fn == "any" || fn == "none") {
    std::size_t truthy = 0;
    const Point* first_true = nullptr;
    const Point* first_false = nullptr;
    for (auto* p : pts) {
      if (holds(*p)) {
        ++truthy;
        if (!first_true) first_true = p;
      } else if (!first_false) {
        first_false = p;
      }
    }
    bool ok = fn == "all" ? truthy == pts.size() : fn == "any" ? truthy > 0 : truthy == 0;
    out.value = ok ? 1 : 0;
    out.subject = std::to_string(truthy) + " of " + std::to_string(pts.size()) + " true";
    const Point* witness = fn == "all" ? first_false : fn == "none" ? first_true : nullptr;
    if (witness != nullptr) {
      out.subject +=
          std::string("; first ") + (fn == "all" ? "false: " : "true: ") + witness->subject;
      out.at_ms = witness->t_ms;
    }
    return out;
  }
  if (fn == "max" || fn == "min") {
    const Point* best = pts.front();
    for (auto* p : pts) {
      if (fn == "max" ? p->value > best->value : p->value < best->value) best = p;
    }
    out.value = best->value;
    out.at_ms = best->t_ms;
    out.subject = best->subject;
    return out;
  }
  if (fn == "avg") {
    double s = 0;
    for (auto* p : pts)
      s += p->value;
    out.value = s / static_cast<double>(pts.size());
    return out;
  }
  if (fn == "first" || fn == "last") {
    const Point* p = fn == "first" ? pts.front() : pts.back();
    out.value = p->value;
    out.at_ms = p->t_ms;
    out.subject = p->subject;
    return out;
  }
  // pNN: nearest rank.
  std::vector<double> vals;
  vals.reserve(pts.size());
  for (auto* p : pts)
    vals.push_back(p->value);
  std::sort(vals.begin(), vals.end());
  const auto rank =
      static_cast<std::size_t>(std::ceil(q.percentile / 100.0 * static_cast<double>(vals.size())));
  out.value = vals[rank == 0 ? 0 : rank - 1];
  if (q.window) {
    out.at_ms = from;
    out.until_ms = to;
  }
  return out;
}

Outcome Evaluator::eval(const Condition& c) const {
  Outcome o;
  switch (c.type) {
    case Condition::Type::kQuery: {
      const QueryValue v = value_of(*c.query);
      o.expected = "true";
      if (!v.value) {
        o.passed = false;
        o.observed = "no data";
        o.message = c.text + ": " + v.no_data;
        return o;
      }
      o.passed = *v.value != 0;
      o.observed = v.subject.empty() ? (o.passed ? "true" : "false") : v.subject;
      o.at_ms = v.at_ms;
      o.message = c.text + ": " + (o.passed ? "holds" : "fails") + " (" + o.observed + ")";
      if (v.at_ms && !o.passed) o.message += " at " + format_time(*v.at_ms);
      return o;
    }
    case Condition::Type::kCompare: {
      // Normalise to "query op value" where possible so messages read naturally.
      const bool flipped = !c.lhs.query && c.rhs.query;
      const Operand& a = flipped ? c.rhs : c.lhs;
      const Operand& b = flipped ? c.lhs : c.rhs;
      CmpOp op = c.op;
      if (flipped) {
        op = op == CmpOp::kLt   ? CmpOp::kGt
             : op == CmpOp::kGt ? CmpOp::kLt
             : op == CmpOp::kLe ? CmpOp::kGe
             : op == CmpOp::kGe ? CmpOp::kLe
                                : op;
      }
      const QueryValue av = value_of(*a.query);
      std::optional<QueryValue> bv;
      if (b.query) bv = value_of(*b.query);
      if (!av.value || (bv && !bv->value)) {
        o.passed = false;
        o.observed = "no data";
        o.expected =
            std::string(to_string(op)) + " " + (b.literal ? b.literal->text : b.query->text);
        o.message = c.text + ": " + (!av.value ? av.no_data : bv->no_data);
        return o;
      }
      const double rhs = b.literal ? b.literal->value : *bv->value;
      o.passed = compare(*av.value, op, rhs);
      o.observed = format_value(*av.value, av.unit);
      o.expected =
          std::string(to_string(op)) + " " +
          (b.literal ? b.literal->text : format_value(rhs, bv->unit) + " (" + b.query->text + ")");
      o.at_ms = av.at_ms;
      o.message = a.query->text + " = " + o.observed;
      const std::string w = when(av);
      if (!w.empty()) o.message += " (" + w + ")";
      o.message += o.passed ? ", " : ", expected ";
      o.message += o.passed ? std::string("holds: ") + o.expected : o.expected;
      return o;
    }
    case Condition::Type::kNot: {
      Outcome inner = eval(*c.parts[0]);
      o.passed = !inner.passed;
      o.observed = inner.observed;
      o.expected = "not (" + inner.expected + ")";
      o.at_ms = inner.at_ms;
      o.message = "not: " + inner.message;
      return o;
    }
    case Condition::Type::kAnd:
    case Condition::Type::kOr: {
      const bool is_and = c.type == Condition::Type::kAnd;
      o.passed = is_and;
      std::vector<std::string> failed_msgs, observed;
      for (const auto& p : c.parts) {
        Outcome r = eval(*p);
        observed.push_back(r.observed);
        if (is_and && !r.passed && o.passed) {
          o.passed = false;
          o.at_ms = r.at_ms;
        }
        if (!is_and && r.passed) o.passed = true;
        if (!r.passed) {
          failed_msgs.push_back(r.message);
          if (!o.at_ms) o.at_ms = r.at_ms;
        }
      }
      for (std::size_t i = 0; i < observed.size(); ++i)
        o.observed += (i ? (is_and ? " and " : " or ") : "") + observed[i];
      o.expected = c.text;
      if (o.passed) {
        o.message = c.text + ": holds";
        o.at_ms.reset();
      } else {
        for (std::size_t i = 0; i < failed_msgs.size(); ++i)
          o.message += (i ? "; " : "") + failed_msgs[i];
      }
      return o;
    }
  }
  return o;
}

Outcome Evaluator::evaluate(const Expression& e) const {
  return eval(e.root());
}

}  // namespace gpusim::reports
