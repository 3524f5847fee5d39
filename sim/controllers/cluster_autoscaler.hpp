#pragma once
// Cluster-autoscaler for node pools, one node group per autoscaled pool, scanning every 10 s
// (AutoscalerOptions, from the Simulation's spec.clusterAutoscaler; defaults are upstream's):
//
// Scale-up. Pods the scheduler found unschedulable (Pending, attempted, not nominated, not
// waiting at Permit, priority not below the expendable cutoff) that fit nowhere on the nodes
// that exist or are being provisioned in any group are tried, largest first (cpu and memory
// over the template's allocatable, upstream's binpacking order), on a what-if copy of each
// group's template nodes with the scheduler's own Filter plugins. Each group that would place
// some yields an option (its new nodes, capped at maxSize, and the pods); the expander chain
// (default least-waste, as upstream) picks one, a seeded random draw settling ties, and its
// nodes join after the group's provisioning delay. In a scan that scales nothing up, each pod no
// option places gets NotTriggerScaleUp with upstream's reasons counted over the groups ("2
// Insufficient nvidia.com/gpu, 1 max node group size reached"); again only when its message
// changes, as the event correlator folds repeats. A scan that scales up tells no pod.
//
// Scale-down. A node of a group above minSize is unneeded while its utilisation is below the
// threshold (GPU requests over GPUs with the GPU threshold on GPU nodes, else the larger of cpu
// and memory) and it could be removed now: every pod may move (a controller or safe-to-evict
// "true"; not safe-to-evict "false"; no local storage nor kube-system pod without a
// PodDisruptionBudget unless safe-to-evict "true"; no budget below zero) and fits on the other
// nodes. A node found unremovable is not looked at again for 5 minutes. After the unneeded time
// (20 minutes for a NotReady node) it goes: at most 10 removals in progress, of which one
// non-empty node at a time (upstream's max-scale-down-parallelism and max-drain-parallelism);
// the node is tainted ToBeDeletedByClusterAutoscaler:NoSchedule, its pods deleted with their
// grace period (at most 600 s), and it is removed once empty. No scale-down for 10 minutes
// after a scale-up. In a scan that removes nothing, unneeded nodes get a
// DeletionCandidateOfClusterAutoscaler:PreferNoSchedule taint (and lose it when needed again),
// at most 10 changes per scan.
//
// Failed provisioning (upstream's clusterstate). Each scale-up is a request per group that
// expects its nodes within --max-node-provision-time (15m; a later scale-up of the group
// restarts the clock). The cloud may refuse an instance at once: the pool's capacity (instances
// at once) is used up or a timeline stockOut is in force; the next scan then finds the error
// (upstream's instance errors, class OutOfResource), emits ScaleUpFailed, shrinks the request,
// backs the group off and deletes the failed instances. An instance may also be created and
// never register (a seeded per-node provisioning failure, or a provisioning delay longer than
// the provision time): the first scan after the request's deadline emits ScaleUpTimedOut and
// backs the group off, and each such node is deleted (DeleteUnregistered) once it is older than
// the provision time, unless the group's target size is at its minimum. Back-off is
// NodeGroupBackoff's; a backed-off group is no scale-up option, so the same scan's scale-up
// picks another group for the pods that lost their upcoming nodes. A request whose nodes have
// all registered ends the group's back-off.
//
// Cluster health (upstream's IsClusterHealthy). A node NotReady for longer than the 15 minutes a
// new node may take to start counts as unready. With more unready nodes than
// --ok-total-unready-count (3) and than --max-total-unready-percentage (45 %) of all nodes, a
// scan does nothing but forget which nodes were unneeded: no scale-up, no scale-down, and one
// ClusterUnhealthy warning when the cluster becomes unhealthy (upstream repeats it every scan,
// which its event recorder folds into one event's count). A group is unhealthy by the same two
// limits when its Ready nodes fall short of its target size less what an open scale-up still
// brings: it is no scale-up option ("not ready for scale-up"), as a backed-off one.
//
// --balance-similar-node-groups: the expander's group and the similar groups (node_group_set)
// that have room, are not backed off and take every pod of the chosen option on an empty node
// share its node count, smallest group first.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controllers/autoscaler_options.hpp"
#include "controllers/node_group_backoff.hpp"
#include "core/event_loop.hpp"
#include "core/rng.hpp"
#include "model/cluster.hpp"
#include "scheduler/scheduler.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kToBeDeletedTaint = "ToBeDeletedByClusterAutoscaler";
inline constexpr const char* kDeletionCandidateTaint = "DeletionCandidateOfClusterAutoscaler";
inline constexpr const char* kSafeToEvictAnnotation =
    "cluster-autoscaler.kubernetes.io/safe-to-evict";
inline constexpr const char* kScaleDownDisabledAnnotation =
    "cluster-autoscaler.kubernetes.io/scale-down-disabled";
inline constexpr const char* kSafeToEvictLocalVolumesAnnotation =
    "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes";

struct NodeGroup {
  std::string name;  // the pool; its nodes carry Node::pool == name
  Node node_template;
  std::int32_t min_size = 0;
  std::int32_t max_size = 0;
  TimeMs provisioning_delay_ms = 0;
  double scale_down_utilization_threshold = 0.5;
  double scale_down_gpu_utilization_threshold = 0.5;
  TimeMs scale_down_unneeded_ms = 10 * 60'000;
  std::int64_t cost_per_hour_micros = 0;
  TimeMs max_node_provision_ms = 15 * 60'000;
  // The cloud's side: how many instances of the group may exist at once (unset: no limit), and
  // the chance that a new instance never registers.
  std::optional<std::int32_t> capacity;
  double provisioning_failure_probability = 0;
};

struct NodeGroupStats {
  std::int64_t scale_ups = 0;  // scale-up decisions
  std::int64_t nodes_added = 0;
  std::int64_t nodes_removed = 0;
  std::int32_t upcoming = 0;  // nodes being provisioned now (the target size less the nodes)
  // Of those, the ones the cloud refused: no machine, nothing billed; deleted at the next scan.
  std::int32_t upcoming_refused = 0;
  std::int64_t failed_scale_ups = 0;  // failures registered: timeouts and out-of-resources
  std::int64_t nodes_failed = 0;      // requested nodes deleted without ever registering
};

class ClusterAutoscaler : public ClusterObserver {
 public:
  // Adds one node of the pool to the cluster (named and labelled as the pool's nodes are).
  using NodeFactory = std::function<NodeId(const std::string& pool)>;

  ClusterAutoscaler(Cluster& cluster, EventLoop& loop, const sched::Scheduler& scheduler,
                    std::vector<NodeGroup> groups, NodeFactory add_node,
                    AutoscalerOptions options = {});
  ~ClusterAutoscaler() override;

  // Starts the periodic scan.
  void start();
  // One scan now (tests).
  void scan();

  const std::vector<NodeGroup>& groups() const { return groups_; }
  const NodeGroupStats& stats(const std::string& group) const;
  std::int32_t size(const std::string& group) const;  // live nodes of the group
  bool backed_off(const std::string& group) const;
  TimeMs backoff_until(const std::string& group) const { return backoff_.until(group); }
  bool stocked_out(const std::string& group) const { return stocked_out_.count(group) > 0; }

  void on_pod_released(PodId id, NodeId node) override;
  // An unschedulable pod prompts a scan (kept in the foreground: a scale-up may follow); the
  // timeline's StockOut and Restock of a pool say whether the cloud has capacity for it.
  void on_event(const ClusterEvent& e) override;
  void on_pod_deleted(PodId id) override;

  // What the scale-up estimator decided for one group (exposed for tests).
  struct Estimate {
    std::int32_t new_nodes = 0;
    std::vector<PodId> helped;
  };
  // At most `limit` new nodes (unset: the group's room below its max size).
  Estimate estimate(const NodeGroup& group, const std::vector<PodId>& pending,
                    std::int32_t limit = -1) const;
  // Whether the pods of `node` fit on the other nodes (and may be moved at all).
  bool pods_can_move(NodeId node, std::string* why) const;
  // Whether a pod of a node being removed may be left to go without a place elsewhere
  // (priority below the expendable cutoff).
  bool expendable(const Pod& p) const;

 private:
  std::vector<PodId> unschedulable_pods() const;
  // The pods that still fit nowhere on the nodes that exist (upstream's FilterOutSchedulable):
  // a pod waiting for a node that has just joined, or for the scheduler's back-off, needs no
  // new node.
  std::vector<PodId> filter_out_schedulable(const std::vector<PodId>& pending) const;
  // Why `p` may not be moved off its node at all, or empty.
  std::string blocking_reason(const Pod& p) const;
  void scale_up(const std::vector<PodId>& pending);
  // The NotTriggerScaleUp events of a scan that scaled nothing up: for each pending pod no
  // option took, upstream's reasons counted over the node groups (`skipped`: the reasons of the
  // groups that were no option).
  void report_not_triggered(const std::vector<PodId>& pending, const std::set<PodId>& placeable,
                            const std::vector<const NodeGroup*>& valid,
                            const std::vector<std::string>& skipped);
  // Why an empty node of `g` takes none of `pods` (by template; empty for those it takes).
  std::map<const PodTemplate*, std::vector<std::string>> rejection_reasons(
      const NodeGroup& g, const std::vector<PodId>& pending, const std::vector<PodId>& pods) const;
  // The pending pods' templates an empty node of `g` takes (balancing compares these).
  std::set<const PodTemplate*> fitting_templates(const NodeGroup& g,
                                                 const std::vector<PodId>& pending) const;
  // Asks the cloud for `count` more nodes of `g` (upstream's IncreaseSize and
  // RegisterOrUpdateScaleUp).
  void increase_size(const NodeGroup& g, std::int32_t count);
  // The instances of `g` that exist for the cloud: nodes and those it accepted and is still
  // creating.
  std::int32_t instances(const NodeGroup& g) const;
  // Whether the cloud would refuse a new instance of `g` now (a stock-out, or its capacity used).
  bool cloud_refuses(const NodeGroup& g) const;
  // Upstream's UpdateNodes steps: finished and timed-out scale-ups, instance errors, old
  // unregistered nodes.
  void update_scale_requests();
  void handle_instance_errors();
  void remove_old_unregistered();
  void register_failed_scale_up(const NodeGroup& g);
  void join(const std::string& group, std::uint64_t seq);
  void sync_upcoming(const std::string& group);
  const NodeGroup* find_group(const std::string& name) const;
  void scale_down();
  void update_soft_taints();
  // Upstream's readiness stats (updateReadinessStats): every node in one of four states, per
  // group and in all, counted once a scan for the health checks below.
  struct Readiness {
    std::int64_t ready = 0;
    std::int64_t unready = 0;      // NotReady past its startup time
    std::int64_t not_started = 0;  // NotReady, younger than the startup time
    std::int64_t deleted = 0;      // being deleted by the autoscaler
    std::int64_t registered() const { return ready + unready + not_started + deleted; }
  };
  void update_readiness();
  // More unready nodes than both --ok-total-unready-count and --max-total-unready-percentage of
  // `total` nodes allow.
  bool too_many_unready(std::int64_t unready, std::int64_t total) const;
  // Upstream's IsClusterHealthy: unready nodes of the whole cluster within the limits.
  bool cluster_healthy() const;
  // Upstream's IsNodeGroupHealthy: fewer Ready nodes than the group should have (its target,
  // less the nodes a scale-up still brings) within the same limits.
  bool group_healthy(const NodeGroup& g) const;
  // Whether the next scan must keep the run alive (nodes coming or going, or pods waiting for a
  // scale-up that may still happen).
  bool busy(const std::vector<PodId>& pending) const;
  void start_drain(NodeId node, bool empty);
  void finish_drains();
  double utilization(const Node& n) const;
  double threshold(const Node& n, const NodeGroup& g) const;
  const NodeGroup* group_of(const Node& n) const;
  void schedule_scan(bool prompted);

  Cluster& cluster_;
  EventLoop& loop_;
  const sched::Scheduler& scheduler_;
  std::vector<NodeGroup> groups_;
  NodeFactory add_node_;
  AutoscalerOptions options_;
  std::map<std::string, NodeGroupStats> stats_;
  std::map<NodeId, TimeMs> unneeded_since_;
  std::map<NodeId, TimeMs> unremovable_until_;  // found unremovable: not rechecked before
  std::set<NodeId> draining_;
  std::set<NodeId> draining_pods_;  // the removals that evicted pods (max-drain-parallelism)
  Rng expander_rng_;
  Rng provisioning_rng_;  // drawn only for groups with a provisioning failure probability
  // A node asked of the cloud and not registered yet.
  struct Upcoming {
    TimeMs requested_ms = 0;
    enum class Fate { kJoins, kNeverJoins, kRefused } fate = Fate::kJoins;
    EventLoop::EventId join{};
    std::uint64_t seq = 0;
    std::string error;  // the cloud's error code of a refused one
  };
  std::map<std::string, std::vector<Upcoming>> upcoming_;  // per group, oldest first
  std::uint64_t next_upcoming_seq_ = 0;
  struct ScaleUpRequest {
    std::int32_t increase = 0;
    TimeMs time_ms = 0;
    TimeMs expected_add_ms = 0;
  };
  std::map<std::string, ScaleUpRequest> requests_;
  NodeGroupBackoff backoff_;
  std::set<std::string> stocked_out_;
  // The last NotTriggerScaleUp message each pod got (by uid).
  std::map<std::uint64_t, std::string> not_triggered_;
  TimeMs last_scale_up_ms_ = -1;
  EventLoop::EventId scan_event_{};
  TimeMs scan_at_ms_ = 0;
  bool scan_foreground_ = false;
  bool unhealthy_ = false;  // the last scan found the cluster unhealthy
  Readiness readiness_;     // every node (update_readiness())
  std::map<std::string, Readiness> group_readiness_;
};

}  // namespace gpusim::ctrl
