// GpuNodeView keeps the scorer's node records by replaying the node table's change log. A view
// synced after every change must hold exactly what a fresh view (one full pass) builds, report
// exactly the nodes whose record moved, and notice max-spec changes (a bigger node, a removal).
#include "scheduler/plugins/gpu_node_view.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "unit/policies/gpu_test_cluster.hpp"

namespace gpusim::gputest {
namespace {

bool same_record(const gpu::NodeRec& a, const gpu::NodeRec& b) {
  return a.cpu_alloc_milli == b.cpu_alloc_milli && a.cpu_free_milli == b.cpu_free_milli &&
         a.mem_free_bytes == b.mem_free_bytes && a.pods_free == b.pods_free &&
         a.gpu_count == b.gpu_count &&
         std::memcmp(a.gpu_free_milli, b.gpu_free_milli, sizeof a.gpu_free_milli) == 0 &&
         std::memcmp(a.ext_free, b.ext_free, sizeof a.ext_free) == 0 && a.gpu_full == b.gpu_full &&
         a.gpu_max_free == b.gpu_max_free && a.gpu_free_total == b.gpu_free_total &&
         a.model == b.model && a.flags == b.flags && a.classes == b.classes && a.tags == b.tags;
}

// Syncs `kept` and checks it against a fresh view; returns the nodes it reported as changed.
std::vector<std::int32_t> check(sched::GpuNodeView& kept, const sched::NodeTable& table,
                                std::vector<gpu::NodeRec>& last,
                                sched::GpuNodeView::SyncResult* result = nullptr) {
  std::vector<std::int32_t> changed;
  const auto r = kept.sync(&changed);
  if (result) *result = r;
  sched::GpuNodeView fresh(table);
  fresh.sync();
  EXPECT_EQ(kept.records().size(), fresh.records().size());
  for (std::size_t n = 0; n < fresh.records().size() && n < kept.records().size(); ++n) {
    EXPECT_TRUE(same_record(kept.records()[n], fresh.records()[n])) << "node " << n;
  }
  EXPECT_EQ(kept.max_cpu_milli(), fresh.max_cpu_milli());
  EXPECT_EQ(kept.max_gpu_milli(), fresh.max_gpu_milli());
  // Reported: ascending, and every node whose record differs from the previous sync.
  EXPECT_TRUE(std::is_sorted(changed.begin(), changed.end()));
  for (std::size_t n = 0; n < kept.records().size(); ++n) {
    const bool moved = n >= last.size() || !same_record(last[n], kept.records()[n]);
    const bool reported =
        std::find(changed.begin(), changed.end(), static_cast<std::int32_t>(n)) != changed.end();
    if (moved) {
      EXPECT_TRUE(reported) << "node " << n << " changed but was not reported";
    }
  }
  last = kept.records();
  return changed;
}

TEST(GpuNodeView, IncrementalSyncMatchesAFullRebuild) {
  GpuCluster c("");
  for (int i = 0; i < 6; ++i)
    c.add_node("n" + std::to_string(i), 32000, i % 3 == 0 ? 0 : 8);
  const sched::NodeTable& table = c.scheduler->nodes();
  sched::GpuNodeView view(table);
  std::vector<gpu::NodeRec> last;
  sched::GpuNodeView::SyncResult r;
  check(view, table, last, &r);
  EXPECT_TRUE(r.resized);

  // One bind touches one node.
  const PodId a = c.bind("a", PodShape{4000, 1, 300}, 1, {2});
  auto changed = check(view, table, last);
  EXPECT_EQ(changed, std::vector<std::int32_t>{1});

  // Several changes between syncs, one node twice: reported once each, in node order.
  c.bind("b", PodShape{2000, 2, 1000}, 4, {0, 1});
  c.bind("c", PodShape{1000, 1, 500}, 1, {2});
  c.bind("d", PodShape{8000, 0, 0}, 0, {});
  changed = check(view, table, last);
  EXPECT_EQ(changed, (std::vector<std::int32_t>{0, 1, 4}));

  // Nothing changed: nothing reported.
  EXPECT_TRUE(check(view, table, last).empty());

  // Release and cordon.
  c.cluster.release(a);
  c.cluster.node(5).unschedulable = true;
  c.cluster.node_changed(5);
  changed = check(view, table, last);
  EXPECT_EQ(changed, (std::vector<std::int32_t>{1, 5}));
  EXPECT_EQ(view.record(5).flags & gpu::kNodeSchedulable, 0u);

  // A bigger node moves the max spec (resize path); removing it moves it back (log path).
  c.add_node("big", 96000, 16);
  check(view, table, last, &r);
  EXPECT_TRUE(r.resized);
  EXPECT_EQ(view.max_cpu_milli(), 96000);
  EXPECT_EQ(view.max_gpu_milli(), 16000);
  c.cluster.remove_node(6);
  check(view, table, last, &r);
  EXPECT_FALSE(r.resized);
  EXPECT_TRUE(r.specs_changed);
  EXPECT_EQ(view.max_cpu_milli(), 32000);
  EXPECT_EQ(view.max_gpu_milli(), 8000);
}

TEST(GpuNodeView, FallsBackToAFullPassWhenTheLogWasCompacted) {
  GpuCluster c("");
  c.add_node("n0", 32000, 8);
  c.add_node("n1", 32000, 8);
  const sched::NodeTable& table = c.scheduler->nodes();
  sched::GpuNodeView view(table);
  std::vector<gpu::NodeRec> last;
  check(view, table, last);
  // More changes than the table keeps in its log (it keeps at least 1024 and drops the older
  // entries at twice that) before the next sync: bind and release, leaving a few pods bound.
  for (int i = 0; i < 1600; ++i) {
    const PodId p =
        c.bind("p" + std::to_string(i), PodShape{1, 0, 0}, static_cast<NodeId>(i % 2), {});
    if (i < 1590) c.cluster.release(p);
  }
  ASSERT_GT(table.log_base(), 0u);
  const auto changed = check(view, table, last);
  EXPECT_EQ(changed, (std::vector<std::int32_t>{0, 1}));
}

}  // namespace
}  // namespace gpusim::gputest
