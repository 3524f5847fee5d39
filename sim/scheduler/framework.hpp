#pragma once
// One scheduler profile: its plugins at each extension point and the scheduling cycle
// (PreFilter, Filter, PostFilter, PreScore, Score, NormalizeScore, weights, selection, GPU device
// selection). Semantics follow kube-scheduler; see k8s-semantics.md section 3.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/config.hpp"
#include "scheduler/explain.hpp"
#include "scheduler/fused_filter.hpp"
#include "scheduler/plugin.hpp"
#include "scheduler/plugin_registry.hpp"

namespace gpusim::sched {

struct ScheduleResult {
  Status status;  // kSuccess, kUnschedulable (FitError), kWait (permit), kError
  NodeIndex node = 0;
  std::vector<std::int32_t> gpu_devices;
  std::string message;  // "0/5 nodes are available: 3 Insufficient cpu, 2 ..."
  std::int32_t feasible = 0;
  std::int32_t evaluated = 0;
  PostFilterResult preemption;
  TimeMs wait_timeout_ms = 0;  // kWait: how long the pod may wait at Permit
};

class Framework {
 public:
  Framework(const ProfileSpec& spec, const SchedulerConfig& config, FrameworkHandle& handle,
            const PluginRegistry& registry = PluginRegistry::builtin());
  ~Framework();
  Framework(const Framework&) = delete;
  Framework& operator=(const Framework&) = delete;

  const std::string& scheduler_name() const { return name_; }
  ScheduleResult schedule(const PodInfo& pod, AttemptRecord* explain);
  // Filter only, every node, no cut-off: used by preemption dry runs and the cluster autoscaler.
  // `reasons`, when given, gets the distinct reasons the rejected nodes were turned down for (a
  // failed PreFilter's message), as upstream's predicate checker reports them.
  std::vector<NodeIndex> feasible_nodes(const PodInfo& pod, std::vector<NodeIndex> candidates,
                                        std::vector<std::string>* reasons = nullptr);
  // Runs every Permit plugin's unreserve() for a pod rejected while waiting.
  void unreserve(PodId pod);
  // Names of the plugins at each point, for explain and docs.
  std::vector<std::string> filter_names() const;
  std::vector<std::pair<std::string, std::int32_t>> score_names() const;

  // Maps a pod's requests onto node-table dimensions.
  PodInfo pod_info(PodId id) const;

 private:
  class NodeDryRun;
  struct ScoreEntry {
    ScorePlugin* plugin;
    std::int32_t weight;
  };
  std::int32_t nodes_to_find(std::size_t all) const;
  // Runs the filters from the profile's filter number `first` on.
  void run_filters(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
                   Rejections& rejections, std::size_t first = 0);
  // After PreFilter: fuses the leading filters that offer column checks; returns the number of
  // the first filter left to run_filters.
  std::size_t fuse_filters(const PodInfo& pod);
  std::string fit_error(std::size_t total_nodes, const Rejections& rejections,
                        const std::string& prefilter_msg) const;

  std::string name_;
  FrameworkHandle& handle_;
  std::int32_t percentage_ = 0;
  bool random_tie_break_ = true;  // config tie_break "random"; otherwise the first best node
  std::vector<std::unique_ptr<Plugin>> owned_;
  std::vector<PreFilterPlugin*> pre_filter_;
  std::vector<PreFilterExtensions*> extensions_;  // PreFilter plugins with AddPod/RemovePod
  std::vector<FilterPlugin*> filter_;
  std::vector<PostFilterPlugin*> post_filter_;
  std::vector<ScoreEntry> score_;
  std::vector<PermitPlugin*> permit_;
  GpuSelectPlugin* gpu_select_ = nullptr;
  std::uint32_t next_start_ = 0;  // round-robin start of the node search

  // Scratch, reused across cycles so the hot path does not allocate.
  CycleState state_;
  std::vector<NodeIndex> candidates_, feasible_;
  FusedFilter fused_;
  std::vector<std::int64_t> totals_, column_;
  Rejections rejections_;
  std::vector<char> prefilter_skip_;
  std::unique_ptr<NodeDryRun> dry_run_;  // what PostFilter plugins are given
};

// Default GPU device choice when no policy plugin selects: whole-GPU pods take fully free
// devices, lowest index first; a sharing pod takes the device with the least free milli that
// still fits (lowest index on ties). False when the devices cannot host the pod.
bool default_select_gpus(const GpuRequest& gpu, const std::int32_t* free_milli, std::int32_t count,
                         std::vector<std::int32_t>& devices);

}  // namespace gpusim::sched
