#pragma once
// How long pod lifecycle steps take and how containers fail: annotations on the pod template win
// over the Simulation document's defaults (docs/scenario.md lists the annotations).
//
// Per-container annotations take either one value for every (app) container or a list
// "name=value,name=value" naming app or init containers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/distribution.hpp"
#include "core/event_loop.hpp"
#include "model/pod.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kAnnotationDuration = "gpusim.io/duration";
inline constexpr const char* kAnnotationStartup = "gpusim.io/startup";
inline constexpr const char* kAnnotationImagePull = "gpusim.io/image-pull";  // duration
inline constexpr const char* kAnnotationImageSize = "gpusim.io/image-size";  // quantity
inline constexpr const char* kAnnotationInitDuration = "gpusim.io/init-duration";
inline constexpr const char* kAnnotationWarmup = "gpusim.io/warmup";
inline constexpr const char* kAnnotationShutdown = "gpusim.io/shutdown";
inline constexpr const char* kAnnotationFailureProbability = "gpusim.io/failure-probability";
inline constexpr const char* kAnnotationHangProbability = "gpusim.io/hang-probability";
inline constexpr const char* kAnnotationFailureAfter = "gpusim.io/failure-after";

struct TimingDefaults {
  TimeMs pod_startup_ms = 0;
  TimeMs image_pull_ms = 0;
  std::int64_t image_pull_bytes_per_second = 0;  // with gpusim.io/image-size; 0 = not used
  TimeMs init_container_ms = 0;
  DurationDistribution job_pod_duration = DurationDistribution::fixed(10 * 60 * 1000);
  std::optional<DurationDistribution> pod_duration;
  std::optional<TimeMs> shutdown_ms;         // unset: containers exit when the grace period ends
  TimeMs failure_after_ms = 60 * 60 * 1000;  // mean time to a crash of a long-running container
  // Run durations are drawn from Rng::stream(seed, "pod-durations"), crashes and hangs from
  // Rng::stream(seed, "kubelet").
  std::uint64_t seed = 0;
};

struct ContainerTimings {
  TimeMs pull_ms = 0;              // first pull of the image on a node
  TimeMs run_ms = 0;               // init containers: how long they run
  double failure_probability = 0;  // per run: the container exits non-zero
  double hang_probability = 0;     // per run: the process stops answering (probes fail)
  std::int64_t image_bytes = 0;    // gpusim.io/image-size (0: unknown); the node reports it
};

struct PodTimings {
  TimeMs startup_ms = 0;  // sandbox and container creation, after pulls and init
  // How long app containers run before exiting 0 (drawn per start); nullopt: until deleted.
  std::optional<DurationDistribution> run;
  TimeMs warmup_ms = 0;                // after start, until the application answers probes
  std::optional<TimeMs> shutdown_ms;   // after SIGTERM, until the containers exit
  TimeMs failure_after_ms = 0;         // mean time to a crash/hang of a container that runs forever
  std::vector<ContainerTimings> init;  // per init container, in order
  std::vector<ContainerTimings> app;   // per app container, in order
  // One per annotation that did not parse ("gpusim.io/warmup: not a duration: ..."), in the
  // order the kubelet reads them; the annotation's value is then ignored.
  std::vector<std::string> errors;
};

// Reads the gpusim.io timing annotations of a template; job_owned picks the Job default.
PodTimings pod_timings(const PodTemplate& t, bool job_owned, const TimingDefaults& d);

}  // namespace gpusim::ctrl
