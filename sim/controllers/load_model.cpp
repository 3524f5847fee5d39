#include "controllers/load_model.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gpusim::ctrl {

double rate_at(const RateSpec& spec, TimeMs t) {
  double r = 0;
  switch (spec.shape) {
    case RateShape::kConstant:
      r = spec.base;
      break;
    case RateShape::kDaily: {
      const TimeMs period = spec.period_ms > 0 ? spec.period_ms : 24LL * 3600 * 1000;
      const double phase =
          static_cast<double>((t - spec.peak_ms) % period) / static_cast<double>(period);
      r = spec.base + spec.amplitude * std::cos(2 * std::numbers::pi * phase);
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

}  // namespace gpusim::ctrl
