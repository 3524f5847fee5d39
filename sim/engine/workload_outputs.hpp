#pragma once
// Serving outputs: workloads.csv (per sample and Deployment: desired, replicas, updated, ready,
// available, offered/served load, latency estimate, queue), hpa.csv (per sample and HPA: current
// and desired replicas, metric values, conditions) and the summary's "serving" section
// (rollouts with the least ready/available capacity seen during each, load served, latency,
// HPA activity, drains and disruption budgets).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controllers/drain.hpp"
#include "controllers/hpa_controller.hpp"
#include "controllers/metrics_pipeline.hpp"
#include "core/chunked_text.hpp"
#include "core/fork_join.hpp"
#include "engine/simulation.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {

class WorkloadOutputs : public OutputContributor, public ClusterObserver {
 public:
  WorkloadOutputs(Cluster& cluster, EventLoop& loop, TimeMs sample_interval_ms,
                  const ctrl::MetricsPipeline& metrics, const ctrl::HpaController& hpa,
                  const ctrl::DrainController& drains, ForkJoin* fork_join = nullptr);

  // Starts periodic sampling now.
  void start();

  void add_summary(nlohmann::ordered_json& summary) const override;
  void write(const StagedDirectory& dir) const override;
  void stream_to(TextSpool& spool, const StagedDirectory& dir) override;

  void on_object_changed(std::string_view kind, const std::string& key) override;

  struct Rollout {
    TimeMs started_ms = 0;
    std::optional<TimeMs> completed_ms;
    std::string revision;
    std::int32_t desired_at_start = 0;
    // Over every status change while the rollout ran: least ready/available minus the desired
    // count (spec.replicas at that moment), and the most pods at once.
    std::int32_t min_ready_minus_desired = 0;
    std::int32_t min_available_minus_desired = 0;
    std::int32_t max_pods = 0;
    bool desired_changed = false;  // spec.replicas changed during the rollout (HPA, scale)
  };
  struct Track {
    const PodTemplate* tmpl = nullptr;
    std::vector<Rollout> rollouts;
    std::int32_t min_desired = 0;
    std::int32_t max_desired = 0;
    std::int32_t min_ready = 0;
    std::int32_t max_ready = 0;
    std::int32_t last_desired = -1;
  };
  const std::map<std::string, Track>& tracks() const { return tracks_; }

 private:
  // A sample's rows: what each reads, gathered on the event loop's thread before they are
  // formatted (on fork_join_'s threads where there is one).
  struct DeploymentRow {
    const std::string* key;
    const Deployment* deployment;
    const ctrl::WorkloadLoadState* load;  // null: no load model for it
  };
  struct HpaRow {
    const std::string* key;
    const HorizontalPodAutoscaler* hpa;
    const ctrl::HpaState* state;  // null: not synced yet
  };
  void sample();
  void collect_rows();
  static void append_deployment_row(std::string& o, std::string_view t, const DeploymentRow& row);
  static void append_hpa_row(std::string& o, std::string_view t, const HpaRow& row,
                             std::string& field);
  void observe(const std::string& key, bool spec_changed);

  Cluster& cluster_;
  EventLoop& loop_;
  TimeMs interval_ms_;
  const ctrl::MetricsPipeline& metrics_;
  const ctrl::HpaController& hpa_;
  const ctrl::DrainController& drains_;
  std::map<std::string, Track> tracks_;
  ChunkedText workloads_csv_;
  ChunkedText hpa_csv_;
  ForkJoin* fork_join_;
  std::vector<DeploymentRow> deployment_rows_;
  std::vector<HpaRow> hpa_rows_;
  std::vector<std::string> row_text_;  // a sample's rows, deployments' first; reused
  TimeMs last_sample_ms_ = -1;
};

}  // namespace gpusim::engine
