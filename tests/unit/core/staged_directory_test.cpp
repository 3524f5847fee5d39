// StagedDirectory may replace only what gpusim wrote: `-o` naming a user's directory, a file or
// the directory the user stands in stops the run before it starts and deletes nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "core/atomic_file.hpp"

namespace gpusim {
namespace {

namespace fs = std::filesystem;

class StagedDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("gpusim-staged-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override {
    fs::current_path(fs::temp_directory_path());
    fs::remove_all(root_);
  }
  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path root_;
};

TEST_F(StagedDirectoryTest, AnOutputItWroteIsReplaced) {
  const fs::path out = root_ / "run";
  {
    StagedDirectory d(out);
    d.write("a.txt", "first");
    d.commit();
  }
  EXPECT_TRUE(fs::exists(out / kOutputMarkerFile));
  StagedDirectory again(out);
  again.write("b.txt", "second");
  again.commit();
  EXPECT_FALSE(fs::exists(out / "a.txt"));
  EXPECT_EQ(read_file(out / "b.txt"), "second");
}

TEST_F(StagedDirectoryTest, AnEmptyDirectoryOrAnEarlierRunIsReplaced) {
  fs::create_directories(root_ / "empty");
  EXPECT_NO_THROW(check_replaceable(root_ / "empty"));
  write(root_ / "old-run" / "summary.json", "{}");  // a run from before the marker
  EXPECT_NO_THROW(check_replaceable(root_ / "old-run"));
  EXPECT_NO_THROW(check_replaceable(root_ / "absent"));
}

TEST_F(StagedDirectoryTest, AUsersDirectoryOrFileIsRefusedAndKept) {
  write(root_ / "mine" / "precious.txt", "keep me");
  EXPECT_THROW(StagedDirectory d(root_ / "mine"), std::invalid_argument);
  EXPECT_EQ(read_file(root_ / "mine" / "precious.txt"), "keep me");
  write(root_ / "file", "keep me too");
  EXPECT_THROW(StagedDirectory d(root_ / "file"), std::invalid_argument);
  EXPECT_EQ(read_file(root_ / "file"), "keep me too");
  // No staging directory is left behind by a refused one.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_))
    ++entries;
  EXPECT_EQ(entries, 2);
}

TEST_F(StagedDirectoryTest, TheCurrentDirectoryAndItsParentsAreRefused) {
  // Even a gpusim output: replacing it would pull the directory from under the user.
  write(root_ / "out" / kOutputMarkerFile, "");
  fs::create_directories(root_ / "out" / "sub");
  fs::current_path(root_ / "out" / "sub");
  EXPECT_THROW(check_replaceable(root_ / "out"), std::invalid_argument);
  EXPECT_THROW(check_replaceable(root_ / "out" / "sub"), std::invalid_argument);
  fs::current_path(root_);
  EXPECT_NO_THROW(check_replaceable(root_ / "out"));
}

TEST_F(StagedDirectoryTest, StagingLeftByADeadProcessIsRemoved) {
  // PID 0x7fffffff is above any pid_max, so no such process exists.
  fs::create_directories(root_ / ".run.partial-2147483647-0");
  fs::create_directories(root_ / ".run.old-2147483647-3");
  fs::create_directories(root_ / ".other.partial-2147483647-0");
  StagedDirectory d(root_ / "run");
  EXPECT_FALSE(fs::exists(root_ / ".run.partial-2147483647-0"));
  EXPECT_FALSE(fs::exists(root_ / ".run.old-2147483647-3"));
  EXPECT_TRUE(fs::exists(root_ / ".other.partial-2147483647-0"));  // another output's
}

// Sweeps, merges, comparisons and plans add to their -o directory: a new, empty or earlier
// gpusim directory takes them (and gets the marker); a user's directory of other files does not.
TEST_F(StagedDirectoryTest, ClaimingTakesANewEmptyOrEarlierOutputDirectory) {
  claim_output_directory(root_ / "new" / "sweep", "sweep.json");
  EXPECT_TRUE(fs::exists(root_ / "new" / "sweep" / kOutputMarkerFile));
  fs::create_directories(root_ / "empty");
  claim_output_directory(root_ / "empty", "sweep.json");
  EXPECT_TRUE(fs::exists(root_ / "empty" / kOutputMarkerFile));
  write(root_ / "before-marker" / "sweep.json", "{}");  // a sweep from before the marker
  claim_output_directory(root_ / "before-marker", "sweep.json");
  EXPECT_TRUE(fs::exists(root_ / "before-marker" / kOutputMarkerFile));
  EXPECT_EQ(read_file(root_ / "before-marker" / "sweep.json"), "{}");
  write(root_ / "marked" / kOutputMarkerFile, "");
  write(root_ / "marked" / "results.csv", "kept");
  EXPECT_NO_THROW(claim_output_directory(root_ / "marked", "plan.json"));
  EXPECT_EQ(read_file(root_ / "marked" / "results.csv"), "kept");
}

TEST_F(StagedDirectoryTest, ClaimingRefusesAUsersDirectoryOrAFileAndWritesNothing) {
  write(root_ / "home" / "notes.txt", "mine");
  try {
    claim_output_directory(root_ / "home", "sweep.json");
    FAIL() << "a directory gpusim did not write was claimed";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("did not write"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(root_ / "home" / kOutputMarkerFile));
  write(root_ / "file", "x");
  EXPECT_THROW(claim_output_directory(root_ / "file", "sweep.json"), std::invalid_argument);
  EXPECT_EQ(read_file(root_ / "file"), "x");
}

}  // namespace
}  // namespace gpusim
