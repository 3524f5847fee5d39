// The t=0 rows of timeseries.csv and quota.csv show the settled state of the first instant, as
// every later row shows its own: the pods created and scheduled at t=0 are in them. (They used
// to be taken before any event ran, so a chart began with an empty cluster.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/split.hpp"
#include "unit/engine/scenario_run.hpp"

namespace gpusim::engine {
namespace {

constexpr const char* kFirstInstant = R"(apiVersion: v1
kind: Node
metadata: {name: node-a}
status:
  capacity: {cpu: "8", memory: 8Gi}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: team}
spec:
  hard: {requests.cpu: "4"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: app, resources: {requests: {cpu: 500m}}}]
---
apiVersion: gpusim.io/v1alpha1
kind: Simulation
metadata: {name: s}
spec: {duration: 10m, sampleInterval: 1m}
)";

// The cells of the first data row (t=0) of a CSV, by column name.
std::vector<std::pair<std::string, std::string>> first_row(const std::string& csv) {
  const std::vector<std::string> lines = split(csv, '\n');
  EXPECT_GE(lines.size(), 2u);
  const std::vector<std::string> names = split(lines[0], ',');
  const std::vector<std::string> cells = split(lines[1], ',');
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < names.size() && i < cells.size(); ++i)
    out.emplace_back(names[i], cells[i]);
  return out;
}

std::string cell(const std::vector<std::pair<std::string, std::string>>& row,
                 const std::string& name) {
  for (const auto& [n, v] : row) {
    if (n == name) return v;
  }
  ADD_FAILURE() << "no column " << name;
  return {};
}

TEST(FirstSample, TimeZeroRowsIncludeTheFirstInstantsPods) {
  testing_run::ScenarioRun run(kFirstInstant);
  run.run();

  const auto ts = first_row(run.output("timeseries.csv"));
  EXPECT_EQ(cell(ts, "t_ms"), "0");
  EXPECT_EQ(cell(ts, "cpu_allocated_milli"), "1500");  // three replicas bound at t=0
  EXPECT_EQ(cell(ts, "pods_pending"), "0");

  const auto quota = first_row(run.output("quota.csv"));
  EXPECT_EQ(cell(quota, "t_ms"), "0");
  EXPECT_EQ(cell(quota, "used"), "1.5");
}

}  // namespace
}  // namespace gpusim::engine
