// Per-namespace waits (namespaces.csv): a pod whose owner's creations were refused by quota
// waits from the first refusal, not from its own creation; pods.csv wait_from_ms records the
// same start per pod, so the reports' pod_wait_with_quota agrees with namespaces.csv.
#include "engine/namespace_output.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/quantity.hpp"
#include "core/split.hpp"
#include "engine/recorder.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {
namespace {

class NamespaceWaits : public ::testing::Test {
 protected:
  NamespaceWaits() : cluster(loop, 1), out(cluster, loop), recorder(cluster, loop, 60'000) {
    cluster.add_observer(&recorder);
    cluster.add_observer(&out);
    Node n;
    n.meta.name = "n";
    n.capacity["cpu"] = *Quantity::parse("8");
    n.capacity["memory"] = *Quantity::parse("32Gi");
    n.capacity["pods"] = *Quantity::parse("110");
    node = cluster.add_node(std::move(n));
  }

  PodId create(const std::string& name, const std::string& job) {
    PodTemplate t;
    Container c;
    c.name = "main";
    c.resources.requests["cpu"] = *Quantity::parse("1");
    t.spec.containers.push_back(c);
    Pod p;
    p.name = name;
    p.namespace_ = "team-c";
    p.owner = OwnerReference{"Job", job, 7, true};
    p.tmpl = make_template(std::move(t));
    const CreateResult r = cluster.create_pod(std::move(p));
    EXPECT_TRUE(r.ok()) << r.error;
    return r.id;
  }

  void refuse(const std::string& job) {
    cluster.emit(ClusterEvent{0,
                              "FailedCreate",
                              "Job",
                              "team-c/" + job,
                              {},
                              "Error creating: pods \"x\" is forbidden: exceeded quota: gpu",
                              true});
  }

  EventLoop loop;
  Cluster cluster;
  NamespaceOutput out;
  Recorder recorder;
  NodeId node = 0;
};

TEST_F(NamespaceWaits, AWaitForQuotaCountsFromTheFirstRefusal) {
  loop.at(10'000, EventPriority::kController, [&] { refuse("train"); });
  loop.at(20'000, EventPriority::kController, [&] { refuse("train"); });
  loop.at(20'000, EventPriority::kController, [&] { refuse("other"); });
  PodId first = 0, second = 0;
  loop.at(70'000, EventPriority::kController, [&] {
    first = create("train-a", "train");
    second = create("train-b", "train");  // created in the same sync: not refused before
  });
  loop.at(75'000, EventPriority::kController, [&] {
    cluster.bind(first, node, {});
    cluster.bind(second, node, {});
  });
  loop.run();
  out.finish();
  const auto& f = out.figures().at("team-c");
  EXPECT_EQ(f.pods_rejected, 3);
  EXPECT_EQ(f.quota_rejections, 3);
  std::vector<TimeMs> waits = f.waits_ms;
  std::sort(waits.begin(), waits.end());
  // train-a: refused first at 10 s, bound at 75 s; train-b: created and bound 5 s apart. The
  // other Job's refusal is not theirs.
  EXPECT_EQ(waits, (std::vector<TimeMs>{5'000, 65'000}));

  // pods.csv: each pod's wait_from_ms is where its wait above began.
  recorder.finish();
  const std::vector<std::string> lines = split(recorder.pods_csv(), '\n');
  const std::vector<std::string> header = split(lines.at(0), ',');
  const auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t pod = column("pod"), created = column("created_ms"),
                    from = column("wait_from_ms");
  ASSERT_LT(from, header.size()) << lines.at(0);
  std::map<std::string, std::pair<std::string, std::string>> rows;  // pod -> created, wait_from
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const std::vector<std::string> fields = split(lines[i], ',');
    rows[fields.at(pod)] = {fields.at(created), fields.at(from)};
  }
  EXPECT_EQ(rows.at("team-c/train-a"), std::make_pair(std::string("70000"), std::string("10000")));
  EXPECT_EQ(rows.at("team-c/train-b"), std::make_pair(std::string("70000"), std::string("70000")));
}

}  // namespace
}  // namespace gpusim::engine
