#pragma once
// Replays a GPU cluster trace (the openb pod and node lists of the Alibaba GPU trace) in one of
// two modes, and writes arrival.csv plus the summary's `gpu` and `trace` sections.
//
// packing (the FGD paper's protocol, docs/policies.md): the trace's nodes form the cluster; the
//   pods, sorted by name, are shuffled with the run's seed, inflated by resampling (or trimmed)
//   until requested GPU reaches `inflate` x capacity, then each is tried once, in order, at t=0,
//   by the GPU policy in batch mode (sched::GpuBatchPlacer). Failed pods stay Pending; nothing
//   is deleted. The pods belong to the trace scheduler ("gpusim-trace-replay"), so the cluster's
//   own scheduler leaves them alone.
// timed: pods are created at their creation_time and deleted at their deletion_time (relative
//   to the earliest creation) and are scheduled by the cluster's scheduler profile, with retries,
//   as Kubernetes would. The paper's simulator cannot do this.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/arrival_metrics.hpp"
#include "engine/simulation.hpp"
#include "engine/trace_data.hpp"
#include "scheduler/config.hpp"
#include "scheduler/plugins/gpu_typical_pods.hpp"

namespace gpusim::sched {
class GpuBatchPlacer;
class GpuFragmentationMeter;
}  // namespace gpusim::sched

namespace gpusim::engine {

inline constexpr const char* kTraceNamespace = "openb";
inline constexpr const char* kTraceSchedulerName = "gpusim-trace-replay";
// Arrival percentages of the paper's bar figures (compare prints these).
inline const std::vector<int> kReportedArrivalPcts{90, 100, 110, 130};

// FGD's typical pods of a trace: the shapes of its original pod list, top 95 %.
std::vector<sched::TypicalPod> trace_typical_pods(const TraceData& data);

// The scheduler configuration a run uses, with the GPU policy plugins given the scorer backend
// and, for a trace, FGD's distribution.
sched::SchedulerConfig configure_gpu_scoring(sched::SchedulerConfig config,
                                             const Scenario& scenario, const std::string& scorer);

class TraceReplay final : public OutputContributor, public ClusterObserver {
 public:
  // Adds the trace's nodes to the simulation's cluster and schedules the replay. Throws
  // InputError when the trace cannot be replayed as asked.
  explicit TraceReplay(Simulation& sim);
  ~TraceReplay() override;

  void add_summary(nlohmann::ordered_json& summary) const override;
  void write(const StagedDirectory& dir) const override;

  void on_pod_bound(PodId id) override;
  void on_pod_released(PodId id, NodeId node) override;
  void on_pod_deleted(PodId id) override;
  void on_event(const ClusterEvent& e) override;

  const std::vector<ArrivalRow>& rows() const { return rows_; }
  std::int64_t capacity_milli() const { return capacity_milli_; }
  const std::string& policy() const { return policy_; }

 private:
  void add_nodes();
  std::shared_ptr<const PodTemplate> template_for(const TracePod& p);
  void build_packing_order();
  void run_packing();
  void schedule_timed();
  PodId create(std::size_t order_index);
  void record(std::size_t order_index, bool scheduled);

  Simulation& sim_;
  const TraceReplaySpec& spec_;
  const TraceData& data_;
  std::string policy_;
  std::string scorer_;
  std::vector<sched::TypicalPod> typical_;
  std::int64_t capacity_milli_ = 0;
  std::vector<std::size_t> order_;  // indexes into data_.pods, in replay order
  std::vector<std::string> names_;  // pod name per order index (copies are renamed)
  std::unordered_map<std::string, std::shared_ptr<const PodTemplate>> templates_;
  std::unordered_map<std::string, std::size_t> index_of_;  // pod key -> order index
  std::vector<char> recorded_;
  std::vector<char> bound_;  // per pod slot: counted in allocated_
  std::unique_ptr<sched::GpuFragmentationMeter> meter_;
  std::int64_t arrived_ = 0;
  std::int64_t allocated_ = 0;
  std::int64_t scheduled_ = 0;
  std::vector<ArrivalRow> rows_;
};

}  // namespace gpusim::engine
