#pragma once
// The cluster-autoscaler's expanders: which node group grows when several could place pending
// pods. Each expander is a filter registered by name (upstream's expander.Filter); a chain such
// as "priority,least-waste" applies them in turn and a seeded random pick settles what is left,
// as upstream's --expander does (default least-waste).
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "controllers/autoscaler_options.hpp"
#include "core/rng.hpp"
#include "model/pod.hpp"

namespace gpusim::ctrl {

// One group's scale-up as the estimator worked it out.
struct ExpansionOption {
  std::string group;
  std::int32_t node_count = 0;
  std::vector<PodId> pods;  // the pending pods the new nodes would place
  // For least-waste: the pods' app-container requests and one node's capacity.
  std::int64_t pods_cpu_milli = 0;
  std::int64_t pods_memory_bytes = 0;
  std::int64_t node_cpu_milli = 0;
  std::int64_t node_memory_bytes = 0;
  std::int64_t node_cost_per_hour_micros = 0;
};

struct ExpanderContext {
  const ExpanderPriorities* priorities = nullptr;
  Rng* rng = nullptr;  // for random
};

using ExpanderFilter = std::function<std::vector<ExpansionOption>(std::vector<ExpansionOption>,
                                                                  const ExpanderContext&)>;

// The registered expanders, by name: least-waste, most-pods, price, priority, random.
const ExpanderFilter* find_expander(const std::string& name);
std::vector<std::string> expander_names();

// Runs the chain of filters over the options, then picks one of those left at random; returns
// the index of the chosen option in `options`, or -1 when none is left.
std::int64_t choose_expansion(const std::vector<ExpansionOption>& options,
                              const std::vector<std::string>& chain, const ExpanderContext& ctx);

}  // namespace gpusim::ctrl
