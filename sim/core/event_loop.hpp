#pragma once
// The discrete-event core. Simulated time is an integer number of milliseconds; events fire in
// (t_ms, priority, insertion sequence) order, so equal inputs always give the same order.
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace gpusim {

using TimeMs = std::int64_t;
inline constexpr TimeMs kForever = std::numeric_limits<TimeMs>::max();

// Lower value fires first among events at the same time. Controllers pick a band so that, for
// example, API writes settle before the scheduler looks at the cluster in the same millisecond.
enum class EventPriority : std::int32_t {
  kTimeline = 0,     // scenario timeline actions (drains, rollouts, failures)
  kApi = 10,         // object creation/deletion, kubelet status updates
  kController = 20,  // controller syncs
  kScheduler = 30,   // scheduling cycles
  kMetrics = 40,     // metric scrapes, HPA reads
  kRecorder = 50,    // time-series sampling sees the settled state of the instant
};

class EventLoop {
 public:
  using Handler = std::function<void()>;
  struct EventId {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
  };

  TimeMs now() const { return now_ms_; }
  std::uint64_t events_processed() const { return processed_; }

  EventId at(TimeMs t_ms, EventPriority priority, Handler handler);
  EventId after(TimeMs delay_ms, EventPriority priority, Handler handler) {
    return at(now_ms_ + delay_ms, priority, std::move(handler));
  }
  // Background events (periodic sampling, resyncs, retries that nothing new prompted) do not
  // keep a run alive: with stop_when_idle, run() ends when only background events remain.
  EventId at_background(TimeMs t_ms, EventPriority priority, Handler handler);
  // Cancelling an event that already fired or was cancelled is a no-op.
  void cancel(EventId id);
  bool pending(EventId id) const;

  // Runs events with t_ms <= until_ms. Returns false when stopped early by stop() or the cap.
  bool run(TimeMs until_ms = kForever);
  void stop() { stop_requested_ = true; }
  void set_event_cap(std::uint64_t cap) { event_cap_ = cap; }
  // Runs after every event's handler (invariant checks: engine/invariants.hpp).
  void set_after_event(Handler hook) { after_event_ = std::move(hook); }
  void set_stop_when_idle(bool v) { stop_when_idle_ = v; }
  bool idle() const { return foreground_ == 0; }
  bool hit_event_cap() const { return hit_cap_; }
  bool empty() const { return instant_.empty() && ring_count_ == 0 && far_.empty(); }
  TimeMs next_time() const;

 private:
  struct Key {
    TimeMs t_ms;
    std::int32_t priority;
    std::uint32_t slot;
    std::uint64_t seq;
  };
  struct Slot {
    Handler handler;
    // From 1: a default EventId{} (slot 0, generation 0), which actors keep for "no timer yet",
    // must never name the first event scheduled, or pending()/cancel() on it would hit that one.
    std::uint32_t generation = 1;
    bool live = false;
    bool background = false;
  };
  EventId push(TimeMs t_ms, EventPriority priority, Handler handler, bool background);
  // Function objects, not function pointers: the heap algorithms inline their calls.
  struct Later {
    bool operator()(const Key& a, const Key& b) const {
      if (a.t_ms != b.t_ms) return a.t_ms > b.t_ms;
      if (a.priority != b.priority) return a.priority > b.priority;
      return a.seq > b.seq;
    }
  };
  struct LaterInInstant {  // among events of one t_ms
    bool operator()(const Key& a, const Key& b) const {
      if (a.priority != b.priority) return a.priority > b.priority;
      return a.seq > b.seq;
    }
  };
  // Pending events live in three places, each later in time than the one before:
  //  - instant_: the events at instant_t_, a heap by (priority, seq), when not empty;
  //  - ring_: one unordered bucket per millisecond for base_ <= t_ms < base_ + kWindow;
  //  - far_: a heap by (t_ms, priority, seq) of everything from base_ + kWindow on.
  // Most events are scheduled a few milliseconds ahead, so they cost an append to a bucket and a
  // small heap of one instant's events instead of sifts through one heap of every event.
  static constexpr TimeMs kWindow = 1024;
  static constexpr std::size_t kWords = kWindow / 64;
  // End of the ring's window; saturates, as an event may sit at kForever.
  TimeMs window_end() const { return base_ > kForever - kWindow ? kForever : base_ + kWindow; }
  void insert(const Key& key);
  void spill_instant();      // instant_ back into ring_/far_ (an earlier event arrived)
  void rebase(TimeMs t_ms);  // lowers base_ to t_ms
  TimeMs ring_min() const;   // earliest t_ms in ring_, kForever when empty
  bool fill_instant();       // moves the earliest pending instant into instant_
  void release(std::uint32_t slot);

  std::vector<Key> instant_;
  TimeMs instant_t_ = 0;
  std::vector<std::vector<Key>> ring_ = std::vector<std::vector<Key>>(kWindow);
  std::array<std::uint64_t, kWords> ring_bits_{};  // non-empty buckets
  std::size_t ring_count_ = 0;                     // events in ring_
  TimeMs base_ = 0;
  std::vector<Key> far_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  TimeMs now_ms_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t processed_ = 0;
  std::uint64_t event_cap_ = std::numeric_limits<std::uint64_t>::max();
  bool stop_requested_ = false;
  bool hit_cap_ = false;
  bool stop_when_idle_ = false;
  std::uint64_t foreground_ = 0;  // live foreground events pending
  Handler after_event_;
};

}  // namespace gpusim
