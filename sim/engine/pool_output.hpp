#pragma once
// Node pools over time and what they cost: pools.csv (per sample and pool: t_ms,pool,nodes,
// nodes_ready,gpus,gpu_allocated_milli,cost_micros, the cost accrued since t=0 in millionths of
// the currency unit, then the provisioning state: failed_scale_ups and nodes_failed so far, and
// backed_off and stocked_out, 1 while the autoscaler leaves the pool out of scale-ups after a
// failure / while a timeline stockOut of the pool is in force) and summary.json sections "pools"
// (node-hours, cost, scale-ups and removals per pool) and "cost" (the total). Cost is the pool's
// costPerHour integrated over every node's lifetime from the scale-up decision that launched it
// (clouds bill a machine while it boots and joins), or from the start for the initial nodes, until
// the node is removed (a node that never registers is billed until the autoscaler deletes it; one
// the cloud refused outright, out of capacity, is not billed at all); node-hours count joined nodes
// only.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controllers/cluster_autoscaler.hpp"
#include "core/event_loop.hpp"
#include "core/int128.hpp"
#include "engine/simulation.hpp"
#include "engine/simulation_spec.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {

class PoolOutput : public OutputContributor, public ClusterObserver {
 public:
  // `autoscaler` may be null (no autoscaled pool).
  PoolOutput(const Cluster& cluster, EventLoop& loop, TimeMs interval_ms,
             const std::vector<NodePoolSpec>& pools, const ctrl::ClusterAutoscaler* autoscaler);
  void start();
  void finish() override;
  void add_summary(nlohmann::ordered_json& summary) const override;
  void write(const StagedDirectory& dir) const override;

  void on_node_added(NodeId id) override;
  void on_node_removed(NodeId id) override;
  // ScaledUpGroup: the new nodes are billed from now; DeleteUnregistered: one is no longer.
  void on_event(const ClusterEvent& e) override;

  // Cost accrued so far by a pool (micros), up to the last integration.
  std::int64_t cost_micros(const std::string& pool) const;

 private:
  struct Pool {
    std::int64_t cost_per_hour_micros = 0;
    bool autoscaled = false;
    std::int32_t min_size = 0, max_size = 0;
    std::int32_t nodes = 0, initial = 0, peak = 0;
    std::int32_t billed = 0;   // nodes plus those being provisioned
    std::int64_t node_ms = 0;  // integral of the node count over time
    Int128 cost_area = 0;      // node-ms x micros per hour
    TimeMs last_ms = 0;
  };
  void integrate(Pool& p);
  // After a change: integrates up to now at the old counts, then takes the new ones.
  void recount(const std::string& name, Pool& p, std::int32_t node_delta);
  void sample();

  const Cluster& cluster_;
  EventLoop& loop_;
  TimeMs interval_ms_;
  const ctrl::ClusterAutoscaler* autoscaler_;
  std::map<std::string, Pool> pools_;
  bool started_ = false;
  std::string csv_;
  TimeMs last_sample_ms_ = -1;
  std::string last_sample_rows_;
};

}  // namespace gpusim::engine
