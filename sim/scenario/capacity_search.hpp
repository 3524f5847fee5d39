#pragma once
// The search behind `gpusim plan` (docs/plan.md): which candidate clusters to run. A candidate
// is feasible when every expectation of the scenario holds on every seed; the planner wants the
// smallest (or cheapest) feasible one.
//
// One varied node count: binary search, which assumes monotonicity (more nodes never make an
// expectation fail that held with fewer). Both bounds are evaluated first: when the upper bound
// fails nothing in the range is feasible, when the lower bound holds it is the answer. Otherwise
// the search keeps lo failing and hi feasible until they are adjacent, so the answer's
// predecessor is always evaluated and shown failing. Several varied parameters: every point of
// the grid (no monotonicity assumed).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "scenario/sweep_overrides.hpp"

namespace gpusim::scenario {

// One --vary NAME=VALUES: an axis of the sweep machinery (nodepool/<pool>.count, ...) and its
// values in order (a range lo..hi[:step] or a list a,b,c).
struct PlanAxis {
  std::string name;
  AxisTarget target;
  std::vector<std::string> values;  // canonical text
  bool range = false;               // given as lo..hi (integer, step 1): monotone search allowed
  std::int64_t lo = 0, hi = 0;
};

// Parses "NAME=lo..hi", "NAME=lo..hi:step" or "NAME=a,b,c". Throws std::invalid_argument with
// the reason (an unknown axis, a malformed value, lo > hi, a range on a non-integer axis).
PlanAxis parse_vary(const std::string& text);

// Evaluates a batch of candidates (each a value index per axis) and returns whether each is
// feasible, in the same order. A batch may run in parallel; results depend only on the
// candidate.
using EvaluateBatch =
    std::function<std::vector<bool>(const std::vector<std::vector<std::size_t>>& candidates)>;

struct SearchResult {
  std::string method;  // "monotone" or "grid"
  // Every evaluated candidate in evaluation order with its verdict.
  std::vector<std::pair<std::vector<std::size_t>, bool>> evaluated;
  bool upper_bound_fails = false;  // monotone: the largest value is infeasible
  bool lower_bound_holds = false;  // monotone: the smallest value is feasible already
};

// Monotone binary search over one range axis (axes.size() == 1 and axes[0].range).
SearchResult monotone_search(const PlanAxis& axis, const EvaluateBatch& evaluate);
// The full grid, first axis outermost, evaluated in one batch.
SearchResult grid_search(const std::vector<PlanAxis>& axes, const EvaluateBatch& evaluate);

}  // namespace gpusim::scenario
