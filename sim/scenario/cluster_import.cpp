#include "scenario/cluster_import.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "core/diagnostics.hpp"
#include "core/quantity.hpp"
#include "scenario/names.hpp"
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
  // A Job pod's completion index: the Indexed Job that adopts the pod reads it.
  if (key == "batch.kubernetes.io/job-completion-index") return false;
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
      if (kind == "Deployment") {
        deployments_.insert(key);
        deployment_items_[key] = static_cast<const YAML::Node&>(item);
      }
      if (kind == "Job" && !job_finished(item)) jobs_.insert(key);
    }
    // Second pass: the ReplicaSets the dump does not list but its pods name, by Deployment.
    for (const auto& item : root["items"]) {
      if (get(item, "kind") != "Pod" || !live(item)) continue;
      const std::optional<Owner> owner = controller_in_dump(item);
      if (!owner || owner->kind != "ReplicaSet") continue;
      ReplicaSetGroup& g = replica_sets_[owner->deployment][owner->name];
      if (g.pods++ == 0) g.first_pod = static_cast<const YAML::Node&>(item);
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
        replica_sets(item);
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
    pools();
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

  // Node pools from the nodes' `key` label (ImportOptions::pool_label): one pool per value, whose
  // members are the nodes with that value (labelled gpusim.io/pool, each written as it is) and
  // whose template, for the nodes a count above them adds, is a copy of the first Ready,
  // schedulable member. Nodes without the label, or without status.capacity, are in no pool.
  void pools() {
    std::string key = o_.pool_label;
    if (key.empty()) {
      for (const char* k : {"node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type",
                            "nvidia.com/gpu.product"}) {
        for (const auto& n : nodes_) {
          if (!get(n["metadata"]["labels"], k).empty()) key = k;
        }
        if (!key.empty()) break;
      }
      if (key.empty()) return;
    }
    std::map<std::string, std::vector<std::size_t>> by_value;  // label value -> nodes
    std::vector<std::string> order;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const std::string v = get(nodes_[i]["metadata"]["labels"], key.c_str());
      if (v.empty() || !nodes_[i]["status"]["capacity"]) continue;
      if (!by_value.count(v)) order.push_back(v);
      by_value[v].push_back(i);
    }
    std::set<std::string> names;
    std::string summary;
    for (const std::string& value : order) {
      std::string name = dns_label_chars(value);
      if (name.size() > 50) name.resize(50);
      while (!name.empty() && name.back() == '-')
        name.pop_back();
      name.erase(0, name.find_first_not_of('-'));
      if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) name = "pool-" + name;
      for (int k = 2; names.count(name); ++k)
        name = dns_label_chars(value).substr(0, 44) + "-" + std::to_string(k);
      names.insert(name);
      const std::vector<std::size_t>& members = by_value[value];
      std::size_t source = members.front();
      for (std::size_t i : members) {
        const YAML::Node& n = nodes_[i];
        if (get(n["spec"], "unschedulable") != "true" && ready(n)) {
          source = i;
          break;
        }
      }
      YAML::Node pool(YAML::NodeType::Map);
      pool["name"] = str_node(name);
      pool["count"] = YAML::Node(std::to_string(members.size()));
      pool["template"] = pool_template(nodes_[source]);
      pools_.push_back(pool);
      int differ = 0;
      for (std::size_t i : members) {
        if (!same_shape(nodes_[i], nodes_[source])) ++differ;
        YAML::Node labels = nodes_[i]["metadata"]["labels"];
        labels["gpusim.io/pool"] = str_node(name);
      }
      summary += (summary.empty() ? "" : ", ") + name + " (" + std::to_string(members.size()) + ")";
      if (differ > 0) {
        r_.notes.push_back("pool " + name + ": " + std::to_string(differ) +
                           " of its nodes differ from its template (a copy of " +
                           get(nodes_[source]["metadata"], "name") +
                           ") and stay as they are; nodes a larger count adds are copies");
      }
    }
    r_.pools = static_cast<int>(pools_.size());
    if (!pools_.empty()) {
      r_.notes.push_back("node pools by label " + key + ": " + summary +
                         "; vary them with nodepool/<pool>.count (gpusim plan, sweeps)");
    }
  }

  static bool ready(const YAML::Node& node) {
    const YAML::Node c = node["status"]["conditions"];
    if (!c || !c.IsSequence()) return true;  // no condition: the loader's default, Ready
    for (const auto& cond : c) {
      if (get(cond, "type") == "Ready") return get(cond, "status") == "True";
    }
    return true;
  }

  // A node as a pool template: its labels but the hostname (each node gets its own), its taints
  // but the node lifecycle's and cordon's, capacity and allocatable.
  static YAML::Node pool_template(const YAML::Node& node) {
    YAML::Node t(YAML::NodeType::Map);
    YAML::Node labels(YAML::NodeType::Map);
    if (node["metadata"]["labels"]) {
      for (const auto& kv : node["metadata"]["labels"]) {
        const std::string k = kv.first.Scalar();
        if (k != "kubernetes.io/hostname" && k != "gpusim.io/pool") labels[k] = kv.second;
      }
    }
    if (labels.size() > 0) {
      YAML::Node m(YAML::NodeType::Map);
      m["labels"] = labels;
      t["metadata"] = m;
    }
    if (node["spec"] && node["spec"]["taints"]) {
      YAML::Node taints(YAML::NodeType::Sequence);
      for (const auto& taint : node["spec"]["taints"]) {
        const std::string k = get(taint, "key");
        if (k.rfind("node.kubernetes.io/", 0) == 0 ||
            k.rfind("node.cloudprovider.kubernetes.io/", 0) == 0) {
          continue;
        }
        taints.push_back(taint);
      }
      if (taints.size() > 0) {
        YAML::Node sp(YAML::NodeType::Map);
        sp["taints"] = taints;
        t["spec"] = sp;
      }
    }
    YAML::Node st(YAML::NodeType::Map);
    st["capacity"] = node["status"]["capacity"];
    if (node["status"]["allocatable"]) st["allocatable"] = node["status"]["allocatable"];
    t["status"] = st;
    return t;
  }

  // Whether two nodes have the same labels (but the hostname), taints, capacity and allocatable.
  static bool same_shape(const YAML::Node& a, const YAML::Node& b) {
    return document(pool_template(a)) == document(pool_template(b)) &&
           get(a["spec"], "unschedulable") == get(b["spec"], "unschedulable");
  }

  struct Owner {
    std::string kind, name;  // the pod's controller: a ReplicaSet or a Job
    std::string deployment;  // the ReplicaSet's Deployment (namespace/name)
  };

  static bool live(const YAML::Node& pod) {
    const std::string phase = get(pod["status"], "phase");
    return phase != "Succeeded" && phase != "Failed" && !pod["metadata"]["deletionTimestamp"];
  }

  // The pod's controller, when the dump holds it: a Deployment's ReplicaSet (named
  // <deployment>-<pod-template-hash>; the dump has no ReplicaSets, the import writes them) or a
  // Job still running.
  std::optional<Owner> controller_in_dump(const YAML::Node& item) const {
    const YAML::Node refs = item["metadata"]["ownerReferences"];
    if (!refs || !refs.IsSequence()) return std::nullopt;
    const std::string ns = ns_of(item);
    for (const auto& ref : refs) {
      if (get(ref, "controller") != "true") continue;
      const std::string kind = get(ref, "kind"), name = get(ref, "name");
      if (kind == "Job" && jobs_.count(ns + "/" + name)) return Owner{kind, name, {}};
      if (kind == "ReplicaSet") {
        const auto dash = name.rfind('-');
        if (dash == std::string::npos) return std::nullopt;
        const std::string deployment = ns + "/" + name.substr(0, dash);
        if (deployments_.count(deployment)) return Owner{kind, name, deployment};
      }
      return std::nullopt;
    }
    return std::nullopt;
  }

  void pod(const YAML::Node& item, const std::string& where) {
    if (item["spec"] && item["spec"].IsMap()) learn_priority(item["spec"]);
    if (!live(item)) {
      ++r_.finished_pods;  // finished, or terminating: gone soon
      return;
    }
    if (!item["spec"] || !item["spec"].IsMap()) fail(item, where + ".spec", "required");
    const bool bound = !get(item["spec"], "nodeName").empty();
    YAML::Node o = object("v1", "Pod");
    o["metadata"] = clean_meta(item["metadata"], true, true);
    if (const std::optional<Owner> owner = controller_in_dump(item)) {
      // The controller keeps the pod (ctrl/adoption.hpp): by name, as the simulation resolves it.
      YAML::Node ref(YAML::NodeType::Map);
      ref["apiVersion"] = str_node(owner->kind == "Job" ? "batch/v1" : "apps/v1");
      ref["kind"] = str_node(owner->kind);
      ref["name"] = str_node(owner->name);
      ref["controller"] = YAML::Node("true");
      YAML::Node refs(YAML::NodeType::Sequence);
      refs.push_back(ref);
      o["metadata"]["ownerReferences"] = refs;
      // Every pod of a Deployment's ReplicaSet carries its pod-template-hash (the ReplicaSet's
      // selector needs it); a dump written by hand may not.
      if (owner->kind == "ReplicaSet" &&
          get(o["metadata"]["labels"], "pod-template-hash").empty()) {
        if (!o["metadata"]["labels"]) o["metadata"]["labels"] = YAML::Node(YAML::NodeType::Map);
        o["metadata"]["labels"]["pod-template-hash"] =
            str_node(owner->name.substr(owner->name.rfind('-') + 1));
      }
      ++r_.controller_pods;
    }
    o["spec"] = clean_pod_spec(item["spec"], bound);
    pods_.push_back(o);
    ++(bound ? r_.bound_pods : r_.pending_pods);
  }

  // The ReplicaSets of a Deployment that its pods name: the Deployment's template with the
  // pod-template-hash label, or, for a set whose pods run other images (an older revision mid
  // rollout), the template read back from one of its pods. The Deployment adopts them at t=0 and
  // they adopt their pods, so nothing is recreated.
  void replica_sets(const YAML::Node& d) {
    const std::string key = ns_of(d) + "/" + get(d["metadata"], "name");
    auto it = replica_sets_.find(key);
    if (it == replica_sets_.end()) return;
    const YAML::Node spec = d["spec"];
    for (const auto& [name, g] : it->second) {
      std::string hash = get(g.first_pod["metadata"]["labels"], "pod-template-hash");
      if (hash.empty()) hash = name.substr(get(d["metadata"], "name").size() + 1);
      YAML::Node tmpl;
      if (same_images(g.first_pod["spec"], spec["template"]["spec"])) {
        tmpl = clean_template(spec["template"], {});
      } else {
        tmpl = YAML::Node(YAML::NodeType::Map);
        YAML::Node m(YAML::NodeType::Map);
        if (g.first_pod["metadata"]["labels"]) m["labels"] = g.first_pod["metadata"]["labels"];
        tmpl["metadata"] = m;
        tmpl["spec"] = clean_pod_spec(g.first_pod["spec"], false);
        r_.notes.push_back("ReplicaSet " + ns_of(d) + "/" + name +
                           ": its pods run other images than the Deployment's template, so it is "
                           "an older revision and the simulated rollout replaces it");
      }
      if (!tmpl["metadata"]) tmpl["metadata"] = YAML::Node(YAML::NodeType::Map);
      YAML::Node labels = tmpl["metadata"]["labels"] ? YAML::Clone(tmpl["metadata"]["labels"])
                                                     : YAML::Node(YAML::NodeType::Map);
      labels["pod-template-hash"] = str_node(hash);
      tmpl["metadata"]["labels"] = labels;
      YAML::Node rs = object("apps/v1", "ReplicaSet");
      YAML::Node meta(YAML::NodeType::Map);
      meta["name"] = str_node(name);
      meta["namespace"] = str_node(ns_of(d));
      meta["labels"] = labels;
      YAML::Node ref(YAML::NodeType::Map);
      ref["apiVersion"] = str_node("apps/v1");
      ref["kind"] = str_node("Deployment");
      ref["name"] = d["metadata"]["name"];
      ref["controller"] = YAML::Node("true");
      YAML::Node refs(YAML::NodeType::Sequence);
      refs.push_back(ref);
      meta["ownerReferences"] = refs;
      rs["metadata"] = meta;
      YAML::Node s(YAML::NodeType::Map);
      s["replicas"] = YAML::Node(std::to_string(g.pods));
      YAML::Node selector =
          spec["selector"] ? YAML::Clone(spec["selector"]) : YAML::Node(YAML::NodeType::Map);
      YAML::Node match = selector["matchLabels"] ? YAML::Node(selector["matchLabels"])
                                                 : YAML::Node(YAML::NodeType::Map);
      match["pod-template-hash"] = str_node(hash);
      selector["matchLabels"] = match;
      s["selector"] = selector;
      if (spec["minReadySeconds"]) s["minReadySeconds"] = spec["minReadySeconds"];
      s["template"] = tmpl;
      rs["spec"] = s;
      workloads_.push_back(rs);
      ++r_.replica_sets;
    }
  }

  // Whether a pod runs the template's containers (names and images, in order).
  static bool same_images(const YAML::Node& pod_spec, const YAML::Node& template_spec) {
    const YAML::Node a = pod_spec ? pod_spec["containers"] : YAML::Node();
    const YAML::Node b = template_spec ? template_spec["containers"] : YAML::Node();
    if (!a || !b || !a.IsSequence() || !b.IsSequence() || a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (get(a[i], "name") != get(b[i], "name") || get(a[i], "image") != get(b[i], "image")) {
        return false;
      }
    }
    return true;
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
    // The progress the Job made (the simulation's Job controller goes on from it): successes,
    // failures (for backoffLimit) and, for an Indexed Job, which indexes are done.
    YAML::Node st(YAML::NodeType::Map);
    const YAML::Node status = item["status"];
    for (const char* f : {"succeeded", "failed", "completedIndexes"}) {
      if (status && status.IsMap() && status[f] && status[f].IsScalar()) st[f] = status[f];
    }
    if (st.size() > 0) {
      workloads_.back()["status"] = st;
      const std::string done = get(st, "completedIndexes").empty()
                                   ? get(st, "succeeded")
                                   : "indexes " + get(st, "completedIndexes");
      if (!done.empty() && done != "0") {
        r_.notes.push_back("Job " + ns_of(item) + "/" + get(item["metadata"], "name") +
                           ": goes on from its progress (succeeded " + done + ")");
      }
    }
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
    hpa_load(item);
  }

  // The dump holds no usage: without a load, the imported HPA's pods use no CPU and it scales
  // down to minReplicas. From the HPA's status.currentMetrics (cpu and memory Resource metrics:
  // the pods' average usage, or their average utilisation of the requests) the import writes a
  // constant spec.load that reproduces it: `currentReplicas` requests/s, each Ready pod serving
  // one, at the measured usage per request, so the HPA sees what it saw live (and usage per pod
  // falls as it adds pods, as for any load). Other metrics are noted for the user to model.
  void hpa_load(const YAML::Node& item) {
    const std::string ns = ns_of(item), name = get(item["metadata"], "name");
    const YAML::Node ref = item["spec"]["scaleTargetRef"];
    const std::string target = ns + "/" + get(ref, "name");
    const std::string where = "HPA " + ns + "/" + name;
    const std::string fix = "give it load in 00-simulation.yaml (spec.load for Deployment/" +
                            target + ", docs/scenario.md#specload)";
    if (get(ref, "kind") != "Deployment" || !deployment_items_.count(target)) {
      r_.notes.push_back(where + ": its target is not a Deployment in the dump; " + fix);
      return;
    }
    if (loaded_.count(target)) return;  // one load per workload; the first HPA's figures
    const YAML::Node status = item["status"];
    const std::string replicas = get(status, "currentReplicas");
    std::optional<Quantity> cpu, memory;
    std::vector<std::string> other;
    if (!get(status, "currentCPUUtilizationPercentage").empty()) {  // autoscaling/v1
      cpu = per_pod(target, "cpu", "", get(status, "currentCPUUtilizationPercentage"));
    }
    if (status && status["currentMetrics"] && status["currentMetrics"].IsSequence()) {
      for (const auto& m : status["currentMetrics"]) {
        const std::string type = get(m, "type");
        const YAML::Node res = m["resource"];
        const std::string rname = get(res, "name");
        if (type == "Resource" && (rname == "cpu" || rname == "memory")) {
          const YAML::Node current = res["current"];
          auto q = per_pod(target, rname, get(current, "averageValue"),
                           get(current, "averageUtilization"));
          (rname == "cpu" ? cpu : memory) = q;
          if (!q) other.push_back(rname);
        } else {
          other.push_back(type + (rname.empty() ? "" : " " + rname));
        }
      }
    }
    const auto n = Quantity::parse(replicas);
    if ((!cpu && !memory) || !n || n->milli_value() <= 0) {
      r_.notes.push_back(where +
                         ": the dump has no usage for it (status.currentMetrics), so "
                         "its pods use none and it scales down to minReplicas; " +
                         fix);
      return;
    }
    YAML::Node load(YAML::NodeType::Map);
    load["target"] = str_node("Deployment/" + target);
    YAML::Node rate(YAML::NodeType::Map);
    rate["constant"] = YAML::Node(replicas);
    load["rate"] = rate;
    if (cpu) {
      YAML::Node c(YAML::NodeType::Map);
      c["perRequest"] = str_node(cpu->str());
      load["cpu"] = c;
    }
    if (memory) {
      YAML::Node c(YAML::NodeType::Map);
      c["perRequest"] = str_node(memory->str());
      load["memory"] = c;
    }
    loads_.push_back(load);
    loaded_.insert(target);
    std::string note = where + ": load derived from its status.currentMetrics (" +
                       (cpu ? "cpu " + cpu->str() : std::string()) + (cpu && memory ? ", " : "") +
                       (memory ? "memory " + memory->str() : std::string()) + " per pod at " +
                       replicas + " replicas), held constant: spec.load in 00-simulation.yaml";
    if (!other.empty()) {
      std::string list;
      for (const auto& o : other)
        list += (list.empty() ? "" : ", ") + o;
      note += "; its other metrics (" + list + ") read 0 unless you model them there";
    }
    r_.notes.push_back(note);
  }

  // A pod's average usage of `resource`: the metric's averageValue, else its averageUtilization
  // (percent) of the target's per-pod request (every container's request summed, as the HPA's
  // Resource metric computes it). Nothing when neither is usable.
  std::optional<Quantity> per_pod(const std::string& target, const std::string& resource,
                                  const std::string& average_value,
                                  const std::string& utilization) const {
    if (auto q = Quantity::parse(average_value); q && !average_value.empty()) return q;
    const auto percent = Quantity::parse(utilization);
    if (utilization.empty() || !percent) return std::nullopt;
    const YAML::Node containers =
        deployment_items_.at(target)["spec"]["template"]["spec"]["containers"];
    if (!containers || !containers.IsSequence()) return std::nullopt;
    std::int64_t request_milli = 0;
    for (const auto& c : containers) {
      const std::string r = get(c["resources"]["requests"], resource.c_str());
      auto q = Quantity::parse(r);
      if (r.empty() || !q) return std::nullopt;  // no request: utilization is undefined
      request_milli += q->milli_value();
    }
    // Rounded up (to milli-CPU, to bytes): the usage the HPA read was at least that.
    const std::int64_t per_milli = (request_milli * percent->value() + 99) / 100;
    if (resource == "memory") return Quantity::from_int((per_milli + 999) / 1000);
    return Quantity::from_milli(per_milli);
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
                      ": the cluster's nodes are in 10-nodes.yaml; a pool's count includes its "
                      "nodes there (labelled gpusim.io/pool), its template makes the rest.\n";
    YAML::Node s = object("gpusim.io/v1alpha1", "Simulation");
    YAML::Node meta(YAML::NodeType::Map);
    meta["name"] = str_node(o_.name);
    s["metadata"] = meta;
    YAML::Node spec(YAML::NodeType::Map);
    spec["duration"] = str_node(o_.duration);
    spec["sampleInterval"] = str_node("1m");
    if (!pools_.empty()) {
      YAML::Node pools(YAML::NodeType::Sequence);
      for (const auto& p : pools_)
        pools.push_back(p);
      spec["nodePools"] = pools;
    }
    if (!loads_.empty()) {
      YAML::Node load(YAML::NodeType::Sequence);
      for (const auto& l : loads_)
        load.push_back(l);
      spec["load"] = load;
    }
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
                         " pod(s) of a Deployment's ReplicaSet or a Job kept under their "
                         "controller (ownerReferences), on their nodes");
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
  std::set<std::string> deployments_, jobs_, loaded_;
  std::map<std::string, YAML::Node> deployment_items_;
  std::vector<YAML::Node> loads_, pools_;
  struct ReplicaSetGroup {
    int pods = 0;
    YAML::Node first_pod;
  };
  // Deployment (namespace/name) -> ReplicaSet name -> its live pods in the dump.
  std::map<std::string, std::map<std::string, ReplicaSetGroup>> replica_sets_;
  std::map<std::string, std::string> priority_;
  std::vector<YAML::Node> nodes_, pods_, workloads_;
};

}  // namespace

ImportResult import_cluster_dump(const std::string& file, const ImportOptions& options) {
  return Importer(file, options).run();
}

}  // namespace gpusim::scenario
