// Whole-run wall time of the FGD paper's experiment: the openb default trace (8152 pods,
// inflated to 130 % of 6212 GPUs, ~10k pods) packed onto the 1213-node cluster with seed 42,
// for each of the six policies. Each iteration builds and runs a fresh Simulation (nodes, pods,
// kubelet, recorder, arrival.csv bookkeeping) from the loaded scenario; loading the CSVs is
// outside the timing (bench/run also times the whole `gpusim run` command, loading and writing
// included).
#include <benchmark/benchmark.h>

#include <string>

#include "engine/simulation.hpp"
#include "scenario/loader.hpp"
#include "scenario/openb_trace.hpp"

namespace gpusim {
namespace {

const engine::Scenario& openb_default() {
  static const engine::Scenario s = [] {
    engine::Scenario x =
        scenario::load_scenario({std::string(GPUSIM_SOURCE_DIR) + "/scenarios/openb/default.yaml"});
    scenario::attach_trace_data(x);
    return x;
  }();
  return s;
}

void replay(benchmark::State& state, const char* policy) {
  const engine::Scenario& s = openb_default();
  std::int64_t pods = 0;
  for (auto _ : state) {
    engine::RunOptions o;
    o.policy = policy;
    o.seed = 42;
    o.scorer = "cpu";
    engine::Simulation sim(s, o);
    sim.run();
    pods = sim.summary()["trace"]["pods"].get<std::int64_t>();
    benchmark::DoNotOptimize(pods);
  }
  state.counters["pods"] = static_cast<double>(pods);
}

void BM_OpenbDefaultFgd(benchmark::State& s) {
  replay(s, "FGD");
}
void BM_OpenbDefaultBestFit(benchmark::State& s) {
  replay(s, "BestFit");
}
void BM_OpenbDefaultRandom(benchmark::State& s) {
  replay(s, "Random");
}
void BM_OpenbDefaultDotProduct(benchmark::State& s) {
  replay(s, "DotProduct");
}
void BM_OpenbDefaultGpuClustering(benchmark::State& s) {
  replay(s, "GpuClustering");
}
void BM_OpenbDefaultGpuPacking(benchmark::State& s) {
  replay(s, "GpuPacking");
}
BENCHMARK(BM_OpenbDefaultFgd)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_OpenbDefaultBestFit)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_OpenbDefaultRandom)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_OpenbDefaultDotProduct)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_OpenbDefaultGpuClustering)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_OpenbDefaultGpuPacking)->Unit(benchmark::kMillisecond)->MinTime(3);

}  // namespace
}  // namespace gpusim

BENCHMARK_MAIN();
