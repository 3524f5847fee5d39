#include "core/text_spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/atomic_file.hpp"

namespace gpusim {
namespace fs = std::filesystem;

namespace {
// More free buffers than this are dropped: the writer keeps up, so a few go round.
constexpr std::size_t kMaxFreeBuffers = 8;
}  // namespace

TextSpool::TextSpool() : writer_([this] { work(); }) {}

TextSpool::~TextSpool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  writer_.join();
  for (File& f : files_) {
    if (f.fd >= 0) ::close(f.fd);
    if (!f.committed) ::unlink(f.tmp_path.c_str());
  }
}

TextSpool::FileId TextSpool::open(const fs::path& final_path) {
  File f;
  f.final_path = final_path;
  f.tmp_path = temp_path_beside(final_path);
  f.fd = ::open(f.tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (f.fd < 0) {
    throw std::runtime_error("cannot write " + final_path.string() + ": " + std::strerror(errno));
  }
  std::lock_guard lock(mutex_);
  files_.push_back(std::move(f));
  return files_.size() - 1;
}

void TextSpool::append(FileId file, std::string chunk) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{file, std::move(chunk)});
  }
  work_ready_.notify_one();
}

std::string TextSpool::take_buffer() {
  std::lock_guard lock(mutex_);
  if (free_buffers_.empty()) return {};
  std::string b = std::move(free_buffers_.back());
  free_buffers_.pop_back();
  return b;
}

void TextSpool::commit(FileId file) {
  std::unique_lock lock(mutex_);
  // Jobs run in queue order, so the file's last chunk is written once no job of it is queued
  // or being written; waiting for the whole queue is simpler and costs no more at the end.
  work_done_.wait(lock, [this] { return jobs_.empty() && writing_ == 0; });
  File& f = files_.at(file);
  lock.unlock();
  std::string error = f.error;
  if (error.empty() && ::fsync(f.fd) != 0) error = std::strerror(errno);
  if (::close(f.fd) != 0 && error.empty()) error = std::strerror(errno);
  f.fd = -1;
  if (error.empty() && ::rename(f.tmp_path.c_str(), f.final_path.c_str()) != 0) {
    error = std::strerror(errno);
  }
  if (!error.empty()) {
    ::unlink(f.tmp_path.c_str());
    f.committed = true;  // nothing left to remove
    throw std::runtime_error("cannot write " + f.final_path.string() + ": " + error);
  }
  f.committed = true;
}

void TextSpool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and everything queued is written
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    ++writing_;
    File& f = files_[job.file];
    lock.unlock();
    write_chunk(f, job.chunk);
    job.chunk.clear();
    lock.lock();
    if (free_buffers_.size() < kMaxFreeBuffers) free_buffers_.push_back(std::move(job.chunk));
    --writing_;
    if (jobs_.empty() && writing_ == 0) work_done_.notify_all();
  }
}

void TextSpool::write_chunk(File& f, const std::string& chunk) {
  if (!f.error.empty()) return;
  std::size_t off = 0;
  while (off < chunk.size()) {
    const ssize_t n = ::write(f.fd, chunk.data() + off, chunk.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      f.error = std::strerror(errno);
      return;
    }
    off += static_cast<std::size_t>(n);
  }
#ifdef SYNC_FILE_RANGE_WRITE
  // Starts writeback now, so that commit()'s fsync finds little left to write.
  ::sync_file_range(f.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
}

}  // namespace gpusim
