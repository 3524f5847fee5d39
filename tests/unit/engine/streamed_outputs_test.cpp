// A run's outputs do not depend on how they are made: with the growing files streamed while the
// run goes on (Simulation::stream_outputs, what `gpusim run` does), every file is byte for byte
// the one of a run that keeps them in memory and writes them at the end; and with the scrape and
// the HPA syncs split over threads (RunOptions::threads), the one of a run on one thread.
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

TEST(StreamedOutputsTest, StreamedFilesAreTheFilesWrittenAtTheEnd) {
  // The HPA month's scenario: sixteen hours of it fill events.jsonl, hpa.csv and workloads.csv
  // past one chunk each, so every streamed file hands chunks to the spool during the run.
  const Scenario scenario =
      scenario::load_scenario({std::string(GPUSIM_SOURCE_DIR) + "/bench/scenarios/hpa-30d"});
  const fs::path base =
      fs::temp_directory_path() /
      ("gpusim-streamed-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  const auto kept = run_files(scenario, false, base / "kept");
  const auto streamed = run_files(scenario, true, base / "streamed");
  for (const char* name : {"events.jsonl", "hpa.csv", "workloads.csv"}) {
    ASSERT_TRUE(kept.count(name)) << name;
    EXPECT_GT(kept.at(name).size(), ChunkedText::kChunkBytes) << name;
  }
  ASSERT_EQ(streamed.size(), kept.size());
  for (const auto& [name, content] : kept) {
    ASSERT_TRUE(streamed.count(name)) << name;
    EXPECT_TRUE(streamed.at(name) == content) << name << " differs when streamed";
  }
  fs::remove_all(base);
}

TEST(StreamedOutputsTest, ThreadsChangeNoFile) {
  // The HPA month's 200 Deployments are enough for the scrape and the syncs to be split; in
  // sixteen hours their HPAs scale up and down many times.
  const Scenario scenario =
      scenario::load_scenario({std::string(GPUSIM_SOURCE_DIR) + "/bench/scenarios/hpa-30d"});
  const fs::path base =
      fs::temp_directory_path() /
      ("gpusim-threads-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  const auto one = run_files(scenario, true, base / "one", 1);
  ASSERT_TRUE(one.count("hpa.csv"));
  EXPECT_NE(one.at("events.jsonl").find("SuccessfulRescale"), std::string::npos);
  for (unsigned threads : {2U, 3U}) {
    const auto many = run_files(scenario, true, base / std::to_string(threads), threads);
    ASSERT_EQ(many.size(), one.size());
    for (const auto& [name, content] : one) {
      ASSERT_TRUE(many.count(name)) << name;
      EXPECT_TRUE(many.at(name) == content) << name << " differs on " << threads << " threads";
    }
  }
  fs::remove_all(base);
}

}  // namespace
}  // namespace gpusim::engine
