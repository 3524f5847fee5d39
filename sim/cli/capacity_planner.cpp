#include "cli/capacity_planner.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cli/run_outputs.hpp"
#include "cli/run_stop.hpp"
#include "cli/worker_threads.hpp"
#include "core/atomic_file.hpp"
#include "core/duration.hpp"
#include "core/output_lock.hpp"
#include "engine/simulation.hpp"
#include "reports/plan_report.hpp"
#include "scenario/capacity_search.hpp"
#include "scenario/loader.hpp"
#include "scenario/openb_trace.hpp"
#include "scenario/sweep_overrides.hpp"
#include "scenario/sweep_plan.hpp"

namespace gpusim::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using scenario::PlanAxis;

struct SeedResult {
  std::uint64_t seed = 0;
  std::vector<reports::ExpectationResult> expectations;
  std::string limit;  // the run stopped at a safety cap
};

struct Candidate {
  std::vector<std::size_t> index;  // value index per axis
  std::string id;
  std::int64_t nodes = 0;
  std::int64_t cost_per_hour_micros = 0;
  std::vector<SeedResult> seeds;
  bool feasible() const {
    for (const auto& s : seeds) {
      for (const auto& e : s.expectations) {
        if (!e.passed) return false;
      }
    }
    return true;
  }
};

class Planner {
 public:
  explicit Planner(const PlanOptions& o) : o_(o) {
    if (o_.objective != "min-nodes" && o_.objective != "min-cost") {
      throw std::invalid_argument("--objective: min-nodes or min-cost, got \"" + o_.objective +
                                  "\"");
    }
    if (o_.outdir.empty()) throw std::invalid_argument("plan: -o DIR is required");
    if (o_.vary.empty()) {
      throw std::invalid_argument(
          "plan: nothing to vary: give --vary nodepool/<pool>.count=lo..hi (one or more)");
    }
    std::set<std::string> names;
    for (const auto& v : o_.vary) {
      axes_.push_back(scenario::parse_vary(v));
      if (!names.insert(axes_.back().name).second)
        throw std::invalid_argument("--vary " + axes_.back().name + ": given twice");
      if (axes_.back().target.kind == scenario::AxisKind::kLoadMultiplier)
        throw std::invalid_argument("--vary load.multiplier: use --load-multiplier");
    }
    if (!o_.until.empty()) {
      auto ms = parse_duration_ms(o_.until);
      if (!ms || *ms <= 0)
        throw std::invalid_argument("--until: not a positive duration: \"" + o_.until + "\"");
      until_ = *ms;
    }
    base_ = scenario::load_scenario(o_.inputs);
    scenario::attach_trace_data(base_);
    for (const auto& w : base_.warnings.items())
      std::cerr << w.str() << "\n";
    validate_expectations(base_);
    if (base_.simulation.expectations.empty()) {
      throw std::invalid_argument(
          "plan: the scenario has no expectations (spec.expectations): nothing says which "
          "cluster is big enough");
    }
    seeds_ = o_.seeds.empty() ? std::vector<std::uint64_t>{base_.simulation.seed} : o_.seeds;
    if (!o_.load_multiplier.empty()) {
      std::string why;
      const auto t = *scenario::parse_axis_name("load.multiplier", &why);
      const auto v = scenario::canonical_axis_value(t, o_.load_multiplier, &why);
      if (!v) throw std::invalid_argument("--load-multiplier: " + why);
      const std::string err = scenario::apply_override(base_, t, *v);
      if (!err.empty()) throw std::invalid_argument("--load-multiplier: " + err);
    }
    // Every value must apply before anything runs (no such pool, ...).
    for (const auto& a : axes_) {
      for (const auto& v : a.values) {
        engine::Scenario copy = base_;
        std::string err = scenario::apply_override(copy, a.target, v);
        if (err.empty() && !shares_object(a)) err = scenario::check_overridden(copy, a.target);
        if (!err.empty()) throw std::invalid_argument("--vary " + a.name + ": " + err);
      }
    }
    std::size_t grid = 1;
    for (const auto& a : axes_)
      grid *= a.values.size();
    if (!monotone() && grid > 10000) {
      throw std::invalid_argument("plan: the grid has " + std::to_string(grid) +
                                  " candidates (at most 10000): narrow the ranges or give a step "
                                  "(lo..hi:step)");
    }
    check_grid();
  }

  // Two --vary on one HPA (minReplicas and maxReplicas): their values are checked together.
  bool shares_object(const scenario::PlanAxis& a) const {
    return std::any_of(axes_.begin(), axes_.end(), [&](const scenario::PlanAxis& b) {
      return &b != &a && scenario::same_hpa(a.target, b.target);
    });
  }

  // Every grid candidate must hold together before anything runs (a minReplicas value above a
  // maxReplicas value): only HPA axes that share an object can clash, so only they are applied.
  void check_grid() const {
    std::vector<std::size_t> shared;
    for (std::size_t k = 0; k < axes_.size(); ++k) {
      if (shares_object(axes_[k])) shared.push_back(k);
    }
    if (shared.empty()) return;
    std::vector<std::size_t> at(shared.size(), 0);
    for (bool more = true; more;) {
      engine::Scenario copy;
      copy.hpas = base_.hpas;
      std::string err, values;
      for (std::size_t i = 0; i < shared.size(); ++i) {
        const auto& a = axes_[shared[i]];
        if (err.empty()) err = scenario::apply_override(copy, a.target, a.values[at[i]]);
        values += (i ? ", " : "") + a.name + "=" + a.values[at[i]];
      }
      for (std::size_t k : shared) {
        if (err.empty()) err = scenario::check_overridden(copy, axes_[k].target);
      }
      if (!err.empty()) throw std::invalid_argument("--vary " + values + ": " + err);
      more = false;
      for (std::size_t i = shared.size(); i-- > 0;) {
        if (++at[i] < axes_[shared[i]].values.size()) {
          more = true;
          break;
        }
        at[i] = 0;
      }
    }
  }

  bool monotone() const { return axes_.size() == 1 && axes_[0].range; }

  ordered_json run() {
    const auto evaluate = [this](const std::vector<std::vector<std::size_t>>& batch) {
      return evaluate_batch(batch);
    };
    const scenario::SearchResult r = monotone() ? scenario::monotone_search(axes_[0], evaluate)
                                                : scenario::grid_search(axes_, evaluate);
    return plan_json(r);
  }

 private:
  engine::Scenario candidate_scenario(const std::vector<std::size_t>& index) const {
    engine::Scenario s = base_;
    for (std::size_t k = 0; k < axes_.size(); ++k) {
      const std::string err =
          scenario::apply_override(s, axes_[k].target, axes_[k].values[index[k]]);
      if (!err.empty()) throw std::invalid_argument(err);
    }
    for (const auto& a : axes_) {
      const std::string err = scenario::check_overridden(s, a.target);
      if (!err.empty()) throw std::invalid_argument(err);
    }
    return s;
  }

  static std::int64_t node_count(const engine::Scenario& s) { return engine::node_total(s); }
  static std::int64_t cost_micros(const engine::Scenario& s) {
    std::int64_t c = 0;
    for (const auto& p : s.simulation.node_pools)
      c += static_cast<std::int64_t>(p.count) * p.cost_per_hour_micros;
    return c;
  }

  std::vector<std::string> labels(const std::vector<std::size_t>& index) const {
    std::vector<std::string> l;
    for (std::size_t k = 0; k < axes_.size(); ++k)
      l.push_back(axes_[k].values[index[k]]);
    return l;
  }

  std::vector<bool> evaluate_batch(const std::vector<std::vector<std::size_t>>& batch) {
    std::vector<std::string> names;
    for (const auto& a : axes_)
      names.push_back(a.name);
    std::vector<Candidate*> cands;
    for (const auto& idx : batch) {
      const std::string id = scenario::point_id(names, labels(idx));
      auto [it, fresh] = candidates_.try_emplace(id);
      Candidate& c = it->second;
      if (fresh) {
        c.index = idx;
        c.id = id;
        const engine::Scenario s = candidate_scenario(idx);
        c.nodes = node_count(s);
        c.cost_per_hour_micros = cost_micros(s);
        c.seeds.resize(seeds_.size());
        order_.push_back(id);
      }
      cands.push_back(&c);
    }
    // Every (candidate, seed) run is a task; each writes only its own slot.
    struct Task {
      Candidate* c;
      std::size_t seed;
    };
    std::vector<Task> tasks;
    for (Candidate* c : cands) {
      for (std::size_t s = 0; s < seeds_.size(); ++s)
        tasks.push_back({c, s});
    }
    const unsigned jobs = worker_count(o_.jobs, tasks.size());
    std::atomic<std::size_t> next{0};
    std::mutex log;
    std::string first_error;
    // A signal or the memory cap: every worker stops at its next slice, and the plan ends with
    // the RunStopped (its exit code), not as a failed candidate.
    std::exception_ptr stopped;
    auto worker = [&] {
      for (std::size_t i = next++; i < tasks.size(); i = next++) {
        try {
          run_one(*tasks[i].c, tasks[i].seed);
        } catch (const RunStopped&) {
          std::lock_guard<std::mutex> lock(log);
          if (!stopped) stopped = std::current_exception();
          next = tasks.size();
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(log);
          if (first_error.empty())
            first_error = "candidate " + tasks[i].c->id + " seed " +
                          std::to_string(seeds_[tasks[i].seed]) + ": " + e.what();
        }
      }
    };
    run_workers(jobs, worker);
    if (stopped) std::rethrow_exception(stopped);
    if (!first_error.empty()) throw std::runtime_error(first_error);
    std::vector<bool> ok;
    for (Candidate* c : cands) {
      ok.push_back(c->feasible());
      if (!o_.quiet) {
        std::cerr << "  " << describe(*c) << ": " << (ok.back() ? "all expectations hold" : "fails")
                  << "\n";
      }
    }
    return ok;
  }

  std::string describe(const Candidate& c) const {
    std::string s;
    for (std::size_t k = 0; k < axes_.size(); ++k)
      s += (k ? ", " : "") + axes_[k].name + "=" + axes_[k].values[c.index[k]];
    return s;
  }

  void run_one(Candidate& c, std::size_t seed_index) const {
    const engine::Scenario s = candidate_scenario(c.index);
    engine::RunOptions opts;
    opts.seed = seeds_[seed_index];
    opts.until = until_;
    // Candidates are compared and re-planned byte for byte: no wall-clock figures.
    opts.reproducible = true;
    opts.progress = stop_hook();
    engine::Simulation sim(s, opts);
    const fs::path out =
        fs::path(o_.outdir) / "runs" / c.id / ("seed-" + std::to_string(seeds_[seed_index]));
    StagedDirectory staged(out);
    sim.stream_outputs(staged);
    sim.run();
    RunDirOptions ro;
    ro.report = false;
    WrittenRun w = write_run_directory(sim, s, staged, ro);
    SeedResult& r = c.seeds[seed_index];
    r.seed = seeds_[seed_index];
    r.expectations = std::move(w.expectations);
    if (sim.hit_limit()) r.limit = sim.limit_message();
    if (!o_.keep_runs) {
      // A plan of many candidates keeps what it reads: summary.json (with the expectations).
      std::error_code ec;
      for (fs::directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().filename() == "summary.json") continue;
        std::error_code rec;
        fs::remove(it->path(), rec);
      }
    }
  }

  ordered_json plan_json(const scenario::SearchResult& r) const {
    ordered_json j;
    j["scenario"] = base_.simulation.name;
    j["inputs"] = o_.inputs;
    j["objective"] = o_.objective;
    j["method"] = r.method;
    j["seeds"] = seeds_;
    j["load_multiplier"] =
        o_.load_multiplier.empty() ? ordered_json(nullptr) : ordered_json(o_.load_multiplier);
    j["expectations"] = ordered_json::array();
    for (const auto& e : base_.simulation.expectations)
      j["expectations"].push_back({{"name", e.name}, {"expr", e.expr}});
    j["vary"] = ordered_json::array();
    for (const auto& a : axes_) {
      ordered_json v{{"name", a.name}, {"values", a.values}};
      if (a.target.kind == scenario::AxisKind::kPoolCount) v["current"] = current_count(a);
      j["vary"].push_back(v);
    }
    j["current"] = {{"nodes", node_count(base_)},
                    {"cost_per_hour", static_cast<double>(cost_micros(base_)) / 1e6}};
    // Candidates in plan order (axis values), each with when it was evaluated.
    std::map<std::string, std::size_t> step;
    for (std::size_t i = 0; i < r.evaluated.size(); ++i) {
      std::vector<std::string> names;
      for (const auto& a : axes_)
        names.push_back(a.name);
      step.try_emplace(scenario::point_id(names, labels(r.evaluated[i].first)), i + 1);
    }
    std::vector<const Candidate*> sorted;
    for (const auto& [id, c] : candidates_)
      sorted.push_back(&c);
    std::sort(sorted.begin(), sorted.end(),
              [](const Candidate* a, const Candidate* b) { return a->index < b->index; });
    const Candidate* best = nullptr;
    auto better = [this](const Candidate* a, const Candidate* b) {
      const auto ka = o_.objective == "min-cost"
                          ? std::tuple(a->cost_per_hour_micros, a->nodes, a->index)
                          : std::tuple(a->nodes, a->cost_per_hour_micros, a->index);
      const auto kb = o_.objective == "min-cost"
                          ? std::tuple(b->cost_per_hour_micros, b->nodes, b->index)
                          : std::tuple(b->nodes, b->cost_per_hour_micros, b->index);
      return ka < kb;
    };
    j["candidates"] = ordered_json::array();
    for (const Candidate* c : sorted) {
      if (c->feasible() && (!best || better(c, best))) best = c;
      ordered_json cj;
      cj["id"] = c->id;
      cj["values"] = ordered_json::object();
      for (std::size_t k = 0; k < axes_.size(); ++k)
        cj["values"][axes_[k].name] = axes_[k].values[c->index[k]];
      cj["step"] = step.count(c->id) ? step.at(c->id) : 0;
      cj["nodes"] = c->nodes;
      cj["cost_per_hour"] = static_cast<double>(c->cost_per_hour_micros) / 1e6;
      cj["feasible"] = c->feasible();
      cj["failed"] = ordered_json::array();
      for (const auto& s : c->seeds) {
        for (const auto& e : s.expectations) {
          if (e.passed) continue;
          cj["failed"].push_back(
              {{"seed", s.seed}, {"expectation", e.name}, {"message", e.message}});
        }
        if (!s.limit.empty()) cj["limits"].push_back({{"seed", s.seed}, {"message", s.limit}});
      }
      cj["runs"] = ordered_json::array();
      for (const auto& s : c->seeds)
        cj["runs"].push_back("runs/" + c->id + "/seed-" + std::to_string(s.seed));
      j["candidates"].push_back(cj);
    }
    ordered_json notes = ordered_json::array();
    if (r.method == "monotone") {
      notes.push_back("binary search over " + axes_[0].name + " in " + std::to_string(axes_[0].lo) +
                      ".." + std::to_string(axes_[0].hi) +
                      ", assuming more nodes never break an expectation that held with fewer");
      if (r.upper_bound_fails) {
        notes.push_back("the upper bound " + axes_[0].name + "=" + std::to_string(axes_[0].hi) +
                        " fails: no candidate in the range meets every expectation");
      }
      if (r.lower_bound_holds) {
        notes.push_back("the lower bound " + axes_[0].name + "=" + std::to_string(axes_[0].lo) +
                        " already meets every expectation: smaller values were not tried");
      }
    } else {
      notes.push_back("grid of " + std::to_string(candidates_.size()) +
                      " candidates: every combination run (no monotonicity assumed)");
    }
    j["notes"] = notes;
    if (best) {
      ordered_json res;
      res["feasible"] = true;
      res["id"] = best->id;
      res["values"] = ordered_json::object();
      for (std::size_t k = 0; k < axes_.size(); ++k)
        res["values"][axes_[k].name] = axes_[k].values[best->index[k]];
      res["nodes"] = best->nodes;
      res["cost_per_hour"] = static_cast<double>(best->cost_per_hour_micros) / 1e6;
      res["delta"] = ordered_json::object();
      for (std::size_t k = 0; k < axes_.size(); ++k) {
        if (axes_[k].target.kind != scenario::AxisKind::kPoolCount) continue;
        res["delta"][axes_[k].name] =
            std::stoll(axes_[k].values[best->index[k]]) - current_count(axes_[k]);
      }
      res["delta_nodes"] = best->nodes - node_count(base_);
      res["delta_cost_per_hour"] =
          static_cast<double>(best->cost_per_hour_micros - cost_micros(base_)) / 1e6;
      j["result"] = res;
    } else {
      j["result"] = {{"feasible", false}};
    }
    return j;
  }

  std::int64_t current_count(const PlanAxis& a) const {
    for (const auto& p : base_.simulation.node_pools) {
      if (p.name == a.target.pool) return p.count;
    }
    return 0;
  }

  const PlanOptions& o_;
  std::vector<PlanAxis> axes_;
  engine::Scenario base_;
  std::vector<std::uint64_t> seeds_;
  std::optional<TimeMs> until_;
  std::map<std::string, Candidate> candidates_;
  std::vector<std::string> order_;
};

}  // namespace

ordered_json run_plan(const PlanOptions& options) {
  Planner planner(options);
  const fs::path dir(options.outdir);
  claim_output_directory(dir, "plan.json");
  const OutputLock lock(dir);  // two plans on one DIR would mix their runs/
  const ordered_json plan = planner.run();
  write_file_atomic(dir / "plan.json", plan.dump(2) + "\n");
  write_file_atomic(dir / "plan.md", reports::plan_markdown(plan));
  return plan;
}

}  // namespace gpusim::cli
