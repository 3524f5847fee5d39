#pragma once
// The controller references a scenario's manifests start with. A manifest Pod may name its
// controller (a ReplicaSet or a Job) and a ReplicaSet its Deployment in metadata.ownerReferences
// (the entry with controller: true); a cluster imported from a dump does, so that its pods keep
// running where they run, under their controllers, instead of being recreated. The reference is
// by name (the live uid is not the simulation's), resolved at t=0 before anything runs, as the
// controllers' first sync claims objects upstream (ControllerRefManager): the object belongs to
// the named controller when that exists in the namespace and, for a ReplicaSet or a Job with its
// own selector (manualSelector), when the selector matches the object's labels; otherwise it is
// released (an orphan: a bare pod, a ReplicaSet no Deployment manages). A Job whose selector is
// generated matches its own pods by definition (their controller-uid label is the Job's uid).
// Orphans are not adopted by labels alone.
#include "model/cluster.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kJobCompletionIndexAnnotation =
    "batch.kubernetes.io/job-completion-index";

// Resolves `pod.owner` (a by-name reference, uid 0) against the cluster before the pod is
// created: sets the owner's uid and, for an Indexed Job, the pod's completion index from its
// batch.kubernetes.io/job-completion-index annotation (a pod without a valid index is released:
// upstream's Job controller does not count it). Returns whether the pod has an owner now.
bool claim_pod(const Cluster& cluster, Pod& pod);

// The same for a ReplicaSet stored in the cluster with the by-name reference `ref` (to a
// Deployment): sets its owner and announces it (object_changed) so the Deployment controller
// tracks it. Returns whether it was claimed.
bool claim_replica_set(Cluster& cluster, const std::string& key, const OwnerReference& ref);

}  // namespace gpusim::ctrl
