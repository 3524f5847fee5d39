// A run's outputs do not depend on how they are made: with the growing files streamed while the
// run goes on (Simulation::stream_outputs, what `gpusim run` does), every file is byte for byte
// the one of a run that keeps them in memory and writes them at the end; and with the scrape, the
// HPA syncs and the serving samples' rows split over threads (RunOptions::threads), the one of a
// run on one thread; and with reconcile_hpa's shortcut for steady syncs
// (HpaSettings::steady_sync) off, the one of a run with it on; and with the HPA syncs run as
// steps of their own rather than inside the scrape of their instant (HpaSettings::follow_scrape),
// the one of a run that folds them into the scrape.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "core/atomic_file.hpp"
#include "engine/simulation.hpp"
#include "scenario/loader.hpp"

namespace gpusim::engine {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> run_files(const Scenario& scenario, bool stream,
                                             const fs::path& out, unsigned threads = 1) {
  RunOptions options;
  options.reproducible = true;
  options.threads = threads;
  options.until = 16 * 3600 * 1000;
  Simulation sim(scenario, options);
  StagedDirectory dir(out);
  if (stream) sim.stream_outputs(dir);
  sim.run();
  sim.write_outputs(dir);
  dir.commit();
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(out))
    files[entry.path().filename().string()] = read_file(entry.path());
  fs::remove_all(out);
  return files;
}

// The bundled HPA month's scenario, and a fresh scratch directory named for this test run.
Scenario hpa_month() {
  return scenario::load_scenario({std::string(GPUSIM_SOURCE_DIR) + "/bench/scenarios/hpa-30d"});
}
fs::path scratch(const std::string& name) {
  return fs::temp_directory_path() /
         (name + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
}

void expect_same_files(const std::map<std::string, std::string>& want,
                       const std::map<std::string, std::string>& got, const std::string& how) {
  ASSERT_EQ(got.size(), want.size()) << how;
  for (const auto& [name, content] : want) {
    ASSERT_TRUE(got.count(name)) << name << " " << how;
    EXPECT_TRUE(got.at(name) == content) << name << " differs " << how;
  }
}

TEST(StreamedOutputsTest, StreamedFilesAreTheFilesWrittenAtTheEnd) {
  // The HPA month's scenario: sixteen hours of it fill events.jsonl, hpa.csv and workloads.csv
  // past one chunk each, so every streamed file hands chunks to the spool during the run.
  const Scenario scenario = hpa_month();
  const fs::path base = scratch("gpusim-streamed-");
  const auto kept = run_files(scenario, false, base / "kept");
  const auto streamed = run_files(scenario, true, base / "streamed");
  for (const char* name : {"events.jsonl", "hpa.csv", "workloads.csv"}) {
    ASSERT_TRUE(kept.count(name)) << name;
    EXPECT_GT(kept.at(name).size(), ChunkedText::kChunkBytes) << name;
  }
  expect_same_files(kept, streamed, "when streamed");
  fs::remove_all(base);
}

TEST(StreamedOutputsTest, ThreadsChangeNoFile) {
  // The HPA month's 200 Deployments are enough for the scrape and the syncs to be split; in
  // sixteen hours their HPAs scale up and down many times.
  const Scenario scenario = hpa_month();
  const fs::path base = scratch("gpusim-threads-");
  const auto one = run_files(scenario, true, base / "one", 1);
  ASSERT_TRUE(one.count("hpa.csv"));
  EXPECT_NE(one.at("events.jsonl").find("SuccessfulRescale"), std::string::npos);
  for (unsigned threads : {2U, 3U}) {
    const auto many = run_files(scenario, true, base / std::to_string(threads), threads);
    expect_same_files(one, many, "on " + std::to_string(threads) + " threads");
  }
  fs::remove_all(base);
}

TEST(StreamedOutputsTest, SteadySyncsChangeNoFile) {
  // The HPA month takes the shortcut for most syncs and scales in between; in the serving
  // example its HPA also sees a rollout, a drain and a node failure, with unready pods.
  for (const char* path : {"/bench/scenarios/hpa-30d", "/scenarios/serving"}) {
    Scenario scenario = scenario::load_scenario({std::string(GPUSIM_SOURCE_DIR) + path});
    const fs::path base = scratch("gpusim-steady-");
    const auto with = run_files(scenario, true, base / "with");
    scenario.simulation.hpa.steady_sync = false;
    const auto without = run_files(scenario, true, base / "without");
    ASSERT_TRUE(with.count("hpa.csv")) << path;
    expect_same_files(without, with, std::string("with the shortcut, ") + path);
    fs::remove_all(base);
  }
}

TEST(StreamedOutputsTest, SyncsInsideTheScrapeChangeNoFile) {
  // Both scenarios scrape and sync every 15 s, so with follow_scrape every sync's reconciles run
  // in the scrape; on two threads they also run in the other thread's ranges.
  for (const char* path : {"/bench/scenarios/hpa-30d", "/scenarios/serving"}) {
    Scenario scenario = scenario::load_scenario({std::string(GPUSIM_SOURCE_DIR) + path});
    const fs::path base = scratch("gpusim-follow-");
    for (unsigned threads : {1U, 2U}) {
      const std::string how = std::string(path) + " on " + std::to_string(threads) + " threads";
      scenario.simulation.hpa.follow_scrape = true;
      const auto inside = run_files(scenario, true, base / "inside", threads);
      scenario.simulation.hpa.follow_scrape = false;
      const auto apart = run_files(scenario, true, base / "apart", threads);
      ASSERT_TRUE(inside.count("hpa.csv")) << how;
      EXPECT_NE(inside.at("events.jsonl").find("SuccessfulRescale"), std::string::npos) << how;
      expect_same_files(apart, inside, "with the syncs inside the scrape, " + how);
    }
    fs::remove_all(base);
  }
}

}  // namespace
}  // namespace gpusim::engine
