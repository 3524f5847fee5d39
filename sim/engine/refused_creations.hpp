#pragma once
// When a pod's wait for a node began, counting the time admission held it back before it
// existed: when admission (ResourceQuota) refused its owner's pod creations (FailedCreate events
// of the Job, ReplicaSet, ...), the wait of the next pod the owner creates starts at the first
// refusal since the owner last created a pod. The pods created with it in the same sync start at
// their creation. pods.csv wait_from_ms and namespaces.csv's waits both come from this, so the
// two cannot disagree.
#include <optional>
#include <string>
#include <unordered_map>

#include "core/event_loop.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {

class RefusedCreations {
 public:
  // Notes a refused pod creation (refused_pod(e)); other events are ignored.
  void on_event(const ClusterEvent& e);
  // For a pod just created: the owner's first refusal since it last created a pod, if any, and
  // forgets it (the owner has now created a pod).
  std::optional<TimeMs> take(const Pod& p);

 private:
  // "<owner kind>/<namespace>/<name>" -> time of its first refused creation not yet followed by
  // a created pod. Looked up only, never iterated into outputs.
  std::unordered_map<std::string, TimeMs> since_;
};

}  // namespace gpusim::engine
