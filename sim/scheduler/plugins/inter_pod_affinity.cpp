#include "scheduler/plugins/inter_pod_affinity.hpp"

#include <algorithm>
#include <limits>

#include "scheduler/plugins/filter_helpers.hpp"
#include "scheduler/plugins/node_changes.hpp"
#include "scheduler/plugins/plugin_args.hpp"

namespace gpusim::sched {
namespace {

bool has_any_affinity(const PodSpec& spec) {
  const auto& a = spec.affinity.pod_affinity;
  const auto& aa = spec.affinity.pod_anti_affinity;
  return (a && (!a->required.empty() || !a->preferred.empty())) ||
         (aa && (!aa->required.empty() || !aa->preferred.empty()));
}

bool has_required_anti(const PodSpec& spec) {
  const auto& aa = spec.affinity.pod_anti_affinity;
  return aa && !aa->required.empty();
}

// Per topology key: a count per domain, grown on demand.
struct DomainCounts {
  std::vector<std::vector<std::int64_t>> by_key;
  std::vector<std::size_t> keys;  // keys with at least one entry
  bool any = false;
  void add(std::size_t key, std::int32_t domain, std::int64_t v) {
    if (by_key.size() <= key) by_key.resize(key + 1);
    auto& col = by_key[key];
    if (col.empty()) keys.push_back(key);
    const auto d = static_cast<std::size_t>(domain);
    if (col.size() <= d) col.resize(d + 1, 0);
    col[d] += v;
    any = true;
  }
  std::int64_t get(std::size_t key, std::int32_t domain) const {
    if (domain < 0 || key >= by_key.size()) return 0;
    const auto& col = by_key[key];
    const auto d = static_cast<std::size_t>(domain);
    return d < col.size() ? col[d] : 0;
  }
};

}  // namespace

struct InterPodAffinityPlugin::Term {
  const PodAffinityTerm* term = nullptr;
  std::size_t key = 0;
  std::int32_t weight = 0;
  bool all_namespaces = false;
  std::vector<const std::string*> namespaces;
  const LabelSelector* namespace_selector = nullptr;  // non-empty selectors only
};

struct InterPodAffinityPlugin::State : PluginState {
  std::vector<Term> affinity, anti;
  // Filter: per required affinity / anti-affinity term, matching pods per domain.
  std::vector<std::vector<std::int64_t>> affinity_counts, anti_counts;
  // The sum of affinity_counts: 0 where upstream's affinityCounts map is empty.
  std::int64_t affinity_matches = 0;
  bool self_matches = false;
  DomainCounts existing_anti;
  // Score.
  DomainCounts topology_score;
};

InterPodAffinityPlugin::InterPodAffinityPlugin(const nlohmann::json& args, FrameworkHandle& handle)
    : handle_(handle),
      reason_affinity_(handle.reasons().intern("node(s) didn't match pod affinity rules",
                                               /*unresolvable=*/true)),
      reason_anti_(handle.reasons().intern("node(s) didn't match pod anti-affinity rules", false)),
      reason_existing_anti_(handle.reasons().intern(
          "node(s) didn't satisfy existing pods anti-affinity rules", false)) {
  ArgsReader a(kName, args);
  a.only({"hardPodAffinityWeight", "ignorePreferredTermsOfExistingPods"});
  hard_weight_ = static_cast<std::int32_t>(a.integer("hardPodAffinityWeight", 1, 0, 100));
  ignore_existing_preferred_ = a.boolean("ignorePreferredTermsOfExistingPods", false);
}

InterPodAffinityPlugin::~InterPodAffinityPlugin() = default;

const Labels& InterPodAffinityPlugin::namespace_labels(const std::string& ns) const {
  static const Labels kNone;
  const auto& all = handle_.cluster().namespaces;
  auto it = all.find(ns);
  return it == all.end() ? kNone : it->second.meta.labels;
}

InterPodAffinityPlugin::Term InterPodAffinityPlugin::make_term(const PodAffinityTerm& t,
                                                               const Pod& owner,
                                                               std::int32_t weight) {
  Term term;
  term.term = &t;
  term.key = keys_.index(t.topology_key);
  term.weight = weight;
  for (const auto& ns : t.namespaces)
    term.namespaces.push_back(&ns);
  if (t.namespace_selector) {
    if (t.namespace_selector->empty()) {
      term.all_namespaces = true;
    } else {
      term.namespace_selector = &*t.namespace_selector;
    }
  } else if (t.namespaces.empty()) {
    term.namespaces.push_back(&owner.namespace_);  // the term owner's own namespace
  }
  return term;
}

bool InterPodAffinityPlugin::matches(const Term& term, const Pod& target) const {
  if (!term.term->label_selector) return false;  // a null selector matches nothing
  bool ns_ok = term.all_namespaces;
  for (const std::string* ns : term.namespaces)
    ns_ok = ns_ok || *ns == target.namespace_;
  if (!ns_ok && term.namespace_selector) {
    ns_ok = term.namespace_selector->matches(namespace_labels(target.namespace_));
  }
  return ns_ok && term.term->label_selector->matches(target.labels());
}

void InterPodAffinityPlugin::refresh_index() {
  const NodeTable& t = handle_.nodes();
  const Cluster& c = handle_.cluster();
  auto update = [&](NodeIndex n) {
    if (with_affinity_.size() < t.size()) {
      with_affinity_.resize(t.size());
      required_anti_.resize(t.size(), 0);
    }
    total_with_affinity_ -= static_cast<std::int64_t>(with_affinity_[n].size());
    total_required_anti_ -= required_anti_[n];
    with_affinity_[n].clear();
    required_anti_[n] = 0;
    if (!t.live(n)) return;
    for (PodId id : c.node(n).pods) {
      const PodSpec& spec = c.pod(id).spec();
      if (!has_any_affinity(spec)) continue;
      with_affinity_[n].push_back(id);
      required_anti_[n] += has_required_anti(spec) ? 1 : 0;
    }
    total_with_affinity_ += static_cast<std::int64_t>(with_affinity_[n].size());
    total_required_anti_ += required_anti_[n];
  };
  replay_node_changes(t, index_seen_, update, [&] {
    for (NodeIndex n = 0; n < t.size(); ++n)
      update(n);
  });
}

InterPodAffinityPlugin::Term InterPodAffinityPlugin::resolve(const PodAffinityTerm& t,
                                                             const Pod& owner,
                                                             std::int32_t weight) {
  Term out = make_term(t, owner, weight);
  keys_[out.key].sync(handle_.nodes());  // cheap when nothing changed
  return out;
}

void InterPodAffinityPlugin::count_existing_anti(State& s, const Pod& incoming, const Pod& other,
                                                 NodeIndex n, std::int64_t delta) {
  if (!has_required_anti(other.spec())) return;
  for (const auto& term : other.spec().affinity.pod_anti_affinity->required) {
    const Term et = resolve(term, other, 0);
    if (!matches(et, incoming)) continue;
    const std::int32_t d = keys_[et.key].domain(n);
    if (d >= 0) s.existing_anti.add(et.key, d, delta);
  }
}

void InterPodAffinityPlugin::count_own_terms(State& s, const Pod& other, NodeIndex n,
                                             std::int64_t delta) {
  auto bump = [&](std::vector<std::int64_t>& col, std::int32_t d) {
    const auto du = static_cast<std::size_t>(d);
    if (col.size() <= du) col.resize(du + 1, 0);
    col[du] += delta;
  };
  // An existing pod counts for the affinity terms only when it matches all of them.
  bool all = !s.affinity.empty();
  for (const Term& term : s.affinity)
    all = all && matches(term, other);
  if (all) {
    for (std::size_t j = 0; j < s.affinity.size(); ++j) {
      const std::int32_t d = keys_[s.affinity[j].key].domain(n);
      if (d < 0) continue;
      bump(s.affinity_counts[j], d);
      s.affinity_matches += delta;
    }
  }
  for (std::size_t j = 0; j < s.anti.size(); ++j) {
    if (!matches(s.anti[j], other)) continue;
    const std::int32_t d = keys_[s.anti[j].key].domain(n);
    if (d >= 0) bump(s.anti_counts[j], d);
  }
}

Status InterPodAffinityPlugin::pre_filter(CycleState& cycle, const PodInfo& pod) {
  refresh_index();
  State& s = cycle_slot<State>(cycle, *this);
  const Pod& p = *pod.pod;
  const PodSpec& spec = p.spec();
  const NodeTable& t = handle_.nodes();
  const Cluster& c = handle_.cluster();
  s.affinity.clear();
  s.anti.clear();
  if (spec.affinity.pod_affinity) {
    for (const auto& term : spec.affinity.pod_affinity->required)
      s.affinity.push_back(resolve(term, p, 0));
  }
  if (spec.affinity.pod_anti_affinity) {
    for (const auto& term : spec.affinity.pod_anti_affinity->required)
      s.anti.push_back(resolve(term, p, 0));
  }
  // Existing pods whose required anti-affinity the incoming pod matches.
  if (total_required_anti_ > 0) {
    for (NodeIndex n = 0; n < t.size(); ++n) {
      if (!t.live(n) || required_anti_[n] == 0) continue;
      for (PodId id : with_affinity_[n])
        count_existing_anti(s, p, c.pod(id), n, 1);
    }
  }
  if (!s.affinity.empty() || !s.anti.empty()) {
    s.affinity_counts.assign(s.affinity.size(), {});
    s.anti_counts.assign(s.anti.size(), {});
    for (NodeIndex n = 0; n < t.size(); ++n) {
      if (!t.live(n)) continue;
      for (PodId id : c.node(n).pods)
        count_own_terms(s, c.pod(id), n, 1);
    }
    s.self_matches = !s.affinity.empty();
    for (const Term& term : s.affinity)
      s.self_matches = s.self_matches && matches(term, p);
  }
  if (!s.existing_anti.any && s.affinity.empty() && s.anti.empty()) return Status::skip();
  return Status::ok();
}

void InterPodAffinityPlugin::add_pod(CycleState& cycle, const PodInfo& pod, PodId added,
                                     NodeIndex node) {
  State& s = cycle_slot<State>(cycle, *this);
  const Pod& other = handle_.cluster().pod(added);
  count_existing_anti(s, *pod.pod, other, node, 1);
  count_own_terms(s, other, node, 1);
}

void InterPodAffinityPlugin::remove_pod(CycleState& cycle, const PodInfo& pod, PodId removed,
                                        NodeIndex node) {
  State& s = cycle_slot<State>(cycle, *this);
  const Pod& other = handle_.cluster().pod(removed);
  count_existing_anti(s, *pod.pod, other, node, -1);
  count_own_terms(s, other, node, -1);
}

void InterPodAffinityPlugin::filter(CycleState& cycle, const PodInfo&,
                                    std::vector<NodeIndex>& nodes, Rejections& out) {
  State& s = cycle_slot<State>(cycle, *this);
  filter_nodes(nodes, out, [&](NodeIndex n) {
    if (!s.affinity.empty()) {
      bool pods_exist = true;
      for (std::size_t j = 0; j < s.affinity.size(); ++j) {
        const std::int32_t d = keys_[s.affinity[j].key].domain(n);
        if (d < 0) return reason_affinity_;  // every topology key must be on the node
        const auto& col = s.affinity_counts[j];
        const auto du = static_cast<std::size_t>(d);
        if (du >= col.size() || col[du] <= 0) pods_exist = false;
      }
      // The first pod of a group that has affinity to itself may go anywhere its keys exist.
      if (!pods_exist && !(s.affinity_matches == 0 && s.self_matches)) return reason_affinity_;
    }
    for (std::size_t j = 0; j < s.anti.size(); ++j) {
      const std::int32_t d = keys_[s.anti[j].key].domain(n);
      if (d < 0) continue;
      const auto& col = s.anti_counts[j];
      const auto du = static_cast<std::size_t>(d);
      if (du < col.size() && col[du] > 0) return reason_anti_;
    }
    for (std::size_t key : s.existing_anti.keys) {
      if (s.existing_anti.get(key, keys_[key].domain(n)) > 0) return reason_existing_anti_;
    }
    return kFits;
  });
}

Status InterPodAffinityPlugin::pre_score(CycleState& cycle, const PodInfo& pod,
                                         std::span<const NodeIndex>) {
  refresh_index();
  State& s = cycle_slot<State>(cycle, *this);
  const Pod& p = *pod.pod;
  const PodSpec& spec = p.spec();
  std::vector<Term> pref_affinity, pref_anti;
  if (spec.affinity.pod_affinity) {
    for (const auto& w : spec.affinity.pod_affinity->preferred)
      pref_affinity.push_back(resolve(w.term, p, w.weight));
  }
  if (spec.affinity.pod_anti_affinity) {
    for (const auto& w : spec.affinity.pod_anti_affinity->preferred)
      pref_anti.push_back(resolve(w.term, p, w.weight));
  }
  const bool has_constraints = !pref_affinity.empty() || !pref_anti.empty();
  if (ignore_existing_preferred_ && !has_constraints) return Status::skip();
  if (!has_constraints && total_with_affinity_ == 0) return Status::skip();

  const NodeTable& t = handle_.nodes();
  const Cluster& c = handle_.cluster();
  s.topology_score = DomainCounts{};
  auto process = [&](const Term& term, const Pod& target, NodeIndex n, std::int64_t value) {
    if (!matches(term, target)) return;
    const std::int32_t d = keys_[term.key].domain(n);
    if (d >= 0) s.topology_score.add(term.key, d, value);
  };
  for (NodeIndex n = 0; n < t.size(); ++n) {
    if (!t.live(n)) continue;
    if (!has_constraints && with_affinity_[n].empty()) continue;
    if (c.node(n).meta.labels.empty()) continue;
    const std::vector<PodId>& pods = has_constraints ? c.node(n).pods : with_affinity_[n];
    for (PodId id : pods) {
      const Pod& e = c.pod(id);
      for (const Term& term : pref_affinity)
        process(term, e, n, term.weight);
      for (const Term& term : pref_anti)
        process(term, e, n, -static_cast<std::int64_t>(term.weight));
      const PodSpec& es = e.spec();
      if (!has_any_affinity(es)) continue;
      if (es.affinity.pod_affinity) {
        if (hard_weight_ > 0) {
          for (const auto& term : es.affinity.pod_affinity->required)
            process(resolve(term, e, 0), p, n, hard_weight_);
        }
        for (const auto& w : es.affinity.pod_affinity->preferred)
          process(resolve(w.term, e, w.weight), p, n, w.weight);
      }
      if (es.affinity.pod_anti_affinity) {
        for (const auto& w : es.affinity.pod_anti_affinity->preferred) {
          process(resolve(w.term, e, w.weight), p, n, -static_cast<std::int64_t>(w.weight));
        }
      }
    }
  }
  if (!s.topology_score.any) return Status::skip();
  return Status::ok();
}

void InterPodAffinityPlugin::score(CycleState& cycle, const PodInfo&,
                                   std::span<const NodeIndex> nodes, std::span<std::int64_t> out) {
  State& s = cycle_slot<State>(cycle, *this);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    std::int64_t total = 0;
    for (std::size_t key : s.topology_score.keys) {
      total += s.topology_score.get(key, keys_[key].domain(nodes[i]));
    }
    out[i] = total;
  }
}

void InterPodAffinityPlugin::normalize(CycleState&, const PodInfo&,
                                       std::span<std::int64_t> scores) {
  if (scores.empty()) return;
  const auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
  const std::int64_t min = *lo;
  const std::int64_t diff = *hi - min;
  for (auto& v : scores) {
    double f = 0;
    if (diff > 0) {
      f = static_cast<double>(100) * (static_cast<double>(v - min) / static_cast<double>(diff));
    }
    v = static_cast<std::int64_t>(f);
  }
}

}  // namespace gpusim::sched
