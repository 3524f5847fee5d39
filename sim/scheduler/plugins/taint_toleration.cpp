#include "scheduler/plugins/taint_toleration.hpp"

#include <charconv>

#include "scheduler/fused_filter.hpp"
#include "scheduler/plugins/filter_helpers.hpp"
#include "scheduler/plugins/score_helpers.hpp"

namespace gpusim::sched {
namespace {

struct TaintTolerationState : PluginState {
  // Per taint-set id: -1 not computed yet; filter: 0 tolerated, 1 rejected; score: the count.
  std::vector<std::int32_t> blocked;
  std::vector<ReasonId> verdicts;  // per taint-set id, for column_checks
  std::vector<std::int32_t> prefer_count;
  std::vector<const Toleration*> prefer_tolerations;  // effect PreferNoSchedule or empty
};

// Canonical int64 text only: no '+', no leading zeros, no spaces, in range.
bool parse_canonical_int64(const std::string& s, std::int64_t& out) {
  if (s.empty()) return false;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(first, last, out);
  if (ec != std::errc() || ptr != last) return false;
  return std::to_string(out) == s;
}

std::int32_t& grow_to(std::vector<std::int32_t>& v, std::uint32_t id) {
  if (v.size() <= id) v.resize(id + 1, -1);
  return v[id];
}

}  // namespace

bool TaintTolerationPlugin::tolerates(const Toleration& t, const Taint& taint,
                                      bool comparison_operators) {
  if (t.op != TolerationOperator::kGt && t.op != TolerationOperator::kLt) return t.tolerates(taint);
  if (!comparison_operators) return false;
  if (t.effect != TaintEffect::kNone && t.effect != taint.effect) return false;
  if (!t.key.empty() && t.key != taint.key) return false;
  std::int64_t want = 0;
  std::int64_t have = 0;
  if (!parse_canonical_int64(t.value, want) || !parse_canonical_int64(taint.value, have)) {
    return false;
  }
  return t.op == TolerationOperator::kGt ? have > want : have < want;
}

TaintTolerationPlugin::TaintTolerationPlugin(FrameworkHandle& handle, Options options)
    : handle_(handle),
      options_(options),
      reason_(handle.reasons().intern("node(s) had untolerated taint(s)", /*unresolvable=*/true)) {}

const Taint* TaintTolerationPlugin::first_untolerated(const std::vector<Toleration>& tolerations,
                                                      const std::vector<Taint>& taints) const {
  for (const Taint& taint : taints) {
    if (taint.effect != TaintEffect::kNoSchedule && taint.effect != TaintEffect::kNoExecute) {
      continue;
    }
    bool ok = false;
    for (const Toleration& t : tolerations) {
      if (tolerates(t, taint, options_.comparison_operators)) {
        ok = true;
        break;
      }
    }
    if (!ok) return &taint;
  }
  return nullptr;
}

std::string TaintTolerationPlugin::explain_rejection(const PodInfo& pod, NodeIndex node) const {
  const NodeTable& t = handle_.nodes();
  const Taint* taint =
      first_untolerated(pod.pod->spec().tolerations, t.taints_of_set(t.taint_set(node)));
  if (taint == nullptr) return {};
  return "{" + taint->key + (taint->value.empty() ? "" : "=" + taint->value) + ":" +
         to_string(taint->effect) + "}";
}

Status TaintTolerationPlugin::pre_filter(CycleState& state, const PodInfo&) {
  TaintTolerationState& s = cycle_slot<TaintTolerationState>(state, *this);
  s.blocked.assign(handle_.nodes().taint_set_count(), -1);
  return Status::ok();
}

void TaintTolerationPlugin::filter(CycleState& state, const PodInfo& pod,
                                   std::vector<NodeIndex>& nodes, Rejections& out) {
  TaintTolerationState& s = cycle_slot<TaintTolerationState>(state, *this);
  const NodeTable& t = handle_.nodes();
  const auto& tolerations = pod.pod->spec().tolerations;
  filter_nodes(nodes, out, [&](NodeIndex n) {
    const std::uint32_t set = t.taint_set(n);
    std::int32_t& v = grow_to(s.blocked, set);
    if (v < 0) v = untolerated_blocking(tolerations, t.taints_of_set(set)) ? 1 : 0;
    return v != 0 ? reason_ : kFits;
  });
}

bool TaintTolerationPlugin::column_checks(CycleState& state, const PodInfo& pod, FusedFilter& out) {
  // Beyond this many sets, computing every verdict may cost more than the nodes examined.
  constexpr std::size_t kMaxSets = 64;
  const NodeTable& t = handle_.nodes();
  if (t.taint_set_count() > kMaxSets) return false;
  TaintTolerationState& s = cycle_slot<TaintTolerationState>(state, *this);
  const auto& tolerations = pod.pod->spec().tolerations;
  s.verdicts.resize(t.taint_set_count());
  bool any = false;
  for (std::uint32_t set = 0; set < t.taint_set_count(); ++set) {
    const bool blocked = untolerated_blocking(tolerations, t.taints_of_set(set));
    s.verdicts[set] = blocked ? reason_ : kFits;
    any = any || blocked;
  }
  if (any) out.reject_by_key(t.taint_set_column(), s.verdicts.data(), s.verdicts.size());
  return true;
}

Status TaintTolerationPlugin::pre_score(CycleState& state, const PodInfo& pod,
                                        std::span<const NodeIndex>) {
  TaintTolerationState& s = cycle_slot<TaintTolerationState>(state, *this);
  s.prefer_tolerations.clear();
  for (const Toleration& t : pod.pod->spec().tolerations) {
    if (t.effect == TaintEffect::kNone || t.effect == TaintEffect::kPreferNoSchedule) {
      s.prefer_tolerations.push_back(&t);
    }
  }
  s.prefer_count.assign(handle_.nodes().taint_set_count(), -1);
  return Status::ok();
}

void TaintTolerationPlugin::score(CycleState& state, const PodInfo&,
                                  std::span<const NodeIndex> nodes, std::span<std::int64_t> out) {
  TaintTolerationState& s = cycle_slot<TaintTolerationState>(state, *this);
  const NodeTable& t = handle_.nodes();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::uint32_t set = t.taint_set(nodes[i]);
    std::int32_t& count = grow_to(s.prefer_count, set);
    if (count < 0) {
      count = 0;
      for (const Taint& taint : t.taints_of_set(set)) {
        if (taint.effect != TaintEffect::kPreferNoSchedule) continue;
        bool ok = false;
        for (const Toleration* tol : s.prefer_tolerations) {
          if (tolerates(*tol, taint, options_.comparison_operators)) {
            ok = true;
            break;
          }
        }
        if (!ok) ++count;
      }
    }
    out[i] = count;
  }
}

bool TaintTolerationPlugin::uniform(const CycleState&, const PodInfo&, std::span<const NodeIndex>) {
  const NodeTable& t = handle_.nodes();
  for (; prefer_sets_seen_ < t.taint_set_count(); ++prefer_sets_seen_) {
    for (const Taint& taint : t.taints_of_set(static_cast<std::uint32_t>(prefer_sets_seen_))) {
      if (taint.effect == TaintEffect::kPreferNoSchedule) any_prefer_ = true;
    }
  }
  return !any_prefer_;
}

void TaintTolerationPlugin::normalize(CycleState&, const PodInfo&, std::span<std::int64_t> scores) {
  default_normalize_score(scores, /*reverse=*/true);
}

}  // namespace gpusim::sched
