#pragma once
// How long pod lifecycle steps take: annotations on the pod template win over the Simulation
// document's defaults (docs/scenario.md lists the annotations).
#include <optional>
#include <string>

#include "core/distribution.hpp"
#include "core/event_loop.hpp"
#include "model/pod.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kAnnotationDuration = "gpusim.io/duration";
inline constexpr const char* kAnnotationStartup = "gpusim.io/startup";

struct TimingDefaults {
  TimeMs pod_startup_ms = 0;
  TimeMs image_pull_ms = 0;
  TimeMs init_container_ms = 0;
  DurationDistribution job_pod_duration = DurationDistribution::fixed(10 * 60 * 1000);
  std::optional<DurationDistribution> pod_duration;
  std::uint64_t seed = 0;  // run durations are drawn from Rng::stream(seed, "pod-durations")
};

struct PodTimings {
  TimeMs startup_ms = 0;
  // How long containers run before exiting 0 (drawn per pod); nullopt: until deleted.
  std::optional<DurationDistribution> run;
};

// Reads the gpusim.io timing annotations of a template; job_owned picks the Job default.
PodTimings pod_timings(const PodTemplate& t, bool job_owned, const TimingDefaults& d);

}  // namespace gpusim::ctrl
