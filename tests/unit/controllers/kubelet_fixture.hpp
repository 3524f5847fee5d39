#pragma once
// The kubelet on one node ("node-0", 64 cpu, 110 pods) and the pods bound to it: the set-up the
// kubelet tests share.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "controllers/kubelet.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl::testing_kubelet {

class KubeletTest : public ::testing::Test {
 protected:
  // `images`: what the node has pulled before the run.
  explicit KubeletTest(std::vector<std::string> images = {})
      : cluster(loop, 5), kubelet(cluster, loop, TimingDefaults{}) {
    cluster.add_observer(&kubelet);
    Node n;
    n.meta.name = "node-0";
    n.capacity["cpu"] = Quantity::from_int(64);
    n.capacity["pods"] = Quantity::from_int(110);
    n.allocatable = n.capacity;
    n.images = std::move(images);
    node = cluster.add_node(std::move(n));
  }

  // Creates pod ml/<name> of `t` and binds it to the node.
  PodId bind_pod(const std::string& name, PodTemplate t) {
    Pod p;
    p.name = name;
    p.namespace_ = "ml";
    p.tmpl = make_template(std::move(t));
    CreateResult r = cluster.create_pod(std::move(p));
    EXPECT_TRUE(r.ok()) << r.error;
    cluster.bind(r.id, node, {});
    return r.id;
  }

  EventLoop loop;
  Cluster cluster;
  Kubelet kubelet;
  NodeId node = kNoNode;
};

}  // namespace gpusim::ctrl::testing_kubelet
