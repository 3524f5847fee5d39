#pragma once
// A small cluster with the scheduler on an event loop, for the GPU policy tests.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/quantity.hpp"
#include "model/cluster.hpp"
#include "model/pod_resources.hpp"
#include "scheduler/framework.hpp"
#include "scheduler/scheduler.hpp"

namespace gpusim::gputest {

struct PodShape {
  std::int64_t cpu_milli = 1000;
  std::int32_t gpus = 0;
  std::int32_t milli = 1000;  // per device; < 1000 shares one device
  std::string models{};       // gpusim.io/gpu-model
};

inline std::shared_ptr<const PodTemplate> pod_template(const PodShape& s) {
  PodTemplate t;
  Container c;
  c.name = "main";
  c.resources.requests["cpu"] = Quantity::from_milli(s.cpu_milli);
  c.resources.requests["memory"] = *Quantity::parse("1Gi");
  if (s.gpus > 0 && s.milli >= 1000) {
    c.resources.requests["nvidia.com/gpu"] = Quantity::from_int(s.gpus);
    c.resources.limits["nvidia.com/gpu"] = Quantity::from_int(s.gpus);
  } else if (s.gpus > 0) {
    t.annotations[kAnnotationGpuMilli] = std::to_string(s.milli);
  }
  if (!s.models.empty()) t.annotations[kAnnotationGpuModel] = s.models;
  t.spec.containers.push_back(std::move(c));
  return make_template(std::move(t));
}

class GpuCluster {
 public:
  // An empty policy keeps upstream's default profile.
  explicit GpuCluster(const std::string& policy, std::uint64_t seed = 1) : cluster(loop, seed) {
    // The scheduler's periodic flush of unschedulable pods never ends; "settled" means only it
    // is left.
    loop.set_stop_when_idle(true);
    sched::SchedulerConfig config;
    config.tie_break = "first";
    if (!policy.empty()) config = sched::with_policy(config, policy);
    for (auto& p : config.profiles)
      p.plugin_config[policy.empty() ? "FGD" : policy]["scorer"] = "cpu";
    scheduler = std::make_unique<sched::Scheduler>(cluster, loop, config, seed);
  }
  GpuCluster(const sched::SchedulerConfig& config, std::uint64_t seed) : cluster(loop, seed) {
    loop.set_stop_when_idle(true);
    scheduler = std::make_unique<sched::Scheduler>(cluster, loop, config, seed);
  }

  NodeId add_node(const std::string& name, std::int64_t cpu_milli, int gpus,
                  const std::string& model = "A100") {
    Node n;
    n.meta.name = name;
    n.meta.labels["kubernetes.io/hostname"] = name;
    n.capacity["cpu"] = Quantity::from_milli(cpu_milli);
    n.capacity["memory"] = *Quantity::parse("512Gi");
    n.capacity["pods"] = Quantity::from_int(110);
    if (gpus > 0) {
      n.capacity["nvidia.com/gpu"] = Quantity::from_int(gpus);
      n.meta.labels["nvidia.com/gpu.product"] = model;
      n.gpu_model = model;
    }
    return cluster.add_node(std::move(n));
  }

  PodId create(const std::string& name, const PodShape& s) {
    Pod p;
    p.name = name;
    p.namespace_ = "default";
    p.tmpl = pod_template(s);
    const CreateResult r = cluster.create_pod(std::move(p));
    EXPECT_TRUE(r.ok()) << r.error;
    return r.id;
  }

  // Binds a pod by hand (to set up partly used devices), bypassing the scheduler.
  PodId bind(const std::string& name, const PodShape& s, NodeId node,
             std::vector<std::int32_t> devices) {
    PodShape pinned = s;
    Pod p;
    p.name = name;
    p.namespace_ = "default";
    PodTemplate t = *pod_template(pinned);
    t.spec.scheduler_name = "by-hand";  // no profile: the scheduler leaves it alone
    p.tmpl = make_template(std::move(t));
    const CreateResult r = cluster.create_pod(std::move(p));
    EXPECT_TRUE(r.ok()) << r.error;
    cluster.bind(r.id, node, std::move(devices));
    return r.id;
  }

  // A pod no scheduler serves: it only counts in FGD's derived distribution.
  PodId park(const std::string& name, const PodShape& s) {
    Pod p;
    p.name = name;
    p.namespace_ = "default";
    PodTemplate t = *pod_template(s);
    t.spec.scheduler_name = "by-hand";
    p.tmpl = make_template(std::move(t));
    const CreateResult r = cluster.create_pod(std::move(p));
    EXPECT_TRUE(r.ok()) << r.error;
    return r.id;
  }

  // Creates the pod and runs the scheduler until it settles.
  PodId schedule(const std::string& name, const PodShape& s) {
    const PodId id = create(name, s);
    loop.run();
    return id;
  }

  std::string node_of(PodId id) const {
    const Pod& p = cluster.pod(id);
    return p.bound() ? cluster.node(p.status.node).name() : std::string();
  }
  std::vector<std::int32_t> devices_of(PodId id) const {
    return cluster.pod(id).status.gpu_devices;
  }

  EventLoop loop;
  Cluster cluster;
  std::unique_ptr<sched::Scheduler> scheduler;
};

}  // namespace gpusim::gputest
