#include "reports/resource_view.hpp"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <utility>

#include "core/duration.hpp"
#include "core/quantity.hpp"
#include "reports/cluster_state.hpp"
#include "reports/format.hpp"

namespace gpusim::reports {

using ojson = nlohmann::ordered_json;

std::string canonical_kind(const std::string& w) {
  if (w == "nodes" || w == "node" || w == "no") return "nodes";
  if (w == "pods" || w == "pod" || w == "po") return "pods";
  if (w == "deployments" || w == "deployment" || w == "deploy") return "deployments";
  if (w == "hpa" || w == "horizontalpodautoscalers" || w == "horizontalpodautoscaler") return "hpa";
  if (w == "quota" || w == "resourcequotas" || w == "resourcequota") return "quota";
  return {};
}

namespace {

// kubectl's AGE: the two largest units ("3h5m", "2d4h", "45s").
std::string age(TimeMs since, TimeMs now) {
  TimeMs d = std::max<TimeMs>(0, now - since) / 1000;
  const TimeMs days = d / 86400, hours = d % 86400 / 3600, minutes = d % 3600 / 60,
               seconds = d % 60;
  if (days > 0) return std::to_string(days) + "d" + (hours ? std::to_string(hours) + "h" : "");
  if (hours > 0)
    return std::to_string(hours) + "h" + (minutes ? std::to_string(minutes) + "m" : "");
  if (minutes > 0)
    return std::to_string(minutes) + "m" + (seconds ? std::to_string(seconds) + "s" : "");
  return std::to_string(seconds) + "s";
}

std::string milli_gpu(std::int64_t m) {
  if (m % 1000 == 0) return std::to_string(m / 1000);
  return std::to_string(m) + "m";
}

std::string render(const std::vector<std::vector<std::string>>& rows, const ojson& items,
                   OutputFormat f, const std::string& kind) {
  if (f == OutputFormat::kJson || f == OutputFormat::kYaml) {
    // kubectl's own List: apiVersion v1, items, kind, metadata.resourceVersion.
    ojson list{{"apiVersion", "v1"},
               {"items", items},
               {"kind", "List"},
               {"metadata", {{"resourceVersion", ""}}}};
    return f == OutputFormat::kJson ? list.dump(2) + "\n" : to_yaml(list);
  }
  if (rows.size() <= 1) return "No " + kind + " found at that time.\n";
  return table_text(rows);
}

// kubectl's STATUS column: the Ready condition, then ",SchedulingDisabled" for a cordoned node.
// The state a node was added in (nodes.csv) changes with its Node events up to t.
std::map<std::string, std::string> node_status(const RunDir& run, TimeMs t) {
  std::map<std::string, std::string> ready, sched;
  for (const auto& n : run.nodes()) {
    if (!n.ready) ready[n.name] = "NotReady";
    if (n.unschedulable) sched[n.name] = ",SchedulingDisabled";
  }
  for (const auto& e : run.events()) {
    if (e.t_ms > t || e.kind != "Node") continue;
    const std::string node = e.object.empty() ? e.node : e.object;
    if (e.type == "NodeNotReady" || e.type == "NodeFailed") ready[node] = "NotReady";
    if (e.type == "NodeReady" || e.type == "NodeRecovered") ready[node] = "Ready";
    if (e.type == "NodeNotSchedulable" || e.type == "Cordon") sched[node] = ",SchedulingDisabled";
    if (e.type == "NodeSchedulable" || e.type == "Uncordon") sched[node] = "";
  }
  std::map<std::string, std::string> out;
  for (const auto& n : run.nodes()) {
    const auto r = ready.count(n.name) ? ready[n.name] : std::string("Ready");
    out[n.name] = r + (sched.count(n.name) ? sched[n.name] : std::string());
  }
  return out;
}

std::string get_nodes(const RunDir& run, const GetRequest& q) {
  const ClusterState st = ClusterState::at(run, q.at_ms);
  const auto status = node_status(run, q.at_ms);
  const bool wide = q.format == OutputFormat::kWide;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {
      "NAME",          "STATUS",   "AGE",           "POOL", "GPU-MODEL", "GPU-ALLOCATABLE",
      "GPU-ALLOCATED", "GPU-FREE", "MILLIGPU-FREE", "PODS"};
  if (wide) {
    for (const char* h :
         {"CPU-ALLOCATED", "MEMORY-ALLOCATED", "GPUS-IDLE", "GPU-DEVICES(milli)", "TAINTS"})
      head.push_back(h);
  }
  rows.push_back(head);
  ojson items = ojson::array();
  for (const auto& ns : st.nodes()) {
    const NodeRecord& n = *ns.node;
    if (!q.selector.matches(n.labels)) continue;
    const std::int64_t cap = n.gpus * 1000;
    std::vector<std::string> r = {n.name,
                                  status.at(n.name),
                                  age(n.added_ms, q.at_ms),
                                  n.pool.empty() ? "<none>" : n.pool,
                                  n.gpu_model.empty() ? "<none>" : n.gpu_model,
                                  std::to_string(n.gpus),
                                  milli_gpu(ns.gpu_milli),
                                  std::to_string(ns.gpus_free_whole()),
                                  std::to_string(cap - ns.gpu_milli),
                                  std::to_string(ns.pods) + "/" + std::to_string(n.pods)};
    std::string devices;
    for (auto d : ns.device_milli)
      devices += (devices.empty() ? "" : ",") + std::to_string(d);
    std::string taints;
    for (const auto& t : n.taints)
      taints += (taints.empty() ? "" : ",") + t;
    if (wide) {
      r.push_back(cpu_quantity(ns.cpu_milli) + "/" + cpu_quantity(n.cpu_milli));
      r.push_back(bytes_quantity(ns.memory_bytes) + "/" + bytes_quantity(n.memory_bytes));
      r.push_back(std::to_string(ns.gpus_free_whole()));
      r.push_back(devices.empty() ? "<none>" : devices);
      r.push_back(taints.empty() ? "<none>" : taints);
    }
    rows.push_back(r);
    ojson labels(n.labels);
    items.push_back(ojson{{"apiVersion", "v1"},
                          {"kind", "Node"},
                          {"metadata", {{"name", n.name}, {"labels", labels}}},
                          {"spec", {{"taints", n.taints}}},
                          {"status",
                           {{"allocatable",
                             {{"cpu", cpu_quantity(n.cpu_milli)},
                              {"memory", bytes_quantity(n.memory_bytes)},
                              {"pods", std::to_string(n.pods)},
                              {"nvidia.com/gpu", std::to_string(n.gpus)}}},
                            {"allocated",
                             {{"cpu", cpu_quantity(ns.cpu_milli)},
                              {"memory", bytes_quantity(ns.memory_bytes)},
                              {"pods", ns.pods},
                              {"gpu_milli", ns.gpu_milli}}},
                            {"gpu",
                             {{"model", n.gpu_model},
                              {"free", ns.gpus_free_whole()},
                              {"free_milli", cap - ns.gpu_milli},
                              {"devices_allocated_milli", ns.device_milli}}},
                            {"condition", status.at(n.name)}}},
                          {"gpusim", {{"pool", n.pool}, {"added_ms", n.added_ms}}}});
  }
  return render(rows, items, q.format, "nodes");
}

void need_pod_labels(const RunDir& run, const GetRequest& q) {
  if (q.selector.empty()) return;
  if (!run.pods().empty() && run.pods().front().labels.empty()) {
    bool any = false;
    for (const auto& p : run.pods())
      any = any || !p.labels.empty();
    if (!any)
      throw std::invalid_argument(
          "-l: this run's pods.csv has no pod labels (written by gpusim before labels were "
          "recorded)");
  }
}

std::string get_pods(const RunDir& run, const GetRequest& q) {
  need_pod_labels(run, q);
  const ClusterState st = ClusterState::at(run, q.at_ms);
  const bool all_ns = q.namespace_.empty();
  const bool wide = q.format == OutputFormat::kWide;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head;
  if (all_ns) head.push_back("NAMESPACE");
  for (const char* h : {"NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE", "GPU"})
    head.push_back(h);
  if (wide) {
    for (const char* h : {"GPU-DEVICES", "CPU", "MEMORY", "PRIORITY", "WAITED", "OWNER"})
      head.push_back(h);
  }
  rows.push_back(head);
  ojson items = ojson::array();
  for (const auto& ps : st.pods()) {
    const PodRecord& p = *ps.pod;
    if (!all_ns && p.namespace_ != q.namespace_) continue;
    if (!q.selector.matches(p.labels)) continue;
    std::vector<std::string> r;
    if (all_ns) r.push_back(p.namespace_);
    const bool bound = p.scheduled_ms && *p.scheduled_ms <= q.at_ms;
    std::string devices;
    for (auto d : p.gpu_devices)
      devices += (devices.empty() ? "" : ",") + std::to_string(d);
    for (const std::string& v : {p.name(), std::string(ps.phase == "Running" ? "1/1" : "0/1"),
                                 ps.status, std::to_string(p.restarts), age(p.created_ms, q.at_ms),
                                 bound ? p.node : std::string("<none>"),
                                 p.gpu_milli ? milli_gpu(p.gpu_milli) : std::string("-")}) {
      r.push_back(v);
    }
    if (wide) {
      r.push_back(bound && !devices.empty() ? devices : "<none>");
      r.push_back(cpu_quantity(p.cpu_milli));
      r.push_back(bytes_quantity(p.memory_bytes));
      r.push_back(std::to_string(p.priority));
      const TimeMs waited = bound ? *p.scheduled_ms - p.created_ms : q.at_ms - p.created_ms;
      r.push_back(format_duration(waited));
      r.push_back(p.owner_kind.empty() ? "<none>" : p.owner_kind + "/" + p.owner_name);
    }
    rows.push_back(r);
    ojson status{{"phase", ps.phase}, {"reason", ps.status}};
    if (bound) status["nodeName"] = p.node;
    if (bound && !p.gpu_devices.empty()) status["gpuDevices"] = p.gpu_devices;
    ojson meta{{"name", p.name()}, {"namespace", p.namespace_}};
    if (!p.labels.empty()) meta["labels"] = ojson(p.labels);
    if (!p.owner_kind.empty())
      meta["ownerReferences"] = ojson::array({{{"kind", p.owner_kind}, {"name", p.owner_name}}});
    items.push_back(ojson{{"apiVersion", "v1"},
                          {"kind", "Pod"},
                          {"metadata", meta},
                          {"spec",
                           {{"priority", p.priority},
                            {"requests",
                             {{"cpu", cpu_quantity(p.cpu_milli)},
                              {"memory", bytes_quantity(p.memory_bytes)},
                              {"gpu_milli", p.gpu_milli}}}}},
                          {"status", status},
                          {"gpusim", {{"created_ms", p.created_ms}, {"restarts", p.restarts}}}});
  }
  return render(rows, items, q.format, "pods");
}

// The latest row at or before t of each object in a controller CSV, with the time the object
// first appears (its AGE: the recorders sample every object from its creation on).
struct Latest {
  std::vector<std::string> row;
  TimeMs first_ms = 0, sampled_ms = 0;
};
std::vector<Latest> latest_rows(const CsvTable& t, TimeMs at,
                                const std::vector<std::string>& key_cols) {
  std::vector<Latest> out;
  auto tc = t.column("t_ms");
  std::vector<std::size_t> keys;
  for (const auto& k : key_cols) {
    if (auto c = t.column(k)) keys.push_back(*c);
  }
  std::map<std::string, std::size_t> index;
  for (const auto& row : t.rows()) {
    const TimeMs ts = tc ? to_int(row[*tc]).value_or(0) : 0;
    if (ts > at) continue;
    std::string key;
    for (auto k : keys)
      key += row[k] + "\x1f";
    auto [it, inserted] = index.try_emplace(key, out.size());
    if (inserted) out.push_back(Latest{row, ts, ts});
    out[it->second].row = row;
    out[it->second].sampled_ms = ts;
  }
  return out;
}

// One CSV row by column name; absent columns read as empty.
class CsvRow {
 public:
  CsvRow(const CsvTable& t, const std::vector<std::string>& r) : t_(t), r_(r) {}
  std::string str(std::string_view col) const {
    auto c = t_.column(col);
    return c && *c < r_.size() ? r_[*c] : std::string();
  }
  std::int64_t num(std::string_view col) const { return to_int(str(col)).value_or(0); }

 private:
  const CsvTable& t_;
  const std::vector<std::string>& r_;
};

// "namespace/name" into its parts (a cluster-scoped name has no namespace).
std::pair<std::string, std::string> split_key(const std::string& key) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

// An object's entry in summary.json (labels, HPA metric target types), or null.
const nlohmann::json& summary_entry(const RunDir& run, std::initializer_list<const char*> path,
                                    const std::string& key) {
  static const nlohmann::json kNull;
  const nlohmann::json* j = &run.summary();
  for (const char* p : path) {
    if (!j->is_object() || !j->contains(p)) return kNull;
    j = &(*j)[p];
  }
  if (!j->is_object() || !j->contains(key)) return kNull;
  return (*j)[key];
}

std::map<std::string, std::string> labels_of(const nlohmann::json& entry) {
  std::map<std::string, std::string> out;
  if (entry.is_object() && entry.contains("labels") && entry["labels"].is_object()) {
    for (const auto& [k, v] : entry["labels"].items())
      out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

const CsvTable& need_table(const RunDir& run, const GetRequest& q, const std::string& file) {
  const CsvTable* t = run.table(file);
  if (t == nullptr)
    throw std::invalid_argument(run.path() + ": " + file + " is not in this run; `get " + q.kind +
                                "` needs it");
  return *t;
}

// The Kubernetes metadata of an object the run recorded under namespace/name.
ojson object_meta(const std::string& ns, const std::string& name,
                  const std::map<std::string, std::string>& labels) {
  ojson meta{{"name", name}};
  if (!ns.empty()) meta["namespace"] = ns;
  if (!labels.empty()) meta["labels"] = ojson(labels);
  return meta;
}

void set_if(ojson& j, const char* field, std::int64_t v) {
  if (v != 0) j[field] = v;  // omitempty, as the API server writes these status fields
}

// A number column as JSON: integer or decimal, null when the sample has none.
ojson number_or_null(const std::string& text) {
  if (auto i = to_int(text); i && std::to_string(*i) == text) return *i;
  if (auto d = to_double(text)) return *d;
  return nullptr;
}

// kubectl get deployments: NAME READY UP-TO-DATE AVAILABLE AGE (ready/desired), from
// workloads.csv; -o wide adds the simulated load figures it records.
std::string get_deployments(const RunDir& run, const GetRequest& q) {
  const CsvTable& t = need_table(run, q, "workloads.csv");
  const bool all_ns = q.namespace_.empty();
  const bool wide = q.format == OutputFormat::kWide;
  std::vector<std::string> head;
  if (all_ns) head.push_back("NAMESPACE");
  for (const char* h : {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"})
    head.push_back(h);
  if (wide) {
    for (const char* h :
         {"REPLICAS", "UNAVAILABLE", "OFFERED-RPS", "SERVED-RPS", "LATENCY-MS", "QUEUE-DEPTH"})
      head.push_back(h);
  }
  std::vector<std::vector<std::string>> rows{head};
  ojson items = ojson::array();
  for (const Latest& l : latest_rows(t, q.at_ms, {"deployment"})) {
    const CsvRow r(t, l.row);
    const std::string key = r.str("deployment");
    const auto [ns, name] = split_key(key);
    if (!all_ns && ns != q.namespace_) continue;
    const auto labels = labels_of(summary_entry(run, {"serving", "deployments"}, key));
    if (!q.selector.matches(labels)) continue;
    const std::int64_t desired = r.num("desired"), ready = r.num("ready");
    std::vector<std::string> row;
    if (all_ns) row.push_back(ns);
    for (const std::string& v : {name, std::to_string(ready) + "/" + std::to_string(desired),
                                 std::to_string(r.num("updated")),
                                 std::to_string(r.num("available")), age(l.first_ms, q.at_ms)})
      row.push_back(v);
    if (wide) {
      row.push_back(std::to_string(r.num("replicas")));
      row.push_back(std::to_string(r.num("unavailable")));
      for (const char* c : {"offered_rps", "served_rps", "latency_ms", "queue_depth"}) {
        const std::string v = r.str(c);
        row.push_back(v.empty() ? "<none>" : v);
      }
    }
    rows.push_back(std::move(row));
    ojson status = ojson::object();
    set_if(status, "replicas", r.num("replicas"));
    set_if(status, "updatedReplicas", r.num("updated"));
    set_if(status, "readyReplicas", ready);
    set_if(status, "availableReplicas", r.num("available"));
    set_if(status, "unavailableReplicas", r.num("unavailable"));
    ojson sim{{"sampled_ms", l.sampled_ms}, {"first_sampled_ms", l.first_ms}};
    for (const char* c : {"offered_rps", "served_rps", "latency_ms", "queue_depth",
                          "queue_oldest_age_s", "cpu_per_ready_pod_milli"}) {
      if (t.has(c)) sim[c] = number_or_null(r.str(c));
    }
    items.push_back(ojson{{"apiVersion", "apps/v1"},
                          {"kind", "Deployment"},
                          {"metadata", object_meta(ns, name, labels)},
                          {"spec", {{"replicas", desired}}},
                          {"status", status},
                          {"gpusim", sim}});
  }
  return render(rows, items, q.format, "deployments");
}

// hpa.csv's `metrics` field: "cpu=63/70;pods/rps=?/100000" (current/target, `?` unknown).
struct HpaMetric {
  std::string name;
  std::optional<std::int64_t> current;
  std::int64_t target = 0;
};
std::vector<HpaMetric> parse_hpa_metrics(const std::string& field) {
  std::vector<HpaMetric> out;
  std::size_t start = 0;
  while (start < field.size()) {
    std::size_t end = field.find(';', start);
    if (end == std::string::npos) end = field.size();
    const std::string item = field.substr(start, end - start);
    start = end + 1;
    const auto eq = item.rfind('=');
    const auto slash = item.rfind('/');
    if (eq == std::string::npos || slash == std::string::npos || slash < eq) continue;
    HpaMetric m;
    m.name = item.substr(0, eq);
    m.current = to_int(item.substr(eq + 1, slash - eq - 1));
    m.target = to_int(item.substr(slash + 1)).value_or(0);
    out.push_back(std::move(m));
  }
  return out;
}

// A milli-unit figure as a Kubernetes quantity ("2500m", "3").
std::string milli_quantity(std::int64_t m) {
  return m % 1000 == 0 ? std::to_string(m / 1000) : std::to_string(m) + "m";
}

// kubectl's TARGETS cell for one metric: "cpu: 63%/70%", "rps: 2500m/3", "<unknown>" when the
// controller had no value.
std::string hpa_target_text(const HpaMetric& m, const std::string& target_type) {
  std::string name = m.name;
  if (auto slash = name.find('/');
      slash != std::string::npos && (name.rfind("pods/", 0) == 0 || name.rfind("object/", 0) == 0 ||
                                     name.rfind("external/", 0) == 0))
    name = name.substr(slash + 1);
  const bool pct = target_type == "Utilization";
  const auto fmt = [&](std::int64_t v) {
    return pct ? std::to_string(v) + "%" : milli_quantity(v);
  };
  std::string out = name + ": " + (m.current ? fmt(*m.current) : "<unknown>") + "/" + fmt(m.target);
  if (target_type == "AverageValue" && m.name.rfind("external/", 0) == 0) out += " (avg)";
  return out;
}

// kubectl get hpa: NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE, from hpa.csv.
std::string get_hpas(const RunDir& run, const GetRequest& q) {
  const CsvTable& t = need_table(run, q, "hpa.csv");
  const bool all_ns = q.namespace_.empty();
  const bool wide = q.format == OutputFormat::kWide;
  std::vector<std::string> head;
  if (all_ns) head.push_back("NAMESPACE");
  for (const char* h : {"NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"})
    head.push_back(h);
  if (wide) {
    for (const char* h : {"DESIRED", "ABLETOSCALE", "SCALINGACTIVE", "SCALINGLIMITED"})
      head.push_back(h);
  }
  std::vector<std::vector<std::string>> rows{head};
  ojson items = ojson::array();
  // hpa.csv names an HPA as namespace/name in `hpa`; hand-written files may split them.
  const bool split_cols = !t.has("hpa");
  const std::vector<std::string> keys =
      split_cols ? std::vector<std::string>{"namespace", "name"} : std::vector<std::string>{"hpa"};
  for (const Latest& l : latest_rows(t, q.at_ms, keys)) {
    const CsvRow r(t, l.row);
    const std::string key = split_cols ? r.str("namespace") + "/" + r.str("name") : r.str("hpa");
    const auto [ns, name] = split_key(key);
    if (!all_ns && ns != q.namespace_) continue;
    const nlohmann::json& entry = summary_entry(run, {"serving", "hpas"}, key);
    const auto labels = labels_of(entry);
    if (!q.selector.matches(labels)) continue;
    const std::vector<HpaMetric> metrics = parse_hpa_metrics(r.str("metrics"));
    std::string targets;
    ojson current = ojson::array();
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      std::string type = "Utilization";
      if (entry.is_object() && entry.contains("metric_targets") &&
          i < entry["metric_targets"].size())
        type = entry["metric_targets"][i].get<std::string>();
      targets += (targets.empty() ? "" : ", ") + hpa_target_text(metrics[i], type);
      ojson mj{{"name", metrics[i].name}, {"targetType", type}};
      const bool pct = type == "Utilization";
      mj["target"] = pct ? ojson(metrics[i].target) : ojson(milli_quantity(metrics[i].target));
      if (metrics[i].current)
        mj["current"] =
            pct ? ojson(*metrics[i].current) : ojson(milli_quantity(*metrics[i].current));
      current.push_back(std::move(mj));
    }
    const std::string target_ref = r.str("target");
    const auto ref_slash = target_ref.find('/');
    std::vector<std::string> row;
    if (all_ns) row.push_back(ns);
    for (const std::string& v :
         {name, target_ref.empty() ? std::string("<none>") : target_ref,
          targets.empty() ? std::string("<none>") : targets, std::to_string(r.num("min_replicas")),
          std::to_string(r.num("max_replicas")), std::to_string(r.num("current_replicas")),
          age(l.first_ms, q.at_ms)})
      row.push_back(v);
    ojson conditions = ojson::array();
    for (const auto& [col, type] :
         {std::pair{"able_to_scale", "AbleToScale"}, std::pair{"scaling_active", "ScalingActive"},
          std::pair{"scaling_limited", "ScalingLimited"}}) {
      const std::string v = r.str(col);  // "True:ReadyForNewScale"
      if (wide) row.push_back(v.empty() ? "<none>" : v);
      if (v.empty()) continue;
      const auto colon = v.find(':');
      conditions.push_back(
          ojson{{"type", type},
                {"status", v.substr(0, colon)},
                {"reason", colon == std::string::npos ? "" : v.substr(colon + 1)}});
    }
    if (wide) row.insert(row.end() - 3, std::to_string(r.num("desired_replicas")));
    rows.push_back(std::move(row));
    ojson spec{{"scaleTargetRef",
                {{"kind", ref_slash == std::string::npos ? "" : target_ref.substr(0, ref_slash)},
                 {"name",
                  ref_slash == std::string::npos ? target_ref : target_ref.substr(ref_slash + 1)}}},
               {"minReplicas", r.num("min_replicas")},
               {"maxReplicas", r.num("max_replicas")}};
    ojson status{{"currentReplicas", r.num("current_replicas")},
                 {"desiredReplicas", r.num("desired_replicas")}};
    if (!current.empty()) status["currentMetrics"] = current;
    if (!conditions.empty()) status["conditions"] = conditions;
    items.push_back(
        ojson{{"apiVersion", "autoscaling/v2"},
              {"kind", "HorizontalPodAutoscaler"},
              {"metadata", object_meta(ns, name, labels)},
              {"spec", spec},
              {"status", status},
              {"gpusim", {{"sampled_ms", l.sampled_ms}, {"first_sampled_ms", l.first_ms}}}});
  }
  return render(rows, items, q.format, "hpa");
}

// quota.csv holds exact decimals in base units: printed as the API server canonicalises them
// ("2199023255552" bytes -> "2Ti", "0.5" cpu -> "500m").
std::string quota_quantity(const std::string& resource, const std::string& decimal) {
  const bool bytes =
      resource.find("memory") != std::string::npos || resource.find("storage") != std::string::npos;
  auto q = Quantity::from_decimal(
      decimal, bytes ? Quantity::Format::kBinarySI : Quantity::Format::kDecimalSI);
  return q ? q->str() : decimal;
}

// kubectl get quota: NAME AGE REQUEST LIMIT ("requests.cpu: 500m/1, ..." used/hard; limits.*
// resources under LIMIT, the rest under REQUEST), from quota.csv.
std::string get_quotas(const RunDir& run, const GetRequest& q) {
  const CsvTable& t = need_table(run, q, "quota.csv");
  const bool all_ns = q.namespace_.empty();
  struct Quota {
    std::string ns, name;
    TimeMs first_ms = kForever, sampled_ms = 0;
    std::string request, limit;
    ojson hard = ojson::object(), used = ojson::object();
  };
  std::map<std::string, Quota> quotas;  // namespace/name, as kubectl sorts them
  for (const Latest& l : latest_rows(t, q.at_ms, {"namespace", "quota", "resource"})) {
    const CsvRow r(t, l.row);
    Quota& qu = quotas[r.str("namespace") + "/" + r.str("quota")];
    qu.ns = r.str("namespace");
    qu.name = r.str("quota");
    qu.first_ms = std::min(qu.first_ms, l.first_ms);
    qu.sampled_ms = std::max(qu.sampled_ms, l.sampled_ms);
    const std::string res = r.str("resource");
    const std::string hard = quota_quantity(res, r.str("hard"));
    const std::string used = quota_quantity(res, r.str("used"));
    std::string& cell = res.rfind("limits.", 0) == 0 ? qu.limit : qu.request;
    cell += (cell.empty() ? "" : ", ") + res + ": " + used + "/" + hard;
    qu.hard[res] = hard;
    qu.used[res] = used;
  }
  std::vector<std::string> head;
  if (all_ns) head.push_back("NAMESPACE");
  for (const char* h : {"NAME", "AGE", "REQUEST", "LIMIT"})
    head.push_back(h);
  std::vector<std::vector<std::string>> rows{head};
  ojson items = ojson::array();
  for (const auto& [key, qu] : quotas) {
    if (!all_ns && qu.ns != q.namespace_) continue;
    nlohmann::json entry;
    if (run.summary().contains("quotas") && run.summary()["quotas"].is_array()) {
      for (const auto& e : run.summary()["quotas"]) {
        if (e.value("namespace", std::string()) == qu.ns &&
            e.value("name", std::string()) == qu.name)
          entry = e;
      }
    }
    const auto labels = labels_of(entry);
    if (!q.selector.matches(labels)) continue;
    std::vector<std::string> row;
    if (all_ns) row.push_back(qu.ns);
    row.push_back(qu.name);
    row.push_back(age(qu.first_ms, q.at_ms));
    row.push_back(qu.request);
    row.push_back(qu.limit);
    rows.push_back(std::move(row));
    items.push_back(
        ojson{{"apiVersion", "v1"},
              {"kind", "ResourceQuota"},
              {"metadata", object_meta(qu.ns, qu.name, labels)},
              {"spec", {{"hard", qu.hard}}},
              {"status", {{"hard", qu.hard}, {"used", qu.used}}},
              {"gpusim", {{"sampled_ms", qu.sampled_ms}, {"first_sampled_ms", qu.first_ms}}}});
  }
  return render(rows, items, q.format, "resource quotas");
}

// Without workloads.csv: Deployments seen through their pods (ReplicaSet owner <deploy>-<hash>).
std::string get_deployments_from_pods(const RunDir& run, const GetRequest& q) {
  const ClusterState st = ClusterState::at(run, q.at_ms);
  struct D {
    std::string ns, name;
    std::int64_t pods = 0, ready = 0;
    TimeMs first = kForever;
  };
  std::map<std::string, D> ds;
  for (const auto& ps : st.pods()) {
    const PodRecord& p = *ps.pod;
    if (p.owner_kind != "ReplicaSet") continue;
    const auto dash = p.owner_name.rfind('-');
    const std::string name =
        dash == std::string::npos ? p.owner_name : p.owner_name.substr(0, dash);
    if (!q.namespace_.empty() && p.namespace_ != q.namespace_) continue;
    D& d = ds[p.namespace_ + "/" + name];
    d.ns = p.namespace_;
    d.name = name;
    if (ps.phase == "Pending" || ps.phase == "Running") ++d.pods;
    if (ps.phase == "Running") ++d.ready;
    d.first = std::min(d.first, p.created_ms);
  }
  std::vector<std::vector<std::string>> rows = {{"NAMESPACE", "NAME", "READY", "PODS", "AGE"}};
  ojson items = ojson::array();
  for (const auto& [k, d] : ds) {
    rows.push_back({d.ns, d.name, std::to_string(d.ready) + "/" + std::to_string(d.pods),
                    std::to_string(d.pods), age(d.first, q.at_ms)});
    items.push_back(ojson{{"apiVersion", "apps/v1"},
                          {"kind", "Deployment"},
                          {"metadata", {{"name", d.name}, {"namespace", d.ns}}},
                          {"status", {{"replicas", d.pods}, {"readyReplicas", d.ready}}}});
  }
  std::string out = render(rows, items, q.format, "deployments");
  if (q.format == OutputFormat::kTable || q.format == OutputFormat::kWide) {
    out +=
        "(from pods.csv: this run has no workloads.csv; READY counts running pods of each "
        "Deployment's ReplicaSets)\n";
  }
  return out;
}

}  // namespace

std::string get_resources(const RunDir& run, const GetRequest& q) {
  const std::string kind = canonical_kind(q.kind);
  if (kind == "nodes") return get_nodes(run, q);
  if (kind == "pods") return get_pods(run, q);
  if (kind == "deployments") {
    if (run.table("workloads.csv") == nullptr) {
      if (!q.selector.empty())
        throw std::invalid_argument(
            "-l: this run has no workloads.csv, so no Deployment labels were recorded");
      return get_deployments_from_pods(run, q);
    }
    return get_deployments(run, q);
  }
  if (kind == "hpa") return get_hpas(run, q);
  if (kind == "quota") return get_quotas(run, q);
  throw std::invalid_argument("unknown resource type \"" + q.kind +
                              "\": expected nodes, pods, deployments, hpa or quota");
}

}  // namespace gpusim::reports
