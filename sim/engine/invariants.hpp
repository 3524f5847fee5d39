#pragma once
// Invariants checked after every event (tests, and `gpusim run --check-invariants`):
//   node-capacity     no node's bound pods request more than its allocatable (every resource,
//                     and the pod count), nor do bound pods plus the scheduler's reservations
//                     (gang members waiting at Permit, nominated preemptors);
//   gpu-devices       a GPU device is held by one pod unless every holder shares it
//                     (gpusim.io/gpu-milli), its used milli-GPU is the sum of its holders' and
//                     at most 1000, and each holder is bound to that node with that device;
//   quota             no ResourceQuota's status.used grows past status.hard (a hard limit lowered
//                     below usage is not a violation, a further increase is); with a
//                     recalculation function, status.used also equals a full recount;
//   gang              no PodGroup stays partially bound (some but fewer than minMember members
//                     running on nodes) longer than its Permit timeout plus twice the members'
//                     termination grace period, unless it had minMember bound before (members
//                     lost later are recreated alone while the others run).
// The checker only looks at what changed since the last event (nodes, namespaces and groups it
// heard about), so checking every event stays cheap. Other components add checks with
// add_check() (the reliability issue extends it).
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "engine/simulation.hpp"
#include "model/cluster.hpp"
#include "scheduler/scheduler.hpp"

namespace gpusim::engine {

struct InvariantViolation {
  TimeMs t_ms = 0;
  std::string invariant;  // node-capacity, gpu-devices, quota, gang, or an added check's name
  std::string detail;
};

class InvariantChecker : public ClusterObserver, public OutputContributor {
 public:
  // `scheduler` may be null (no reservation checks).
  InvariantChecker(const Cluster& cluster, EventLoop& loop, const sched::Scheduler* scheduler);

  // Installs the after-every-event hook on the loop.
  void attach();
  // Checks what changed since the last call (the hook calls this).
  void check();
  // Checks every node, quota and group now.
  void check_all();

  // Recounts a quota's usage (ResourceQuotaController::recalculate); enables the deep check.
  void set_quota_recalculation(std::function<ResourceQuantities(const ResourceQuota&)> f) {
    recalc_ = std::move(f);
  }
  // An extra check run after every event; it reports through report().
  void add_check(std::string name, std::function<void(InvariantChecker&)> check);
  void report(std::string invariant, std::string detail);

  // OutputContributor: a last full check, and the "invariants" section of summary.json.
  void finish() override { check_all(); }
  void add_summary(nlohmann::ordered_json& summary) const override;

  const std::vector<InvariantViolation>& violations() const { return violations_; }
  std::uint64_t violation_count() const { return violation_count_; }
  std::uint64_t events_checked() const { return events_checked_; }

  // ClusterObserver: what changed.
  void on_pod_added(PodId id) override;
  void on_pod_bound(PodId id) override;
  void on_pod_updated(PodId id) override;
  void on_pod_released(PodId id, NodeId node) override;
  void on_pod_deleted(PodId id) override;
  void on_node_added(NodeId id) override;
  void on_node_updated(NodeId id) override;
  void on_object_changed(std::string_view kind, const std::string& key) override;

 private:
  void pod_changed(const Pod& p);
  void check_node(NodeId n);
  void check_quota(const std::string& key, const ResourceQuota& q);
  void check_group(const std::string& key, const PodGroup& g);

  const Cluster& cluster_;
  EventLoop& loop_;
  const sched::Scheduler* scheduler_;
  std::function<ResourceQuantities(const ResourceQuota&)> recalc_;
  std::vector<std::pair<std::string, std::function<void(InvariantChecker&)>>> checks_;

  std::set<NodeId> dirty_nodes_;
  std::set<std::string> dirty_namespaces_;
  std::set<std::string> dirty_groups_;
  bool reservations_dirty_ = false;
  std::map<std::string, ResourceQuantities> last_used_;  // per quota, at the last check
  std::map<std::string, TimeMs> partial_since_;          // gangs partially bound, since when
  std::set<std::string> complete_once_;                  // gangs that had minMember bound

  std::vector<InvariantViolation> violations_;  // the first kMaxKept
  std::uint64_t violation_count_ = 0;
  std::uint64_t events_checked_ = 0;
};

}  // namespace gpusim::engine
