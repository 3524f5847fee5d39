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

// Preemption: every node is full of low-priority pods and each high-priority pod must evict
// one. Every node is a candidate, so each attempt dry-runs the whole cluster (victims removed,
// Filter, one reprieve and Filter per victim), the PostFilter cost the scheduling path above
// never pays. Victims go 1 ms after they are chosen; preemptors bind on their retry.
void BM_PreemptDefaultPlugins(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int preemptors = static_cast<int>(state.range(1));
  constexpr int kLowPerNode = 8;  // 8 cpu each fill a 64-cpu node
  auto make = [](const char* cpu) {
    PodTemplate t;
    Container c;
    c.name = "main";
    c.image = "busybox";
    c.resources.requests["cpu"] = *Quantity::parse(cpu);
    t.spec.containers.push_back(c);
    return make_template(std::move(t));
  };
  const auto low = make("8");
  const auto high = make("8");
  for (auto _ : state) {
    state.PauseTiming();
    EventLoop loop;
    Cluster cluster(loop, 1);
    for (int i = 0; i < nodes; ++i)
      cluster.add_node(make_node(i));
    sched::Scheduler scheduler(cluster, loop, sched::SchedulerConfig{}, 1);
    scheduler.set_evictor([&](PodId victim, PodId) {
      const PodRef ref = cluster.ref(victim);
      loop.after(1, EventPriority::kApi, [&cluster, ref] {
        if (cluster.pod_if(ref)) cluster.delete_pod(ref.id);
      });
    });
    auto create = [&](const std::string& name, const std::shared_ptr<const PodTemplate>& tmpl,
                      std::int32_t priority) {
      Pod p;
      p.name = name;
      p.namespace_ = "default";
      p.tmpl = tmpl;
      p.status.priority = priority;
      cluster.create_pod(std::move(p));
    };
    // Untainted nodes only take the low pods; tainted ones (every tenth) stay empty of them and
    // reject the preemptors as unresolvable.
    const int untainted = nodes - (nodes + 9) / 10;
    for (int i = 0; i < untainted * kLowPerNode; ++i)
      create("low-" + std::to_string(i), low, 1);
    loop.run();
    for (int i = 0; i < preemptors; ++i)
      create("high-" + std::to_string(i), high, 100);
    state.ResumeTiming();
    loop.run();
    if (scheduler.stats().preemptions != static_cast<std::uint64_t>(preemptors)) {
      state.SkipWithError("not every preemptor preempted once");
    }
  }
  state.counters["preemptions_per_s"] = benchmark::Counter(
      static_cast<double>(preemptors), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_PreemptDefaultPlugins)->Args({500, 100})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace gpusim

BENCHMARK_MAIN();
