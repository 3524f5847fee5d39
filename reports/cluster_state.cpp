#include "reports/cluster_state.hpp"

#include <algorithm>

namespace gpusim::reports {

std::int64_t NodeState::gpus_free_whole() const {
  return static_cast<std::int64_t>(std::count(device_milli.begin(), device_milli.end(), 0));
}

namespace {

// Milli-GPU a pod holds on each of its devices: whole GPUs take 1000 each, a shared GPU the
// pod's gpu_milli.
std::int64_t per_device_milli(const PodRecord& p) {
  if (p.gpu_devices.empty()) return 0;
  return p.gpu_milli / static_cast<std::int64_t>(p.gpu_devices.size());
}

bool holds_at(const PodRecord& p, TimeMs t) {
  if (!p.scheduled_ms || *p.scheduled_ms > t || p.node.empty()) return false;
  const auto rel = p.released_ms();
  return !rel || *rel > t;
}

std::string group_key(const NodeRecord& n, GroupBy by) {
  switch (by) {
    case GroupBy::kCluster:
      return "cluster";
    case GroupBy::kPool:
      return n.pool.empty() ? std::string("(no pool)") : n.pool;
    case GroupBy::kGpuModel:
      return n.gpu_model.empty() ? std::string("(no model)") : n.gpu_model;
    case GroupBy::kPoolAndModel:
      return (n.pool.empty() ? std::string("(no pool)") : n.pool) + "/" +
             (n.gpu_model.empty() ? std::string("(no model)") : n.gpu_model);
  }
  return {};
}

std::int64_t frag_of(std::int64_t used) {
  return used > 0 && used < 1000 ? 1000 - used : 0;
}

}  // namespace

ClusterState ClusterState::at(const RunDir& run, TimeMs t) {
  ClusterState s;
  s.t_ms_ = t;
  std::map<std::string, std::size_t> index;
  for (const auto& n : run.nodes()) {
    if (!n.exists_at(t)) continue;
    NodeState ns;
    ns.node = &n;
    ns.device_milli.assign(static_cast<std::size_t>(std::max<std::int64_t>(n.gpus, 0)), 0);
    index[n.name] = s.nodes_.size();
    s.nodes_.push_back(std::move(ns));
  }
  for (const auto& p : run.pods()) {
    if (p.created_ms > t) continue;
    if (p.deleted_ms && *p.deleted_ms <= t) continue;
    PodState ps;
    ps.pod = &p;
    if (p.finished_ms && *p.finished_ms <= t) {
      ps.phase = p.phase == "Failed" ? "Failed" : "Succeeded";
      ps.status = ps.phase == "Failed" ? (p.reason.empty() ? "Error" : p.reason) : "Completed";
    } else if (p.started_ms && *p.started_ms <= t) {
      ps.phase = ps.status = "Running";
    } else if (p.scheduled_ms && *p.scheduled_ms <= t) {
      ps.phase = "Pending";
      ps.status = "ContainerCreating";
    } else {
      ps.phase = ps.status = "Pending";
    }
    ps.holds_node = holds_at(p, t);
    if (ps.holds_node) {
      if (auto it = index.find(p.node); it != index.end()) {
        NodeState& ns = s.nodes_[it->second];
        ns.cpu_milli += p.cpu_milli;
        ns.memory_bytes += p.memory_bytes;
        ns.gpu_milli += p.gpu_milli;
        ns.pods += 1;
        for (auto d : p.gpu_devices) {
          if (d >= 0 && static_cast<std::size_t>(d) < ns.device_milli.size())
            ns.device_milli[d] += per_device_milli(p);
        }
      }
    }
    s.pods_.push_back(std::move(ps));
  }
  return s;
}

std::vector<TimeMs> sample_times(const RunDir& run) {
  std::vector<TimeMs> out;
  const CsvTable& ts = run.timeseries();
  if (auto c = ts.column("t_ms")) {
    for (const auto& row : ts.rows()) {
      if (auto v = to_int(row[*c])) out.push_back(*v);
    }
  }
  if (out.empty()) out = {0, run.end_ms()};
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::map<std::string, std::vector<GpuGroupPoint>> gpu_groups(const RunDir& run, GroupBy by,
                                                             const std::vector<TimeMs>& times,
                                                             bool include_cpu_only) {
  // A sweep over allocation changes: per device used milli, per group running totals.
  struct Change {
    TimeMs t;
    int order;  // at one instant: releases and removals before bindings and additions
    std::size_t node;
    const PodRecord* pod;  // nullptr: node added (+1) or removed (-1)
    int sign;
  };
  const auto& nodes = run.nodes();
  std::map<std::string, std::size_t> node_index;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    node_index[nodes[i].name] = i;
  std::vector<Change> changes;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    changes.push_back({nodes[i].added_ms, 1, i, nullptr, +1});
    if (nodes[i].removed_ms) changes.push_back({*nodes[i].removed_ms, 0, i, nullptr, -1});
  }
  for (const auto& p : run.pods()) {
    if (!p.scheduled_ms || p.node.empty() || p.gpu_milli == 0) continue;
    auto it = node_index.find(p.node);
    if (it == node_index.end()) continue;
    changes.push_back({*p.scheduled_ms, 1, it->second, &p, +1});
    if (auto rel = p.released_ms()) changes.push_back({*rel, 0, it->second, &p, -1});
  }
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    if (a.t != b.t) return a.t < b.t;
    return a.order < b.order;
  });
  std::vector<std::vector<std::int64_t>> used(nodes.size());
  std::vector<bool> present(nodes.size(), false);
  std::vector<std::string> key(nodes.size());
  struct Totals {
    std::int64_t cap = 0, alloc = 0, frag = 0, nodes = 0;
  };
  std::map<std::string, Totals> totals;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    used[i].assign(static_cast<std::size_t>(std::max<std::int64_t>(nodes[i].gpus, 0)), 0);
    key[i] = group_key(nodes[i], by);
    if (include_cpu_only || nodes[i].gpus > 0) totals[key[i]];
  }
  auto apply = [&](const Change& c) {
    if (!include_cpu_only && nodes[c.node].gpus <= 0) return;
    Totals& g = totals[key[c.node]];
    auto& dev = used[c.node];
    if (c.pod == nullptr) {
      const std::int64_t sign = c.sign;
      present[c.node] = c.sign > 0;
      g.cap += sign * static_cast<std::int64_t>(dev.size()) * 1000;
      g.nodes += sign;
      for (auto u : dev) {
        g.alloc += sign * u;
        g.frag += sign * frag_of(u);
      }
      return;
    }
    const std::int64_t share = per_device_milli(*c.pod) * c.sign;
    for (auto d : c.pod->gpu_devices) {
      if (d < 0 || static_cast<std::size_t>(d) >= dev.size()) continue;
      const std::int64_t before = dev[d];
      dev[d] += share;
      if (present[c.node]) {
        g.alloc += dev[d] - before;
        g.frag += frag_of(dev[d]) - frag_of(before);
      }
    }
  };
  std::map<std::string, std::vector<GpuGroupPoint>> out;
  for (const auto& [k, t] : totals)
    out[k];
  std::size_t ci = 0;
  for (TimeMs t : times) {
    while (ci < changes.size() && changes[ci].t <= t)
      apply(changes[ci++]);
    for (const auto& [k, g] : totals) {
      out[k].push_back(GpuGroupPoint{t, g.cap, g.alloc, g.frag, g.nodes});
    }
  }
  return out;
}

}  // namespace gpusim::reports
