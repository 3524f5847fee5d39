#include "scenario/capacity_search.hpp"

#include <stdexcept>

#include "core/parse_int.hpp"

namespace gpusim::scenario {
namespace {

std::string canonical(const PlanAxis& a, const std::string& value) {
  std::string why;
  auto v = canonical_axis_value(a.target, value, &why);
  if (!v) throw std::invalid_argument("--vary " + a.name + ": " + why);
  return *v;
}

}  // namespace

PlanAxis parse_vary(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw std::invalid_argument(
        "--vary: expected NAME=lo..hi or NAME=a,b,c (for example "
        "nodepool/a100.count=4..64), got \"" +
        text + "\"");
  }
  PlanAxis a;
  a.name = text.substr(0, eq);
  const std::string values = text.substr(eq + 1);
  std::string why;
  auto target = parse_axis_name(a.name, &why);
  if (!target) throw std::invalid_argument("--vary " + a.name + ": " + why);
  a.target = *target;
  if (a.target.kind == AxisKind::kScenario || a.target.kind == AxisKind::kSeed) {
    throw std::invalid_argument("--vary " + a.name +
                                ": not a cluster parameter (seeds: --seeds; the scenario is the "
                                "first argument)");
  }
  const auto dots = values.find("..");
  if (dots != std::string::npos) {
    if (!axis_is_integer(a.target))
      throw std::invalid_argument("--vary " + a.name + ": a range needs an integer axis");
    std::string hi_text = values.substr(dots + 2);
    std::int64_t step = 1;
    const bool stepped = hi_text.find(':') != std::string::npos;
    if (const auto colon = hi_text.find(':'); colon != std::string::npos) {
      auto s = parse_int64(hi_text.substr(colon + 1));
      if (!s || *s < 1)
        throw std::invalid_argument("--vary " + a.name + ": the step after ':' must be >= 1");
      step = *s;
      hi_text = hi_text.substr(0, colon);
    }
    auto lo = parse_int64(values.substr(0, dots));
    auto hi = parse_int64(hi_text);
    if (!lo || !hi) {
      throw std::invalid_argument("--vary " + a.name + ": expected integers lo..hi, got \"" +
                                  values + "\"");
    }
    if (*lo > *hi)
      throw std::invalid_argument("--vary " + a.name + ": " + std::to_string(*lo) + " > " +
                                  std::to_string(*hi));
    if ((*hi - *lo) / step >= 100000)
      throw std::invalid_argument("--vary " + a.name + ": more than 100000 values");
    for (std::int64_t v = *lo; v <= *hi; v += step)
      a.values.push_back(canonical(a, std::to_string(v)));
    // Binary search needs every integer of the range (a step skips some); any step, ":1"
    // included, asks for the grid, which assumes no monotonicity (docs/plan.md).
    a.range = !stepped;
    a.lo = *lo;
    a.hi = *hi;
    return a;
  }
  std::size_t start = 0;
  while (start <= values.size()) {
    const auto comma = values.find(',', start);
    const std::string v =
        values.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (v.empty()) throw std::invalid_argument("--vary " + a.name + ": an empty value");
    a.values.push_back(canonical(a, v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return a;
}

SearchResult monotone_search(const PlanAxis& axis, const EvaluateBatch& evaluate) {
  if (!axis.range || axis.values.empty())
    throw std::logic_error("monotone_search: needs one integer range axis");
  SearchResult r;
  r.method = "monotone";
  std::size_t lo = 0, hi = axis.values.size() - 1;
  auto record = [&](const std::vector<std::size_t>& idx, const std::vector<bool>& ok) {
    for (std::size_t i = 0; i < idx.size(); ++i)
      r.evaluated.push_back({{idx[i]}, ok[i]});
  };
  // The two bounds together (they may run in parallel).
  std::vector<std::size_t> first{hi};
  if (lo != hi) first.push_back(lo);
  std::vector<std::vector<std::size_t>> batch;
  for (std::size_t i : first)
    batch.push_back({i});
  const std::vector<bool> ok = evaluate(batch);
  record(first, ok);
  if (!ok[0]) {
    r.upper_bound_fails = true;
    return r;
  }
  if (lo == hi || ok[1]) {
    r.lower_bound_holds = true;
    return r;
  }
  // Invariant: lo fails, hi holds.
  while (hi - lo > 1) {
    const std::size_t mid = lo + (hi - lo) / 2;
    const bool m = evaluate({{mid}}).front();
    record({mid}, {m});
    (m ? hi : lo) = mid;
  }
  return r;
}

SearchResult grid_search(const std::vector<PlanAxis>& axes, const EvaluateBatch& evaluate) {
  SearchResult r;
  r.method = "grid";
  std::vector<std::vector<std::size_t>> all;
  std::vector<std::size_t> idx(axes.size(), 0);
  if (axes.empty()) return r;
  for (;;) {
    all.push_back(idx);
    std::size_t k = axes.size();
    while (k > 0) {
      --k;
      if (++idx[k] < axes[k].values.size()) break;
      idx[k] = 0;
      if (k == 0) {
        k = axes.size() + 1;  // wrapped the outermost axis: done
        break;
      }
    }
    if (k == axes.size() + 1) break;
  }
  const std::vector<bool> ok = evaluate(all);
  for (std::size_t i = 0; i < all.size(); ++i)
    r.evaluated.push_back({all[i], ok[i]});
  return r;
}

}  // namespace gpusim::scenario
