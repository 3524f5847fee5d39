#pragma once
// Pods. The spec is immutable and shared: every pod a ReplicaSet or Job creates points at the
// same PodTemplate, so a million pods cost a million small status records, not a million specs.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/affinity.hpp"
#include "model/object_meta.hpp"
#include "model/resources.hpp"
#include "model/taint.hpp"

namespace gpusim {

struct ResourceRequirements {
  ResourceQuantities requests;
  ResourceQuantities limits;
};

struct Probe {
  std::int32_t initial_delay_s = 0;
  std::int32_t period_s = 10;
  std::int32_t timeout_s = 1;
  std::int32_t success_threshold = 1;
  std::int32_t failure_threshold = 3;
};

// A container port that takes a port on the node (hostPort > 0; ports without one are not kept):
// the fields of upstream's v1.ContainerPort that NodePorts reads.
struct ContainerPort {
  std::int32_t host_port = 0;
  std::string protocol = "TCP";  // TCP, UDP or SCTP
  std::string host_ip;           // empty: every address (upstream's 0.0.0.0)
  bool operator==(const ContainerPort&) const = default;
};

struct Container {
  std::string name;
  std::string image;
  ResourceRequirements resources;
  // Init containers only: restartPolicy Always makes it a sidecar (counted with app containers).
  bool restartable = false;
  std::optional<Probe> readiness_probe;
  std::optional<Probe> liveness_probe;
  std::optional<Probe> startup_probe;
  std::vector<ContainerPort> host_ports;
};

enum class RestartPolicy { kAlways, kOnFailure, kNever };
enum class PreemptionPolicy { kPreemptLowerPriority, kNever };
enum class QosClass { kGuaranteed, kBurstable, kBestEffort };

struct PodSpec {
  std::vector<Container> init_containers;
  std::vector<Container> containers;
  ResourceQuantities overhead;
  std::string node_name;
  std::string scheduler_name = "default-scheduler";
  std::string priority_class_name;
  std::optional<std::int32_t> priority;
  std::optional<PreemptionPolicy> preemption_policy;
  Labels node_selector;
  std::vector<Toleration> tolerations;
  Affinity affinity;
  std::vector<TopologySpreadConstraint> topology_spread_constraints;
  std::int64_t termination_grace_period_s = 30;
  std::optional<std::int64_t> active_deadline_s;
  RestartPolicy restart_policy = RestartPolicy::kAlways;
  std::vector<std::string> scheduling_gates;
  // Names of the volumes stored on the node (hostPath, emptyDir not in memory): they keep the
  // cluster-autoscaler from moving the pod.
  std::vector<std::string> local_volumes;
};

// GPU demand beyond the plain nvidia.com/gpu count: fractional sharing (milli-GPU of one device,
// as the openb trace's gpu_milli) and an allowed set of GPU models.
struct GpuRequest {
  std::int32_t count = 0;           // devices
  std::int32_t milli_per_gpu = 0;   // 1..1000; 1000 for whole devices
  std::vector<std::string> models;  // empty = any model
  std::int64_t total_milli() const { return static_cast<std::int64_t>(count) * milli_per_gpu; }
  bool shared() const { return count == 1 && milli_per_gpu < 1000; }
};

// What the scheduler, quota and the device plugin need, computed once per template.
struct PodResources {
  ResourceAmounts requests;  // effective requests (init containers, sidecars, overhead)
  ResourceAmounts limits;    // effective limits (only names every relevant container sets)
  std::int64_t nonzero_cpu_milli = 0;  // scoring view with upstream's non-zero defaults
  std::int64_t nonzero_memory_bytes = 0;
  QosClass qos = QosClass::kBestEffort;
  GpuRequest gpu;
  bool requests_nothing() const;
};

struct PodTemplate {
  Labels labels;
  Annotations annotations;
  PodSpec spec;
  PodResources resources;  // derived from spec by finalize()
  // Fills `resources`; call after editing labels/annotations/spec. Throws std::invalid_argument
  // for GPU annotations that do not parse.
  void finalize();
};

std::shared_ptr<const PodTemplate> make_template(PodTemplate t);

enum class PodPhase { kPending, kRunning, kSucceeded, kFailed, kUnknown };
const char* to_string(PodPhase phase);

// Where the simulated kubelet is with the pod; finer than the phase.
enum class PodStage {
  kPending,       // waiting for the scheduler (or gated)
  kBound,         // bound, waiting for image pulls
  kInitializing,  // init containers running
  kRunning,       // app containers running
  kTerminating,   // deletion requested, within the grace period
  kTerminated,    // Succeeded or Failed
};

using NodeId = std::uint32_t;
using PodId = std::uint32_t;
inline constexpr NodeId kNoNode = 0xffffffffu;
inline constexpr PodId kNoPod = 0xffffffffu;
// Exit codes of the simulated containers: a crash drawn from gpusim.io/failure-probability
// exits with 1 (a general error, as an uncaught Python exception); a container killed by its
// liveness probe gets SIGKILL, 128 + 9.
inline constexpr std::int32_t kCrashExitCode = 1;
inline constexpr std::int32_t kSigkillExitCode = 137;

struct PodStatus {
  PodPhase phase = PodPhase::kPending;
  PodStage stage = PodStage::kPending;
  NodeId node = kNoNode;
  std::string nominated_node;
  std::vector<std::int32_t> gpu_devices;  // device indexes on the node
  bool ready = false;
  bool ever_ready = false;
  std::optional<TimeMs> scheduled_ms;
  std::optional<TimeMs> started_ms;  // containers started (status.startTime analogue)
  std::optional<TimeMs> ready_transition_ms;
  std::optional<TimeMs> finished_ms;
  std::int32_t restarts = 0;
  std::int32_t priority = 0;  // resolved from the PriorityClass at admission
  std::int32_t scheduling_attempts = 0;
  std::optional<std::int64_t> deletion_grace_s;  // grace period of a requested deletion
  // Bumped when the pod's distributed-training collective breaks (a gang member lost, or one
  // joining again): the kubelet makes its running app container exit with an error, to restart
  // per restartPolicy, as a torch.distributed process does when a peer goes.
  std::int32_t peer_failures = 0;
  // The last app container exit's code (the kubelet's containerStatuses[].state.terminated):
  // 0 for a normal exit, kCrashExitCode for a simulated crash, 137 for a liveness kill.
  std::optional<std::int32_t> exit_code;
  std::string reason;  // Evicted, Preempted, DeadlineExceeded, OOMKilled, ...
  std::string message;
};

struct Pod {
  std::string name;
  std::string namespace_;
  std::uint64_t uid = 0;
  TimeMs creation_ms = 0;
  std::optional<TimeMs> deletion_ms;
  std::optional<OwnerReference> owner;
  std::int32_t index = -1;  // Indexed Job completion index, -1 otherwise
  std::shared_ptr<const PodTemplate> tmpl;
  PodStatus status;

  const PodSpec& spec() const { return tmpl->spec; }
  const Labels& labels() const { return tmpl->labels; }
  const Annotations& annotations() const { return tmpl->annotations; }
  const PodResources& resources() const { return tmpl->resources; }
  std::string key() const { return namespace_ + "/" + name; }
  bool terminal() const {
    return status.phase == PodPhase::kSucceeded || status.phase == PodPhase::kFailed;
  }
  bool bound() const { return status.node != kNoNode; }
};

// A pod reference that survives slot reuse: events hold it and check the uid when they fire.
struct PodRef {
  PodId id = kNoPod;
  std::uint64_t uid = 0;
};

}  // namespace gpusim
