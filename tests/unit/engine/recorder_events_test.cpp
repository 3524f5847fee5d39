// events.jsonl lines are written without building a json object (the recorder's hot path in a
// trace replay). Each line must be exactly what nlohmann's dump() of the same fields gives:
// escapes, control characters, DEL, non-ASCII text, optional node and warning fields.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/quantity.hpp"
#include "engine/recorder.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {
namespace {

std::string reference_line(const ClusterEvent& e) {
  nlohmann::ordered_json j;
  j["t_ms"] = e.t_ms;
  j["type"] = e.type;
  j["kind"] = e.kind;
  j[e.kind == "Pod" ? "pod" : "object"] = e.object;
  if (!e.node.empty()) j["node"] = e.node;
  j["message"] = e.message;
  if (e.warning) j["warning"] = true;
  return j.dump() + "\n";
}

TEST(RecorderEvents, LinesMatchNlohmannDump) {
  EventLoop loop;
  Cluster cluster(loop, 1);
  Recorder recorder(cluster, loop, 60'000);
  std::string control;
  for (int c = 1; c < 0x20; ++c)
    control += static_cast<char>(c);
  const std::vector<ClusterEvent> events{
      {0, "Scheduled", "Pod", "openb/p-1", "node-1", "Successfully assigned openb/p-1 to node-1",
       false},
      {1234567890123, "FailedScheduling", "Pod", "ns/a", "",
       "0/3 nodes are available: 3 Insufficient cpu.", true},
      {5, "ScalingReplicaSet", "Deployment", "ns/web", "", "quote \" backslash \\ slash / tab \t",
       false},
      {6, "Odd", "Node", "n", "n", control + "\x7f end", true},
      {7, "Unicode", "Pod", "ns/caf\xc3\xa9",
       "n\xc3\xb6"
       "de",
       "r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93", false},
      {-1, "", "", "", "", "", false},
  };
  std::string expected;
  for (const auto& e : events) {
    recorder.on_event(e);
    expected += reference_line(e);
  }
  EXPECT_EQ(recorder.events_jsonl(), expected);
  EXPECT_EQ(recorder.event_count(), events.size());
}

// The writer looks at eight bytes at a time: every special byte at every offset of a block, in
// texts of every length around the block size, still matches nlohmann.
TEST(RecorderEvents, RandomTextMatchesNlohmannDump) {
  EventLoop loop;
  Cluster cluster(loop, 1);
  Recorder recorder(cluster, loop, 60'000);
  // Whole UTF-8 sequences only: a stray continuation byte is invalid JSON text for nlohmann.
  const std::vector<std::string> specials{"\"", "\\", "\x01",     "\x1f", "\x7f",
                                          "\n", "\t", "\xc3\xa9", " ",    "/"};
  std::uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  std::string expected;
  std::size_t count = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const std::size_t length = next() % 41;
    // Mostly plain text, so that whole blocks are skipped between the special bytes.
    for (std::size_t i = 0; i < length; ++i) {
      if (next() % 4 == 0) {
        text += specials[next() % specials.size()];
      } else {
        text += static_cast<char>('a' + next() % 26);
      }
    }
    const ClusterEvent e{round, "T", "Pod", "ns/p", "", text, false};
    recorder.on_event(e);
    expected += reference_line(e);
    ++count;
  }
  EXPECT_EQ(recorder.events_jsonl(), expected);
  EXPECT_EQ(recorder.event_count(), count);
}

// A pool that shrinks: 16 GPUs for the first hour, 8 for the second, 8 GPUs allocated
// throughout. The mean allocation is 8 GPUs of a time-weighted 12 (66.7 %); over the final
// capacity it would read 100 %, and more had the pool shrunk further.
TEST(RecorderMeans, CapacityMeanIsTimeWeightedAsPoolsShrink) {
  EventLoop loop;
  Cluster cluster(loop, 1);
  Recorder recorder(cluster, loop, 60'000);
  cluster.add_observer(&recorder);
  auto add_node = [&](const std::string& name) {
    Node n;
    n.meta.name = name;
    n.capacity["cpu"] = *Quantity::parse("64");
    n.capacity["memory"] = *Quantity::parse("512Gi");
    n.capacity["pods"] = *Quantity::parse("110");
    n.capacity["nvidia.com/gpu"] = Quantity::from_int(8);
    return cluster.add_node(std::move(n));
  };
  const NodeId a = add_node("a");
  const NodeId b = add_node("b");
  PodTemplate t;
  Container c;
  c.name = "train";
  c.resources.requests["nvidia.com/gpu"] = Quantity::from_int(8);
  c.resources.limits["nvidia.com/gpu"] = Quantity::from_int(8);
  t.spec.containers.push_back(c);
  Pod p;
  p.name = "p";
  p.namespace_ = "default";
  p.tmpl = make_template(std::move(t));
  const CreateResult r = cluster.create_pod(std::move(p));
  ASSERT_TRUE(r.ok()) << r.error;
  cluster.bind(r.id, a, {0, 1, 2, 3, 4, 5, 6, 7});
  loop.at(3'600'000, EventPriority::kController, [&] { cluster.remove_node(b); });
  loop.at(7'200'000, EventPriority::kController, [] {});
  loop.run();
  recorder.finish();
  EXPECT_EQ(recorder.capacity().gpu_milli, 8'000);
  EXPECT_EQ(recorder.allocated_mean().gpu_milli, 8'000);
  EXPECT_EQ(recorder.capacity_mean().gpu_milli, 12'000);
  EXPECT_EQ(recorder.capacity_mean().cpu_milli, 96'000);
}

}  // namespace
}  // namespace gpusim::engine
