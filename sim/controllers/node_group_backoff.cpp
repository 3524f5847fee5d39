#include "controllers/node_group_backoff.hpp"

#include <algorithm>

namespace gpusim::ctrl {

TimeMs NodeGroupBackoff::backoff(const std::string& group, TimeMs now) {
  TimeMs duration = initial_ms_;
  if (auto it = info_.find(group); it != info_.end()) {
    duration = it->second.duration_ms;
    // Upstream compares with time.Before: a failure at the very instant the back-off ends
    // still counts as one during it.
    if (it->second.until_ms < now) duration = std::min(2 * it->second.duration_ms, max_ms_);
  }
  Info& i = info_[group];
  i.duration_ms = duration;
  i.until_ms = now + duration;
  i.last_failure_ms = now;
  return i.until_ms;
}

bool NodeGroupBackoff::backed_off(const std::string& group, TimeMs now) const {
  auto it = info_.find(group);
  return it != info_.end() && it->second.until_ms > now;
}

TimeMs NodeGroupBackoff::until(const std::string& group) const {
  auto it = info_.find(group);
  return it == info_.end() ? 0 : it->second.until_ms;
}

void NodeGroupBackoff::remove_stale(TimeMs now) {
  for (auto it = info_.begin(); it != info_.end();) {
    if (it->second.last_failure_ms + reset_ms_ < now) {
      it = info_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace gpusim::ctrl
