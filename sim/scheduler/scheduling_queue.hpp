#pragma once
// kube-scheduler's scheduling queue: activeQ ordered by priority then arrival, a backoff queue
// for pods that failed recently (1 s doubling to 10 s per attempt), and unschedulable pods that
// wait for a cluster event or the five-minute flush.
#include <cstdint>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "core/event_loop.hpp"
#include "model/pod.hpp"

namespace gpusim::sched {

class SchedulingQueue {
 public:
  SchedulingQueue(TimeMs initial_backoff_ms, TimeMs max_backoff_ms, TimeMs max_unschedulable_ms);

  void add(PodId id, std::int32_t priority, std::uint64_t uid, TimeMs now);
  // The pod stays known to the queue (in flight) until done() or add_unschedulable().
  std::optional<PodId> pop();
  // After a failed attempt: the pod waits for a cluster event (or the flush interval).
  void add_unschedulable(PodId id, TimeMs now);
  // After a successful attempt (or when the pod no longer needs scheduling).
  void done(PodId id) { remove(id); }
  // A cluster event that may make pods schedulable: unschedulable pods go to activeQ, or to the
  // backoff queue while their backoff lasts.
  void move_all_to_active_or_backoff(TimeMs now);
  // The same for one pod (an update of it that may make it schedulable).
  void move_to_active_or_backoff(PodId id, TimeMs now);
  // Moves pods whose backoff has expired to activeQ, and pods unschedulable for longer than the
  // flush interval to activeQ/backoff.
  void flush(TimeMs now);
  void remove(PodId id);
  bool contains(PodId id) const { return entries_.count(id) != 0; }
  // Earliest backoff expiry (a retry some cluster event prompted); kForever if none.
  TimeMs next_backoff() const;
  // Earliest flush of a pod unschedulable for the whole flush interval; kForever if none.
  TimeMs next_flush() const;
  std::size_t active_size() const { return active_count_; }
  std::size_t pending_size() const { return entries_.size(); }
  std::int32_t attempts(PodId id) const;

 private:
  enum class Where { kActive, kInFlight, kBackoff, kUnschedulable };
  struct Entry {
    std::uint64_t uid = 0;
    std::int32_t priority = 0;
    std::int32_t attempts = 0;
    std::uint64_t seq = 0;  // arrival order in activeQ, bumps on re-entry
    TimeMs backoff_until = 0;
    TimeMs unschedulable_since = 0;
    Where where = Where::kActive;
  };
  struct HeapItem {
    std::int32_t priority;
    std::uint64_t seq;
    PodId id;
    bool operator<(const HeapItem& o) const {
      // std::priority_queue pops the largest: higher priority, then smaller seq.
      if (priority != o.priority) return priority < o.priority;
      return seq > o.seq;
    }
  };
  void push_active(PodId id, Entry& e);
  void requeue(PodId id, Entry& e, TimeMs now);
  TimeMs backoff_for(std::int32_t attempts) const;

  TimeMs initial_backoff_ms_, max_backoff_ms_, max_unschedulable_ms_;
  std::unordered_map<PodId, Entry> entries_;
  std::priority_queue<HeapItem> active_;
  std::size_t active_count_ = 0;
  std::uint64_t seq_ = 0;
};

}  // namespace gpusim::sched
