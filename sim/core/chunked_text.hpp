#pragma once
// Text that grows for a whole run (CSV time series, events) kept in chunks of about 1 MiB:
// appending never copies what was written before, as one growing string does on every
// reallocation. The parts are written out one after another at the end (write_file_atomic takes
// them as they are), or, once stream_to() is called, each full chunk goes to a TextSpool that
// writes it while the run goes on.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/text_spool.hpp"

namespace gpusim {

class ChunkedText {
 public:
  static constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

  // The chunk to append the next record to: a fresh one once the current is nearly full, so
  // that records up to kSlackBytes long never make a chunk reallocate.
  std::string& record() {
    if (parts_.empty() || parts_.back().size() + kSlackBytes > kChunkBytes) start_chunk();
    return parts_.back();
  }
  // The text still held (all of it unless streaming).
  const std::vector<std::string>& parts() const { return parts_; }
  // The whole text in one string; only for text that is not streamed.
  std::string joined() const;

  // From now on the text goes to dir/name through `spool` (what is held so far included);
  // write() with the same directory and name then commits it.
  void stream_to(TextSpool& spool, const StagedDirectory& dir, std::string_view name);
  // Writes the whole text as dir/name: commits the streamed file, or writes the parts.
  void write(const StagedDirectory& dir, std::string_view name) const;

 private:
  static constexpr std::size_t kSlackBytes = 4096;
  void start_chunk();

  std::vector<std::string> parts_;
  TextSpool* spool_ = nullptr;
  TextSpool::FileId file_ = 0;
  std::string streamed_name_;
};

}  // namespace gpusim
