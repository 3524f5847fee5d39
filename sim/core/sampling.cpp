#include "core/sampling.hpp"

#include <memory>

namespace gpusim {
namespace {

void sample_and_schedule(EventLoop& loop, TimeMs interval_ms,
                         const std::shared_ptr<std::function<void()>>& take) {
  (*take)();
  loop.at_background(loop.now() + interval_ms, EventPriority::kRecorder,
                     [&loop, interval_ms, take] { sample_and_schedule(loop, interval_ms, take); });
}

}  // namespace

void sample_every(EventLoop& loop, TimeMs interval_ms, std::function<void()> take) {
  auto shared = std::make_shared<std::function<void()>>(std::move(take));
  loop.at(loop.now(), EventPriority::kRecorder,
          [&loop, interval_ms, shared] { sample_and_schedule(loop, interval_ms, shared); });
}

}  // namespace gpusim
