#include "engine/defrag_output.hpp"

namespace gpusim::engine {

void DefragOutput::finish() {
  bound_ = compute_defrag_bound(cluster_);
}

void DefragOutput::add_summary(nlohmann::ordered_json& summary) const {
  summary["defrag_bound"] = {{"pending_gpu_pods", bound_.pending_gpu_pods},
                             {"eligible_pending_gpu_pods", bound_.eligible_pending},
                             {"placeable_after_repacking_max", bound_.bound},
                             {"gpu_capacity_milli", bound_.gpu_capacity_milli},
                             {"running_gpu_milli", bound_.running_gpu_milli},
                             {"pending_gpu_milli", bound_.pending_gpu_milli},
                             {"max_flow_milli", bound_.max_flow_milli},
                             {"pending_flow_milli", bound_.pending_flow_milli}};
}

}  // namespace gpusim::engine
