#pragma once
// The serving side of a run, wired as one unit: the metrics pipeline and load model, the HPA
// controller, PodDisruptionBudgets, taint-based eviction, the node lifecycle controller, kubectl
// drain, the timeline, and the workloads.csv / hpa.csv outputs. Simulation creates it before
// the cluster is populated (its observers must see every object) and it starts itself at t=0.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controllers/disruption.hpp"
#include "controllers/drain.hpp"
#include "controllers/hpa_controller.hpp"
#include "controllers/metrics_pipeline.hpp"
#include "controllers/node_lifecycle.hpp"
#include "controllers/taint_eviction.hpp"
#include "core/fork_join.hpp"
#include "engine/simulation.hpp"
#include "engine/timeline.hpp"
#include "engine/workload_outputs.hpp"

namespace gpusim::engine {

class Serving : public OutputContributor {
 public:
  // `threads`: see RunOptions::threads.
  Serving(Cluster& cluster, EventLoop& loop, const SimulationSpec& spec, std::uint64_t seed,
          unsigned threads, Timeline::AddPoolNode add_pool_node);
  ~Serving() override;

  void add_summary(nlohmann::ordered_json& summary) const override;
  void write(const StagedDirectory& dir) const override;
  void stream_to(TextSpool& spool, const StagedDirectory& dir) override;

  ctrl::MetricsPipeline& metrics() { return *metrics_; }
  ctrl::HpaController& hpa() { return *hpa_; }
  ctrl::DrainController& drains() { return *drains_; }
  ctrl::NodeLifecycleController& nodes() { return *nodes_; }
  Timeline& timeline() { return *timeline_; }
  const WorkloadOutputs& outputs() const { return *outputs_; }

 private:
  std::unique_ptr<ForkJoin> fork_join_;  // null: everything on the event loop's thread
  std::unique_ptr<ctrl::MetricsPipeline> metrics_;
  std::unique_ptr<ctrl::HpaController> hpa_;
  std::unique_ptr<ctrl::TaintEvictionController> taints_;
  std::unique_ptr<ctrl::DisruptionController> disruption_;
  std::unique_ptr<ctrl::NodeLifecycleController> nodes_;
  std::unique_ptr<ctrl::DrainController> drains_;
  std::unique_ptr<Timeline> timeline_;
  std::unique_ptr<WorkloadOutputs> outputs_;
};

}  // namespace gpusim::engine
