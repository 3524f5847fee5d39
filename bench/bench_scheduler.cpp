// Scheduling throughput with the default kube-scheduler plugins: pods scheduled per second on
// clusters of 500 and 5,000 nodes (the scheduler actor on the event loop, including binding).
#include <benchmark/benchmark.h>

#include "core/event_loop.hpp"
#include "model/cluster.hpp"
#include "scheduler/scheduler.hpp"

namespace gpusim {
namespace {

Node make_node(int i) {
  Node n;
  n.meta.name = "node-" + std::to_string(i);
  n.meta.labels["kubernetes.io/hostname"] = n.meta.name;
  n.meta.labels["topology.kubernetes.io/zone"] = "zone-" + std::to_string(i % 3);
  n.capacity["cpu"] = *Quantity::parse("64");
  n.capacity["memory"] = *Quantity::parse("256Gi");
  n.capacity["pods"] = *Quantity::parse("110");
  if (i % 10 == 0) n.taints.push_back(Taint{"dedicated", "infra", TaintEffect::kNoSchedule, {}});
  return n;
}

std::shared_ptr<const PodTemplate> pod_template() {
  PodTemplate t;
  t.labels["app"] = "bench";
  Container c;
  c.name = "main";
  c.image = "busybox";
  c.resources.requests["cpu"] = *Quantity::parse("250m");
  c.resources.requests["memory"] = *Quantity::parse("512Mi");
  t.spec.containers.push_back(c);
  return make_template(std::move(t));
}

// Bare pods (no owner), so PodTopologySpread's system defaults do not apply: the plain default
// filter and score path, as kube-scheduler's scheduler_perf "SchedulingBasic" measures it.
// The third argument is percentageOfNodesToScore: 0 is upstream's adaptive default (at 5,000
// nodes 10 %, so the search stops at 500 feasible nodes; at 500 nodes 46 %), 100 scores all.
void BM_ScheduleDefaultPlugins(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int pods = static_cast<int>(state.range(1));
  sched::SchedulerConfig config;
  config.percentage_of_nodes_to_score = static_cast<std::int32_t>(state.range(2));
  const auto tmpl = pod_template();
  for (auto _ : state) {
    state.PauseTiming();
    EventLoop loop;
    Cluster cluster(loop, 1);
    for (int i = 0; i < nodes; ++i)
      cluster.add_node(make_node(i));
    sched::Scheduler scheduler(cluster, loop, config, 1);
    for (int i = 0; i < pods; ++i) {
      Pod p;
      p.name = "pod-" + std::to_string(i);
      p.namespace_ = "default";
      p.tmpl = tmpl;
      cluster.create_pod(std::move(p));
    }
    state.ResumeTiming();
    loop.run();
    if (scheduler.stats().scheduled != static_cast<std::uint64_t>(pods)) {
      state.SkipWithError("not every pod was scheduled");
    }
  }
  state.SetItemsProcessed(state.iterations() * pods);
  state.counters["pods_per_s"] =
      benchmark::Counter(static_cast<double>(pods), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_ScheduleDefaultPlugins)
    ->Args({500, 5000, 0})
    ->Args({5000, 5000, 0})
    ->Args({5000, 5000, 100})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace gpusim

BENCHMARK_MAIN();
