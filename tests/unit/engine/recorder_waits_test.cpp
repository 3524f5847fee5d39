// Cluster-wide pod waits (summary.json pods.wait_ms): creation to binding, and for a pod never
// bound until its deletion or the run's end; the figures are the integer mean and nearest-rank
// percentiles of engine/wait_stats.hpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/quantity.hpp"
#include "engine/recorder.hpp"
#include "engine/wait_stats.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {
namespace {

PodId create_cpu_pod(Cluster& cluster, const std::string& name) {
  PodTemplate t;
  Container c;
  c.name = "main";
  c.resources.requests["cpu"] = *Quantity::parse("1");
  t.spec.containers.push_back(c);
  Pod p;
  p.name = name;
  p.namespace_ = name.substr(0, 1) == "a" ? "team-a" : "team-b";  // waits span namespaces
  p.tmpl = make_template(std::move(t));
  const CreateResult r = cluster.create_pod(std::move(p));
  EXPECT_TRUE(r.ok()) << r.error;
  return r.id;
}

TEST(RecorderWaits, EveryPodOnceWhateverItsEnd) {
  EventLoop loop;
  Cluster cluster(loop, 1);
  Recorder recorder(cluster, loop, 60'000);
  cluster.add_observer(&recorder);
  Node n;
  n.meta.name = "n";
  n.capacity["cpu"] = *Quantity::parse("8");
  n.capacity["memory"] = *Quantity::parse("32Gi");
  n.capacity["pods"] = *Quantity::parse("110");
  const NodeId node = cluster.add_node(std::move(n));
  PodId a1 = 0, a2 = 0, b1 = 0, b2 = 0;
  loop.at(1'000, EventPriority::kController, [&] {
    a1 = create_cpu_pod(cluster, "a1");
    a2 = create_cpu_pod(cluster, "a2");
    b1 = create_cpu_pod(cluster, "b1");
    b2 = create_cpu_pod(cluster, "b2");
  });
  loop.at(3'000, EventPriority::kController, [&] { cluster.bind(a1, node, {}); });   // waits 2 s
  loop.at(11'000, EventPriority::kController, [&] { cluster.bind(b1, node, {}); });  // 10 s
  loop.at(6'000, EventPriority::kController, [&] { cluster.delete_pod(a2); });       // unbound: 5 s
  // b1 deleted after binding: its wait stays 10 s. b2 never bound: waits until the end, 20 s.
  loop.at(15'000, EventPriority::kController, [&] { cluster.delete_pod(b1); });
  loop.at(21'000, EventPriority::kController, [] {});
  loop.run();
  recorder.finish();
  std::vector<TimeMs> waits = recorder.pod_waits_ms();
  std::sort(waits.begin(), waits.end());
  EXPECT_EQ(waits, (std::vector<TimeMs>{2'000, 5'000, 10'000, 20'000}));
  (void)b2;
  const WaitStats w = wait_stats(waits);
  EXPECT_EQ(w.mean, 9'250);
  EXPECT_EQ(w.p50, 5'000);   // rank ceil(0.5 x 4) = 2
  EXPECT_EQ(w.p95, 20'000);  // rank ceil(0.95 x 4) = 4
  EXPECT_EQ(w.p99, 20'000);
  EXPECT_EQ(w.max, 20'000);
}

TEST(RecorderWaits, NearestRankOnAHundredWaits) {
  std::vector<TimeMs> w;
  for (TimeMs t = 100; t >= 1; --t)
    w.push_back(t * 10);
  const WaitStats s = wait_stats(w);
  EXPECT_EQ(s.p50, 500);
  EXPECT_EQ(s.p95, 950);
  EXPECT_EQ(s.p99, 990);
  EXPECT_EQ(s.max, 1000);
  EXPECT_EQ(s.mean, 505);
  EXPECT_EQ(wait_stats({}).p99, 0);
}

}  // namespace
}  // namespace gpusim::engine
