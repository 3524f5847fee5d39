#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
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

fs::path temp_path_beside(const fs::path& path) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string name = ".";
  name.append(path.filename().string()).append(".tmp-").append(unique_file_suffix());
  return dir / name;
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

StagedDirectory::StagedDirectory(fs::path final_path) : final_(std::move(final_path)) {
  if (final_.filename().empty()) final_ = final_.parent_path();
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  staging_ = parent / ("." + final_.filename().string() + ".partial-" + unique_file_suffix());
  fs::create_directories(staging_, ec);
  if (ec) fail(staging_, ec.message());
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
  std::error_code ec;
  fs::path old;
  if (fs::exists(final_, ec)) {
    old =
        final_.parent_path() / ("." + final_.filename().string() + ".old-" + unique_file_suffix());
    fs::rename(final_, old, ec);
    if (ec) fail(final_, "cannot replace existing directory: " + ec.message());
  }
  fs::rename(staging_, final_, ec);
  if (ec) fail(final_, ec.message());
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace gpusim
