// The CPU backend: plain loops over the host records, the reference the CUDA backend must match.
#include <algorithm>
#include <stdexcept>

#include "gpusim/gpu/policies.hpp"
#include "scorer_base.hpp"

namespace gpusim::gpu {
namespace detail {
namespace {

// FGD statistics read from the scorer's per-node cache instead of the node's devices.
struct CachedShapeStats {
  const std::int32_t* fit;
  const std::int64_t* below;
  std::int64_t node_frag;
  void operator()(std::int32_t i, std::int32_t& f, std::int64_t& b) const {
    f = fit[i];
    b = below[i];
  }
  std::int64_t frag() const { return node_frag; }
};

class CpuScorer final : public ScorerBase {
 public:
  Backend backend() const override { return Backend::kCpu; }

  void score_batch(std::span<const PodReq> pods, std::span<const std::uint64_t> salts,
                   std::span<std::int64_t> scores, std::span<Placement> best) override {
    const std::size_t n = nodes_.size();
    if (salts.size() != pods.size() || best.size() != pods.size() ||
        (!scores.empty() && scores.size() != pods.size() * n)) {
      throw std::invalid_argument("score_batch: span sizes do not match");
    }
    const ScoreParams sp = host_params();
    // Tiles of nodes that stay in L2 while every pod of the batch is scored against them: past
    // ~10k nodes the records no longer fit in cache, and a pod-by-pod sweep streamed all of them
    // from memory once per pod. Tiles go in node order and a pod's best only moves on a strictly
    // greater score, so the lowest index still wins ties.
    constexpr std::size_t kTileNodes = 2048;  // 2048 x 160-byte records = 320 KiB
    for (std::size_t p = 0; p < pods.size(); ++p)
      best[p] = Placement{};
    for (std::size_t lo = 0; lo < n; lo += kTileNodes) {
      const std::size_t hi = std::min(n, lo + kTileNodes);
      for (std::size_t p = 0; p < pods.size(); ++p) {
        const PodReq pod = pods[p];
        const std::uint64_t salt = salts[p];
        Placement b = best[p];
        std::int64_t* row = scores.empty() ? nullptr : scores.data() + p * n;
        for (std::size_t i = lo; i < hi; ++i) {
          const auto idx = static_cast<std::int32_t>(i);
          const std::int64_t s = evaluate_with(nodes_[i], idx, pod, salt, sp, stats_of(i));
          if (row) row[i] = s;
          if (s != kInfeasible && s > b.score) b = Placement{idx, s};
        }
        best[p] = b;
      }
    }
    evaluations_ += pods.size() * n;
  }

 protected:
  void upload_params() override { refresh_all_stats(); }
  void upload_nodes() override { refresh_all_stats(); }
  void upload_node(std::int32_t index) override {
    if (!frag_.empty()) refresh_stats(static_cast<std::size_t>(index));
  }
  void ensure_rows(std::size_t count) override {
    if (score_rows_.size() < count) score_rows_.resize(count);
  }
  void drop_rows() override { score_rows_.clear(); }

  void compute_row(std::int32_t shape, std::span<const std::int32_t> nodes, bool all) override {
    std::vector<std::int64_t>& row = score_rows_[static_cast<std::size_t>(shape)];
    const ScoreParams sp = host_params();
    const PodReq pod = this->shape(shape);
    if (all) {
      row.resize(nodes_.size());
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        row[i] = evaluate_with(nodes_[i], static_cast<std::int32_t>(i), pod, 0, sp, stats_of(i));
      }
      return;
    }
    for (auto i : nodes)
      row[static_cast<std::size_t>(i)] =
          evaluate_with(nodes_[static_cast<std::size_t>(i)], i, pod, 0, sp,
                        stats_of(static_cast<std::size_t>(i)));
  }

  void compute_rows_all(std::span<const std::int32_t> shapes) override {
    for (auto s : shapes)
      compute_row(s, {}, true);
  }

  Placement argmax_row(std::int32_t shape) override {
    const std::vector<std::int64_t>& row = score_rows_[static_cast<std::size_t>(shape)];
    Placement b;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (row[i] != kInfeasible && row[i] > b.score)
        b = Placement{static_cast<std::int32_t>(i), row[i]};
    }
    return b;
  }

  void gather_row(std::int32_t shape, std::span<const std::int32_t> nodes,
                  std::span<std::int64_t> out) override {
    const std::vector<std::int64_t>& row = score_rows_[static_cast<std::size_t>(shape)];
    for (std::size_t i = 0; i < nodes.size(); ++i)
      out[i] = row[static_cast<std::size_t>(nodes[i])];
  }

  Placement place_uncached(const PodReq& pod, std::uint64_t salt) override {
    const ScoreParams sp = host_params();
    Placement b;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const std::int64_t s =
          evaluate_with(nodes_[i], static_cast<std::int32_t>(i), pod, salt, sp, stats_of(i));
      if (s != kInfeasible && s > b.score) b = Placement{static_cast<std::int32_t>(i), s};
    }
    return b;
  }

 private:
  // FGD's statistics of every node (shape_stats for each of the table's distinct milli, and the
  // node's fragmentation), node-major, refreshed when a node changes: the "before" side of every
  // evaluation on that node, computed once per node state rather than once per pod.
  void refresh_all_stats() {
    fit_.clear();
    below_.clear();
    frag_.clear();
    if (params_.policy != Policy::kFgd) return;
    table_ = fgd_.view();
    frag_.resize(nodes_.size());
    fit_.resize(nodes_.size() * static_cast<std::size_t>(table_.n_milli));
    below_.resize(nodes_.size() * static_cast<std::size_t>(table_.n_milli));
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      refresh_stats(i);
  }
  void refresh_stats(std::size_t node) {
    const auto t = static_cast<std::size_t>(table_.n_milli);
    for (std::size_t i = 0; i < t; ++i) {
      shape_stats(nodes_[node], fgd_milli(table_, static_cast<std::int32_t>(i)), fit_[node * t + i],
                  below_[node * t + i]);
    }
    frag_[node] = fgd_frag_with(nodes_[node], table_, stats_of(node));
  }
  CachedShapeStats stats_of(std::size_t node) const {
    if (frag_.empty()) return CachedShapeStats{nullptr, nullptr, 0};
    const auto t = static_cast<std::size_t>(table_.n_milli);
    return CachedShapeStats{fit_.data() + node * t, below_.data() + node * t, frag_[node]};
  }

  std::vector<std::vector<std::int64_t>> score_rows_;
  FgdTable table_{};
  std::vector<std::int32_t> fit_;
  std::vector<std::int64_t> below_;
  std::vector<std::int64_t> frag_;
};

}  // namespace
}  // namespace detail

std::unique_ptr<Scorer> make_cpu_scorer() {
  return std::make_unique<detail::CpuScorer>();
}

}  // namespace gpusim::gpu
