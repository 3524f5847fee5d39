#pragma once
// Output sampling: one sample at the end of the current instant (EventPriority::kRecorder: after
// the instant's API writes, controller syncs and scheduling), then one every interval. The later
// samples are background events, so sampling alone never keeps a run going.
#include <functional>

#include "core/event_loop.hpp"

namespace gpusim {

void sample_every(EventLoop& loop, TimeMs interval_ms, std::function<void()> take);

}  // namespace gpusim
