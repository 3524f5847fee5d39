#pragma once
// The cluster's object store: what the API server holds. Controllers, the scheduler and the
// simulated kubelet read it and write through it; observers hear about every change (the
// informer analogue), and pod creation passes the admission chain.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event_loop.hpp"
#include "core/rng.hpp"
#include "model/node.hpp"
#include "model/pod.hpp"
#include "model/workloads.hpp"

namespace gpusim {

// A Kubernetes Event (kubectl describe's Events section), recorded to events.jsonl.
struct ClusterEvent {
  TimeMs t_ms = 0;
  std::string type;    // the reason: Scheduled, FailedScheduling, Preempted, Killing, ...
  std::string kind;    // involved object kind: Pod, Node, Deployment, Job, ...
  std::string object;  // namespace/name (name for cluster-scoped objects)
  std::string node;    // where relevant
  std::string message;
  bool warning = false;
};

// A FailedCreate event's message for an object other than a pod, as the CronJob controller
// writes it: "Error creating job: jobs.batch \"x\" is forbidden: ...". Refused pods read
// "Error creating: pods ..." (the ReplicaSet and Job controllers' form).
std::string object_refusal_message(std::string_view kind, const std::string& error);
// Whether the event reports a pod that admission refused (not another object).
bool refused_pod(const ClusterEvent& e);

class ClusterObserver {
 public:
  virtual ~ClusterObserver() = default;
  virtual void on_pod_added(PodId) {}
  virtual void on_pod_bound(PodId) {}
  // Status changed (stage, phase, readiness, restarts).
  virtual void on_pod_updated(PodId) {}
  // The pod stopped holding node resources (terminated, or deleted while bound).
  virtual void on_pod_released(PodId, NodeId) {}
  // The object is about to disappear; the Pod is still readable.
  virtual void on_pod_deleted(PodId) {}
  virtual void on_node_added(NodeId) {}
  virtual void on_node_updated(NodeId) {}
  virtual void on_node_removed(NodeId) {}
  virtual void on_event(const ClusterEvent&) {}
  // A workload object (Deployment, Job, ...) was added, changed or removed in one of the maps.
  virtual void on_object_changed(std::string_view kind, const std::string& key) {}
};

// Admission plugins run, in registration order, on every pod CREATE. Returning a message rejects
// the pod as Forbidden; `mutable_status` lets plugins such as Priority fill admission-time fields.
class AdmissionPlugin {
 public:
  virtual ~AdmissionPlugin() = default;
  virtual std::optional<std::string> admit(const Pod& pod, PodStatus& mutable_status) = 0;
  // Called when an admitted pod is finally created (after every plugin admitted it).
  virtual void admitted(PodId) {}
  // The CREATE of another object (a Job, a Deployment, ...), about to be stored under `meta`.
  // A plugin that admits it may charge for it at once: the writer stores it right after.
  virtual std::optional<std::string> admit_object(std::string_view /*kind*/,
                                                  const ObjectMeta& /*meta*/) {
    return std::nullopt;
  }
};

struct CreateResult {
  PodId id = kNoPod;
  std::string error;  // "pods \"x\" is forbidden: ..." when rejected
  bool ok() const { return id != kNoPod; }
};

class Cluster {
 public:
  Cluster(const EventLoop& clock, std::uint64_t seed);

  TimeMs now() const { return clock_.now(); }
  void add_observer(ClusterObserver* o) { observers_.push_back(o); }
  void add_admission(AdmissionPlugin* p) { admission_.push_back(p); }
  void emit(ClusterEvent e);

  // ---- nodes ----
  NodeId add_node(Node node);
  // Marks the node gone; pods still bound to it are deleted first by the caller.
  void remove_node(NodeId id);
  void node_changed(NodeId id);  // taints, readiness, labels or unschedulable changed
  bool node_exists(NodeId id) const { return id < nodes_.size() && node_live_[id]; }
  Node& node(NodeId id) { return nodes_[id]; }
  const Node& node(NodeId id) const { return nodes_[id]; }
  std::size_t node_slots() const { return nodes_.size(); }
  std::size_t node_count() const { return live_nodes_; }
  NodeId find_node(std::string_view name) const;
  // Records that the kubelet pulled `image` on the node, which then reports its size (when
  // known, > 0) in status.images as a kubelet does; false when the node already had it.
  bool add_pulled_image(NodeId id, const std::string& image, std::int64_t size_bytes = 0);
  // Caches of which nodes hold which images (ImageLocality) follow the nodes' image lists through
  // these two: images_version() bumps when a node is added, updated or removed (its list may be
  // anything now: rescan), and image_pulls() logs every pull since, in order, as
  // node(p.node).images[p.index] (lists only grow between bumps).
  struct ImagePull {
    NodeId node;
    std::uint32_t index;
  };
  std::uint64_t images_version() const { return images_version_; }
  const std::vector<ImagePull>& image_pulls() const { return image_pulls_; }

  // ---- pods ----
  // Runs admission; on success assigns uid, creation time and (for generate_name) the name.
  CreateResult create_pod(Pod pod);
  // Binds to a node: node accounting and the GPU devices given (device indexes).
  void bind(PodId id, NodeId node, std::vector<std::int32_t> gpu_devices);
  // The pod stops holding node resources (it terminated). Idempotent.
  void release(PodId id);
  // Removes the object (releasing it first if needed).
  void delete_pod(PodId id);
  // An API DELETE: sets the deletion timestamp; the kubelet terminates the pod within the grace
  // period (the pod's terminationGracePeriodSeconds unless given). A pod that is not bound is
  // removed at once. Returns false if the pod was already being deleted.
  bool request_deletion(PodId id, std::optional<std::int64_t> grace_s = std::nullopt);
  void pod_changed(PodId id);
  bool pod_exists(PodId id) const { return id < pods_.size() && pod_live_[id]; }
  Pod& pod(PodId id) { return pods_[id]; }
  const Pod& pod(PodId id) const { return pods_[id]; }
  Pod* pod_if(PodRef ref);
  PodRef ref(PodId id) const { return PodRef{id, pods_[id].uid}; }
  std::size_t pod_slots() const { return pods_.size(); }
  std::size_t pod_count() const { return live_pods_; }
  PodId find_pod(std::string_view ns, std::string_view name) const;
  template <typename F>
  void for_each_pod(F&& f) const {
    for (PodId i = 0; i < pods_.size(); ++i) {
      if (pod_live_[i]) f(i, pods_[i]);
    }
  }

  // Pods whose controller owner has this uid (creation order; deleted pods drop out).
  const std::vector<PodId>& pods_of(std::uint64_t owner_uid) const;
  // Workload writers call this after changing one of the object maps below.
  void object_changed(std::string_view kind, const std::string& key);
  // Runs admission for the CREATE of an object of `kind` other than a pod; the writer stores it
  // (and calls object_changed) only when this returns no error. The error reads as the API
  // server's: `jobs.batch "nightly-29" is forbidden: exceeded quota: ...`.
  std::optional<std::string> admit_object(std::string_view kind, const ObjectMeta& meta);
  // admit_object for a creation no controller retries (a manifest's object, an arrival): a
  // refusal is a FailedCreate event of the object itself. Returns whether it was admitted.
  bool admit_or_report(std::string_view kind, const ObjectMeta& meta);

  // Kubernetes-style generated pod names: prefix + 5 characters from the seeded name stream,
  // unique in the namespace.
  std::string generate_name(const std::string& ns, const std::string& prefix);
  std::uint64_t next_uid() { return ++uid_; }

  // ---- other objects, keyed "namespace/name" (or name), iterated in key order ----
  std::map<std::string, Deployment> deployments;
  std::map<std::string, ReplicaSet> replica_sets;
  std::map<std::string, Job> jobs;
  std::map<std::string, CronJob> cron_jobs;
  std::map<std::string, PyTorchJob> pytorch_jobs;
  std::map<std::string, PodGroup> pod_groups;
  std::map<std::string, HorizontalPodAutoscaler> hpas;
  std::map<std::string, ResourceQuota> quotas;
  std::map<std::string, PriorityClass> priority_classes;
  std::map<std::string, PodDisruptionBudget> pdbs;
  std::map<std::string, Namespace> namespaces;

 private:
  void account(Node& n, const Pod& p, int sign);

  const EventLoop& clock_;
  Rng names_;
  std::uint64_t uid_ = 0;
  std::vector<ClusterObserver*> observers_;
  std::vector<AdmissionPlugin*> admission_;

  std::vector<Node> nodes_;
  std::vector<char> node_live_;
  std::size_t live_nodes_ = 0;
  std::uint64_t images_version_ = 0;
  std::vector<ImagePull> image_pulls_;
  std::unordered_map<std::string, NodeId> node_by_name_;

  std::vector<Pod> pods_;
  std::vector<char> pod_live_;
  std::vector<char> pod_holds_node_;
  std::vector<PodId> free_pod_slots_;
  std::size_t live_pods_ = 0;
  std::unordered_map<std::string, PodId> pod_by_key_;
  std::unordered_map<std::uint64_t, std::vector<PodId>> pods_by_owner_;
};

}  // namespace gpusim
