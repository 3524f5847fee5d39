#pragma once
// Coalesces "sync this object" requests into one controller event per instant, processed in key
// order: the simulated analogue of a controller's work queue.
#include <functional>
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

 private:
  void drain();

  EventLoop& loop_;
  Sync sync_;
  std::set<std::string> dirty_;
  bool scheduled_ = false;
};

}  // namespace gpusim::ctrl
