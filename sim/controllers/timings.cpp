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
    if (auto v = parse_duration_ms(it->second)) out.run_ms = *v;
  } else if (job_owned) {
    out.run_ms = d.job_pod_duration_ms;
  } else {
    out.run_ms = d.pod_duration_ms;
  }
  return out;
}

}  // namespace gpusim::ctrl
