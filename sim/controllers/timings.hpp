#pragma once
// How long pod lifecycle steps take: annotations on the pod template win over the Simulation
// document's defaults (docs/scenario.md lists the annotations).
#include <optional>
#include <string>

#include "core/event_loop.hpp"
#include "model/pod.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kAnnotationDuration = "gpusim.io/duration";
inline constexpr const char* kAnnotationStartup = "gpusim.io/startup";

struct TimingDefaults {
  TimeMs pod_startup_ms = 0;
  TimeMs image_pull_ms = 0;
  TimeMs init_container_ms = 0;
  TimeMs job_pod_duration_ms = 10 * 60 * 1000;
  std::optional<TimeMs> pod_duration_ms;
};

struct PodTimings {
  TimeMs startup_ms = 0;
  std::optional<TimeMs> run_ms;  // how long containers run before exiting 0; nullopt: forever
};

// Reads the gpusim.io timing annotations of a template; job_owned picks the Job default.
PodTimings pod_timings(const PodTemplate& t, bool job_owned, const TimingDefaults& d);

}  // namespace gpusim::ctrl
