// OutputLock: one writer per output directory. A second lock on a held directory fails at once
// with a bad-input error naming it; releasing (the holder's exit or destructor) frees it.
#include "core/output_lock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace gpusim {
namespace {

namespace fs = std::filesystem;

fs::path fresh_lock_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("gpusim-lock-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(OutputLock, SecondLockOnTheSameDirectoryFailsAndNamesIt) {
  const fs::path d = fresh_lock_dir("second");
  std::optional<OutputLock> first(std::in_place, d);
  try {
    OutputLock second(d);
    FAIL() << "a second lock on a held directory must throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(d.string() + " is in use by another gpusim command"),
              std::string::npos)
        << e.what();
  }
  first.reset();
  EXPECT_NO_THROW(OutputLock again(d));  // released with its holder
  EXPECT_TRUE(fs::is_regular_file(d / kOutputLockFile));
  fs::remove_all(d);
}

TEST(OutputLock, OtherDirectoriesAreIndependent) {
  const fs::path a = fresh_lock_dir("a");
  const fs::path b = fresh_lock_dir("b");
  OutputLock la(a);
  EXPECT_NO_THROW(OutputLock lb(b));
  fs::remove_all(a);
  fs::remove_all(b);
}

}  // namespace
}  // namespace gpusim
