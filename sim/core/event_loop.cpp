#include "core/event_loop.hpp"

#include <algorithm>
#include <stdexcept>

namespace gpusim {

EventLoop::EventId EventLoop::at(TimeMs t_ms, EventPriority priority, Handler handler) {
  return push(t_ms, priority, std::move(handler), false);
}

EventLoop::EventId EventLoop::at_background(TimeMs t_ms, EventPriority priority, Handler handler) {
  return push(t_ms, priority, std::move(handler), true);
}

EventLoop::EventId EventLoop::push(TimeMs t_ms, EventPriority priority, Handler handler,
                                   bool background) {
  if (t_ms < now_ms_) throw std::logic_error("event scheduled in the past");
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Slot& s = slots_[slot];
  s.handler = std::move(handler);
  s.live = true;
  s.background = background;
  if (!background) ++foreground_;
  insert(Key{t_ms, static_cast<std::int32_t>(priority), slot, seq_++});
  return EventId{slot, s.generation};
}

void EventLoop::insert(const Key& key) {
  if (!instant_.empty()) {
    if (key.t_ms == instant_t_) {
      instant_.push_back(key);
      std::push_heap(instant_.begin(), instant_.end(), LaterInInstant{});
      return;
    }
    // Only after run(until) stopped short of a filled instant: rare, so simply undone.
    if (key.t_ms < instant_t_) spill_instant();
  }
  if (key.t_ms < base_) rebase(key.t_ms);
  if (key.t_ms < window_end()) {
    const auto b = static_cast<std::size_t>(key.t_ms % kWindow);
    ring_[b].push_back(key);
    ring_bits_[b / 64] |= std::uint64_t{1} << (b % 64);
    ++ring_count_;
  } else {
    far_.push_back(key);
    std::push_heap(far_.begin(), far_.end(), Later{});
  }
}

void EventLoop::spill_instant() {
  std::vector<Key> keys;
  keys.swap(instant_);
  for (const Key& k : keys)
    insert(k);
}

void EventLoop::rebase(TimeMs t_ms) {
  base_ = t_ms;
  for (std::size_t b = 0; b < ring_.size(); ++b) {
    auto& bucket = ring_[b];
    if (bucket.empty() || bucket.front().t_ms < window_end()) continue;
    for (const Key& k : bucket) {
      far_.push_back(k);
      std::push_heap(far_.begin(), far_.end(), Later{});
    }
    ring_count_ -= bucket.size();
    bucket.clear();
    ring_bits_[b / 64] &= ~(std::uint64_t{1} << (b % 64));
  }
}

TimeMs EventLoop::ring_min() const {
  if (ring_count_ == 0) return kForever;
  // Every ring event is within [base_, base_ + kWindow), one instant per bucket, so the first
  // non-empty bucket from base_'s, cyclically, holds the earliest.
  const auto first = static_cast<std::size_t>(base_ % kWindow);
  std::size_t w = first / 64;
  std::uint64_t bits = ring_bits_[w] & (~std::uint64_t{0} << (first % 64));
  for (std::size_t step = 0; step <= kWords; ++step) {
    if (bits != 0) {
      const std::size_t b = w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
      return base_ + static_cast<TimeMs>((b + kWindow - first) % kWindow);
    }
    w = (w + 1) % kWords;
    bits = ring_bits_[w];
  }
  return kForever;
}

TimeMs EventLoop::next_time() const {
  if (!instant_.empty()) return instant_t_;
  const TimeMs r = ring_min();
  if (r != kForever) return r;
  return far_.empty() ? kForever : far_.front().t_ms;
}

bool EventLoop::fill_instant() {
  TimeMs t = ring_min();
  if (t == kForever) {
    if (far_.empty()) return false;
    t = far_.front().t_ms;
  }
  // Every pending event is at t or later: the window moves up to t, taking in the far events
  // that now fall inside it.
  base_ = t;
  const TimeMs end = window_end();
  while (!far_.empty() && (far_.front().t_ms < end || far_.front().t_ms == t)) {
    std::pop_heap(far_.begin(), far_.end(), Later{});
    const Key k = far_.back();
    far_.pop_back();
    const auto b = static_cast<std::size_t>(k.t_ms % kWindow);
    ring_[b].push_back(k);
    ring_bits_[b / 64] |= std::uint64_t{1} << (b % 64);
    ++ring_count_;
  }
  const auto b = static_cast<std::size_t>(t % kWindow);
  instant_.clear();
  instant_.swap(ring_[b]);
  ring_bits_[b / 64] &= ~(std::uint64_t{1} << (b % 64));
  ring_count_ -= instant_.size();
  instant_t_ = t;
  std::make_heap(instant_.begin(), instant_.end(), LaterInInstant{});
  return true;
}

void EventLoop::cancel(EventId id) {
  if (!pending(id)) return;
  // The heap entry stays and is skipped when popped; the slot is freed then.
  if (!slots_[id.slot].background) --foreground_;
  slots_[id.slot].live = false;
  slots_[id.slot].handler = nullptr;
}

bool EventLoop::pending(EventId id) const {
  return id.slot < slots_.size() && slots_[id.slot].generation == id.generation &&
         slots_[id.slot].live;
}

void EventLoop::release(std::uint32_t slot) {
  Slot& s = slots_[slot];
  s.live = false;
  s.handler = nullptr;
  ++s.generation;
  free_slots_.push_back(slot);
}

bool EventLoop::run(TimeMs until_ms) {
  stop_requested_ = false;
  while (!stop_requested_ && (!instant_.empty() || fill_instant()) && instant_t_ <= until_ms) {
    // Cancelled entries are dropped before the cap check: reaching the cap with only cancelled
    // events left is not hitting it.
    if (!slots_[instant_.front().slot].live) {
      std::pop_heap(instant_.begin(), instant_.end(), LaterInInstant{});
      release(instant_.back().slot);
      instant_.pop_back();
      continue;
    }
    if (stop_when_idle_ && foreground_ == 0) break;
    if (processed_ >= event_cap_) {
      hit_cap_ = true;
      return false;
    }
    std::pop_heap(instant_.begin(), instant_.end(), LaterInInstant{});
    const Key key = instant_.back();
    instant_.pop_back();
    Slot& s = slots_[key.slot];
    now_ms_ = key.t_ms;
    if (!s.background) --foreground_;
    Handler handler = std::move(s.handler);
    release(key.slot);
    ++processed_;
    handler();
    if (after_event_) after_event_();
  }
  const bool ended_idle = stop_when_idle_ && foreground_ == 0;
  if (!stop_requested_ && !ended_idle && until_ms != kForever && now_ms_ < until_ms)
    now_ms_ = until_ms;
  return !stop_requested_;
}

}  // namespace gpusim
