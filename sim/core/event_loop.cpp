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
  heap_.push_back(Key{t_ms, static_cast<std::int32_t>(priority), slot, seq_++});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  return EventId{slot, s.generation};
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
  while (!heap_.empty() && heap_.front().t_ms <= until_ms && !stop_requested_) {
    // Cancelled entries are dropped before the cap check: reaching the cap with only cancelled
    // events left is not hitting it.
    if (!slots_[heap_.front().slot].live) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      release(heap_.back().slot);
      heap_.pop_back();
      continue;
    }
    if (stop_when_idle_ && foreground_ == 0) break;
    if (processed_ >= event_cap_) {
      hit_cap_ = true;
      return false;
    }
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    const Key key = heap_.back();
    heap_.pop_back();
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
  if (!stop_requested_ && !ended_idle && until_ms != kForever && now_ms_ < until_ms) now_ms_ = until_ms;
  return !stop_requested_;
}

}  // namespace gpusim
