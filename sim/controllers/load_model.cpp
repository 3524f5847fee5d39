#include "controllers/load_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>

#include "core/rounding.hpp"

namespace gpusim::ctrl {

namespace {

// cos(2 pi x / period), remembered: every workload's scrape lands on the same grid, so a daily
// curve asks for the same few thousand offsets every day (one cos per workload per scrape was
// about 3 % of a long serving run). Direct-mapped by whole seconds of the offset; an entry holds
// the exact value std::cos returned for that argument, so results are unchanged.
double daily_cos(TimeMs x, TimeMs period) {
  struct Entry {
    TimeMs x;
    TimeMs period;  // 0: empty (periods are positive)
    double value;
  };
  constexpr std::size_t kEntries = 8192;
  thread_local Entry cache[kEntries];  // zero-initialised: no per-thread constructor
  Entry& e = cache[static_cast<std::size_t>(x / 1000) % kEntries];
  if (e.period == period && e.x == x) return e.value;
  const double phase = static_cast<double>(x) / static_cast<double>(period);
  e = Entry{x, period, std::cos(2 * std::numbers::pi * phase)};
  return e.value;
}

}  // namespace

double rate_at(const RateSpec& spec, TimeMs t) {
  double r = 0;
  switch (spec.shape) {
    case RateShape::kConstant:
      r = spec.base;
      break;
    case RateShape::kDaily: {
      const TimeMs period = spec.period_ms > 0 ? spec.period_ms : 24LL * 3600 * 1000;
      r = spec.base + spec.amplitude * daily_cos(remainder_int64(t - spec.peak_ms, period), period);
      break;
    }
    case RateShape::kSteps: {
      if (spec.points.empty()) break;
      auto it = std::upper_bound(spec.points.begin(), spec.points.end(), t,
                                 [](TimeMs v, const RatePoint& p) { return v < p.t_ms; });
      r = it == spec.points.begin() ? 0 : std::prev(it)->rate;
      break;
    }
    case RateShape::kSeries: {
      if (spec.points.empty()) break;
      auto it = std::upper_bound(spec.points.begin(), spec.points.end(), t,
                                 [](TimeMs v, const RatePoint& p) { return v < p.t_ms; });
      if (it == spec.points.begin()) {
        r = spec.points.front().rate;
      } else if (it == spec.points.end()) {
        r = spec.points.back().rate;
      } else {
        const RatePoint& a = *std::prev(it);
        const RatePoint& b = *it;
        const double f = static_cast<double>(t - a.t_ms) / static_cast<double>(b.t_ms - a.t_ms);
        r = a.rate + (b.rate - a.rate) * f;
      }
      break;
    }
  }
  return std::max(0.0, r * spec.scale);
}

double noisy_rate_at(const RateSpec& spec, TimeMs t, Rng& rng) {
  const double r = rate_at(spec, t);
  if (spec.noise <= 0) return r;
  return r * std::max(0.0, 1.0 + spec.noise * rng.normal(0.0, 1.0));
}

double mmc_response_time_s(double lambda, double mu, std::int64_t c) {
  if (mu <= 0 || c <= 0) return lambda > 0 ? kInfiniteLatency : 0.0;
  if (lambda <= 0) return 1.0 / mu;
  const double a = lambda / mu;  // offered load in Erlangs
  const double rho = a / static_cast<double>(c);
  if (rho >= 1.0) return kInfiniteLatency;
  // Erlang B by the stable recursion, then Erlang C from it.
  double b = 1.0;
  for (std::int64_t k = 1; k <= c; ++k)
    b = a * b / (static_cast<double>(k) + a * b);
  const double wait_probability = b / (1.0 - rho * (1.0 - b));
  const double wait_s = wait_probability / (static_cast<double>(c) * mu - lambda);
  return wait_s + 1.0 / mu;
}

void mmc_response_times_s(std::span<const MmcQuery> queries, std::span<double> out) {
  constexpr std::size_t kLanes = 4;
  std::size_t lane_query[kLanes];
  std::size_t lanes = 0;
  auto run_lanes = [&] {
    double a[kLanes];
    double b[kLanes];
    std::int64_t max_c = 0;
    for (std::size_t l = 0; l < lanes; ++l) {
      const MmcQuery& q = queries[lane_query[l]];
      a[l] = q.lambda / q.mu;
      b[l] = 1.0;
      max_c = std::max(max_c, q.c);
    }
    for (std::int64_t k = 1; k <= max_c; ++k) {
      for (std::size_t l = 0; l < lanes; ++l) {
        if (k <= queries[lane_query[l]].c)
          b[l] = a[l] * b[l] / (static_cast<double>(k) + a[l] * b[l]);
      }
    }
    for (std::size_t l = 0; l < lanes; ++l) {
      const MmcQuery& q = queries[lane_query[l]];
      const double rho = a[l] / static_cast<double>(q.c);
      const double wait_probability = b[l] / (1.0 - rho * (1.0 - b[l]));
      const double wait_s = wait_probability / (static_cast<double>(q.c) * q.mu - q.lambda);
      out[lane_query[l]] = wait_s + 1.0 / q.mu;
    }
    lanes = 0;
  };
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const MmcQuery& q = queries[i];
    // The cases without a recursion (and saturation) answer as the single-query function does.
    if (q.mu <= 0 || q.c <= 0 || q.lambda <= 0 ||
        q.lambda / q.mu / static_cast<double>(q.c) >= 1.0) {
      out[i] = mmc_response_time_s(q.lambda, q.mu, q.c);
      continue;
    }
    lane_query[lanes++] = i;
    if (lanes == kLanes) run_lanes();
  }
  if (lanes > 0) run_lanes();
}

}  // namespace gpusim::ctrl
