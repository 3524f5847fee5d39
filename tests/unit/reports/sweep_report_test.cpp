// The sweep report from a sweep directory's files: seed aggregation (median, quartiles), the
// layout (policy columns, x axis rows) and missing points.
#include "reports/sweep_report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gpusim::reports {
namespace {

namespace fs = std::filesystem;

TEST(SweepReport, AggregateMedianAndQuartiles) {
  const SeedAggregate a = aggregate({5, 1, 4, 2, 3});
  EXPECT_EQ(a.n, 5u);
  EXPECT_DOUBLE_EQ(a.median, 3);
  EXPECT_DOUBLE_EQ(a.q1, 2);
  EXPECT_DOUBLE_EQ(a.q3, 4);
  const SeedAggregate even = aggregate({10, 0, 20, 30});
  EXPECT_DOUBLE_EQ(even.median, 15);
  EXPECT_DOUBLE_EQ(even.q1, 7.5);
  EXPECT_DOUBLE_EQ(even.q3, 22.5);
  EXPECT_EQ(aggregate({}).n, 0u);
}

class SweepDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gpusim-sweep-report-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "sweep.json") << R"({"name": "t",
      "axes": [{"name": "policy", "values": ["FGD", "BestFit"]},
               {"name": "scenario", "values": ["default", "gpushare40"]},
               {"name": "seed", "values": ["1", "2", "3"]}],
      "metrics": [{"name": "u100", "source": "arrival:100"}],
      "x": "", "points": [1,2,3,4,5,6,7,8,9,10,11,12]})";
    std::ofstream(dir_ / "results.csv") << "id,policy,scenario,seed,u100\n"
                                           "a,FGD,default,1,5\n"
                                           "b,FGD,default,2,7\n"
                                           "c,FGD,default,3,6\n"
                                           "d,FGD,gpushare40,1,\n"
                                           "e,BestFit,default,1,9\n"
                                           "f,BestFit,default,3,11\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SweepDir, TablesPerPolicyOverTheXAxis) {
  const SweepResults r = read_sweep_results(dir_);
  EXPECT_EQ(r.planned, 12u);
  ASSERT_EQ(r.rows.size(), 6u);
  EXPECT_FALSE(r.rows[3].metrics[0].has_value());
  const std::string md = sweep_markdown(r);
  EXPECT_NE(md.find("| scenario | FGD | BestFit |"), std::string::npos) << md;
  // FGD on default: seeds 5, 7, 6 -> median 6, quartiles 5.5 and 6.5.
  EXPECT_NE(md.find("| default | 6 [5.5, 6.5] | 10 [9.5, 10.5] (n=2) |"), std::string::npos) << md;
  // No finished value for gpushare40 at all: shown as absent, not as 0.
  EXPECT_NE(md.find("| gpushare40 | - | - |"), std::string::npos) << md;
  EXPECT_NE(md.find("6 of 12 finished"), std::string::npos);
  const std::string html = sweep_html(r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("FGD @ default: 6 [5.5, 6.5]"), std::string::npos);
}

TEST_F(SweepDir, MissingColumnIsAnError) {
  std::ofstream(dir_ / "results.csv") << "id,policy,seed,u100\n";
  EXPECT_THROW(read_sweep_results(dir_), std::runtime_error);
}

}  // namespace
}  // namespace gpusim::reports
