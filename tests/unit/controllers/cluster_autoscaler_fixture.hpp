#pragma once
// The cluster-autoscaler on a small cluster with the real scheduler and kubelet: groups of
// cpu or GPU nodes, pods that need them, and the events the run wrote.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controllers/cluster_autoscaler.hpp"
#include "controllers/kubelet.hpp"
#include "unit/scheduler/scheduler_fixture.hpp"

namespace gpusim::ctrl::testing_ca {

using testing_util::NodeSpec;
using testing_util::PodSpecBuilder;
using testing_util::q;

inline constexpr TimeMs kMinute = 60'000;

class ClusterAutoscalerTest : public testing_util::SchedulerFixture {
 protected:
  ClusterAutoscalerTest() : kubelet(cluster, loop, TimingDefaults{}) {
    loop.set_stop_when_idle(false);
    cluster.add_observer(&kubelet);
  }

  static NodeGroup group(const std::string& name, int gpus, std::int32_t min_size,
                         std::int32_t max_size) {
    NodeGroup g;
    g.name = name;
    g.node_template.capacity["cpu"] = q("32");
    g.node_template.capacity["memory"] = q("128Gi");
    g.node_template.capacity["pods"] = q("110");
    if (gpus > 0) {
      g.node_template.capacity["nvidia.com/gpu"] = Quantity::from_int(gpus);
      g.node_template.taints.push_back(
          testing_util::taint("nvidia.com/gpu", "present", TaintEffect::kNoSchedule));
    }
    g.node_template.pool = name;
    g.min_size = min_size;
    g.max_size = max_size;
    g.provisioning_delay_ms = 5 * kMinute;
    return g;
  }

  NodeId add_group_node(const NodeGroup& g) {
    Node n = g.node_template;
    n.meta.name = g.name + "-" + std::to_string(next_index[g.name]++);
    n.meta.labels["kubernetes.io/hostname"] = n.meta.name;
    return cluster.add_node(std::move(n));
  }

  void start_autoscaler(std::vector<NodeGroup> groups, AutoscalerOptions options = {}) {
    start();
    std::map<std::string, NodeGroup> by_name;
    for (const auto& g : groups)
      by_name[g.name] = g;
    autoscaler = std::make_unique<ClusterAutoscaler>(
        cluster, loop, *scheduler, std::move(groups),
        [this, by_name](const std::string& pool) { return add_group_node(by_name.at(pool)); },
        options);
    cluster.add_observer(autoscaler.get());
    autoscaler->start();
  }

  // A group of cpu-only nodes of the given shape and price.
  static NodeGroup cpu_group(const std::string& name, const char* cpu, const char* memory,
                             std::int32_t max_size, std::int64_t cost_micros = 0) {
    NodeGroup g = group(name, 0, 0, max_size);
    g.node_template.capacity["cpu"] = q(cpu);
    g.node_template.capacity["memory"] = q(memory);
    g.cost_per_hour_micros = cost_micros;
    return g;
  }

  static PodSpecBuilder cpu_pod(const std::string& name, const char* cpu, const char* memory) {
    PodSpecBuilder b;
    b.name = name;
    b.cpu = cpu;
    b.memory = memory;
    b.owner = OwnerReference{"ReplicaSet", "rs", 99};
    return b;
  }

  // `b` with annotations and volumes stored on the node.
  PodId add_pod_with(const PodSpecBuilder& b, const Annotations& annotations,
                     std::vector<std::string> local_volumes = {}) {
    PodTemplate t = *make(b);
    for (const auto& [k, v] : annotations)
      t.annotations[k] = v;
    t.spec.local_volumes = std::move(local_volumes);
    return add_pod(b, make_template(std::move(t)));
  }

  std::vector<TimeMs> times(const std::string& type, const std::string& kind) const {
    std::vector<TimeMs> out;
    for (const auto& e : log.events) {
      if (e.type == type && e.kind == kind) out.push_back(e.t_ms);
    }
    return out;
  }

  static PodSpecBuilder gpu_pod(const std::string& name, int gpus) {
    PodSpecBuilder b;
    b.name = name;
    b.cpu = "1";
    b.memory = "1Gi";
    b.gpus = gpus;
    b.tolerations.push_back(
        testing_util::toleration("nvidia.com/gpu", "present", TaintEffect::kNoSchedule));
    b.owner = OwnerReference{"ReplicaSet", "rs", 99};
    return b;
  }

  int count(const std::string& type, const std::string& object = {}) const {
    return static_cast<int>(std::count_if(log.events.begin(), log.events.end(), [&](const auto& e) {
      return e.type == type && (object.empty() || e.object == object);
    }));
  }
  TimeMs first(const std::string& type, const std::string& object = {}) const {
    for (const auto& e : log.events) {
      if (e.type == type && (object.empty() || e.object == object)) return e.t_ms;
    }
    return -1;
  }

  Kubelet kubelet;
  std::unique_ptr<ClusterAutoscaler> autoscaler;
  std::map<std::string, int> next_index;
};

}  // namespace gpusim::ctrl::testing_ca
