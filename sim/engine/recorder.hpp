#pragma once
// Records what happened during a run for the output files: the Kubernetes events
// (events.jsonl), periodic cluster samples (timeseries.csv) and the counters and time integrals
// behind summary.json.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/chunked_text.hpp"
#include "core/event_loop.hpp"
#include "core/int128.hpp"
#include "engine/refused_creations.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {

struct ResourceTotals {
  std::int64_t cpu_milli = 0;
  std::int64_t memory_bytes = 0;
  std::int64_t gpu_milli = 0;
};

struct PodCounters {
  std::uint64_t created = 0;
  std::uint64_t scheduled = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::uint64_t preempted = 0;
  std::uint64_t evicted = 0;
  std::uint64_t rejected = 0;  // creates refused by admission (quota, priority)
};

class Recorder : public ClusterObserver {
 public:
  Recorder(Cluster& cluster, EventLoop& loop, TimeMs sample_interval_ms);

  // Starts periodic sampling at t=0 (call once the cluster is populated).
  void start();
  // Takes the final sample and closes the integrals at the current time.
  void finish();

  // events.jsonl in one string; not for a recorder that streams it.
  std::string events_jsonl() const { return events_.joined(); }
  // events.jsonl goes to dir through `spool` as it grows; write_events() then finishes it.
  void stream_to(TextSpool& spool, const StagedDirectory& dir);
  void write_events(const StagedDirectory& dir) const { events_.write(dir, "events.jsonl"); }
  std::string timeseries_csv() const;
  // One row per pod that existed during the run (creation order): times (wait_from_ms: when its
  // wait began, before creation when admission refused its owner's creations first: see
  // RefusedCreations), node, requests, outcome.
  std::string pods_csv() const;
  // The nodes that existed during the run: pool, GPU model, allocatable, labels, taints.
  std::string nodes_csv() const;
  const PodCounters& pods() const { return pods_; }
  const ResourceTotals& capacity() const { return capacity_; }
  const ResourceTotals& allocated() const { return allocated_; }
  // Time-weighted means over [0, now]. Capacity changes as pools grow and shrink, so a mean
  // allocation share is allocated_mean / capacity_mean, not a share of the final capacity.
  ResourceTotals allocated_mean() const;
  ResourceTotals capacity_mean() const;
  std::uint64_t event_count() const { return event_count_; }
  // Every pod's wait (wait_stats.hpp; the reports' pod_wait): pods deleted during the run, then
  // (after finish()) the pods still present. Unordered.
  std::vector<TimeMs> pod_waits_ms() const;

  void on_pod_added(PodId id) override;
  void on_pod_bound(PodId id) override;
  void on_pod_updated(PodId id) override;
  void on_pod_released(PodId id, NodeId node) override;
  void on_pod_deleted(PodId id) override;
  void on_node_added(NodeId id) override;
  void on_node_removed(NodeId id) override;
  void on_event(const ClusterEvent& e) override;

 private:
  struct Sample {
    TimeMs t_ms;
    std::int64_t nodes, nodes_ready, pods_pending, pods_running, pods_succeeded, pods_failed;
    ResourceTotals allocated, capacity;
  };
  struct PodRow {
    std::uint64_t uid;
    std::string line;
  };
  void integrate();
  PodRow pod_row(const Pod& p, bool deleted) const;
  void take_sample();
  static ResourceTotals totals_of(const Pod& p);
  static ResourceTotals capacity_of(const Node& n);

  Cluster& cluster_;
  EventLoop& loop_;
  TimeMs interval_ms_;
  ChunkedText events_;
  std::uint64_t event_count_ = 0;
  PodCounters pods_;
  ResourceTotals capacity_, allocated_;
  // Integrals of allocation over time (unit x ms), as 128-bit to never overflow.
  Int128 cpu_area_ = 0, memory_area_ = 0, gpu_area_ = 0;
  Int128 cpu_capacity_area_ = 0, memory_capacity_area_ = 0, gpu_capacity_area_ = 0;
  TimeMs last_change_ms_ = 0;
  std::vector<PodPhase> phase_;  // last seen phase per pod slot
  RefusedCreations refused_;
  // pod uid -> when its wait began, for the pods admission held back before they existed (the
  // rest began at creation). Looked up only, never iterated into outputs.
  std::unordered_map<std::uint64_t, TimeMs> wait_from_ms_;
  std::vector<Sample> samples_;
  std::vector<PodRow> finished_rows_;  // pods deleted during the run
  std::vector<PodRow> final_rows_;     // pods still present at the end (filled by finish())
  std::vector<TimeMs> finished_waits_ms_, final_waits_ms_;  // the same split, for pod_waits_ms()
  std::vector<std::string> node_rows_, node_rows_tail_;     // split around removed_ms
  std::vector<TimeMs> node_removed_ms_;
};

}  // namespace gpusim::engine
