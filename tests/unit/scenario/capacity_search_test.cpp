// The capacity planner's search (scenario/capacity_search.hpp): --vary parsing, the monotone
// binary search against a known threshold, bounds, and the grid.
#include "scenario/capacity_search.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace gpusim::scenario {
namespace {

// A predicate "count >= threshold" over one axis, counting runs.
struct Threshold {
  const PlanAxis& axis;
  std::int64_t threshold;
  int runs = 0;
  std::vector<std::vector<std::size_t>> batches{};  // batch sizes are recorded as their contents
  EvaluateBatch fn() {
    return [this](const std::vector<std::vector<std::size_t>>& batch) {
      std::vector<bool> ok;
      for (const auto& c : batch) {
        ++runs;
        ok.push_back(std::stoll(axis.values[c[0]]) >= threshold);
      }
      return ok;
    };
  }
};

std::vector<std::int64_t> evaluated_values(const PlanAxis& a, const SearchResult& r) {
  std::vector<std::int64_t> v;
  for (const auto& [idx, ok] : r.evaluated)
    v.push_back(std::stoll(a.values[idx[0]]));
  return v;
}

TEST(ParseVary, RangesListsAndSteps) {
  const PlanAxis a = parse_vary("nodepool/a100.count=4..64");
  EXPECT_EQ(a.target.kind, AxisKind::kPoolCount);
  EXPECT_EQ(a.target.pool, "a100");
  EXPECT_TRUE(a.range);
  EXPECT_EQ(a.values.size(), 61u);
  EXPECT_EQ(a.values.front(), "4");
  EXPECT_EQ(a.values.back(), "64");
  const PlanAxis s = parse_vary("nodepool/a100.count=0..10:5");
  EXPECT_FALSE(s.range);  // a step skips values: no binary search
  EXPECT_EQ(s.values, (std::vector<std::string>{"0", "5", "10"}));
  // Any step asks for the grid, as docs/plan.md says, ":1" too: a way to run every value of a
  // range without assuming monotonicity.
  const PlanAxis one = parse_vary("nodepool/a100.count=1..16:1");
  EXPECT_FALSE(one.range);
  EXPECT_EQ(one.values.size(), 16u);
  const PlanAxis l = parse_vary("nodepool/a100.gpuModel=A100,H100");
  EXPECT_FALSE(l.range);
  EXPECT_EQ(l.values, (std::vector<std::string>{"A100", "H100"}));
}

TEST(ParseVary, BadInputSaysWhy) {
  auto why = [](const std::string& text) {
    try {
      parse_vary(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(why("nodepool/a100.count").find("expected NAME=lo..hi"), std::string::npos);
  EXPECT_NE(why("nodepool/a100.count=8..4").find("8 > 4"), std::string::npos);
  EXPECT_NE(why("nodepool/a100.count=-1..4").find("integer from 0"), std::string::npos);
  EXPECT_NE(why("nodepool/a100.size=1..4").find("count or gpuModel"), std::string::npos);
  EXPECT_NE(why("nodepool/a100.gpuModel=1..4").find("integer axis"), std::string::npos);
  EXPECT_NE(why("seed=1..4").find("--seeds"), std::string::npos);
  EXPECT_NE(why("nodes=1..4").find("unknown axis"), std::string::npos);
  EXPECT_NE(why("nodepool/a100.count=1..4:0").find("step"), std::string::npos);
}

TEST(MonotoneSearch, FindsTheThresholdAndShowsItsPredecessorFailing) {
  const PlanAxis a = parse_vary("nodepool/a100.count=4..64");
  for (std::int64_t t : {5, 17, 33, 63, 64}) {
    Threshold th{a, t};
    const SearchResult r = monotone_search(a, th.fn());
    // The smallest feasible value is among the evaluated, and one less was evaluated and failed.
    std::int64_t best = -1;
    bool pred_failed = false;
    for (const auto& [idx, ok] : r.evaluated) {
      const std::int64_t v = std::stoll(a.values[idx[0]]);
      if (ok && (best < 0 || v < best)) best = v;
    }
    for (const auto& [idx, ok] : r.evaluated) {
      if (std::stoll(a.values[idx[0]]) == t - 1) pred_failed = !ok;
    }
    EXPECT_EQ(best, t) << "threshold " << t;
    EXPECT_TRUE(pred_failed) << "threshold " << t;
    EXPECT_FALSE(r.upper_bound_fails);
    EXPECT_FALSE(r.lower_bound_holds);
    // Binary search: the bounds plus about log2(61) probes, not all 61 values.
    EXPECT_LE(th.runs, 2 + 6) << "threshold " << t;
  }
}

TEST(MonotoneSearch, BoundsFirst) {
  const PlanAxis a = parse_vary("nodepool/a100.count=4..64");
  Threshold fails{a, 65};
  const SearchResult r = monotone_search(a, fails.fn());
  EXPECT_TRUE(r.upper_bound_fails);
  EXPECT_EQ(evaluated_values(a, r), (std::vector<std::int64_t>{64, 4}));
  Threshold holds{a, 2};
  const SearchResult h = monotone_search(a, holds.fn());
  EXPECT_TRUE(h.lower_bound_holds);
  EXPECT_EQ(evaluated_values(a, h), (std::vector<std::int64_t>{64, 4}));
  const PlanAxis one = parse_vary("nodepool/a100.count=7..7");
  Threshold single{one, 7};
  const SearchResult s = monotone_search(one, single.fn());
  EXPECT_TRUE(s.lower_bound_holds);
  EXPECT_EQ(s.evaluated.size(), 1u);
}

TEST(GridSearch, EveryCombinationFirstAxisOutermost) {
  const std::vector<PlanAxis> axes{parse_vary("nodepool/a.count=1..2"),
                                   parse_vary("nodepool/b.count=0,5,9")};
  int runs = 0;
  const SearchResult r = grid_search(axes, [&](const std::vector<std::vector<std::size_t>>& b) {
    runs += static_cast<int>(b.size());
    std::vector<bool> ok;
    for (const auto& c : b)
      ok.push_back(c[0] + c[1] >= 2);
    return ok;
  });
  EXPECT_EQ(runs, 6);
  ASSERT_EQ(r.evaluated.size(), 6u);
  EXPECT_EQ(r.evaluated[0].first, (std::vector<std::size_t>{0, 0}));
  EXPECT_EQ(r.evaluated[1].first, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(r.evaluated[3].first, (std::vector<std::size_t>{1, 0}));
  EXPECT_EQ(r.evaluated[5].first, (std::vector<std::size_t>{1, 2}));
  EXPECT_FALSE(r.evaluated[1].second);
  EXPECT_TRUE(r.evaluated[2].second);
}

}  // namespace
}  // namespace gpusim::scenario
