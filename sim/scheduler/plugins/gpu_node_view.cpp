#include "scheduler/plugins/gpu_node_view.hpp"

#include <algorithm>

#include "gpusim/gpu/policies.hpp"

namespace gpusim::sched {

GpuNodeView::GpuNodeView(const NodeTable& table) : table_(table) {}

std::uint64_t GpuNodeView::model_mask(const std::vector<std::string>& models) const {
  if (models.empty()) return 0;
  std::uint64_t mask = 0;
  for (const auto& m : models) {
    const std::uint32_t id = table_.gpu_model_id(m);
    if (id != 0) mask |= std::uint64_t{1} << std::min<std::uint32_t>(id, 63);
  }
  return mask == 0 ? 1u : mask;  // bit 0 matches no node
}

gpu::PodReq GpuNodeView::request(const PodResources& res, bool tolerates_nothing) {
  gpu::PodReq p;
  p.cpu_milli = res.requests.get(kCpu);
  p.mem_bytes = res.requests.get(kMemory);
  for (const auto& [name, units] : res.requests.entries()) {
    if (units == 0 || is_native_resource(name) || name == kNvidiaGpu) continue;
    const int d = table_.dim(name);
    if (d < 0) {
      p.ext[0] = INT64_MAX;  // nobody offers it: fits nowhere
      continue;
    }
    auto it = std::find(ext_dims_.begin(), ext_dims_.end(), d);
    if (it == ext_dims_.end()) {
      if (ext_dims_.size() == static_cast<std::size_t>(gpu::kExtDims)) continue;  // not modelled
      ext_dims_.push_back(d);
      ext_changed_ = true;
      it = ext_dims_.end() - 1;
    }
    p.ext[it - ext_dims_.begin()] = units;
  }
  p.gpu_count = res.gpu.count;
  p.gpu_milli = res.gpu.count > 0 ? res.gpu.milli_per_gpu : 0;
  p.model_mask = model_mask(res.gpu.models);
  if (tolerates_nothing) p.tags_forbidden = kTagNoScheduleTaint;
  return p;
}

void GpuNodeView::rebuild(NodeIndex n) {
  gpu::NodeRec r;
  const bool live = table_.live(n);
  const std::int64_t cpu_alloc = table_.alloc(NodeTable::kCpu)[n];
  r.cpu_alloc_milli = cpu_alloc;
  r.cpu_free_milli = cpu_alloc - table_.requested(NodeTable::kCpu)[n];
  r.mem_free_bytes = table_.alloc(NodeTable::kMemory)[n] - table_.requested(NodeTable::kMemory)[n];
  r.pods_free = static_cast<std::int32_t>(std::min<std::int64_t>(
      INT32_MAX, table_.alloc(NodeTable::kPods)[n] - table_.requested(NodeTable::kPods)[n]));
  for (std::size_t d = 0; d < ext_dims_.size(); ++d) {
    r.ext_free[d] = table_.alloc(ext_dims_[d])[n] - table_.requested(ext_dims_[d])[n];
  }
  r.gpu_count = std::min<std::int32_t>(table_.gpu_count(n), gpu::kMaxGpusPerNode);
  const std::int32_t* free = table_.gpu_free(n);
  for (std::int32_t i = 0; i < r.gpu_count; ++i)
    r.gpu_free_milli[i] = free[i];
  gpu::finalize_node(r);
  r.model = std::min<std::uint32_t>(table_.gpu_model(n), 63);
  r.flags = live ? gpu::kNodeLive : 0u;
  if (live && !table_.unschedulable(n)) r.flags |= gpu::kNodeSchedulable;
  if (live) {
    for (const Taint& t : table_.taints_of_set(table_.taint_set(n))) {
      if (t.effect == TaintEffect::kNoSchedule || t.effect == TaintEffect::kNoExecute)
        r.tags |= kTagNoScheduleTaint;
    }
    const Cluster& c = table_.cluster();
    for (PodId id : c.node(n).pods) {
      const GpuRequest& g = c.pod(id).resources().gpu;
      r.classes |= gpu::affinity_class(g.count, g.count > 0 ? g.milli_per_gpu : 0);
    }
  }
  records_[n] = r;
  seen_[n] = table_.version(n);
}

namespace {

// Fields that enter the max spec (ScoreParams normalisation) or the set of GPU models.
bool spec_differs(const gpu::NodeRec& a, const gpu::NodeRec& b) {
  return (a.flags & gpu::kNodeLive) != (b.flags & gpu::kNodeLive) ||
         a.cpu_alloc_milli != b.cpu_alloc_milli || a.gpu_count != b.gpu_count || a.model != b.model;
}

}  // namespace

GpuNodeView::SyncResult GpuNodeView::sync(std::vector<std::int32_t>* changed) {
  SyncResult result;
  const bool ext = ext_changed_;
  ext_changed_ = false;
  if (table_.generation() == generation_ && records_.size() == table_.size() && !ext) return result;
  generation_ = table_.generation();
  const std::size_t size = table_.size();
  const std::uint64_t seq = table_.change_seq();
  if (records_.size() == size && !ext && log_seq_ >= table_.log_base()) {
    // Only the nodes in the table's change log since the last sync can differ: O(changes), not
    // O(nodes), per sync (a packing replay syncs twice per pod). The max spec is recomputed only
    // when a changed node's spec fields moved.
    const std::vector<NodeIndex>& log = table_.change_log();
    bool specs = false;
    touched_.clear();
    for (std::size_t i = static_cast<std::size_t>(log_seq_ - table_.log_base()); i < log.size();
         ++i) {
      const NodeIndex n = log[i];
      if (seen_[n] == table_.version(n)) continue;
      const gpu::NodeRec before = records_[n];
      rebuild(n);
      specs = specs || spec_differs(before, records_[n]);
      touched_.push_back(static_cast<std::int32_t>(n));
    }
    log_seq_ = seq;
    // Ascending, as the full pass reports them.
    std::sort(touched_.begin(), touched_.end());
    if (changed) changed->insert(changed->end(), touched_.begin(), touched_.end());
    if (!specs) return result;
  } else {
    log_seq_ = seq;
    if (records_.size() != size) {
      result.resized = true;
      records_.resize(size);
      seen_.resize(size, ~std::uint64_t{0});
    }
    for (NodeIndex n = 0; n < size; ++n) {
      if (ext || seen_[n] != table_.version(n)) {
        rebuild(n);
        if (changed) changed->push_back(static_cast<std::int32_t>(n));
      }
    }
  }
  std::int64_t max_cpu = 1;
  std::int64_t max_gpu = 1;
  std::uint32_t max_model = 0;
  for (NodeIndex n = 0; n < size; ++n) {
    if (!table_.live(n)) continue;
    max_cpu = std::max(max_cpu, records_[n].cpu_alloc_milli);
    max_gpu =
        std::max<std::int64_t>(max_gpu, std::int64_t{records_[n].gpu_count} * gpu::kMilliPerGpu);
    max_model = std::max(max_model, records_[n].model);
  }
  if (max_cpu != max_cpu_ || max_gpu != max_gpu_ || max_model != max_model_) {
    result.specs_changed = true;
    max_cpu_ = max_cpu;
    max_gpu_ = max_gpu;
    max_model_ = max_model;
  }
  return result;
}

}  // namespace gpusim::sched
