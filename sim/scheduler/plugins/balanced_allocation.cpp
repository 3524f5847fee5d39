#include "scheduler/plugins/balanced_allocation.hpp"

#include <cmath>

#include "model/resources.hpp"
#include "scheduler/plugins/filter_helpers.hpp"

namespace gpusim::sched {
namespace {

struct Resource {
  std::int64_t pod = 0;
  const std::int64_t* alloc = nullptr;
  const std::int64_t* used = nullptr;
};

struct BalancedAllocationState : PluginState {
  std::vector<Resource> resources;
  std::vector<std::int64_t> score_key;  // what a node's score depends on besides its row
};

}  // namespace

BalancedAllocationPlugin::BalancedAllocationPlugin(const nlohmann::json& args,
                                                   FrameworkHandle& handle)
    : handle_(handle) {
  ArgsReader a(kName, args);
  a.only({"resources"});
  resources_ = read_resource_specs(a, "resources");
}

Status BalancedAllocationPlugin::pre_score(CycleState& state, const PodInfo& pod,
                                           std::span<const NodeIndex>) {
  BalancedAllocationState& s = cycle_slot<BalancedAllocationState>(state, *this);
  const NodeTable& t = handle_.nodes();
  s.resources.clear();
  s.score_key.clear();
  bool best_effort = true;
  for (const ResourceSpec& spec : resources_) {
    Resource r;
    r.pod = pod.res->requests.get(spec.name);
    if (r.pod != 0) best_effort = false;
    if ((is_scalar_resource(spec.name) && r.pod == 0) || spec.name == kResourcePods) continue;
    const int d = t.dim(spec.name);
    if (d < 0) continue;
    r.alloc = t.alloc(d);
    r.used = t.requested(d);
    s.resources.push_back(r);
    s.score_key.insert(s.score_key.end(), {d, r.pod});
  }
  // Spreading best-effort pods by balance would pile them onto one node (kubernetes#129138).
  if (best_effort) return Status::skip();
  return Status::ok();
}

namespace {

std::int64_t node_score(const std::vector<Resource>& resources, NodeIndex n,
                        std::vector<double>& fractions) {
  fractions.resize(resources.size());
  std::size_t count = 0;
  double total = 0;
  for (const Resource& r : resources) {
    const std::int64_t alloc = r.alloc[n];
    if (alloc == 0) continue;
    double f = static_cast<double>(r.used[n] + r.pod) / static_cast<double>(alloc);
    if (f > 1) f = 1;
    total += f;
    fractions[count++] = f;
  }
  double std_dev = 0;
  if (count == 2) {
    std_dev = std::fabs((fractions[0] - fractions[1]) / 2);
  } else if (count > 2) {
    const double mean = total / static_cast<double>(count);
    double sum = 0;
    for (std::size_t k = 0; k < count; ++k)
      sum += (fractions[k] - mean) * (fractions[k] - mean);
    std_dev = std::sqrt(sum / static_cast<double>(count));
  }
  return static_cast<std::int64_t>((1 - std_dev) * static_cast<double>(kMaxNodeScore));
}

}  // namespace

void BalancedAllocationPlugin::score(CycleState& state, const PodInfo&,
                                     std::span<const NodeIndex> nodes,
                                     std::span<std::int64_t> out) {
  const BalancedAllocationState& s = cycle_slot<BalancedAllocationState>(state, *this);
  const NodeTable& t = handle_.nodes();
  cache_.begin(s.score_key, t.size());
  cache_.score(nodes, t.version_column(), out,
               [&](NodeIndex n) { return node_score(s.resources, n, fractions_); });
}

}  // namespace gpusim::sched
