#include "reports/metrics.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "reports/cluster_state.hpp"

namespace gpusim::reports {

namespace {

using K = MetricKind;
using U = Unit;

const std::vector<std::string> kPodLabels = {"namespace", "pod",      "owner_kind", "owner",
                                             "node",      "priority", "phase"};
const std::vector<std::string> kEventLabels = {"namespace", "object", "kind", "node"};
const std::vector<std::string> kGroupLabels = {"pool", "gpu_model"};

struct Family {
  const char* prefix;
  const char* file;
  const char* object_label;  // synthesised from namespace + name columns when absent
  // The columns that name the object a row is about, the first present one being the object:
  // the series' labels. The file's other text columns are state (an HPA's conditions and metric
  // values change from sample to sample); a label of them would split one object's samples into
  // a series per state.
  std::vector<const char*> identity;
};
const Family kFamilies[] = {
    {"workload_", "workloads.csv", "workload", {"workload", "deployment", "namespace", "name"}},
    {"hpa_", "hpa.csv", "hpa", {"hpa", "target", "namespace", "name"}},
    {"quota_", "quota.csv", "quota", {"quota", "namespace", "resource"}},
    {"pool_", "pools.csv", "pool", {"pool"}},
};

// How a family's rows become series labels in one file: its identity columns present, the
// object label synthesised from namespace/name when the file has no such column, and
// `namespace` taken from a namespace/name object (hpa.csv's `hpa`, workloads.csv's
// `deployment`) when the file has no namespace column.
struct FamilyLabels {
  std::vector<std::pair<std::string, std::size_t>> columns;  // label, column
  std::optional<std::size_t> object;                         // the object's column
  std::optional<std::size_t> ns_col, name_col;               // to synthesise object_label
  bool namespace_from_object = false;

  FamilyLabels(const Family& f, const CsvTable& t) {
    for (const char* c : f.identity) {
      if (auto i = t.column(c)) {
        columns.emplace_back(c, *i);
        if (!object) object = i;
      }
    }
    if (!t.has(f.object_label) && t.has("namespace") && t.has("name")) {
      ns_col = t.column("namespace");
      name_col = t.column("name");
    }
    const bool namespaced = std::any_of(f.identity.begin(), f.identity.end(), [](const char* c) {
      return c == std::string_view("namespace");
    });
    namespace_from_object = namespaced && !t.has("namespace") && object.has_value();
  }
  std::vector<std::string> names(const Family& f) const {
    std::vector<std::string> out;
    for (const auto& [l, c] : columns)
      out.push_back(l);
    if (ns_col) out.emplace_back(f.object_label);
    if (namespace_from_object) out.emplace_back("namespace");
    return out;
  }
  Labels of(const Family& f, const std::vector<std::string>& row) const {
    Labels l;
    for (const auto& [name, c] : columns)
      l[name] = row[c];
    if (ns_col) l[f.object_label] = row[*ns_col] + "/" + row[*name_col];
    if (namespace_from_object) {
      const std::string& o = row[*object];
      const auto slash = o.find('/');
      l["namespace"] = slash == std::string::npos ? std::string() : o.substr(0, slash);
    }
    return l;
  }
  // The object a row is about, for messages.
  std::string subject(const Family& f, const Labels& l) const {
    if (auto o = l.find(f.object_label); o != l.end()) return o->second;
    return object ? l.at(columns.front().first) : std::string();
  }
};

std::vector<MetricInfo> build_catalog() {
  std::vector<MetricInfo> c;
  auto add = [&](std::string name, K k, U u, std::vector<std::string> labels, std::string src,
                 std::string help) {
    c.push_back(
        MetricInfo{std::move(name), k, u, std::move(labels), std::move(src), std::move(help)});
  };
  // Cluster gauges (timeseries.csv), and GPU gauges per pool / GPU model (pods.csv + nodes.csv).
  add("gpu_allocation", K::kGauge, U::kRatio, kGroupLabels, "timeseries.csv, pods.csv, nodes.csv",
      "allocated / capacity of nvidia.com/gpu (milli-GPU); by pool or gpu_model when a selector "
      "names them");
  add("gpu_fragmentation", K::kGauge, U::kRatio, kGroupLabels, "pods.csv, nodes.csv",
      "free milli-GPU on partly allocated devices / GPU capacity");
  add("gpus_allocated", K::kGauge, U::kNumber, kGroupLabels, "timeseries.csv, pods.csv, nodes.csv",
      "allocated GPUs (milli-GPU / 1000)");
  add("gpu_capacity", K::kGauge, U::kNumber, kGroupLabels, "timeseries.csv, pods.csv, nodes.csv",
      "GPUs on nodes present");
  add("cpu_allocation", K::kGauge, U::kRatio, {}, "timeseries.csv", "allocated / capacity of cpu");
  add("memory_allocation", K::kGauge, U::kRatio, {}, "timeseries.csv",
      "allocated / capacity of memory");
  add("pods_pending", K::kGauge, U::kNumber, {}, "timeseries.csv", "pods in phase Pending");
  add("pods_running", K::kGauge, U::kNumber, {}, "timeseries.csv", "pods in phase Running");
  add("pods_succeeded", K::kGauge, U::kNumber, {}, "timeseries.csv",
      "pods in phase Succeeded (existing)");
  add("pods_failed", K::kGauge, U::kNumber, {}, "timeseries.csv",
      "pods in phase Failed (existing)");
  add("nodes", K::kGauge, U::kNumber, {}, "timeseries.csv", "nodes in the cluster");
  add("nodes_ready", K::kGauge, U::kNumber, {}, "timeseries.csv", "nodes with Ready=True");
  add("hpa_at_max", K::kGauge, U::kBool, {"hpa", "namespace"}, "hpa.csv",
      "1 while an HPA's current replicas equal its maxReplicas");
  add("hpa_at_min", K::kGauge, U::kBool, {"hpa", "namespace"}, "hpa.csv",
      "1 while an HPA's current replicas equal its minReplicas");
  add("quota_usage", K::kGauge, U::kRatio, {"namespace", "quota", "resource"}, "quota.csv",
      "used / hard per quota and resource");
  // Per pod (pods.csv), at the pod's creation time.
  add("pod_wait", K::kObject, U::kDuration, kPodLabels, "pods.csv",
      "time from creation to binding (to deletion or the end of the run when never bound)");
  add("pod_wait_with_quota", K::kObject, U::kDuration, kPodLabels, "pods.csv",
      "pod_wait plus the time admission (ResourceQuota) refused the owner's creations before the "
      "pod existed: from the first refusal since the owner last created a pod (pods.csv "
      "wait_from_ms), the wait namespaces.csv and summary.json report");
  add("pod_startup", K::kObject, U::kDuration, kPodLabels, "pods.csv",
      "time from creation to running (started pods)");
  add("pod_unscheduled", K::kObject, U::kBool, kPodLabels, "pods.csv",
      "1 for a pod never bound to a node");
  add("pod_failed", K::kObject, U::kBool, kPodLabels, "pods.csv",
      "1 for a pod that ended in phase Failed");
  add("pod_restarts", K::kObject, U::kNumber, kPodLabels, "pods.csv",
      "container restarts of a pod");
  add("gpu_hours", K::kObject, U::kNumber, kPodLabels, "pods.csv",
      "GPU-hours a pod held (milli-GPU x time / 1000)");
  // Events (events.jsonl).
  add("events", K::kEvent, U::kNumber, {"type", "namespace", "object", "kind", "node", "warning"},
      "events.jsonl",
      "Kubernetes events; `type` is the reason (Scheduled, FailedScheduling, Preempted, ...)");
  add("quota_rejections", K::kEvent, U::kNumber,
      {"namespace", "object", "kind", "quota", "resource"}, "events.jsonl",
      "creations refused by ResourceQuota admission (FailedCreate or ReplicaSetCreateError: "
      "exceeded quota)");
  add("admission_rejections", K::kEvent, U::kNumber, kEventLabels, "events.jsonl",
      "creations refused by any admission plugin (FailedCreate, ReplicaSetCreateError events)");
  add("scheduling_failures", K::kEvent, U::kNumber, kEventLabels, "events.jsonl",
      "FailedScheduling events");
  add("preemptions", K::kEvent, U::kNumber, kEventLabels, "events.jsonl",
      "pods preempted (Preempted events)");
  add("evictions", K::kEvent, U::kNumber, kEventLabels, "events.jsonl",
      "pods evicted (Evicted events)");
  // Jobs (events.jsonl: Job and CronJob events).
  add("jobs_complete", K::kObject, U::kBool, {"namespace", "job", "cronjob"}, "events.jsonl",
      "1 for a Job that completed (Completed event), per Job, at its first event; cronjob from the "
      "CronJob's `Created job` events");
  add("jobs_failed", K::kObject, U::kBool, {"namespace", "job", "cronjob"}, "events.jsonl",
      "1 for a Job that failed (BackoffLimitExceeded or DeadlineExceeded)");
  return c;
}

bool numeric_column(const CsvTable& t, std::size_t c) {
  bool any = false;
  for (const auto& r : t.rows()) {
    if (r[c].empty()) continue;
    if (!to_double(r[c])) return false;
    any = true;
  }
  return any;
}

const Family* family_of(std::string_view name) {
  for (const auto& f : kFamilies) {
    if (name.substr(0, std::string_view(f.prefix).size()) == f.prefix) return &f;
  }
  return nullptr;
}

bool match_all(const Labels& l, const std::vector<LabelMatcher>& ms) {
  for (const auto& m : ms) {
    auto it = l.find(m.label);
    if (!m.matches(it == l.end() ? std::string() : it->second)) return false;
  }
  return true;
}

std::string ns_of(const std::string& key) {
  const auto p = key.find('/');
  return p == std::string::npos ? std::string() : key.substr(0, p);
}

Labels pod_labels(const PodRecord& p) {
  return Labels{{"namespace", p.namespace_},
                {"pod", p.key},
                {"owner_kind", p.owner_kind},
                {"owner", p.owner_name.empty() ? std::string() : p.namespace_ + "/" + p.owner_name},
                {"node", p.node},
                {"priority", std::to_string(p.priority)},
                {"phase", p.phase}};
}

// Gauges from timeseries.csv columns: value = num / den (den empty: num alone).
std::vector<Series> timeseries_gauge(const RunDir& run, const char* num, const char* den,
                                     double scale) {
  const CsvTable& ts = run.timeseries();
  auto t = ts.column("t_ms");
  auto n = ts.column(num);
  std::optional<std::size_t> d;
  if (den != nullptr) d = ts.column(den);
  if (!t || !n || (den != nullptr && !d)) {
    throw MetricError(std::string("timeseries.csv has no ") + (n ? den : num) + " column");
  }
  Series s;
  for (const auto& row : ts.rows()) {
    const double v = to_double(row[*n]).value_or(0);
    double value = v * scale;
    if (d) {
      const double dv = to_double(row[*d]).value_or(0);
      value = dv > 0 ? v / dv : 0;
    }
    s.points.push_back(Point{to_int(row[*t]).value_or(0), value, {}});
  }
  return {s};
}

std::vector<Series> group_gauge(const RunDir& run, std::string_view metric,
                                const std::vector<LabelMatcher>& ms) {
  bool by_pool = false, by_model = false;
  for (const auto& m : ms) {
    by_pool = by_pool || m.label == "pool";
    by_model = by_model || m.label == "gpu_model";
  }
  if (!by_pool && !by_model && metric != "gpu_fragmentation") {
    if (metric == "gpu_allocation")
      return timeseries_gauge(run, "gpu_allocated_milli", "gpu_capacity_milli", 1);
    if (metric == "gpus_allocated")
      return timeseries_gauge(run, "gpu_allocated_milli", nullptr, 0.001);
    if (metric == "gpu_capacity")
      return timeseries_gauge(run, "gpu_capacity_milli", nullptr, 0.001);
  }
  const GroupBy by = by_pool && by_model ? GroupBy::kPoolAndModel
                     : by_pool           ? GroupBy::kPool
                     : by_model          ? GroupBy::kGpuModel
                                         : GroupBy::kCluster;
  std::vector<Series> out;
  for (const auto& [name, pts] : gpu_groups(run, by, sample_times(run))) {
    Series s;
    if (by == GroupBy::kPoolAndModel) {
      const auto slash = name.find('/');
      s.labels = {{"pool", name.substr(0, slash)}, {"gpu_model", name.substr(slash + 1)}};
    } else if (by == GroupBy::kPool) {
      s.labels = {{"pool", name}};
    } else if (by == GroupBy::kGpuModel) {
      s.labels = {{"gpu_model", name}};
    }
    if (!match_all(s.labels, ms)) continue;
    for (const auto& p : pts) {
      double v = 0;
      if (metric == "gpu_allocation")
        v = p.capacity_milli > 0 ? double(p.allocated_milli) / double(p.capacity_milli) : 0;
      if (metric == "gpu_fragmentation")
        v = p.capacity_milli > 0 ? double(p.fragmented_milli) / double(p.capacity_milli) : 0;
      if (metric == "gpus_allocated") v = double(p.allocated_milli) / 1000.0;
      if (metric == "gpu_capacity") v = double(p.capacity_milli) / 1000.0;
      s.points.push_back(Point{p.t_ms, v, name});
    }
    out.push_back(std::move(s));
  }
  return out;
}

struct JobInfo {
  std::string key;
  TimeMs first_ms = 0;
  std::string cronjob;
  bool complete = false, failed = false;
};

std::vector<JobInfo> jobs_from_events(const RunDir& run) {
  std::map<std::string, JobInfo> jobs;
  std::vector<std::string> order;
  auto touch = [&](const std::string& key, TimeMs t) -> JobInfo& {
    auto [it, inserted] = jobs.try_emplace(key);
    if (inserted) {
      it->second.key = key;
      it->second.first_ms = t;
      order.push_back(key);
    }
    return it->second;
  };
  for (const auto& e : run.events()) {
    if (e.kind == "CronJob" && e.type == "SuccessfulCreate") {
      // Upstream: "Created job <name>".
      const std::string prefix = "Created job ";
      if (e.message.rfind(prefix, 0) == 0) {
        JobInfo& j = touch(ns_of(e.object) + "/" + e.message.substr(prefix.size()), e.t_ms);
        j.cronjob = e.object;
      }
    } else if (e.kind == "Job") {
      JobInfo& j = touch(e.object, e.t_ms);
      if (e.type == "Completed") j.complete = true;
      if (e.type == "BackoffLimitExceeded" || e.type == "DeadlineExceeded" || e.type == "Failed")
        j.failed = true;
    }
  }
  std::vector<JobInfo> out;
  for (const auto& k : order)
    out.push_back(jobs[k]);
  return out;
}

std::vector<Series> family_gauge(const RunDir& run, const Family& f, std::string_view metric,
                                 const std::vector<LabelMatcher>& ms) {
  const CsvTable* t = run.table(f.file);
  if (t == nullptr) {
    throw MetricError(std::string(metric) + " needs " + f.file + ", which this run did not write");
  }
  // A header and no rows: the run had none of these objects (a serving run without an HPA
  // writes hpa.csv all the same), which is the missing file's case, not a failed assertion.
  if (t->empty()) {
    throw MetricError(std::string(metric) + " needs rows of " + f.file +
                      ", which has none in this run (no such object)");
  }
  auto tc = t->column("t_ms");
  if (!tc) throw MetricError(std::string(f.file) + " has no t_ms column");
  const FamilyLabels labels(f, *t);
  // A label the series do not have would match nothing, and "no data" would hide the typo.
  const std::vector<std::string> label_names = labels.names(f);
  for (const auto& m : ms) {
    if (std::find(label_names.begin(), label_names.end(), m.label) != label_names.end()) continue;
    std::string known;
    for (const auto& n : label_names)
      known += (known.empty() ? "" : ", ") + n;
    throw MetricError(std::string(metric) + " has no label \"" + m.label + "\" (labels from " +
                      f.file + ": " + (known.empty() ? "none" : known) + ")");
  }

  // The value of one row, or nullopt when the metric's column is not in this file.
  auto col = [&](std::initializer_list<const char*> names) -> std::optional<std::size_t> {
    for (const char* n : names) {
      if (auto c = t->column(n)) return c;
    }
    return std::nullopt;
  };
  std::function<double(const std::vector<std::string>&)> value;
  const std::string m(metric);
  if (m == "hpa_at_max" || m == "hpa_at_min") {
    auto cur = col({"current_replicas", "replicas", "status_current_replicas"});
    auto lim = m == "hpa_at_max" ? col({"max_replicas", "maxReplicas"})
                                 : col({"min_replicas", "minReplicas"});
    if (!cur || !lim)
      throw MetricError(m + " needs current_replicas and " + (m == "hpa_at_max" ? "max" : "min") +
                        "_replicas columns in hpa.csv");
    value = [cur, lim](const std::vector<std::string>& r) {
      return to_double(r[*cur]).value_or(-1) == to_double(r[*lim]).value_or(-2) ? 1.0 : 0.0;
    };
  } else if (m == "quota_usage") {
    auto used = col({"used"});
    auto hard = col({"hard"});
    if (!used || !hard) throw MetricError("quota_usage needs used and hard columns in quota.csv");
    value = [used, hard](const std::vector<std::string>& r) {
      const double h = to_double(r[*hard]).value_or(0);
      return h > 0 ? to_double(r[*used]).value_or(0) / h : 0.0;
    };
  } else {
    const std::string column = m.substr(std::string_view(f.prefix).size());
    auto c = t->column(column);
    if (!c) {
      std::string known;
      for (std::size_t i = 0; i < t->header().size(); ++i) {
        if (i != *tc && numeric_column(*t, i))
          known += (known.empty() ? "" : ", ") + (f.prefix + t->header()[i]);
      }
      throw MetricError(std::string(f.file) + " has no column \"" + column +
                        "\" (metrics from it: " + (known.empty() ? "none" : known) + ")");
    }
    value = [c](const std::vector<std::string>& r) { return to_double(r[*c]).value_or(0); };
  }
  std::map<Labels, Series> by_labels;
  std::vector<Labels> order;
  for (const auto& r : t->rows()) {
    Labels l = labels.of(f, r);
    if (!match_all(l, ms)) continue;
    auto [it, inserted] = by_labels.try_emplace(l);
    if (inserted) {
      it->second.labels = l;
      order.push_back(l);
    }
    it->second.points.push_back(Point{to_int(r[*tc]).value_or(0), value(r), labels.subject(f, l)});
  }
  std::vector<Series> out;
  for (const auto& l : order)
    out.push_back(std::move(by_labels[l]));
  return out;
}

}  // namespace

const std::vector<MetricInfo>& metric_catalog() {
  static const std::vector<MetricInfo> catalog = build_catalog();
  return catalog;
}

const MetricInfo* find_metric(std::string_view name) {
  for (const auto& m : metric_catalog()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string family_file(std::string_view name) {
  const Family* f = family_of(name);
  return f == nullptr ? std::string() : f->file;
}

std::vector<std::string> family_identity(std::string_view file) {
  for (const auto& f : kFamilies) {
    if (file == f.file) return {f.identity.begin(), f.identity.end()};
  }
  return {};
}

bool LabelMatcher::matches(const std::string& v) const {
  switch (op) {
    case Op::kEq:
      return v == value;
    case Op::kNe:
      return v != value;
    case Op::kRegex:
      return std::regex_match(v, std::regex(value));
    case Op::kNotRegex:
      return !std::regex_match(v, std::regex(value));
  }
  return false;
}

TimeMs pod_wait_ms(const PodRecord& p, TimeMs end_ms) {
  if (p.scheduled_ms) return *p.scheduled_ms - p.created_ms;
  const TimeMs until = p.deleted_ms ? std::min(*p.deleted_ms, end_ms) : end_ms;
  return std::max<TimeMs>(0, until - p.created_ms);
}

TimeMs pod_wait_with_quota_ms(const PodRecord& p, TimeMs end_ms) {
  return pod_wait_ms(p, end_ms) + (p.created_ms - std::min(p.wait_from_ms, p.created_ms));
}

double pod_gpu_hours(const PodRecord& p, TimeMs end_ms) {
  if (!p.scheduled_ms || p.gpu_milli == 0) return 0;
  const TimeMs until = p.released_ms().value_or(end_ms);
  return static_cast<double>(p.gpu_milli) *
         static_cast<double>(std::max<TimeMs>(0, until - *p.scheduled_ms)) / 1000.0 / 3'600'000.0;
}

std::optional<QuotaRejection> parse_quota_rejection(const std::string& message) {
  QuotaRejection q;
  std::size_t p = message.find("exceeded quota: ");
  std::size_t start = 0;
  if (p != std::string::npos) {
    start = p + 16;
  } else if ((p = message.find("failed quota: ")) != std::string::npos) {
    start = p + 14;
  } else {
    return std::nullopt;
  }
  const std::size_t end = message.find_first_of(",:", start);
  q.quota = message.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auto r = message.find("requested: ", start); r != std::string::npos) {
    const std::size_t rs = r + 11;
    const std::size_t re = message.find_first_of("=,", rs);
    q.resource = message.substr(rs, re == std::string::npos ? std::string::npos : re - rs);
  }
  return q;
}

MetricInfo describe_metric(const RunDir* run, std::string_view metric) {
  if (const MetricInfo* m = find_metric(metric)) return *m;
  MetricInfo info;
  info.name = std::string(metric);
  info.kind = MetricKind::kGauge;
  info.unit = Unit::kNumber;
  if (const Family* f = family_of(metric)) {
    info.source = f->file;
    info.help = "column of " + std::string(f->file);
    if (run != nullptr) {
      if (const CsvTable* t = run->table(f->file)) info.labels = FamilyLabels(*f, *t).names(*f);
    }
  }
  return info;
}

std::vector<Series> load_series(const RunDir& run, std::string_view metric,
                                const std::vector<LabelMatcher>& ms) {
  const std::string m(metric);
  const TimeMs end = run.end_ms();
  if (m == "gpu_allocation" || m == "gpu_fragmentation" || m == "gpus_allocated" ||
      m == "gpu_capacity") {
    return group_gauge(run, m, ms);
  }
  if (m == "cpu_allocation")
    return timeseries_gauge(run, "cpu_allocated_milli", "cpu_capacity_milli", 1);
  if (m == "memory_allocation")
    return timeseries_gauge(run, "memory_allocated_bytes", "memory_capacity_bytes", 1);
  if (m == "pods_pending" || m == "pods_running" || m == "pods_succeeded" || m == "pods_failed" ||
      m == "nodes" || m == "nodes_ready") {
    return timeseries_gauge(run, m.c_str(), nullptr, 1);
  }
  if (m.rfind("pod_", 0) == 0 || m == "gpu_hours") {
    Series s;
    for (const auto& p : run.pods()) {
      Labels l = pod_labels(p);
      if (!match_all(l, ms)) continue;
      double v = 0;
      if (m == "pod_wait") v = static_cast<double>(pod_wait_ms(p, end));
      if (m == "pod_wait_with_quota") v = static_cast<double>(pod_wait_with_quota_ms(p, end));
      if (m == "pod_startup") {
        if (!p.started_ms) continue;
        v = static_cast<double>(*p.started_ms - p.created_ms);
      }
      if (m == "pod_unscheduled") v = p.scheduled_ms ? 0 : 1;
      if (m == "pod_failed") v = p.phase == "Failed" ? 1 : 0;
      if (m == "pod_restarts") v = static_cast<double>(p.restarts);
      if (m == "gpu_hours") v = pod_gpu_hours(p, end);
      s.points.push_back(Point{p.created_ms, v, p.key});
    }
    std::stable_sort(s.points.begin(), s.points.end(),
                     [](const Point& a, const Point& b) { return a.t_ms < b.t_ms; });
    return {s};
  }
  if (m == "events" || m == "quota_rejections" || m == "admission_rejections" ||
      m == "scheduling_failures" || m == "preemptions" || m == "evictions") {
    Series s;
    for (const auto& e : run.events()) {
      Labels l{
          {"namespace", e.namespace_()}, {"object", e.object}, {"kind", e.kind}, {"node", e.node}};
      if (m == "events") {
        l["type"] = e.type;
        l["warning"] = e.warning ? "true" : "false";
      } else if (m == "quota_rejections") {
        if (!e.refused_creation()) continue;
        auto q = parse_quota_rejection(e.message);
        if (!q) continue;
        l["quota"] = q->quota;
        l["resource"] = q->resource;
      } else if (m == "admission_rejections") {
        if (!e.refused_creation()) continue;
      } else if (m == "scheduling_failures") {
        if (e.type != "FailedScheduling") continue;
      } else if (m == "preemptions") {
        if (e.type != "Preempted") continue;
      } else if (m == "evictions") {
        if (e.type != "Evicted") continue;
      }
      if (!match_all(l, ms)) continue;
      s.points.push_back(Point{e.t_ms, 1, e.object + (e.message.empty() ? "" : ": " + e.message)});
    }
    return {s};
  }
  if (m == "jobs_complete" || m == "jobs_failed") {
    Series s;
    for (const auto& j : jobs_from_events(run)) {
      Labels l{{"namespace", ns_of(j.key)}, {"job", j.key}, {"cronjob", j.cronjob}};
      if (!match_all(l, ms)) continue;
      s.points.push_back(
          Point{j.first_ms, (m == "jobs_complete" ? j.complete : j.failed) ? 1.0 : 0.0, j.key});
    }
    return {s};
  }
  if (const Family* f = family_of(m)) return family_gauge(run, *f, m, ms);
  throw MetricError("unknown metric \"" + m + "\"");
}

}  // namespace gpusim::reports
