#pragma once
// One writer per output directory. Commands that add to a directory over several steps (sweep,
// merge, plan, compare) hold an exclusive flock(2) on DIR/.gpusim-lock while they write: a second
// command on the same directory would otherwise clear the first one's staging directories as
// leftovers of a killed run. The kernel drops the lock when its holder exits, however it exits,
// so a rerun after a kill (SIGKILL included) finds the directory free and resumes.
#include <filesystem>
#include <string_view>

namespace gpusim {

// The lock file's name: empty, left in place (removing it would race with a waiting locker).
inline constexpr const char* kOutputLockFile = ".gpusim-lock";

class OutputLock {
 public:
  // Locks `dir` (which must exist) without waiting. Throws std::invalid_argument (bad input:
  // exit 2) naming the directory when another command holds it, std::runtime_error when the lock
  // file cannot be opened.
  explicit OutputLock(const std::filesystem::path& dir);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace gpusim
