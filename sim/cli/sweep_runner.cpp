#include "cli/sweep_runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/run_stop.hpp"
#include "cli/worker_threads.hpp"
#include "core/atomic_file.hpp"
#include "core/csv.hpp"
#include "core/diagnostics.hpp"
#include "core/output_lock.hpp"
#include "engine/arrival_metrics.hpp"
#include "engine/simulation.hpp"
#include "reports/sweep_report.hpp"
#include "scenario/loader.hpp"
#include "scenario/openb_trace.hpp"
#include "scenario/sweep_overrides.hpp"
#include "scenario/sweep_parser.hpp"
#include "scenario/sweep_plan.hpp"

namespace gpusim::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using scenario::SweepSpec;

// The plan as recorded in DIR/sweep.json: what reports and merge read (never the Sweep file).
ordered_json plan_json(const SweepSpec& spec, const std::vector<scenario::SweepPoint>& points) {
  ordered_json j;
  j["name"] = spec.name;
  j["axes"] = ordered_json::array();
  for (const auto& a : spec.axes)
    j["axes"].push_back({{"name", a.name}, {"values", a.labels}});
  j["metrics"] = ordered_json::array();
  for (const auto& m : spec.metrics) {
    j["metrics"].push_back({{"name", m.name},
                            {"source", m.source == scenario::SweepMetricSource::kSummary
                                           ? "summary:" + m.pointer
                                           : "arrival:" + std::to_string(m.arrival_pct)}});
  }
  j["x"] = spec.x_axis;
  j["points"] = ordered_json::array();
  for (const auto& p : points) {
    ordered_json values = ordered_json::array();
    for (std::size_t k = 0; k < spec.axes.size(); ++k)
      values.push_back(spec.axes[k].labels[p.value_index[k]]);
    j["points"].push_back({{"id", p.id}, {"values", values}});
  }
  return j;
}

// results.csv from the point directories: one row per finished point, in plan order. Reads
// point.json only, so the same points give the same bytes however they were produced.
std::string results_csv(const ordered_json& plan, const fs::path& dir) {
  std::string out = "id";
  for (const auto& a : plan["axes"])
    out += "," + csv_field(a["name"].get<std::string>());
  for (const auto& m : plan["metrics"])
    out += "," + csv_field(m["name"].get<std::string>());
  out += "\n";
  for (const auto& p : plan["points"]) {
    const std::string id = p["id"].get<std::string>();
    const fs::path pj = dir / "points" / id / "point.json";
    std::error_code ec;
    if (!fs::exists(pj, ec)) continue;
    const ordered_json point = ordered_json::parse(read_file(pj));
    out += id;
    for (const auto& v : p["values"])
      out += "," + csv_field(v.get<std::string>());
    for (const auto& m : plan["metrics"]) {
      const auto& v = point["metrics"][m["name"].get<std::string>()];
      out += ",";
      if (v.is_number()) out += v.dump();
    }
    out += "\n";
  }
  return out;
}

// A metric that found nothing in some finished points (a JSON pointer to no number, an arrival
// % the curve never reached, no arrival.csv) leaves empty cells: said on standard error, since
// a column of blanks looks like a result.
void warn_empty_metrics(const ordered_json& plan, const fs::path& dir) {
  std::vector<std::size_t> empty(plan["metrics"].size(), 0);
  std::size_t finished = 0;
  for (const auto& p : plan["points"]) {
    const fs::path pj = dir / "points" / p["id"].get<std::string>() / "point.json";
    std::error_code ec;
    if (!fs::exists(pj, ec)) continue;
    ++finished;
    const ordered_json point = ordered_json::parse(read_file(pj));
    for (std::size_t i = 0; i < empty.size(); ++i) {
      const auto& v = point["metrics"][plan["metrics"][i]["name"].get<std::string>()];
      if (!v.is_number()) ++empty[i];
    }
  }
  for (std::size_t i = 0; i < empty.size(); ++i) {
    if (empty[i] == 0) continue;
    const auto& m = plan["metrics"][i];
    const std::string source = m["source"].get<std::string>();
    const bool arrival = source.rfind("arrival:", 0) == 0;
    std::cerr << "gpusim: warning: metric \"" << m["name"].get<std::string>() << "\" (" << source
              << ") is empty in " << empty[i] << " of " << finished << " point(s): "
              << (arrival ? "no arrival.csv (not a trace replay) or the arrival curve never got "
                            "that far"
                          : "summary.json has no number at that pointer (see a point's "
                            "summary.json for the keys)")
              << "\n";
  }
}

void write_summary_files(const ordered_json& plan, const fs::path& dir, bool report) {
  write_file_atomic(dir / "sweep.json", plan.dump(2) + "\n");
  write_file_atomic(dir / "results.csv", results_csv(plan, dir));
  if (report) {
    const reports::SweepResults r = reports::read_sweep_results(dir);
    write_file_atomic(dir / "report.md", reports::sweep_markdown(r));
    write_file_atomic(dir / "report.html", reports::sweep_html(r));
  }
}

// A plan equals another when everything but the shard note matches.
ordered_json comparable(ordered_json plan) {
  plan.erase("shard");
  return plan;
}

void remove_stale_staging(const fs::path& points_dir, const std::set<std::string>& ids) {
  std::error_code ec;
  if (!fs::exists(points_dir, ec)) return;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(points_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] != '.') continue;
    // .<id>.partial-<pid>-<n> and .<id>.old-<pid>-<n>: left by a run killed mid-write.
    for (const char* tag : {".partial-", ".old-"}) {
      const auto at = name.rfind(tag);
      if (at != std::string::npos && ids.count(name.substr(1, at - 1))) stale.push_back(it->path());
    }
  }
  for (const auto& p : stale)
    fs::remove_all(p, ec);
}

// A point directory's files by name, with their bytes: two copies of a point are the same
// result only when these are equal (every file is deterministic; the marker is the same text).
std::map<std::string, std::string> point_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files[it->path().filename().string()] = read_file(it->path());
  }
  return files;
}

std::optional<double> summary_metric(const ordered_json& summary, const std::string& pointer) {
  const nlohmann::json::json_pointer ptr(pointer);
  const nlohmann::json plain = summary;
  if (!plain.contains(ptr)) return std::nullopt;
  const auto& v = plain.at(ptr);
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}

class SweepRun {
 public:
  SweepRun(SweepSpec spec, const SweepRunOptions& options)
      : spec_(std::move(spec)), options_(options) {
    for (const auto& a : spec_.axes) {
      std::string why;
      targets_.push_back(*scenario::parse_axis_name(a.name, &why));
      if (targets_.back().kind == scenario::AxisKind::kScenario)
        scenario_axis_ = targets_.size() - 1;
    }
    load_bases();
  }

  SweepRunStats run(const std::vector<scenario::SweepPoint>& points) {
    const fs::path points_dir = fs::path(options_.outdir) / "points";
    std::set<std::string> mine;
    for (const auto& p : points)
      mine.insert(p.id);
    remove_stale_staging(points_dir, mine);
    SweepRunStats stats;
    stats.planned = points.size();
    std::vector<const scenario::SweepPoint*> todo;
    for (const auto& p : points) {
      std::error_code ec;
      if (fs::exists(points_dir / p.id / "point.json", ec)) {
        ++stats.skipped;
      } else {
        todo.push_back(&p);
      }
    }
    const unsigned jobs = worker_count(options_.jobs, todo.size());
    if (!options_.quiet) {
      std::cerr << "sweep " << spec_.name << ": " << stats.planned << " points";
      if (options_.shards > 1)
        std::cerr << " in shard " << options_.shard << "/" << options_.shards;
      std::cerr << ", " << stats.skipped << " already done, running " << todo.size() << " on "
                << jobs << " thread(s)\n";
    }
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::atomic<std::size_t> failed{0};
    std::atomic<std::size_t> input_failed{0};
    std::atomic<std::size_t> stopped{0};
    std::mutex log;
    const std::size_t step = std::max<std::size_t>(1, todo.size() / 20);
    auto worker = [&] {
      for (std::size_t i = next++; i < todo.size(); i = next++) {
        try {
          run_point(*todo[i], points_dir);
        } catch (const RunStopped&) {
          // Stop everything: the other workers meet the same flag at their next slice.
          ++stopped;
          next = todo.size();
          std::lock_guard<std::mutex> lock(log);
          if (!stop_) stop_ = std::current_exception();
          continue;
        } catch (const std::exception& e) {
          ++failed;
          // Bad input fails the same way on every rerun; anything else (a full disk, ...) may
          // not.
          const bool input = dynamic_cast<const std::invalid_argument*>(&e) != nullptr ||
                             dynamic_cast<const InputError*>(&e) != nullptr;
          if (input) ++input_failed;
          std::lock_guard<std::mutex> lock(log);
          std::cerr << "gpusim: error: point " << todo[i]->id << ": " << e.what() << "\n";
        }
        const std::size_t n = ++done;
        if (!options_.quiet && (n % step == 0 || n == todo.size())) {
          std::lock_guard<std::mutex> lock(log);
          std::cerr << "  " << n << "/" << todo.size() << " points\n";
        }
      }
    };
    run_workers(jobs, worker);
    stats.failed = failed;
    stats.input_failed = input_failed;
    stats.stopped = stopped;
    stats.ran = done - stats.failed;
    return stats;
  }

 private:
  void load_bases() {
    std::vector<std::vector<std::string>> inputs;
    if (scenario_axis_) {
      for (const auto& p : spec_.axes[*scenario_axis_].resolved_paths)
        inputs.push_back({p});
    } else {
      inputs.push_back(spec_.base);
    }
    Diagnostics d;
    // A spec.scenario path that is not there: said at the field (the loader would name the
    // path alone).
    if (!scenario_axis_) {
      for (std::size_t i = 0; i < spec_.base.size() && i < spec_.base_sources.size(); ++i) {
        std::error_code ec;
        if (!fs::exists(spec_.base[i], ec)) {
          d.error(spec_.base_sources[i], "spec.scenario",
                  "scenario not found (looked at " + spec_.base[i] + ")",
                  "a file or directory, relative to the sweep file");
        }
      }
      d.throw_if_errors();
    }
    for (const auto& in : inputs) {
      try {
        engine::Scenario s = scenario::load_scenario(in);
        scenario::attach_trace_data(s);
        bases_.push_back(std::move(s));
      } catch (const InputError& e) {
        for (const auto& diag : e.diagnostics())
          d.add(diag);
        bases_.emplace_back();
      }
    }
    d.throw_if_errors();
    // Every override must apply to every base it meets: check each value once per base, before
    // anything runs, and point at the axis.
    std::set<std::string> reported;
    for (std::size_t b = 0; b < bases_.size(); ++b) {
      for (std::size_t k = 0; k < spec_.axes.size(); ++k) {
        for (const auto& v : spec_.axes[k].values) {
          engine::Scenario copy = bases_[b];
          std::string err = scenario::apply_override(copy, targets_[k], v);
          // With the base's other values; an HPA two axes set is checked by combination below.
          if (err.empty() && hpa_axes(targets_[k]).size() < 2)
            err = scenario::check_overridden(copy, targets_[k]);
          if (err.empty()) continue;
          const std::string where = inputs[b].empty() ? std::string() : inputs[b].front();
          const std::string msg = err + (where.empty() ? "" : " (" + where + ")");
          if (reported.insert(msg).second) d.error(spec_.axes[k].source, spec_.axes[k].name, msg);
        }
      }
    }
    d.throw_if_errors();
    check_combinations(d, inputs);
    // arrival.csv comes from trace replays alone: without one an arrival metric is always empty.
    const bool any_trace = std::any_of(bases_.begin(), bases_.end(), [](const engine::Scenario& s) {
      return static_cast<bool>(s.simulation.trace);
    });
    for (const auto& m : spec_.metrics) {
      if (m.source != scenario::SweepMetricSource::kArrival || any_trace) continue;
      d.error(m.source_location, "arrival",
              "metric \"" + m.name +
                  "\": no scenario of this sweep replays a trace, and only trace replays write "
                  "arrival.csv",
              "use a summary metric, e.g. summary: /pods/wait_ms/p95");
    }
    d.throw_if_errors();
  }

  // Values valid one by one can still clash together: axes on the same HPA (minReplicas above
  // maxReplicas). Every point must apply cleanly before anything runs, or its run would fail
  // the same way every time. Only axes on one HPA interact (the others set independent fields
  // and fail, if at all, for their value alone, checked above), so checking every combination
  // of each such group's values on each base is checking every point. One error per group and
  // base, at the group's first axis, naming a point and the values that clash.
  // The axes that override the same HPA as `t` (empty when t is not an HPA axis).
  std::vector<std::size_t> hpa_axes(const scenario::AxisTarget& t) const {
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < targets_.size(); ++k) {
      if (scenario::same_hpa(targets_[k], t)) out.push_back(k);
    }
    return out;
  }

  void check_combinations(Diagnostics& d, const std::vector<std::vector<std::string>>& inputs) {
    std::set<std::vector<std::size_t>> groups;
    for (const auto& t : targets_) {
      if (hpa_axes(t).size() >= 2) groups.insert(hpa_axes(t));
    }
    std::optional<std::vector<scenario::SweepPoint>> points;  // planned only when needed
    for (const auto& axes : groups) {
      for (std::size_t b = 0; b < bases_.size(); ++b) {
        std::map<std::vector<std::size_t>, std::string> clashes;  // combination -> error
        std::vector<std::size_t> at(axes.size(), 0);  // the combination: a value per axis
        for (bool more = true; more;) {
          engine::Scenario copy;
          copy.hpas = bases_[b].hpas;  // all that HPA overrides read or write
          std::string err;
          for (std::size_t i = 0; i < axes.size() && err.empty(); ++i) {
            err = scenario::apply_override(copy, targets_[axes[i]],
                                           spec_.axes[axes[i]].values[at[i]]);
          }
          for (std::size_t i = 0; i < axes.size() && err.empty(); ++i)
            err = scenario::check_overridden(copy, targets_[axes[i]]);
          if (!err.empty()) clashes.emplace(at, err);
          more = false;
          for (std::size_t i = axes.size(); i-- > 0;) {
            if (++at[i] < spec_.axes[axes[i]].values.size()) {
              more = true;
              break;
            }
            at[i] = 0;
          }
        }
        if (clashes.empty()) continue;
        if (!points) points = scenario::plan_sweep(spec_);
        const scenario::SweepPoint* first = nullptr;
        const std::string* first_error = nullptr;
        std::size_t in_points = 0;
        for (const auto& p : *points) {
          if (scenario_axis_ && p.value_index[*scenario_axis_] != b) continue;
          std::vector<std::size_t> combo;
          for (std::size_t k : axes)
            combo.push_back(p.value_index[k]);
          const auto it = clashes.find(combo);
          if (it == clashes.end()) continue;
          if (!first) {
            first = &p;
            first_error = &it->second;
          }
          ++in_points;
        }
        std::string values;
        for (std::size_t k : axes) {
          values += (values.empty() ? "" : ", ") + spec_.axes[k].name + "=" +
                    spec_.axes[k].labels[first->value_index[k]];
        }
        const std::string where =
            scenario_axis_ && !inputs[b].empty() ? " (" + inputs[b].front() + ")" : "";
        d.error(spec_.axes[axes.front()].source, spec_.axes[axes.front()].name,
                "point " + first->id + ": " + *first_error + " with " + values + where + "; " +
                    std::to_string(in_points) + " point(s) have values of these axes that clash",
                "give values that hold together in every combination, or sweep them in "
                "separate sweeps");
      }
    }
  }

  void run_point(const scenario::SweepPoint& p, const fs::path& points_dir) const {
    const std::size_t base = scenario_axis_ ? p.value_index[*scenario_axis_] : 0;
    engine::Scenario s = bases_[base];
    // Checked for every point before anything ran; an error here is still the input's, so it
    // is reported as one (no "rerun to retry").
    for (std::size_t k = 0; k < spec_.axes.size(); ++k) {
      const std::string err =
          scenario::apply_override(s, targets_[k], spec_.axes[k].values[p.value_index[k]]);
      if (!err.empty()) throw std::invalid_argument(err);
    }
    for (const auto& t : targets_) {
      const std::string err = scenario::check_overridden(s, t);
      if (!err.empty()) throw std::invalid_argument(err);
    }
    engine::RunOptions opts;
    opts.until = spec_.until_ms;
    opts.scorer = options_.scorer;
    // Points are compared and merged byte for byte: no wall-clock figures in them.
    opts.reproducible = true;
    opts.progress = stop_hook();
    engine::Simulation sim(s, opts);
    StagedDirectory staged(points_dir / p.id);
    sim.stream_outputs(staged);
    sim.run();
    sim.write_outputs(staged);
    const ordered_json summary = ordered_json::parse(read_file(staged.file("summary.json")));
    ordered_json point;
    point["id"] = p.id;
    point["values"] = ordered_json::object();
    for (std::size_t k = 0; k < spec_.axes.size(); ++k) {
      point["values"][spec_.axes[k].name] = spec_.axes[k].labels[p.value_index[k]];
    }
    point["metrics"] = ordered_json::object();
    std::optional<std::vector<engine::ArrivalPoint>> arrival;
    for (const auto& m : spec_.metrics) {
      std::optional<double> v;
      if (m.source == scenario::SweepMetricSource::kSummary) {
        v = summary_metric(summary, m.pointer);
      } else {
        std::error_code ec;
        if (!arrival && fs::exists(staged.file("arrival.csv"), ec)) {
          arrival = engine::parse_arrival_csv(read_file(staged.file("arrival.csv")));
        }
        if (arrival) {
          const double u = engine::unallocated_at(*arrival, {m.arrival_pct}).front();
          if (!std::isnan(u)) v = u;
        }
      }
      // Counts stay integers in point.json and results.csv.
      if (v && std::abs(*v) < 9e15 && *v == std::floor(*v)) {
        point["metrics"][m.name] = static_cast<std::int64_t>(*v);
      } else {
        point["metrics"][m.name] = v ? ordered_json(*v) : ordered_json(nullptr);
      }
    }
    // Only what the sweep keeps stays: a matrix of a thousand replays would otherwise hold
    // gigabytes of events nobody reads.
    std::error_code ec;
    for (fs::directory_iterator it(staged.staging_path(), ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name == "summary.json" || name == kOutputMarkerFile ||
          std::find(spec_.keep.begin(), spec_.keep.end(), name) != spec_.keep.end()) {
        continue;
      }
      std::error_code rec;
      fs::remove(it->path(), rec);
    }
    staged.write("point.json", point.dump(2) + "\n");
    staged.commit();
  }

  std::exception_ptr stop_;  // the first RunStopped, rethrown by run_sweep

 public:
  const std::exception_ptr& stop() const { return stop_; }
  std::size_t base_count() const { return bases_.size(); }

 private:
  SweepSpec spec_;
  SweepRunOptions options_;
  std::vector<scenario::AxisTarget> targets_;
  std::optional<std::size_t> scenario_axis_;
  std::vector<engine::Scenario> bases_;
};

}  // namespace

SweepRunStats run_sweep(const SweepRunOptions& options) {
  SweepSpec spec = scenario::load_sweep(options.sweep_file);
  const std::vector<scenario::SweepPoint> all = scenario::plan_sweep(spec);
  std::vector<scenario::SweepPoint> mine;
  for (const auto& p : all) {
    if (scenario::in_shard(p, options.shard, options.shards)) mine.push_back(p);
  }
  const fs::path dir(options.outdir);
  ordered_json plan = plan_json(spec, all);
  // Loads and checks every base scenario and override before anything is written.
  SweepRun run(spec, options);
  std::error_code ec;
  if (fs::exists(dir / "sweep.json", ec)) {
    const ordered_json old = ordered_json::parse(read_file(dir / "sweep.json"), nullptr, false);
    if (old.is_discarded() || comparable(old) != comparable(plan)) {
      throw std::invalid_argument(
          dir.string() +
          " holds the results of a different sweep (its sweep.json differs); "
          "give another -o directory or remove it");
    }
  }
  if (options.shards > 1)
    plan["shard"] = std::to_string(options.shard) + "/" + std::to_string(options.shards);
  claim_output_directory(dir, "sweep.json");
  // Before anything is cleared or written: a second sweep on DIR would take the first one's
  // live staging directories for a killed run's leftovers.
  const OutputLock lock(dir);
  fs::create_directories(dir / "points", ec);
  // sweep.json first: a killed run leaves a directory that a rerun recognises as its own.
  write_file_atomic(dir / "sweep.json", plan.dump(2) + "\n");
  const SweepRunStats stats = run.run(mine);
  // Also when stopped: results.csv and the report then cover the finished points, all whole.
  write_summary_files(plan, dir, options.report);
  warn_empty_metrics(plan, dir);
  if (run.stop()) {
    try {
      std::rethrow_exception(run.stop());
    } catch (const RunStopped& e) {
      const std::size_t finished = stats.skipped + stats.ran;
      throw RunStopped(
          std::string(e.what()).substr(0, std::string(e.what()).find(" at simulated")) +
              ": sweep stopped with " + std::to_string(finished) + " of " +
              std::to_string(stats.planned) + " points finished (kept whole in " +
              (dir / "points").string() +
              ", in results.csv); rerun the same "
              "command to run the other " +
              std::to_string(stats.planned - finished),
          e.exit_code());
    }
  }
  return stats;
}

SweepCheck check_sweep(const std::string& sweep_file) {
  SweepSpec spec = scenario::load_sweep(sweep_file);
  const std::size_t points = scenario::plan_sweep(spec).size();
  std::string name = spec.name;
  const SweepRun run(std::move(spec), SweepRunOptions{});
  return SweepCheck{name, points, run.base_count()};
}

void merge_sweeps(const std::vector<std::string>& dirs, const std::string& out, bool report) {
  if (dirs.empty()) throw std::invalid_argument("merge: no sweep directories given");
  std::optional<ordered_json> plan;
  for (const auto& d : dirs) {
    const fs::path pj = fs::path(d) / "sweep.json";
    std::error_code ec;
    if (!fs::exists(pj, ec))
      throw std::invalid_argument(d + ": not a sweep directory (no sweep.json)");
    ordered_json p = comparable(ordered_json::parse(read_file(pj)));
    if (!plan) {
      plan = std::move(p);
    } else if (p != *plan) {
      throw std::invalid_argument(d + " holds a different sweep than " + dirs.front() +
                                  " (sweep.json differs)");
    }
  }
  const fs::path outdir(out);
  // Where each point comes from, all found before anything is written: a merge with a shard
  // missing, or with two different copies of a point, writes nothing (exit 2) rather than a
  // directory of some points and no table, or one copy chosen by argument order.
  std::vector<std::pair<fs::path, fs::path>> copies;  // (source, target)
  std::vector<std::string> missing;
  for (const auto& p : (*plan)["points"]) {
    const std::string id = p["id"].get<std::string>();
    const fs::path target = outdir / "points" / id;
    std::error_code ec;
    // Every finished copy: the output's own (a merge into a directory that has points) first.
    std::vector<fs::path> found;
    if (fs::exists(target / "point.json", ec)) found.push_back(outdir);
    for (const auto& d : dirs) {
      const fs::path dir(d);
      if (fs::exists(dir / "points" / id / "point.json", ec) &&
          (found.empty() || !fs::equivalent(dir, found.front(), ec))) {
        found.push_back(dir);
      }
    }
    if (found.empty()) {
      missing.push_back(id);
      continue;
    }
    const std::map<std::string, std::string> first =
        found.size() > 1 ? point_files(found.front() / "points" / id)
                         : std::map<std::string, std::string>{};
    for (std::size_t i = 1; i < found.size(); ++i) {
      const auto other = point_files(found[i] / "points" / id);
      if (other == first) continue;
      std::string file;
      for (const auto& [name, bytes] : first) {
        auto it = other.find(name);
        if (it == other.end() || it->second != bytes) {
          file = name;
          break;
        }
      }
      if (file.empty()) {
        for (const auto& [name, bytes] : other) {
          if (!first.count(name)) {
            file = name;
            break;
          }
        }
      }
      throw std::invalid_argument("merge: point " + id + " differs between " +
                                  found.front().string() + " and " + found[i].string() + " (" +
                                  file +
                                  "); a point has one result, so one of them is not this "
                                  "sweep's: remove that copy (a rerun of its shard restores it)");
    }
    if (found.front() != outdir) copies.emplace_back(found.front() / "points" / id, target);
  }
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 5; ++i)
      list += (i ? ", " : "") + missing[i];
    throw std::invalid_argument("merge: " + std::to_string(missing.size()) +
                                " point(s) are in none of the directories (" + list +
                                (missing.size() > 5 ? ", ..." : "") +
                                "); run their shards (a rerun resumes) and merge again");
  }
  claim_output_directory(outdir, "sweep.json");
  const OutputLock lock(outdir);
  for (const auto& [src, target] : copies) {
    StagedDirectory staged(target);
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(src, ec), end; !ec && it != end; it.increment(ec))
      files.push_back(it->path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files)
      staged.write(f.filename().string(), read_file(f));
    staged.commit();
  }
  write_summary_files(*plan, outdir, report);
  warn_empty_metrics(*plan, outdir);
}

}  // namespace gpusim::cli
