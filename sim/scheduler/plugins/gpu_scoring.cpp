#include "scheduler/plugins/gpu_scoring.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <mutex>

#include "gpusim/gpu/policies.hpp"

namespace gpusim::sched {
namespace {

constexpr const char* kPolicyNames[gpu::kPolicyCount] = {
    "Random", "DotProduct", "GpuClustering", "GpuPacking", "BestFit", "FGD"};

void warn_once(const std::string& note) {
  static std::once_flag once;
  std::call_once(once, [&] { std::cerr << "gpusim: " << note << "\n"; });
}

}  // namespace

const char* policy_name(gpu::Policy p) {
  return kPolicyNames[static_cast<int>(p)];
}

bool parse_policy(std::string_view name, gpu::Policy& out) {
  for (int i = 0; i < gpu::kPolicyCount; ++i) {
    const std::string_view n = kPolicyNames[i];
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      out = static_cast<gpu::Policy>(i);
      return true;
    }
  }
  return false;
}

std::string canonical_policy(std::string_view name) {
  gpu::Policy p{};
  return parse_policy(name, p) ? policy_name(p) : std::string();
}

GpuScoring::GpuScoring(const NodeTable& table, gpu::Policy policy, std::uint64_t seed,
                       gpu::Backend backend)
    : policy_(policy), seed_(seed), view_(table) {
  std::string note;
  scorer_ = gpu::make_scorer(backend, &note);
  if (!note.empty()) warn_once(note);
}

void GpuScoring::set_typical(std::vector<TypicalPod> typical) {
  typical_ = std::move(typical);
  typical_set_ = true;
  params_stale_ = true;
}

void GpuScoring::reset_params() {
  shapes_ = typical_shapes(typical_, view_);
  gpu::ScoreParams p;
  p.policy = policy_;
  p.seed = seed_;
  p.max_cpu_milli = view_.max_cpu_milli();
  p.max_gpu_milli = view_.max_gpu_milli();
  scorer_->set_params(p, shapes_);
  fgd_ = gpu::FgdTables(shapes_);
  host_params_ = p;
  host_params_.fgd = fgd_.view();
  params_stale_ = false;
}

void GpuScoring::sync() {
  changed_.clear();
  const GpuNodeView::SyncResult r = view_.sync(&changed_);
  if (r.resized) {
    scorer_->set_nodes(view_.records());
  } else {
    for (auto n : changed_)
      scorer_->update_node(n, view_.record(static_cast<NodeIndex>(n)));
  }
  if (r.specs_changed || params_stale_) reset_params();
}

std::int32_t GpuScoring::select_devices(const gpu::PodReq& req, NodeIndex n, std::uint64_t salt,
                                        std::int32_t* out) const {
  return gpu::select_devices(view_.record(n), static_cast<std::int32_t>(n), req, salt, host_params_,
                             out);
}

}  // namespace gpusim::sched
