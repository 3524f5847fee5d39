#pragma once
// The scheduler actor: watches the cluster, queues pending pods, and runs scheduling cycles on the
// event loop (all active pods of an instant in one event, after the instant's API writes).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/rng.hpp"
#include "model/cluster.hpp"
#include "scheduler/config.hpp"
#include "scheduler/explain.hpp"
#include "scheduler/framework.hpp"
#include "scheduler/node_table.hpp"
#include "scheduler/scheduling_queue.hpp"

namespace gpusim::sched {

struct SchedulerStats {
  std::uint64_t attempts = 0;
  std::uint64_t scheduled = 0;
  std::uint64_t unschedulable = 0;
  std::uint64_t preemptions = 0;
  std::uint64_t permit_waits = 0;       // pods told to wait at Permit (gang members)
  std::uint64_t permit_rejections = 0;  // waiting pods rejected (timeout, gang failure)
};

class Scheduler : public ClusterObserver, public FrameworkHandle {
 public:
  // Evicts a preemption victim gracefully (the kubelet's job); set by the engine.
  using Evictor = std::function<void(PodId victim, PodId preemptor)>;

  Scheduler(Cluster& cluster, EventLoop& loop, SchedulerConfig config, std::uint64_t seed,
            const PluginRegistry& registry = PluginRegistry::builtin());
  ~Scheduler() override;

  void set_explain(ExplainSink* sink) { explain_ = sink; }
  void set_evictor(Evictor e) { evictor_ = std::move(e); }
  // The profile serving a schedulerName, or nullptr.
  Framework* profile(const std::string& scheduler_name);
  const SchedulerStats& stats() const { return stats_; }
  // A pod placed outside the scheduling cycle (the trace replay's batch placer tries each pod
  // once) counts in the stats as one attempt, as the cycle would count it.
  void count_batch_attempt(bool scheduled) {
    ++stats_.attempts;
    ++(scheduled ? stats_.scheduled : stats_.unschedulable);
  }
  std::size_t pending() const { return queue_.pending_size(); }
  const SchedulerConfig& config() const { return config_; }

  // FrameworkHandle
  const NodeTable& nodes() const override { return table_; }
  const Cluster& cluster() const override { return cluster_; }
  ReasonTable& reasons() override { return reasons_; }
  Rng& rng() override { return rng_; }
  std::uint64_t seed() const override { return seed_; }
  TimeMs now() const override { return loop_.now(); }
  NodeTable& what_if_nodes() override { return table_; }
  std::vector<PodId> waiting_pods() const override;
  void allow_waiting_pod(PodId pod) override;
  void reject_waiting_pod(PodId pod, const std::string& plugin,
                          const std::string& message) override;
  // Pods waiting at Permit and the node each holds (tests, invariants).
  std::size_t waiting() const { return waiting_.size(); }
  std::optional<NodeId> waiting_node(PodId pod) const;

  // ClusterObserver
  void on_pod_added(PodId id) override;
  void on_pod_updated(PodId id) override;
  void on_pod_deleted(PodId id) override;
  void on_pod_released(PodId id, NodeId node) override;
  void on_node_added(NodeId id) override;
  void on_node_updated(NodeId id) override;
  void on_node_removed(NodeId id) override;

 private:
  void enqueue(PodId id);
  void cluster_event();
  void wake(TimeMs at, bool background = false);
  void wake_for_queue();
  void run();
  void schedule_one(PodId id);
  void bind_directly(PodId id);  // spec.nodeName set: the kubelet admits it without scheduling
  void bind_scheduled(PodId id, NodeIndex node, std::vector<std::int32_t> devices);
  // Drops a waiting pod's reservation; with `requeue` it goes back to the queue as unschedulable.
  void drop_waiting(PodId id, const std::string& plugin, const std::string& message, bool requeue);
  void set_nomination(PodId id, NodeIndex node);
  void clear_nomination(PodId id);

  Cluster& cluster_;
  EventLoop& loop_;
  SchedulerConfig config_;
  std::uint64_t seed_;
  Rng rng_;
  NodeTable table_;
  ReasonTable reasons_;
  std::map<std::string, std::unique_ptr<Framework>> profiles_;
  SchedulingQueue queue_;
  ExplainSink* explain_ = nullptr;
  Evictor evictor_;
  SchedulerStats stats_;
  EventLoop::EventId run_event_{};
  TimeMs run_at_ = kForever;
  bool run_background_ = false;
  bool in_cycle_ = false;

  // Pods told to wait at Permit: their resources are reserved in the NodeTable until a plugin
  // allows them (bound after the current attempt) or they are rejected.
  struct Waiting {
    std::uint64_t uid = 0;
    NodeIndex node = 0;
    std::vector<std::int32_t> devices;
    EventLoop::EventId timeout{};
    std::uint64_t seq = 0;
  };
  std::map<PodId, Waiting> waiting_;
  std::uint64_t waiting_seq_ = 0;
  std::vector<PodId> allowed_;
  int rejecting_depth_ = 0;
  std::vector<PodId> rejected_;  // rejected during the current cascade, requeued at its end
  // Preemptors nominated to a node: their requests are reserved there so that pods of lower
  // priority do not take the room their victims free (upstream's nominated pods in Filter).
  std::map<PodId, NodeIndex> nominated_;
};

}  // namespace gpusim::sched
