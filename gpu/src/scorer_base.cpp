#include "scorer_base.hpp"

#include <algorithm>
#include <stdexcept>

#include "gpusim/gpu/policies.hpp"

namespace gpusim::gpu::detail {
namespace {

// Rows beyond this many scores in total are dropped and rebuilt on demand.
constexpr std::size_t kMaxRowEntries = std::size_t{1} << 26;

std::array<std::int64_t, 11> key_of(const PodReq& p) {
  return {p.cpu_milli,
          p.mem_bytes,
          p.ext[0],
          p.ext[1],
          p.ext[2],
          p.ext[3],
          p.gpu_count,
          p.gpu_milli,
          static_cast<std::int64_t>(p.model_mask),
          static_cast<std::int64_t>(p.tags_required),
          static_cast<std::int64_t>(p.tags_forbidden)};
}

}  // namespace

ScoreParams ScorerBase::host_params() const {
  ScoreParams p = params_;
  p.fgd = fgd_.view();
  return p;
}

void ScorerBase::invalidate_rows() {
  for (auto& r : rows_)
    r.valid = false;
}

void ScorerBase::set_params(const ScoreParams& params, std::span<const TypicalShape> typical) {
  if (params.max_cpu_milli <= 0 || params.max_gpu_milli <= 0) {
    throw std::invalid_argument("scorer: max_cpu_milli and max_gpu_milli must be positive");
  }
  params_ = params;
  // FGD's shapes folded into weight tables once per parameter set (FgdTable, policies.hpp).
  fgd_ = FgdTables(typical);
  params_.fgd = FgdTable{};
  upload_params();
  invalidate_rows();
}

void ScorerBase::set_nodes(std::span<const NodeRec> nodes) {
  nodes_.assign(nodes.begin(), nodes.end());
  upload_nodes();
  invalidate_rows();
  log_.clear();
  mark_.assign(nodes_.size(), 0);
}

void ScorerBase::update_node(std::int32_t index, const NodeRec& node) {
  if (index < 0 || static_cast<std::size_t>(index) > nodes_.size()) {
    throw std::out_of_range("scorer: node index out of range");
  }
  if (static_cast<std::size_t>(index) == nodes_.size()) {
    nodes_.push_back(node);
    upload_nodes();
    invalidate_rows();
    mark_.assign(nodes_.size(), 0);
    return;
  }
  nodes_[static_cast<std::size_t>(index)] = node;
  upload_node(index);
  log_.push_back(index);
  if (log_.size() > std::max<std::size_t>(std::size_t{1} << 16, 4 * nodes_.size())) {
    // Rows older than the new base fall back to a full recompute.
    log_base_ += log_.size();
    log_.clear();
  }
}

std::int32_t ScorerBase::intern_shape(const PodReq& pod) {
  const auto key = key_of(pod);
  auto it = shape_ids_.find(key);
  if (it != shape_ids_.end()) return it->second;
  const auto id = static_cast<std::int32_t>(shapes_.size());
  shapes_.push_back(pod);
  rows_.emplace_back();
  shape_ids_.emplace(key, id);
  return id;
}

void ScorerBase::refresh(std::int32_t shape) {
  RowState& row = rows_[static_cast<std::size_t>(shape)];
  const std::uint64_t end = log_base_ + log_.size();
  if (row.valid && row.synced == end) return;
  if (!row.valid || row.synced < log_base_ || end - row.synced > nodes_.size() / 2) {
    if (!row.valid && (rows_.size() * nodes_.size() > kMaxRowEntries)) {
      drop_rows();
      invalidate_rows();
    }
    ensure_rows(rows_.size());
    compute_row(shape, {}, true);
    evaluations_ += nodes_.size();
  } else {
    pending_.clear();
    for (std::size_t i = row.synced - log_base_; i < log_.size(); ++i) {
      const std::int32_t n = log_[i];
      if (!mark_[static_cast<std::size_t>(n)]) {
        mark_[static_cast<std::size_t>(n)] = 1;
        pending_.push_back(n);
      }
    }
    for (auto n : pending_)
      mark_[static_cast<std::size_t>(n)] = 0;
    compute_row(shape, pending_, false);
    evaluations_ += pending_.size();
  }
  row.valid = true;
  row.synced = end;
}

void ScorerBase::prime(std::span<const std::int32_t> shapes) {
  if (params_.policy == Policy::kRandom) return;
  std::vector<std::int32_t> stale;
  for (auto s : shapes) {
    if (!rows_[static_cast<std::size_t>(s)].valid &&
        std::find(stale.begin(), stale.end(), s) == stale.end()) {
      stale.push_back(s);
    }
  }
  if (stale.empty()) return;
  if (rows_.size() * nodes_.size() > kMaxRowEntries) {
    for (auto s : stale)
      refresh(s);  // too many to hold at once: one at a time
    return;
  }
  ensure_rows(rows_.size());
  compute_rows_all(stale);
  evaluations_ += stale.size() * nodes_.size();
  const std::uint64_t end = log_base_ + log_.size();
  for (auto s : stale)
    rows_[static_cast<std::size_t>(s)] = RowState{true, end};
}

Placement ScorerBase::place(std::int32_t shape, std::uint64_t salt) {
  if (nodes_.empty()) return {};
  if (params_.policy == Policy::kRandom) {
    evaluations_ += nodes_.size();  // a draw per node (a kept row counts its own re-scoring)
    return place_random(shape, salt);
  }
  refresh(shape);
  return argmax_row(shape);
}

void ScorerBase::scores(std::int32_t shape, std::uint64_t salt, std::span<const std::int32_t> nodes,
                        std::span<std::int64_t> out) {
  if (params_.policy == Policy::kRandom) {
    // Cheap and salt-dependent: evaluate on the host mirror, same code as every backend.
    const ScoreParams hp = host_params();
    const PodReq& p = this->shape(shape);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      out[i] = evaluate(nodes_[static_cast<std::size_t>(nodes[i])], nodes[i], p, salt, hp);
    }
    evaluations_ += nodes.size();
    return;
  }
  refresh(shape);
  gather_row(shape, nodes, out);
}

}  // namespace gpusim::gpu::detail
