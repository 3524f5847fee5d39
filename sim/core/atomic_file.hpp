#pragma once
// Results are complete or absent: every file is written to a temporary name and renamed into
// place, and a run's output directory is built beside its final name and renamed at the end.
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace gpusim {

// Writes `content` to `path` through a temporary file in the same directory (fsync + rename).
// Throws std::runtime_error naming the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);
// The same for content held in parts (written one after another), so that a large output can
// be kept in chunks instead of one string that is copied each time it grows.
void write_file_atomic(const std::filesystem::path& path, std::span<const std::string> parts);

std::string read_file(const std::filesystem::path& path);

// "<pid>-<n>", a fresh n each call: temporary names that no other writer in this or another
// process uses.
std::string unique_file_suffix();
// A hidden temporary name in path's directory for writing path (same filesystem, so renaming
// it to path is atomic).
std::filesystem::path temp_path_beside(const std::filesystem::path& path);

// The file every committed StagedDirectory holds: a later commit to the same path may replace
// a directory that has it, and only such a directory (or an empty one).
inline constexpr const char* kOutputMarkerFile = ".gpusim-output";

// Throws std::invalid_argument (bad input: exit 2) when a commit to `path` would delete what
// gpusim did not write: an existing file or link, a directory that is neither empty nor an
// earlier output (the marker, or the summary.json of a run from before the marker), or the
// current directory or one above it.
void check_replaceable(const std::filesystem::path& path);

// For commands that add to a directory over several steps instead of replacing it whole
// (sweep, merge, compare, plan): throws std::invalid_argument (bad input: exit 2) unless `dir`
// is absent, empty, or an earlier gpusim output (the marker, or `own_file`, which such a command
// wrote before it wrote the marker); then creates it and writes the marker. A user's directory
// of other files is never written into by accident.
void claim_output_directory(const std::filesystem::path& dir, std::string_view own_file);
// The check alone, for a command that writes nothing until its first result (a run stopped
// before then leaves no directory behind).
void check_claimable(const std::filesystem::path& dir, std::string_view own_file);

// A directory whose contents appear at `final_path` only when commit() is called. Until then
// files go to a hidden staging directory next to it; the destructor removes an uncommitted one.
// The constructor checks final_path (check_replaceable), so a run stops before it starts, and
// removes the staging directories that killed runs left beside it.
class StagedDirectory {
 public:
  explicit StagedDirectory(std::filesystem::path final_path);
  ~StagedDirectory();
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  const std::filesystem::path& staging_path() const { return staging_; }
  const std::filesystem::path& final_path() const { return final_; }
  std::filesystem::path file(std::string_view name) const { return staging_ / name; }
  void write(std::string_view name, std::string_view content) const;
  void write(std::string_view name, std::span<const std::string> parts) const;
  // Replaces the previous output at final_path (checked again: it may have appeared meanwhile).
  void commit();

 private:
  std::filesystem::path final_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

}  // namespace gpusim
