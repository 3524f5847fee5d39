#include "scheduler/plugins/gpu_fragmentation.hpp"

#include "gpusim/gpu/policies.hpp"

namespace gpusim::sched {

GpuFragmentationMeter::GpuFragmentationMeter(const NodeTable& table,
                                             std::vector<TypicalPod> typical)
    : view_(table), typical_(std::move(typical)) {
  for (const auto& t : typical_)
    total_weight_ += t.weight;
}

void GpuFragmentationMeter::sync() {
  changed_.clear();
  const GpuNodeView::SyncResult r = view_.sync(&changed_);
  const auto& recs = view_.records();
  const bool all = r.specs_changed || r.resized || shapes_.size() != typical_.size();
  if (all) {
    shapes_ = typical_shapes(typical_, view_);
    fgd_ = gpu::FgdTables(shapes_);
  }
  gpu::ScoreParams p;
  p.fgd = fgd_.view();
  auto measure = [&](std::size_t n) {
    const gpu::NodeRec& rec = recs[n];
    const bool live = (rec.flags & gpu::kNodeLive) != 0;
    frag_sum_ -= node_frag_[n];
    idle_sum_ -= node_idle_[n];
    node_frag_[n] = live ? gpu::node_fragmentation(rec, p) : 0;
    node_idle_[n] = live ? rec.gpu_free_total : 0;
    frag_sum_ += node_frag_[n];
    idle_sum_ += node_idle_[n];
  };
  if (all) {
    node_frag_.assign(recs.size(), 0);
    node_idle_.assign(recs.size(), 0);
    frag_sum_ = 0;
    idle_sum_ = 0;
    for (std::size_t n = 0; n < recs.size(); ++n)
      measure(n);
  } else {
    for (auto n : changed_)
      measure(static_cast<std::size_t>(n));
  }
}

std::int64_t GpuFragmentationMeter::frag_milli() {
  sync();
  return total_weight_ > 0 ? frag_sum_ / total_weight_ : 0;
}

std::int64_t GpuFragmentationMeter::idle_milli() {
  sync();
  return idle_sum_;
}

}  // namespace gpusim::sched
