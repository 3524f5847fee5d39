#include "reports/resource_view.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "core/duration.hpp"
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
    ojson list{{"kind", "List"}, {"items", items}};
    return f == OutputFormat::kJson ? list.dump(2) + "\n" : to_yaml(list);
  }
  if (rows.size() <= 1) return "No " + kind + " found at that time.\n";
  return table_text(rows);
}

// Node conditions from Node events up to t (Ready unless a NotReady event is the latest).
std::map<std::string, std::string> node_status(const RunDir& run, TimeMs t) {
  std::map<std::string, std::string> ready, sched;
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

// The latest row at or before t of each object in a controller CSV.
struct Latest {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
Latest latest_rows(const CsvTable& t, TimeMs at, const std::vector<std::string>& key_cols) {
  Latest out;
  out.header = t.header();
  auto tc = t.column("t_ms");
  std::vector<std::size_t> keys;
  for (const auto& k : key_cols) {
    if (auto c = t.column(k)) keys.push_back(*c);
  }
  std::map<std::string, std::size_t> index;
  for (const auto& row : t.rows()) {
    if (tc && to_int(row[*tc]).value_or(0) > at) continue;
    std::string key;
    for (auto k : keys)
      key += row[k] + "\x1f";
    auto [it, inserted] = index.try_emplace(key, out.rows.size());
    if (inserted) {
      out.rows.push_back(row);
    } else {
      out.rows[it->second] = row;
    }
  }
  return out;
}

std::string get_table(const RunDir& run, const GetRequest& q, const std::string& file,
                      const std::vector<std::string>& key_cols, const std::string& kind) {
  const CsvTable* t = run.table(file);
  if (t == nullptr)
    throw std::invalid_argument(run.path() + ": " + file + " is not in this run; `get " + q.kind +
                                "` needs it");
  const Latest l = latest_rows(*t, q.at_ms, key_cols);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head;
  auto ns_col = t->column("namespace");
  for (const auto& h : l.header) {
    if (h == "t_ms") continue;
    std::string u;
    for (char c : h)
      u += c == '_' ? '-' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    head.push_back(u);
  }
  rows.push_back(head);
  ojson items = ojson::array();
  for (const auto& r : l.rows) {
    if (!q.namespace_.empty() && ns_col && r[*ns_col] != q.namespace_) continue;
    std::vector<std::string> out;
    ojson item{{"kind", kind}};
    for (std::size_t i = 0; i < l.header.size(); ++i) {
      if (l.header[i] == "t_ms") {
        item["sampled_ms"] = to_int(r[i]).value_or(0);
        continue;
      }
      out.push_back(r[i]);
      if (auto v = to_int(r[i]); v && std::to_string(*v) == r[i]) {
        item[l.header[i]] = *v;
      } else {
        item[l.header[i]] = r[i];
      }
    }
    rows.push_back(out);
    items.push_back(std::move(item));
  }
  return render(rows, items, q.format, q.kind);
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
    items.push_back(ojson{{"kind", "Deployment"},
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
  if (!q.selector.empty())
    throw std::invalid_argument("-l works with nodes and pods (the run records their labels)");
  if (kind == "deployments") {
    if (run.table("workloads.csv") == nullptr) return get_deployments_from_pods(run, q);
    return get_table(run, q, "workloads.csv",
                     {"namespace", "name", "workload", "deployment", "kind"}, "Deployment");
  }
  if (kind == "hpa")
    return get_table(run, q, "hpa.csv", {"namespace", "name", "hpa"}, "HorizontalPodAutoscaler");
  if (kind == "quota")
    return get_table(run, q, "quota.csv", {"namespace", "name", "quota", "resource"},
                     "ResourceQuota");
  throw std::invalid_argument("unknown resource type \"" + q.kind +
                              "\": expected nodes, pods, deployments, hpa or quota");
}

}  // namespace gpusim::reports
