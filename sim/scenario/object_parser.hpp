#pragma once
// Kubernetes objects from YAML into the model structs, with upstream's defaults and the parts of
// upstream's validation that matter to a simulation. Every problem becomes a diagnostic at the
// offending field; the parsers always return their best effort (the loader throws when any error
// was reported, so a half-parsed object never runs).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/node.hpp"
#include "model/pod.hpp"
#include "model/workloads.hpp"
#include "scenario/fields.hpp"
#include "scenario/value.hpp"

namespace gpusim::scenario {

// A name one object uses to point at another; resolved once every document is read.
struct ObjectRef {
  std::string name;
  std::string namespace_;  // namespaced targets only
  std::string kind;        // scaleTargetRef kind; empty otherwise
  std::string from;        // "Deployment ml-serving/web", for messages
  SourceLocation location;
  std::string path;
};

struct References {
  std::vector<ObjectRef> priority_classes;  // spec.priorityClassName, PyTorchJob priorityClass
  std::vector<ObjectRef> scheduler_names;   // spec.schedulerName
  std::vector<ObjectRef> node_names;        // spec.nodeName
  std::vector<ObjectRef> scale_targets;     // HPA spec.scaleTargetRef
  std::vector<ObjectRef> scale_to_zero;     // HPAs with minReplicas 0 (needs HPAScaleToZero)
  std::vector<ObjectRef> image_sizes;       // gpusim.io/image-size (needs imagePullBandwidth)
};

// Manifests need metadata.name; templates inside the Simulation document (arrivals, node pools)
// are named by the simulation.
enum class ObjectMode { kManifest, kTemplate };

// Who owns a pod template decides its restartPolicy rules.
enum class TemplateOwner { kPod, kDeployment, kReplicaSet, kJob, kPyTorchJob };

class ObjectParser {
 public:
  explicit ObjectParser(References& refs) : refs_(refs) {}

  Node node(const Value& object, ObjectMode mode = ObjectMode::kManifest);
  Pod pod(const Value& object, ObjectMode mode = ObjectMode::kManifest);
  Namespace namespace_object(const Value& object);
  ResourceQuota resource_quota(const Value& object);
  Deployment deployment(const Value& object);
  ReplicaSet replica_set(const Value& object);
  Job job(const Value& object, ObjectMode mode = ObjectMode::kManifest);
  CronJob cron_job(const Value& object);
  PyTorchJob pytorch_job(const Value& object, ObjectMode mode = ObjectMode::kManifest);
  // scheduler-plugins' PodGroup (scheduling.x-k8s.io/v1alpha1), for the Coscheduling plugin.
  PodGroup pod_group(const Value& object);
  HorizontalPodAutoscaler hpa(const Value& object);
  PriorityClass priority_class(const Value& object);
  // nullopt when the budget has no selector (it selects nothing; a warning says so).
  std::optional<PodDisruptionBudget> pdb(const Value& object);

  // Shared pieces, public for the Simulation parser and tests.
  ObjectMeta meta(Fields& object, bool namespaced, ObjectMode mode, const char* kind);
  std::optional<LabelSelector> label_selector(const Value& v);
  ResourceQuantities resources(const Value& v, const char* context);

 private:
  struct TemplateResult {
    std::shared_ptr<const PodTemplate> tmpl;
    Labels labels;
  };
  TemplateResult pod_template(const Value& v, TemplateOwner owner, const ObjectMeta& workload,
                              const std::string& from,
                              std::optional<RestartPolicy> forced_restart = std::nullopt);
  PodSpec pod_spec(const Value& v, TemplateOwner owner, const std::string& from);
  Container container(const Value& v, bool init);
  void container_resources(const Value& v, Container& c);
  std::optional<Probe> probe(const Value& v);
  std::vector<Toleration> tolerations(const Value& v);
  std::vector<Taint> taints(const Value& v);
  Affinity affinity(const Value& v);
  std::optional<NodeSelectorTerm> node_selector_term(const Value& v);
  std::vector<SelectorRequirement> node_selector_requirements(const Value& v, bool fields);
  PodAffinity pod_affinity(const Value& v);
  std::optional<PodAffinityTerm> pod_affinity_term(const Value& v);
  std::vector<TopologySpreadConstraint> topology_spread(const Value& v);
  Labels labels(const Value& v);
  Annotations annotations(const Value& v);
  JobSpec job_spec(const Value& v, const ObjectMeta& workload, const std::string& from);
  JobStatus job_progress(const Value& v, const JobSpec& spec);
  void check_selector_matches(const Value& selector_value, const LabelSelector& selector,
                              const Value& template_value, const Labels& template_labels);
  std::optional<MetricSpec> metric(const Value& v);
  std::optional<MetricTarget> metric_target(const Value& v,
                                            const std::vector<std::string>& allowed);
  std::optional<ScalingRules> scaling_rules(const Value& v, bool up);

  // A gpusim.io timing annotation of `t` that the kubelet could not read, as an error at `at`.
  static void check_timing_annotations(const PodTemplate& t, const Value& at);

  References& refs_;
  // Bad gpusim.io annotations seen so far: make_template()'s own complaint about them would
  // repeat the one already reported at the annotation.
  std::size_t gpusim_annotation_errors_ = 0;
};

// Finds `key` in a mapping value: the entry's value with its path (absent when missing).
Value entry(const Value& map, const std::string& key);

// Annotations gpusim reads (docs/scenario.md). Unknown gpusim.io/ keys get a did-you-mean warning.
const std::vector<std::string>& known_gpusim_annotations();

}  // namespace gpusim::scenario
