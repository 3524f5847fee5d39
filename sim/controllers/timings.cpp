#include "controllers/timings.hpp"

#include "core/duration.hpp"

namespace gpusim::ctrl {

PodTimings pod_timings(const PodTemplate& t, bool job_owned, const TimingDefaults& d) {
  PodTimings out;
  out.startup_ms = d.pod_startup_ms;
  if (auto it = t.annotations.find(kAnnotationStartup); it != t.annotations.end()) {
    if (auto v = parse_duration_ms(it->second)) out.startup_ms = *v;
  }
  if (auto it = t.annotations.find(kAnnotationDuration); it != t.annotations.end()) {
    // The loader rejects bad text; a template built at run time falls back to the default.
    if (auto v = DurationDistribution::parse(it->second)) {
      out.run = *v;
      return out;
    }
  }
  if (job_owned) {
    out.run = d.job_pod_duration;
  } else {
    out.run = d.pod_duration;
  }
  return out;
}

}  // namespace gpusim::ctrl
