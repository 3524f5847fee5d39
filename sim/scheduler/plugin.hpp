#pragma once
// The kube-scheduler framework's extension points, column-wise: a plugin filters or scores a whole
// span of candidate nodes per call (one virtual call per plugin per pod, tight loops over the
// node table's columns), which is what makes thousands of nodes cheap.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/node_table.hpp"

namespace gpusim::sched {

enum class Code { kSuccess, kUnschedulable, kUnschedulableAndUnresolvable, kSkip, kWait, kError };

struct Status {
  Code code = Code::kSuccess;
  std::string message;
  static Status ok() { return {}; }
  static Status skip() { return {Code::kSkip, {}}; }
  bool success() const { return code == Code::kSuccess; }
};

// Per scheduling attempt: the pod and its requests mapped onto node-table dimensions.
struct PodInfo {
  PodId id = kNoPod;
  const Pod* pod = nullptr;
  const PodResources* res = nullptr;
  std::vector<std::pair<int, std::int64_t>> requests;  // (dim, units), non-zero entries only
  bool unknown_resource = false;  // requests a resource no node has (NodeResourcesFit checks it)
  std::int32_t priority = 0;
};

// Plugin-private data for one cycle (upstream's CycleState), one slot per plugin.
struct PluginState {
  virtual ~PluginState() = default;
};
class CycleState {
 public:
  explicit CycleState(std::size_t plugins = 0) : slots_(plugins) {}
  void reset(std::size_t plugins) {
    slots_.clear();
    slots_.resize(plugins);
  }
  template <typename T>
  T* get(std::size_t slot) const {
    return static_cast<T*>(slots_[slot].get());
  }
  void put(std::size_t slot, std::unique_ptr<PluginState> s) { slots_[slot] = std::move(s); }

 private:
  std::vector<std::unique_ptr<PluginState>> slots_;
};

// Interned filter-failure reasons ("Insufficient cpu", "node(s) had untolerated taint(s)").
using ReasonId = std::uint32_t;
// Not a reason: the node passes.
inline constexpr ReasonId kFits = 0xffffffffu;
class ReasonTable {
 public:
  ReasonId intern(std::string_view text, bool unresolvable);
  const std::string& text(ReasonId id) const { return texts_[id]; }
  bool unresolvable(ReasonId id) const { return unresolvable_[id] != 0; }

 private:
  std::vector<std::string> texts_;
  std::vector<char> unresolvable_;
};

struct Rejection {
  NodeIndex node;
  std::uint16_t plugin;  // index in the profile's filter list
  ReasonId reason;
};

// Collects rejections during Filter; the framework turns them into the FitError message and,
// when explaining, into per-node verdicts.
class Rejections {
 public:
  void add(NodeIndex node, ReasonId reason) { items_.push_back({node, plugin_, reason}); }
  void add(NodeIndex node, std::uint16_t plugin, ReasonId reason) {
    items_.push_back({node, plugin, reason});
  }
  void set_plugin(std::uint16_t p) { plugin_ = p; }
  const std::vector<Rejection>& items() const { return items_; }
  void clear() { items_.clear(); }
  // Drops the rejections recorded since `from` for which `pred` holds.
  template <typename Pred>
  void erase_since(std::size_t from, Pred pred) {
    items_.erase(
        std::remove_if(items_.begin() + static_cast<std::ptrdiff_t>(from), items_.end(), pred),
        items_.end());
  }

 private:
  std::vector<Rejection> items_;
  std::uint16_t plugin_ = 0;
};

class FrameworkHandle;
class FusedFilter;

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string_view name() const = 0;
  void set_slot(std::size_t slot) { slot_ = slot; }
  std::size_t slot() const { return slot_; }

 private:
  std::size_t slot_ = 0;
};

class PreFilterPlugin : public virtual Plugin {
 public:
  // kSkip: this plugin's Filter is not run for the pod. Unschedulable*: the pod fails at once.
  virtual Status pre_filter(CycleState& state, const PodInfo& pod) = 0;
};

// Upstream's PreFilterExtensions (AddPod, RemovePod): a PreFilter plugin whose state counts the
// pods on nodes keeps that state true while a dry run (DryRun) takes pods off a node and puts
// them back. Called only when its pre_filter did not skip. add_pod must undo remove_pod
// exactly: a dry run restores the state by adding back what it removed, rather than copying
// the state per node as upstream's CycleState.Clone does.
class PreFilterExtensions : public virtual Plugin {
 public:
  virtual void add_pod(CycleState& state, const PodInfo& pod, PodId added, NodeIndex node) = 0;
  virtual void remove_pod(CycleState& state, const PodInfo& pod, PodId removed, NodeIndex node) = 0;
};

class FilterPlugin : public virtual Plugin {
 public:
  // Removes from `nodes` (stable order) every node the pod cannot use, reporting each removal
  // through `out`. Called with chunks of candidates; must not assume it sees all nodes.
  virtual void filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
                      Rejections& out) = 0;
  // After pre_filter: a filter that is a few column reads per node may append itself to `out` as
  // checks the framework runs fused with other filters, and return true; it must then reject
  // exactly the nodes filter() would, for the same reasons. False (appending nothing): the
  // framework calls filter().
  virtual bool column_checks(CycleState& state, const PodInfo& pod, FusedFilter& out) {
    return false;
  }
  // What `gpusim explain` adds to this plugin's reason for rejecting `node` (which taint, ...):
  // the reasons are interned texts shared by every node, and upstream's own no longer name such
  // details. Called only when a run records explanations.
  virtual std::string explain_rejection(const PodInfo& pod, NodeIndex node) const { return {}; }
};

// Victims and the node the preemptor is nominated to.
struct PostFilterResult {
  Status status;
  std::optional<NodeIndex> nominated;
  std::vector<PodId> victims;
  // No node could be made to fit: the pod's nomination, if any, is cleared (upstream's
  // NominatedNodeName ""). Otherwise a failed attempt keeps it.
  bool clear_nomination = false;
};

// The profile's Filter plugins run on one node as if some of the pods bound there were gone:
// upstream's RunFilterPluginsWithNominatedPods on a copy of the NodeInfo, with
// RunPreFilterExtensionRemovePod / AddPod keeping the cycle's PreFilter state in step. What a
// PostFilter plugin (DefaultPreemption's SelectVictimsOnNode) may ask of the framework running
// it. One node at a time, between begin() and end(); nothing of it outlives end().
class DryRun {
 public:
  virtual ~DryRun() = default;
  virtual void begin(CycleState& state, const PodInfo& pod, NodeIndex node) = 0;
  virtual void remove_pod(PodId pod) = 0;  // one bound to the node
  virtual void add_pod(PodId pod) = 0;     // one removed since begin()
  // Runs the Filter plugins PreFilter did not skip, in profile order. False when one rejects the
  // node; `reasons` (when given) then receives that plugin's reasons.
  virtual bool fits(std::vector<ReasonId>* reasons) = 0;
  // Puts back every pod still removed, in the state and on the node.
  virtual void end() = 0;
};

class PostFilterPlugin : public virtual Plugin {
 public:
  virtual PostFilterResult post_filter(CycleState& state, const PodInfo& pod,
                                       const std::vector<Rejection>& rejections,
                                       DryRun& dry_run) = 0;
};

class ScorePlugin : public virtual Plugin {
 public:
  // kSkip: contributes 0 on every node.
  virtual Status pre_score(CycleState& state, const PodInfo& pod,
                           std::span<const NodeIndex> nodes) {
    return Status::ok();
  }
  // Raw scores (0..100 unless normalize() maps them there), one per node.
  virtual void score(CycleState& state, const PodInfo& pod, std::span<const NodeIndex> nodes,
                     std::span<std::int64_t> out) = 0;
  virtual bool has_normalize() const { return false; }
  virtual void normalize(CycleState& state, const PodInfo& pod, std::span<std::int64_t> scores) {}
  // True when, after pre_score, every node in `nodes` is known to get the same final score: the
  // plugin then adds one constant to every total and cannot change which node wins, so the
  // framework skips its Score and NormalizeScore (unless it records them for explain).
  virtual bool uniform(const CycleState& state, const PodInfo& pod,
                       std::span<const NodeIndex> nodes) {
    return false;
  }
};

// GPU policies pick the devices inside the chosen node (their "GPU selection rule").
class GpuSelectPlugin : public virtual Plugin {
 public:
  // Fills `devices` with gpu.count device indexes; false if the node cannot host the pod.
  virtual bool select_gpus(const PodInfo& pod, NodeIndex node,
                           std::vector<std::int32_t>& devices) = 0;
};

// Permit: gang scheduling holds pods until their group can be placed together. A pod told to
// wait keeps its node's resources reserved in the NodeTable (it is not bound) until a plugin
// allows it through FrameworkHandle::allow_waiting_pod, or it is rejected (timeout,
// reject_waiting_pod), which calls unreserve() on every Permit plugin.
enum class PermitDecision { kAllow, kWait, kReject };
class PermitPlugin : public virtual Plugin {
 public:
  virtual PermitDecision permit(CycleState& state, const PodInfo& pod, NodeIndex node) = 0;
  // How long a pod this plugin told to wait may wait before it is rejected.
  virtual TimeMs wait_timeout_ms(const PodInfo& pod) const { return 60'000; }
  // Upstream's Unreserve: the pod lost its reservation after Permit (rejected while waiting).
  virtual void unreserve(PodId pod) {}
};

// What plugins may look at besides the node table.
class FrameworkHandle {
 public:
  virtual ~FrameworkHandle() = default;
  virtual const NodeTable& nodes() const = 0;
  virtual const Cluster& cluster() const = 0;
  virtual ReasonTable& reasons() = 0;
  virtual Rng& rng() = 0;  // the scheduler's seeded stream (Random policy, tie-breaks)
  virtual std::uint64_t seed() const = 0;
  virtual TimeMs now() const { return cluster().now(); }
  // The same node table, writable: only for the framework's dry runs (DryRun), which put back
  // all they change. Plugins read nodes().
  virtual NodeTable& what_if_nodes() = 0;
  // Pods waiting at Permit (in the order they started waiting), and what a Permit plugin may do
  // with them: let one be bound (after the pod being scheduled now), or reject it.
  virtual std::vector<PodId> waiting_pods() const { return {}; }
  virtual void allow_waiting_pod(PodId pod) {}
  virtual void reject_waiting_pod(PodId pod, const std::string& plugin,
                                  const std::string& message) {}
};

}  // namespace gpusim::sched
