#pragma once
// The scheduler's cache of node state as structure-of-arrays (one column per resource), kept up
// to date incrementally from cluster notifications. Plugins filter and score whole columns of
// candidate nodes at a time; the GPU scorer uploads the same columns.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/cluster.hpp"

namespace gpusim::sched {

using NodeIndex = std::uint32_t;  // == cluster NodeId

// A log of node changes (NodeTable's, and the ones its readers derive from it) that readers
// replay from their own positions: once it outgrows the table several times over, the older
// half goes, and readers that fell behind `base` rescan. Keeping the newer half spares the rescan
// to readers that read the log every few thousand changes (PodTopologySpread's counts of a
// selector, for one: clearing the whole log sent every selector but the latest to a full pass).
template <typename Entry>
void compact_change_log(std::vector<Entry>& log, std::uint64_t& base, std::size_t nodes) {
  const std::size_t keep = std::max<std::size_t>(1024, 4 * nodes);
  if (log.size() < 2 * keep) return;
  const std::size_t drop = log.size() - keep;
  log.erase(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(drop));
  base += drop;
}

class NodeTable : public ClusterObserver {
 public:
  // Fixed resource dimensions; extended resources get dimensions as they are first seen.
  enum Dim : int { kCpu = 0, kMemory = 1, kEphemeral = 2, kPods = 3, kGpu = 4, kFirstExtended = 5 };

  explicit NodeTable(Cluster& cluster);

  std::size_t size() const { return live_.size(); }
  int dims() const { return static_cast<int>(names_.size()); }
  // Dimension of a resource name, or -1 if no node has it (allocatable is then 0 everywhere).
  int dim(std::string_view resource) const;
  int intern(std::string_view resource);
  const std::string& dim_name(int d) const { return names_[static_cast<std::size_t>(d)]; }

  // Columns, indexed by node.
  const std::int64_t* alloc(int d) const { return alloc_[static_cast<std::size_t>(d)].data(); }
  const std::int64_t* requested(int d) const {
    return requested_[static_cast<std::size_t>(d)].data();
  }
  const std::int64_t* nonzero_cpu() const { return nonzero_cpu_.data(); }
  const std::int64_t* nonzero_mem() const { return nonzero_mem_.data(); }
  bool live(NodeIndex n) const { return live_[n] != 0; }
  std::size_t live_count() const { return live_count_; }
  bool unschedulable(NodeIndex n) const { return unschedulable_[n] != 0; }
  const char* unschedulable_column() const { return unschedulable_.data(); }
  // Nodes share taint lists (a pool has one); plugins cache verdicts per taint-set id.
  std::uint32_t taint_set(NodeIndex n) const { return taint_set_[n]; }
  const std::uint32_t* taint_set_column() const { return taint_set_.data(); }
  const std::vector<Taint>& taints_of_set(std::uint32_t id) const { return taint_sets_[id]; }
  std::size_t taint_set_count() const { return taint_sets_.size(); }
  // GPU devices: free milli per device, contiguous per node.
  std::int32_t gpu_count(NodeIndex n) const { return gpu_count_[n]; }
  const std::int32_t* gpu_free(NodeIndex n) const { return gpu_free_.data() + gpu_offset_[n]; }
  std::uint32_t gpu_model(NodeIndex n) const { return gpu_model_[n]; }  // interned, 0 = none
  std::uint32_t gpu_model_id(std::string_view model) const;             // 0 when unknown
  const std::string& gpu_model_name(std::uint32_t id) const { return gpu_models_[id]; }
  // Version counter per node; bumps on every change (score caches key on it).
  std::uint64_t version(NodeIndex n) const { return version_[n]; }
  const std::uint64_t* version_column() const { return version_.data(); }
  const char* live_column() const { return live_.data(); }
  // Bumps when the node is added, updated (labels, taints, allocatable may change) or removed,
  // not when a pod is bound or released there: caches of label-derived state key on it.
  std::uint64_t meta_version(NodeIndex n) const { return meta_version_[n]; }
  std::uint64_t generation() const { return generation_; }
  // Change log: every node whose row changed (refresh, reservation, removal), in order, so plugin
  // caches can update only those. A reader keeps the sequence number it has read up to and
  // replays change_log()[seen - log_base() ...]; when seen < log_base() the log was compacted
  // past it and the reader rescans every node.
  std::uint64_t change_seq() const { return log_base_ + log_.size(); }
  std::uint64_t log_base() const { return log_base_; }
  const std::vector<NodeIndex>& change_log() const { return log_; }

  const Cluster& cluster() const { return cluster_; }
  // The pods bound to node n; during a what-if on n, those not taken off (in no set order).
  const std::vector<PodId>& pods(NodeIndex n) const {
    return n == what_if_node_ ? what_if_pods_ : cluster_.node(n).pods;
  }

  // What-if (a preemption dry run, Framework's DryRun): node n's usage columns and pods(n) as if
  // some of its bound pods were gone, as upstream's NodeInfo copy with RemovePod. The node's
  // version and the change log do not move and what_if_end() restores the columns saved by
  // what_if_begin(), so the what-if leaves no trace; meanwhile only Filter may run, and a cache
  // it fills under the node's version must not depend on the node's usage (NodeAffinity's
  // label verdicts do not).
  void what_if_begin(NodeIndex n);
  void what_if_remove(PodId pod);  // a pod bound to the node, not yet removed
  void what_if_add(PodId pod);     // a pod removed since what_if_begin
  void what_if_end();

  // Reservations: resources the scheduler holds on a node for a pod that is not bound (yet), as
  // upstream's scheduler cache "assumes" pods: gang members waiting at Permit, and preemptors
  // nominated to a node. The columns include them; the Cluster's node accounting does not.
  // Reserving a pod again moves its reservation.
  void reserve(PodId pod, NodeIndex node, const std::vector<std::int32_t>& gpu_devices);
  void unreserve(PodId pod);
  std::optional<NodeIndex> reservation(PodId pod) const;
  std::size_t reservation_count() const { return reservations_.size(); }

  // ClusterObserver
  void on_node_added(NodeId id) override;
  void on_node_updated(NodeId id) override;
  void on_node_removed(NodeId id) override;
  void on_pod_bound(PodId id) override;
  void on_pod_released(PodId id, NodeId node) override;

 private:
  void refresh(NodeIndex n);        // copies one node's state from the cluster (plus reservations)
  void refresh_usage(NodeIndex n);  // only what binds and releases change (requests, devices)
  void apply_reservation(PodId pod, NodeIndex n, int sign);
  void changed(NodeIndex n);  // bumps the node's version and logs the change
  struct WhatIfPod {
    PodId pod;
    std::vector<std::pair<int, std::int64_t>> requests;  // (dim, units), the pod count aside
  };
  void what_if_apply(const WhatIfPod& w, int sign);
  std::uint32_t intern_taints(const std::vector<Taint>& taints);

  Cluster& cluster_;
  std::vector<std::string> names_;
  std::vector<std::vector<std::int64_t>> alloc_, requested_;
  std::vector<std::int64_t> nonzero_cpu_, nonzero_mem_;
  std::vector<char> live_, unschedulable_;
  std::size_t live_count_ = 0;
  std::vector<std::uint32_t> taint_set_;
  std::vector<std::vector<Taint>> taint_sets_;
  std::vector<std::int32_t> gpu_count_;
  std::vector<std::uint32_t> gpu_offset_;
  std::vector<std::int32_t> gpu_free_;
  std::vector<std::uint32_t> gpu_model_;
  std::vector<std::string> gpu_models_{""};
  std::vector<std::uint64_t> version_;
  std::vector<std::uint64_t> meta_version_;
  std::uint64_t generation_ = 0;
  std::vector<NodeIndex> log_;
  std::uint64_t log_base_ = 0;
  struct Reservation {
    NodeIndex node;
    std::vector<std::pair<int, std::int64_t>> requests;  // (dim, units) as reserved
    std::int64_t nonzero_cpu = 0, nonzero_mem = 0;
    std::vector<std::int32_t> gpu_devices;
    std::int32_t gpu_milli = 0;
  };
  std::unordered_map<PodId, Reservation> reservations_;
  std::vector<std::vector<PodId>> reserved_on_;  // per node, in reservation order
  static constexpr NodeIndex kNoWhatIf = ~NodeIndex{0};
  NodeIndex what_if_node_ = kNoWhatIf;
  std::vector<PodId> what_if_pods_;
  std::vector<WhatIfPod> what_if_removed_;
  std::vector<std::int64_t> saved_requested_;  // per dimension
  std::int64_t saved_nonzero_cpu_ = 0, saved_nonzero_mem_ = 0;
  std::vector<std::int32_t> saved_gpu_free_;
};

}  // namespace gpusim::sched
