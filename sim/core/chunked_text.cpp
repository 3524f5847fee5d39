#include "core/chunked_text.hpp"

#include <stdexcept>

namespace gpusim {

std::string ChunkedText::joined() const {
  std::size_t n = 0;
  for (const std::string& p : parts_)
    n += p.size();
  std::string out;
  out.reserve(n);
  for (const std::string& p : parts_)
    out += p;
  return out;
}

void ChunkedText::start_chunk() {
  if (spool_ == nullptr) {
    parts_.emplace_back().reserve(kChunkBytes);
    return;
  }
  // Streaming: the full chunk is handed over and a written one comes back for reuse.
  std::string next = spool_->take_buffer();
  next.reserve(kChunkBytes);
  if (!parts_.empty()) {
    spool_->append(file_, std::move(parts_.back()));
    parts_.back() = std::move(next);
  } else {
    parts_.push_back(std::move(next));
  }
}

void ChunkedText::stream_to(TextSpool& spool, const StagedDirectory& dir, std::string_view name) {
  if (spool_ != nullptr) throw std::logic_error("ChunkedText: already streamed");
  spool_ = &spool;
  file_ = spool.open(dir.file(name));
  streamed_name_ = dir.file(name).string();
  // What was written so far goes first; the last part stays as the chunk being filled.
  for (std::size_t i = 0; i + 1 < parts_.size(); ++i)
    spool.append(file_, std::move(parts_[i]));
  if (parts_.size() > 1) parts_.erase(parts_.begin(), parts_.end() - 1);
}

void ChunkedText::write(const StagedDirectory& dir, std::string_view name) const {
  if (spool_ == nullptr) {
    dir.write(name, parts_);
    return;
  }
  if (dir.file(name).string() != streamed_name_) {
    throw std::logic_error("ChunkedText: streamed to " + streamed_name_ + ", not " +
                           dir.file(name).string());
  }
  if (!parts_.empty()) spool_->append(file_, parts_.back());
  spool_->commit(file_);
}

}  // namespace gpusim
