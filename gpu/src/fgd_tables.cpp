#include "gpusim/gpu/fgd_tables.hpp"

#include <algorithm>

#include "gpusim/gpu/policies.hpp"

namespace gpusim::gpu {

FgdTables::FgdTables(std::span<const TypicalShape> typical) {
  std::vector<std::int64_t> milli;
  std::vector<std::int64_t> cpu;
  std::int32_t max_count = 0;
  std::int64_t total = 0;
  for (const TypicalShape& m : typical) {
    total += m.weight;
    if (m.gpu_count <= 0 || m.gpu_milli <= 0) continue;  // CPU-only: all idle milli, always
    milli.push_back(m.gpu_milli);
    cpu.push_back(m.cpu_milli);
    max_count = std::max(max_count, m.gpu_count);
  }
  std::sort(milli.begin(), milli.end());
  milli.erase(std::unique(milli.begin(), milli.end()), milli.end());
  std::sort(cpu.begin(), cpu.end());
  cpu.erase(std::unique(cpu.begin(), cpu.end()), cpu.end());
  // A node has at most kMaxGpusPerNode devices, so "devices with >= r free" never passes it.
  const std::int32_t top = std::min(max_count, kMaxGpusPerNode);

  // Model classes: models with the same set of allowed GPU shapes share a weight table.
  std::vector<std::vector<bool>> classes;
  std::int64_t class_of[64];
  for (std::uint32_t model = 0; model < 64; ++model) {
    std::vector<bool> allowed;
    for (const TypicalShape& m : typical) {
      if (m.gpu_count <= 0 || m.gpu_milli <= 0) continue;
      allowed.push_back(model_allowed(m.model_mask, model));
    }
    auto it = std::find(classes.begin(), classes.end(), allowed);
    if (it == classes.end()) it = classes.insert(classes.end(), allowed);
    class_of[model] = it - classes.begin();
  }

  shape_.total_weight = total;
  shape_.n_milli = static_cast<std::int32_t>(milli.size());
  shape_.n_cpu = static_cast<std::int32_t>(cpu.size());
  shape_.n_fit = top + 1;
  shape_.n_class = static_cast<std::int32_t>(classes.size());
  const std::size_t nm = milli.size();
  const std::size_t nk = cpu.size() + 1;
  const auto nf = static_cast<std::size_t>(shape_.n_fit);
  blob_.assign(nm + cpu.size() + 64 + classes.size() * nk * nm * nf, 0);
  std::copy(milli.begin(), milli.end(), blob_.begin());
  std::copy(cpu.begin(), cpu.end(), blob_.begin() + static_cast<std::ptrdiff_t>(nm));
  std::copy(class_of, class_of + 64, blob_.begin() + static_cast<std::ptrdiff_t>(nm + cpu.size()));
  std::int64_t* weight = blob_.data() + nm + cpu.size() + 64;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    std::size_t gpu_shape = 0;
    for (const TypicalShape& m : typical) {
      if (m.gpu_count <= 0 || m.gpu_milli <= 0) continue;
      if (!classes[c][gpu_shape++]) continue;
      const auto i = static_cast<std::size_t>(
          std::lower_bound(milli.begin(), milli.end(), std::int64_t{m.gpu_milli}) - milli.begin());
      // cpu index k counts thresholds <= the node's cpu; the shape needs cpu_milli <= cpu free,
      // i.e. k > its own threshold's position.
      const auto first_k = static_cast<std::size_t>(
          std::lower_bound(cpu.begin(), cpu.end(), m.cpu_milli) - cpu.begin() + 1);
      for (std::size_t k = first_k; k < nk; ++k) {
        for (std::size_t f = static_cast<std::size_t>(m.gpu_count); f < nf; ++f)
          weight[((c * nk + k) * nm + i) * nf + f] += m.weight;
      }
    }
  }
  // #(milli <= x) by lookup for the usual per-device milli (up to a few whole devices' worth).
  if (!milli.empty() && milli.back() < 4096) {
    shape_.lookup = static_cast<std::int32_t>(blob_.size());
    shape_.n_lookup = static_cast<std::int32_t>(milli.back() + 1);
    for (std::int64_t x = 0; x < shape_.n_lookup; ++x) {
      blob_.push_back(std::upper_bound(milli.begin(), milli.end(), x) - milli.begin());
    }
  }
}

FgdTable FgdTables::view_at(const std::int64_t* data) const {
  FgdTable t = shape_;
  t.data = data;
  return t;
}

}  // namespace gpusim::gpu
