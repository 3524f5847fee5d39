// A Simulation of a trace replay needs the trace's CSVs, which the loader reads separately
// (attach_trace_data). Building one without them used to dereference null (found by the property
// tests); now it is a clear logic_error, and with them the replay runs.
#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

#include "engine/simulation.hpp"
#include "scenario/loader.hpp"
#include "scenario/openb_trace.hpp"
#include "scenario_test_util.hpp"

namespace gpusim::scenario {
namespace {

TEST(TraceAttach, SimulationWithoutTraceDataThrowsInsteadOfCrashing) {
  testing::TempFile sim(
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: t}\nspec:\n"
      "  policy: BestFit\n  trace: {format: openb, nodes: nodes.csv, pods: pods.csv, mode: "
      "packing}\n");
  std::ofstream(sim.dir() / "nodes.csv")
      << "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,65536,2,A100\n";
  std::ofstream(sim.dir() / "pods.csv")
      << "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,1024,1,500\n";
  engine::Scenario s = load_scenario({sim.path()});
  EXPECT_THROW(
      {
        engine::Simulation run(s, engine::RunOptions{});
        run.run();
      },
      std::logic_error);
  attach_trace_data(s);
  engine::Simulation run(s, engine::RunOptions{});
  run.run();
  EXPECT_EQ(run.summary()["seed"], 1);
}

}  // namespace
}  // namespace gpusim::scenario
