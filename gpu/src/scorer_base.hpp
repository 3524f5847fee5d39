#pragma once
// What both backends share: the host mirror of the nodes, the parameters, shape interning and
// the bookkeeping of which score rows are stale. Backends supply the arithmetic.
#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "gpusim/gpu/fgd_tables.hpp"
#include "gpusim/gpu/scorer.hpp"

namespace gpusim::gpu::detail {

class ScorerBase : public Scorer {
 public:
  void set_params(const ScoreParams& params, std::span<const TypicalShape> typical) override;
  void set_nodes(std::span<const NodeRec> nodes) override;
  void update_node(std::int32_t index, const NodeRec& node) override;
  std::int32_t size() const override { return static_cast<std::int32_t>(nodes_.size()); }
  const NodeRec& node(std::int32_t index) const override {
    return nodes_[static_cast<std::size_t>(index)];
  }
  const ScoreParams& params() const override { return params_; }
  std::int32_t intern_shape(const PodReq& pod) override;
  void prime(std::span<const std::int32_t> shapes) override;
  Placement place(std::int32_t shape, std::uint64_t salt) override;
  void scores(std::int32_t shape, std::uint64_t salt, std::span<const std::int32_t> nodes,
              std::span<std::int64_t> out) override;
  std::uint64_t evaluations() const override { return evaluations_; }

 protected:
  // Backend hooks. Params/typical/nodes are already stored on the host when these run.
  virtual void upload_params() = 0;
  virtual void upload_nodes() = 0;
  virtual void upload_node(std::int32_t index) = 0;
  virtual void ensure_rows(std::size_t count) = 0;  // row storage for `count` shapes
  virtual void drop_rows() = 0;                     // free every row (memory cap)
  // Recomputes the row of `shape` for every node (nodes == empty) or for the listed nodes.
  virtual void compute_row(std::int32_t shape, std::span<const std::int32_t> nodes, bool all) = 0;
  virtual void compute_rows_all(std::span<const std::int32_t> shapes) = 0;
  virtual Placement argmax_row(std::int32_t shape) = 0;
  virtual void gather_row(std::int32_t shape, std::span<const std::int32_t> nodes,
                          std::span<std::int64_t> out) = 0;
  // Random: no rows, every call draws anew.
  virtual Placement place_uncached(const PodReq& pod, std::uint64_t salt) = 0;
  // Random's place(). A backend may keep the shape's row (refresh(), the salt-0 scores, of which
  // only "feasible or not" is read) and draw only over the feasible nodes: the draw depends on
  // the salt, feasibility does not.
  virtual Placement place_random(std::int32_t shape, std::uint64_t salt) {
    return place_uncached(this->shape(shape), salt);
  }
  // Brings the shape's row up to date with the node changes since it was last used.
  void refresh(std::int32_t shape);

  const PodReq& shape(std::int32_t id) const { return shapes_[static_cast<std::size_t>(id)]; }
  // Host params with `fgd` pointing at host memory.
  ScoreParams host_params() const;

  std::vector<NodeRec> nodes_;
  ScoreParams params_{};  // fgd unset: host_params() or the backend's copy fills it in
  FgdTables fgd_;
  std::uint64_t evaluations_ = 0;

 private:
  struct RowState {
    bool valid = false;
    std::uint64_t synced = 0;  // absolute change-log position the row reflects
  };
  void invalidate_rows();

  std::vector<PodReq> shapes_;
  std::map<std::array<std::int64_t, 11>, std::int32_t> shape_ids_;
  std::vector<RowState> rows_;
  std::vector<std::int32_t> log_;      // nodes changed, in order
  std::uint64_t log_base_ = 0;         // absolute position of log_[0]
  std::vector<std::int32_t> pending_;  // scratch: nodes to re-score
  std::vector<char> mark_;             // scratch: dedup of pending_
};

}  // namespace gpusim::gpu::detail
