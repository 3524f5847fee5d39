#include "engine/timeline.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "core/duration.hpp"
#include "core/split.hpp"

namespace gpusim::engine {
namespace {

bool is_deployment_kind(const std::string& k) {
  return k == "Deployment" || k == "deployment" || k == "deployments" || k == "deploy";
}

const std::string* param(const TimelineEvent& e, const char* key) {
  auto it = e.params.find(key);
  return it == e.params.end() ? nullptr : &it->second;
}

std::optional<TimeMs> duration_param(const TimelineEvent& e, const char* key) {
  const std::string* v = param(e, key);
  if (v == nullptr) return std::nullopt;
  return parse_duration_ms(*v);
}

bool true_text(const std::string& v) {
  return v == "true" || v == "True" || v == "yes" || v == "1";
}

bool false_text(const std::string& v) {
  return v == "false" || v == "False" || v == "no" || v == "0";
}

bool bool_param(const TimelineEvent& e, const char* key) {
  const std::string* v = param(e, key);
  return v != nullptr && true_text(*v);
}

std::optional<ctrl::NodeFailureMode> failure_mode(const std::string& v) {
  if (v == "notReady" || v == "NotReady") return ctrl::NodeFailureMode::kNotReady;
  if (v == "unreachable" || v == "Unreachable") return ctrl::NodeFailureMode::kUnreachable;
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& timeline_actions() {
  static const std::vector<std::string> actions{
      "setImage", "patch",   "scale",  "restart",          "cordon",   "uncordon", "drain",
      "fail",     "recover", "remove", "spotInterruption", "stockOut", "restock"};
  return actions;
}

const std::vector<TimelineParam>& timeline_params(const std::string& action) {
  using T = TimelineParam::Type;
  static const std::map<std::string, std::vector<TimelineParam>, std::less<>> params{
      {"setImage", {{"image", T::kText}, {"container", T::kText}}},
      {"scale", {{"replicas", T::kText}}},
      {"drain", {{"timeout", T::kDuration}, {"retry", T::kDuration}, {"force", T::kBool}}},
      {"fail", {{"mode", T::kFailMode}, {"gracePeriod", T::kDuration}}},
      {"spotInterruption", {{"notice", T::kDuration}, {"replaceAfter", T::kDuration}}},
      {"stockOut", {{"duration", T::kDuration}}}};
  static const std::vector<TimelineParam> kNone;
  auto it = params.find(action);
  return it == params.end() ? kNone : it->second;
}

bool valid_timeline_param(TimelineParam::Type type, const std::string& value) {
  switch (type) {
    case TimelineParam::Type::kDuration: {
      const std::optional<TimeMs> ms = parse_duration_ms(value);
      return ms && *ms >= 0;
    }
    case TimelineParam::Type::kBool:
      return true_text(value) || false_text(value);
    case TimelineParam::Type::kFailMode:
      return failure_mode(value).has_value();
    case TimelineParam::Type::kText:
      return true;
  }
  return true;
}

Timeline::Timeline(Cluster& cluster, EventLoop& loop, ctrl::NodeLifecycleController& nodes,
                   ctrl::DrainController& drains, AddPoolNode add_pool_node)
    : cluster_(cluster),
      loop_(loop),
      nodes_(nodes),
      drains_(drains),
      add_pool_node_(std::move(add_pool_node)) {
  add_action("setImage", [this](const TimelineEvent& e) { set_image(e); });
  add_action("patch", [this](const TimelineEvent& e) { patch(e); });
  add_action("scale", [this](const TimelineEvent& e) { scale(e); });
  add_action("restart", [this](const TimelineEvent& e) { restart(e); });
  add_action("cordon", [this](const TimelineEvent& e) {
    for (NodeId n : node_targets(e))
      ctrl::cordon_node(cluster_, n, true);
  });
  add_action("uncordon", [this](const TimelineEvent& e) {
    for (NodeId n : node_targets(e))
      ctrl::cordon_node(cluster_, n, false);
  });
  add_action("drain", [this](const TimelineEvent& e) { drain(e); });
  add_action("fail", [this](const TimelineEvent& e) { fail(e); });
  add_action("recover", [this](const TimelineEvent& e) {
    for (NodeId n : node_targets(e))
      nodes_.recover(n);
  });
  add_action("remove", [this](const TimelineEvent& e) {
    for (NodeId n : node_targets(e))
      nodes_.remove(n, "removed by the timeline");
  });
  add_action("spotInterruption", [this](const TimelineEvent& e) { spot_interruption(e); });
  add_action("stockOut", [this](const TimelineEvent& e) { stock_out(e); });
  add_action("restock", [this](const TimelineEvent& e) { restock(pool_name(e.target)); });
}

void Timeline::add_action(std::string name, Action action) {
  actions_[std::move(name)] = std::move(action);
}

void Timeline::schedule(const std::vector<TimelineEvent>& events) {
  for (const TimelineEvent& e : events) {
    const TimelineEvent* ev = &e;
    loop_.at(std::max(e.at_ms, loop_.now()), EventPriority::kTimeline, [this, ev] { run(*ev); });
  }
}

void Timeline::error(const TimelineEvent& e, const std::string& message) {
  const std::string where = e.source.file.empty() ? std::string() : e.source.str() + ": ";
  cluster_.emit(ClusterEvent{0,
                             "TimelineError",
                             "Simulation",
                             e.action,
                             {},
                             where + e.action + " " + e.target + ": " + message,
                             true});
}

void Timeline::run(const TimelineEvent& e) {
  auto it = actions_.find(e.action);
  if (it == actions_.end()) {
    error(e, "unknown action");
    return;
  }
  it->second(e);
}

Deployment* Timeline::deployment_target(const TimelineEvent& e) {
  // "Deployment/ns/name", "deployment/name" (namespace default), "ns/name" or "name".
  const std::vector<std::string> parts = split(e.target, '/');
  std::string ns = "default";
  std::string name;
  if (parts.size() == 3 && is_deployment_kind(parts[0])) {
    ns = parts[1];
    name = parts[2];
  } else if (parts.size() == 2) {
    if (is_deployment_kind(parts[0])) {
      name = parts[1];
    } else {
      ns = parts[0];
      name = parts[1];
    }
  } else if (parts.size() == 1) {
    name = parts[0];
  }
  auto it = cluster_.deployments.find(ns + "/" + name);
  if (name.empty() || it == cluster_.deployments.end()) {
    error(e, "no Deployment " + ns + "/" + name);
    return nullptr;
  }
  return &it->second;
}

std::vector<NodeId> Timeline::node_targets(const TimelineEvent& e) {
  std::vector<NodeId> out;
  std::string target = e.target;
  if (target.rfind("node/", 0) == 0) target = target.substr(5);
  if (target.rfind("pool/", 0) != 0) {
    const NodeId id = cluster_.find_node(target);
    if (id != kNoNode) return {id};
  } else {
    target = target.substr(5);
  }
  for (NodeId n = 0; n < cluster_.node_slots(); ++n) {
    if (cluster_.node_exists(n) && cluster_.node(n).pool == target) out.push_back(n);
  }
  if (out.empty()) error(e, "no node or node pool named \"" + target + "\"");
  return out;
}

void Timeline::change_template(Deployment& d, std::shared_ptr<const PodTemplate> tmpl,
                               const TimelineEvent& e, const std::string& what) {
  d.tmpl = std::move(tmpl);
  ++d.meta.generation;
  cluster_.emit(ClusterEvent{0, "TimelineAction", "Deployment", d.meta.key(), {}, what, false});
  cluster_.object_changed("Deployment", d.meta.key());
}

void Timeline::set_image(const TimelineEvent& e) {
  Deployment* d = deployment_target(e);
  if (d == nullptr) return;
  if (e.deployment) {
    change_template(
        *d, e.deployment->tmpl, e, "kubectl set image " + e.target + " (" + [&] {
          std::string s;
          for (const auto& [k, v] : e.params)
            s += (s.empty() ? "" : ", ") + k + "=" + v;
          return s;
        }() + ")");
    return;
  }
  const std::string* image = param(e, "image");
  const std::string* container = param(e, "container");
  if (image == nullptr) {
    error(e, "params.image is required");
    return;
  }
  PodTemplate t = *d->tmpl;
  Container* c = nullptr;
  if (container == nullptr) {
    if (t.spec.containers.size() == 1) c = &t.spec.containers.front();
  } else {
    for (auto& x : t.spec.containers) {
      if (x.name == *container) c = &x;
    }
    for (auto& x : t.spec.init_containers) {
      if (x.name == *container) c = &x;
    }
  }
  if (c == nullptr) {
    error(e, container ? "no container named \"" + *container + "\""
                       : "params.container is required when the pod has several containers");
    return;
  }
  c->image = *image;
  const std::string name = c->name;
  change_template(*d, make_template(std::move(t)), e,
                  "kubectl set image deployment/" + d->meta.name + " " + name + "=" + *image);
}

void Timeline::patch(const TimelineEvent& e) {
  Deployment* d = deployment_target(e);
  if (d == nullptr) return;
  if (!e.deployment) {
    error(e, "the patch was not resolved by the loader");
    return;
  }
  const Deployment& p = *e.deployment;
  d->strategy = p.strategy;
  d->min_ready_s = p.min_ready_s;
  d->revision_history_limit = p.revision_history_limit;
  d->progress_deadline_s = p.progress_deadline_s;
  d->paused = p.paused;
  if (e.replicas) d->replicas = *e.replicas;
  change_template(*d, p.tmpl, e, "kubectl patch deployment/" + d->meta.name);
}

void Timeline::scale(const TimelineEvent& e) {
  Deployment* d = deployment_target(e);
  if (d == nullptr) return;
  const std::string* v = param(e, "replicas");
  std::int32_t n = 0;
  if (v == nullptr || std::from_chars(v->data(), v->data() + v->size(), n).ec != std::errc() ||
      n < 0) {
    error(e, "params.replicas must be a non-negative integer");
    return;
  }
  d->replicas = n;
  ++d->meta.generation;
  cluster_.emit(ClusterEvent{0,
                             "TimelineAction",
                             "Deployment",
                             d->meta.key(),
                             {},
                             "kubectl scale deployment/" + d->meta.name + " --replicas=" + *v,
                             false});
  cluster_.object_changed("Deployment", d->meta.key());
}

void Timeline::restart(const TimelineEvent& e) {
  Deployment* d = deployment_target(e);
  if (d == nullptr) return;
  PodTemplate t = *d->tmpl;
  t.annotations["kubectl.kubernetes.io/restartedAt"] = format_duration(loop_.now());
  change_template(*d, make_template(std::move(t)), e,
                  "kubectl rollout restart deployment/" + d->meta.name);
}

void Timeline::drain(const TimelineEvent& e) {
  ctrl::DrainOptions o;
  o.timeout_ms = duration_param(e, "timeout");
  o.force = bool_param(e, "force");
  if (auto r = duration_param(e, "retry")) o.retry_ms = std::max<TimeMs>(1, *r);
  for (NodeId n : node_targets(e))
    drains_.drain(n, o);
}

void Timeline::fail(const TimelineEvent& e) {
  ctrl::NodeFailureMode mode = ctrl::NodeFailureMode::kUnreachable;
  if (const std::string* m = param(e, "mode")) {
    const std::optional<ctrl::NodeFailureMode> given = failure_mode(*m);
    if (!given) {
      error(e, "params.mode must be unreachable or notReady");
      return;
    }
    mode = *given;
  }
  const std::optional<TimeMs> grace = duration_param(e, "gracePeriod");
  for (NodeId n : node_targets(e))
    nodes_.fail(n, mode, grace);
}

std::string Timeline::pool_name(const std::string& target) {
  return target.rfind("pool/", 0) == 0 ? target.substr(5) : target;
}

void Timeline::stock_out(const TimelineEvent& e) {
  // The cloud's side of a pool: the cluster-autoscaler hears of it through these events and
  // has its new instances refused while it lasts.
  const std::string pool = pool_name(e.target);
  const std::optional<TimeMs> duration = duration_param(e, "duration");
  const std::uint64_t generation = ++stock_generation_[pool];
  stocked_out_.insert(pool);
  cluster_.emit(ClusterEvent{0,
                             "StockOut",
                             "NodePool",
                             pool,
                             {},
                             "The cloud has no capacity for node pool " + pool +
                                 (duration ? " for " + format_duration(*duration) : "") +
                                 ": new instances fail",
                             true});
  if (duration) {
    loop_.after(*duration, EventPriority::kTimeline, [this, pool, generation] {
      // A later stockOut or restock of the pool has taken over.
      if (stock_generation_[pool] == generation) restock(pool);
    });
  }
}

void Timeline::restock(const std::string& pool) {
  ++stock_generation_[pool];
  if (stocked_out_.erase(pool) == 0) return;
  cluster_.emit(ClusterEvent{0,
                             "Restock",
                             "NodePool",
                             pool,
                             {},
                             "The cloud has capacity for node pool " + pool + " again",
                             false});
}

void Timeline::spot_interruption(const TimelineEvent& e) {
  // The provider's notice (2 minutes on AWS): a termination handler cordons and drains the
  // nodes, which disappear when the notice runs out.
  const TimeMs notice = duration_param(e, "notice").value_or(2 * 60'000);
  const std::optional<TimeMs> replace_after = duration_param(e, "replaceAfter");
  std::vector<std::string> names;
  std::vector<std::string> pools;
  for (NodeId n : node_targets(e)) {
    const Node& node = cluster_.node(n);
    names.push_back(node.name());
    pools.push_back(node.pool);
    cluster_.emit(ClusterEvent{
        0, "SpotInterruption", "Node", node.name(), node.name(),
        "Spot instance interruption notice: terminating in " + format_duration(notice), true});
    ctrl::DrainOptions o;
    o.timeout_ms = notice;
    o.reason = "spot interruption";
    drains_.drain(n, o);
  }
  loop_.after(notice, EventPriority::kTimeline, [this, names] {
    for (const std::string& name : names) {
      const NodeId n = cluster_.find_node(name);
      if (n != kNoNode) nodes_.remove(n, "spot instance terminated");
    }
  });
  if (replace_after && add_pool_node_) {
    loop_.after(notice + *replace_after, EventPriority::kTimeline, [this, pools] {
      for (const std::string& pool : pools)
        add_pool_node_(pool);
    });
  }
}

}  // namespace gpusim::engine
