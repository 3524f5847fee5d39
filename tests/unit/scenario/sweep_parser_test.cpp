// The kind: Sweep document: axes, ranges, metrics, located errors, the plan (ids, order, shards)
// and the overrides each axis applies to a loaded scenario.
#include "scenario/sweep_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "scenario/loader.hpp"
#include "scenario/sweep_overrides.hpp"
#include "scenario/sweep_plan.hpp"
#include "scenario_test_util.hpp"

namespace gpusim::scenario {
namespace {

// The repository, from the source directory CMake passes in (__FILE__ is relative under
// ccache's base_dir, and ctest runs in the build directory).
std::filesystem::path repo_root() {
  return GPUSIM_SOURCE_DIR;
}

std::string sweep_text(
    const std::string& axes,
    const std::string& metrics = "    - {name: scheduled, summary: /pods/scheduled}\n") {
  return "apiVersion: gpusim.io/v1alpha1\nkind: Sweep\nmetadata:\n  name: t\nspec:\n  scenario: "
         "base.yaml\n  axes:\n" +
         axes + "  metrics:\n" + metrics;
}

// The diagnostics of a Sweep that must fail.
std::vector<Diagnostic> errors_of(const std::string& text) {
  try {
    parse_sweep(text, "sweep.yaml", "");
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  ADD_FAILURE() << "expected InputError for:\n" << text;
  return {};
}

TEST(SweepParser, AxesValuesRangesAndMetrics) {
  const SweepSpec s = parse_sweep(
      sweep_text("    - name: policy\n      values: [fgd, BestFit]\n"
                 "    - name: seed\n      range: {from: 3, to: 9, step: 3}\n"
                 "    - name: nodepool/a100.count\n      values: [4, 8]\n",
                 "    - {name: u100, arrival: 100}\n"
                 "    - {name: gpu, summary: /resources/nvidia.com~1gpu/allocated_mean}\n"),
      "sweep.yaml", "dir");
  ASSERT_EQ(s.axes.size(), 3u);
  EXPECT_EQ(s.axes[0].values,
            (std::vector<std::string>{"FGD", "BestFit"}));  // canonical policy names
  EXPECT_EQ(s.axes[1].values, (std::vector<std::string>{"3", "6", "9"}));
  EXPECT_EQ(s.axes[2].labels, (std::vector<std::string>{"4", "8"}));
  ASSERT_EQ(s.metrics.size(), 2u);
  EXPECT_EQ(s.metrics[0].source, SweepMetricSource::kArrival);
  EXPECT_EQ(s.metrics[0].arrival_pct, 100);
  EXPECT_EQ(s.metrics[1].pointer, "/resources/nvidia.com~1gpu/allocated_mean");
  EXPECT_EQ(s.base, (std::vector<std::string>{"dir/base.yaml"}));
  EXPECT_EQ(s.name, "t");
}

TEST(SweepParser, UnknownAxisIsLocated) {
  const auto d = errors_of(sweep_text(
      "    - name: policy\n      values: [FGD]\n    - name: polcy\n      values: [x]\n"));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location.line, 10);
  EXPECT_EQ(d[0].location.column, 13);
  EXPECT_NE(d[0].message.find("unknown axis \"polcy\""), std::string::npos);
  EXPECT_NE(d[0].hint.find("policy"), std::string::npos);
}

TEST(SweepParser, BadValuesAreLocatedAtTheValue) {
  const auto d = errors_of(sweep_text("    - name: policy\n      values: [FGD, Tetris]\n"));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location.line, 9);
  EXPECT_EQ(d[0].location.column, 21);
  EXPECT_NE(d[0].message.find("unknown GPU policy \"Tetris\""), std::string::npos);
  const auto r = errors_of(sweep_text("    - name: policy\n      range: {from: 1, to: 2}\n"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NE(r[0].message.find("range is for integer axes"), std::string::npos);
  const auto back = errors_of(sweep_text("    - name: seed\n      range: {from: 5, to: 2}\n"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].field_path, "spec.axes[0].range.to");
}

TEST(SweepParser, QuotaAndLoadMultiplierRangesStepExactly) {
  const SweepSpec s =
      parse_sweep(sweep_text("    - name: quota/team-a/gpu.hard.requests.memory\n"
                             "      range: {from: 8Gi, to: 32Gi, step: 8Gi}\n"
                             "    - name: quota/team-a/gpu.hard.requests.nvidia.com/gpu\n"
                             "      range: {from: 2, to: 7, step: 2}\n"
                             "    - name: load.multiplier\n"
                             "      range: {from: 0.1, to: 0.7, step: 0.2}\n"),
                  "sweep.yaml", "");
  ASSERT_EQ(s.axes.size(), 3u);
  EXPECT_EQ(s.axes[0].values, (std::vector<std::string>{"8Gi", "16Gi", "24Gi", "32Gi"}));
  EXPECT_EQ(s.axes[1].values, (std::vector<std::string>{"2", "4", "6"}));  // 8 is past `to`
  // Fixed point: 0.1 + 0.2 + 0.2 + 0.2 is 0.7 exactly, so 0.7 is in.
  EXPECT_EQ(s.axes[2].values, (std::vector<std::string>{"0.1", "0.3", "0.5", "0.7"}));
  const auto bad = errors_of(
      sweep_text("    - name: load.multiplier\n      range: {from: 1, to: 2Ki, step: 0}\n"));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].field_path, "spec.axes[0].range.to");
  EXPECT_NE(bad[0].message.find("expected a decimal number"), std::string::npos);
  const auto zero = errors_of(
      sweep_text("    - name: load.multiplier\n      range: {from: 0, to: 2, step: 1}\n"));
  ASSERT_EQ(zero.size(), 1u);  // the first value, 0, is no multiplier
  EXPECT_NE(zero[0].message.find("greater than 0"), std::string::npos);
  const auto nostep =
      errors_of(sweep_text("    - name: quota/a/b.hard.cpu\n      range: {from: 1, to: 2}\n"));
  ASSERT_EQ(nostep.size(), 1u);
  EXPECT_NE(nostep[0].field_path.find("step"), std::string::npos);
}

TEST(SweepParser, MetricsAndUnknownFieldsAreErrors) {
  const auto d = errors_of(
      sweep_text("    - name: seed\n      values: [1]\n      vaules: [2]\n",
                 "    - {name: a, summary: pods.scheduled}\n    - {name: a, arrival: 100}\n"
                 "    - {name: b}\n"));
  std::set<std::string> messages;
  for (const auto& x : d)
    messages.insert(x.field_path + ": " + x.message);
  EXPECT_EQ(d.size(), 4u);
  for (const auto& x : d)
    EXPECT_EQ(x.severity, Severity::kError);
  EXPECT_TRUE(messages.count("spec.axes[0].vaules: unknown field \"vaules\"") ||
              std::any_of(d.begin(), d.end(), [](const Diagnostic& x) {
                return x.message.find("vaules") != std::string::npos;
              }));
  EXPECT_TRUE(std::any_of(d.begin(), d.end(), [](const Diagnostic& x) {
    return x.message.find("not a JSON pointer") != std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(d.begin(), d.end(), [](const Diagnostic& x) {
    return x.message.find("duplicate metric") != std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(d.begin(), d.end(), [](const Diagnostic& x) {
    return x.message.find("needs summary or arrival") != std::string::npos;
  }));
}

TEST(SweepPlan, ProductOrderIdsAndShards) {
  const SweepSpec s =
      parse_sweep(sweep_text("    - name: policy\n      values: [FGD, BestFit, Random]\n"
                             "    - name: seed\n      range: {from: 1, to: 4}\n"),
                  "sweep.yaml", "");
  const auto points = plan_sweep(s);
  ASSERT_EQ(points.size(), 12u);
  // First axis outermost.
  EXPECT_EQ(points[1].value_index, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(points[4].value_index, (std::vector<std::size_t>{1, 0}));
  std::set<std::string> ids;
  for (const auto& p : points)
    ids.insert(p.id);
  EXPECT_EQ(ids.size(), 12u);
  EXPECT_EQ(points[4].id.rfind("BestFit_1-", 0), 0u) << points[4].id;
  // Ids depend on the values only: a sweep with fewer policies names the same point the same.
  const SweepSpec fewer =
      parse_sweep(sweep_text("    - name: policy\n      values: [BestFit]\n"
                             "    - name: seed\n      range: {from: 1, to: 4}\n"),
                  "sweep.yaml", "");
  EXPECT_EQ(plan_sweep(fewer)[0].id, points[4].id);
  // Shards partition the plan.
  std::size_t shard = 0, shards = 0;
  ASSERT_TRUE(parse_shard("2/5", shard, shards));
  EXPECT_EQ(shard, 2u);
  EXPECT_EQ(shards, 5u);
  EXPECT_FALSE(parse_shard("5/5", shard, shards));
  EXPECT_FALSE(parse_shard("1/0", shard, shards));
  EXPECT_FALSE(parse_shard("1-3", shard, shards));
  std::vector<int> owners(points.size(), 0);
  for (std::size_t i = 0; i < 5; ++i) {
    for (const auto& p : points)
      owners[p.index] += in_shard(p, i, 5) ? 1 : 0;
  }
  for (int o : owners)
    EXPECT_EQ(o, 1);
}

TEST(SweepOverrides, ApplyToTheLoadedScenario) {
  const std::string root = repo_root().string();
  engine::Scenario s = load_scenario({root + "/scenarios/demo"});
  std::string why;
  auto pool = parse_axis_name("nodepool/a100.count", &why);
  ASSERT_TRUE(pool);
  EXPECT_EQ(apply_override(s, *pool, "5"), "");
  const auto a100 = std::find_if(s.simulation.node_pools.begin(), s.simulation.node_pools.end(),
                                 [](const auto& p) { return p.name == "a100"; });
  ASSERT_NE(a100, s.simulation.node_pools.end());
  EXPECT_EQ(a100->count, 5);
  auto missing = parse_axis_name("nodepool/h100.count", &why);
  EXPECT_NE(apply_override(s, *missing, "5").find("no node pool \"h100\""), std::string::npos);
  auto hpa = parse_axis_name("hpa/ml-serving/fraud-detector-hpa.targetUtilization", &why);
  ASSERT_TRUE(hpa);
  EXPECT_EQ(apply_override(s, *hpa, "55"), "");
  ASSERT_FALSE(s.hpas.empty());
  EXPECT_EQ(s.hpas[0].metrics[0].target.average_utilization, 55);
  auto quota = parse_axis_name("quota/team-a/gpu.hard.requests.nvidia.com/gpu", &why);
  ASSERT_TRUE(quota);
  EXPECT_EQ(quota->ns, "team-a");
  EXPECT_EQ(quota->object, "gpu");
  EXPECT_EQ(quota->resource, "requests.nvidia.com/gpu");
  EXPECT_NE(apply_override(s, *quota, "8").find("no ResourceQuota team-a/gpu"), std::string::npos);
  auto policy = parse_axis_name("policy", &why);
  EXPECT_EQ(apply_override(s, *policy, "FGD"), "");
  EXPECT_EQ(s.simulation.policy, "FGD");
  EXPECT_FALSE(parse_axis_name("nodepool/a100.size", &why));
  EXPECT_NE(why.find("count or gpuModel"), std::string::npos);
  EXPECT_FALSE(canonical_axis_value(*quota, "-1", &why));
  EXPECT_FALSE(canonical_axis_value(*pool, "two", &why));
}

TEST(SweepOverrides, MinAboveMaxIsCheckedAfterEveryValue) {
  const std::string root = repo_root().string();
  engine::Scenario s = load_scenario({root + "/scenarios/demo"});
  std::string why;
  auto min = parse_axis_name("hpa/ml-serving/fraud-detector-hpa.minReplicas", &why);
  auto max = parse_axis_name("hpa/ml-serving/fraud-detector-hpa.maxReplicas", &why);
  auto target = parse_axis_name("hpa/ml-serving/fraud-detector-hpa.targetUtilization", &why);
  auto other = parse_axis_name("hpa/ml-serving/other-hpa.maxReplicas", &why);
  ASSERT_TRUE(min && max && target && other);
  EXPECT_TRUE(same_hpa(*min, *max));
  EXPECT_TRUE(same_hpa(*min, *target));
  EXPECT_FALSE(same_hpa(*min, *other));
  auto pool = parse_axis_name("nodepool/a100.count", &why);
  EXPECT_FALSE(same_hpa(*pool, *pool));
  // 12 is above the scenario's maxReplicas (10) until the max axis's 20 is applied too.
  EXPECT_EQ(apply_override(s, *min, "12"), "");
  EXPECT_NE(check_overridden(s, *min).find("minReplicas 12 would exceed maxReplicas 10"),
            std::string::npos);
  EXPECT_EQ(apply_override(s, *max, "20"), "");
  EXPECT_EQ(check_overridden(s, *min), "");
  EXPECT_EQ(check_overridden(s, *max), "");
}

TEST(SweepOverrides, LoadMultiplierScalesTraceInflation) {
  const std::string root = repo_root().string();
  engine::Scenario s = load_scenario({root + "/scenarios/openb/default.yaml"});
  std::string why;
  auto load = parse_axis_name("load.multiplier", &why);
  ASSERT_TRUE(load);
  ASSERT_TRUE(canonical_axis_value(*load, "1.5", &why));
  EXPECT_FALSE(canonical_axis_value(*load, "0", &why));
  EXPECT_EQ(apply_override(s, *load, "1.5"), "");
  EXPECT_DOUBLE_EQ(s.simulation.trace->inflate, 1.3 * 1.5);
}

}  // namespace
}  // namespace gpusim::scenario
