#pragma once
// kubescheduler.config.k8s.io KubeSchedulerConfiguration into sched::SchedulerConfig, and YAML to
// JSON for plugin arguments.
#include <nlohmann/json.hpp>
#include <optional>

#include "scenario/value.hpp"
#include "scheduler/config.hpp"

namespace gpusim::scenario {

sched::SchedulerConfig parse_scheduler_config(const Value& object);

// A YAML value as JSON (scalars typed as YAML 1.1 resolves them). nullopt, with a diagnostic,
// for values that are not JSON-representable or unreasonably large (alias bombs).
std::optional<nlohmann::json> to_json(const Value& v);

}  // namespace gpusim::scenario
