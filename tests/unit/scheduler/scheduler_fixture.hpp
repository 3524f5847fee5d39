#pragma once
// A small cluster with the scheduler actor on an event loop, for end-to-end tests of the
// framework and the kube-scheduler plugins.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/quantity.hpp"
#include "model/cluster.hpp"
#include "model/pod_resources.hpp"
#include "scheduler/scheduler.hpp"
#include "unit/model/event_log.hpp"

namespace gpusim::testing_util {

inline Quantity q(const char* text) {
  auto v = Quantity::parse(text);
  if (!v) throw std::invalid_argument(std::string("bad quantity ") + text);
  return *v;
}

struct NodeSpec {
  std::string name{};
  std::string cpu = "4";
  std::string memory = "16Gi";
  std::string pods = "110";
  int gpus = 0;
  std::string gpu_model{};
  Labels labels{};
  std::vector<Taint> taints{};
  bool unschedulable = false;
};

struct PodSpecBuilder {
  std::string name{};
  std::string cpu{};     // empty: no request
  std::string memory{};  // empty: no request
  int gpus = 0;
  std::optional<int> gpu_milli{};  // gpusim.io/gpu-milli
  std::string gpu_model{};         // gpusim.io/gpu-model
  std::int32_t priority = 0;
  Labels labels{};
  Labels node_selector{};
  std::vector<Toleration> tolerations{};
  Affinity affinity{};
  std::vector<TopologySpreadConstraint> spread{};
  std::vector<std::int32_t> host_ports{};  // TCP, every address
  std::vector<ContainerPort> ports{};      // any protocol and host IP
  std::optional<OwnerReference> owner{};
  std::optional<PreemptionPolicy> preemption_policy{};
  std::string ns = "default";
};

class SchedulerFixture : public ::testing::Test {
 protected:
  SchedulerFixture() : cluster(loop, 1) {
    loop.set_stop_when_idle(true);
    cluster.add_observer(&log);
  }

  NodeId add_node(const NodeSpec& s) {
    Node n;
    n.meta.name = s.name;
    n.meta.labels = s.labels;
    n.meta.labels.emplace("kubernetes.io/hostname", s.name);
    n.capacity["cpu"] = q(s.cpu.c_str());
    n.capacity["memory"] = q(s.memory.c_str());
    n.capacity["pods"] = q(s.pods.c_str());
    if (s.gpus > 0) n.capacity["nvidia.com/gpu"] = Quantity::from_int(s.gpus);
    n.gpu_model = s.gpu_model;
    n.taints = s.taints;
    n.unschedulable = s.unschedulable;
    return cluster.add_node(std::move(n));
  }

  static std::shared_ptr<const PodTemplate> make(const PodSpecBuilder& b) {
    PodTemplate t;
    t.labels = b.labels;
    Container c;
    c.name = "main";
    c.image = "busybox";
    if (!b.cpu.empty()) c.resources.requests["cpu"] = q(b.cpu.c_str());
    if (!b.memory.empty()) c.resources.requests["memory"] = q(b.memory.c_str());
    if (b.gpus > 0) {
      c.resources.requests["nvidia.com/gpu"] = Quantity::from_int(b.gpus);
      c.resources.limits["nvidia.com/gpu"] = Quantity::from_int(b.gpus);
    }
    for (const std::int32_t p : b.host_ports) {
      ContainerPort port;  // TCP on every address
      port.host_port = p;
      c.host_ports.push_back(port);
    }
    c.host_ports.insert(c.host_ports.end(), b.ports.begin(), b.ports.end());
    t.spec.containers.push_back(std::move(c));
    if (b.gpu_milli) {
      t.annotations[kAnnotationGpuMilli] = std::to_string(*b.gpu_milli);
    }
    if (!b.gpu_model.empty()) t.annotations[kAnnotationGpuModel] = b.gpu_model;
    t.spec.node_selector = b.node_selector;
    t.spec.tolerations = b.tolerations;
    t.spec.affinity = b.affinity;
    t.spec.topology_spread_constraints = b.spread;
    t.spec.preemption_policy = b.preemption_policy;
    return make_template(std::move(t));
  }

  // A PodDisruptionBudget <ns>/<name> over `match` (empty: every pod of the namespace) whose
  // status allows `allowed` disruptions, as the disruption controller would have computed it.
  PodDisruptionBudget& add_pdb(const std::string& ns, const std::string& name, Labels match,
                               std::int32_t allowed) {
    PodDisruptionBudget pdb;
    pdb.meta.name = name;
    pdb.meta.namespace_ = ns;
    pdb.selector.match_labels = std::move(match);
    pdb.disruptions_allowed = allowed;
    return cluster.pdbs[ns + "/" + name] = std::move(pdb);
  }

  // A ReplicaSet default/<name> selecting `match`, and the owner reference its pods carry.
  OwnerReference add_replica_set(const std::string& name, Labels match) {
    ReplicaSet rs;
    rs.meta.name = name;
    rs.meta.namespace_ = "default";
    rs.meta.uid = cluster.next_uid();
    rs.selector.match_labels = std::move(match);
    const OwnerReference owner{"ReplicaSet", name, rs.meta.uid, true};
    cluster.replica_sets["default/" + name] = std::move(rs);
    return owner;
  }

  PodId add_pod(const PodSpecBuilder& b) { return add_pod(b, make(b)); }

  PodId add_pod(const PodSpecBuilder& b, std::shared_ptr<const PodTemplate> tmpl) {
    Pod p;
    p.name = b.name;
    p.namespace_ = b.ns;
    p.tmpl = std::move(tmpl);
    p.owner = b.owner;
    p.status.priority = b.priority;  // what Priority admission would resolve
    const CreateResult r = cluster.create_pod(std::move(p));
    EXPECT_TRUE(r.ok()) << r.error;
    return r.id;
  }

  void start(sched::SchedulerConfig config = {}) {
    // A deterministic choice among equal scores keeps expectations exact.
    if (config.tie_break == "random") config.tie_break = "first";
    scheduler = std::make_unique<sched::Scheduler>(cluster, loop, std::move(config), 1);
  }

  void run() { loop.run(); }

  // Node name of a bound pod, "" while pending.
  std::string node_of(PodId id) const {
    const Pod& p = cluster.pod(id);
    return p.bound() ? cluster.node(p.status.node).name() : std::string();
  }

  EventLoop loop;
  Cluster cluster;
  EventLog log;
  std::unique_ptr<sched::Scheduler> scheduler;
};

inline Taint taint(std::string key, std::string value, TaintEffect effect) {
  return Taint{std::move(key), std::move(value), effect, {}};
}

inline Toleration toleration(std::string key, std::string value, TaintEffect effect) {
  Toleration t;
  t.key = std::move(key);
  t.op = TolerationOperator::kEqual;
  t.value = std::move(value);
  t.effect = effect;
  return t;
}

inline LabelSelector selector(Labels match) {
  LabelSelector s;
  s.match_labels = std::move(match);
  return s;
}

}  // namespace gpusim::testing_util
