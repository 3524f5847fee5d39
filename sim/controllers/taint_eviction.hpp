#pragma once
// Taint-based eviction (k8s-semantics.md 4.2): the taint-eviction controller deletes pods on
// nodes with NoExecute taints they do not tolerate at once, and pods that tolerate them for
// tolerationSeconds after it first sees them (unset on every matching toleration: never); the
// eviction is cancelled if the taints go away first. Pods are given the DefaultTolerationSeconds
// admission plugin's tolerations (not-ready and unreachable, NoExecute, 300 s) unless they
// already tolerate those taints.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/event_loop.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

inline constexpr std::int64_t kDefaultTolerationSeconds = 300;

// getMinTolerationTime in seconds: 0 for an empty list or any value <= 0, -1 when none is set,
// else the smallest value.
std::int64_t min_toleration_seconds(std::span<const std::optional<std::int64_t>> seconds);

// The pod's tolerations plus the ones DefaultTolerationSeconds adds.
std::vector<Toleration> effective_tolerations(const std::vector<Toleration>& tolerations);

// The decision for one pod on a node: -1 never, 0 now, else seconds until eviction.
std::int64_t eviction_delay_seconds(const std::vector<Taint>& taints,
                                    const std::vector<Toleration>& tolerations);

class TaintEvictionController : public ClusterObserver {
 public:
  TaintEvictionController(Cluster& cluster, EventLoop& loop);

  void on_node_updated(NodeId id) override;
  void on_pod_bound(PodId id) override;
  void on_pod_deleted(PodId id) override;

 private:
  struct Scheduled {
    std::uint64_t uid = 0;
    TimeMs created_ms = 0;  // when the controller first saw the pod with the taints
    TimeMs fire_ms = 0;
    EventLoop::EventId event{};
    bool active = false;
  };
  void process(PodId id);
  void cancel(PodId id);
  void evict(PodRef ref);

  Cluster& cluster_;
  EventLoop& loop_;
  std::vector<Scheduled> scheduled_;  // by PodId
  std::vector<char> node_has_no_execute_;
};

}  // namespace gpusim::ctrl
