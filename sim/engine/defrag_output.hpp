#pragma once
// summary.json "defrag_bound": at the end of a run, how many pending GPU pods could be placed if
// the running GPU pods were repacked (an upper bound from a max-flow relaxation,
// model/defrag_bound.hpp). Reports show it beside fragmentation.
#include "engine/simulation.hpp"
#include "model/defrag_bound.hpp"

namespace gpusim::engine {

class DefragOutput : public OutputContributor {
 public:
  explicit DefragOutput(const Cluster& cluster) : cluster_(cluster) {}
  // The cluster state is the run's last one: computed once, when the run stops.
  void finish() override;
  void add_summary(nlohmann::ordered_json& summary) const override;

 private:
  const Cluster& cluster_;
  DefragBound bound_;
};

}  // namespace gpusim::engine
