#pragma once
// The load model of the Simulation document's `load` section (docs/scenario.md "Load"): per
// workload, a request rate over time, how much one ready pod serves, and how CPU and memory
// usage follow the requests a pod serves. Queue-driven workloads put the requests into a queue
// that the ready pods drain. Pure data and formulas; the MetricsPipeline evaluates them.
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/diagnostics.hpp"
#include "core/event_loop.hpp"
#include "core/rng.hpp"

namespace gpusim::ctrl {

enum class RateShape {
  kConstant,  // `base` requests per second
  kSteps,     // piecewise constant: each point holds from its time until the next
  kDaily,     // base + amplitude * cos(2 pi (t - peak) / period)
  kSeries,    // a time series (CSV), linear between points, held after the last
};

struct RatePoint {
  TimeMs t_ms = 0;
  double rate = 0;  // requests per second
};

struct RateSpec {
  RateShape shape = RateShape::kConstant;
  double base = 0;                      // constant rate; daily mean
  double amplitude = 0;                 // daily: peak minus mean
  TimeMs peak_ms = 14LL * 3600 * 1000;  // daily: time of the peak within the period
  TimeMs period_ms = 24LL * 3600 * 1000;
  double noise = 0;  // relative standard deviation of a multiplicative noise per sample
  std::vector<RatePoint> points;  // steps and series, sorted by time
  double scale = 1.0;             // multiplies every value (series given per pod, ...)
};

// Requests per second at `t` before noise (never negative).
double rate_at(const RateSpec& spec, TimeMs t);
// With the noise drawn from `rng`: rate * max(0, 1 + noise * N(0, 1)).
double noisy_rate_at(const RateSpec& spec, TimeMs t, Rng& rng);

struct ObjectMetricRef {
  std::string kind;  // e.g. Ingress, Service
  std::string name;
  std::string metric;
};

struct WorkloadLoadSpec {
  std::string kind = "Deployment";  // Deployment or ReplicaSet
  std::string namespace_ = "default";
  std::string name;
  RateSpec rate;
  // Requests per second one ready pod can serve; 0 means unlimited (never saturates).
  double service_rate = 0;
  // Per pod, as a function of the requests per second the pod serves.
  std::int64_t cpu_idle_milli = 0;
  double cpu_milli_per_request = 0;  // milli-CPU per (request/s)
  std::int64_t memory_base_bytes = 0;
  double memory_bytes_per_request = 0;
  std::string container;  // the container that carries the usage; empty = the first one
  // Custom metrics the workload exposes to the HPA:
  std::string pods_metric;      // Pods metric: requests/s each pod serves
  std::string external_metric;  // External metric: offered requests/s (queue: the queue depth)
  std::optional<ObjectMetricRef> object_metric;  // Object metric: offered requests/s
  // Queue-driven workers: requests are messages that wait in a FIFO queue; each ready pod takes
  // `service_rate` messages per second.
  bool queue = false;
  std::string queue_depth_metric = "queue_depth";             // External: messages waiting
  std::string queue_age_metric = "queue_oldest_age_seconds";  // External: age of the oldest
  SourceLocation source;

  std::string target_key() const { return namespace_ + "/" + name; }
};

// M/M/c mean response time (seconds): Erlang C waiting time plus the service time, with c
// servers of rate mu and arrival rate lambda. Infinity when lambda >= c * mu (no steady state);
// 1/mu when lambda is 0. Used as the latency estimate per ready pod (docs/scenario.md).
double mmc_response_time_s(double lambda, double mu, std::int64_t c);

struct MmcQuery {
  double lambda = 0;
  double mu = 0;
  std::int64_t c = 0;
};
// mmc_response_time_s of each query, bit for bit (the same operations in the same order). The
// Erlang B recursion is a chain of dependent divisions; running four queries' chains side by
// side lets the divisions overlap, which one query at a time cannot.
void mmc_response_times_s(std::span<const MmcQuery> queries, std::span<double> out);

inline constexpr double kInfiniteLatency = std::numeric_limits<double>::infinity();

}  // namespace gpusim::ctrl
