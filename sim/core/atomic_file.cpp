#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace gpusim {
namespace fs = std::filesystem;

std::string unique_file_suffix() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

namespace {

// `.<name><tag><pid>-<n>` in path's directory. Built by appends: GCC 12 warns falsely
// (-Wrestrict) about `"." + std::string&&`.
fs::path hidden_path_beside(const fs::path& path, std::string_view tag) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string name = ".";
  name.append(path.filename().string()).append(tag).append(unique_file_suffix());
  return dir / name;
}

}  // namespace

fs::path temp_path_beside(const fs::path& path) {
  return hidden_path_beside(path, ".tmp-");
}

namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw std::runtime_error("cannot write " + path.string() + ": " + what);
}

void write_parts_atomic(const fs::path& path, std::span<const std::string_view> parts) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path tmp = temp_path_beside(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, std::strerror(errno));
  for (const std::string_view content : parts) {
    std::size_t off = 0;
    while (off < content.size()) {
      const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        const std::string err = std::strerror(errno);
        ::close(fd);
        ::unlink(tmp.c_str());
        fail(path, err);
      }
      off += static_cast<std::size_t>(n);
    }
  }
  ::fsync(fd);
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    fail(path, err);
  }
}
}  // namespace

void write_file_atomic(const fs::path& path, std::string_view content) {
  const std::string_view parts[] = {content};
  write_parts_atomic(path, parts);
}

void write_file_atomic(const fs::path& path, std::span<const std::string> parts) {
  std::vector<std::string_view> views(parts.begin(), parts.end());
  write_parts_atomic(path, views);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check_replaceable(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(path, ec);
  if (!fs::exists(st)) return;
  const std::string refuse = "refusing to replace " + path.string() + ": ";
  const std::string hint = "; remove it or choose another output directory";
  if (!fs::is_directory(st)) {
    throw std::invalid_argument(refuse + "it exists and is not a directory" + hint);
  }
  const fs::path here = fs::weakly_canonical(fs::current_path(ec), ec);
  const fs::path target = fs::weakly_canonical(path, ec);
  const auto [t, h] = std::mismatch(target.begin(), target.end(), here.begin(), here.end());
  if (!ec && t == target.end()) {
    throw std::invalid_argument(refuse + "it is the current directory or contains it" + hint);
  }
  if (fs::exists(path / kOutputMarkerFile, ec) || fs::exists(path / "summary.json", ec) ||
      fs::is_empty(path, ec)) {
    return;
  }
  throw std::invalid_argument(refuse + "it is a directory that gpusim did not write" + hint);
}

namespace {
const char* const kMarkerText = "written by gpusim: a later run may replace this directory\n";
}  // namespace

void check_claimable(const fs::path& dir, std::string_view own_file) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  const std::string refuse = "refusing to write into " + dir.string() + ": ";
  const std::string hint = "; remove it or choose another output directory";
  if (fs::exists(st)) {
    if (!fs::is_directory(fs::status(dir, ec))) {
      throw std::invalid_argument(refuse + "it exists and is not a directory" + hint);
    }
    if (!fs::exists(dir / kOutputMarkerFile, ec) && !fs::exists(dir / own_file, ec) &&
        !fs::is_empty(dir, ec)) {
      throw std::invalid_argument(refuse + "it is a directory that gpusim did not write" + hint);
    }
  }
}

void claim_output_directory(const fs::path& dir, std::string_view own_file) {
  check_claimable(dir, own_file);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(dir, ec.message());
  if (!fs::exists(dir / kOutputMarkerFile, ec)) {
    write_file_atomic(dir / kOutputMarkerFile, kMarkerText);
  }
}

namespace {

// `.<name>.partial-<pid>-<n>` and `.<name>.old-<pid>-<n>` beside `final` whose process is gone:
// left by a run that was killed before it could clean up.
void remove_dead_staging(const fs::path& parent, const std::string& name) {
  std::error_code ec;
  std::vector<fs::path> dead;
  const std::string tags[] = {"." + name + ".partial-", "." + name + ".old-"};
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    for (const std::string& tag : tags) {
      if (entry.rfind(tag, 0) != 0) continue;
      const std::string rest = entry.substr(tag.size());
      const long pid = std::strtol(rest.c_str(), nullptr, 10);
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        dead.push_back(it->path());
      }
    }
  }
  for (const auto& p : dead)
    fs::remove_all(p, ec);
}

}  // namespace

StagedDirectory::StagedDirectory(fs::path final_path) : final_(std::move(final_path)) {
  if (final_.filename().empty()) final_ = final_.parent_path();
  check_replaceable(final_);
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  remove_dead_staging(parent, final_.filename().string());
  staging_ = hidden_path_beside(final_, ".partial-");
  fs::create_directories(staging_, ec);
  if (ec) fail(final_, ec.message());  // the user's path, not the hidden staging one
  write(kOutputMarkerFile, kMarkerText);
}

StagedDirectory::~StagedDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

void StagedDirectory::write(std::string_view name, std::string_view content) const {
  write_file_atomic(staging_ / name, content);
}

void StagedDirectory::write(std::string_view name, std::span<const std::string> parts) const {
  write_file_atomic(staging_ / name, parts);
}

void StagedDirectory::commit() {
  check_replaceable(final_);
  std::error_code ec;
  fs::path old;
  if (fs::exists(final_, ec)) {
    old = hidden_path_beside(final_, ".old-");
    fs::rename(final_, old, ec);
    if (ec) fail(final_, "cannot replace existing directory: " + ec.message());
  }
  fs::rename(staging_, final_, ec);
  if (ec) fail(final_, ec.message());
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace gpusim
