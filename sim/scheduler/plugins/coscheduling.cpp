#include "scheduler/plugins/coscheduling.hpp"

#include "scheduler/plugins/plugin_args.hpp"

namespace gpusim::sched {
namespace {

const std::string* group_label(const Pod& pod) {
  auto it = pod.labels().find(kPodGroupLabel);
  return it == pod.labels().end() ? nullptr : &it->second;
}

bool same_group(const Pod& a, const Pod& b) {
  const std::string* ga = group_label(a);
  const std::string* gb = group_label(b);
  return ga && gb && *ga == *gb && a.namespace_ == b.namespace_;
}

}  // namespace

CoschedulingPlugin::CoschedulingPlugin(const nlohmann::json& args, FrameworkHandle& handle)
    : handle_(handle) {
  ArgsReader a(kName, args);
  a.only({"permitWaitingTimeSeconds", "podGroupBackoffSeconds"});
  default_timeout_ms_ = a.integer("permitWaitingTimeSeconds", 60, 1, 24 * 3600) * 1000;
  a.integer("podGroupBackoffSeconds", 0, 0, 24 * 3600);
}

const PodGroup* CoschedulingPlugin::group_of(const Pod& pod) const {
  const std::string* name = group_label(pod);
  if (name == nullptr) return nullptr;
  const auto& groups = handle_.cluster().pod_groups;
  auto it = groups.find(pod.namespace_ + "/" + *name);
  return it == groups.end() ? nullptr : &it->second;
}

std::vector<PodId> CoschedulingPlugin::members(const Pod& pod, const PodGroup& group) const {
  const Cluster& c = handle_.cluster();
  std::vector<PodId> out;
  auto consider = [&](PodId id, const Pod& p) {
    if (!p.terminal() && !p.deletion_ms && same_group(p, pod)) out.push_back(id);
  };
  if (group.meta.owner) {
    // The training operator's pods: found through their owner.
    for (PodId id : c.pods_of(group.meta.owner->uid))
      consider(id, c.pod(id));
  } else {
    c.for_each_pod(consider);
  }
  return out;
}

std::vector<PodId> CoschedulingPlugin::waiting_members(const Pod& pod, PodId except) const {
  std::vector<PodId> out;
  for (PodId w : handle_.waiting_pods()) {
    if (w != except && same_group(handle_.cluster().pod(w), pod)) out.push_back(w);
  }
  return out;
}

std::int32_t CoschedulingPlugin::bound_members(const Pod& pod, const PodGroup& group,
                                               PodId except) const {
  std::int32_t n = 0;
  for (PodId id : members(pod, group)) {
    if (id != except && handle_.cluster().pod(id).bound()) ++n;
  }
  return n;
}

Status CoschedulingPlugin::pre_filter(CycleState&, const PodInfo& pod) {
  const Pod& p = *pod.pod;
  const std::string* name = group_label(p);
  if (name == nullptr) return Status::skip();
  const PodGroup* group = group_of(p);
  if (group == nullptr) {
    return Status{Code::kUnschedulableAndUnresolvable,
                  "PodGroup " + p.namespace_ + "/" + *name + " not found"};
  }
  const auto live = static_cast<std::int32_t>(members(p, *group).size());
  if (live < group->min_member) {
    return Status{
        Code::kUnschedulableAndUnresolvable,
        "pre-filter pod " + p.name + " cannot find enough sibling pods, current pods number: " +
            std::to_string(live) + ", minMember of group: " + std::to_string(group->min_member)};
  }
  return Status::ok();
}

PostFilterResult CoschedulingPlugin::post_filter(CycleState&, const PodInfo& pod,
                                                 const std::vector<Rejection>&, DryRun&) {
  PostFilterResult result;
  result.status = Status{Code::kUnschedulable, {}};
  const Pod& p = *pod.pod;
  const PodGroup* group = group_of(p);
  if (group == nullptr) return result;
  // Enough members already bound: this one failing does not sink the gang.
  const std::int32_t assigned = bound_members(p, *group, pod.id);
  if (assigned >= group->min_member) return result;
  // Within 10% of minMember: later members may still complete it.
  const float short_by =
      static_cast<float>(group->min_member - assigned) / static_cast<float>(group->min_member);
  if (short_by <= 0.1f) return result;
  for (PodId w : waiting_members(p, pod.id)) {
    handle_.reject_waiting_pod(w, std::string(kName), "optimistic rejection in PostFilter");
  }
  result.status.message = "PodGroup " + group->meta.key() + " gets rejected due to Pod " + p.name +
                          " is unschedulable even after PostFilter";
  return result;
}

PermitDecision CoschedulingPlugin::permit(CycleState&, const PodInfo& pod, NodeIndex) {
  const Pod& p = *pod.pod;
  const PodGroup* group = group_of(p);
  if (group == nullptr) return PermitDecision::kAllow;
  const std::vector<PodId> waiting = waiting_members(p, pod.id);
  const std::int32_t ready =
      1 + bound_members(p, *group, pod.id) + static_cast<std::int32_t>(waiting.size());
  if (ready < group->min_member) return PermitDecision::kWait;
  for (PodId w : waiting)
    handle_.allow_waiting_pod(w);
  return PermitDecision::kAllow;
}

TimeMs CoschedulingPlugin::wait_timeout_ms(const PodInfo& pod) const {
  const PodGroup* group = group_of(*pod.pod);
  if (group && group->schedule_timeout_s && *group->schedule_timeout_s > 0) {
    return *group->schedule_timeout_s * 1000;
  }
  return default_timeout_ms_;
}

void CoschedulingPlugin::unreserve(PodId pod) {
  const Pod& p = handle_.cluster().pod(pod);
  if (group_label(p) == nullptr) return;
  for (PodId w : waiting_members(p, pod)) {
    handle_.reject_waiting_pod(w, std::string(kName), "rejection in Unreserve");
  }
}

}  // namespace gpusim::sched
