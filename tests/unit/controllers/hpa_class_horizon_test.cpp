// The horizons the HPA controller relies on to keep a target's pod classes between syncs
// (HpaController::ClassCounts): an answer of has_sample, ready_at or classify_pod found at some
// times must stay the same at any later times below the horizon it reported. Random pods and
// times; the oracle is the same functions asked again without a horizon.
#include <gtest/gtest.h>

#include "controllers/metrics_pipeline.hpp"
#include "controllers/replica_calculator.hpp"
#include "core/rng.hpp"

namespace gpusim::ctrl {
namespace {

constexpr TimeMs kScrapeMs = 1'000;

// A time in [lo, hi), or lo when the range is empty.
TimeMs between(Rng& rng, TimeMs lo, TimeMs hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<TimeMs>(rng.uniform(static_cast<std::uint64_t>(hi - lo)));
}

// Random times near the pod's own so the thresholds are often close.
TimeMs near(Rng& rng) {
  return static_cast<TimeMs>(rng.uniform(40)) * 500;
}

struct RandomPod {
  PodSample sample;
  PodMetricInputs inputs;
};

RandomPod random_pod(Rng& rng) {
  RandomPod p;
  const PodPhase phases[] = {PodPhase::kPending, PodPhase::kRunning, PodPhase::kFailed};
  p.sample.phase = phases[rng.uniform(3)];
  p.sample.deleting = rng.uniform(8) == 0;
  p.sample.has_ready_condition = rng.uniform(8) != 0;
  p.sample.ready = rng.uniform(2) == 0;
  p.sample.ready_transition_ms = near(rng);
  if (rng.uniform(8) != 0) p.sample.start_ms = near(rng);
  p.inputs.node = rng.uniform(8) == 0 ? kNoNode : 0;
  if (rng.uniform(8) != 0) p.inputs.started_ms = near(rng);
  p.inputs.terminated = rng.uniform(8) == 0;
  p.inputs.ready = p.sample.ready;
  p.inputs.ever_ready = p.inputs.ready || rng.uniform(2) == 0;
  p.inputs.ready_since_ms = p.sample.ready_transition_ms;
  return p;
}

struct Answer {
  bool has = false;
  bool busy = false;
  PodClass cls = PodClass::kIgnored;
  bool operator==(const Answer&) const = default;
};

// What the controller computes for a pod at `now` with the pipeline's last scrape and the
// workload's load time `load_ms`; `h` (optional) collects the horizon.
Answer answer(const MetricsPipeline& m, const RandomPod& p, bool cpu, TimeMs now, TimeMs load_ms,
              const CalculatorSettings& cs, ClassHorizon* h) {
  Answer a;
  a.has = m.has_sample(p.inputs, h ? &h->sample_ms : nullptr);
  a.busy = a.has && MetricsPipeline::ready_at(p.inputs, load_ms, h ? &h->load_ms : nullptr);
  const MetricReading reading =
      a.has ? MetricReading{true, m.last_scrape_ms(), m.window_ms()} : MetricReading{};
  a.cls = classify_pod(p.sample, reading, cpu, now, cs, h);
  return a;
}

TEST(HpaClassHorizon, AnswersHoldBelowTheHorizon) {
  Rng rng(20261129);
  int checked = 0;
  int moved = 0;  // cases where a later time differs from the base time on some clock
  for (int round = 0; round < 60; ++round) {
    // One pipeline per round: its scrapes are the sample clock.
    EventLoop loop;
    Cluster cluster(loop, 1);
    MetricsSettings ms;
    ms.scrape_interval_ms = kScrapeMs;
    ms.window_ms = static_cast<TimeMs>(1 + rng.uniform(3)) * kScrapeMs;
    MetricsPipeline pipeline(cluster, loop, ms, {}, 1);
    const CalculatorSettings cs{static_cast<TimeMs>(rng.uniform(4)) * 2'000,
                                static_cast<TimeMs>(rng.uniform(4)) * 1'000};
    std::vector<RandomPod> pods;
    for (int i = 0; i < 40; ++i)
      pods.push_back(random_pod(rng));
    // The base point: before the first scrape or after some, `now` at or after it.
    const bool scraped = rng.uniform(6) != 0;
    if (scraped) {
      pipeline.start();
      loop.run(static_cast<TimeMs>(rng.uniform(12)) * kScrapeMs);
    }
    const TimeMs base_now = loop.now() + between(rng, 0, kScrapeMs);
    const TimeMs base_load = scraped ? between(rng, 0, base_now + 1) : -1;
    const bool cpu = rng.uniform(4) != 0;
    std::vector<Answer> base(pods.size());
    std::vector<ClassHorizon> horizon(pods.size());
    for (std::size_t i = 0; i < pods.size(); ++i) {
      base[i] = answer(pipeline, pods[i], cpu, base_now, base_load, cs, &horizon[i]);
    }
    // Later points: the pipeline scrapes on; every pod whose horizon is not yet reached on any
    // clock must answer as before.
    if (!scraped) pipeline.start();
    for (int step = 0; step < 10; ++step) {
      loop.run(loop.now() + static_cast<TimeMs>(rng.uniform(3)) * kScrapeMs);
      const TimeMs now = std::max(base_now, loop.now()) + between(rng, 0, kScrapeMs);
      const TimeMs load_ms = between(rng, std::max<TimeMs>(base_load, 0), now + 1);
      for (std::size_t i = 0; i < pods.size(); ++i) {
        const ClassHorizon& h = horizon[i];
        if (now >= h.now_ms || pipeline.last_scrape_ms() >= h.sample_ms || load_ms >= h.load_ms) {
          continue;
        }
        ++checked;
        if (now != base_now || load_ms != base_load) ++moved;
        EXPECT_EQ(answer(pipeline, pods[i], cpu, now, load_ms, cs, nullptr), base[i])
            << "pod " << i << " round " << round << " step " << step;
      }
    }
  }
  // The test must exercise the claim, not skip it everywhere.
  EXPECT_GT(checked, 5'000);
  EXPECT_GT(moved, 4'000);
}

// A horizon is not vacuous: a pod still initialising is answered again once `now` passes the
// end of its CPU initialization period.
TEST(HpaClassHorizon, InitializationEndIsAHorizon) {
  PodSample pod;
  pod.ready = true;
  pod.start_ms = 10'000;
  pod.ready_transition_ms = 20'000;
  const CalculatorSettings cs{300'000, 30'000};
  ClassHorizon h;
  const MetricReading early{true, 25'000, 15'000};
  EXPECT_EQ(classify_pod(pod, early, true, 30'000, cs, &h), PodClass::kUnready);
  EXPECT_EQ(h.now_ms, 310'000);    // start + initialization period
  EXPECT_EQ(h.sample_ms, 35'000);  // ready transition + window
  EXPECT_EQ(classify_pod(pod, MetricReading{true, 35'000, 15'000}, true, 30'000, cs, nullptr),
            PodClass::kReady);
}

}  // namespace
}  // namespace gpusim::ctrl
