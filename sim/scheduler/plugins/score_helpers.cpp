#include "scheduler/plugins/score_helpers.hpp"

#include "model/resources.hpp"

namespace gpusim::sched {

void default_normalize_score(std::span<std::int64_t> scores, bool reverse) {
  std::int64_t max_count = 0;
  for (auto s : scores)
    max_count = std::max(max_count, s);
  if (max_count == 0) {
    if (reverse) {
      for (auto& s : scores)
        s = kMaxNodeScore;
    }
    return;
  }
  for (auto& s : scores) {
    s = kMaxNodeScore * s / max_count;
    if (reverse) s = kMaxNodeScore - s;
  }
}

std::int64_t broken_linear(std::span<const ShapePoint> shape, std::int64_t p) {
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (p <= shape[i].utilization) {
      if (i == 0) return shape[0].score;
      const ShapePoint& a = shape[i - 1];
      const ShapePoint& b = shape[i];
      return a.score + (b.score - a.score) * (p - a.utilization) / (b.utilization - a.utilization);
    }
  }
  return shape.empty() ? 0 : shape.back().score;
}

std::vector<ResourceSpec> default_resource_specs() {
  return {{std::string(kCpu), 1}, {std::string(kMemory), 1}};
}

std::vector<ResourceSpec> read_resource_specs(const ArgsReader& args, std::string_view field) {
  std::vector<ResourceSpec> out;
  for (const ArgsReader& r : args.objects(field)) {
    r.only({"name", "weight"});
    ResourceSpec spec;
    spec.name = r.string("name", "");
    if (spec.name.empty()) r.fail("name", "required");
    // Upstream's SetDefaults_NodeResourcesFitArgs / ..BalancedAllocationArgs: a weight left out
    // or 0 is 1.
    const std::int64_t weight = r.integer("weight", 0, 0, 100);
    spec.weight = weight == 0 ? 1 : weight;
    for (const auto& prev : out) {
      if (prev.name == spec.name) r.fail("name", "duplicate resource \"" + spec.name + "\"");
    }
    out.push_back(std::move(spec));
  }
  if (out.empty()) out = default_resource_specs();
  return out;
}

bool is_scalar_resource(std::string_view name) {
  return !(name == kCpu || name == kMemory || name == kEphemeralStorage || name == kResourcePods);
}

}  // namespace gpusim::sched
