#include "scheduler/plugins/node_resources_fit.hpp"

#include <algorithm>
#include <cmath>

#include "model/resources.hpp"
#include "scheduler/fused_filter.hpp"
#include "scheduler/plugins/filter_helpers.hpp"

namespace gpusim::sched {
namespace {

struct Request {
  int dim = 0;  // -1: a resource no node has
  std::int64_t units = 0;
  std::array<ReasonId, 2> reasons{};  // "Insufficient <name>": {resolvable, unresolvable}
  const std::int64_t* alloc = nullptr;
  const std::int64_t* used = nullptr;
};

// A request's allocatable and requested columns; `zeros` for a resource no node has.
void columns(const NodeTable& t, const std::vector<std::int64_t>& zeros, const Request& r,
             const std::int64_t*& alloc, const std::int64_t*& used) {
  alloc = r.dim < 0 ? zeros.data() : t.alloc(r.dim);
  used = r.dim < 0 ? zeros.data() : t.requested(r.dim);
}

struct ScoredResource {
  std::int64_t weight = 1;
  std::int64_t pod = 0;  // the pod's request
  const std::int64_t* alloc = nullptr;
  const std::int64_t* used = nullptr;  // non-zero totals for cpu/memory, real ones otherwise
};

struct NodeResourcesFitState : PluginState {
  std::vector<Request> requests;
  std::vector<ScoredResource> scored;
  std::vector<std::int64_t> score_key;  // what a node's score depends on besides its row
};

}  // namespace

NodeResourcesFitPlugin::NodeResourcesFitPlugin(const nlohmann::json& args, FrameworkHandle& handle)
    : handle_(handle),
      too_many_pods_(handle.reasons().intern("Too many pods", /*unresolvable=*/false)) {
  ArgsReader a(kName, args);
  a.only({"scoringStrategy", "ignoredResources", "ignoredResourceGroups"});
  ignored_resources_ = a.strings("ignoredResources");
  ignored_groups_ = a.strings("ignoredResourceGroups");
  resources_ = default_resource_specs();
  if (auto s = a.object("scoringStrategy")) {
    s->only({"type", "resources", "requestedToCapacityRatio"});
    const std::string type = s->string("type", "LeastAllocated");
    if (type == "LeastAllocated") {
      strategy_ = Strategy::kLeastAllocated;
    } else if (type == "MostAllocated") {
      strategy_ = Strategy::kMostAllocated;
    } else if (type == "RequestedToCapacityRatio") {
      strategy_ = Strategy::kRequestedToCapacityRatio;
    } else {
      s->fail("type", "must be LeastAllocated, MostAllocated or RequestedToCapacityRatio (got \"" +
                          type + "\")");
    }
    resources_ = read_resource_specs(*s, "resources");
    auto rtcr = s->object("requestedToCapacityRatio");
    if (strategy_ == Strategy::kRequestedToCapacityRatio) {
      if (!rtcr) s->fail("requestedToCapacityRatio", "required for type RequestedToCapacityRatio");
      rtcr->only({"shape"});
      for (const ArgsReader& p : rtcr->objects("shape")) {
        p.only({"utilization", "score"});
        if (!p.has("utilization")) p.fail("utilization", "required (0..100)");
        if (!p.has("score")) p.fail("score", "required (0..10)");
        ShapePoint point;
        point.utilization = p.integer("utilization", 0, 0, 100);
        // Shape scores are 0..10 (MaxCustomPriorityScore); node scores are 0..100.
        point.score = p.integer("score", 0, 0, 10) * (kMaxNodeScore / 10);
        if (!shape_.empty() && point.utilization <= shape_.back().utilization) {
          p.fail("utilization", "shape points must have strictly increasing utilization");
        }
        shape_.push_back(point);
      }
      if (shape_.empty()) rtcr->fail("shape", "must have at least one point");
    }
  }
  intern_reasons();
}

void NodeResourcesFitPlugin::intern_reasons() {
  const NodeTable& t = handle_.nodes();
  for (int d = static_cast<int>(insufficient_.size()); d < t.dims(); ++d) {
    const std::string text = "Insufficient " + t.dim_name(d);
    insufficient_.push_back(
        {handle_.reasons().intern(text, false), handle_.reasons().intern(text, true)});
    ignored_dim_.push_back(ignored_name(t.dim_name(d)) ? 1 : 0);
  }
}

bool NodeResourcesFitPlugin::ignored_name(const std::string& name) const {
  // Upstream's fitsRequest skips only extended resources named in the args.
  if (!is_extended_resource(name)) return false;
  const std::string group = name.substr(0, name.find('/'));
  return std::find(ignored_resources_.begin(), ignored_resources_.end(), name) !=
             ignored_resources_.end() ||
         std::find(ignored_groups_.begin(), ignored_groups_.end(), group) != ignored_groups_.end();
}

bool NodeResourcesFitPlugin::ignored(int dim) const {
  return ignored_dim_[static_cast<std::size_t>(dim)] != 0;
}

Status NodeResourcesFitPlugin::pre_filter(CycleState& state, const PodInfo& pod) {
  intern_reasons();
  NodeResourcesFitState& s = cycle_slot<NodeResourcesFitState>(state, *this);
  s.requests.clear();
  for (const auto& [dim, units] : pod.requests) {
    // The pod count is checked on its own; ignored extended resources are not checked.
    if (dim == NodeTable::kPods || units <= 0 || ignored(dim)) continue;
    s.requests.push_back(Request{dim, units, insufficient_[static_cast<std::size_t>(dim)]});
  }
  if (pod.unknown_resource) {
    // A resource no node has is allocatable 0 everywhere: every node is short of it, beyond what
    // preemption could free, unless the args ignore it (then the pod may schedule, as upstream).
    const NodeTable& t = handle_.nodes();
    if (zeros_.size() < t.size()) zeros_.assign(t.size(), 0);
    for (const auto& [name, units] : pod.res->requests.entries()) {
      if (units <= 0 || t.dim(name) >= 0 || ignored_name(name)) continue;
      auto it = unknown_reasons_.find(name);
      if (it == unknown_reasons_.end()) {
        const std::string text = "Insufficient " + name;
        it = unknown_reasons_
                 .emplace(name, std::array<ReasonId, 2>{handle_.reasons().intern(text, false),
                                                        handle_.reasons().intern(text, true)})
                 .first;
      }
      s.requests.push_back(Request{-1, units, it->second});
    }
  }
  return Status::ok();
}

void NodeResourcesFitPlugin::filter(CycleState& state, const PodInfo& pod,
                                    std::vector<NodeIndex>& nodes, Rejections& out) {
  NodeResourcesFitState& s = cycle_slot<NodeResourcesFitState>(state, *this);
  const NodeTable& t = handle_.nodes();
  for (auto& r : s.requests)
    columns(t, zeros_, r, r.alloc, r.used);
  const std::int64_t* pods_alloc = t.alloc(NodeTable::kPods);
  const std::int64_t* pods_used = t.requested(NodeTable::kPods);
  std::size_t kept = 0;
  for (const NodeIndex n : nodes) {
    bool fits = true;
    if (pods_used[n] + 1 > pods_alloc[n]) {
      out.add(n, too_many_pods_);
      fits = false;
    }
    for (const Request& r : s.requests) {
      if (r.units > r.alloc[n] - r.used[n]) {
        out.add(n, r.reasons[r.units > r.alloc[n] ? 1 : 0]);
        fits = false;
      }
    }
    if (fits) nodes[kept++] = n;
  }
  nodes.resize(kept);
}

bool NodeResourcesFitPlugin::column_checks(CycleState& state, const PodInfo&, FusedFilter& out) {
  const NodeResourcesFitState& s = cycle_slot<NodeResourcesFitState>(state, *this);
  const NodeTable& t = handle_.nodes();
  // used + 1 > alloc is 1 > alloc - used; a full node is never unresolvable for the pod count.
  out.require_fit(t.alloc(NodeTable::kPods), t.requested(NodeTable::kPods), 1, too_many_pods_,
                  too_many_pods_);
  for (const Request& r : s.requests) {
    const std::int64_t* alloc = nullptr;
    const std::int64_t* used = nullptr;
    columns(t, zeros_, r, alloc, used);
    out.require_fit(alloc, used, r.units, r.reasons[0], r.reasons[1]);
  }
  return true;
}

Status NodeResourcesFitPlugin::pre_score(CycleState& state, const PodInfo& pod,
                                         std::span<const NodeIndex>) {
  NodeResourcesFitState& s = cycle_slot<NodeResourcesFitState>(state, *this);
  const NodeTable& t = handle_.nodes();
  s.scored.clear();
  s.score_key.clear();
  for (const ResourceSpec& spec : resources_) {
    ScoredResource r;
    r.weight = spec.weight;
    const int d = t.dim(spec.name);
    if (spec.name == kCpu) {
      r.pod = pod.res->nonzero_cpu_milli;
      r.used = t.nonzero_cpu();
    } else if (spec.name == kMemory) {
      r.pod = pod.res->nonzero_memory_bytes;
      r.used = t.nonzero_mem();
    } else {
      r.pod = pod.res->requests.get(spec.name);
      // A scalar the pod does not request is not scored; "pods" is never a scored resource.
      if ((is_scalar_resource(spec.name) && r.pod == 0) || spec.name == kResourcePods) continue;
      if (d < 0) continue;
      r.used = t.requested(d);
    }
    if (d < 0) continue;  // no node has it: allocatable 0 everywhere
    r.alloc = t.alloc(d);
    s.scored.push_back(r);
    s.score_key.insert(s.score_key.end(), {d, r.weight, r.pod, r.used == t.requested(d) ? 0 : 1});
  }
  return Status::ok();
}

namespace {

std::int64_t node_score(NodeResourcesFitPlugin::Strategy strategy,
                        const std::vector<ShapePoint>& shape,
                        const std::vector<ScoredResource>& scored, NodeIndex n) {
  using Strategy = NodeResourcesFitPlugin::Strategy;
  std::int64_t sum = 0;
  std::int64_t weights = 0;
  for (const ScoredResource& r : scored) {
    const std::int64_t alloc = r.alloc[n];
    if (alloc == 0) continue;
    const std::int64_t req = r.used[n] + r.pod;
    std::int64_t v = 0;
    switch (strategy) {
      case Strategy::kLeastAllocated:
        v = least_requested_score(req, alloc);
        break;
      case Strategy::kMostAllocated:
        v = most_requested_score(req, alloc);
        break;
      case Strategy::kRequestedToCapacityRatio:
        v = broken_linear(shape, req > alloc ? kMaxNodeScore : req * kMaxNodeScore / alloc);
        // Only resources that score above zero enter the mean.
        if (v <= 0) continue;
        break;
    }
    sum += v * r.weight;
    weights += r.weight;
  }
  if (weights == 0) return 0;
  if (strategy == Strategy::kRequestedToCapacityRatio) {
    return static_cast<std::int64_t>(
        std::round(static_cast<double>(sum) / static_cast<double>(weights)));
  }
  return sum / weights;
}

}  // namespace

void NodeResourcesFitPlugin::score(CycleState& state, const PodInfo&,
                                   std::span<const NodeIndex> nodes, std::span<std::int64_t> out) {
  const NodeResourcesFitState& s = cycle_slot<NodeResourcesFitState>(state, *this);
  const NodeTable& t = handle_.nodes();
  cache_.begin(s.score_key, t.size());
  cache_.score(nodes, t.version_column(), out,
               [&](NodeIndex n) { return node_score(strategy_, shape_, s.scored, n); });
}

}  // namespace gpusim::sched
