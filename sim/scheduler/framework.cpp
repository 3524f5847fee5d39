#include "scheduler/framework.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace gpusim::sched {
namespace {

// Upstream plugins that act on things gpusim does not model (volumes, DRA) or that are not
// Filter/Score plugins here (queue sort and binding are the scheduler's own). Profiles may name
// them; they are accepted and have no effect.
const std::set<std::string>& unmodeled_plugins() {
  static const std::set<std::string> names{
      "PrioritySort",     "DefaultBinder",   "SchedulingGates", "VolumeRestrictions",
      "NodeVolumeLimits", "VolumeBinding",   "VolumeZone",      "EBSLimits",
      "GCEPDLimits",      "AzureDiskLimits", "CinderLimits",    "DynamicResources"};
  return names;
}

// The index of the highest total. Ties go to the first, or with `random` are broken as upstream's
// selectHost does: reservoir sampling, one draw per tied node after the first (the draws must
// all happen for the stream to stay the same). A local copy of the stream keeps its state in
// registers across the draws, one per node while most nodes tie, as in an empty cluster.
std::size_t select_best(const std::int64_t* totals, std::size_t k, bool random, Rng& stream) {
  std::size_t best = 0;
  std::int64_t best_total = totals[0];
  if (!random) {
    for (std::size_t i = 1; i < k; ++i) {
      if (totals[i] > best_total) {
        best = i;
        best_total = totals[i];
      }
    }
    return best;
  }
  Rng rng = stream;
  std::uint64_t ties = 1;
  for (std::size_t i = 1; i < k; ++i) {
    const std::int64_t total = totals[i];
    if (total > best_total) {
      best = i;
      best_total = total;
      ties = 1;
    } else if (total == best_total) {
      ++ties;
      if (rng.uniform(ties) == 0) best = i;
    }
  }
  stream = rng;
  return best;
}

bool listed(const std::vector<std::string>& v, const std::string& name) {
  return std::find(v.begin(), v.end(), name) != v.end() ||
         std::find(v.begin(), v.end(), "*") != v.end();
}

}  // namespace

// A dry run on one node of the cluster this profile schedules on: the node table's what-if for
// the node, the PreFilter extensions for the cycle state, this profile's Filter plugins.
class Framework::NodeDryRun final : public DryRun {
 public:
  explicit NodeDryRun(Framework& fw) : fw_(fw) {}

  void begin(CycleState& state, const PodInfo& pod, NodeIndex node) override {
    state_ = &state;
    pod_ = &pod;
    node_ = node;
    removed_.clear();
    fw_.handle_.what_if_nodes().what_if_begin(node);
  }

  void remove_pod(PodId pod) override {
    fw_.handle_.what_if_nodes().what_if_remove(pod);
    removed_.push_back(pod);
    for (PreFilterExtensions* e : fw_.extensions_) {
      if (!fw_.prefilter_skip_[e->slot()]) e->remove_pod(*state_, *pod_, pod, node_);
    }
  }

  void add_pod(PodId pod) override {
    fw_.handle_.what_if_nodes().what_if_add(pod);
    removed_.erase(std::find(removed_.begin(), removed_.end(), pod));
    for (PreFilterExtensions* e : fw_.extensions_) {
      if (!fw_.prefilter_skip_[e->slot()]) e->add_pod(*state_, *pod_, pod, node_);
    }
  }

  bool fits(std::vector<ReasonId>* reasons) override {
    nodes_.assign(1, node_);
    rejections_.clear();
    fw_.run_filters(*state_, *pod_, nodes_, rejections_);
    if (!nodes_.empty()) return true;
    if (reasons) {
      for (const Rejection& r : rejections_.items())
        reasons->push_back(r.reason);
    }
    return false;
  }

  void end() override {
    // The cycle state goes back by the extensions' own inverse; the table restores its copy.
    while (!removed_.empty())
      add_pod(removed_.back());
    fw_.handle_.what_if_nodes().what_if_end();
  }

 private:
  Framework& fw_;
  CycleState* state_ = nullptr;
  const PodInfo* pod_ = nullptr;
  NodeIndex node_ = 0;
  std::vector<PodId> removed_;
  std::vector<NodeIndex> nodes_;
  Rejections rejections_;
};

std::vector<PluginEntry> default_multipoint_plugins() {
  // kube-scheduler v1 defaults (pkg/scheduler/apis/config/v1/default_plugins.go), plus
  // GpuDeviceFit: the device plugin's admission check, which a real kubelet enforces and which
  // fractional GPU sharing needs at scheduling time, and Coscheduling (below).
  return {{"SchedulingGates", std::nullopt},
          {"PrioritySort", std::nullopt},
          {"NodeUnschedulable", std::nullopt},
          {"NodeName", std::nullopt},
          {"TaintToleration", 3},
          {"NodeAffinity", 2},
          {"NodePorts", std::nullopt},
          {"NodeResourcesFit", 1},
          {"GpuDeviceFit", std::nullopt},
          {"VolumeRestrictions", std::nullopt},
          {"NodeVolumeLimits", std::nullopt},
          {"VolumeBinding", std::nullopt},
          {"VolumeZone", std::nullopt},
          {"PodTopologySpread", 2},
          {"InterPodAffinity", 2},
          // Not upstream's default: gang scheduling for pods in a PodGroup (it skips every
          // other pod); before DefaultPreemption so a failed gang first releases what it holds.
          {"Coscheduling", std::nullopt},
          {"DefaultPreemption", std::nullopt},
          {"NodeResourcesBalancedAllocation", 1},
          {"ImageLocality", 1},
          {"DefaultBinder", std::nullopt}};
}

SchedulerConfig with_policy(const SchedulerConfig& base, const std::string& policy) {
  const PluginRegistry& registry = PluginRegistry::builtin();
  const std::string name = registry.canonical(policy);
  if (name.empty()) {
    std::string known;
    for (const auto& n : registry.names())
      known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown policy \"" + policy + "\" (known: " + known + ")");
  }
  SchedulerConfig out = base;
  for (auto& profile : out.profiles) {
    PluginSetSpec& score = profile.plugins["score"];
    score.disabled = {"*"};
    score.enabled = {PluginEntry{name, 1000}};
    profile.percentage_of_nodes_to_score = 100;
  }
  return out;
}

Framework::Framework(const ProfileSpec& spec, const SchedulerConfig& config,
                     FrameworkHandle& handle, const PluginRegistry& registry)
    : name_(spec.scheduler_name), handle_(handle), random_tie_break_(config.tie_break == "random") {
  percentage_ = spec.percentage_of_nodes_to_score.value_or(config.percentage_of_nodes_to_score);
  auto point = [&](const char* p) -> const PluginSetSpec* {
    auto it = spec.plugins.find(p);
    return it == spec.plugins.end() ? nullptr : &it->second;
  };
  static const PluginSetSpec kEmpty;
  const PluginSetSpec& multi = point("multiPoint") ? *point("multiPoint") : kEmpty;

  // 1. The multiPoint list: defaults minus disabled, then the user's multiPoint plugins. As
  //    upstream's mergePluginSet, a user entry naming a default plugin replaces the default one in
  //    place, weight included: re-listed without a weight, the plugin scores at 1, not at its
  //    default weight.
  std::vector<PluginEntry> multi_list;
  for (const auto& e : default_multipoint_plugins()) {
    if (!listed(multi.disabled, e.name)) multi_list.push_back(e);
  }
  for (const auto& e : multi.enabled) {
    auto it = std::find_if(multi_list.begin(), multi_list.end(),
                           [&](const PluginEntry& x) { return x.name == e.name; });
    if (it != multi_list.end()) {
      *it = e;
    } else {
      multi_list.push_back(e);
    }
  }

  // 2. Instantiate each plugin once.
  std::map<std::string, Plugin*> by_name;
  auto instance = [&](const std::string& name) -> Plugin* {
    if (auto it = by_name.find(name); it != by_name.end()) return it->second;
    if (!registry.has(name)) {
      if (unmodeled_plugins().count(name)) return nullptr;
      throw std::invalid_argument("profile \"" + name_ + "\": unknown plugin \"" + name + "\"");
    }
    auto cfg = spec.plugin_config.find(name);
    auto p = registry.create(
        name, cfg == spec.plugin_config.end() ? nlohmann::json::object() : cfg->second, handle_);
    p->set_slot(owned_.size());
    Plugin* raw = p.get();
    owned_.push_back(std::move(p));
    by_name[name] = raw;
    return raw;
  };

  // 3. Place plugins at each point: multiPoint entries where they implement the point unless
  //    disabled there, then the point's own enabled entries (whose weights win, see score).
  auto place = [&](const char* point_name, auto add) {
    const PluginSetSpec* ps = point(point_name);
    std::vector<std::string> seen;
    for (const auto& e : multi_list) {
      if (ps && listed(ps->disabled, e.name)) continue;
      if (Plugin* p = instance(e.name)) {
        if (add(p, e, /*explicit_point=*/false)) seen.push_back(e.name);
      }
    }
    if (!ps) return;
    for (const auto& e : ps->enabled) {
      Plugin* p = instance(e.name);
      if (!p) continue;
      if (std::find(seen.begin(), seen.end(), e.name) != seen.end()) {
        add(p, e, /*explicit_point=*/true);  // weight override of a multiPoint entry
        continue;
      }
      if (!add(p, e, true)) {
        throw std::invalid_argument("profile \"" + name_ + "\": plugin \"" + e.name +
                                    "\" does not implement the " + point_name + " extension point");
      }
    }
  };
  place("preFilter", [&](Plugin* p, const PluginEntry&, bool) {
    auto* x = dynamic_cast<PreFilterPlugin*>(p);
    if (x && std::find(pre_filter_.begin(), pre_filter_.end(), x) == pre_filter_.end())
      pre_filter_.push_back(x);
    return x != nullptr;
  });
  place("filter", [&](Plugin* p, const PluginEntry&, bool) {
    auto* x = dynamic_cast<FilterPlugin*>(p);
    if (x && std::find(filter_.begin(), filter_.end(), x) == filter_.end()) filter_.push_back(x);
    return x != nullptr;
  });
  place("postFilter", [&](Plugin* p, const PluginEntry&, bool) {
    auto* x = dynamic_cast<PostFilterPlugin*>(p);
    if (x && std::find(post_filter_.begin(), post_filter_.end(), x) == post_filter_.end())
      post_filter_.push_back(x);
    return x != nullptr;
  });
  place("permit", [&](Plugin* p, const PluginEntry&, bool) {
    auto* x = dynamic_cast<PermitPlugin*>(p);
    if (x && std::find(permit_.begin(), permit_.end(), x) == permit_.end()) permit_.push_back(x);
    return x != nullptr;
  });
  place("score", [&](Plugin* p, const PluginEntry& e, bool explicit_point) {
    auto* x = dynamic_cast<ScorePlugin*>(p);
    if (!x) return false;
    // Upstream's getScoreWeights: an unset weight, or 0, is 1.
    const std::int32_t w = e.weight.value_or(0) == 0 ? 1 : *e.weight;
    if (w < 0) {
      throw std::invalid_argument("profile \"" + name_ + "\": score plugin \"" + e.name +
                                  "\" needs a positive weight");
    }
    auto it = std::find_if(score_.begin(), score_.end(),
                           [&](const ScoreEntry& s) { return s.plugin == x; });
    if (it == score_.end()) {
      score_.push_back({x, w});
    } else if (explicit_point) {
      // getScoreWeights reads score.enabled before multiPoint: the score point's entry sets the
      // weight even when it gives none (1), whatever the multiPoint entry said.
      it->weight = w;
    }
    return true;
  });
  // The GPU device choice belongs to the highest-weighted GPU policy among the score plugins.
  std::int32_t best_w = 0;
  for (const auto& s : score_) {
    if (auto* g = dynamic_cast<GpuSelectPlugin*>(s.plugin); g && s.weight > best_w) {
      gpu_select_ = g;
      best_w = s.weight;
    }
  }
  for (PreFilterPlugin* p : pre_filter_) {
    if (auto* e = dynamic_cast<PreFilterExtensions*>(p)) extensions_.push_back(e);
  }
  state_.reset(owned_.size());
  prefilter_skip_.assign(owned_.size(), 0);
  dry_run_ = std::make_unique<NodeDryRun>(*this);
}

Framework::~Framework() = default;

std::vector<std::string> Framework::filter_names() const {
  std::vector<std::string> out;
  for (auto* f : filter_)
    out.emplace_back(f->name());
  return out;
}

std::vector<std::pair<std::string, std::int32_t>> Framework::score_names() const {
  std::vector<std::pair<std::string, std::int32_t>> out;
  for (const auto& s : score_)
    out.emplace_back(std::string(s.plugin->name()), s.weight);
  return out;
}

PodInfo Framework::pod_info(PodId id) const {
  const Cluster& c = handle_.cluster();
  const NodeTable& t = handle_.nodes();
  PodInfo info;
  info.id = id;
  info.pod = &c.pod(id);
  info.res = &info.pod->resources();
  info.priority = info.pod->status.priority;
  for (const auto& [name, units] : info.res->requests.entries()) {
    if (units == 0) continue;
    const int d = t.dim(name);
    if (d < 0) {
      info.unknown_resource = true;
      continue;
    }
    info.requests.emplace_back(d, units);
  }
  return info;
}

std::int32_t Framework::nodes_to_find(std::size_t all) const {
  // numFeasibleNodesToFind (k8s-semantics.md 3.8).
  const auto n = static_cast<std::int64_t>(all);
  if (n < 100 || percentage_ >= 100) return static_cast<std::int32_t>(n);
  std::int64_t pct = percentage_;
  if (pct <= 0) {
    pct = 50 - n / 125;
    if (pct < 5) pct = 5;
  }
  std::int64_t k = n * pct / 100;
  if (k < 100) k = 100;
  return static_cast<std::int32_t>(k);
}

void Framework::run_filters(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
                            Rejections& rejections, std::size_t first) {
  for (std::size_t i = first; i < filter_.size() && !nodes.empty(); ++i) {
    FilterPlugin* f = filter_[i];
    if (prefilter_skip_[f->slot()]) continue;
    rejections.set_plugin(static_cast<std::uint16_t>(i));
    f->filter(state, pod, nodes, rejections);
  }
}

std::size_t Framework::fuse_filters(const PodInfo& pod) {
  fused_.clear();
  std::size_t i = 0;
  for (; i < filter_.size(); ++i) {
    FilterPlugin* f = filter_[i];
    if (prefilter_skip_[f->slot()]) continue;
    fused_.begin_plugin(static_cast<std::uint16_t>(i));
    if (!f->column_checks(state_, pod, fused_)) break;
  }
  return i;
}

std::vector<NodeIndex> Framework::feasible_nodes(const PodInfo& pod,
                                                 std::vector<NodeIndex> candidates,
                                                 std::vector<std::string>* reasons) {
  CycleState state(owned_.size());
  std::fill(prefilter_skip_.begin(), prefilter_skip_.end(), 0);
  for (auto* p : pre_filter_) {
    Status s = p->pre_filter(state, pod);
    if (s.code == Code::kSkip) {
      prefilter_skip_[p->slot()] = 1;
    } else if (!s.success()) {
      if (reasons != nullptr) reasons->push_back(s.message);
      return {};
    }
  }
  Rejections scratch;
  run_filters(state, pod, candidates, scratch);
  if (reasons != nullptr) {
    for (const Rejection& r : scratch.items()) {
      const std::string& text = handle_.reasons().text(r.reason);
      if (std::find(reasons->begin(), reasons->end(), text) == reasons->end())
        reasons->push_back(text);
    }
  }
  return candidates;
}

std::string Framework::fit_error(std::size_t total_nodes, const Rejections& rejections,
                                 const std::string& prefilter_msg) const {
  std::map<std::string, std::int64_t> counts;
  if (!prefilter_msg.empty()) {
    counts[prefilter_msg] = static_cast<std::int64_t>(total_nodes);
  } else {
    for (const auto& r : rejections.items())
      ++counts[handle_.reasons().text(r.reason)];
  }
  std::vector<std::string> parts;
  for (const auto& [reason, n] : counts)
    parts.push_back(std::to_string(n) + " " + reason);
  // Upstream sorts the "<count> <reason>" strings as plain strings.
  std::sort(parts.begin(), parts.end());
  std::string msg = "0/" + std::to_string(total_nodes) + " nodes are available";
  for (std::size_t i = 0; i < parts.size(); ++i)
    msg += (i == 0 ? ": " : ", ") + parts[i];
  return msg + ".";
}

ScheduleResult Framework::schedule(const PodInfo& pod, AttemptRecord* explain) {
  const NodeTable& table = handle_.nodes();
  ScheduleResult result;
  state_.reset(owned_.size());
  std::fill(prefilter_skip_.begin(), prefilter_skip_.end(), 0);
  rejections_.clear();

  const std::size_t live = table.live_count();
  // Upstream's schedulePod returns ErrNoNodesAvailable before any plugin runs: no FitError, so
  // no PostFilter (preemption) either.
  if (live == 0) {
    result.status = Status{Code::kUnschedulable, {}};
    result.message = "no nodes available to schedule pods";
    return result;
  }

  // PreFilter.
  std::string prefilter_msg;
  for (auto* p : pre_filter_) {
    Status s = p->pre_filter(state_, pod);
    if (s.code == Code::kSkip) {
      prefilter_skip_[p->slot()] = 1;
    } else if (!s.success()) {
      prefilter_msg = s.message;
      break;
    }
  }

  feasible_.clear();
  const std::size_t slots = table.size();
  std::vector<char> examined;
  if (explain) examined.assign(slots, 0);
  // Upstream's evaluateNominatedNode: a pod nominated by an earlier preemption tries that node
  // alone first. If it passes Filter it is the only feasible node, chosen without scoring, and
  // the round-robin start stays where it was; otherwise the full search below runs.
  if (prefilter_msg.empty() && !pod.pod->status.nominated_node.empty()) {
    const NodeId nominated = handle_.cluster().find_node(pod.pod->status.nominated_node);
    if (nominated != kNoNode && nominated < slots && table.live(nominated)) {
      candidates_.assign(1, static_cast<NodeIndex>(nominated));
      // Its rejections are dropped: the full search examines the node again.
      Rejections scratch;
      run_filters(state_, pod, candidates_, scratch);
      if (!candidates_.empty()) {
        feasible_.push_back(candidates_[0]);
        result.evaluated = 1;
        if (explain) examined[candidates_[0]] = 1;
      }
    }
  }

  // Filter, in chunks, from the round-robin start, until enough feasible nodes are found.
  if (prefilter_msg.empty() && slots > 0 && feasible_.empty()) {
    const std::int32_t want = nodes_to_find(live);
    const std::uint32_t start = slots ? next_start_ % static_cast<std::uint32_t>(slots) : 0;
    // The node at search offset i (start + i, wrapped).
    auto at = [&](std::size_t i) -> NodeIndex {
      // start < slots and i < slots: one conditional wrap, not a division per node.
      const std::size_t a = start + i;
      return static_cast<NodeIndex>(a < slots ? a : a - slots);
    };
    const std::size_t unfused = fuse_filters(pod);
    fused_.finish(slots);
    const char* live_column = table.live_column();
    const std::uint64_t* version = table.version_column();
    std::size_t processed = 0;
    constexpr std::size_t kChunk = 256;
    std::size_t pos = 0;
    while (pos < slots && static_cast<std::int32_t>(feasible_.size()) < want) {
      const std::size_t end = std::min(slots, pos + kChunk);
      const std::size_t before = rejections_.items().size();
      const std::size_t need = static_cast<std::size_t>(want) - feasible_.size();
      // When every filter is fused, the chunk's nodes after the one that shows the cut below
      // will happen (a feasible node beyond the want-th) would be dropped: stop there.
      const std::size_t enough = unfused == filter_.size() ? need + 1 : kChunk + 1;
      // The fused filters run while the chunk's live nodes are gathered, as up to two straight
      // runs of node indexes (before and after the wrap).
      candidates_.resize(kChunk);
      std::size_t count = 0;
      auto gather = [&](std::size_t from, std::size_t to) {
        count = fused_.gather(static_cast<NodeIndex>(from), static_cast<NodeIndex>(to), live_column,
                              version, candidates_.data(), count, enough, rejections_);
      };
      const std::size_t from = start + pos;
      const std::size_t to = start + end;
      if (from >= slots) {
        gather(from - slots, to - slots);
      } else if (to <= slots) {
        gather(from, to);
      } else {
        gather(from, slots);
        if (count < enough) gather(0, to - slots);
      }
      candidates_.resize(count);
      run_filters(state_, pod, candidates_, rejections_, unfused);
      if (candidates_.size() > need) {
        // Stop at the want-th feasible node: nodes after it in this chunk were not examined.
        const NodeIndex last = candidates_[need - 1];
        candidates_.resize(need);
        // The chunk holds nodes in search order (their offset from `start` rising), and this
        // chunk's rejections name only its nodes, so "after the cut" is "offset beyond last's".
        const std::size_t last_offset = last >= start ? last - start : last + slots - start;
        rejections_.erase_since(before, [&](const Rejection& r) {
          return (r.node >= start ? r.node - start : r.node + slots - start) > last_offset;
        });
        // Upstream's parallel search counts processed nodes approximately in the same way: the
        // chunk's start plus the live nodes up to and including the cut.
        std::size_t cut_live = 0;
        for (std::size_t i = pos; i <= last_offset; ++i) {
          if (!table.live(at(i))) continue;
          ++cut_live;
          if (explain) examined[at(i)] = 1;
        }
        processed = pos + cut_live;
        feasible_.insert(feasible_.end(), candidates_.begin(), candidates_.end());
        pos = end;
        break;
      }
      if (explain) {
        for (std::size_t i = pos; i < end; ++i) {
          if (table.live(at(i))) examined[at(i)] = 1;
        }
      }
      feasible_.insert(feasible_.end(), candidates_.begin(), candidates_.end());
      pos = end;
      processed = pos;
    }
    next_start_ = static_cast<std::uint32_t>((start + processed) % slots);
    result.evaluated = static_cast<std::int32_t>(processed);
  }
  result.feasible = static_cast<std::int32_t>(feasible_.size());

  auto fill_filter_verdicts = [&] {
    if (!explain) return;
    const auto fnames = filter_names();
    std::map<NodeIndex, std::size_t> at;
    explain->nodes.clear();
    for (NodeIndex n = 0; n < slots; ++n) {
      if (!table.live(n)) continue;
      NodeVerdict v;
      v.node = handle_.cluster().node(n).name();
      v.evaluated = prefilter_msg.empty() ? examined[n] != 0 : true;
      if (!prefilter_msg.empty()) {
        v.failed_plugin = "PreFilter";
        v.reasons.push_back(prefilter_msg);
      }
      at[n] = explain->nodes.size();
      explain->nodes.push_back(std::move(v));
    }
    for (const auto& r : rejections_.items()) {
      auto& v = explain->nodes[at[r.node]];
      v.failed_plugin = fnames[r.plugin];
      std::string reason(handle_.reasons().text(r.reason));
      const std::string detail = filter_[r.plugin]->explain_rejection(pod, r.node);
      if (!detail.empty()) reason += " " + detail;
      v.reasons.push_back(std::move(reason));
    }
    for (auto n : feasible_)
      explain->nodes[at[n]].feasible = true;
  };

  if (feasible_.empty()) {
    result.status = Status{Code::kUnschedulable, {}};
    result.message = fit_error(live, rejections_, prefilter_msg);
    fill_filter_verdicts();
    for (auto* pf : post_filter_) {
      result.preemption = pf->post_filter(state_, pod, rejections_.items(), *dry_run_);
      if (result.preemption.nominated) break;
    }
    return result;
  }

  // Score.
  const std::size_t k = feasible_.size();
  totals_.assign(k, 0);
  fill_filter_verdicts();
  std::map<NodeIndex, std::size_t> verdict_at;
  if (explain) {
    for (std::size_t i = 0; i < explain->nodes.size(); ++i) {
      verdict_at[handle_.cluster().find_node(explain->nodes[i].node)] = i;
    }
  }
  if (k > 1) {
    std::vector<std::int64_t> raw;
    for (const auto& s : score_) {
      Status st = s.plugin->pre_score(state_, pod, feasible_);
      // A skipped plugin adds 0 everywhere and a uniform one the same to every node: neither
      // can change the choice, and only explain needs their columns written out.
      if (!explain && (st.code == Code::kSkip || s.plugin->uniform(state_, pod, feasible_))) {
        continue;
      }
      column_.assign(k, 0);
      if (st.code != Code::kSkip) {
        s.plugin->score(state_, pod, feasible_, column_);
        if (explain) raw = column_;
        if (s.plugin->has_normalize()) s.plugin->normalize(state_, pod, column_);
      } else if (explain) {
        raw.assign(k, 0);
      }
      // Plain pointers: through the vectors the compiler reloads their data on every element.
      std::int64_t* totals = totals_.data();
      const std::int64_t* column = column_.data();
      const std::int64_t weight = s.weight;
      if (weight == 1) {  // the default profile's usual weight: no multiply
        for (std::size_t i = 0; i < k; ++i)
          totals[i] += column[i];
      } else {
        for (std::size_t i = 0; i < k; ++i)
          totals[i] += column[i] * weight;
      }
      if (explain) {
        for (std::size_t i = 0; i < k; ++i) {
          explain->nodes[verdict_at[feasible_[i]]].scores.push_back(PluginScore{
              std::string(s.plugin->name()), raw[i], column_[i], column_[i] * s.weight, s.weight});
        }
      }
    }
  }
  // Select: highest total; ties at random (seeded) as upstream, or the first.
  const std::size_t best = select_best(totals_.data(), k, random_tie_break_, handle_.rng());
  if (explain) {
    for (std::size_t i = 0; i < k; ++i)
      explain->nodes[verdict_at[feasible_[i]]].total = totals_[i];
  }
  const NodeIndex chosen = feasible_[best];

  // GPU devices inside the node.
  if (pod.res->gpu.count > 0) {
    result.gpu_devices.clear();
    const bool ok = gpu_select_ ? gpu_select_->select_gpus(pod, chosen, result.gpu_devices)
                                : default_select_gpus(pod.res->gpu, table.gpu_free(chosen),
                                                      table.gpu_count(chosen), result.gpu_devices);
    if (!ok) {
      result.status = Status{Code::kError, "no GPU device on the chosen node fits"};
      result.message =
          "GPU device selection failed on node " + handle_.cluster().node(chosen).name();
      return result;
    }
  }
  for (auto* p : permit_) {
    const PermitDecision d = p->permit(state_, pod, chosen);
    if (d == PermitDecision::kReject) {
      result.status =
          Status{Code::kUnschedulable, "rejected by permit plugin " + std::string(p->name())};
      result.message = result.status.message;
      return result;
    }
    if (d == PermitDecision::kWait) {
      result.status = Status{Code::kWait, std::string(p->name())};
      result.node = chosen;
      result.wait_timeout_ms = p->wait_timeout_ms(pod);
      return result;
    }
  }
  result.status = Status::ok();
  result.node = chosen;
  return result;
}

void Framework::unreserve(PodId pod) {
  for (auto* p : permit_)
    p->unreserve(pod);
}

bool default_select_gpus(const GpuRequest& gpu, const std::int32_t* free_milli, std::int32_t count,
                         std::vector<std::int32_t>& devices) {
  devices.clear();
  if (gpu.count <= 0) return true;
  if (gpu.shared()) {
    std::int32_t best = -1;
    for (std::int32_t i = 0; i < count; ++i) {
      if (free_milli[i] >= gpu.milli_per_gpu && (best < 0 || free_milli[i] < free_milli[best]))
        best = i;
    }
    if (best < 0) return false;
    devices.push_back(best);
    return true;
  }
  for (std::int32_t i = 0; i < count && static_cast<std::int32_t>(devices.size()) < gpu.count;
       ++i) {
    if (free_milli[i] == 1000) devices.push_back(i);
  }
  return static_cast<std::int32_t>(devices.size()) == gpu.count;
}

}  // namespace gpusim::sched
