#pragma once
// kubectl drain: cordon the node, then evict its pods through the Eviction API, retrying every
// 5 s those a PodDisruptionBudget protects (HTTP 429), until every pod is gone or the timeout
// passes. DaemonSet pods are left alone; pods without a controller stop the drain unless forced.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

struct DrainOptions {
  std::optional<TimeMs> timeout_ms;  // --timeout; unset waits forever
  bool force = false;                // --force: also pods without a controller
  TimeMs retry_ms = 5'000;           // kubectl's retry interval after a 429
  std::string reason = "drain";      // for events ("drain", "spot interruption", ...)
};

struct DrainRecord {
  std::string node;
  std::string reason;
  TimeMs started_ms = 0;
  std::optional<TimeMs> finished_ms;  // all pods gone
  std::int32_t evicted = 0;
  std::int32_t blocked_attempts = 0;  // evictions refused by a budget (each retry counts)
  bool timed_out = false;
  bool failed = false;
  std::string message;
};

class DrainController : public ClusterObserver {
 public:
  DrainController(Cluster& cluster, EventLoop& loop);

  // Starts draining `id` now (a second drain of the same node while one runs is ignored).
  void drain(NodeId id, DrainOptions options);
  const std::vector<DrainRecord>& drains() const { return records_; }

  void on_pod_deleted(PodId id) override;
  void on_node_removed(NodeId id) override;

 private:
  struct Active {
    NodeId node = kNoNode;
    std::size_t record = 0;
    DrainOptions options;
    std::set<std::uint64_t> blocked_reported;  // pod uids with an EvictionBlocked event
    // Pods whose eviction failed for good (not 429): kubectl's per-pod error; the others are
    // still evicted and waited for, and the drain fails at the end with these errors.
    std::set<std::uint64_t> failed;
    std::string errors;
    bool done = false;
  };
  void pass(std::size_t index);
  bool check_done(Active& a);
  std::vector<PodId> pods_to_drain(const Active& a, bool& unmanaged,
                                   std::string& unmanaged_names) const;

  Cluster& cluster_;
  EventLoop& loop_;
  std::vector<DrainRecord> records_;
  std::vector<Active> active_;
};

}  // namespace gpusim::ctrl
