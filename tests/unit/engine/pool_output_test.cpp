// pools.csv carries each pool's provisioning state per sample (failed_scale_ups, nodes_failed,
// backed_off, stocked_out after the cost columns): a capacity planner sees when and for how long
// a pool could not grow, from the run directory alone. Expected values come from the run's own
// events (StockOut, Restock, ScaleUpFailed) and the autoscaler's documented 5-minute first
// back-off, not from the file itself.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/split.hpp"
#include "unit/engine/scenario_run.hpp"

namespace gpusim::engine {
namespace {

using testing_util::EventLog;

// Zone a's H100 pool is stocked out from 30m for 6h; a training pod arrives at 1h and another
// at 8h. The price expander prefers zone a, so the first scale-up is refused there and zone b
// takes the pod; the second goes to zone a, restocked by then.
constexpr const char* kScenario =
    "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: s}\nspec:\n"
    "  duration: 10h\n"
    "  sampleInterval: 1m\n"
    "  defaults: {podDuration: 2h}\n"
    "  clusterAutoscaler: {expander: price}\n"
    "  nodePools:\n"
    "    - name: cpu\n"
    "      count: 1\n"
    "      costPerHour: \"1\"\n"
    "      template: {status: {capacity: {cpu: 8, memory: 32Gi}}}\n"
    "    - name: h100-a\n"
    "      costPerHour: \"10\"\n"
    "      autoscaling: {maxSize: 4, provisioningDelay: 5m}\n"
    "      template: {metadata: {labels: {topology.kubernetes.io/zone: a}},\n"
    "                 status: {capacity: {cpu: 96, memory: 1Ti, nvidia.com/gpu: 8}}}\n"
    "    - name: h100-b\n"
    "      costPerHour: \"12\"\n"
    "      autoscaling: {maxSize: 4, provisioningDelay: 5m}\n"
    "      template: {metadata: {labels: {topology.kubernetes.io/zone: b}},\n"
    "                 status: {capacity: {cpu: 96, memory: 1Ti, nvidia.com/gpu: 8}}}\n"
    "  timeline:\n"
    "    - {at: 30m, action: stockOut, target: h100-a, params: {duration: 6h}}\n"
    "  arrivals:\n"
    "    - name: train\n"
    "      interval: 7h\n"
    "      start: 1h\n"
    "      count: 2\n"
    "      template:\n"
    "        apiVersion: v1\n"
    "        kind: Pod\n"
    "        spec:\n"
    "          restartPolicy: Never\n"
    "          containers: [{name: c, image: trainer, resources: {limits: {nvidia.com/gpu: "
    "8}}}]\n";

struct Row {
  TimeMs t_ms = 0;
  std::map<std::string, std::int64_t> values;  // every numeric column by name
};

TEST(PoolOutput, PoolsCsvHasTheProvisioningStateOfEachSample) {
  testing_run::ScenarioRun run(kScenario);
  run.run();
  const EventLog& log = run.log;
  const std::string csv = run.output("pools.csv");

  std::vector<std::string> lines = split(csv, '\n');
  while (!lines.empty() && lines.back().empty())
    lines.pop_back();
  ASSERT_GT(lines.size(), 1u);
  // The earlier columns keep their names and order; the new ones follow.
  ASSERT_EQ(lines[0],
            "t_ms,pool,nodes,nodes_ready,gpus,gpu_allocated_milli,cost_micros,failed_scale_ups,"
            "nodes_failed,backed_off,stocked_out");
  const std::vector<std::string> header = split(lines[0], ',');
  std::map<std::string, std::vector<Row>> by_pool;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> f = split(lines[i], ',');
    ASSERT_EQ(f.size(), header.size()) << lines[i];
    Row r;
    r.t_ms = std::stoll(f[0]);
    for (std::size_t c = 2; c < f.size(); ++c)
      r.values[header[c]] = std::stoll(f[c]);
    by_pool[f[1]].push_back(std::move(r));
  }
  ASSERT_EQ(by_pool.size(), 3u);

  const std::vector<TimeMs> stock_out = log.times("StockOut", "h100-a");
  const std::vector<TimeMs> restock = log.times("Restock", "h100-a");
  const std::vector<TimeMs> failed = log.times("ScaleUpFailed", "h100-a");
  ASSERT_EQ(stock_out.size(), 1u);
  ASSERT_EQ(restock.size(), 1u);
  ASSERT_EQ(failed.size(), 1u);  // the refusal at 1h; zone a was restocked by 8h
  ASSERT_TRUE(log.times("ScaleUpTimedOut", "h100-a").empty());
  constexpr TimeMs kInitialBackoff = 5 * 60'000;

  std::int64_t stocked_samples = 0, backed_off_samples = 0;
  for (const Row& r : by_pool.at("h100-a")) {
    SCOPED_TRACE("h100-a at " + std::to_string(r.t_ms));
    const bool stocked = r.t_ms >= stock_out[0] && r.t_ms < restock[0];
    const bool backed_off = r.t_ms >= failed[0] && r.t_ms < failed[0] + kInitialBackoff;
    EXPECT_EQ(r.values.at("stocked_out"), stocked ? 1 : 0);
    EXPECT_EQ(r.values.at("backed_off"), backed_off ? 1 : 0);
    // Cumulative: the one refused scale-up and its one refused node, from the scan that saw it.
    EXPECT_EQ(r.values.at("failed_scale_ups"), r.t_ms >= failed[0] ? 1 : 0);
    EXPECT_EQ(r.values.at("nodes_failed"), r.t_ms >= failed[0] ? 1 : 0);
    stocked_samples += r.values.at("stocked_out");
    backed_off_samples += r.values.at("backed_off");
  }
  // Six hours of one-minute samples; the back-off's five minutes start between two samples.
  EXPECT_EQ(stocked_samples, 360);
  EXPECT_EQ(backed_off_samples, 5);
  // Zone b took the refused pod and never failed; the cpu pool is not autoscaled.
  for (const char* pool : {"h100-b", "cpu"}) {
    for (const Row& r : by_pool.at(pool)) {
      for (const char* c : {"failed_scale_ups", "nodes_failed", "backed_off", "stocked_out"})
        EXPECT_EQ(r.values.at(c), 0) << pool << " " << c << " at " << r.t_ms;
    }
  }
  EXPECT_GT(by_pool.at("h100-b").back().values.at("cost_micros"), 0);

  // The last sample agrees with summary.json's pools.
  const auto summary = run.sim().summary();
  for (const auto& p : summary["pools"]) {
    if (p["pool"] != "h100-a") continue;
    EXPECT_EQ(p["failed_scale_ups"].get<std::int64_t>(),
              by_pool.at("h100-a").back().values.at("failed_scale_ups"));
    EXPECT_EQ(p["nodes_failed"].get<std::int64_t>(),
              by_pool.at("h100-a").back().values.at("nodes_failed"));
  }
}

}  // namespace
}  // namespace gpusim::engine
