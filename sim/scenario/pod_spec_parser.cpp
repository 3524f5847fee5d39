// ObjectParser, part 1: metadata, pod templates and everything inside a PodSpec.
#include <algorithm>
#include <set>

#include "controllers/kubelet.hpp"
#include "controllers/metrics_pipeline.hpp"
#include "controllers/timings.hpp"
#include "core/distribution.hpp"
#include "core/duration.hpp"
#include "model/pod_resources.hpp"
#include "scenario/names.hpp"
#include "scenario/object_parser.hpp"
#include "scenario/resource_names.hpp"

namespace gpusim::scenario {
namespace {

constexpr const char* kAnnotationDuration = "gpusim.io/duration";
constexpr const char* kAnnotationStartup = "gpusim.io/startup";

// ObjectMeta fields the API server fills or that only matter to controllers gpusim does not run.
void ignore_server_meta(Fields& f) {
  f.ignore({"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
            "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields",
            "selfLink", "clusterName"});
}

// A taint's or toleration's `effect` (an error on `v` for any other word).
std::optional<TaintEffect> taint_effect(const Value& v) {
  return v.one_of<TaintEffect>({{"NoSchedule", TaintEffect::kNoSchedule},
                                {"PreferNoSchedule", TaintEffect::kPreferNoSchedule},
                                {"NoExecute", TaintEffect::kNoExecute}});
}

}  // namespace

const std::vector<std::string>& known_gpusim_annotations() {
  // The first five are checked here; the others belong to controllers that read (and check)
  // them at run time. Add an annotation here when a controller starts reading it.
  static const std::vector<std::string> names{kAnnotationDuration,
                                              kAnnotationStartup,
                                              kAnnotationGpuMilli,
                                              kAnnotationGpuCount,
                                              kAnnotationGpuModel,
                                              "gpusim.io/image-pull",
                                              "gpusim.io/image-size",
                                              "gpusim.io/init-duration",
                                              "gpusim.io/warmup",
                                              "gpusim.io/shutdown",
                                              "gpusim.io/failure-probability",
                                              "gpusim.io/hang-probability",
                                              "gpusim.io/failure-after",
                                              "gpusim.io/cpu-usage",
                                              "gpusim.io/memory-usage",
                                              "gpusim.io/kubelet-down"};
  return names;
}

Value entry(const Value& map, const std::string& key) {
  if (map.is_map()) {
    for (const auto& kv : map.node()) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) {
        const YAML::Node& v = kv.second;
        return Value(&map.doc(), v, child_path(map.path(), key),
                     v.IsNull() ? kv.first.Mark() : v.Mark());
      }
    }
  }
  return Value(&map.doc(), YAML::Node(YAML::NodeType::Null), child_path(map.path(), key),
               map.mark());
}

// ---- metadata ----------------------------------------------------------------------------------

Labels ObjectParser::labels(const Value& v) {
  auto m = v.string_map();
  if (!m) return {};
  for (const auto& kv : v.node()) {
    const std::string& key = kv.first.Scalar();
    const Value key_value(&v.doc(), kv.first, child_path(v.path(), key), kv.first.Mark());
    if (auto why = check_label_key(key); !why.empty()) {
      key_value.error("invalid label key \"" + key + "\": " + why);
    }
    auto found = m->find(key);
    if (found == m->end()) continue;
    if (auto why = check_label_value(found->second); !why.empty()) {
      entry(v, key).error("invalid label value \"" + found->second + "\": " + why);
    }
  }
  return *m;
}

Annotations ObjectParser::annotations(const Value& v) {
  auto m = v.string_map();
  if (!m) return {};
  for (const auto& kv : v.node()) {
    const std::string& key = kv.first.Scalar();
    const Value key_value(&v.doc(), kv.first, child_path(v.path(), key), kv.first.Mark());
    if (auto why = check_label_key(key); !why.empty()) {
      key_value.error("invalid annotation key \"" + key + "\": " + why);
      continue;
    }
    if (key.rfind("gpusim.io/", 0) != 0) continue;
    const auto& known = known_gpusim_annotations();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      const std::string near = closest_match(key, known);
      key_value.warning("unknown gpusim annotation \"" + key + "\" (ignored)",
                        near.empty() ? "see docs/scenario.md for the annotations gpusim reads"
                                     : "did you mean \"" + near + "\"?");
      continue;
    }
    auto found = m->find(key);
    if (found == m->end()) continue;
    const std::string& s = found->second;
    const Value at = entry(v, key);
    const std::size_t errors_before = v.doc().diagnostics().error_count();
    if (key == kAnnotationDuration) {
      std::string why;
      if (!DurationDistribution::parse(s, &why)) at.error(why);
    } else if (key == kAnnotationStartup) {
      auto ms = parse_duration_ms(s);
      if (!ms || *ms < 0) {
        at.error("invalid duration \"" + s + "\"",
                 "Go duration syntax such as 90s, 1h30m, 2d, or a whole number of seconds");
      }
    } else if (key == kAnnotationGpuMilli || key == kAnnotationGpuCount) {
      bool digits = !s.empty() && s.size() <= 9;
      for (char c : s)
        digits = digits && c >= '0' && c <= '9';
      if (!digits) {
        at.error("expected a non-negative integer, got \"" + s + "\"");
      } else if (key == kAnnotationGpuMilli && std::stol(s) > 1000) {
        at.error("gpu-milli is a share of one GPU and must be 0..1000, got " + s,
                 "ask for more than one device with nvidia.com/gpu or gpusim.io/gpu-count");
      }
    } else if (key == kAnnotationGpuModel) {
      if (s.find_first_not_of('|') == std::string::npos) {
        at.error("expected one or more GPU model names separated by '|', got \"" + s + "\"");
      }
    } else if (key == ctrl::kAnnotationKubeletDown) {
      at.warning(
          "gpusim sets this on a Node while its kubelet is down (a timeline fail); set by "
          "hand it only hides the node's pods from the metrics pipeline",
          "take a node down with a timeline entry: {at: 1h, action: fail, target: NODE}");
    } else if (key == ctrl::kAnnotationImageSize) {
      refs_.image_sizes.push_back({s, {}, {}, {}, at.location(), at.path()});
    } else if (key == ctrl::kAnnotationCpuUsage || key == ctrl::kAnnotationMemoryUsage) {
      // The metrics pipeline reads a value it cannot parse as no usage at all.
      const auto q = Quantity::parse(s);
      if (!q || q->sign() < 0) {
        at.error("expected a non-negative quantity, got \"" + s + "\"",
                 key == ctrl::kAnnotationCpuUsage ? "e.g. \"400m\" or \"1.5\"" : "e.g. \"1Gi\"");
      }
    }
    if (v.doc().diagnostics().error_count() != errors_before) ++gpusim_annotation_errors_;
  }
  return *m;
}

ObjectMeta ObjectParser::meta(Fields& object, bool namespaced, ObjectMode mode, const char* kind) {
  ObjectMeta m;
  m.source = object.self().location();
  const Value mv =
      mode == ObjectMode::kManifest ? object.required("metadata") : object.get("metadata");
  Fields f(mv);
  const Value name = f.get("name");
  const Value generate = f.get("generateName");
  if (auto s = name.str()) {
    m.name = *s;
    const std::string why =
        std::string(kind) == "Namespace" ? check_dns_label(*s) : check_dns_subdomain(*s);
    if (!why.empty()) name.error("invalid name \"" + *s + "\": " + why);
  }
  if (auto s = generate.str()) m.generate_name = *s;
  if (mode == ObjectMode::kManifest && m.name.empty() && f.ok()) {
    if (m.generate_name.empty() || std::string(kind) != "Pod") {
      name.error("required value is missing",
                 std::string("every ") + kind + " needs metadata.name");
    } else {
      generate.warning("generateName is not simulated for Pods: the pod is named pod-<random>");
    }
  }
  const Value ns = f.get("namespace");
  if (namespaced) {
    m.namespace_ = "default";
    if (auto s = ns.str(); s && !s->empty()) {
      m.namespace_ = *s;
      if (auto why = check_dns_label(*s); !why.empty()) {
        ns.error("invalid namespace \"" + *s + "\": " + why);
      }
    }
  }
  m.labels = labels(f.get("labels"));
  m.annotations = annotations(f.get("annotations"));
  // The controller reference of a manifest Pod (to a ReplicaSet or Job) or ReplicaSet (to a
  // Deployment): by name, as every reference in a scenario; the simulation resolves it at t=0
  // (ctrl/adoption.hpp). Other references are not simulated.
  const std::string k = kind;
  for (const Value& ref : f.get("ownerReferences").items()) {
    Fields rf(ref);
    rf.accept_all();
    if (!rf.ok() || !rf.get("controller").boolean().value_or(false)) continue;
    const std::optional<std::string> owner_kind = rf.required("kind").str();
    const std::optional<std::string> owner_name = rf.required("name").str();
    if (!owner_kind || !owner_name || mode != ObjectMode::kManifest) continue;
    if ((k == "Pod" && (*owner_kind == "ReplicaSet" || *owner_kind == "Job")) ||
        (k == "ReplicaSet" && *owner_kind == "Deployment")) {
      m.owner = OwnerReference{*owner_kind, *owner_name, 0, true};
    }
  }
  ignore_server_meta(f);
  return m;
}

// ---- selectors ---------------------------------------------------------------------------------

std::optional<LabelSelector> ObjectParser::label_selector(const Value& v) {
  if (!v.present()) return std::nullopt;
  Fields f(v);
  if (!f.ok()) return std::nullopt;
  LabelSelector sel;
  sel.match_labels = labels(f.get("matchLabels"));
  for (const Value& item : f.get("matchExpressions").items()) {
    Fields e(item);
    if (!e.ok()) continue;
    SelectorRequirement req;
    const Value key = e.required("key");
    if (auto s = key.str()) {
      req.key = *s;
      if (auto why = check_label_key(*s); !why.empty())
        key.error("invalid key \"" + *s + "\": " + why);
    }
    const Value op = e.required("operator");
    auto o = op.one_of<SelectorOperator>({{"In", SelectorOperator::kIn},
                                          {"NotIn", SelectorOperator::kNotIn},
                                          {"Exists", SelectorOperator::kExists},
                                          {"DoesNotExist", SelectorOperator::kDoesNotExist}});
    const Value values = e.get("values");
    if (auto vs = values.string_list()) req.values = *vs;
    if (o) {
      req.op = *o;
      const bool needs_values = *o == SelectorOperator::kIn || *o == SelectorOperator::kNotIn;
      if (needs_values && req.values.empty()) {
        values.error("must be specified when `operator` is 'In' or 'NotIn'");
      } else if (!needs_values && !req.values.empty()) {
        values.error("may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    }
    for (const auto& s : req.values) {
      if (auto why = check_label_value(s); !why.empty()) {
        values.error("invalid value \"" + s + "\": " + why);
      }
    }
    sel.match_expressions.push_back(std::move(req));
  }
  return sel;
}

void ObjectParser::check_selector_matches(const Value& selector_value,
                                          const LabelSelector& selector,
                                          const Value& template_value,
                                          const Labels& template_labels) {
  if (selector.empty()) {
    selector_value.error("empty selector is invalid: it would select every pod",
                         "set spec.selector.matchLabels to the template's labels");
    return;
  }
  if (!selector.matches(template_labels)) {
    entry(entry(template_value, "metadata"), "labels")
        .error("selector " + selector.str() + " does not match template labels",
               "spec.selector must select the pods spec.template creates");
  }
}

// ---- resources ---------------------------------------------------------------------------------

ResourceQuantities ObjectParser::resources(const Value& v, const char* context) {
  ResourceQuantities out;
  if (!v.present()) return out;
  if (!v.is_map()) {
    v.error("expected a mapping of resource names to quantities, got " + describe(v.node()));
    return out;
  }
  const std::string ctx(context);
  for (const auto& kv : v.node()) {
    if (!kv.first.IsScalar()) {
      Value(&v.doc(), kv.first, v.path(), kv.first.Mark()).error("expected a resource name");
      continue;
    }
    const std::string name = kv.first.Scalar();
    const Value q = entry(v, name);
    const Value key(&v.doc(), kv.first, q.path(), kv.first.Mark());
    if (out.count(name)) {
      key.error("duplicate resource \"" + name + "\"");
      continue;
    }
    if (ctx == "container" || ctx == "node") {
      if (auto problem = check_resource_name(name, ctx == "node")) {
        key.error(problem->message, problem->hint);
        continue;
      }
    }
    if (ctx == "quota") {
      if (auto problem = check_quota_resource_name(name)) {
        key.error(problem->message, problem->hint);
        continue;
      }
    }
    auto parsed = q.quantity();
    if (!parsed) continue;
    if (auto problem = check_resource_amount(name, *parsed, kv.second.Scalar())) {
      q.error(problem->message, problem->hint);
      continue;
    }
    out.emplace(name, *parsed);
  }
  return out;
}

void ObjectParser::container_resources(const Value& v, Container& c) {
  Fields f(v);
  const Value req_v = f.get("requests");
  const Value lim_v = f.get("limits");
  f.ignore({"claims"});
  ResourceQuantities requests = resources(req_v, "container");
  ResourceQuantities limits = resources(lim_v, "container");
  for (const auto& [name, q] : requests) {
    const bool overcommit = is_native_resource(name) && !is_hugepages(name);
    auto lim = limits.find(name);
    if (!overcommit) {
      if (lim == limits.end()) {
        entry(req_v, name)
            .error("a request for " + name + " needs a limit: " + name + " cannot be overcommitted",
                   "set resources.limits[" + name + "] to the same value (or give only the limit)");
      } else if (!(q == lim->second)) {
        entry(req_v, name)
            .error("must be equal to " + name + " limit of " + lim->second.str(),
                   name + " cannot be overcommitted: request and limit must match");
      }
    } else if (lim != limits.end() && lim->second < q) {
      entry(req_v, name)
          .error("must be less than or equal to " + name + " limit of " + lim->second.str());
    }
  }
  // Upstream defaulting: a resource given only as a limit is requested at the limit.
  for (const auto& [name, q] : limits)
    requests.emplace(name, q);
  c.resources.requests = std::move(requests);
  c.resources.limits = std::move(limits);
}

// ---- containers --------------------------------------------------------------------------------

std::optional<Probe> ObjectParser::probe(const Value& v) {
  if (!v.present()) return std::nullopt;
  Fields f(v);
  if (!f.ok()) return std::nullopt;
  Probe p;
  auto read = [&](const char* name, std::int32_t& into, std::int32_t min) {
    const Value x = f.get(name);
    if (auto n = x.i32()) {
      if (*n < min) {
        x.error("must be greater than or equal to " + std::to_string(min));
      } else {
        into = *n;
      }
    }
  };
  read("initialDelaySeconds", p.initial_delay_s, 0);
  read("periodSeconds", p.period_s, 1);
  read("timeoutSeconds", p.timeout_s, 1);
  read("successThreshold", p.success_threshold, 1);
  read("failureThreshold", p.failure_threshold, 1);
  int handlers = 0;
  for (const char* h : {"exec", "httpGet", "tcpSocket", "grpc"})
    handlers += f.has(h) ? 1 : 0;
  f.ignore({"exec", "httpGet", "tcpSocket", "grpc", "terminationGracePeriodSeconds"});
  if (handlers == 0) {
    v.error("must specify a handler type", "one of exec, httpGet, tcpSocket or grpc");
  } else if (handlers > 1) {
    v.error("may not specify more than 1 handler type");
  }
  return p;
}

Container ObjectParser::container(const Value& v, bool init) {
  Container c;
  Fields f(v);
  if (!f.ok()) return c;
  const Value name = f.required("name");
  if (auto s = name.str()) {
    c.name = *s;
    if (auto why = check_dns_label(*s); !why.empty()) name.error("invalid container name: " + why);
  }
  if (auto s = f.required("image").str()) c.image = *s;
  container_resources(f.get("resources"), c);
  const Value restart = f.get("restartPolicy");
  if (restart.present()) {
    if (!init) {
      restart.error("may not be set for containers (only init containers may be sidecars)");
    } else if (auto s = restart.str()) {
      if (*s == "Always") {
        c.restartable = true;
      } else {
        restart.unsupported(*s, {"Always"});
      }
    }
  }
  const Value readiness = f.get("readinessProbe");
  const Value liveness = f.get("livenessProbe");
  const Value startup = f.get("startupProbe");
  c.readiness_probe = probe(readiness);
  c.liveness_probe = probe(liveness);
  c.startup_probe = probe(startup);
  if (init && !c.restartable) {
    for (const Value* p : {&readiness, &liveness, &startup}) {
      if (p->present()) p->error("may not be set for init containers without restartPolicy=Always");
    }
  }
  for (const Value& port : f.get("ports").items()) {
    Fields pf(port);
    if (!pf.ok()) continue;
    const Value cp = pf.required("containerPort");
    if (auto n = cp.i32(); n && (*n < 1 || *n > 65535)) cp.error("must be between 1 and 65535");
    const Value hp = pf.get("hostPort");
    // NodePorts tells host ports apart by protocol and host IP, as upstream's HostPortInfo.
    ContainerPort host_port;
    const Value protocol = pf.get("protocol");
    if (auto p = protocol.str()) {
      if (*p == "TCP" || *p == "UDP" || *p == "SCTP") {
        host_port.protocol = *p;
      } else {
        protocol.unsupported(*p, {"TCP", "UDP", "SCTP"});
      }
    }
    if (auto ip = pf.get("hostIP").str()) host_port.host_ip = *ip;
    if (auto n = hp.i32()) {
      if (*n < 0 || *n > 65535) {
        hp.error("must be between 1 and 65535");
      } else if (*n > 0) {
        host_port.host_port = *n;
        c.host_ports.push_back(std::move(host_port));
      }
    }
    pf.ignore({"name"});
  }
  // Not modelled (every missing image is pulled once per node), but a value the API server
  // refuses must not pass.
  f.get("imagePullPolicy").one_of<int>({{"Always", 0}, {"IfNotPresent", 1}, {"Never", 2}});
  f.ignore({"command", "args", "env", "envFrom", "volumeMounts", "volumeDevices", "workingDir",
            "securityContext", "lifecycle", "terminationMessagePath", "terminationMessagePolicy",
            "stdin", "stdinOnce", "tty", "resizePolicy", "restartPolicyRules"});
  return c;
}

// ---- scheduling constraints --------------------------------------------------------------------

std::vector<Toleration> ObjectParser::tolerations(const Value& v) {
  std::vector<Toleration> out;
  for (const Value& item : v.items()) {
    Fields f(item);
    if (!f.ok()) continue;
    Toleration t;
    const Value key = f.get("key");
    if (auto s = key.str()) {
      t.key = *s;
      if (auto why = check_label_key(*s); !s->empty() && !why.empty()) {
        key.error("invalid key \"" + *s + "\": " + why);
      }
    }
    const Value op = f.get("operator");
    if (op.present() && !(op.is_scalar() && op.node().Scalar().empty())) {
      if (auto o = op.one_of<TolerationOperator>(
              {{"Exists", TolerationOperator::kExists}, {"Equal", TolerationOperator::kEqual}})) {
        t.op = *o;
      }
    }
    const Value value = f.get("value");
    if (auto s = value.str()) t.value = *s;
    const Value effect = f.get("effect");
    if (effect.present() && !(effect.is_scalar() && effect.node().Scalar().empty())) {
      if (auto e = taint_effect(effect)) t.effect = *e;
    }
    const Value seconds = f.get("tolerationSeconds");
    t.toleration_seconds = seconds.i64();
    if (t.key.empty() && t.op != TolerationOperator::kExists) {
      op.error(
          "operator must be Exists when `key` is empty, which means \"match all values and "
          "all keys\"");
    }
    if (t.op == TolerationOperator::kExists && !t.value.empty()) {
      value.error("value must be empty when `operator` is 'Exists'");
    }
    if (t.toleration_seconds && t.effect != TaintEffect::kNoExecute) {
      seconds.error("effect must be 'NoExecute' when `tolerationSeconds` is set");
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Taint> ObjectParser::taints(const Value& v) {
  std::vector<Taint> out;
  for (const Value& item : v.items()) {
    Fields f(item);
    if (!f.ok()) continue;
    Taint t;
    const Value key = f.required("key");
    if (auto s = key.str()) {
      t.key = *s;
      if (auto why = check_label_key(*s); !why.empty())
        key.error("invalid key \"" + *s + "\": " + why);
    }
    const Value value = f.get("value");
    if (auto s = value.str()) {
      t.value = *s;
      if (auto why = check_label_value(*s); !why.empty()) value.error("invalid value: " + why);
    }
    const Value effect = f.required("effect");
    if (auto e = taint_effect(effect)) t.effect = *e;
    f.ignore({"timeAdded"});
    for (const auto& prev : out) {
      if (prev.key == t.key && prev.effect == t.effect && !t.key.empty()) {
        item.error("duplicate taint " + t.str(), "taints must be unique by key and effect");
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<SelectorRequirement> ObjectParser::node_selector_requirements(const Value& v,
                                                                          bool fields) {
  std::vector<SelectorRequirement> out;
  for (const Value& item : v.items()) {
    Fields f(item);
    if (!f.ok()) continue;
    SelectorRequirement req;
    const Value key = f.required("key");
    if (auto s = key.str()) {
      req.key = *s;
      if (fields && *s != "metadata.name") {
        key.unsupported(*s, {"metadata.name"});
      } else if (!fields) {
        if (auto why = check_label_key(*s); !why.empty())
          key.error("invalid key \"" + *s + "\": " + why);
      }
    }
    const Value op = f.required("operator");
    std::optional<SelectorOperator> o;
    if (fields) {
      o = op.one_of<SelectorOperator>(
          {{"In", SelectorOperator::kIn}, {"NotIn", SelectorOperator::kNotIn}});
    } else {
      o = op.one_of<SelectorOperator>({{"In", SelectorOperator::kIn},
                                       {"NotIn", SelectorOperator::kNotIn},
                                       {"Exists", SelectorOperator::kExists},
                                       {"DoesNotExist", SelectorOperator::kDoesNotExist},
                                       {"Gt", SelectorOperator::kGt},
                                       {"Lt", SelectorOperator::kLt}});
    }
    const Value values = f.get("values");
    if (auto vs = values.string_list()) req.values = *vs;
    if (o) {
      req.op = *o;
      switch (*o) {
        case SelectorOperator::kIn:
        case SelectorOperator::kNotIn:
          if (req.values.empty()) {
            values.error("must be specified when `operator` is 'In' or 'NotIn'");
          } else if (fields && req.values.size() != 1) {
            values.error(
                "must be only one value when `operator` is 'In' or 'NotIn' for node "
                "field selector");
          }
          break;
        case SelectorOperator::kExists:
        case SelectorOperator::kDoesNotExist:
          if (!req.values.empty()) {
            values.error("may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
          }
          break;
        case SelectorOperator::kGt:
        case SelectorOperator::kLt: {
          bool integer = req.values.size() == 1 && !req.values[0].empty();
          if (integer) {
            std::size_t i = req.values[0][0] == '-' ? 1 : 0;
            integer = i < req.values[0].size();
            for (; i < req.values[0].size(); ++i) {
              integer = integer && req.values[0][i] >= '0' && req.values[0][i] <= '9';
            }
          }
          if (!integer) {
            values.error(
                "must be specified single value when `operator` is 'Lt' or 'Gt', and "
                "it must be an integer");
          }
          break;
        }
      }
    }
    out.push_back(std::move(req));
  }
  return out;
}

std::optional<NodeSelectorTerm> ObjectParser::node_selector_term(const Value& v) {
  Fields f(v);
  if (!f.ok()) return std::nullopt;
  NodeSelectorTerm term;
  term.match_expressions = node_selector_requirements(f.get("matchExpressions"), false);
  term.match_fields = node_selector_requirements(f.get("matchFields"), true);
  return term;
}

std::optional<PodAffinityTerm> ObjectParser::pod_affinity_term(const Value& v) {
  Fields f(v);
  if (!f.ok()) return std::nullopt;
  PodAffinityTerm t;
  t.label_selector = label_selector(f.get("labelSelector"));
  if (auto ns = f.get("namespaces").string_list()) t.namespaces = *ns;
  t.namespace_selector = label_selector(f.get("namespaceSelector"));
  const Value key = f.required("topologyKey");
  if (auto s = key.str()) {
    t.topology_key = *s;
    if (auto why = check_label_key(*s); !why.empty()) key.error("invalid topologyKey: " + why);
  }
  f.ignore_with_warning("matchLabelKeys", "matchLabelKeys in pod (anti-)affinity");
  f.ignore_with_warning("mismatchLabelKeys", "mismatchLabelKeys in pod (anti-)affinity");
  return t;
}

PodAffinity ObjectParser::pod_affinity(const Value& v) {
  PodAffinity a;
  Fields f(v);
  for (const Value& item : f.get("requiredDuringSchedulingIgnoredDuringExecution").items()) {
    if (auto t = pod_affinity_term(item)) a.required.push_back(std::move(*t));
  }
  for (const Value& item : f.get("preferredDuringSchedulingIgnoredDuringExecution").items()) {
    Fields pf(item);
    if (!pf.ok()) continue;
    WeightedPodAffinityTerm w;
    const Value weight = pf.required("weight");
    if (auto n = weight.i32()) {
      if (*n < 1 || *n > 100) weight.error("must be in the range 1-100");
      w.weight = *n;
    }
    if (auto t = pod_affinity_term(pf.required("podAffinityTerm"))) w.term = std::move(*t);
    a.preferred.push_back(std::move(w));
  }
  return a;
}

Affinity ObjectParser::affinity(const Value& v) {
  Affinity a;
  Fields f(v);
  if (!f.ok()) return a;
  const Value na = f.get("nodeAffinity");
  if (na.present()) {
    Fields nf(na);
    NodeAffinity node;
    const Value req = nf.get("requiredDuringSchedulingIgnoredDuringExecution");
    if (req.present()) {
      Fields rf(req);
      const Value terms = rf.required("nodeSelectorTerms");
      std::vector<NodeSelectorTerm> out;
      for (const Value& t : terms.items()) {
        if (auto term = node_selector_term(t)) out.push_back(std::move(*term));
      }
      if (terms.is_list() && terms.node().size() == 0) {
        terms.error("must have at least one node selector term");
      }
      node.required = std::move(out);
    }
    for (const Value& item : nf.get("preferredDuringSchedulingIgnoredDuringExecution").items()) {
      Fields pf(item);
      if (!pf.ok()) continue;
      PreferredSchedulingTerm p;
      const Value weight = pf.required("weight");
      if (auto n = weight.i32()) {
        if (*n < 1 || *n > 100) weight.error("must be in the range 1-100");
        p.weight = *n;
      }
      if (auto t = node_selector_term(pf.required("preference"))) p.preference = std::move(*t);
      node.preferred.push_back(std::move(p));
    }
    a.node_affinity = std::move(node);
  }
  if (const Value pa = f.get("podAffinity"); pa.present()) a.pod_affinity = pod_affinity(pa);
  if (const Value paa = f.get("podAntiAffinity"); paa.present()) {
    a.pod_anti_affinity = pod_affinity(paa);
  }
  return a;
}

std::vector<TopologySpreadConstraint> ObjectParser::topology_spread(const Value& v) {
  std::vector<TopologySpreadConstraint> out;
  for (const Value& item : v.items()) {
    Fields f(item);
    if (!f.ok()) continue;
    TopologySpreadConstraint c;
    const Value skew = f.required("maxSkew");
    if (auto n = skew.i32()) {
      if (*n <= 0) skew.error("must be greater than zero");
      c.max_skew = *n;
    }
    const Value key = f.required("topologyKey");
    if (auto s = key.str()) {
      c.topology_key = *s;
      if (auto why = check_label_key(*s); !why.empty()) key.error("invalid topologyKey: " + why);
    }
    if (auto w = f.required("whenUnsatisfiable")
                     .one_of<UnsatisfiableConstraintAction>(
                         {{"DoNotSchedule", UnsatisfiableConstraintAction::kDoNotSchedule},
                          {"ScheduleAnyway", UnsatisfiableConstraintAction::kScheduleAnyway}})) {
      c.when_unsatisfiable = *w;
    }
    c.label_selector = label_selector(f.get("labelSelector"));
    const Value min_domains = f.get("minDomains");
    if (auto n = min_domains.i32()) {
      if (*n <= 0) min_domains.error("must be greater than zero");
      if (c.when_unsatisfiable != UnsatisfiableConstraintAction::kDoNotSchedule) {
        min_domains.error("can only use minDomains if whenUnsatisfiable=DoNotSchedule");
      }
      c.min_domains = *n;
    }
    if (auto keys = f.get("matchLabelKeys").string_list()) c.match_label_keys = *keys;
    if (auto p = f.get("nodeAffinityPolicy").one_of<bool>({{"Honor", true}, {"Ignore", false}})) {
      c.honor_node_affinity = *p;
    }
    if (auto p = f.get("nodeTaintsPolicy").one_of<bool>({{"Honor", true}, {"Ignore", false}})) {
      c.honor_node_taints = *p;
    }
    for (const auto& prev : out) {
      if (prev.topology_key == c.topology_key && prev.when_unsatisfiable == c.when_unsatisfiable) {
        item.error("duplicate constraint for topologyKey \"" + c.topology_key + "\"",
                   "a pair of topologyKey and whenUnsatisfiable may appear once");
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// ---- pod spec and templates --------------------------------------------------------------------

PodSpec ObjectParser::pod_spec(const Value& v, TemplateOwner owner, const std::string& from) {
  PodSpec spec;
  Fields f(v);
  if (!f.ok()) return spec;
  const Value containers = f.required("containers");
  for (const Value& c : containers.items())
    spec.containers.push_back(container(c, false));
  if (containers.is_list() && containers.node().size() == 0) {
    containers.error("at least one container is required");
  }
  const Value inits = f.get("initContainers");
  for (const Value& c : inits.items())
    spec.init_containers.push_back(container(c, true));
  {
    std::set<std::string> names;
    auto check = [&](const Value& list, const std::vector<Container>& cs) {
      const auto items = list.items();
      for (std::size_t i = 0; i < cs.size() && i < items.size(); ++i) {
        if (cs[i].name.empty()) continue;
        if (!names.insert(cs[i].name).second) {
          entry(items[i], "name").error("duplicate container name \"" + cs[i].name + "\"");
        }
      }
    };
    if (inits.is_list()) check(inits, spec.init_containers);
    if (containers.is_list()) check(containers, spec.containers);
  }
  spec.overhead = resources(f.get("overhead"), "container");
  const Value node_name = f.get("nodeName");
  if (auto s = node_name.str(); s && !s->empty()) {
    spec.node_name = *s;
    refs_.node_names.push_back({*s, {}, "Node", from, node_name.location(), node_name.path()});
  }
  const Value scheduler = f.get("schedulerName");
  if (auto s = scheduler.str(); s && !s->empty()) spec.scheduler_name = *s;
  refs_.scheduler_names.push_back(
      {spec.scheduler_name, {}, "", from, scheduler.location(), scheduler.path()});
  const Value pc = f.get("priorityClassName");
  if (auto s = pc.str(); s && !s->empty()) {
    spec.priority_class_name = *s;
    refs_.priority_classes.push_back({*s, {}, "PriorityClass", from, pc.location(), pc.path()});
  }
  spec.priority = f.get("priority").i32();
  spec.preemption_policy = f.get("preemptionPolicy")
                               .one_of<PreemptionPolicy>({{"PreemptLowerPriority",
                                                           PreemptionPolicy::kPreemptLowerPriority},
                                                          {"Never", PreemptionPolicy::kNever}});
  const Value node_selector = f.get("nodeSelector");
  if (auto m = node_selector.string_map()) {
    spec.node_selector = *m;
    for (const auto& [k, val] : *m) {
      if (auto why = check_label_key(k); !why.empty()) {
        entry(node_selector, k).error("invalid label key \"" + k + "\": " + why);
      }
      if (auto why = check_label_value(val); !why.empty()) {
        entry(node_selector, k).error("invalid label value \"" + val + "\": " + why);
      }
    }
  }
  spec.tolerations = tolerations(f.get("tolerations"));
  spec.affinity = affinity(f.get("affinity"));
  spec.topology_spread_constraints = topology_spread(f.get("topologySpreadConstraints"));
  const Value grace = f.get("terminationGracePeriodSeconds");
  if (auto n = grace.i64()) {
    if (*n < 0) grace.error("must be greater than or equal to 0");
    spec.termination_grace_period_s = *n;
  }
  const Value deadline = f.get("activeDeadlineSeconds");
  if (auto n = deadline.i64()) {
    if (*n < 1) deadline.error("must be greater than or equal to 1");
    spec.active_deadline_s = *n;
  }
  const Value restart = f.get("restartPolicy");
  auto policy = restart.one_of<RestartPolicy>({{"Always", RestartPolicy::kAlways},
                                               {"OnFailure", RestartPolicy::kOnFailure},
                                               {"Never", RestartPolicy::kNever}});
  if (policy) spec.restart_policy = *policy;
  switch (owner) {
    case TemplateOwner::kDeployment:
    case TemplateOwner::kReplicaSet:
      if (policy && *policy != RestartPolicy::kAlways) {
        restart.error(
            "unsupported value \"" + restart.node().Scalar() + "\": supported values: \"Always\"",
            "pods of a Deployment or ReplicaSet always restart");
      }
      break;
    case TemplateOwner::kJob:
      if (!restart.present()) {
        restart.error("required value is missing: valid values: \"OnFailure\", \"Never\"",
                      "a Job's pods must finish: set restartPolicy: Never or OnFailure");
      } else if (policy && *policy == RestartPolicy::kAlways) {
        restart.error("unsupported value \"Always\": supported values: \"OnFailure\", \"Never\"",
                      "a Job's pods must finish: set restartPolicy: Never or OnFailure");
      }
      break;
    case TemplateOwner::kPod:
    case TemplateOwner::kPyTorchJob:
      break;
  }
  for (const Value& gate : f.get("schedulingGates").items()) {
    Fields gf(gate);
    if (auto s = gf.required("name").str()) spec.scheduling_gates.push_back(*s);
  }
  // Only what the cluster-autoscaler looks at: which volumes live on the node (hostPath, and
  // emptyDir unless in memory), as its drainability rules read them.
  for (const Value& volume : f.get("volumes").items()) {
    if (!volume.is_map()) continue;
    const YAML::Node& n = volume.node();
    // (A missing key is an invalid node: only IsDefined() may be asked of it.)
    const YAML::Node empty_dir = n["emptyDir"];
    const YAML::Node medium =
        empty_dir.IsDefined() && empty_dir.IsMap() ? empty_dir["medium"] : YAML::Node();
    const bool in_memory = medium.IsDefined() && medium.IsScalar() && medium.Scalar() == "Memory";
    if (n["hostPath"].IsDefined() || (empty_dir.IsDefined() && !in_memory)) {
      const YAML::Node name = n["name"];
      spec.local_volumes.push_back(name.IsDefined() && name.IsScalar() ? name.Scalar()
                                                                       : std::string());
    }
  }
  f.ignore({"serviceAccountName",
            "serviceAccount",
            "automountServiceAccountToken",
            "securityContext",
            "imagePullSecrets",
            "hostNetwork",
            "hostPID",
            "hostIPC",
            "hostUsers",
            "shareProcessNamespace",
            "dnsPolicy",
            "dnsConfig",
            "hostname",
            "subdomain",
            "hostAliases",
            "enableServiceLinks",
            "readinessGates",
            "runtimeClassName",
            "os",
            "setHostnameAsFQDN",
            "ephemeralContainers",
            "resourceClaims",
            "hostnameOverride"});
  f.ignore_with_warning("resources", "pod-level resources; only container resources count");
  return spec;
}

ObjectParser::TemplateResult ObjectParser::pod_template(const Value& v, TemplateOwner owner,
                                                        const ObjectMeta& workload,
                                                        const std::string& from,
                                                        std::optional<RestartPolicy> forced) {
  TemplateResult out;
  Fields f(v);
  if (!f.ok()) return out;
  PodTemplate t;
  const Value mv = f.get("metadata");
  {
    Fields mf(mv);
    t.labels = labels(mf.get("labels"));
    t.annotations = annotations(mf.get("annotations"));
    mf.ignore({"name", "generateName", "namespace"});
    ignore_server_meta(mf);
  }
  t.spec = pod_spec(f.required("spec"), owner, from);
  if (forced) t.spec.restart_policy = *forced;
  // gpusim.io annotations on the workload reach its pods unless the template says otherwise.
  for (const auto& [key, value] : workload.annotations) {
    if (key.rfind("gpusim.io/", 0) == 0) t.annotations.emplace(key, value);
  }
  out.labels = t.labels;
  const Value at = mv.present() ? entry(mv, "annotations") : v;
  check_timing_annotations(t, at);
  try {
    out.tmpl = make_template(std::move(t));
  } catch (const std::invalid_argument& e) {
    // A backstop: annotations() reports bad GPU annotations at the annotation itself.
    if (gpusim_annotation_errors_ == 0) at.error(e.what());
  }
  return out;
}

void ObjectParser::check_timing_annotations(const PodTemplate& t, const Value& at) {
  // The kubelet reads these when a pod starts and would skip a value it cannot read (with one
  // warning event per annotation); here the run does not start. duration and startup were
  // checked by annotations() already.
  const ctrl::PodTimings timings = ctrl::pod_timings(t, false, ctrl::TimingDefaults{});
  for (const std::string& error : timings.errors) {
    if (error.rfind(ctrl::kAnnotationDuration, 0) == 0 ||
        error.rfind(ctrl::kAnnotationStartup, 0) == 0) {
      continue;
    }
    // "gpusim.io/warmup: not a duration ...": at the annotation itself when the template sets it
    // (it may come from the workload's own annotations instead).
    const std::size_t colon = error.find(": ");
    const Value own = entry(at, error.substr(0, colon));
    if (colon != std::string::npos && own.present()) {
      own.error(error.substr(colon + 2));
    } else {
      at.error(error);
    }
  }
}

}  // namespace gpusim::scenario
