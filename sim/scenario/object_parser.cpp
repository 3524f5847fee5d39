// ObjectParser, part 2: one function per Kubernetes kind.
#include "scenario/object_parser.hpp"

#include <algorithm>
#include <set>

#include "controllers/cron_schedule.hpp"
#include "model/quota_evaluator.hpp"
#include "scenario/names.hpp"

namespace gpusim::scenario {
namespace {

constexpr std::int32_t kHighestUserDefinablePriority = 1'000'000'000;

std::string describe_object(const char* kind, const ObjectMeta& m) {
  if (m.name.empty()) return std::string("the ") + kind + " template";
  return std::string(kind) + " " + m.key();
}

// ValidatePositiveIntOrPercent (+ IsNotMoreThan100Percent). Returns the value as a count or a
// percentage for the both-zero check; nullopt when invalid.
std::optional<std::int32_t> check_int_or_percent(const Value& v, const IntOrString& x,
                                                 bool max_100_percent) {
  if (!x.is_string) {
    if (x.int_value < 0) {
      v.error("must be greater than or equal to 0");
      return std::nullopt;
    }
    return x.int_value;
  }
  const std::string& s = x.str_value;
  bool ok = s.size() >= 2 && s.size() <= 11 && s.back() == '%';
  for (std::size_t i = 0; ok && i + 1 < s.size(); ++i)
    ok = s[i] >= '0' && s[i] <= '9';
  if (!ok) {
    v.error("invalid value \"" + s + "\": must be an integer or percentage (e.g. '5%')");
    return std::nullopt;
  }
  const long long pct = std::stoll(s.substr(0, s.size() - 1));
  if (max_100_percent && pct > 100) {
    v.error("must not be greater than 100%");
    return std::nullopt;
  }
  return static_cast<std::int32_t>(std::min<long long>(pct, 1'000'000'000));
}

}  // namespace

// ---- v1 ----------------------------------------------------------------------------------------

Node ObjectParser::node(const Value& object, ObjectMode mode) {
  Node n;
  Fields f(object);
  if (!f.ok()) return n;
  n.meta = meta(f, false, mode, "Node");
  f.ignore({"apiVersion", "kind"});
  {
    Fields spec(f.get("spec"));
    n.taints = taints(spec.get("taints"));
    if (auto b = spec.get("unschedulable").boolean()) n.unschedulable = *b;
    spec.ignore(
        {"podCIDR", "podCIDRs", "providerID", "externalID", "configSource", "doNotUseExternalID"});
  }
  const Value status = f.required("status", "a node needs status.capacity (cpu, memory, ...)");
  Fields st(status);
  const Value capacity =
      st.required("capacity", "e.g. {cpu: \"32\", memory: 256Gi, pods: \"110\"}");
  const Value allocatable = st.get("allocatable");
  n.capacity = resources(capacity, "node");
  n.allocatable = resources(allocatable, "node");
  if (!n.capacity.count(kResourcePods) && !n.allocatable.count(kResourcePods)) {
    n.capacity.emplace(std::string(kResourcePods), Quantity::from_int(110));  // kubelet's maxPods
  }
  for (const auto& [name, q] : n.allocatable) {
    auto cap = n.capacity.find(name);
    if (cap != n.capacity.end() && cap->second < q) {
      entry(allocatable, name)
          .error("allocatable " + name + " (" + q.str() + ") is more than capacity (" +
                 cap->second.str() + ")");
    }
  }
  for (const auto& [name, q] : n.capacity)
    n.allocatable.emplace(name, q);
  for (const Value& c : st.get("conditions").items()) {
    Fields cf(c);
    const auto type = cf.get("type").str();
    const auto value = cf.get("status").str();
    if (type && *type == "Ready" && value) {
      n.ready = *value == "True";
      n.ready_unknown = *value == "Unknown";
    }
    cf.accept_all();
  }
  for (const Value& image : st.get("images").items()) {
    Fields imf(image);
    const auto names = imf.get("names").string_list();
    if (names) n.images.insert(n.images.end(), names->begin(), names->end());
    // ImageLocality weighs images by this size, as upstream's scheduler cache does.
    const Value size = imf.get("sizeBytes");
    if (auto bytes = size.i64()) {
      if (*bytes < 0) {
        size.error("must not be negative");
      } else if (names) {
        for (const auto& name : *names)
          n.image_size_bytes.emplace(name, *bytes);
      }
    }
  }
  st.ignore({"addresses", "daemonEndpoints", "nodeInfo", "phase", "volumesInUse", "volumesAttached",
             "config", "runtimeHandlers", "features"});
  return n;
}

Pod ObjectParser::pod(const Value& object, ObjectMode mode) {
  Pod p;
  Fields f(object);
  if (!f.ok()) return p;
  const ObjectMeta m = meta(f, true, mode, "Pod");
  f.ignore({"apiVersion", "kind", "status"});
  p.name = m.name;
  p.namespace_ = m.namespace_;
  p.owner = m.owner;
  PodTemplate t;
  t.labels = m.labels;
  t.annotations = m.annotations;
  t.spec = pod_spec(f.required("spec"), TemplateOwner::kPod, describe_object("Pod", m));
  const Value at = entry(f.get("metadata"), "annotations");
  check_timing_annotations(t, at);
  try {
    p.tmpl = make_template(std::move(t));
  } catch (const std::invalid_argument& e) {
    if (gpusim_annotation_errors_ == 0) at.error(e.what());
  }
  return p;
}

Namespace ObjectParser::namespace_object(const Value& object) {
  Namespace ns;
  Fields f(object);
  if (!f.ok()) return ns;
  ns.meta = meta(f, false, ObjectMode::kManifest, "Namespace");
  f.ignore({"apiVersion", "kind", "spec", "status"});
  return ns;
}

ResourceQuota ObjectParser::resource_quota(const Value& object) {
  ResourceQuota q;
  Fields f(object);
  if (!f.ok()) return q;
  q.meta = meta(f, true, ObjectMode::kManifest, "ResourceQuota");
  f.ignore({"apiVersion", "kind", "status"});
  Fields spec(f.get("spec"));
  const Value hard = spec.get("hard");
  q.hard = resources(hard, "quota");
  // Counts of objects gpusim does not keep (Services, ConfigMaps, ...) never change: a CI gate
  // on them would pass silently.
  static const std::set<std::string> kLegacyCounts{
      "services",   "services.loadbalancers", "services.nodeports",     "secrets",
      "configmaps", "persistentvolumeclaims", "replicationcontrollers", "resourcequotas"};
  for (const auto& [name, value] : q.hard) {
    if ((name.starts_with("count/") && name != kCountPods && !counted_kind(name)) ||
        kLegacyCounts.count(name)) {
      entry(hard, name)
          .warning("\"" + name + "\" is not enforced: gpusim does not simulate those objects",
                   "counted are count/pods, count/deployments.apps, count/replicasets.apps, "
                   "count/jobs.batch, count/cronjobs.batch, "
                   "count/horizontalpodautoscalers.autoscaling, count/poddisruptionbudgets.policy "
                   "and count/pytorchjobs.kubeflow.org");
    }
  }
  static const std::vector<std::string> kScopes{"Terminating",   "NotTerminating",
                                                "BestEffort",    "NotBestEffort",
                                                "PriorityClass", "CrossNamespacePodAffinity"};
  std::vector<std::pair<std::string, Value>> used_scopes;
  for (const Value& s : spec.get("scopes").items()) {
    auto name = s.str();
    if (!name) continue;
    if (std::find(kScopes.begin(), kScopes.end(), *name) == kScopes.end()) {
      s.unsupported(*name, kScopes);
      continue;
    }
    q.scopes.push_back(*name);
    used_scopes.emplace_back(*name, s);
  }
  {
    Fields sel(spec.get("scopeSelector"));
    for (const Value& e : sel.get("matchExpressions").items()) {
      Fields ef(e);
      if (!ef.ok()) continue;
      ScopedResourceSelectorRequirement r;
      const Value scope = ef.required("scopeName");
      if (auto name = scope.str()) {
        if (std::find(kScopes.begin(), kScopes.end(), *name) == kScopes.end()) {
          scope.unsupported(*name, kScopes);
        } else {
          r.scope_name = *name;
          used_scopes.emplace_back(*name, scope);
        }
      }
      const Value op = ef.required("operator");
      auto o = op.one_of<SelectorOperator>({{"In", SelectorOperator::kIn},
                                            {"NotIn", SelectorOperator::kNotIn},
                                            {"Exists", SelectorOperator::kExists},
                                            {"DoesNotExist", SelectorOperator::kDoesNotExist}});
      const Value values = ef.get("values");
      if (auto vs = values.string_list()) r.values = *vs;
      if (o) {
        r.op = *o;
        const bool needs = *o == SelectorOperator::kIn || *o == SelectorOperator::kNotIn;
        if (r.scope_name != "PriorityClass" && !r.scope_name.empty() &&
            *o != SelectorOperator::kExists) {
          op.error(
              "must be 'Exists' when scope is any of Terminating, NotTerminating, "
              "BestEffort, NotBestEffort or CrossNamespacePodAffinity");
        } else if (needs && r.values.empty()) {
          values.error("must be at least one value when `operator` is 'In' or 'NotIn'");
        } else if (!needs && !r.values.empty()) {
          values.error("must be no value when `operator` is 'Exist' or 'DoesNotExist'");
        }
      }
      q.scope_selector.push_back(std::move(r));
    }
  }
  auto has = [&](const char* s) {
    return std::any_of(used_scopes.begin(), used_scopes.end(),
                       [&](const auto& u) { return u.first == s; });
  };
  auto conflict = [&](const char* a, const char* b) {
    if (!has(a) || !has(b)) return;
    for (const auto& [name, v] : used_scopes) {
      if (name == b) {
        v.error(std::string("conflicting scopes: ") + a + " and " + b + " cannot both apply",
                "split it into two ResourceQuotas");
        return;
      }
    }
  };
  conflict("Terminating", "NotTerminating");
  conflict("BestEffort", "NotBestEffort");
  // Which resources a scoped quota may limit (names with a '/' are not checked upstream).
  for (const auto& [name, unused] : q.hard) {
    if (name.find('/') != std::string::npos || used_scopes.empty()) continue;
    static const std::vector<std::string> kComputeNames{
        "pods", "cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"};
    for (const auto& [scope, v] : used_scopes) {
      const bool ok = scope == "BestEffort" ? name == "pods"
                                            : std::find(kComputeNames.begin(), kComputeNames.end(),
                                                        name) != kComputeNames.end();
      if (!ok) {
        entry(hard, name)
            .error("unsupported scope applied to resource: scope " + scope + " cannot limit " +
                   name);
        break;
      }
    }
  }
  return q;
}

// ---- apps/v1 -----------------------------------------------------------------------------------

Deployment ObjectParser::deployment(const Value& object) {
  Deployment d;
  Fields f(object);
  if (!f.ok()) return d;
  d.meta = meta(f, true, ObjectMode::kManifest, "Deployment");
  f.ignore({"apiVersion", "kind", "status"});
  const std::string from = describe_object("Deployment", d.meta);
  Fields spec(f.required("spec"));
  d.replicas = spec.get("replicas").non_negative_i32();
  const Value selector = spec.required("selector", "apps/v1 needs spec.selector.matchLabels");
  const Value tmpl = spec.required("template");
  auto sel = label_selector(selector);
  if (sel) d.selector = *sel;
  auto t = pod_template(tmpl, TemplateOwner::kDeployment, d.meta, from);
  d.tmpl = t.tmpl;
  if (sel && tmpl.present()) check_selector_matches(selector, *sel, tmpl, t.labels);
  {
    const Value strategy = spec.get("strategy");
    Fields sf(strategy);
    const Value type = sf.get("type");
    if (auto ty = type.one_of<DeploymentStrategyType>(
            {{"RollingUpdate", DeploymentStrategyType::kRollingUpdate},
             {"Recreate", DeploymentStrategyType::kRecreate}})) {
      d.strategy.type = *ty;
    }
    const Value rolling = sf.get("rollingUpdate");
    if (d.strategy.type == DeploymentStrategyType::kRecreate) {
      if (rolling.present()) {
        rolling.error("may not be specified when strategy `type` is 'Recreate'");
      }
    } else {
      Fields rf(rolling);
      const Value surge = rf.get("maxSurge");
      const Value unavailable = rf.get("maxUnavailable");
      std::optional<std::int32_t> surge_n = 25;
      std::optional<std::int32_t> unavailable_n = 25;
      if (auto x = surge.int_or_string()) {
        d.strategy.max_surge = *x;
        surge_n = check_int_or_percent(surge, *x, false);
      }
      if (auto x = unavailable.int_or_string()) {
        d.strategy.max_unavailable = *x;
        unavailable_n = check_int_or_percent(unavailable, *x, true);
      }
      if (surge_n && unavailable_n && *surge_n == 0 && *unavailable_n == 0) {
        (unavailable.present() ? unavailable : surge)
            .error("may not be 0 when `maxSurge` is 0",
                   "a rollout needs room: allow maxSurge or maxUnavailable of at least 1");
      }
    }
  }
  if (auto n = spec.get("minReadySeconds").non_negative_i32()) d.min_ready_s = *n;
  if (auto n = spec.get("revisionHistoryLimit").non_negative_i32()) d.revision_history_limit = *n;
  const Value deadline = spec.get("progressDeadlineSeconds");
  if (auto n = deadline.non_negative_i32()) {
    d.progress_deadline_s = *n;
    if (*n <= d.min_ready_s) {
      deadline.error("must be greater than minReadySeconds (" + std::to_string(d.min_ready_s) +
                     ")");
    }
  }
  if (auto b = spec.get("paused").boolean()) d.paused = *b;
  spec.ignore({"rollbackTo"});
  return d;
}

ReplicaSet ObjectParser::replica_set(const Value& object) {
  ReplicaSet rs;
  Fields f(object);
  if (!f.ok()) return rs;
  rs.meta = meta(f, true, ObjectMode::kManifest, "ReplicaSet");
  f.ignore({"apiVersion", "kind", "status"});
  const std::string from = describe_object("ReplicaSet", rs.meta);
  Fields spec(f.required("spec"));
  if (auto n = spec.get("replicas").non_negative_i32()) rs.replicas = *n;
  const Value selector = spec.required("selector");
  const Value tmpl = spec.required("template");
  auto sel = label_selector(selector);
  if (sel) rs.selector = *sel;
  auto t = pod_template(tmpl, TemplateOwner::kReplicaSet, rs.meta, from);
  rs.tmpl = t.tmpl;
  if (sel && tmpl.present()) check_selector_matches(selector, *sel, tmpl, t.labels);
  if (auto n = spec.get("minReadySeconds").non_negative_i32()) rs.min_ready_s = *n;
  return rs;
}

// ---- batch/v1 ----------------------------------------------------------------------------------

JobSpec ObjectParser::job_spec(const Value& v, const ObjectMeta& workload,
                               const std::string& from) {
  JobSpec js;
  Fields f(v);
  if (!f.ok()) return js;
  js.parallelism = 1;
  if (auto n = f.get("parallelism").non_negative_i32()) js.parallelism = *n;
  js.completions = f.get("completions").non_negative_i32();
  const Value mode = f.get("completionMode");
  if (auto m = mode.one_of<CompletionMode>(
          {{"NonIndexed", CompletionMode::kNonIndexed}, {"Indexed", CompletionMode::kIndexed}})) {
    js.completion_mode = *m;
    if (*m == CompletionMode::kIndexed && !js.completions) {
      mode.error("an Indexed Job needs spec.completions");
    }
  }
  if (auto p = f.get("podReplacementPolicy")
                   .one_of<PodReplacementPolicy>(
                       {{"TerminatingOrFailed", PodReplacementPolicy::kTerminatingOrFailed},
                        {"Failed", PodReplacementPolicy::kFailed}})) {
    js.pod_replacement_policy = *p;
  }
  if (auto n = f.get("backoffLimit").non_negative_i32()) js.backoff_limit = *n;
  js.active_deadline_s = f.get("activeDeadlineSeconds").non_negative_i64();
  js.ttl_seconds_after_finished = f.get("ttlSecondsAfterFinished").non_negative_i64();
  if (auto b = f.get("suspend").boolean()) js.suspend = *b;
  const Value selector = f.get("selector");
  const Value manual = f.get("manualSelector");
  const bool manual_selector = manual.boolean().value_or(false);
  const Value tmpl = f.required("template");
  auto t = pod_template(tmpl, TemplateOwner::kJob, workload, from);
  js.tmpl = t.tmpl;
  if (selector.present()) {
    if (!manual_selector) {
      selector.error("`selector` not auto-generated",
                     "remove spec.selector (the Job controller makes one) or set "
                     "spec.manualSelector: true");
    } else if (auto sel = label_selector(selector)) {
      js.selector = *sel;
      if (tmpl.present()) check_selector_matches(selector, *sel, tmpl, t.labels);
    }
  } else if (manual_selector) {
    selector.error("required value is missing when spec.manualSelector is true");
  }
  f.ignore({"managedBy"});
  f.ignore_with_warning("podFailurePolicy", "podFailurePolicy (every failure counts)");
  f.ignore_with_warning("backoffLimitPerIndex", "backoffLimitPerIndex");
  f.ignore_with_warning("maxFailedIndexes", "maxFailedIndexes");
  f.ignore_with_warning("successPolicy", "successPolicy");
  return js;
}

Job ObjectParser::job(const Value& object, ObjectMode mode) {
  Job j;
  Fields f(object);
  if (!f.ok()) return j;
  j.meta = meta(f, true, mode, "Job");
  f.ignore({"apiVersion", "kind"});
  j.spec = job_spec(f.required("spec"), j.meta, describe_object("Job", j.meta));
  j.status = job_progress(f.get("status"), j.spec);
  return j;
}

// A Job's status.succeeded / failed / completedIndexes, as a restarted Job controller takes them
// over: what finished before the simulation starts counts (an imported Job goes on from where the
// live one was). The rest of the status the controller writes itself.
JobStatus ObjectParser::job_progress(const Value& v, const JobSpec& spec) {
  JobStatus st;
  Fields f(v);
  if (!f.ok()) return st;
  f.accept_all();
  const Value succeeded = f.get("succeeded");
  if (auto n = succeeded.non_negative_i32()) st.succeeded = *n;
  if (auto n = f.get("failed").non_negative_i32()) st.failed = *n;
  const bool indexed = spec.completion_mode == CompletionMode::kIndexed;
  const std::int32_t completions = spec.completions.value_or(0);
  const Value indexes = f.get("completedIndexes");
  if (indexes.present()) {
    if (!indexed) {
      indexes.error("only an Indexed Job has completed indexes");
    } else if (auto text = indexes.str()) {
      // The API's interval list: "1,3-5,7".
      std::vector<std::int32_t> out;
      std::size_t at = 0;
      bool bad = text->empty();
      while (!bad && at <= text->size()) {
        const std::size_t comma = std::min(text->find(',', at), text->size());
        const std::string part = text->substr(at, comma - at);
        const std::size_t dash = part.find('-');
        auto number = [&](const std::string& s) -> std::int32_t {
          if (s.empty() || s.size() > 9 ||
              !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            bad = true;
            return -1;
          }
          return std::stoi(s);
        };
        const std::int32_t lo = number(part.substr(0, dash));
        const std::int32_t hi = dash == std::string::npos ? lo : number(part.substr(dash + 1));
        if (bad || hi < lo || hi >= completions || (!out.empty() && lo <= out.back())) {
          bad = true;
          break;
        }
        for (std::int32_t i = lo; i <= hi; ++i)
          out.push_back(i);
        at = comma + 1;
      }
      if (bad) {
        indexes.error("invalid completed indexes \"" + *text + "\"",
                      "ascending indexes and ranges such as \"0,2-3\", each below "
                      "spec.completions (" +
                          std::to_string(completions) + ")");
      } else {
        st.completed_indexes = std::move(out);
      }
    }
  }
  if (indexed) {
    // The controller counts an Indexed Job's successes by its completed indexes.
    st.succeeded = static_cast<std::int32_t>(st.completed_indexes.size());
  } else if (spec.completions && st.succeeded > *spec.completions) {
    succeeded.error("must be at most spec.completions (" + std::to_string(*spec.completions) + ")");
  }
  return st;
}

CronJob ObjectParser::cron_job(const Value& object) {
  CronJob cj;
  Fields f(object);
  if (!f.ok()) return cj;
  cj.meta = meta(f, true, ObjectMode::kManifest, "CronJob");
  f.ignore({"apiVersion", "kind", "status"});
  if (cj.meta.name.size() > 52) {
    entry(f.get("metadata"), "name")
        .error("must be no more than 52 characters", "the Jobs it creates append 11 characters");
  }
  Fields spec(f.required("spec"));
  // The schedule must parse as the API server's cron parser reads it (the CronJob
  // controller's own parser).
  const Value schedule = spec.required("schedule", "cron syntax, e.g. \"*/15 * * * *\"");
  if (auto s = schedule.str()) {
    cj.schedule = *s;
    std::string why;
    if (!ctrl::CronSchedule::parse(*s, &why)) {
      schedule.error("invalid schedule \"" + *s + "\": " + why,
                     "five fields (minute hour day-of-month month day-of-week), or @hourly, "
                     "@daily, @weekly, @monthly, @yearly, @every <duration>");
    }
  }
  const Value time_zone = spec.get("timeZone");
  if (auto s = time_zone.str()) {
    cj.time_zone = *s;
    if (!s->empty() && *s != "UTC" && *s != "Etc/UTC") {
      time_zone.warning("time zone \"" + *s + "\" is not simulated: the schedule runs in UTC");
    }
  }
  if (auto p = spec.get("concurrencyPolicy")
                   .one_of<ConcurrencyPolicy>({{"Allow", ConcurrencyPolicy::kAllow},
                                               {"Forbid", ConcurrencyPolicy::kForbid},
                                               {"Replace", ConcurrencyPolicy::kReplace}})) {
    cj.concurrency_policy = *p;
  }
  cj.starting_deadline_s = spec.get("startingDeadlineSeconds").non_negative_i64();
  if (auto b = spec.get("suspend").boolean()) cj.suspend = *b;
  if (auto n = spec.get("successfulJobsHistoryLimit").non_negative_i32()) {
    cj.successful_jobs_history_limit = *n;
  }
  if (auto n = spec.get("failedJobsHistoryLimit").non_negative_i32()) {
    cj.failed_jobs_history_limit = *n;
  }
  Fields jt(spec.required("jobTemplate"));
  if (jt.ok()) {
    Fields jm(jt.get("metadata"));
    cj.job_template.labels = labels(jm.get("labels"));
    cj.job_template.annotations = annotations(jm.get("annotations"));
    jm.ignore({"name", "generateName", "namespace", "uid", "resourceVersion", "generation",
               "creationTimestamp", "ownerReferences", "finalizers"});
    ObjectMeta workload;
    workload.annotations = cj.job_template.annotations;
    for (const auto& [k, val] : cj.meta.annotations)
      workload.annotations.emplace(k, val);
    cj.job_template.spec =
        job_spec(jt.required("spec"), workload, describe_object("CronJob", cj.meta));
  }
  return cj;
}

// ---- kubeflow.org/v1 ---------------------------------------------------------------------------

PodGroup ObjectParser::pod_group(const Value& object) {
  PodGroup g;
  Fields f(object);
  if (!f.ok()) return g;
  g.meta = meta(f, true, ObjectMode::kManifest, "PodGroup");
  f.ignore({"apiVersion", "kind", "status"});
  Fields spec(f.required("spec"));
  const Value min_member = spec.required("minMember");
  if (auto n = min_member.i32()) {
    if (*n < 1) {
      min_member.error("must be greater than or equal to 1");
    } else {
      g.min_member = *n;
    }
  }
  const Value timeout = spec.get("scheduleTimeoutSeconds");
  if (auto n = timeout.i32()) {
    if (*n < 1) {
      timeout.error("must be greater than 0");
    } else {
      g.schedule_timeout_s = *n;
    }
  }
  const Value min_resources = spec.get("minResources");
  if (min_resources.present()) {
    // Read for its syntax only: Coscheduling's PreFilter check of minResources against the
    // cluster's free capacity is not simulated.
    (void)resources(min_resources, "minResources");
    min_resources.warning("is not simulated: only minMember gates the group",
                          "the group waits for minMember pods whatever their requests");
  }
  return g;
}

PyTorchJob ObjectParser::pytorch_job(const Value& object, ObjectMode mode) {
  PyTorchJob pj;
  Fields f(object);
  if (!f.ok()) return pj;
  pj.meta = meta(f, true, mode, "PyTorchJob");
  f.ignore({"apiVersion", "kind", "status"});
  const std::string from = describe_object("PyTorchJob", pj.meta);
  Fields spec(f.required("spec"));
  const Value replica_specs = spec.required("pytorchReplicaSpecs");
  Fields rs(replica_specs);
  for (const char* type : {"Master", "Worker"}) {
    const Value v = rs.get(type);
    if (!v.present()) continue;
    Fields r(v);
    if (!r.ok()) continue;
    ReplicaSpec out;
    const Value replicas = r.get("replicas");
    if (auto n = replicas.non_negative_i32()) out.replicas = *n;
    if (std::string(type) == "Master" && out.replicas != 1) {
      (replicas.present() ? replicas : v).error("there must be exactly 1 Master replica");
    }
    const Value restart = r.get("restartPolicy");
    RestartPolicy pod_restart = RestartPolicy::kOnFailure;
    if (auto s = restart.str()) {
      if (*s == "Always") {
        out.restart_policy = pod_restart = RestartPolicy::kAlways;
      } else if (*s == "OnFailure") {
        out.restart_policy = pod_restart = RestartPolicy::kOnFailure;
      } else if (*s == "Never") {
        out.restart_policy = pod_restart = RestartPolicy::kNever;
      } else if (*s == "ExitCode") {
        // The operator restarts pods that exit with a retryable code (>128); simulated pods exit
        // 0 or are killed, so the operator's OnFailure handling is the closest behaviour.
        out.restart_policy = RestartPolicy::kOnFailure;
        out.exit_code = true;
        pod_restart = RestartPolicy::kNever;
      } else {
        restart.unsupported(*s, {"Always", "OnFailure", "Never", "ExitCode"});
      }
    }
    const Value tmpl = r.required("template");
    auto t = pod_template(tmpl, TemplateOwner::kPyTorchJob, pj.meta, from, pod_restart);
    out.tmpl = t.tmpl;
    if (t.tmpl) {
      const auto& cs = t.tmpl->spec.containers;
      if (!cs.empty() && std::none_of(cs.begin(), cs.end(),
                                      [](const Container& c) { return c.name == "pytorch"; })) {
        entry(entry(tmpl, "spec"), "containers")
            .error("there is no container named \"pytorch\"",
                   "the training operator runs the container named pytorch");
      }
    }
    pj.replica_specs.emplace(type, std::move(out));
  }
  if (rs.ok() && pj.replica_specs.empty()) {
    replica_specs.error("needs a Master or Worker replica spec");
  }
  {
    Fields rp(spec.get("runPolicy"));
    pj.active_deadline_s = rp.get("activeDeadlineSeconds").non_negative_i64();
    if (auto n = rp.get("backoffLimit").non_negative_i32()) pj.backoff_limit = *n;
    Fields sp(rp.get("schedulingPolicy"));
    const Value min_available = sp.get("minAvailable");
    if (auto n = min_available.i32()) {
      if (*n < 1) min_available.error("must be greater than 0");
      pj.min_available = *n;
    }
    const Value pc = sp.get("priorityClass");
    if (auto s = pc.str(); s && !s->empty()) {
      pj.priority_class_name = *s;
      refs_.priority_classes.push_back({*s, {}, "PriorityClass", from, pc.location(), pc.path()});
    }
    pj.schedule_timeout_s = sp.get("scheduleTimeoutSeconds").non_negative_i64();
    sp.ignore({"queue", "minResources"});
    rp.ignore({"cleanPodPolicy", "ttlSecondsAfterFinished", "managedBy"});
    rp.ignore_with_warning("suspend", "suspending a PyTorchJob");
  }
  spec.ignore({"nprocPerNode"});
  spec.ignore_with_warning("elasticPolicy", "elastic training");
  return pj;
}

// ---- autoscaling/v2 ----------------------------------------------------------------------------

std::optional<MetricTarget> ObjectParser::metric_target(const Value& v,
                                                        const std::vector<std::string>& allowed) {
  Fields f(v);
  if (!f.ok()) return std::nullopt;
  MetricTarget t;
  const Value type = f.required("type");
  const Value utilization = f.get("averageUtilization");
  const Value value = f.get("value");
  const Value average = f.get("averageValue");
  t.average_utilization = utilization.i32();
  t.value = value.quantity();
  t.average_value = average.quantity();
  auto s = type.str();
  if (!s) return t;
  if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
    type.unsupported(*s, allowed);
    return t;
  }
  if (*s == "Utilization") {
    t.type = MetricTargetType::kUtilization;
    if (!t.average_utilization) {
      utilization.error("must be set when type is Utilization");
    } else if (*t.average_utilization <= 0) {
      utilization.error("must be greater than 0");
    }
  } else if (*s == "Value") {
    t.type = MetricTargetType::kValue;
    if (!t.value) {
      value.error("must be set when type is Value");
    } else if (t.value->sign() <= 0) {
      value.error("must be positive");
    }
  } else {
    t.type = MetricTargetType::kAverageValue;
    if (!t.average_value) {
      average.error("must be set when type is AverageValue");
    } else if (t.average_value->sign() <= 0) {
      average.error("must be positive");
    }
  }
  return t;
}

std::optional<MetricSpec> ObjectParser::metric(const Value& v) {
  Fields f(v);
  if (!f.ok()) return std::nullopt;
  MetricSpec m;
  const Value type = f.required("type");
  static const std::vector<std::pair<std::string, MetricSourceType>> kTypes{
      {"Resource", MetricSourceType::kResource},
      {"ContainerResource", MetricSourceType::kContainerResource},
      {"Pods", MetricSourceType::kPods},
      {"Object", MetricSourceType::kObject},
      {"External", MetricSourceType::kExternal}};
  static const std::vector<std::pair<std::string, std::string>> kSourceField{
      {"Resource", "resource"},
      {"ContainerResource", "containerResource"},
      {"Pods", "pods"},
      {"Object", "object"},
      {"External", "external"}};
  std::vector<Value> sources;
  for (const auto& [t, field] : kSourceField)
    sources.push_back(f.get(field));
  auto s = type.str();
  if (!s) return std::nullopt;
  std::size_t index = kTypes.size();
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i].first == *s) index = i;
  }
  if (index == kTypes.size()) {
    std::vector<std::string> names;
    for (const auto& [n, t] : kTypes)
      names.push_back(n);
    type.unsupported(*s, names);
    return std::nullopt;
  }
  m.type = kTypes[index].second;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (i != index && sources[i].present()) {
      sources[i].error("must populate the given metric source only (type is " + *s + ")");
    }
  }
  const Value& src = sources[index];
  if (!src.present()) {
    src.error("must populate information for the given metric source");
    return m;
  }
  Fields sf(src);
  auto metric_identifier = [&](const Value& mv) {
    Fields mf(mv);
    if (auto n = mf.required("name").str()) m.metric_name = *n;
    m.metric_selector = label_selector(mf.get("selector"));
  };
  switch (m.type) {
    case MetricSourceType::kResource:
    case MetricSourceType::kContainerResource: {
      const Value name = sf.required("name");
      if (auto n = name.str()) {
        m.resource_name = *n;
        if (*n != kCpu && *n != kMemory) {
          name.warning("only cpu and memory usage are simulated; this metric reads as missing");
        }
      }
      if (m.type == MetricSourceType::kContainerResource) {
        if (auto c = sf.required("container").str()) m.container = *c;
      }
      if (auto t = metric_target(sf.required("target"), {"Utilization", "AverageValue"})) {
        m.target = *t;
      }
      break;
    }
    case MetricSourceType::kPods:
      metric_identifier(sf.required("metric"));
      if (auto t = metric_target(sf.required("target"), {"AverageValue"})) m.target = *t;
      break;
    case MetricSourceType::kObject: {
      Fields d(sf.required("describedObject"));
      if (auto k = d.required("kind").str()) m.described_object.kind = *k;
      if (auto n = d.required("name").str()) m.described_object.name = *n;
      if (auto a = d.get("apiVersion").str()) m.described_object.api_version = *a;
      metric_identifier(sf.required("metric"));
      if (auto t = metric_target(sf.required("target"), {"Value", "AverageValue"})) m.target = *t;
      break;
    }
    case MetricSourceType::kExternal:
      metric_identifier(sf.required("metric"));
      if (auto t = metric_target(sf.required("target"), {"Value", "AverageValue"})) m.target = *t;
      break;
  }
  return m;
}

std::optional<ScalingRules> ObjectParser::scaling_rules(const Value& v, bool up) {
  ScalingRules r;
  Fields f(v);
  if (v.present() && !f.ok()) return std::nullopt;
  const Value window = f.get("stabilizationWindowSeconds");
  if (auto n = window.i32()) {
    if (*n < 0 || *n > 3600) window.error("must be between 0 and 3600 seconds");
    r.stabilization_window_s = *n;
  }
  r.select_policy = f.get("selectPolicy")
                        .one_of<SelectPolicy>({{"Max", SelectPolicy::kMax},
                                               {"Min", SelectPolicy::kMin},
                                               {"Disabled", SelectPolicy::kDisabled}});
  for (const Value& item : f.get("policies").items()) {
    Fields pf(item);
    if (!pf.ok()) continue;
    ScalingPolicy p;
    if (auto t = pf.required("type").one_of<ScalingPolicyType>(
            {{"Pods", ScalingPolicyType::kPods}, {"Percent", ScalingPolicyType::kPercent}})) {
      p.type = *t;
    }
    const Value value = pf.required("value");
    if (auto n = value.i32()) {
      if (*n <= 0) value.error("must be greater than zero");
      p.value = *n;
    }
    const Value period = pf.required("periodSeconds");
    if (auto n = period.i32()) {
      if (*n <= 0 || *n > 1800)
        period.error("must be greater than zero and less than or equal to 1800");
      p.period_s = *n;
    }
    r.policies.push_back(p);
  }
  const Value tolerance = f.get("tolerance");
  if (auto q = tolerance.quantity()) {
    if (q->sign() < 0) tolerance.error("must be greater than or equal to 0");
    r.tolerance = *q;
  }
  // SetDefaults_HorizontalPodAutoscalerBehavior: the scale-down window stays unset so that the
  // controller's own default (300 s) applies.
  if (up && !r.stabilization_window_s) r.stabilization_window_s = 0;
  if (!r.select_policy) r.select_policy = SelectPolicy::kMax;
  if (r.policies.empty()) {
    if (up) {
      r.policies = {{ScalingPolicyType::kPods, 4, 15}, {ScalingPolicyType::kPercent, 100, 15}};
    } else {
      r.policies = {{ScalingPolicyType::kPercent, 100, 15}};
    }
  }
  return r;
}

HorizontalPodAutoscaler ObjectParser::hpa(const Value& object) {
  HorizontalPodAutoscaler h;
  Fields f(object);
  if (!f.ok()) return h;
  h.meta = meta(f, true, ObjectMode::kManifest, "HorizontalPodAutoscaler");
  f.ignore({"apiVersion", "kind", "status"});
  const std::string from = describe_object("HorizontalPodAutoscaler", h.meta);
  Fields spec(f.required("spec"));
  {
    const Value ref = spec.required("scaleTargetRef");
    Fields rf(ref);
    const Value kind = rf.required("kind");
    const Value name = rf.required("name");
    if (auto s = kind.str()) {
      if (*s == "Deployment" || *s == "ReplicaSet") {
        h.scale_target_ref.kind = *s;
      } else {
        kind.error("unsupported value \"" + *s + "\": gpusim scales \"Deployment\" and " +
                       "\"ReplicaSet\" targets",
                   "point the HPA at a Deployment");
      }
    }
    if (auto s = name.str()) h.scale_target_ref.name = *s;
    if (auto s = rf.get("apiVersion").str()) h.scale_target_ref.api_version = *s;
    if (!h.scale_target_ref.kind.empty() && !h.scale_target_ref.name.empty()) {
      refs_.scale_targets.push_back({h.scale_target_ref.name, h.meta.namespace_,
                                     h.scale_target_ref.kind, from, name.location(), name.path()});
    }
  }
  const Value min = spec.get("minReplicas");
  const Value max = spec.required("maxReplicas");
  h.min_replicas = 1;
  if (auto n = min.i32()) {
    h.min_replicas = *n;
    if (*n < 0) {
      min.error("must be greater than or equal to 1");
    } else if (*n == 0) {
      refs_.scale_to_zero.push_back(
          {h.meta.name, h.meta.namespace_, "", from, min.location(), min.path()});
    }
  }
  if (auto n = max.i32()) {
    h.max_replicas = *n;
    // Both, as upstream's ValidateHorizontalPodAutoscalerSpec reports them.
    if (*n < 1) max.error("must be greater than 0");
    if (*n < *h.min_replicas) {
      max.error("must be greater than or equal to `minReplicas` (" +
                    std::to_string(*h.min_replicas) + ")",
                "raise maxReplicas or lower minReplicas");
    }
  }
  for (const Value& item : spec.get("metrics").items()) {
    if (auto m = metric(item)) h.metrics.push_back(std::move(*m));
  }
  if (h.metrics.empty()) {
    MetricSpec cpu;
    cpu.type = MetricSourceType::kResource;
    cpu.resource_name = std::string(kCpu);
    cpu.target.type = MetricTargetType::kUtilization;
    cpu.target.average_utilization = 80;
    h.metrics.push_back(cpu);
  }
  if (h.min_replicas == 0) {
    const bool object_or_external =
        std::any_of(h.metrics.begin(), h.metrics.end(), [](const MetricSpec& m) {
          return m.type == MetricSourceType::kObject || m.type == MetricSourceType::kExternal;
        });
    if (!object_or_external) {
      min.error("minReplicas 0 needs at least one Object or External metric");
    }
  }
  const Value behavior = spec.get("behavior");
  if (behavior.present()) {
    Fields bf(behavior);
    if (bf.ok()) {
      HpaBehavior b;
      b.scale_up = scaling_rules(bf.get("scaleUp"), true);
      b.scale_down = scaling_rules(bf.get("scaleDown"), false);
      h.behavior = std::move(b);
    }
  }
  return h;
}

// ---- scheduling.k8s.io/v1, policy/v1 -----------------------------------------------------------

PriorityClass ObjectParser::priority_class(const Value& object) {
  PriorityClass pc;
  Fields f(object);
  if (!f.ok()) return pc;
  pc.meta = meta(f, false, ObjectMode::kManifest, "PriorityClass");
  f.ignore({"apiVersion", "kind"});
  if (pc.meta.name.rfind("system-", 0) == 0) {
    entry(f.get("metadata"), "name")
        .error("priority class names with the \"system-\" prefix are reserved",
               "system-cluster-critical and system-node-critical are built in");
  }
  const Value value = f.required("value");
  if (auto n = value.i32()) {
    pc.value = *n;
    if (*n > kHighestUserDefinablePriority) {
      value.error("must not be greater than 1000000000 (the highest user-definable priority)");
    }
  }
  if (auto b = f.get("globalDefault").boolean()) pc.global_default = *b;
  if (auto s = f.get("description").str()) pc.description = *s;
  if (auto p = f.get("preemptionPolicy")
                   .one_of<PreemptionPolicy>(
                       {{"PreemptLowerPriority", PreemptionPolicy::kPreemptLowerPriority},
                        {"Never", PreemptionPolicy::kNever}})) {
    pc.preemption_policy = *p;
  }
  return pc;
}

std::optional<PodDisruptionBudget> ObjectParser::pdb(const Value& object) {
  PodDisruptionBudget p;
  Fields f(object);
  if (!f.ok()) return std::nullopt;
  p.meta = meta(f, true, ObjectMode::kManifest, "PodDisruptionBudget");
  f.ignore({"apiVersion", "kind", "status"});
  Fields spec(f.required("spec"));
  const Value min = spec.get("minAvailable");
  const Value max = spec.get("maxUnavailable");
  if (auto x = min.int_or_string()) {
    if (check_int_or_percent(min, *x, true)) p.min_available = *x;
  }
  if (auto x = max.int_or_string()) {
    if (check_int_or_percent(max, *x, true)) p.max_unavailable = *x;
  }
  if (min.present() && max.present()) {
    max.error("minAvailable and maxUnavailable cannot be both set", "keep one of them");
  }
  const Value selector = spec.get("selector");
  if (auto policy = spec.get("unhealthyPodEvictionPolicy")
                        .one_of<bool>({{"IfHealthyBudget", false}, {"AlwaysAllow", true}})) {
    p.always_allow_unhealthy = *policy;
  }
  auto sel = label_selector(selector);
  if (!selector.present()) {
    if (spec.ok()) {
      selector.warning("a PodDisruptionBudget without a selector selects no pods (ignored)");
    }
    return std::nullopt;
  }
  if (sel) p.selector = *sel;
  return p;
}

}  // namespace gpusim::scenario
