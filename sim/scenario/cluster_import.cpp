#include "scenario/cluster_import.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/diagnostics.hpp"
#include "scenario/value.hpp"

namespace gpusim::scenario {
namespace {

// ---- a small block-style YAML writer: strings are always double-quoted (JSON escapes are
// valid YAML), other scalars are written as they were read, so the loader reads back the same
// types (a quoted "3" stays a string, a plain 3 an integer).

YAML::Node str_node(const std::string& s) {
  YAML::Node n(s);
  n.SetTag("!");  // a quoted scalar: always a string
  return n;
}

bool plain_key(const std::string& k) {
  if (k.empty()) return false;
  static const std::set<std::string> words{"y",   "n",    "yes",   "no",   "on",
                                           "off", "true", "false", "null", "~"};
  std::string lower;
  for (char c : k)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (words.count(lower)) return false;
  if (!std::isalpha(static_cast<unsigned char>(k[0])) && k[0] != '_') return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' ||
           c == '-';
  });
}

std::string quote(const std::string& s) {
  return nlohmann::json(s).dump();
}

std::string scalar_text(const YAML::Node& n) {
  switch (scalar_kind(n)) {
    case ScalarKind::kNull:
      return "null";
    case ScalarKind::kString:
      return quote(n.Scalar());
    default:
      return n.Scalar();
  }
}

void emit(const YAML::Node& n, int indent, std::string& out);

void emit_value_after_key(const YAML::Node& v, int indent, std::string& out) {
  if (v.IsMap() && v.size() > 0) {
    out += "\n";
    emit(v, indent + 2, out);
  } else if (v.IsSequence() && v.size() > 0) {
    out += "\n";
    emit(v, indent + 2, out);
  } else if (v.IsMap()) {
    out += " {}\n";
  } else if (v.IsSequence()) {
    out += " []\n";
  } else {
    out += " " + scalar_text(v) + "\n";
  }
}

void emit(const YAML::Node& n, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      out += pad + (plain_key(k) ? k : quote(k)) + ":";
      emit_value_after_key(kv.second, indent, out);
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if ((item.IsMap() || item.IsSequence()) && item.size() > 0) {
        std::string sub;
        emit(item, indent + 2, sub);
        out += pad + "- " + sub.substr(static_cast<std::size_t>(indent) + 2);
      } else if (item.IsMap()) {
        out += pad + "- {}\n";
      } else if (item.IsSequence()) {
        out += pad + "- []\n";
      } else {
        out += pad + "- " + scalar_text(item) + "\n";
      }
    }
  } else {
    out += pad + scalar_text(n) + "\n";
  }
}

std::string document(const YAML::Node& n) {
  std::string out;
  emit(n, 0, out);
  return out;
}

// ---- cleaning

bool dropped_annotation(const std::string& key) {
  for (const char* prefix :
       {"kubectl.kubernetes.io/", "deployment.kubernetes.io/", "autoscaling.alpha.kubernetes.io/",
        "control-plane.alpha.kubernetes.io/", "kubernetes.io/config.", "batch.kubernetes.io/"}) {
    if (key.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// The user's metadata: name, namespace, labels and annotations (minus the ones controllers and
// kubectl write).
YAML::Node clean_meta(const YAML::Node& meta, bool namespaced, bool annotations,
                      const std::set<std::string>& drop_labels = {}) {
  YAML::Node m(YAML::NodeType::Map);
  if (meta["name"]) m["name"] = meta["name"];
  if (namespaced) m["namespace"] = meta["namespace"] ? meta["namespace"] : str_node("default");
  if (meta["labels"] && meta["labels"].IsMap()) {
    YAML::Node l(YAML::NodeType::Map);
    for (const auto& kv : meta["labels"]) {
      if (!drop_labels.count(kv.first.Scalar())) l[kv.first.Scalar()] = kv.second;
    }
    if (l.size() > 0) m["labels"] = l;
  }
  if (annotations && meta["annotations"] && meta["annotations"].IsMap()) {
    YAML::Node a(YAML::NodeType::Map);
    for (const auto& kv : meta["annotations"]) {
      if (!dropped_annotation(kv.first.Scalar())) a[kv.first.Scalar()] = kv.second;
    }
    if (a.size() > 0) m["annotations"] = a;
  }
  return m;
}

// Labels the Job controller adds to its selector and pod template.
const std::set<std::string> kJobLabels{"controller-uid", "job-name",
                                       "batch.kubernetes.io/controller-uid",
                                       "batch.kubernetes.io/job-name"};

// A pod spec as the user wrote it: without what admission fills in (priority, resolved from the
// class) and with `nodeName` only where the caller keeps it.
YAML::Node clean_pod_spec(const YAML::Node& spec, bool keep_node_name) {
  YAML::Node s(YAML::NodeType::Map);
  for (const auto& kv : spec) {
    const std::string k = kv.first.Scalar();
    if (k == "priority" || (k == "nodeName" && !keep_node_name)) continue;
    s[k] = kv.second;
  }
  return s;
}

YAML::Node clean_template(const YAML::Node& tmpl, const std::set<std::string>& drop_labels) {
  YAML::Node t(YAML::NodeType::Map);
  if (tmpl["metadata"]) {
    YAML::Node m = clean_meta(tmpl["metadata"], false, true, drop_labels);
    m.remove("name");
    if (m.size() > 0) t["metadata"] = m;
  }
  if (tmpl["spec"]) t["spec"] = clean_pod_spec(tmpl["spec"], false);
  return t;
}

std::string get(const YAML::Node& n, const char* key) {
  return n && n.IsMap() && n[key] && n[key].IsScalar() ? n[key].Scalar() : std::string();
}

bool condition_true(const YAML::Node& status, const std::string& type) {
  if (!status || !status["conditions"] || !status["conditions"].IsSequence()) return false;
  for (const auto& c : status["conditions"]) {
    if (get(c, "type") == type && get(c, "status") == "True") return true;
  }
  return false;
}

class Importer {
 public:
  Importer(std::string file, const ImportOptions& o) : file_(std::move(file)), o_(o) {}

  ImportResult run() {
    YAML::Node root = load();
    if (!root.IsMap() || get(root, "kind") != "List" || !root["items"] ||
        !root["items"].IsSequence()) {
      fail(root, "kind",
           "expected a List with items (the output of `kubectl get nodes,pods,deployments,jobs,"
           "hpa,resourcequotas -A -o yaml`)");
    }
    // First pass: what the dump holds, so pods can tell whether their controller is there.
    std::size_t i = 0;
    for (const auto& item : root["items"]) {
      const std::string where = "items[" + std::to_string(i++) + "]";
      if (!item.IsMap()) fail(item, where, "expected an object");
      for (const char* f : {"apiVersion", "kind"}) {
        if (get(item, f).empty()) fail(item, where + "." + f, "required");
      }
      if (get(item["metadata"], "name").empty()) fail(item, where + ".metadata.name", "required");
      const std::string kind = get(item, "kind");
      const std::string key = ns_of(item) + "/" + get(item["metadata"], "name");
      if (kind == "Deployment") deployments_.insert(key);
      if (kind == "Job" && !job_finished(item)) jobs_.insert(key);
    }
    i = 0;
    for (const auto& item : root["items"]) {
      const std::string where = "items[" + std::to_string(i++) + "]";
      const std::string kind = get(item, "kind");
      if (kind == "Node") {
        node(item);
      } else if (kind == "Pod") {
        pod(item, where);
      } else if (kind == "Deployment") {
        workload(item, where, "apps/v1", {});
        ++r_.deployments;
      } else if (kind == "Job") {
        job(item, where);
      } else if (kind == "HorizontalPodAutoscaler") {
        hpa(item, where);
      } else if (kind == "ResourceQuota") {
        quota(item);
      } else {
        ++r_.skipped_kinds[kind];
      }
    }
    for (const auto& [kind, n] : r_.skipped_kinds)
      r_.notes.push_back(std::to_string(n) + " " + kind + " object(s) skipped: not imported");
    write_files();
    return r_;
  }

 private:
  YAML::Node load() {
    try {
      if (file_ == "-") {
        std::stringstream ss;
        ss << std::cin.rdbuf();
        return YAML::Load(ss.str());
      }
      std::ifstream in(file_);
      if (!in) throw InputError(SourceLocation{file_, 0, 0}, "", "cannot read the file");
      return YAML::Load(in);
    } catch (const YAML::Exception& e) {
      throw InputError(SourceLocation{file_, e.mark.line + 1, e.mark.column + 1}, "",
                       "not valid YAML: " + e.msg);
    }
  }

  [[noreturn]] void fail(const YAML::Node& at, const std::string& field,
                         const std::string& message) const {
    const YAML::Mark m = at.Mark();
    throw InputError(
        SourceLocation{file_, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1}, field,
        message);
  }

  static std::string ns_of(const YAML::Node& item) {
    const std::string ns = get(item["metadata"], "namespace");
    return ns.empty() ? "default" : ns;
  }

  static bool job_finished(const YAML::Node& job) {
    return condition_true(job["status"], "Complete") || condition_true(job["status"], "Failed");
  }

  YAML::Node object(const std::string& api, const std::string& kind) {
    YAML::Node o(YAML::NodeType::Map);
    o["apiVersion"] = str_node(api);
    o["kind"] = str_node(kind);
    return o;
  }

  void node(const YAML::Node& item) {
    YAML::Node o = object("v1", "Node");
    o["metadata"] = clean_meta(item["metadata"], false, false);
    const YAML::Node spec = item["spec"];
    YAML::Node s(YAML::NodeType::Map);
    if (spec && spec["taints"] && spec["taints"].IsSequence()) {
      YAML::Node taints(YAML::NodeType::Sequence);
      for (const auto& t : spec["taints"]) {
        YAML::Node c(YAML::NodeType::Map);
        for (const char* f : {"key", "value", "effect"}) {
          if (t[f]) c[f] = t[f];
        }
        taints.push_back(c);
      }
      s["taints"] = taints;
    }
    if (spec && spec["unschedulable"]) s["unschedulable"] = spec["unschedulable"];
    if (s.size() > 0) o["spec"] = s;
    const YAML::Node status = item["status"];
    YAML::Node st(YAML::NodeType::Map);
    if (status && status["capacity"]) st["capacity"] = status["capacity"];
    if (status && status["allocatable"]) st["allocatable"] = status["allocatable"];
    if (status && status["conditions"] && status["conditions"].IsSequence()) {
      for (const auto& c : status["conditions"]) {
        if (get(c, "type") != "Ready") continue;
        YAML::Node ready(YAML::NodeType::Map);
        ready["type"] = str_node("Ready");
        ready["status"] = c["status"];
        YAML::Node list(YAML::NodeType::Sequence);
        list.push_back(ready);
        st["conditions"] = list;
      }
    }
    o["status"] = st;
    nodes_.push_back(o);
    ++r_.nodes;
  }

  // The pod's controller, when the dump holds it: a Deployment (through its ReplicaSet, named
  // <deployment>-<pod-template-hash>) or a Job still running.
  bool recreated_by_controller(const YAML::Node& item) const {
    const YAML::Node refs = item["metadata"]["ownerReferences"];
    if (!refs || !refs.IsSequence()) return false;
    const std::string ns = ns_of(item);
    for (const auto& ref : refs) {
      if (get(ref, "controller") != "true") continue;
      const std::string kind = get(ref, "kind"), name = get(ref, "name");
      if (kind == "Job") return jobs_.count(ns + "/" + name) > 0;
      if (kind == "ReplicaSet") {
        const auto dash = name.rfind('-');
        return dash != std::string::npos && deployments_.count(ns + "/" + name.substr(0, dash));
      }
    }
    return false;
  }

  void pod(const YAML::Node& item, const std::string& where) {
    if (item["spec"] && item["spec"].IsMap()) learn_priority(item["spec"]);
    const std::string phase = get(item["status"], "phase");
    if (phase == "Succeeded" || phase == "Failed") {
      ++r_.finished_pods;
      return;
    }
    if (item["metadata"]["deletionTimestamp"]) {
      ++r_.finished_pods;  // terminating: gone soon
      return;
    }
    if (recreated_by_controller(item)) {
      ++r_.controller_pods;
      return;
    }
    if (!item["spec"] || !item["spec"].IsMap()) fail(item, where + ".spec", "required");
    const bool bound = !get(item["spec"], "nodeName").empty();
    YAML::Node o = object("v1", "Pod");
    o["metadata"] = clean_meta(item["metadata"], true, true);
    o["spec"] = clean_pod_spec(item["spec"], bound);
    pods_.push_back(o);
    ++(bound ? r_.bound_pods : r_.pending_pods);
  }

  // PriorityClasses are not in the dump; their values are learnt from the pods that use them.
  void learn_priority(const YAML::Node& spec) {
    const std::string cls = get(spec, "priorityClassName");
    if (cls.empty() || cls.rfind("system-", 0) == 0) return;
    auto& v = priority_[cls];
    if (!get(spec, "priority").empty()) v = get(spec, "priority");
  }
  void template_priority(const YAML::Node& tmpl) {
    if (tmpl && tmpl["spec"]) learn_priority(tmpl["spec"]);
  }

  void workload(const YAML::Node& item, const std::string& where, const std::string& api,
                const std::set<std::string>& drop_labels) {
    if (!item["spec"] || !item["spec"].IsMap()) fail(item, where + ".spec", "required");
    YAML::Node o = object(api, get(item, "kind"));
    // The Job controller labels the Job itself too.
    o["metadata"] = clean_meta(item["metadata"], true, true, drop_labels);
    YAML::Node s(YAML::NodeType::Map);
    for (const auto& kv : item["spec"]) {
      const std::string k = kv.first.Scalar();
      if (k == "template") {
        s[k] = clean_template(kv.second, drop_labels);
        template_priority(kv.second);
      } else if (!drop_labels.empty() && (k == "selector" || k == "manualSelector")) {
        continue;  // the Job controller makes the selector again
      } else {
        s[k] = kv.second;
      }
    }
    o["spec"] = s;
    workloads_.push_back(o);
  }

  void job(const YAML::Node& item, const std::string& where) {
    if (job_finished(item)) {
      ++r_.finished_jobs;
      return;
    }
    workload(item, where, "batch/v1", kJobLabels);
    ++r_.jobs;
  }

  void hpa(const YAML::Node& item, const std::string& where) {
    const std::string api = get(item, "apiVersion");
    YAML::Node o = object("autoscaling/v2", "HorizontalPodAutoscaler");
    o["metadata"] = clean_meta(item["metadata"], true, true);
    const YAML::Node spec = item["spec"];
    if (!spec || !spec.IsMap()) fail(item, where + ".spec", "required");
    if (api == "autoscaling/v1") {
      // v1's single CPU target becomes v2's Resource metric.
      YAML::Node s(YAML::NodeType::Map);
      for (const char* f : {"scaleTargetRef", "minReplicas", "maxReplicas"}) {
        if (spec[f]) s[f] = spec[f];
      }
      if (spec["targetCPUUtilizationPercentage"]) {
        YAML::Node target(YAML::NodeType::Map);
        target["type"] = str_node("Utilization");
        target["averageUtilization"] = spec["targetCPUUtilizationPercentage"];
        YAML::Node res(YAML::NodeType::Map);
        res["name"] = str_node("cpu");
        res["target"] = target;
        YAML::Node m(YAML::NodeType::Map);
        m["type"] = str_node("Resource");
        m["resource"] = res;
        YAML::Node metrics(YAML::NodeType::Sequence);
        metrics.push_back(m);
        s["metrics"] = metrics;
      }
      o["spec"] = s;
    } else {
      o["apiVersion"] = str_node(api.empty() ? "autoscaling/v2" : api);
      o["spec"] = spec;
    }
    workloads_.push_back(o);
    ++r_.hpas;
  }

  void quota(const YAML::Node& item) {
    YAML::Node o = object("v1", "ResourceQuota");
    o["metadata"] = clean_meta(item["metadata"], true, true);
    if (item["spec"]) o["spec"] = item["spec"];
    workloads_.push_back(o);
    ++r_.quotas;
  }

  void write_files() {
    std::string sim = "# Written by `gpusim import` from " + file_ +
                      ": the cluster's nodes come from 10-nodes.yaml, so there are no pools.\n";
    YAML::Node s = object("gpusim.io/v1alpha1", "Simulation");
    YAML::Node meta(YAML::NodeType::Map);
    meta["name"] = str_node(o_.name);
    s["metadata"] = meta;
    YAML::Node spec(YAML::NodeType::Map);
    spec["duration"] = str_node(o_.duration);
    spec["sampleInterval"] = str_node("1m");
    s["spec"] = spec;
    r_.files["00-simulation.yaml"] = sim + document(s);
    auto join = [](const std::vector<YAML::Node>& docs) {
      std::string out;
      for (const auto& d : docs)
        out += "---\n" + document(d);
      return out;
    };
    std::vector<YAML::Node> classes;
    for (const auto& [name, value] : priority_) {
      YAML::Node pc = object("scheduling.k8s.io/v1", "PriorityClass");
      YAML::Node m(YAML::NodeType::Map);
      m["name"] = str_node(name);
      pc["metadata"] = m;
      YAML::Node v(value.empty() ? "0" : value);
      pc["value"] = v;
      if (value.empty()) {
        r_.notes.push_back("PriorityClass " + name +
                           ": no pod in the dump shows its value; imported with value 0");
      }
      classes.push_back(pc);
    }
    r_.priority_classes = static_cast<int>(classes.size());
    if (!nodes_.empty()) r_.files["10-nodes.yaml"] = join(nodes_);
    if (!classes.empty()) r_.files["20-priorityclasses.yaml"] = join(classes);
    if (!workloads_.empty()) r_.files["30-workloads.yaml"] = join(workloads_);
    if (!pods_.empty()) r_.files["40-pods.yaml"] = join(pods_);
    if (r_.controller_pods > 0) {
      r_.notes.push_back(std::to_string(r_.controller_pods) +
                         " pod(s) owned by a Deployment's ReplicaSet or a Job in the dump: left to "
                         "their controllers to recreate (placed by the scheduler, not bound)");
    }
    if (r_.finished_pods > 0)
      r_.notes.push_back(std::to_string(r_.finished_pods) +
                         " finished or terminating pod(s) left out");
    if (r_.finished_jobs > 0)
      r_.notes.push_back(std::to_string(r_.finished_jobs) + " finished Job(s) left out");
  }

  std::string file_;
  const ImportOptions& o_;
  ImportResult r_;
  std::set<std::string> deployments_, jobs_;
  std::map<std::string, std::string> priority_;
  std::vector<YAML::Node> nodes_, pods_, workloads_;
};

}  // namespace

ImportResult import_cluster_dump(const std::string& file, const ImportOptions& options) {
  return Importer(file, options).run();
}

}  // namespace gpusim::scenario
