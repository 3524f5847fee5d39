#include "engine/refused_creations.hpp"

namespace gpusim::engine {

void RefusedCreations::on_event(const ClusterEvent& e) {
  if (!refused_pod(e)) return;
  since_.try_emplace(e.kind + "/" + e.object, e.t_ms);
}

std::optional<TimeMs> RefusedCreations::take(const Pod& p) {
  if (!p.owner || since_.empty()) return std::nullopt;
  auto r = since_.find(p.owner->kind + "/" + p.namespace_ + "/" + p.owner->name);
  if (r == since_.end()) return std::nullopt;
  const TimeMs t = r->second;
  since_.erase(r);
  return t;
}

}  // namespace gpusim::engine
