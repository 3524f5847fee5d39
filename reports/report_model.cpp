#include "reports/report_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <regex>
#include <set>

#include "core/csv.hpp"
#include "core/duration.hpp"
#include "reports/cluster_state.hpp"
#include "reports/evaluator.hpp"
#include "reports/format.hpp"
#include "reports/metrics.hpp"

namespace gpusim::reports {

namespace {

using json = nlohmann::json;

std::int64_t jint(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return 0;
    p = &(*p)[k];
  }
  return p->is_number() ? p->get<std::int64_t>() : 0;
}

bool jhas(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return false;
    p = &(*p)[k];
  }
  return true;
}

Cell cell(std::string text, std::optional<double> v = std::nullopt) {
  return Cell{std::move(text), v, false};
}
Cell int_cell(std::int64_t v) {
  return cell(std::to_string(v), static_cast<double>(v));
}
Cell pct_cell(double f) {
  return cell(percent(f), f);
}
Cell dur_cell(double ms) {
  return cell(format_value(ms, Unit::kDuration), ms);
}

struct NsStats {
  std::int64_t pods = 0, failed = 0, unscheduled = 0;
  double gpu_hours = 0;
  std::vector<double> waits, waits_with_quota;
  std::int64_t quota_rejections = 0, other_rejections = 0, preemptions = 0;
};

std::map<std::string, NsStats> namespace_stats(const RunDir& r) {
  std::map<std::string, NsStats> ns;
  for (const auto& p : r.pods()) {
    NsStats& s = ns[p.namespace_];
    ++s.pods;
    if (p.phase == "Failed") ++s.failed;
    if (!p.scheduled_ms) ++s.unscheduled;
    s.gpu_hours += pod_gpu_hours(p, r.end_ms());
    s.waits.push_back(static_cast<double>(pod_wait_ms(p, r.end_ms())));
    s.waits_with_quota.push_back(static_cast<double>(pod_wait_with_quota_ms(p, r.end_ms())));
  }
  for (const auto& e : r.events()) {
    if (e.refused_creation()) {
      NsStats& s = ns[e.namespace_()];
      if (parse_quota_rejection(e.message))
        ++s.quota_rejections;
      else
        ++s.other_rejections;
    } else if (e.type == "Preempted") {
      ++ns[e.namespace_()].preemptions;
    }
  }
  for (auto& [k, s] : ns) {
    std::sort(s.waits.begin(), s.waits.end());
    std::sort(s.waits_with_quota.begin(), s.waits_with_quota.end());
  }
  return ns;
}

double mean_of(const std::vector<GpuGroupPoint>& pts, bool frag) {
  double sum = 0;
  std::size_t n = 0;
  for (const auto& p : pts) {
    if (p.capacity_milli <= 0) continue;
    sum += static_cast<double>(frag ? p.fragmented_milli : p.allocated_milli) /
           static_cast<double>(p.capacity_milli);
    ++n;
  }
  return n ? sum / static_cast<double>(n) : 0;
}

// ---- charts of one run ---------------------------------------------------------------------

ChartSeries series_of(std::string name, const std::vector<std::pair<double, double>>& pts,
                      bool step = true) {
  ChartSeries s;
  s.name = std::move(name);
  s.points = pts;
  s.step = step;
  return s;
}

std::vector<std::pair<double, double>> ts_column(const RunDir& r, const char* num,
                                                 const char* den = nullptr) {
  std::vector<std::pair<double, double>> out;
  const CsvTable& t = r.timeseries();
  auto tc = t.column("t_ms"), nc = t.column(num);
  std::optional<std::size_t> dc;
  if (den) dc = t.column(den);
  if (!tc || !nc || (den && !dc)) return out;
  for (const auto& row : t.rows()) {
    const double n = to_double(row[*nc]).value_or(0);
    double v = n;
    if (dc) {
      const double d = to_double(row[*dc]).value_or(0);
      v = d > 0 ? n / d : 0;
    }
    out.emplace_back(static_cast<double>(to_int(row[*tc]).value_or(0)), v);
  }
  return out;
}

std::vector<Chart> gpu_charts(const RunDir& r, const std::vector<TimeMs>& times,
                              Table& pool_table) {
  Chart alloc{
      "gpu-allocation", "GPU allocation", "allocated / capacity", Unit::kRatio, true, "", {}, ""};
  Chart frag{"gpu-fragmentation",
             "GPU fragmentation",
             "stranded / capacity",
             Unit::kRatio,
             true,
             "",
             {},
             ""};
  alloc.series.push_back(
      series_of("cluster", ts_column(r, "gpu_allocated_milli", "gpu_capacity_milli")));
  const auto cluster = gpu_groups(r, GroupBy::kCluster, times);
  // A pool or model with no GPU nodes at a sample (scaled to zero, not yet provisioned) has no
  // allocation there: a gap, as the pool table's means leave such samples out.
  auto to_pts = [](const std::vector<GpuGroupPoint>& g, bool f) {
    std::vector<std::pair<double, double>> out;
    for (const auto& p : g) {
      const double v = p.capacity_milli > 0
                           ? static_cast<double>(f ? p.fragmented_milli : p.allocated_milli) /
                                 static_cast<double>(p.capacity_milli)
                           : std::nan("");
      out.emplace_back(static_cast<double>(p.t_ms), v);
    }
    return out;
  };
  if (auto it = cluster.find("cluster"); it != cluster.end())
    frag.series.push_back(series_of("cluster", to_pts(it->second, true)));
  const auto pools = gpu_groups(r, GroupBy::kPool, times);
  const auto models = gpu_groups(r, GroupBy::kGpuModel, times);
  if (pools.size() > 1) {
    for (const auto& [name, pts] : pools) {
      alloc.series.push_back(series_of("pool " + name, to_pts(pts, false)));
      frag.series.push_back(series_of("pool " + name, to_pts(pts, true)));
    }
  }
  if (models.size() > 1) {
    for (const auto& [name, pts] : models) {
      alloc.series.push_back(series_of("model " + name, to_pts(pts, false)));
      frag.series.push_back(series_of("model " + name, to_pts(pts, true)));
    }
  }
  if (cluster.empty()) {
    alloc.series.clear();
    frag.series.clear();
    alloc.note = frag.note = "This cluster has no GPUs.";
  }
  frag.note =
      frag.note.empty()
          ? "Fragmentation: free milli-GPU on partly allocated devices, as a share of GPU capacity."
          : frag.note;
  // Pool table (for this run).
  const auto both = gpu_groups(r, GroupBy::kPoolAndModel, times);
  for (const auto& [name, pts] : both) {
    const auto slash = name.find('/');
    TableRow row;
    row.label = name.substr(0, slash);
    row.cells.push_back(cell(name.substr(slash + 1)));
    row.cells.push_back(int_cell(pts.empty() ? 0 : pts.back().nodes));
    row.cells.push_back(int_cell(pts.empty() ? 0 : pts.back().capacity_milli / 1000));
    row.cells.push_back(pct_cell(mean_of(pts, false)));
    row.cells.push_back(pct_cell(mean_of(pts, true)));
    pool_table.rows.push_back(std::move(row));
  }
  return {alloc, frag};
}

std::vector<Chart> scheduling_charts(const RunDir& r) {
  Chart pending{"pods", "Pods pending and running", "pods", Unit::kNumber, true, "", {}, ""};
  pending.series.push_back(series_of("pending", ts_column(r, "pods_pending")));
  pending.series.push_back(series_of("running", ts_column(r, "pods_running")));
  Chart wait{"scheduling-wait",
             "Scheduling wait of pods created in each interval",
             "wait",
             Unit::kDuration,
             true,
             "",
             {},
             ""};
  const TimeMs end = std::max<TimeMs>(r.end_ms(), 1);
  const int buckets = static_cast<int>(
      std::min<std::size_t>(120, std::max<std::size_t>(1, sample_times(r).size())));
  const double width = static_cast<double>(end) / buckets;
  std::vector<std::vector<double>> by(static_cast<std::size_t>(buckets));
  for (const auto& p : r.pods()) {
    auto b = static_cast<std::size_t>(
        std::min<double>(buckets - 1, static_cast<double>(p.created_ms) / width));
    by[b].push_back(static_cast<double>(pod_wait_ms(p, r.end_ms())));
  }
  ChartSeries p50 = series_of("p50", {}), p95 = series_of("p95", {}), mx = series_of("max", {});
  for (std::size_t b = 0; b < by.size(); ++b) {
    if (by[b].empty()) continue;
    std::sort(by[b].begin(), by[b].end());
    const double x = static_cast<double>(b) * width;
    p50.points.emplace_back(x, percentile_sorted(by[b], 50));
    p95.points.emplace_back(x, percentile_sorted(by[b], 95));
    mx.points.emplace_back(x, by[b].back());
  }
  for (ChartSeries* s : {&p50, &p95, &mx}) {
    s->step = false;
    s->markers = true;
  }
  wait.series = {p50, p95, mx};
  wait.note =
      "Wait: creation to binding; pods never bound count until deletion or the end of the run.";
  if (r.pods().empty()) wait.note = "No pods were created.";
  return {pending, wait};
}

bool numeric_col(const CsvTable& t, std::size_t c) {
  bool any = false;
  for (const auto& r : t.rows()) {
    if (r[c].empty()) continue;
    if (!to_double(r[c])) return false;
    any = true;
  }
  return any;
}

// Charts from a controller's CSV (workloads.csv, hpa.csv, quota.csv, pools.csv): one chart per
// value of the first present `group` column (or per namespace/name), one series per other
// identity combination (family_identity: an HPA's conditions are state, not a series of their
// own) and numeric column matching `columns`.
std::vector<Chart> family_charts(const RunDir& r, const std::string& file, const std::string& id,
                                 const std::string& title, const std::vector<std::string>& groups,
                                 const std::regex& columns, Unit unit,
                                 std::vector<std::string>& notes, const std::string& y_label = "",
                                 std::size_t max_charts = 24) {
  std::vector<Chart> out;
  const CsvTable* t = r.table(file);
  if (t == nullptr) return out;
  auto tc = t->column("t_ms");
  if (!tc) {
    notes.push_back(file + " has no t_ms column; not charted.");
    return out;
  }
  const std::vector<std::string> identity = family_identity(file);
  std::vector<std::size_t> labels, values;
  for (std::size_t c = 0; c < t->header().size(); ++c) {
    if (c == *tc) continue;
    if (numeric_col(*t, c)) {
      if (std::regex_search(t->header()[c], columns)) values.push_back(c);
    } else if (std::find(identity.begin(), identity.end(), t->header()[c]) != identity.end()) {
      labels.push_back(c);
    }
  }
  if (values.empty()) return out;
  std::optional<std::size_t> group;
  for (const auto& g : groups) {
    if (auto c = t->column(g); c && std::find(labels.begin(), labels.end(), *c) != labels.end()) {
      group = c;
      break;
    }
  }
  auto ns = t->column("namespace"), name = t->column("name");
  std::map<std::string, std::map<std::string, ChartSeries>> charts;
  std::vector<std::string> order;
  for (const auto& row : t->rows()) {
    std::string g =
        group ? row[*group] : (ns && name ? row[*ns] + "/" + row[*name] : std::string());
    std::string rest;
    for (auto c : labels) {
      if ((group && c == *group) || (!group && ns && name && (c == *ns || c == *name))) continue;
      rest += (rest.empty() ? "" : " ") + row[c];
    }
    if (!charts.count(g)) order.push_back(g);
    auto& series = charts[g];
    const double x = static_cast<double>(to_int(row[*tc]).value_or(0));
    for (auto c : values) {
      const std::string sname = (rest.empty() ? "" : rest + " ") + t->header()[c];
      auto [it, inserted] = series.try_emplace(sname);
      if (inserted) it->second.name = sname;
      it->second.points.emplace_back(x, to_double(row[c]).value_or(0));
    }
  }
  for (const auto& g : order) {
    if (out.size() == max_charts) {
      notes.push_back(std::to_string(order.size() - max_charts) + " more " + title +
                      " charts are left out; the data is in " + file + ".");
      break;
    }
    Chart ch{id + "-" + g, title + (g.empty() ? "" : ": " + g), y_label, unit, true, "", {}, ""};
    for (auto& [n, s] : charts[g])
      ch.series.push_back(s);
    out.push_back(std::move(ch));
  }
  return out;
}

std::vector<Chart> pool_node_charts(const RunDir& r, const std::vector<TimeMs>& times) {
  Chart nodes{"pool-nodes", "Nodes per pool", "nodes", Unit::kNumber, true, "", {}, ""};
  std::map<std::string, ChartSeries> by;
  for (const auto& n : r.nodes())
    by[n.pool.empty() ? "(no pool)" : n.pool].name = n.pool.empty() ? "(no pool)" : n.pool;
  for (TimeMs t : times) {
    std::map<std::string, int> count;
    for (const auto& n : r.nodes()) {
      if (n.exists_at(t)) ++count[n.pool.empty() ? "(no pool)" : n.pool];
    }
    for (auto& [k, s] : by)
      s.points.emplace_back(static_cast<double>(t), count[k]);
  }
  for (auto& [k, s] : by)
    nodes.series.push_back(s);
  return {nodes};
}

// What each pool cost per hour over time, in costPerHour's currency: pools.csv cost_micros is
// the cost so far (millionths), so the rate over each sample interval is its difference over the
// interval's length, holding from one sample to the next. One chart, a series per pool, so pools
// compare at a glance.
std::vector<Chart> cost_rate_charts(const RunDir& r) {
  const CsvTable* t = r.table("pools.csv");
  if (t == nullptr) return {};
  const auto tc = t->column("t_ms"), pc = t->column("pool"), cc = t->column("cost_micros");
  if (!tc || !pc || !cc) return {};
  Chart c{"pool-cost",
          "Cost per hour by pool",
          "cost per hour (costPerHour's currency)",
          Unit::kNumber,
          true,
          "",
          {},
          ""};
  std::map<std::string, std::pair<TimeMs, std::int64_t>> last;  // pool -> previous sample
  std::map<std::string, ChartSeries> by;
  std::vector<std::string> order;
  bool priced = false;
  for (const auto& row : t->rows()) {
    const std::string& pool = row[*pc];
    const TimeMs at = to_int(row[*tc]).value_or(0);
    const std::int64_t cost = to_int(row[*cc]).value_or(0);
    priced = priced || cost > 0;
    auto [it, first] = last.try_emplace(pool, at, cost);
    if (first) {
      order.push_back(pool);
      by[pool].name = pool;
      continue;
    }
    const auto [prev_ms, prev_cost] = it->second;
    if (at > prev_ms) {
      by[pool].points.emplace_back(static_cast<double>(prev_ms),
                                   static_cast<double>(cost - prev_cost) * 3'600'000.0 /
                                       static_cast<double>(at - prev_ms) / 1e6);
    }
    it->second = {at, cost};
  }
  if (!priced) {
    c.note = "No pool has a costPerHour: nothing to chart.";
    return {c};
  }
  for (const auto& p : order)
    c.series.push_back(std::move(by[p]));
  c.note =
      "Cost per hour: each pool's nodes times its costPerHour (nodes count from their "
      "request until removal), from pools.csv cost_micros.";
  return {c};
}

// A pool's provisioning state from pools.csv (failed_scale_ups, nodes_failed, backed_off,
// stocked_out per sample): the series and, with each sample holding until the next (the last
// until the end of the run), the time backed off and stocked out.
struct PoolProvisioning {
  std::vector<std::pair<double, double>> failed_scale_ups, backed_off, stocked_out;
  std::int64_t failed_scale_ups_final = 0, nodes_failed_final = 0;
  TimeMs backed_off_ms = 0, stocked_out_ms = 0;
  bool any() const {
    return failed_scale_ups_final > 0 || nodes_failed_final > 0 || backed_off_ms > 0 ||
           stocked_out_ms > 0;
  }
};

// Per pool, in the file's order; nullopt when pools.csv is absent or from a gpusim that did not
// write these columns.
std::optional<std::vector<std::pair<std::string, PoolProvisioning>>> pool_provisioning(
    const RunDir& r) {
  const CsvTable* t = r.table("pools.csv");
  if (t == nullptr) return std::nullopt;
  const auto tc = t->column("t_ms"), pc = t->column("pool"), fc = t->column("failed_scale_ups"),
             nc = t->column("nodes_failed"), bc = t->column("backed_off"),
             sc = t->column("stocked_out");
  if (!tc || !pc || !fc || !nc || !bc || !sc) return std::nullopt;
  std::vector<std::pair<std::string, PoolProvisioning>> out;
  std::map<std::string, std::size_t> index;
  std::map<std::string, std::pair<TimeMs, std::array<bool, 2>>> last;  // time, state
  const auto hold = [&](PoolProvisioning& p, const std::pair<TimeMs, std::array<bool, 2>>& from,
                        TimeMs to) {
    const TimeMs dt = std::max<TimeMs>(0, to - from.first);
    if (from.second[0]) p.backed_off_ms += dt;
    if (from.second[1]) p.stocked_out_ms += dt;
  };
  for (const auto& row : t->rows()) {
    const std::string& pool = row[*pc];
    auto [it, inserted] = index.try_emplace(pool, out.size());
    if (inserted) out.emplace_back(pool, PoolProvisioning{});
    PoolProvisioning& p = out[it->second].second;
    const TimeMs now = to_int(row[*tc]).value_or(0);
    const double x = static_cast<double>(now);
    const std::int64_t failed = to_int(row[*fc]).value_or(0);
    const bool backed_off = to_int(row[*bc]).value_or(0) != 0;
    const bool stocked_out = to_int(row[*sc]).value_or(0) != 0;
    if (auto l = last.find(pool); l != last.end()) hold(p, l->second, now);
    last[pool] = {now, {backed_off, stocked_out}};
    p.failed_scale_ups.emplace_back(x, static_cast<double>(failed));
    p.backed_off.emplace_back(x, backed_off ? 1 : 0);
    p.stocked_out.emplace_back(x, stocked_out ? 1 : 0);
    p.failed_scale_ups_final = failed;
    p.nodes_failed_final = to_int(row[*nc]).value_or(0);
  }
  for (auto& [pool, p] : out)
    hold(p, last.at(pool), r.end_ms());
  return out;
}

// For the pools whose provisioning ever failed, was backed off or stocked out: the failed
// scale-ups over time (one chart, a series per pool) and each pool's back-off and stock-out.
std::vector<Chart> provisioning_charts(
    const std::vector<std::pair<std::string, PoolProvisioning>>& pools) {
  std::vector<Chart> out;
  Chart failed{"pool-failed-scale-ups",
               "Failed scale-ups per pool (cumulative: refused or timed out)",
               "failed scale-ups",
               Unit::kNumber,
               true,
               "",
               {},
               ""};
  for (const auto& [pool, p] : pools) {
    if (!p.any()) continue;
    failed.series.push_back(series_of(pool, p.failed_scale_ups));
  }
  if (failed.series.empty()) return out;
  out.push_back(std::move(failed));
  for (const auto& [pool, p] : pools) {
    if (!p.any()) continue;
    Chart c{"pool-provisioning-" + pool,
            "Back-off and stock-out: " + pool,
            "",
            Unit::kBool,
            true,
            "",
            {series_of("stocked out (the cloud refuses new instances)", p.stocked_out),
             series_of("backed off (no scale-up of this pool)", p.backed_off)},
            ""};
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Chart> arrival_charts(const RunDir& r) {
  const CsvTable* t = r.table("arrival.csv");
  if (t == nullptr) return {};
  auto x = t->column("arrived_pct");
  Chart c{"arrival",
          "Trace replay: GPU allocation and fragmentation as the workload arrives",
          "% of GPU capacity",
          Unit::kNumber,
          false,
          "arrived GPU requests, % of cluster GPU capacity",
          {},
          ""};
  if (!x) {
    c.note = "arrival.csv has no arrived_pct column.";
    return {c};
  }
  for (const char* col : {"allocation_pct", "unallocated_pct", "frag_pct"}) {
    auto yc = t->column(col);
    if (!yc) continue;
    ChartSeries s;
    s.name = col;
    s.step = false;
    for (const auto& row : t->rows())
      s.points.emplace_back(to_double(row[*x]).value_or(0), to_double(row[*yc]).value_or(0));
    c.series.push_back(std::move(s));
  }
  return {c};
}

bool notable(const RunEvent& e) {
  static const std::set<std::string> types = {"TriggeredScaleUp",
                                              "ScaleDown",
                                              "ScaleDownEmpty",
                                              "ScaledUpGroup",
                                              "NotTriggerScaleUp",
                                              "SuccessfulRescale",
                                              "NodeNotReady",
                                              "NodeReady",
                                              "NodeFailed",
                                              "NodeRecovered",
                                              "NodeRemoved",
                                              "NodeAdded",
                                              "RemovingNode",
                                              "Drain",
                                              "Draining",
                                              "DrainStarted",
                                              "Drained",
                                              "Cordon",
                                              "NodeNotSchedulable",
                                              "NodeSchedulable",
                                              "Evicted",
                                              "Preempted",
                                              "BackoffLimitExceeded",
                                              "DeadlineExceeded",
                                              "RolloutStarted",
                                              "RolloutComplete",
                                              "ProgressDeadlineExceeded",
                                              "SpotInterruption",
                                              "TaintManagerEviction",
                                              "FailedScaleUp"};
  if (types.count(e.type)) return true;
  if (e.kind == "Node") return true;
  // Every event about a node pool is the autoscaler's or the cloud's doing: scale-ups, their
  // failures and back-offs (ScaleUpFailed, ScaleUpTimedOut, BackOff, DeleteUnregistered),
  // removals, and the timeline's StockOut and Restock.
  if (e.kind == "NodePool") return true;
  if (e.kind == "Deployment" && e.type != "ScalingReplicaSet") return true;
  return e.warning && e.type != "FailedScheduling" && e.type != "FailedCreate";
}

// ---- merging runs ---------------------------------------------------------------------------

void merge_charts(std::vector<Chart>& into, std::vector<Chart> from, const std::string& variant,
                  int index, bool comparison, TimeMs end_ms) {
  for (auto& c : from) {
    if (c.x_is_time) c.x_end = std::max(c.x_end, static_cast<double>(end_ms));
    for (auto& s : c.series) {
      if (comparison) {
        s.name = variant + ": " + s.name;
        s.dash = index;
      }
    }
    auto it = std::find_if(into.begin(), into.end(), [&](const Chart& x) { return x.id == c.id; });
    if (it == into.end()) {
      into.push_back(std::move(c));
    } else {
      for (auto& s : c.series)
        it->series.push_back(std::move(s));
      if (it->note.empty()) it->note = c.note;
      it->x_end = std::max(it->x_end, c.x_end);
    }
  }
}

}  // namespace

void mark_best(Table& t) {
  for (auto& row : t.rows) {
    if (row.better == Better::kNone) continue;
    const Cell* best = nullptr;
    std::size_t with_value = 0;
    for (const auto& c : row.cells) {
      if (!c.value) continue;
      ++with_value;
      if (!best ||
          (row.better == Better::kLower ? *c.value < *best->value : *c.value > *best->value))
        best = &c;
    }
    if (with_value < 2) continue;
    // A tie is what the reader sees: values that print the same (12.8% for 34,893 and 34,894
    // milli-CPU) are equal, and all of them are marked; when every variant prints the same there
    // is nothing to choose.
    const std::string best_text = best->text;
    auto ties = [&](const Cell& c) {
      return c.value && (c.text == best_text || std::fabs(*c.value - *best->value) <= 1e-12);
    };
    if (std::all_of(row.cells.begin(), row.cells.end(),
                    [&](const Cell& c) { return !c.value || ties(c); }))
      continue;
    for (auto& c : row.cells) {
      if (ties(c)) c.best = true;
    }
  }
}

ReportModel build_report(const std::vector<const RunDir*>& runs) {
  ReportModel m;
  m.comparison = runs.size() > 1;
  for (const auto* r : runs)
    m.variants.push_back(r->label());
  auto who = [&](const RunDir& r) { return m.comparison ? r.label() + ": " : std::string(); };
  const RunDir& first = *runs.front();
  m.title = (m.comparison ? "gpusim comparison: " : "gpusim report: ") + first.scenario();
  m.facts.emplace_back("scenario", first.scenario());
  if (m.comparison) {
    std::string v;
    for (const auto* r : runs)
      v += (v.empty() ? "" : ", ") + r->label();
    m.facts.emplace_back("variants", v);
  }
  std::set<std::uint64_t> seeds;
  for (const auto* r : runs)
    seeds.insert(r->seed());
  std::string seed_text;
  for (auto s : seeds)
    seed_text += (seed_text.empty() ? "" : ", ") + std::to_string(s);
  m.facts.emplace_back("seed", seed_text);
  // The GPU policy that made a single run (summary.json scheduler.policy); a comparison's
  // variants are named above.
  if (const auto& sched = first.summary().value("scheduler", nlohmann::ordered_json::object());
      !m.comparison && sched.contains("policy")) {
    m.facts.emplace_back("policy", sched["policy"].get<std::string>());
  }
  m.facts.emplace_back("simulated time", format_duration(first.end_ms()));
  if (!m.comparison) m.facts.emplace_back("run directory", first.path());

  // ---- Summary ----
  Section overview{"summary", "Summary", "", {}, {}, {}};
  Table sum{"summary-table", "", m.variants, "figure", {}, ""};
  if (!m.comparison) sum.columns = {"value"};
  auto add_row = [&](const std::string& label, Better better, auto fn) {
    TableRow row;
    row.label = label;
    row.better = better;
    for (const auto* r : runs)
      row.cells.push_back(fn(*r));
    sum.rows.push_back(std::move(row));
  };
  const auto& S = [](const RunDir& r) -> const json& { return r.summary(); };
  add_row("simulated time", Better::kNone,
          [&](const RunDir& r) { return cell(format_duration(r.end_ms())); });
  add_row("events processed", Better::kNone,
          [&](const RunDir& r) { return int_cell(jint(S(r), {"events_processed"})); });
  add_row("nodes at the end", Better::kNone,
          [&](const RunDir& r) { return int_cell(jint(S(r), {"nodes"})); });
  add_row("pods created", Better::kNone, [&](const RunDir& r) {
    return int_cell(jint(S(r), {"pods", "created"}));
  });
  add_row("pods scheduled", Better::kHigher, [&](const RunDir& r) {
    return int_cell(jint(S(r), {"pods", "scheduled"}));
  });
  add_row("pods succeeded", Better::kHigher, [&](const RunDir& r) {
    return int_cell(jint(S(r), {"pods", "succeeded"}));
  });
  add_row("pods failed", Better::kLower, [&](const RunDir& r) {
    return int_cell(jint(S(r), {"pods", "failed"}));
  });
  add_row("pods pending at the end", Better::kLower, [&](const RunDir& r) {
    return int_cell(jint(S(r), {"pods", "pending"}));
  });
  add_row("pods preempted", Better::kLower, [&](const RunDir& r) {
    return int_cell(jint(S(r), {"pods", "preempted"}));
  });
  add_row("creations rejected by admission", Better::kLower, [&](const RunDir& r) {
    return int_cell(jint(S(r), {"pods", "rejected"}));
  });
  add_row("GPUs (capacity at the end)", Better::kNone, [&](const RunDir& r) {
    return cell(
        fixed(static_cast<double>(jint(S(r), {"resources", "nvidia.com/gpu", "capacity"})) / 1000.0,
              3),
        static_cast<double>(jint(S(r), {"resources", "nvidia.com/gpu", "capacity"})));
  });
  auto alloc_share = [&](const RunDir& r, const char* res, const char* which) {
    // A mean over the time-weighted capacity (runs recorded before capacity_mean existed: the
    // final capacity, which overstates the share when pools shrank).
    const json& summary = S(r);
    const bool mean = std::string_view(which) == "allocated_mean" &&
                      summary.contains("resources") && summary["resources"].contains(res) &&
                      summary["resources"][res].contains("capacity_mean");
    const double cap =
        static_cast<double>(jint(S(r), {"resources", res, mean ? "capacity_mean" : "capacity"}));
    if (cap <= 0) return cell("–");
    return pct_cell(static_cast<double>(jint(S(r), {"resources", res, which})) / cap);
  };
  add_row("GPU allocation, time-weighted mean", Better::kHigher,
          [&](const RunDir& r) { return alloc_share(r, "nvidia.com/gpu", "allocated_mean"); });
  add_row("GPU allocation at the end", Better::kHigher,
          [&](const RunDir& r) { return alloc_share(r, "nvidia.com/gpu", "allocated_final"); });
  add_row("CPU allocation, time-weighted mean", Better::kHigher,
          [&](const RunDir& r) { return alloc_share(r, "cpu", "allocated_mean"); });
  std::map<const RunDir*, std::vector<TimeMs>> times;
  for (const auto* r : runs)
    times[r] = sample_times(*r);
  add_row("GPU fragmentation, mean over samples", Better::kLower, [&](const RunDir& r) {
    const auto g = gpu_groups(r, GroupBy::kCluster, times[&r]);
    auto it = g.find("cluster");
    return it == g.end() ? cell("–") : pct_cell(mean_of(it->second, true));
  });
  std::map<const RunDir*, std::vector<double>> waits;
  for (const auto* r : runs) {
    auto& w = waits[r];
    for (const auto& p : r->pods())
      w.push_back(static_cast<double>(pod_wait_ms(p, r->end_ms())));
    std::sort(w.begin(), w.end());
  }
  for (double p : {50.0, 95.0, 99.0}) {
    add_row("scheduling wait p" + fixed(p, 0), Better::kLower, [&](const RunDir& r) {
      return waits[&r].empty() ? cell("–") : dur_cell(percentile_sorted(waits[&r], p));
    });
  }
  add_row("scheduling wait max", Better::kLower, [&](const RunDir& r) {
    return waits[&r].empty() ? cell("–") : dur_cell(waits[&r].back());
  });
  add_row("unschedulable attempts", Better::kLower, [&](const RunDir& r) {
    return int_cell(jint(S(r), {"scheduler", "unschedulable_attempts"}));
  });
  add_row("GPU-hours allocated", Better::kNone, [&](const RunDir& r) {
    double h = 0;
    for (const auto& p : r.pods())
      h += pod_gpu_hours(p, r.end_ms());
    return cell(fixed(h, 1), h);
  });
  bool any_gpu_section = false, any_cost = false, any_expect = false;
  for (const auto* r : runs) {
    any_gpu_section = any_gpu_section || jhas(S(*r), {"gpu", "frag_milli_final"});
    any_cost = any_cost || jhas(S(*r), {"cost"});
    any_expect = any_expect || (S(*r).contains("expectations") && S(*r)["expectations"].is_array());
  }
  if (any_gpu_section) {
    add_row("trace replay: fragmented GPUs at the end", Better::kLower, [&](const RunDir& r) {
      if (!jhas(S(r), {"gpu", "frag_milli_final"})) return cell("–");
      const double v = static_cast<double>(jint(S(r), {"gpu", "frag_milli_final"})) / 1000.0;
      return cell(fixed(v, 2), v);
    });
  }
  if (any_cost) {
    // costPerHour carries no currency: the total is in whatever currency it was given in.
    add_row("cost (costPerHour's currency)", Better::kLower, [&](const RunDir& r) {
      // summary.json "cost": {"unit": "micros", "total_micros": N}, the pools' costPerHour summed.
      if (!jhas(S(r), {"cost", "total_micros"})) return cell("–");
      const double v = static_cast<double>(jint(S(r), {"cost", "total_micros"})) / 1e6;
      return cell(fixed(v, 2), v);
    });
  }
  // summary.json pools[].failed_scale_ups, written only for a pool whose provisioning failed.
  const auto failed_scale_ups = [&](const RunDir& r) -> std::optional<std::int64_t> {
    if (!S(r).contains("pools") || !S(r)["pools"].is_array()) return std::nullopt;
    std::int64_t n = 0;
    for (const auto& p : S(r)["pools"])
      n += jint(p, {"failed_scale_ups"});
    return n;
  };
  if (std::any_of(runs.begin(), runs.end(),
                  [&](const RunDir* r) { return failed_scale_ups(*r).value_or(0) > 0; })) {
    add_row("failed scale-ups (refused or timed out)", Better::kLower, [&](const RunDir& r) {
      const auto n = failed_scale_ups(r);
      return n ? int_cell(*n) : cell("–");
    });
  }
  if (any_expect) {
    add_row("expectations holding", Better::kHigher, [&](const RunDir& r) {
      if (!S(r).contains("expectations")) return cell("–");
      std::int64_t ok = 0, n = 0;
      for (const auto& e : S(r)["expectations"]) {
        ++n;
        if (e.value("passed", false)) ++ok;
      }
      return cell(std::to_string(ok) + " of " + std::to_string(n), static_cast<double>(ok));
    });
  }
  for (const auto* r : runs) {
    if (S(*r).contains("limit"))
      overview.notes.push_back(r->label() + ": " + S(*r).value("limit", ""));
  }
  mark_best(sum);
  overview.tables.push_back(std::move(sum));
  if (any_expect) {
    Table ex{"expectations",
             "Expectations",
             {"result", "observed", "expected", "detail"},
             "expectation",
             {},
             ""};
    if (m.comparison) ex.columns.insert(ex.columns.begin(), "variant");
    for (const auto* r : runs) {
      if (!S(*r).contains("expectations")) continue;
      for (const auto& e : S(*r)["expectations"]) {
        TableRow row;
        row.label = e.value("name", "");
        if (m.comparison) row.cells.push_back(cell(r->label()));
        const bool passed = e.value("passed", false);
        row.cells.push_back(cell(e.value("error", false) ? "error"
                                 : passed                ? "pass"
                                                         : "FAIL",
                                 passed ? 1.0 : 0.0));
        row.cells.push_back(cell(e.value("observed", "")));
        row.cells.push_back(cell(e.value("expected", "")));
        row.cells.push_back(cell(e.value("message", "")));
        ex.rows.push_back(std::move(row));
      }
    }
    overview.tables.push_back(std::move(ex));
  }
  m.sections.push_back(std::move(overview));

  // ---- GPUs ----
  Section gpu{"gpus", "GPU allocation and fragmentation", "", {}, {}, {}};
  Table pools{"gpu-pools",
              "GPU node groups",
              {"GPU model", "nodes", "GPUs", "mean allocation", "mean fragmentation"},
              "pool",
              {},
              ""};
  if (m.comparison) pools.columns.insert(pools.columns.begin(), "variant");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    Table t = pools;
    t.rows.clear();
    merge_charts(gpu.charts, gpu_charts(*runs[i], times[runs[i]], t), runs[i]->label(),
                 static_cast<int>(i), m.comparison, runs[i]->end_ms());
    for (auto& row : t.rows) {
      if (m.comparison) row.cells.insert(row.cells.begin(), cell(runs[i]->label()));
      pools.rows.push_back(std::move(row));
    }
  }
  if (!pools.rows.empty()) gpu.tables.push_back(std::move(pools));
  for (std::size_t i = 0; i < runs.size(); ++i)
    merge_charts(gpu.charts, arrival_charts(*runs[i]), runs[i]->label(), static_cast<int>(i),
                 m.comparison, runs[i]->end_ms());
  // Beside fragmentation: what repacking could do about it, at the end of each run (an upper
  // bound from a max-flow relaxation, docs/plan.md). A note, so the charts keep their place.
  for (const auto* r : runs) {
    if (!jhas(S(*r), {"defrag_bound", "placeable_after_repacking_max"})) continue;
    const std::int64_t n = jint(S(*r), {"defrag_bound", "pending_gpu_pods"});
    const std::int64_t k = jint(S(*r), {"defrag_bound", "placeable_after_repacking_max"});
    gpu.notes.push_back((m.comparison ? r->label() + ": " : std::string()) +
                        "defragmentation bound at the end: repacking the running GPU pods could "
                        "place at most " +
                        std::to_string(k) + " of the " + std::to_string(n) +
                        " pending GPU pods (max-flow relaxation over GPU milli, docs/plan.md)");
  }
  m.sections.push_back(std::move(gpu));

  // ---- Scheduling ----
  Section sched{"scheduling", "Pending pods and scheduling wait", "", {}, {}, {}};
  for (std::size_t i = 0; i < runs.size(); ++i)
    merge_charts(sched.charts, scheduling_charts(*runs[i]), runs[i]->label(), static_cast<int>(i),
                 m.comparison, runs[i]->end_ms());
  m.sections.push_back(std::move(sched));

  // ---- Namespaces ----
  Section nss{"namespaces", "Namespaces", "", {}, {}, {}};
  Table nt{
      "namespace-table",
      "Per namespace",
      {"pods", "GPU-hours", "scheduling wait p50", "scheduling wait p95", "scheduling wait p99",
       "wait with quota p50", "wait with quota p95", "wait with quota p99", "never bound",
       "quota rejections", "other rejections", "preempted", "failed"},
      "namespace",
      {},
      ""};
  if (m.comparison) nt.columns.insert(nt.columns.begin(), "variant");
  std::set<std::string> all_ns;
  std::vector<std::map<std::string, NsStats>> stats;
  for (const auto* r : runs) {
    stats.push_back(namespace_stats(*r));
    for (const auto& [k, v] : stats.back())
      all_ns.insert(k);
  }
  for (const auto& ns : all_ns) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      auto it = stats[i].find(ns);
      if (it == stats[i].end()) continue;
      const NsStats& s = it->second;
      TableRow row;
      row.label = ns.empty() ? "(cluster)" : ns;
      if (m.comparison) row.cells.push_back(cell(runs[i]->label()));
      row.cells.push_back(int_cell(s.pods));
      row.cells.push_back(cell(fixed(s.gpu_hours, 1), s.gpu_hours));
      for (const auto* ns_waits : {&s.waits, &s.waits_with_quota}) {
        for (double p : {50.0, 95.0, 99.0})
          row.cells.push_back(ns_waits->empty() ? cell("–")
                                                : dur_cell(percentile_sorted(*ns_waits, p)));
      }
      row.cells.push_back(int_cell(s.unscheduled));
      row.cells.push_back(int_cell(s.quota_rejections));
      row.cells.push_back(int_cell(s.other_rejections));
      row.cells.push_back(int_cell(s.preemptions));
      row.cells.push_back(int_cell(s.failed));
      nt.rows.push_back(std::move(row));
    }
  }
  nt.note =
      "Scheduling wait (pod_wait): creation to binding (pods never bound: until deletion or the "
      "end). Wait with quota (pod_wait_with_quota, namespaces.csv wait_*): the same, starting at "
      "the first time admission (ResourceQuota) refused the owner's creations since it last "
      "created a pod, so time a Job waited for quota before its pod existed counts. GPU-hours: "
      "milli-GPU held x time / 1000.";
  nss.tables.push_back(std::move(nt));
  m.sections.push_back(std::move(nss));

  // ---- Workloads (Deployments, HPAs) ----
  Section wl{"workloads", "Deployments and autoscaling", "", {}, {}, {}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunDir& r = *runs[i];
    std::vector<Chart> charts;
    auto add = [&](std::vector<Chart> cs) { charts.insert(charts.end(), cs.begin(), cs.end()); };
    // Replica counts only: cpu_per_ready_pod_milli (hundreds) on their axis flattened them.
    add(family_charts(r, "workloads.csv", "replicas", "Replicas",
                      {"workload", "deployment", "object"},
                      std::regex("^(desired|replicas|updated|ready|available|unavailable)$"),
                      Unit::kNumber, wl.notes, "pods"));
    add(family_charts(r, "workloads.csv", "cpu-per-pod", "CPU per ready pod",
                      {"workload", "deployment", "object"}, std::regex("^cpu_per_ready_pod"),
                      Unit::kNumber, wl.notes, "milli-CPU"));
    add(family_charts(r, "workloads.csv", "load", "Load", {"workload", "deployment", "object"},
                      std::regex("load|rps|rate|offered|served|queue"), Unit::kNumber, wl.notes));
    add(family_charts(r, "workloads.csv", "latency", "Latency",
                      {"workload", "deployment", "object"}, std::regex("latency"), Unit::kNumber,
                      wl.notes));
    add(family_charts(r, "hpa.csv", "hpa", "HPA", {"hpa", "object"},
                      std::regex("replica|utilization|metric|value|target"), Unit::kNumber,
                      wl.notes));
    merge_charts(wl.charts, std::move(charts), r.label(), static_cast<int>(i), m.comparison,
                 r.end_ms());
    if (!r.table("workloads.csv"))
      wl.notes.push_back(who(r) + "workloads.csv not in this run; no Deployment charts.");
    if (!r.table("hpa.csv")) wl.notes.push_back(who(r) + "hpa.csv not in this run; no HPA charts.");
  }
  m.sections.push_back(std::move(wl));

  // ---- Quota ----
  Section quota{"quota", "Quota", "", {}, {}, {}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunDir& r = *runs[i];
    merge_charts(quota.charts,
                 family_charts(r, "quota.csv", "quota", "Quota used vs hard", {"namespace"},
                               std::regex("used|hard"), Unit::kNumber, quota.notes),
                 r.label(), static_cast<int>(i), m.comparison, r.end_ms());
    if (!r.table("quota.csv"))
      quota.notes.push_back(who(r) + "quota.csv not in this run; no quota charts.");
  }
  Table qr{"quota-rejections",
           "Quota rejections",
           {"quota", "resource", "count", "first at"},
           "namespace",
           {},
           ""};
  if (m.comparison) qr.columns.insert(qr.columns.begin(), "variant");
  for (const auto* r : runs) {
    std::map<std::tuple<std::string, std::string, std::string>, std::pair<std::int64_t, TimeMs>>
        agg;
    for (const auto& e : r->events()) {
      if (!e.refused_creation()) continue;
      auto q = parse_quota_rejection(e.message);
      if (!q) continue;
      auto [it, inserted] = agg.try_emplace({e.namespace_(), q->quota, q->resource}, 0, e.t_ms);
      ++it->second.first;
    }
    for (const auto& [k, v] : agg) {
      TableRow row;
      row.label = std::get<0>(k);
      if (m.comparison) row.cells.push_back(cell(r->label()));
      for (Cell c : {cell(std::get<1>(k)), cell(std::get<2>(k)), int_cell(v.first),
                     cell(format_duration(v.second))})
        row.cells.push_back(c);
      qr.rows.push_back(std::move(row));
    }
  }
  if (qr.rows.empty()) qr.note = "No creation was rejected by a ResourceQuota.";
  quota.tables.push_back(std::move(qr));
  m.sections.push_back(std::move(quota));

  // ---- Nodes and cost ----
  Section nodes{"nodes", "Nodes and cost per pool", "", {}, {}, {}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunDir& r = *runs[i];
    merge_charts(nodes.charts, pool_node_charts(r, times[&r]), r.label(), static_cast<int>(i),
                 m.comparison, r.end_ms());
    merge_charts(nodes.charts, cost_rate_charts(r), r.label(), static_cast<int>(i), m.comparison,
                 r.end_ms());
    if (!r.table("pools.csv"))
      nodes.notes.push_back(who(r) + "pools.csv not in this run; no cost chart.");
  }
  // Failed provisioning: scale-ups the cloud refused or that timed out, and how long each pool
  // could not grow (backed off by the autoscaler, stocked out by the timeline).
  Table prov{
      "pool-provisioning",
      "Failed provisioning",
      {"failed scale-ups", "nodes failed", "time backed off", "time stocked out", "first failure"},
      "pool",
      {},
      "Failed scale-ups: refused by the cloud (ScaleUpFailed) or not registered in time "
      "(ScaleUpTimedOut); nodes failed: asked for and deleted without ever registering. "
      "Times from pools.csv samples, each holding until the next."};
  if (m.comparison) prov.columns.insert(prov.columns.begin(), "variant");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunDir& r = *runs[i];
    const auto provisioning = pool_provisioning(r);
    if (!provisioning) continue;
    merge_charts(nodes.charts, provisioning_charts(*provisioning), r.label(), static_cast<int>(i),
                 m.comparison, r.end_ms());
    std::map<std::string, TimeMs> first_failure;
    for (const auto& e : r.events()) {
      if (e.kind == "NodePool" && (e.type == "ScaleUpFailed" || e.type == "ScaleUpTimedOut"))
        first_failure.try_emplace(e.object, e.t_ms);
    }
    bool any = false;
    for (const auto& [pool, p] : *provisioning) {
      if (!p.any()) continue;
      any = true;
      TableRow row;
      row.label = pool;
      if (m.comparison) row.cells.push_back(cell(r.label()));
      row.cells.push_back(int_cell(p.failed_scale_ups_final));
      row.cells.push_back(int_cell(p.nodes_failed_final));
      row.cells.push_back(dur_cell(static_cast<double>(p.backed_off_ms)));
      row.cells.push_back(dur_cell(static_cast<double>(p.stocked_out_ms)));
      auto f = first_failure.find(pool);
      row.cells.push_back(f == first_failure.end() ? cell("–") : cell(format_duration(f->second)));
      prov.rows.push_back(std::move(row));
    }
    const json listed = S(r).value("pools", json::array());
    const bool autoscaled = std::any_of(listed.begin(), listed.end(), [](const json& p) {
      return p.is_object() && p.value("autoscaled", false);
    });
    if (!any && autoscaled)
      nodes.notes.push_back(who(r) + "No scale-up failed; no pool was backed off or stocked out.");
  }
  if (!prov.rows.empty()) nodes.tables.push_back(std::move(prov));
  m.sections.push_back(std::move(nodes));

  // ---- Events ----
  Section ev{"events", "Notable events", "", {}, {}, {}};
  Table counts{"event-counts", "Events by reason", m.variants, "kind and reason", {}, ""};
  if (!m.comparison) counts.columns = {"count"};
  std::map<std::string, std::vector<std::int64_t>> by_type;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (const auto& e : runs[i]->events()) {
      auto& v = by_type[e.kind + " " + e.type];
      v.resize(runs.size(), 0);
      ++v[i];
    }
  }
  for (const auto& [k, v] : by_type) {
    TableRow row;
    row.label = k;
    for (auto n : v)
      row.cells.push_back(int_cell(n));
    counts.rows.push_back(std::move(row));
  }
  ev.tables.push_back(std::move(counts));
  Table list{"notable-events",
             "Rollouts, drains, failures, scaling, preemptions",
             {"reason", "object", "message"},
             "time",
             {},
             ""};
  if (m.comparison) list.columns.insert(list.columns.begin(), "variant");
  constexpr std::size_t kMaxEvents = 300;
  std::size_t left_out = 0;
  for (const auto* r : runs) {
    std::size_t n = 0;
    for (const auto& e : r->events()) {
      if (!notable(e)) continue;
      if (n++ >= kMaxEvents) {
        ++left_out;
        continue;
      }
      TableRow row;
      row.label = format_duration(e.t_ms);
      if (m.comparison) row.cells.push_back(cell(r->label()));
      for (Cell c : {cell(e.type), cell(e.object), cell(e.message)})
        row.cells.push_back(c);
      list.rows.push_back(std::move(row));
    }
  }
  if (left_out) list.note = std::to_string(left_out) + " more notable events are in events.jsonl.";
  if (list.rows.empty()) list.note = "No rollouts, drains, node failures, scaling or preemptions.";
  ev.tables.push_back(std::move(list));
  m.sections.push_back(std::move(ev));
  return m;
}

std::map<std::string, std::string> report_csvs(const ReportModel& m) {
  std::map<std::string, std::string> out;
  for (const auto& sec : m.sections) {
    for (const auto& t : sec.tables) {
      if (t.id != "summary-table" && t.id != "namespace-table" && t.id != "expectations") continue;
      std::string text = csv_field(t.label_column);
      for (const auto& c : t.columns)
        text += "," + csv_field(c);
      text += "\n";
      for (const auto& r : t.rows) {
        text += csv_field(r.label);
        for (const auto& c : r.cells)
          text += "," + csv_field(c.text);
        text += "\n";
      }
      const std::string name = t.id == "summary-table"     ? "summary.csv"
                               : t.id == "namespace-table" ? "namespaces.csv"
                                                           : "expectations.csv";
      out[name] = text;
    }
  }
  return out;
}

}  // namespace gpusim::reports
