#pragma once
// A long run writes hundreds of MB of CSV and JSON lines. Kept in memory until the end, that
// text more than doubles the run's footprint, and writing and syncing it is a serial phase after
// the run. Spooled, each chunk is written by a background thread while the simulation goes on,
// and the end only syncs and renames.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gpusim {

class TextSpool {
 public:
  using FileId = std::size_t;

  TextSpool();
  // Finishes the queued writes and removes every file that was not committed.
  ~TextSpool();
  TextSpool(const TextSpool&) = delete;
  TextSpool& operator=(const TextSpool&) = delete;

  // Starts a file that appears at `final_path` only on commit(): until then it is a hidden
  // temporary beside it (same directory, so the rename is atomic). Throws std::runtime_error
  // naming the path when it cannot be created.
  FileId open(const std::filesystem::path& final_path);
  // Queues `chunk` to be appended to the file; chunks of one file are written in queue order.
  void append(FileId file, std::string chunk);
  // An empty string with the capacity of a chunk already written (or a new one), so that a run
  // reuses a few buffers instead of faulting in fresh pages for every chunk.
  std::string take_buffer();
  // Waits for the file's queued chunks, syncs it and renames it into place. Throws
  // std::runtime_error naming the path if any of its writes failed.
  void commit(FileId file);

 private:
  struct File {
    std::filesystem::path final_path;
    std::filesystem::path tmp_path;
    int fd = -1;
    std::string error;  // the first failure; later chunks of the file are dropped
    bool committed = false;
  };
  struct Job {
    FileId file;
    std::string chunk;
  };
  void work();
  void write_chunk(File& f, const std::string& chunk);

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  std::deque<Job> jobs_;
  std::size_t writing_ = 0;  // jobs taken off the queue and not yet written
  std::vector<std::string> free_buffers_;
  std::deque<File> files_;  // a deque: the writer holds references while open() appends
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace gpusim
