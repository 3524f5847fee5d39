#pragma once
// The batch side of a run, wired as one unit: ResourceQuota admission and its controller, the
// CronJob and PyTorchJob controllers, the cluster-autoscaler for autoscaled node pools, arrivals
// of batch work, and the quota.csv / pools.csv / namespaces.csv outputs. Construction happens in
// two steps because of what each part needs to see: the admission plugin and the controllers
// must exist before the first object is stored (quotas are synced as they arrive, so the first
// pod is already charged), while the autoscaler and the pool output need the initial nodes and
// the scheduler.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "controllers/cluster_autoscaler.hpp"
#include "controllers/cron_job_controller.hpp"
#include "controllers/pytorch_job_controller.hpp"
#include "controllers/resource_quota_admission.hpp"
#include "controllers/resource_quota_controller.hpp"
#include "engine/arrivals.hpp"
#include "engine/namespace_output.hpp"
#include "engine/pool_output.hpp"
#include "engine/quota_output.hpp"
#include "engine/simulation.hpp"
#include "engine/simulation_spec.hpp"

namespace gpusim::engine {

class Batch : public OutputContributor {
 public:
  // Registers the quota admission plugin (after those already registered: it runs last, as
  // upstream's does) and the controllers as observers.
  Batch(Cluster& cluster, EventLoop& loop, const Scenario& scenario, std::uint64_t seed);
  ~Batch() override;

  // Once the initial nodes exist: the autoscaler (when a pool autoscales), the outputs and the
  // arrival streams, all starting at the current time. `add_node` adds one node to a pool.
  void start(const sched::Scheduler& scheduler, ctrl::ClusterAutoscaler::NodeFactory add_node);

  void finish() override;
  void add_summary(nlohmann::ordered_json& summary) const override;
  void write(const StagedDirectory& dir) const override;

  ctrl::ResourceQuotaAdmission& quota_admission() { return *quota_admission_; }
  ctrl::ResourceQuotaController& quota_controller() { return *quota_controller_; }
  const ctrl::ClusterAutoscaler* autoscaler() const { return autoscaler_.get(); }
  const ArrivalGenerator* arrivals() const { return arrivals_.get(); }
  const PoolOutput* pools() const { return pools_.get(); }

 private:
  Cluster& cluster_;
  EventLoop& loop_;
  const Scenario& scenario_;
  std::uint64_t seed_;
  std::unique_ptr<ctrl::ResourceQuotaAdmission> quota_admission_;
  std::unique_ptr<ctrl::ResourceQuotaController> quota_controller_;
  std::unique_ptr<ctrl::CronJobController> cron_jobs_;
  std::unique_ptr<ctrl::PyTorchJobController> pytorch_jobs_;
  std::unique_ptr<ctrl::ClusterAutoscaler> autoscaler_;
  std::unique_ptr<ArrivalGenerator> arrivals_;
  std::unique_ptr<PoolOutput> pools_;
  std::unique_ptr<QuotaOutput> quotas_;
  std::unique_ptr<NamespaceOutput> namespaces_;
};

// Whether a scenario uses any batch feature whose outputs a run should carry (quotas, CronJobs,
// PyTorchJobs, arrivals, autoscaled or priced pools). Runs without them keep their outputs as
// they were before these features existed.
bool uses_batch_outputs(const Scenario& scenario);

}  // namespace gpusim::engine
