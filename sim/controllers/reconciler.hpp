#pragma once
// Coalesces "sync this object" requests into one controller event per instant, processed in key
// order: the simulated analogue of a controller's work queue.
#include <functional>
#include <map>
#include <set>
#include <string>

#include "core/event_loop.hpp"

namespace gpusim::ctrl {

class Reconciler {
 public:
  using Sync = std::function<void(const std::string& key)>;
  Reconciler(EventLoop& loop, Sync sync) : loop_(loop), sync_(std::move(sync)) {}

  // Sync `key` at the current instant (after the API writes of this instant).
  void enqueue(const std::string& key);
  // Sync `key` after a delay (requeue-after, resync, back-off).
  void enqueue_after(const std::string& key, TimeMs delay_ms);
  // A sync of `key` failed: sync it again after upstream's per-item exponential back-off
  // (workqueue.DefaultControllerRateLimiter: 5 ms, doubling with each failure in a row, at most
  // 1000 s). At most one retry waits per key, the earliest (the delaying queue's rule). A
  // background event: retries alone do not keep a run going.
  void enqueue_rate_limited(const std::string& key);
  // A sync of `key` succeeded: its next failure starts the back-off again.
  void forget(const std::string& key) { retries_.erase(key); }

 private:
  void drain();

  EventLoop& loop_;
  Sync sync_;
  std::set<std::string> dirty_;
  struct Retry {
    int failures = 0;  // failed syncs in a row
    EventLoop::EventId timer{};
    TimeMs at = 0;
  };
  std::map<std::string, Retry> retries_;
  bool scheduled_ = false;
};

}  // namespace gpusim::ctrl
