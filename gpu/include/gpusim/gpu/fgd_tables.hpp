#pragma once
// Builds FGD's weight tables (FgdTable in types.hpp) from the typical shapes, on the host. The
// owner keeps the int64 blob; view() points a FgdTable at it, view_at() at a copy of the same
// bytes elsewhere (a backend's device memory).
#include <cstdint>
#include <span>
#include <vector>

#include "gpusim/gpu/types.hpp"

namespace gpusim::gpu {

class FgdTables {
 public:
  FgdTables() = default;
  explicit FgdTables(std::span<const TypicalShape> typical);

  FgdTable view() const { return view_at(blob_.data()); }
  FgdTable view_at(const std::int64_t* data) const;
  std::span<const std::int64_t> blob() const { return blob_; }

 private:
  std::vector<std::int64_t> blob_;
  FgdTable shape_{};  // the counts; data unset
};

}  // namespace gpusim::gpu
