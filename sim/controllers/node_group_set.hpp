#pragma once
// --balance-similar-node-groups: which node groups count as the same machine (upstream's
// processors/nodegroupset IsCloudProviderNodeInfoSimilar) and how a scale-up is split between
// them (BalanceScaleUpBetweenGroups).
#include <cstdint>
#include <string>
#include <vector>

#include "controllers/autoscaler_options.hpp"
#include "model/node.hpp"

namespace gpusim::ctrl {

// The labels never compared (upstream's BasicIgnoredLabels: hostname, zone and region, old and
// new keys, fluentd-ds-ready, kops instance group, the CSI drivers' zone labels), plus
// gpusim.io/pool, which names the group as kops.k8s.io/instancegroup does.
const std::vector<std::string>& basic_ignored_labels();

// Whether nodes built from the two templates are similar: the same capacity resources, equal
// except memory (within memory_difference_ratio of the larger); allocatable and free within
// max_allocatable_difference_ratio / max_free_difference_ratio of the larger for every
// resource, each present in both; the same labels and values except the ignored ones. Taints
// are not compared, as upstream's; the caller also requires the pods to fit both. A template
// node has no pods, so free is allocatable. `why` (optional) says what differs.
bool similar_node_templates(const Node& a, const Node& b, const AutoscalerOptions& options,
                            std::string* why = nullptr);

struct ScaleUpInfo {
  std::string group;
  std::int32_t current_size = 0;  // target size: nodes plus those being provisioned
  std::int32_t new_size = 0;
  std::int32_t max_size = 0;
};

// Splits `new_nodes` between the groups, a node at a time to the smallest group (a tie to the
// one that was smaller before the scale-up, then to the one listed first), never past a
// group's max size: capped at their total room. Returns the groups that grow, smallest current
// size first.
std::vector<ScaleUpInfo> balance_scale_up(std::vector<ScaleUpInfo> groups, std::int32_t new_nodes);

}  // namespace gpusim::ctrl
