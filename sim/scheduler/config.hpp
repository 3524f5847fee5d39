#pragma once
// KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) as data. The scenario loader fills
// these from YAML; Framework resolves them against upstream's default plugin set.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gpusim::sched {

struct PluginEntry {
  std::string name;
  std::optional<std::int32_t> weight;  // score plugins only
};

struct PluginSetSpec {
  std::vector<PluginEntry> enabled;
  std::vector<std::string> disabled;  // "*" disables every default plugin at this point
};

// Extension point names as in the API: multiPoint, preFilter, filter, postFilter, preScore,
// score, reserve, permit, bind.
struct ProfileSpec {
  std::string scheduler_name = "default-scheduler";
  std::map<std::string, PluginSetSpec> plugins;
  std::map<std::string, nlohmann::json> plugin_config;  // pluginConfig[].args by plugin name
  std::optional<std::int32_t> percentage_of_nodes_to_score;
};

struct SchedulerConfig {
  std::vector<ProfileSpec> profiles{ProfileSpec{}};
  std::int32_t percentage_of_nodes_to_score = 0;  // 0: upstream's adaptive percentage
  std::int64_t pod_initial_backoff_s = 1;
  std::int64_t pod_max_backoff_s = 10;
  std::int64_t pod_max_in_unschedulable_s = 300;  // flush interval of unschedulable pods
  // Not upstream: how ties between equal top scores are broken. "random" (seeded, upstream's
  // reservoir sampling) or "first" (lowest node index, the GPU scorer's fixed rule).
  std::string tie_break = "random";
};

// Upstream's default profile: multiPoint plugins in order, with default score weights.
std::vector<PluginEntry> default_multipoint_plugins();

// `--policy NAME`: every profile scores with that plugin alone at weight 1000 (the FGD paper's
// protocol: default score plugins disabled, default filters kept, all nodes scored). The name
// is matched case-insensitively against registered score plugins; throws std::invalid_argument
// listing the known names otherwise.
SchedulerConfig with_policy(const SchedulerConfig& base, const std::string& policy);

}  // namespace gpusim::sched
