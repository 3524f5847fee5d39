#pragma once
// Upstream's checks of resource names and amounts in a container's (or a node's) resources, shared
// by the manifest parser and the arrival trace reader so that a trace row is held to what the API
// server would accept in a pod spec. Each returns nullopt when valid, otherwise the problem.
#include <optional>
#include <string>
#include <string_view>

#include "core/quantity.hpp"

namespace gpusim::scenario {

struct ResourceProblem {
  std::string message;
  std::string hint;
};

// cpu, memory, ephemeral-storage, hugepages-<size> (and pods on a node), or a domain-qualified
// name (an extended resource such as nvidia.com/gpu, or a kubernetes.io one).
std::optional<ResourceProblem> check_resource_name(std::string_view name, bool node);
// A ResourceQuota's spec.hard name as upstream's ValidateResourceQuotaResourceName checks it: a
// qualified name; without a '/', one of the standard quota resources (cpu, requests.memory,
// pods, services, hugepages-<size>, ...). Names with a '/' (requests.nvidia.com/gpu,
// count/jobs.batch) pass, as upstream.
std::optional<ResourceProblem> check_quota_resource_name(std::string_view name);
// Not negative; an extended resource in whole units (`text` is the amount as written).
std::optional<ResourceProblem> check_resource_amount(std::string_view name, const Quantity& q,
                                                     std::string_view text);

}  // namespace gpusim::scenario
