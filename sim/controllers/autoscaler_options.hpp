#pragma once
// The cluster-autoscaler's command-line flags that gpusim models, with upstream's defaults
// (cluster-autoscaler's config/flags). spec.clusterAutoscaler in a Simulation sets them.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/event_loop.hpp"

namespace gpusim::ctrl {

// The priority expander's table (upstream's cluster-autoscaler-priority-expander ConfigMap):
// per priority, regular expressions searched in the group's name.
using ExpanderPriorities = std::vector<std::pair<std::int32_t, std::vector<std::string>>>;

struct AutoscalerOptions {
  TimeMs scan_interval_ms = 10'000;                    // --scan-interval
  TimeMs scale_down_delay_after_add_ms = 10 * 60'000;  // --scale-down-delay-after-add
  std::int32_t max_scale_down_parallelism = 10;        // --max-scale-down-parallelism
  std::int32_t max_drain_parallelism = 1;              // --max-drain-parallelism
  std::vector<std::string> expander{"least-waste"};    // --expander, a chain
  ExpanderPriorities priorities;                       // for the priority expander
  std::int32_t expendable_pods_priority_cutoff = -10;  // --expendable-pods-priority-cutoff
  bool scale_down_unready_enabled = true;              // --scale-down-unready-enabled
  TimeMs scale_down_unready_ms = 20 * 60'000;          // --scale-down-unready-time
  TimeMs unremovable_recheck_ms = 5 * 60'000;          // --unremovable-node-recheck-timeout
  bool skip_nodes_with_system_pods = true;             // --skip-nodes-with-system-pods
  bool skip_nodes_with_local_storage = true;           // --skip-nodes-with-local-storage
  std::int64_t max_graceful_termination_s = 600;       // --max-graceful-termination-sec
  std::int32_t max_bulk_soft_taint_count = 10;         // --max-bulk-soft-taint-count
  // Failed provisioning: a scale-up whose nodes have not all registered this long after it is
  // given up (the pools' default; a pool may set its own, as upstream's per-group options),
  // and the group backs off, exponentially.
  TimeMs max_node_provision_ms = 15 * 60'000;            // --max-node-provision-time
  TimeMs initial_node_group_backoff_ms = 5 * 60'000;     // --initial-node-group-backoff-duration
  TimeMs max_node_group_backoff_ms = 30 * 60'000;        // --max-node-group-backoff-duration
  TimeMs node_group_backoff_reset_ms = 3 * 60 * 60'000;  // --node-group-backoff-reset-timeout
  bool balance_similar_node_groups = false;              // --balance-similar-node-groups
  std::vector<std::string> balancing_ignore_labels;      // --balancing-ignore-label
  double max_allocatable_difference_ratio = 0.05;        // --max-allocatable-difference-ratio
  double max_free_difference_ratio = 0.05;               // --max-free-difference-ratio
  double memory_difference_ratio = 0.015;                // --memory-difference-ratio
  // Cluster health (upstream's IsClusterHealthy): with more NotReady nodes than both of these,
  // the autoscaler neither adds nor removes nodes.
  double max_total_unready_percentage = 45;  // --max-total-unready-percentage
  std::int32_t ok_total_unready_count = 3;   // --ok-total-unready-count
};

}  // namespace gpusim::ctrl
