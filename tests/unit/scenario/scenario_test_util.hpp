#pragma once
// Shared helpers for the scenario loader tests: where the test data lives and temporary files.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace gpusim::scenario::testing {

// tests/data/scenarios, from the source directory CMake passes in (not __FILE__, which is
// relative under ccache's base_dir), so the tests run from any directory.
inline std::filesystem::path data_dir() {
  return std::filesystem::path(GPUSIM_SOURCE_DIR) / "tests" / "data" / "scenarios";
}

inline std::string data(const std::string& relative) {
  return (data_dir() / relative).string();
}

// A file in a fresh temporary directory, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text, const std::string& name = "input.yaml") {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("gpusim-scenario-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    path_ = dir_ / name;
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }
  std::filesystem::path dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
};

}  // namespace gpusim::scenario::testing
