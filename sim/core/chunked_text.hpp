#pragma once
// Text that grows for a whole run (CSV time series) kept in chunks of about 1 MiB: appending
// never copies what was written before, as one growing string does on every reallocation, and
// the parts are written out one after another (write_file_atomic takes them as they are).
#include <cstddef>
#include <string>
#include <vector>

namespace gpusim {

class ChunkedText {
 public:
  static constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

  // The chunk to append the next record to: a fresh one once the current is nearly full, so
  // that records up to kSlackBytes long never make a chunk reallocate.
  std::string& record() {
    if (parts_.empty() || parts_.back().size() + kSlackBytes > kChunkBytes) {
      parts_.emplace_back().reserve(kChunkBytes);
    }
    return parts_.back();
  }
  const std::vector<std::string>& parts() const { return parts_; }

 private:
  static constexpr std::size_t kSlackBytes = 4096;
  std::vector<std::string> parts_;
};

}  // namespace gpusim
