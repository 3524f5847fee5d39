#include "scheduler/scheduling_queue.hpp"

#include <algorithm>

namespace gpusim::sched {

SchedulingQueue::SchedulingQueue(TimeMs initial_backoff_ms, TimeMs max_backoff_ms,
                                 TimeMs max_unschedulable_ms)
    : initial_backoff_ms_(initial_backoff_ms),
      max_backoff_ms_(max_backoff_ms),
      max_unschedulable_ms_(max_unschedulable_ms) {}

TimeMs SchedulingQueue::backoff_for(std::int32_t attempts) const {
  TimeMs d = initial_backoff_ms_;
  for (std::int32_t i = 1; i < attempts && d < max_backoff_ms_; ++i)
    d *= 2;
  return std::min(d, max_backoff_ms_);
}

void SchedulingQueue::push_active(PodId id, Entry& e) {
  e.where = Where::kActive;
  e.seq = seq_++;
  active_.push(HeapItem{e.priority, e.seq, id});
  ++active_count_;
}

void SchedulingQueue::add(PodId id, std::int32_t priority, std::uint64_t uid, TimeMs) {
  auto [it, inserted] = entries_.try_emplace(id);
  if (!inserted && it->second.uid == uid) return;
  if (!inserted && it->second.where == Where::kActive) --active_count_;
  it->second = Entry{};
  it->second.uid = uid;
  it->second.priority = priority;
  push_active(id, it->second);
}

std::optional<PodId> SchedulingQueue::pop() {
  while (!active_.empty()) {
    const HeapItem top = active_.top();
    active_.pop();
    auto it = entries_.find(top.id);
    // Stale heap items (removed pods, or pods that moved and re-entered) are skipped.
    if (it == entries_.end() || it->second.where != Where::kActive || it->second.seq != top.seq)
      continue;
    --active_count_;
    ++it->second.attempts;
    it->second.where = Where::kInFlight;
    return top.id;
  }
  return std::nullopt;
}

void SchedulingQueue::add_unschedulable(PodId id, TimeMs now) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.where = Where::kUnschedulable;
  e.unschedulable_since = now;
  e.backoff_until = now + backoff_for(std::max(1, e.attempts));
}

void SchedulingQueue::requeue(PodId id, Entry& e, TimeMs now) {
  if (e.where != Where::kUnschedulable) return;
  if (e.backoff_until > now) {
    e.where = Where::kBackoff;
  } else {
    push_active(id, e);
  }
}

void SchedulingQueue::move_all_to_active_or_backoff(TimeMs now) {
  for (auto& [id, e] : entries_)
    requeue(id, e, now);
}

void SchedulingQueue::move_to_active_or_backoff(PodId id, TimeMs now) {
  auto it = entries_.find(id);
  if (it != entries_.end()) requeue(id, it->second, now);
}

void SchedulingQueue::flush(TimeMs now) {
  for (auto& [id, e] : entries_) {
    if (e.where == Where::kBackoff && e.backoff_until <= now) {
      push_active(id, e);
    } else if (e.where == Where::kUnschedulable &&
               now - e.unschedulable_since >= max_unschedulable_ms_) {
      if (e.backoff_until > now) {
        e.where = Where::kBackoff;
      } else {
        push_active(id, e);
      }
    }
  }
}

void SchedulingQueue::remove(PodId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (it->second.where == Where::kActive) --active_count_;
  entries_.erase(it);
}

TimeMs SchedulingQueue::next_backoff() const {
  TimeMs t = kForever;
  for (const auto& [id, e] : entries_) {
    if (e.where == Where::kBackoff) t = std::min(t, e.backoff_until);
  }
  return t;
}

TimeMs SchedulingQueue::next_flush() const {
  TimeMs t = kForever;
  for (const auto& [id, e] : entries_) {
    if (e.where == Where::kUnschedulable)
      t = std::min(t, e.unschedulable_since + max_unschedulable_ms_);
  }
  return t;
}

std::int32_t SchedulingQueue::attempts(PodId id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? 0 : it->second.attempts;
}

}  // namespace gpusim::sched
