// Memory at scale: 100,000 nodes and 1,000,000 bound pods held by a Cluster with the scheduler
// (its NodeTable and queue observe every change), reported as the process's peak resident set
// (getrusage ru_maxrss) and its growth over the empty process. Pods come from 100 Deployments'
// worth of shared templates, as in a real run, and are bound round-robin (10 per node) with
// Cluster::bind, so the figure is the state, not the scheduling algorithm (bench_scheduler
// measures that).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "model/cluster.hpp"
#include "scheduler/scheduler.hpp"

namespace gpusim {
namespace {

double max_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) * 1024.0;  // Linux reports KiB
}

Node make_node(int i) {
  Node n;
  n.meta.name = "node-" + std::to_string(i);
  n.meta.labels["kubernetes.io/hostname"] = n.meta.name;
  n.meta.labels["topology.kubernetes.io/zone"] = "zone-" + std::to_string(i % 3);
  n.capacity["cpu"] = *Quantity::parse("64");
  n.capacity["memory"] = *Quantity::parse("256Gi");
  n.capacity["pods"] = *Quantity::parse("110");
  if (i % 4 == 0) {
    n.capacity["nvidia.com/gpu"] = *Quantity::parse("8");
    n.gpu_model = "A100";
    n.meta.labels["nvidia.com/gpu.product"] = "A100";
  }
  return n;
}

std::shared_ptr<const PodTemplate> pod_template(int i) {
  PodTemplate t;
  t.labels["app"] = "app-" + std::to_string(i);
  Container c;
  c.name = "main";
  c.image = "registry.example/app-" + std::to_string(i) + ":1.0";
  c.resources.requests["cpu"] = *Quantity::parse("250m");
  c.resources.requests["memory"] = *Quantity::parse("512Mi");
  t.spec.containers.push_back(c);
  t.finalize();
  return make_template(std::move(t));
}

void BM_Memory100kNodes1MPods(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int pods = static_cast<int>(state.range(1));
  const double rss_before = max_rss_bytes();
  std::size_t bound = 0;
  for (auto _ : state) {
    EventLoop loop;
    Cluster cluster(loop, 1);
    sched::Scheduler scheduler(cluster, loop, sched::SchedulerConfig{}, 1);
    for (int i = 0; i < nodes; ++i)
      cluster.add_node(make_node(i));
    std::vector<std::shared_ptr<const PodTemplate>> templates;
    for (int i = 0; i < 100; ++i)
      templates.push_back(pod_template(i));
    for (int i = 0; i < pods; ++i) {
      Pod p;
      p.name = "app-" + std::to_string(i % 100) + "-" + std::to_string(i);
      p.namespace_ = "default";
      p.tmpl = templates[static_cast<std::size_t>(i % 100)];
      const CreateResult r = cluster.create_pod(std::move(p));
      if (!r.ok()) {
        state.SkipWithError(("create_pod failed: " + r.error).c_str());
        return;
      }
      cluster.bind(r.id, static_cast<NodeId>(i % nodes), {});
    }
    bound = cluster.pod_count();
    state.counters["max_rss_MiB"] = max_rss_bytes() / (1024.0 * 1024.0);
    state.counters["rss_growth_MiB"] = (max_rss_bytes() - rss_before) / (1024.0 * 1024.0);
  }
  state.counters["pods"] = static_cast<double>(bound);
}

BENCHMARK(BM_Memory100kNodes1MPods)
    ->Args({100000, 1000000})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace gpusim

BENCHMARK_MAIN();
