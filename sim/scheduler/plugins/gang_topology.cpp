#include "scheduler/plugins/gang_topology.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include "scheduler/plugins/plugin_args.hpp"

namespace gpusim::sched {

struct GangTopologyPlugin::State : PluginState {
  std::vector<NodeIndex> placed;  // nodes of the gang's bound or reserved members (repeats kept)
  // First member only: per candidate, the span of the smallest domain with room for the gang.
  std::vector<std::int64_t> first_spans;
};

namespace {

// The graph's label keys from the args, checked before the graph is built.
TopologyGraph graph_from(const nlohmann::json& args) {
  ArgsReader a(GangTopologyPlugin::kName, args);
  a.only({"zoneLabel", "rackLabel"});
  std::string zone = a.string("zoneLabel", "topology.kubernetes.io/zone");
  std::string rack = a.string("rackLabel", kDefaultRackLabel);
  if (zone.empty()) a.fail("zoneLabel", "must not be empty");
  if (rack.empty()) a.fail("rackLabel", "must not be empty");
  if (zone == rack) a.fail("rackLabel", "must differ from zoneLabel");
  return TopologyGraph(std::move(zone), std::move(rack));
}

}  // namespace

GangTopologyPlugin::GangTopologyPlugin(const nlohmann::json& args, FrameworkHandle& handle)
    : handle_(handle), graph_(graph_from(args)) {}

std::int64_t GangTopologyPlugin::copies_fitting(const PodInfo& pod, NodeIndex n,
                                                std::int64_t cap) const {
  const NodeTable& t = handle_.nodes();
  std::int64_t fit = cap;
  const GpuRequest& gpu = pod.res->gpu;
  for (const auto& [dim, units] : pod.requests) {
    // GPUs are counted per device below: free units on a node may be split across devices.
    if (dim == NodeTable::kGpu && gpu.count > 0) continue;
    const std::int64_t free = t.alloc(dim)[n] - t.requested(dim)[n];
    fit = std::min(fit, free <= 0 ? 0 : free / units);
  }
  if (gpu.count > 0 && fit > 0) {
    const std::int32_t* free_milli = t.gpu_free(n);
    std::int64_t copies = 0;
    if (gpu.shared()) {
      for (std::int32_t d = 0; d < t.gpu_count(n); ++d)
        copies += free_milli[d] / gpu.milli_per_gpu;
    } else {
      std::int64_t idle = 0;
      for (std::int32_t d = 0; d < t.gpu_count(n); ++d)
        idle += free_milli[d] == 1000 ? 1 : 0;
      copies = idle / gpu.count;
    }
    fit = std::min(fit, copies);
  }
  return fit;
}

Status GangTopologyPlugin::pre_score(CycleState& state, const PodInfo& pod,
                                     std::span<const NodeIndex> nodes) {
  const Pod& p = *pod.pod;
  auto label = p.labels().find(kPodGroupLabel);
  if (label == p.labels().end()) return Status::skip();
  const Cluster& c = handle_.cluster();
  const NodeTable& t = handle_.nodes();
  graph_.sync(t);

  auto s = std::make_unique<State>();
  std::int64_t unplaced = 1;  // this pod
  auto consider = [&](PodId id, const Pod& m) {
    if (id == pod.id || m.terminal() || m.deletion_ms || m.namespace_ != p.namespace_) return;
    auto l = m.labels().find(kPodGroupLabel);
    if (l == m.labels().end() || l->second != label->second) return;
    if (m.bound()) {
      s->placed.push_back(m.status.node);
    } else if (auto r = t.reservation(id)) {
      s->placed.push_back(*r);
    } else {
      ++unplaced;
    }
  };
  auto group = c.pod_groups.find(p.namespace_ + "/" + label->second);
  if (group != c.pod_groups.end() && group->second.meta.owner) {
    // The training operator's pods: found through their owner, not a scan of every pod.
    for (PodId id : c.pods_of(group->second.meta.owner->uid))
      consider(id, c.pod(id));
  } else {
    c.for_each_pod(consider);
  }

  if (s->placed.empty()) {
    // Room for the unplaced members per rack and zone, over the feasible nodes only (nodes this
    // pod cannot use do not count, whatever they have free).
    std::vector<std::int64_t> node_room(nodes.size());
    std::vector<std::int64_t> rack_room(graph_.rack_count(), 0);
    std::vector<std::int64_t> zone_room(graph_.zone_count(), 0);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      node_room[i] = copies_fitting(pod, nodes[i], unplaced);
      if (const auto r = graph_.rack(nodes[i]); r >= 0) {
        rack_room[static_cast<std::size_t>(r)] += node_room[i];
      }
      if (const auto z = graph_.zone(nodes[i]); z >= 0) {
        zone_room[static_cast<std::size_t>(z)] += node_room[i];
      }
    }
    s->first_spans.resize(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const NodeIndex n = nodes[i];
      const auto r = graph_.rack(n);
      const auto z = graph_.zone(n);
      std::int64_t span = graph_.root_span(n);
      if (node_room[i] >= unplaced) {
        span = 0;
      } else if (r >= 0 && rack_room[static_cast<std::size_t>(r)] >= unplaced) {
        span = graph_.rack_span(n);
      } else if (z >= 0 && zone_room[static_cast<std::size_t>(z)] >= unplaced) {
        span = graph_.zone_span(n);
      }
      s->first_spans[i] = span;
    }
  }
  state.put(slot(), std::move(s));
  return Status::ok();
}

void GangTopologyPlugin::score(CycleState& state, const PodInfo&, std::span<const NodeIndex> nodes,
                               std::span<std::int64_t> out) {
  const State* s = state.get<State>(slot());
  if (s->placed.empty()) {
    std::copy(s->first_spans.begin(), s->first_spans.end(), out.begin());
    return;
  }
  std::fill(out.begin(), out.end(), 0);
  for (NodeIndex m : s->placed) {
    const std::vector<std::int32_t>& hops = graph_.hops_from(m);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      // A member on a node the graph lost (removed since) is as far as anything can be.
      const std::int32_t h = nodes[i] < hops.size() ? hops[nodes[i]] : -1;
      out[i] += h >= 0 ? h : graph_.root_span(nodes[i]) * 2;
    }
  }
}

void GangTopologyPlugin::normalize(CycleState&, const PodInfo&, std::span<std::int64_t> scores) {
  if (scores.empty()) return;
  const auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
  const std::int64_t min = *lo, max = *hi;
  for (auto& v : scores)
    v = max == min ? 100 : 100 * (max - v) / (max - min);
}

}  // namespace gpusim::sched
