#include "controllers/reconciler.hpp"

namespace gpusim::ctrl {

void Reconciler::enqueue(const std::string& key) {
  dirty_.insert(key);
  if (!scheduled_) {
    scheduled_ = true;
    loop_.at(loop_.now(), EventPriority::kController, [this] { drain(); });
  }
}

void Reconciler::enqueue_after(const std::string& key, TimeMs delay_ms) {
  if (delay_ms <= 0) {
    enqueue(key);
    return;
  }
  loop_.after(delay_ms, EventPriority::kController, [this, key] { enqueue(key); });
}

void Reconciler::enqueue_rate_limited(const std::string& key) {
  constexpr TimeMs kFirstDelayMs = 5;
  constexpr TimeMs kMaxDelayMs = 1'000'000;
  Retry& r = retries_[key];
  const int failures = r.failures++;
  const TimeMs at = loop_.now() + (failures >= 18 ? kMaxDelayMs : kFirstDelayMs << failures);
  if (loop_.pending(r.timer)) {
    if (r.at <= at) return;
    loop_.cancel(r.timer);
  }
  r.at = at;
  r.timer = loop_.at_background(at, EventPriority::kController, [this, key] { enqueue(key); });
}

void Reconciler::drain() {
  // Syncs may enqueue more keys (including ones already synced this instant); those run in a
  // fresh event at the same instant so that one sync's writes settle before the next.
  scheduled_ = false;
  std::set<std::string> batch;
  batch.swap(dirty_);
  for (const auto& key : batch)
    sync_(key);
}

}  // namespace gpusim::ctrl
