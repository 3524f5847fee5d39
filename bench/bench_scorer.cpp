// The batch placement scorer: pod-node evaluations per second per backend, at 1k / 10k / 100k
// nodes x a batch of 64 pods (a mix of sharing, whole- and multi-GPU and CPU-only requests),
// for the cheapest (BestFit) and the costliest (FGD, 40 typical shapes) policy; FgdTightCpu has
// nodes with little cpu free, so FGD's pods mostly change the node's cpu index. FgdScalar and
// FgdAvx2 are FGD on the CPU backend's scalar and AVX2 loops (what machines without AVX-512, or
// without either, run), FgdTightCpuAvx2 FgdTightCpu's on the AVX2 loop; FgdUntypical's GPU
// pods have shapes outside the typical ones, so none has a per-node cached score. Every row builds
// its scorer anew for each of Google Benchmark's trials, so a trial's first batch fills whatever
// the scorer caches lazily (FGD's scores per cpu index after: FgdTightCpu at 100k nodes, where a
// trial is a batch or two, is mostly that first batch); FgdTightCpuWarm runs one batch before
// the timing: what batches on unchanged nodes sustain after it. One thread: the CPU figure is per
// core. CUDA rows report an error where no device is usable.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "gpusim/gpu/policies.hpp"
#include "gpusim/gpu/scorer.hpp"

namespace gpusim::gpu {
namespace {

std::vector<NodeRec> cluster(int n, bool tight_cpu = false) {
  std::vector<NodeRec> nodes(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    NodeRec& r = nodes[static_cast<std::size_t>(i)];
    const std::uint64_t h = hash3(1, 2, static_cast<std::uint64_t>(i));
    const int sizes[] = {1, 2, 4, 8};
    r.gpu_count = sizes[h % 4];
    r.cpu_alloc_milli = 96000;
    r.cpu_free_milli = 96000 - static_cast<std::int64_t>((h >> 8) % 64) * 1000;
    // Tight: 8..21 cores free, so most pods leave less cpu than some typical shapes need (the
    // node's cpu index changes) and FGD takes its general loop instead of the device shortcut.
    if (tight_cpu) r.cpu_free_milli = 8000 + static_cast<std::int64_t>((h >> 8) % 14) * 1000;
    r.mem_free_bytes = std::int64_t{512} << 30;
    r.pods_free = 1000;
    for (int g = 0; g < r.gpu_count; ++g) {
      const std::int32_t used[] = {0, 0, 230, 470, 810, 1000};
      r.gpu_free_milli[g] = 1000 - used[hash3(3, 4, static_cast<std::uint64_t>(i * 16 + g)) % 6];
    }
    r.model = 1 + static_cast<std::uint32_t>((h >> 20) % 7);
    r.flags = kNodeSchedulable | kNodeLive;
    finalize_node(r);
  }
  return nodes;
}

std::vector<PodReq> batch(int n, bool untypical = false) {
  std::vector<PodReq> pods(static_cast<std::size_t>(n));
  const std::int32_t counts[] = {1, 1, 1, 0, 1, 2, 8, 1};
  std::int32_t millis[] = {470, 810, 1000, 0, 320, 1000, 1000, 650};
  if (untypical) {  // the same requests a little off every typical shape (none has 3 devices)
    const std::int32_t off[] = {460, 800, 990, 0, 310, 1000, 1000, 640};
    std::copy(std::begin(off), std::end(off), std::begin(millis));
  }
  for (int i = 0; i < n; ++i) {
    PodReq& p = pods[static_cast<std::size_t>(i)];
    p.cpu_milli = 2000 + 1000 * (i % 13);
    p.mem_bytes = std::int64_t{8} << 30;
    p.gpu_count = counts[i % 8];
    p.gpu_milli = millis[i % 8];
    if (untypical && i % 8 == 5) p.gpu_count = 3;
  }
  return pods;
}

std::vector<TypicalShape> typical() {
  std::vector<TypicalShape> t;
  for (int i = 0; i < 40; ++i) {
    const std::int32_t millis[] = {470, 810, 1000, 0, 320, 1000, 230, 650};
    const std::int32_t counts[] = {1, 1, 1, 0, 1, 2, 1, 1};
    t.push_back(TypicalShape{2000 + 1500 * (i % 9), counts[i % 8], millis[i % 8], 0, 100 - i});
  }
  return t;
}

struct Variant {
  bool tight_cpu = false;
  bool warm = false;  // one untimed batch first
  bool untypical = false;
  CpuIsa isa = CpuIsa::kBest;
};

void run(benchmark::State& state, Backend backend, Policy policy, Variant v = {}) {
  std::string note;
  auto scorer = backend == Backend::kCpu ? make_cpu_scorer(v.isa) : make_scorer(backend, &note);
  if (scorer->backend() != backend) {
    state.SkipWithError(("no CUDA device: " + note).c_str());
    return;
  }
  const auto nodes = cluster(static_cast<int>(state.range(0)), v.tight_cpu);
  const auto pods = batch(static_cast<int>(state.range(1)), v.untypical);
  ScoreParams sp;
  sp.policy = policy;
  sp.seed = 42;
  sp.max_cpu_milli = 96000;
  sp.max_gpu_milli = 8000;
  scorer->set_params(sp, typical());
  scorer->set_nodes(nodes);
  std::vector<std::uint64_t> salts(pods.size(), 1);
  std::vector<Placement> best(pods.size());
  if (v.warm) scorer->score_batch(pods, salts, {}, best);
  for (auto _ : state) {
    scorer->score_batch(pods, salts, {}, best);
    benchmark::DoNotOptimize(best.data());
  }
  const double evals = static_cast<double>(nodes.size() * pods.size());
  state.counters["evals/s"] =
      benchmark::Counter(evals, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ScorerCpuBestFit(benchmark::State& s) {
  run(s, Backend::kCpu, Policy::kBestFit);
}
void BM_ScorerCpuFgd(benchmark::State& s) {
  run(s, Backend::kCpu, Policy::kFgd);
}
void BM_ScorerCpuFgdTightCpu(benchmark::State& s) {
  run(s, Backend::kCpu, Policy::kFgd, Variant{.tight_cpu = true});
}
void BM_ScorerCpuFgdTightCpuWarm(benchmark::State& s) {
  run(s, Backend::kCpu, Policy::kFgd, Variant{.tight_cpu = true, .warm = true});
}
void BM_ScorerCpuFgdScalar(benchmark::State& s) {
  run(s, Backend::kCpu, Policy::kFgd, Variant{.isa = CpuIsa::kScalar});
}
void BM_ScorerCpuFgdAvx2(benchmark::State& s) {
  if (!cpu_isa_usable(CpuIsa::kAvx2)) {
    s.SkipWithError("no AVX2 on this machine");
    return;
  }
  run(s, Backend::kCpu, Policy::kFgd, Variant{.isa = CpuIsa::kAvx2});
}
void BM_ScorerCpuFgdTightCpuAvx2(benchmark::State& s) {
  if (!cpu_isa_usable(CpuIsa::kAvx2)) {
    s.SkipWithError("no AVX2 on this machine");
    return;
  }
  run(s, Backend::kCpu, Policy::kFgd, Variant{.tight_cpu = true, .isa = CpuIsa::kAvx2});
}
void BM_ScorerCpuFgdUntypical(benchmark::State& s) {
  run(s, Backend::kCpu, Policy::kFgd, Variant{.untypical = true});
}
void BM_ScorerCudaBestFit(benchmark::State& s) {
  run(s, Backend::kCuda, Policy::kBestFit);
}
void BM_ScorerCudaFgd(benchmark::State& s) {
  run(s, Backend::kCuda, Policy::kFgd);
}

#define SIZES Args({1000, 64})->Args({10000, 64})->Args({100000, 64})->Unit(benchmark::kMillisecond)
BENCHMARK(BM_ScorerCpuBestFit)->SIZES;
BENCHMARK(BM_ScorerCpuFgd)->SIZES;
BENCHMARK(BM_ScorerCpuFgdTightCpu)->SIZES;
BENCHMARK(BM_ScorerCpuFgdTightCpuWarm)->SIZES;
BENCHMARK(BM_ScorerCpuFgdScalar)->SIZES;
BENCHMARK(BM_ScorerCpuFgdAvx2)->SIZES;
BENCHMARK(BM_ScorerCpuFgdTightCpuAvx2)->SIZES;
BENCHMARK(BM_ScorerCpuFgdUntypical)->SIZES;
BENCHMARK(BM_ScorerCudaBestFit)->SIZES->Args({100000, 1024});
BENCHMARK(BM_ScorerCudaFgd)->SIZES->Args({100000, 1024});

}  // namespace
}  // namespace gpusim::gpu

BENCHMARK_MAIN();
