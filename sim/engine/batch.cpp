#include "engine/batch.hpp"

#include <algorithm>

#include "engine/scenario.hpp"

namespace gpusim::engine {
namespace {

constexpr TimeMs kDefaultJobPodDurationMs = 10 * 60'000;

}  // namespace

bool uses_batch_outputs(const Scenario& scenario) {
  const SimulationSpec& spec = scenario.simulation;
  const bool priced_or_autoscaled =
      std::any_of(spec.node_pools.begin(), spec.node_pools.end(), [](const NodePoolSpec& p) {
        return p.autoscaling.has_value() || p.cost_per_hour_micros > 0;
      });
  return !scenario.quotas.empty() || !scenario.cron_jobs.empty() ||
         !scenario.pytorch_jobs.empty() || !spec.arrivals.empty() || priced_or_autoscaled;
}

Batch::Batch(Cluster& cluster, EventLoop& loop, const Scenario& scenario, std::uint64_t seed)
    : cluster_(cluster), loop_(loop), scenario_(scenario), seed_(seed) {
  const SimulationSpec& spec = scenario_.simulation;
  quota_admission_ = std::make_unique<ctrl::ResourceQuotaAdmission>(cluster_);
  cluster_.add_admission(quota_admission_.get());
  quota_controller_ = std::make_unique<ctrl::ResourceQuotaController>(cluster_);
  cron_jobs_ = std::make_unique<ctrl::CronJobController>(cluster_, loop_);
  // Training pods without gpusim.io/duration run as long as Job pods do by default.
  pytorch_jobs_ = std::make_unique<ctrl::PyTorchJobController>(
      cluster_, loop_, seed_,
      spec.defaults.job_pod_duration.value_or(DurationDistribution::fixed(
          spec.defaults.job_pod_duration_ms.value_or(kDefaultJobPodDurationMs))));
  cluster_.add_observer(quota_controller_.get());
  cluster_.add_observer(cron_jobs_.get());
  cluster_.add_observer(pytorch_jobs_.get());
  if (uses_batch_outputs(scenario_)) {
    namespaces_ = std::make_unique<NamespaceOutput>(cluster_, loop_);
    cluster_.add_observer(namespaces_.get());
  }
}

Batch::~Batch() = default;

void Batch::start(const sched::Scheduler& scheduler,
                  ctrl::ClusterAutoscaler::NodeFactory add_node) {
  const SimulationSpec& spec = scenario_.simulation;
  std::vector<ctrl::NodeGroup> groups;
  for (const NodePoolSpec& pool : spec.node_pools) {
    if (!pool.autoscaling) continue;
    ctrl::NodeGroup g;
    g.name = pool.name;
    // The template as the pool's nodes get it (labels the scheduler's filters may look at).
    g.node_template = pool.node_template;
    g.node_template.meta.labels["gpusim.io/pool"] = pool.name;
    if (!pool.gpu_model.empty()) {
      g.node_template.meta.labels[spec.gpu_model_label] = pool.gpu_model;
      g.node_template.gpu_model = pool.gpu_model;
    }
    g.node_template.pool = pool.name;
    g.min_size = pool.autoscaling->min_size;
    g.max_size = pool.autoscaling->max_size;
    g.provisioning_delay_ms = pool.autoscaling->provisioning_delay_ms;
    g.scale_down_utilization_threshold = pool.autoscaling->scale_down_utilization_threshold;
    g.scale_down_gpu_utilization_threshold = pool.autoscaling->scale_down_gpu_utilization_threshold;
    g.scale_down_unneeded_ms = pool.autoscaling->scale_down_unneeded_ms;
    g.max_node_provision_ms = pool.autoscaling->max_node_provision_ms;
    g.capacity = pool.autoscaling->capacity;
    g.provisioning_failure_probability = pool.autoscaling->provisioning_failure_probability;
    g.cost_per_hour_micros = pool.cost_per_hour_micros;
    groups.push_back(std::move(g));
  }
  if (!groups.empty()) {
    autoscaler_ = std::make_unique<ctrl::ClusterAutoscaler>(cluster_, loop_, scheduler,
                                                            std::move(groups), std::move(add_node),
                                                            spec.cluster_autoscaler.options);
    cluster_.add_observer(autoscaler_.get());
    autoscaler_->start();
  }
  if (uses_batch_outputs(scenario_)) {
    if (!spec.node_pools.empty()) {
      pools_ = std::make_unique<PoolOutput>(cluster_, loop_, spec.sample_interval_ms,
                                            spec.node_pools, autoscaler_.get());
      cluster_.add_observer(pools_.get());
      pools_->start();
    }
    if (!cluster_.quotas.empty()) {
      quotas_ = std::make_unique<QuotaOutput>(cluster_, loop_, spec.sample_interval_ms,
                                              *quota_admission_);
      quotas_->start();
    }
  }
  if (!spec.arrivals.empty()) {
    arrivals_ = std::make_unique<ArrivalGenerator>(cluster_, loop_, spec.arrivals, seed_);
    arrivals_->start();
  }
}

void Batch::finish() {
  if (pools_) pools_->finish();
  if (quotas_) quotas_->finish();
  if (namespaces_) namespaces_->finish();
}

void Batch::add_summary(nlohmann::ordered_json& summary) const {
  if (pools_) pools_->add_summary(summary);
  if (quotas_) quotas_->add_summary(summary);
  if (namespaces_) namespaces_->add_summary(summary);
  if (arrivals_) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& [name, n] : arrivals_->created()) {
      auto r = arrivals_->rejected().find(name);
      a.push_back({{"name", name},
                   {"created", n},
                   {"rejected", r == arrivals_->rejected().end() ? 0 : r->second}});
    }
    summary["arrivals"] = std::move(a);
  }
}

void Batch::write(const StagedDirectory& dir) const {
  if (pools_) pools_->write(dir);
  if (quotas_) quotas_->write(dir);
  if (namespaces_) namespaces_->write(dir);
}

}  // namespace gpusim::engine
