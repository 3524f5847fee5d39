#include "scenario/resource_names.hpp"

#include <algorithm>
#include <vector>

#include "core/diagnostics.hpp"
#include "model/quota_evaluator.hpp"
#include "model/resources.hpp"
#include "scenario/names.hpp"

namespace gpusim::scenario {
namespace {

bool is_standard_container_resource(std::string_view name) {
  return name == kCpu || name == kMemory || name == kEphemeralStorage || is_hugepages(name);
}

bool whole(const Quantity& q) {
  return q == Quantity::from_int(q.value());
}

}  // namespace

std::optional<ResourceProblem> check_resource_name(std::string_view name, bool node) {
  const bool qualified = name.find('/') != std::string_view::npos;
  const bool ok = qualified
                      ? (is_extended_resource(name) || is_native_resource(name)) &&
                            check_label_key(name).empty()
                      : is_standard_container_resource(name) || (node && name == kResourcePods);
  if (ok) return std::nullopt;
  std::vector<std::string> standard{"cpu", "memory", "ephemeral-storage"};
  if (node) standard.emplace_back("pods");
  const std::string near = closest_match(std::string(name), standard);
  return ResourceProblem{"unknown resource name \"" + std::string(name) + "\"",
                         near.empty() ? "use cpu, memory, ephemeral-storage, hugepages-<size> or a "
                                        "domain-qualified extended resource such as nvidia.com/gpu"
                                      : "did you mean \"" + near + "\"?"};
}

std::optional<ResourceProblem> check_quota_resource_name(std::string_view name) {
  if (auto why = check_label_key(name); !why.empty()) {
    return ResourceProblem{"invalid value \"" + std::string(name) + "\": " + why, {}};
  }
  if (name.find('/') != std::string_view::npos || is_standard_quota_resource_name(name)) {
    return std::nullopt;
  }
  const std::string near = closest_match(std::string(name), standard_quota_resource_names());
  return ResourceProblem{
      "invalid value \"" + std::string(name) + "\": must be a standard resource for quota",
      near.empty() ? "use requests.cpu, requests.memory, limits.cpu, limits.memory, pods, "
                     "requests.<extended resource> such as requests.nvidia.com/gpu, or "
                     "count/<resource>.<group>"
                   : "did you mean \"" + near + "\"?"};
}

std::optional<ResourceProblem> check_resource_amount(std::string_view name, const Quantity& q,
                                                     std::string_view text) {
  if (q.sign() < 0)
    return ResourceProblem{"must be greater than or equal to 0, got " + q.str(), {}};
  if (is_extended_resource(name) && !whole(q)) {
    std::string hint;
    if (name == kNvidiaGpu) {
      hint =
          "for a share of one GPU keep nvidia.com/gpu: 1 and set the pod annotation "
          "gpusim.io/gpu-milli (e.g. \"500\")";
    }
    return ResourceProblem{std::string(name) + " must be a whole number, got " + std::string(text),
                           hint};
  }
  return std::nullopt;
}

}  // namespace gpusim::scenario
