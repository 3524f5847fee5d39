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
          const std::string err = scenario::apply_override(copy, targets_[k], v);
          if (err.empty()) continue;
          const std::string where = inputs[b].empty() ? std::string() : inputs[b].front();
          const std::string msg = err + (where.empty() ? "" : " (" + where + ")");
          if (reported.insert(msg).second) d.error(spec_.axes[k].source, spec_.axes[k].name, msg);
        }
      }
    }
    d.throw_if_errors();
  }

  void run_point(const scenario::SweepPoint& p, const fs::path& points_dir) const {
    const std::size_t base = scenario_axis_ ? p.value_index[*scenario_axis_] : 0;
    engine::Scenario s = bases_[base];
    for (std::size_t k = 0; k < spec_.axes.size(); ++k) {
      const std::string err =
          scenario::apply_override(s, targets_[k], spec_.axes[k].values[p.value_index[k]]);
      if (!err.empty()) throw std::runtime_error(err);
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
  fs::create_directories(dir / "points", ec);
  // sweep.json first: a killed run leaves a directory that a rerun recognises as its own.
  write_file_atomic(dir / "sweep.json", plan.dump(2) + "\n");
  const SweepRunStats stats = run.run(mine);
  // Also when stopped: results.csv and the report then cover the finished points, all whole.
  write_summary_files(plan, dir, options.report);
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
  // missing writes nothing (exit 2) rather than a directory of some points and no table.
  std::vector<std::pair<fs::path, fs::path>> copies;  // (source, target)
  std::vector<std::string> missing;
  for (const auto& p : (*plan)["points"]) {
    const std::string id = p["id"].get<std::string>();
    const fs::path target = outdir / "points" / id;
    std::error_code ec;
    if (fs::exists(target / "point.json", ec)) continue;
    const auto from = std::find_if(dirs.begin(), dirs.end(), [&](const std::string& d) {
      return fs::exists(fs::path(d) / "points" / id / "point.json", ec);
    });
    if (from == dirs.end()) {
      missing.push_back(id);
    } else {
      copies.emplace_back(fs::path(*from) / "points" / id, target);
    }
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
}

}  // namespace gpusim::cli
