#pragma once
// What a Sweep axis changes in a loaded scenario. An axis name says where (policy, seed,
// nodepool/<pool>.count, quota/<ns>/<name>.hard.<resource>, ...); each point applies its values
// to its own copy of the base Scenario before it runs.
#include <optional>
#include <string>

#include "engine/scenario.hpp"

namespace gpusim::scenario {

enum class AxisKind {
  kPolicy,          // policy: spec.policy (a GPU policy name)
  kSeed,            // seed: spec.seed
  kScenario,        // scenario: the base scenario itself (chosen by the runner)
  kPoolCount,       // nodepool/<pool>.count
  kPoolGpuModel,    // nodepool/<pool>.gpuModel
  kLoadMultiplier,  // load.multiplier: load rates, arrival rates and trace inflation
  kQuotaHard,       // quota/<namespace>/<name>.hard.<resource>
  kHpaTarget,       // hpa/<namespace>/<name>.targetUtilization
  kHpaMinReplicas,  // hpa/<namespace>/<name>.minReplicas
  kHpaMaxReplicas,  // hpa/<namespace>/<name>.maxReplicas
};

struct AxisTarget {
  AxisKind kind = AxisKind::kPolicy;
  std::string pool;      // node pool name
  std::string ns;        // quota / HPA namespace
  std::string object;    // quota / HPA name
  std::string resource;  // quota resource (requests.nvidia.com/gpu, cpu, ...)
};

// Classifies an axis name; nullopt (with `why` set) when it is not one gpusim knows.
std::optional<AxisTarget> parse_axis_name(const std::string& name, std::string* why);
// Integer axes accept `range:`.
bool axis_is_integer(const AxisTarget& t);
// Both axes set fields of one HorizontalPodAutoscaler: their values can clash only together
// (minReplicas above maxReplicas), so they are checked in combination.
bool same_hpa(const AxisTarget& a, const AxisTarget& b);
// Checks a value's syntax for the axis and returns its canonical text; nullopt with `why` set
// when malformed.
std::optional<std::string> canonical_axis_value(const AxisTarget& t, const std::string& value,
                                                std::string* why);
// Applies one canonical value to the scenario. Returns an error message when the scenario has
// nothing the axis names (no such pool, quota or HPA); empty on success.
std::string apply_override(engine::Scenario& scenario, const AxisTarget& t,
                           const std::string& value);
// What one value alone cannot say: whether the object the axis overrides still holds together
// once every value of a point is applied (an HPA's minReplicas at most its maxReplicas, which
// two axes may set). Returns an error message; empty when it holds.
std::string check_overridden(const engine::Scenario& scenario, const AxisTarget& t);

}  // namespace gpusim::scenario
