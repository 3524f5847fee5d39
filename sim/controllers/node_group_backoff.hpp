#pragma once
// The cluster-autoscaler's per-node-group scale-up back-off (upstream's
// utils/backoff.NewIdBasedExponentialBackoff, keyed by group name). A failed scale-up backs the
// group off for --initial-node-group-backoff-duration (5m); a failure once that has run out
// doubles the previous duration, up to --max-node-group-backoff-duration (30m), while a failure
// during a back-off restarts it with the same duration (concurrent failures of one scale-up must
// not compound). A group with no failure for --node-group-backoff-reset-timeout (3h) starts
// again from the initial duration, as does one whose scale-up completed (the caller's Remove).
#include <cstdint>
#include <map>
#include <string>

#include "core/event_loop.hpp"

namespace gpusim::ctrl {

class NodeGroupBackoff {
 public:
  NodeGroupBackoff(TimeMs initial_ms, TimeMs max_ms, TimeMs reset_ms)
      : initial_ms_(initial_ms), max_ms_(max_ms), reset_ms_(reset_ms) {}

  // Records a failure of `group` at `now`; returns the end of its back-off.
  TimeMs backoff(const std::string& group, TimeMs now);
  bool backed_off(const std::string& group, TimeMs now) const;
  // When the back-off ends (0 when there is none on record).
  TimeMs until(const std::string& group) const;
  void remove(const std::string& group) { info_.erase(group); }
  // Forgets groups whose last failure is older than the reset timeout.
  void remove_stale(TimeMs now);

 private:
  struct Info {
    TimeMs duration_ms = 0;
    TimeMs until_ms = 0;
    TimeMs last_failure_ms = 0;
  };
  TimeMs initial_ms_;
  TimeMs max_ms_;
  TimeMs reset_ms_;
  std::map<std::string, Info> info_;
};

}  // namespace gpusim::ctrl
