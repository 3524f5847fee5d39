#include "scheduler/plugins/gpu_batch_placer.hpp"

#include <stdexcept>

namespace gpusim::sched {

GpuBatchPlacer::GpuBatchPlacer(const NodeTable& table, gpu::Policy policy, std::uint64_t seed,
                               gpu::Backend backend, std::vector<TypicalPod> typical)
    : scoring_(table, policy, seed, backend) {
  scoring_.set_typical(std::move(typical));
}

void GpuBatchPlacer::check_supported(const Pod& pod) {
  const PodSpec& s = pod.spec();
  if (!s.tolerations.empty() || !s.node_selector.empty() || s.affinity.node_affinity ||
      s.affinity.pod_affinity || s.affinity.pod_anti_affinity ||
      !s.topology_spread_constraints.empty() || !s.node_name.empty()) {
    throw std::invalid_argument(
        "pod " + pod.key() +
        ": batch GPU placement handles only resource requests (no tolerations, node "
        "selectors, affinity, spread constraints or nodeName)");
  }
  for (const auto& c : s.containers) {
    if (!c.host_ports.empty()) {
      throw std::invalid_argument("pod " + pod.key() +
                                  ": batch GPU placement does not handle host ports");
    }
  }
}

void GpuBatchPlacer::prime(std::span<const Pod* const> queue) {
  scoring_.sync();
  std::vector<std::int32_t> shapes;
  shapes.reserve(queue.size());
  for (const Pod* p : queue)
    shapes.push_back(scoring_.shape(scoring_.request(p->resources(), true)));
  scoring_.scorer().prime(shapes);
}

GpuBatchPlacer::Choice GpuBatchPlacer::choose(const Pod& pod, std::uint64_t salt) {
  scoring_.sync();
  const gpu::PodReq req = scoring_.request(pod.resources(), true);
  const gpu::Placement p = scoring_.scorer().place(scoring_.shape(req), salt);
  Choice c;
  if (p.node < 0) return c;
  c.node = static_cast<NodeIndex>(p.node);
  c.score = p.score;
  std::int32_t buf[gpu::kMaxGpusPerNode];
  const std::int32_t got = scoring_.select_devices(req, c.node, salt, buf);
  if (got != req.gpu_count && req.gpu_count > 0) return c;
  c.devices.assign(buf, buf + got);
  c.ok = true;
  return c;
}

std::unique_ptr<GpuBatchPlacer> make_gpu_batch_placer(const NodeTable& table,
                                                      const std::string& policy, std::uint64_t seed,
                                                      const std::string& backend,
                                                      std::vector<TypicalPod> typical) {
  gpu::Policy p{};
  if (!parse_policy(policy, p)) {
    throw std::invalid_argument(
        "unknown GPU policy \"" + policy +
        "\" (known: Random, DotProduct, GpuClustering, GpuPacking, BestFit, FGD)");
  }
  const auto b = gpu::parse_backend(backend);
  if (!b)
    throw std::invalid_argument("--scorer: must be auto, cpu or cuda, not \"" + backend + "\"");
  return std::make_unique<GpuBatchPlacer>(table, p, seed, *b, std::move(typical));
}

}  // namespace gpusim::sched
