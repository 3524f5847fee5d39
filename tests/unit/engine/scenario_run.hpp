#pragma once
// An engine test's scenario written inline as YAML: loaded from a temporary file, simulated with
// wall-clock figures as 0, every Kubernetes event logged, the run directory written on demand.
#include <filesystem>
#include <memory>
#include <string>

#include "core/atomic_file.hpp"
#include "engine/simulation.hpp"
#include "scenario/loader.hpp"
#include "unit/model/event_log.hpp"
#include "unit/scenario/scenario_test_util.hpp"

namespace gpusim::engine::testing_run {

class ScenarioRun {
 public:
  explicit ScenarioRun(const std::string& yaml)
      : file_(yaml), scenario_(scenario::load_scenario({file_.path()})) {
    RunOptions options;
    options.reproducible = true;
    sim_ = std::make_unique<Simulation>(scenario_, options);
    sim_->cluster().add_observer(&log);
  }

  Simulation& sim() { return *sim_; }
  void run() { sim_->run(); }

  // The run directory (written at the first call, after run()).
  std::filesystem::path outputs() {
    const std::filesystem::path out = file_.dir() / "out";
    if (!written_) {
      StagedDirectory dir(out);
      sim_->write_outputs(dir);
      dir.commit();
      written_ = true;
    }
    return out;
  }
  std::string output(const std::string& name) { return read_file(outputs() / name); }

  testing_util::EventLog log;  // before sim_: it observes the cluster sim_ owns

 private:
  scenario::testing::TempFile file_;
  Scenario scenario_;
  std::unique_ptr<Simulation> sim_;
  bool written_ = false;
};

}  // namespace gpusim::engine::testing_run
