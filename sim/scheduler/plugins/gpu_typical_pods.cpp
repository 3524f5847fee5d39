#include "scheduler/plugins/gpu_typical_pods.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "scheduler/plugins/gpu_node_view.hpp"
#include "scheduler/plugins/plugin_args.hpp"

namespace gpusim::sched {
namespace {

std::string models_key(const std::vector<std::string>& models) {
  std::string k;
  for (const auto& m : models)
    k += (k.empty() ? "" : "|") + m;
  return k;
}

}  // namespace

TypicalPod typical_shape_of(const PodResources& res) {
  TypicalPod t;
  t.cpu_milli = res.requests.get(kCpu);
  t.gpu_count = res.gpu.count;
  t.gpu_milli = res.gpu.count > 0 ? res.gpu.milli_per_gpu : 0;
  t.models = res.gpu.models;
  std::sort(t.models.begin(), t.models.end());
  return t;
}

std::vector<TypicalPod> typical_pods(const std::vector<TypicalPod>& pods, int threshold_pct,
                                     int step) {
  using Key = std::tuple<std::int64_t, std::int32_t, std::int32_t, std::string>;
  std::map<Key, TypicalPod> shapes;
  std::int64_t total = 0;
  for (const auto& p : pods) {
    TypicalPod t = p;
    std::sort(t.models.begin(), t.models.end());
    const Key k{t.cpu_milli, t.gpu_milli, t.gpu_count, models_key(t.models)};
    auto [it, fresh] = shapes.emplace(k, t);
    if (!fresh) it->second.weight += p.weight;
    total += p.weight;
  }
  std::vector<TypicalPod> out;
  out.reserve(shapes.size());
  for (auto& [k, t] : shapes)
    out.push_back(std::move(t));
  // Most popular first; ties: larger cpu, then larger per-device milli, more devices, then the
  // model list (descending), the reverse of the simulator's resource order.
  std::stable_sort(out.begin(), out.end(), [](const TypicalPod& a, const TypicalPod& b) {
    if (a.weight != b.weight) return a.weight > b.weight;
    return std::make_tuple(a.cpu_milli, a.gpu_milli, a.gpu_count, models_key(a.models)) >
           std::make_tuple(b.cpu_milli, b.gpu_milli, b.gpu_count, models_key(b.models));
  });
  if (step < 1) step = 1;
  // Keep whole steps of shapes until they cover threshold_pct of the pods.
  std::size_t keep = 0;
  std::int64_t covered = 0;
  while (keep < out.size() && covered * 100 < static_cast<std::int64_t>(threshold_pct) * total) {
    const std::size_t until = std::min(out.size(), keep + static_cast<std::size_t>(step));
    for (; keep < until; ++keep)
      covered += out[keep].weight;
  }
  out.resize(keep);
  return out;
}

nlohmann::json typical_pods_json(const std::vector<TypicalPod>& typical) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& t : typical) {
    nlohmann::json o{
        {"cpuMilli", t.cpu_milli}, {"gpuCount", t.gpu_count}, {"gpuMilli", t.gpu_milli}};
    if (!t.models.empty()) o["gpuModels"] = t.models;
    o["weight"] = t.weight;
    a.push_back(std::move(o));
  }
  return a;
}

std::vector<TypicalPod> read_typical_pods(const ArgsReader& args, std::string_view field) {
  std::vector<TypicalPod> out;
  for (const ArgsReader& o : args.objects(field)) {
    o.only({"cpuMilli", "gpuCount", "gpuMilli", "gpuModels", "weight"});
    TypicalPod t;
    t.cpu_milli = o.integer("cpuMilli", 0, 0, INT64_MAX / 4);
    t.gpu_count = static_cast<std::int32_t>(o.integer("gpuCount", 0, 0, 1024));
    t.gpu_milli =
        static_cast<std::int32_t>(o.integer("gpuMilli", t.gpu_count > 0 ? 1000 : 0, 0, 1000));
    t.models = o.strings("gpuModels");
    std::sort(t.models.begin(), t.models.end());
    t.weight = o.integer("weight", 1, 1, INT64_MAX / (std::int64_t{1} << 24));
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<gpu::TypicalShape> typical_shapes(const std::vector<TypicalPod>& typical,
                                              const GpuNodeView& view) {
  std::vector<gpu::TypicalShape> out;
  out.reserve(typical.size());
  for (const auto& t : typical) {
    gpu::TypicalShape s;
    s.cpu_milli = t.cpu_milli;
    s.gpu_count = t.gpu_count;
    s.gpu_milli = t.gpu_milli;
    s.model_mask = view.model_mask(t.models);
    s.weight = t.weight;
    out.push_back(s);
  }
  return out;
}

}  // namespace gpusim::sched
