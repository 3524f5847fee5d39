#include "scheduler/plugins/gpu_policy_plugin.hpp"

#include <algorithm>
#include <stdexcept>

#include "scheduler/plugins/plugin_args.hpp"

namespace gpusim::sched {
namespace {

// Reported instead of gpu::kInfeasible should the scorer reject a node the filters passed, so
// that weight x score cannot overflow.
constexpr std::int64_t kRejectedScore = -(std::int64_t{1} << 48);

gpu::Backend backend_arg(const ArgsReader& a) {
  const std::string s = a.string("scorer", "auto");
  auto b = gpu::parse_backend(s);
  if (!b) a.fail("scorer", "must be auto, cpu or cuda, not \"" + s + "\"");
  return *b;
}

}  // namespace

GpuPolicyPlugin::GpuPolicyPlugin(gpu::Policy policy, const nlohmann::json& args,
                                 FrameworkHandle& handle)
    : handle_(handle),
      scoring_(handle.nodes(), policy, handle.seed(),
               backend_arg(ArgsReader(policy_name(policy), args))) {
  const ArgsReader a(policy_name(policy), args);
  a.only({"scorer", "typicalPods", "popularityThreshold", "normalize"});
  normalize_ = a.boolean("normalize", false);
  threshold_pct_ =
      static_cast<int>(a.integer("popularityThreshold", kDefaultPopularityThresholdPct, 1, 100));
  if (a.has("typicalPods")) scoring_.set_typical(read_typical_pods(a, "typicalPods"));
}

std::uint64_t GpuPolicyPlugin::salt_of(const PodInfo& pod) {
  // Random draws anew on every attempt of every pod, reproducibly.
  const std::uint64_t uid = pod.pod ? pod.pod->uid : pod.id;
  const std::uint64_t attempt =
      pod.pod ? static_cast<std::uint64_t>(pod.pod->status.scheduling_attempts) : 0;
  return uid * 0x100000001b3ULL + attempt;
}

void GpuPolicyPlugin::prepare() {
  if (scoring_.policy() == gpu::Policy::kFgd && !scoring_.has_typical()) {
    // No distribution given: the workload in the cluster now (pending pods included).
    std::vector<TypicalPod> pods;
    handle_.cluster().for_each_pod(
        [&](PodId, const Pod& p) { pods.push_back(typical_shape_of(p.resources())); });
    scoring_.set_typical(typical_pods(pods, threshold_pct_));
  }
  scoring_.sync();
}

void GpuPolicyPlugin::score(CycleState&, const PodInfo& pod, std::span<const NodeIndex> nodes,
                            std::span<std::int64_t> out) {
  prepare();
  const gpu::PodReq req = scoring_.request(*pod.res, false);
  const std::int32_t shape = scoring_.shape(req);
  list_.assign(nodes.begin(), nodes.end());
  raw_.resize(nodes.size());
  scoring_.scorer().scores(shape, salt_of(pod), list_, raw_);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    out[i] = raw_[i] == gpu::kInfeasible ? kRejectedScore : raw_[i];
}

void GpuPolicyPlugin::normalize(CycleState&, const PodInfo&, std::span<std::int64_t> scores) {
  if (scores.empty()) return;
  const auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
  const std::int64_t min = *lo;
  const std::int64_t range = *hi - *lo;
  for (auto& s : scores)
    s = range == 0 ? 100 : (s - min) * 100 / range;
}

bool GpuPolicyPlugin::select_gpus(const PodInfo& pod, NodeIndex node,
                                  std::vector<std::int32_t>& devices) {
  prepare();
  const gpu::PodReq req = scoring_.request(*pod.res, false);
  std::int32_t buf[gpu::kMaxGpusPerNode];
  const std::int32_t got = scoring_.select_devices(req, node, salt_of(pod), buf);
  devices.assign(buf, buf + std::max(got, 0));
  return got == pod.res->gpu.count;
}

SchedulerConfig configure_gpu_policies(SchedulerConfig config, const std::string& scorer,
                                       const std::vector<TypicalPod>* typical) {
  for (auto& profile : config.profiles) {
    for (int i = 0; i < gpu::kPolicyCount; ++i) {
      const std::string name = policy_name(static_cast<gpu::Policy>(i));
      nlohmann::json& args = profile.plugin_config[name];
      if (args.is_null()) args = nlohmann::json::object();
      if (!args.is_object()) continue;  // the plugin reports the bad args when created
      if (!scorer.empty() && !args.contains("scorer")) args["scorer"] = scorer;
      if (typical && static_cast<gpu::Policy>(i) == gpu::Policy::kFgd &&
          !args.contains("typicalPods")) {
        args["typicalPods"] = typical_pods_json(*typical);
      }
    }
  }
  return config;
}

std::string profile_gpu_policy(const ProfileSpec& profile) {
  std::string best;
  std::int32_t best_w = 0;
  for (const char* point : {"multiPoint", "score"}) {
    auto it = profile.plugins.find(point);
    if (it == profile.plugins.end()) continue;
    for (const auto& e : it->second.enabled) {
      gpu::Policy p{};
      const std::int32_t w = e.weight.value_or(1);
      if (parse_policy(e.name, p) && w > best_w) {
        best = policy_name(p);
        best_w = w;
      }
    }
  }
  return best;
}

}  // namespace gpusim::sched
