#include "controllers/node_group_set.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/int128.hpp"

namespace gpusim::ctrl {
namespace {

// larger - smaller <= larger * ratio, in milli-units with the ratio in millionths, so that
// the verdict does not hang on a double's rounding.
bool within(const Quantity& x, const Quantity& y, double ratio) {
  const std::int64_t a = x.milli_value();
  const std::int64_t b = y.milli_value();
  const std::int64_t larger = std::max(a, b);
  const std::int64_t smaller = std::min(a, b);
  const auto ppm = static_cast<std::int64_t>(std::llround(ratio * 1'000'000.0));
  return static_cast<Int128>(larger - smaller) * 1'000'000 <= static_cast<Int128>(larger) * ppm;
}

const ResourceQuantities& allocatable_of(const Node& n) {
  return n.allocatable.empty() ? n.capacity : n.allocatable;
}

std::set<std::string, std::less<>> keys(const ResourceQuantities& a, const ResourceQuantities& b) {
  std::set<std::string, std::less<>> out;
  for (const auto& kv : a)
    out.insert(kv.first);
  for (const auto& kv : b)
    out.insert(kv.first);
  return out;
}

bool maps_within(const ResourceQuantities& a, const ResourceQuantities& b, double ratio,
                 const char* what, std::string* why) {
  for (const std::string& r : keys(a, b)) {
    auto ia = a.find(r);
    auto ib = b.find(r);
    if (ia == a.end() || ib == b.end() || !within(ia->second, ib->second, ratio)) {
      if (why) *why = std::string(what) + " " + r + " not within tolerance";
      return false;
    }
  }
  return true;
}

}  // namespace

const std::vector<std::string>& basic_ignored_labels() {
  static const std::vector<std::string> kLabels{
      "kubernetes.io/hostname",
      "failure-domain.beta.kubernetes.io/zone",
      "failure-domain.beta.kubernetes.io/region",
      "topology.kubernetes.io/zone",
      "topology.kubernetes.io/region",
      "beta.kubernetes.io/fluentd-ds-ready",
      "kops.k8s.io/instancegroup",
      "topology.ebs.csi.aws.com/zone",
      "topology.gke.io/zone",
      "topology.disk.csi.azure.com/zone",
      "gpusim.io/pool",
  };
  return kLabels;
}

bool similar_node_templates(const Node& a, const Node& b, const AutoscalerOptions& options,
                            std::string* why) {
  for (const std::string& r : keys(a.capacity, b.capacity)) {
    auto ia = a.capacity.find(r);
    auto ib = b.capacity.find(r);
    if (ia == a.capacity.end() || ib == b.capacity.end()) {
      if (why) *why = "capacity " + r + " missing";
      return false;
    }
    // Other capacities must match exactly (upstream: its cores and GPU totals rely on it).
    const bool same = r == "memory"
                          ? within(ia->second, ib->second, options.memory_difference_ratio)
                          : ia->second == ib->second;
    if (!same) {
      if (why) *why = "capacity " + r + " differs";
      return false;
    }
  }
  const ResourceQuantities& alloc_a = allocatable_of(a);
  const ResourceQuantities& alloc_b = allocatable_of(b);
  if (!maps_within(alloc_a, alloc_b, options.max_allocatable_difference_ratio, "allocatable",
                   why) ||
      !maps_within(alloc_a, alloc_b, options.max_free_difference_ratio, "free", why)) {
    return false;
  }
  const auto ignored = [&](const std::string& key) {
    const auto& basic = basic_ignored_labels();
    const auto& extra = options.balancing_ignore_labels;
    return std::find(basic.begin(), basic.end(), key) != basic.end() ||
           std::find(extra.begin(), extra.end(), key) != extra.end();
  };
  const auto compare = [&](const Node& x, const Node& y) {
    for (const auto& [key, value] : x.meta.labels) {
      if (ignored(key)) continue;
      auto it = y.meta.labels.find(key);
      if (it == y.meta.labels.end() || it->second != value) {
        if (why) *why = "label " + key + " differs";
        return false;
      }
    }
    return true;
  };
  return compare(a, b) && compare(b, a);
}

std::vector<ScaleUpInfo> balance_scale_up(std::vector<ScaleUpInfo> groups, std::int32_t new_nodes) {
  std::vector<ScaleUpInfo> open;
  std::int64_t room = 0;
  for (auto& g : groups) {
    if (g.current_size >= g.max_size) continue;
    g.new_size = g.current_size;
    room += g.max_size - g.current_size;
    open.push_back(std::move(g));
  }
  std::int64_t left = std::min<std::int64_t>(new_nodes, room);
  std::stable_sort(open.begin(), open.end(), [](const ScaleUpInfo& x, const ScaleUpInfo& y) {
    return x.current_size < y.current_size;
  });
  // Upstream walks the sorted list round-robin over the groups of the smallest size; adding to
  // the first smallest group with room each time gives the same sizes.
  while (left > 0) {
    ScaleUpInfo* smallest = nullptr;
    for (auto& g : open) {
      if (g.new_size >= g.max_size) continue;
      if (smallest == nullptr || g.new_size < smallest->new_size) smallest = &g;
    }
    if (smallest == nullptr) break;
    ++smallest->new_size;
    --left;
  }
  std::vector<ScaleUpInfo> out;
  for (auto& g : open) {
    if (g.new_size != g.current_size) out.push_back(std::move(g));
  }
  return out;
}

}  // namespace gpusim::ctrl
