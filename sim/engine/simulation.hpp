#pragma once
// One simulation run: builds the cluster from a Scenario, wires the scheduler and the
// controllers as actors on the event loop, runs it, and writes the run directory.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/event_loop.hpp"
#include "core/text_spool.hpp"
#include "engine/recorder.hpp"
#include "engine/scenario.hpp"
#include "model/cluster.hpp"
#include "scheduler/scheduler.hpp"

namespace gpusim::engine {

class Batch;
class InvariantChecker;

struct RunOptions {
  std::optional<std::uint64_t> seed;
  std::optional<TimeMs> until;
  std::string policy;         // GPU policy shortcut (--policy); overrides the Simulation's
  std::string scorer;         // GPU scorer backend for the GPU policies: auto, cpu, cuda (--scorer)
  bool explain = false;       // record every scheduling attempt (explain.jsonl)
  bool reproducible = false;  // write wall-clock figures as 0 so outputs are byte-identical
  // Attach the InvariantChecker (after every event); summary.json gets an "invariants" section.
  bool check_invariants = false;
  // Threads for the steps of a serving run that split into independent items (the metrics
  // scrape, the HPA syncs); outputs are the same for any count. 1: the event loop's thread only.
  unsigned threads = 1;
  // Called between slices of simulated time (about 1/200 of the run) with the time reached and
  // the events processed so far; slicing the run changes nothing in its results.
  std::function<void(TimeMs now_ms, std::uint64_t events)> progress;
};

// Components that add files to the run directory and sections to summary.json (trace replay,
// explain, quota, HPA, ...). Simulation owns them and asks each in registration order.
class OutputContributor {
 public:
  virtual ~OutputContributor() = default;
  // Called once when the run stops, before any summary or file is asked for.
  virtual void finish() {}
  virtual void add_summary(nlohmann::ordered_json& summary) const {}
  virtual void write(const StagedDirectory& dir) const {}
  // Files that grow during the run may go to `dir` through `spool` from now on (see
  // Simulation::stream_outputs); write() then finishes them.
  virtual void stream_to(TextSpool& spool, const StagedDirectory& dir) {}
};

class Simulation {
 public:
  Simulation(const Scenario& scenario, RunOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  void run();
  nlohmann::ordered_json summary() const;
  // Before run(): the files that grow during the run are written into `dir` as they grow,
  // by a background thread, instead of being held in memory until write_outputs(dir).
  void stream_outputs(const StagedDirectory& dir);
  // Writes every output file into the staging directory (the caller commits it).
  void write_outputs(const StagedDirectory& dir) const;

  std::uint64_t seed() const { return seed_; }
  EventLoop& loop() { return loop_; }
  Cluster& cluster() { return *cluster_; }
  const Cluster& cluster() const { return *cluster_; }
  sched::Scheduler& scheduler() { return *scheduler_; }
  const Scenario& scenario() const { return scenario_; }
  const RunOptions& options() const { return options_; }
  const Recorder& recorder() const { return *recorder_; }
  // Registers an output contributor / an observer-style component owned by the simulation.
  void add_contributor(std::unique_ptr<OutputContributor> c) {
    contributors_.push_back(std::move(c));
  }
  bool hit_limit() const { return hit_limit_; }
  // The batch unit (quota, CronJobs, PyTorchJobs, autoscaler, arrivals) and, with
  // RunOptions::check_invariants, the invariant checker (null otherwise).
  Batch& batch() { return *batch_; }
  const InvariantChecker* invariants() const { return invariants_; }
  const std::string& limit_message() const { return limit_message_; }

 private:
  void build_cluster();
  void add_node_from_pool(const NodePoolSpec& pool, std::int32_t index);
  // A new node for `pool` (the autoscaler's and spot replacements), kNoNode for an unknown pool.
  // Named after the highest index the pool ever used, so that a removed node's name is never
  // reused (nodes.csv keeps one row per name).
  NodeId add_next_pool_node(const std::string& pool);
  std::string gpu_model_of(const Node& n) const;

  const Scenario& scenario_;
  std::map<std::string, std::int32_t> next_pool_index_;  // see add_next_pool_node
  // First, so that it is destroyed last: the recorder and contributors hand it their chunks.
  std::unique_ptr<TextSpool> spool_;
  RunOptions options_;
  std::uint64_t seed_;
  EventLoop loop_;
  std::unique_ptr<Cluster> cluster_;
  std::vector<std::unique_ptr<AdmissionPlugin>> admission_;
  std::unique_ptr<sched::Scheduler> scheduler_;
  std::vector<std::unique_ptr<ClusterObserver>> controllers_;
  std::unique_ptr<Recorder> recorder_;
  std::vector<std::unique_ptr<OutputContributor>> contributors_;
  std::unique_ptr<sched::ExplainSink> explain_;
  Batch* batch_ = nullptr;                  // owned by contributors_
  InvariantChecker* invariants_ = nullptr;  // owned by contributors_
  TimeMs until_ms_ = kForever;
  bool stop_when_idle_ = true;
  double wall_ms_ = 0;
  bool hit_limit_ = false;
  std::string limit_message_;
};

}  // namespace gpusim::engine
