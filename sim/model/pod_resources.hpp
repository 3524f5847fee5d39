#pragma once
// Upstream's pod resource accounting (k8s-semantics.md section 2), shared by the scheduler,
// quota admission and the HPA.
#include "model/pod.hpp"

namespace gpusim {

// Annotations that carry GPU facts Kubernetes has no field for.
inline constexpr const char* kAnnotationGpuMilli = "gpusim.io/gpu-milli";  // per-device share
inline constexpr const char* kAnnotationGpuCount = "gpusim.io/gpu-count";
inline constexpr const char* kAnnotationGpuModel = "gpusim.io/gpu-model";  // "A100|H100"

// Effective requests: max(sum of app containers + sidecars, each init container + earlier
// sidecars), plus overhead. Exact quantities, per resource name.
ResourceQuantities effective_requests(const PodSpec& spec);
// Effective limits: the same walk over limits; overhead is added only to limits that are set.
ResourceQuantities effective_limits(const PodSpec& spec);
// Scoring view: containers that do not mention cpu/memory count 100m / 200Mi.
std::int64_t nonzero_cpu_milli(const PodSpec& spec);
std::int64_t nonzero_memory_bytes(const PodSpec& spec);
QosClass qos_class(const PodSpec& spec);
const char* to_string(QosClass qos);

// Computes every field of PodResources from the spec and annotations.
PodResources compute_pod_resources(const PodSpec& spec, const Annotations& annotations);

}  // namespace gpusim
