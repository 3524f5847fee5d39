#include "scheduler/plugins/pod_topology_spread.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "core/rounding.hpp"
#include "scheduler/plugins/filter_helpers.hpp"
#include "scheduler/plugins/node_affinity.hpp"
#include "scheduler/plugins/node_changes.hpp"
#include "scheduler/plugins/plugin_args.hpp"
#include "scheduler/plugins/score_helpers.hpp"

namespace gpusim::sched {
namespace {

constexpr const char* kHostnameKey = "kubernetes.io/hostname";
constexpr const char* kZoneKey = "topology.kubernetes.io/zone";
// Selector counts kept: every Deployment brings its own selector, and an evicted one costs a
// recount of every node the next time, so as many as about 32 MiB of per-node counts hold
// (1,024 at 1,000 nodes, 64 at 50,000 and more).
std::size_t cache_entries(std::size_t nodes) {
  constexpr std::size_t kBudgetBytes = std::size_t{32} << 20;
  constexpr std::size_t kBytesPerNode = 12;  // count, and a domain for hostname and zone
  return std::clamp<std::size_t>(kBudgetBytes / (kBytesPerNode * std::max<std::size_t>(nodes, 1)),
                                 64, 1024);
}

std::vector<TopologySpreadConstraint> system_default_constraints() {
  TopologySpreadConstraint host;
  host.max_skew = 3;
  host.topology_key = kHostnameKey;
  host.when_unsatisfiable = UnsatisfiableConstraintAction::kScheduleAnyway;
  TopologySpreadConstraint zone = host;
  zone.max_skew = 5;
  zone.topology_key = kZoneKey;
  return {host, zone};
}

}  // namespace

struct PodTopologySpreadPlugin::Constraint {
  std::int32_t max_skew = 1;
  std::size_t key = 0;  // index in the plugin's TopologyKeys
  bool hostname = false;
  bool hard = false;
  std::optional<std::int32_t> min_domains;
  bool honor_affinity = true;
  bool honor_taints = false;
  PodTopologySpreadPlugin::MatchCounts* counts = nullptr;
  std::size_t tracked = 0;  // index of `key` among counts->keys
  std::int64_t self_match = 0;
  // Filter: matching pods per domain over eligible nodes, -1 where no eligible node is.
  // Score: the same per domain slot (domain + 1; slot 0 = nodes without the label), -1 where
  // no scored node is.
  std::vector<std::int64_t> domain_counts;
  std::int64_t min_match = 0;
  std::int64_t eligible_domains = 0;  // Filter: domains with a count (>= 0)
  // Filter, in a dry run only: how many domains hold each count, so that min_match follows
  // the counts as pods are taken off and put back. Built at the first change.
  std::map<std::int64_t, std::int64_t> count_domains;
  bool count_domains_built = false;
  double weight = 0;
};

// Pods' labels live in shared, immutable templates, so whether a selector matches a pod is a
// property of its (template, namespace). Templates get ids here; a template that died and
// whose address came back for another gets a new id (the weak pointer tells them apart).
struct PodTopologySpreadPlugin::PodKeys {
  struct Key {
    std::uint32_t tmpl;
    std::uint32_t ns;
  };
  std::unordered_map<const PodTemplate*, std::pair<std::weak_ptr<const PodTemplate>, std::uint32_t>>
      tmpl_ids;
  std::vector<std::weak_ptr<const PodTemplate>> templates;  // by id
  std::unordered_map<std::string, std::uint32_t> ns_ids;
  std::vector<std::vector<Key>> on_node;  // per node, of the pods bound there
  // Per node, a bit per template id modulo 64 of its pods: a selector none of whose matching
  // templates has its bit there has no pod on the node (see MatchCounts::tmpl_bits).
  std::vector<std::uint64_t> tmpl_bits;
  // The nodes refreshed since the last rebuild, in order, each with its tmpl_bits before and
  // after: a selector replays only the entries that share a bit with its templates, instead of
  // every node change of the cluster (see sync(MatchCounts&)). Compacted as the node table's
  // log is (compact_change_log); a selector that fell behind log_base rescans.
  struct Change {
    NodeIndex node;
    std::uint64_t bits;
  };
  std::vector<Change> log;
  std::uint64_t log_base = 0;  // position of log[0]
  std::uint64_t log_end() const { return log_base + log.size(); }
  std::uint64_t seen = 0;  // node table change-log position the keys reflect
  bool rebuild = true;
  // Ids are renumbered (and every selector's verdicts dropped) once this many were handed out,
  // so dead templates do not accumulate.
  std::size_t id_limit = 4096;
  std::uint64_t generation = 0;  // bumps when ids are renumbered

  std::uint32_t ns_id(const std::string& ns) {
    return ns_ids.try_emplace(ns, static_cast<std::uint32_t>(ns_ids.size())).first->second;
  }
  static std::uint64_t bit(std::uint32_t tmpl) { return std::uint64_t{1} << (tmpl % 64); }
  std::uint32_t tmpl_id(const std::shared_ptr<const PodTemplate>& t) {
    auto [it, added] = tmpl_ids.try_emplace(t.get());
    if (!added && !it->second.first.expired()) return it->second.second;
    const auto id = static_cast<std::uint32_t>(templates.size());
    it->second = {t, id};
    templates.push_back(t);
    return id;
  }
};

struct PodTopologySpreadPlugin::MatchCounts {
  const void* owner = nullptr;  // the pod template (spec constraints) or nullptr (defaults)
  std::uint64_t owner_uid = 0;  // the ReplicaSet's uid (defaults)
  int index = -1;               // constraint index (spec constraints)
  std::shared_ptr<const PodTemplate> keep_alive;  // so `owner` is never a reused address
  std::string ns;
  std::uint32_t ns_id = 0;                // `ns` in PodKeys
  std::optional<LabelSelector> selector;  // nullopt matches nothing
  std::vector<std::int8_t> matches;       // per template id: -1 not yet asked, else 0 / 1
  // PodKeys::bit of every template it matches, among the first `bits_cover` ids: replaying a
  // node change then costs two loads unless the node holds a pod of a matching template (or
  // of one sharing its bit).
  std::uint64_t tmpl_bits = 0;
  std::size_t bits_cover = 0;
  std::uint64_t matches_generation = 0;  // PodKeys::generation the verdicts belong to
  std::uint64_t seen = 0;                // PodKeys::log position the counts reflect
  bool rescan = true;
  std::vector<std::int32_t> count;  // per node
  // Per tracked topology key: totals per domain, and the domain each node's count sits in.
  std::vector<std::size_t> keys;
  std::vector<std::vector<std::int64_t>> totals;
  std::vector<std::vector<std::int32_t>> attributed;
};

struct PodTopologySpreadPlugin::State : PluginState {
  bool built = false;
  bool from_spec = false;
  std::vector<Constraint> constraints;
  std::vector<std::size_t> hard, soft;
  std::vector<std::int8_t> affinity_ok;  // per node: -1 unknown
  std::vector<std::int8_t> taints_ok;    // per taint set: -1 unknown
  std::vector<char> ignored;             // per scored node
  std::int64_t ignored_count = 0;        // of `ignored`
  // Score's inputs per soft constraint, gathered once per cycle rather than per node.
  struct ScoreTerm {
    const TopologyDomains* domains;
    const std::int32_t* node_counts;    // hostname: per node
    const std::int64_t* domain_counts;  // otherwise: per domain slot
    double weight;
    double skew;  // maxSkew - 1
  };
  std::vector<ScoreTerm> terms;
};

PodTopologySpreadPlugin::PodTopologySpreadPlugin(const nlohmann::json& args,
                                                 FrameworkHandle& handle)
    : handle_(handle),
      reason_skew_(handle.reasons().intern("node(s) didn't match pod topology spread constraints",
                                           /*unresolvable=*/false)),
      reason_label_(handle.reasons().intern(
          "node(s) didn't match pod topology spread constraints (missing required label)",
          /*unresolvable=*/true)) {
  ArgsReader a(kName, args);
  a.only({"defaultingType", "defaultConstraints"});
  const std::string type = a.string("defaultingType", "System");
  if (type != "System" && type != "List") a.fail("defaultingType", "must be System or List");
  system_defaulted_ = type == "System";
  for (const ArgsReader& c : a.objects("defaultConstraints")) {
    if (system_defaulted_)
      a.fail("defaultConstraints", "must be empty when defaultingType is System");
    c.only({"maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector"});
    if (c.has("labelSelector")) c.fail("labelSelector", "not allowed in default constraints");
    TopologySpreadConstraint tsc;
    if (!c.has("maxSkew")) c.fail("maxSkew", "required");
    tsc.max_skew = static_cast<std::int32_t>(c.integer("maxSkew", 1, 1, 1 << 30));
    tsc.topology_key = c.string("topologyKey", "");
    if (tsc.topology_key.empty()) c.fail("topologyKey", "required");
    const std::string when = c.string("whenUnsatisfiable", "");
    if (when == "DoNotSchedule") {
      tsc.when_unsatisfiable = UnsatisfiableConstraintAction::kDoNotSchedule;
    } else if (when == "ScheduleAnyway") {
      tsc.when_unsatisfiable = UnsatisfiableConstraintAction::kScheduleAnyway;
    } else {
      c.fail("whenUnsatisfiable", "must be DoNotSchedule or ScheduleAnyway");
    }
    default_constraints_.push_back(std::move(tsc));
  }
  if (system_defaulted_) default_constraints_ = system_default_constraints();
}

PodTopologySpreadPlugin::~PodTopologySpreadPlugin() = default;

void PodTopologySpreadPlugin::sync_pod_keys() {
  if (!pod_keys_) pod_keys_ = std::make_unique<PodKeys>();
  PodKeys& k = *pod_keys_;
  const NodeTable& t = handle_.nodes();
  const Cluster& cluster = handle_.cluster();
  auto refresh = [&](NodeIndex n) {
    if (k.on_node.size() < t.size()) {
      k.on_node.resize(t.size());
      k.tmpl_bits.resize(t.size(), 0);
    }
    auto& keys = k.on_node[n];
    keys.clear();
    std::uint64_t bits = 0;
    if (t.live(n)) {
      for (PodId id : cluster.node(n).pods) {
        const Pod& p = cluster.pod(id);
        keys.push_back(PodKeys::Key{k.tmpl_id(p.tmpl), k.ns_id(p.namespace_)});
        bits |= PodKeys::bit(keys.back().tmpl);
      }
    }
    k.log.push_back(PodKeys::Change{n, k.tmpl_bits[n] | bits});
    k.tmpl_bits[n] = bits;
  };
  auto rebuild = [&] {
    for (NodeIndex n = 0; n < t.size(); ++n)
      refresh(n);
    // Every selector rescans: its counts may miss what changed before this pass (and template
    // ids, hence bits, may be new).
    k.log_base = k.log_end() + 1;
    k.log.clear();
  };
  if (k.templates.size() >= k.id_limit) {
    k.tmpl_ids.clear();
    k.templates.clear();
    ++k.generation;
    k.rebuild = true;
  }
  if (k.rebuild) {
    k.rebuild = false;
    rebuild();
    k.seen = t.change_seq();
    k.id_limit = std::max<std::size_t>(4096, 2 * k.templates.size());
    return;
  }
  replay_node_changes(t, k.seen, refresh, rebuild);
  compact_change_log(k.log, k.log_base, t.size());
}

PodTopologySpreadPlugin::MatchCounts& PodTopologySpreadPlugin::counts_for(
    const void* owner, std::uint64_t owner_uid, int index,
    const std::shared_ptr<const PodTemplate>& keep_alive, const std::string& ns,
    const std::optional<LabelSelector>& selector) {
  ++tick_;
  // The keys are scanned, not the entries: those are scattered on the heap.
  for (std::size_t i = 0; i < cache_keys_.size(); ++i) {
    CacheKey& k = cache_keys_[i];
    if (k.owner == owner && k.owner_uid == owner_uid && k.index == index && cache_[i]->ns == ns) {
      k.last_use = tick_;
      return *cache_[i];
    }
  }
  std::size_t slot = cache_.size();
  if (slot < cache_entries(handle_.nodes().size())) {
    cache_.push_back(std::make_unique<MatchCounts>());
    cache_keys_.emplace_back();
  } else {
    slot = static_cast<std::size_t>(std::min_element(cache_keys_.begin(), cache_keys_.end(),
                                                     [](const CacheKey& a, const CacheKey& b) {
                                                       return a.last_use < b.last_use;
                                                     }) -
                                    cache_keys_.begin());
  }
  cache_keys_[slot] = CacheKey{owner, owner_uid, index, tick_};
  MatchCounts* m = cache_[slot].get();
  m->owner = owner;
  m->owner_uid = owner_uid;
  m->index = index;
  m->keep_alive = keep_alive;
  m->ns = ns;
  m->ns_id = pod_keys_->ns_id(ns);
  m->selector = selector;
  m->matches.clear();
  m->tmpl_bits = 0;
  m->bits_cover = 0;
  m->keys.clear();
  m->totals.clear();
  m->attributed.clear();
  m->rescan = true;
  return *m;
}

std::size_t PodTopologySpreadPlugin::track(MatchCounts& m, std::size_t key) {
  for (std::size_t i = 0; i < m.keys.size(); ++i) {
    if (m.keys[i] == key) return i;
  }
  m.keys.push_back(key);
  m.totals.emplace_back();
  m.attributed.emplace_back();
  m.rescan = true;  // the new key's totals start from every node
  return m.keys.size() - 1;
}

void PodTopologySpreadPlugin::sync(MatchCounts& m) {
  const NodeTable& t = handle_.nodes();
  PodKeys& keys = *pod_keys_;
  if (m.matches_generation != keys.generation) {
    m.matches.clear();
    m.tmpl_bits = 0;
    m.bits_cover = 0;
    m.matches_generation = keys.generation;
  }
  // The table does not grow while its changes replay.
  if (m.count.size() < t.size()) m.count.resize(t.size(), 0);
  const bool selects = m.selector.has_value();
  if (m.matches.size() < keys.templates.size()) m.matches.resize(keys.templates.size(), -1);
  auto verdict = [&](std::uint32_t id) {
    if (m.matches[id] < 0) {
      // A dead template has no pods: it matches nothing from now on.
      const std::shared_ptr<const PodTemplate> tmpl = keys.templates[id].lock();
      m.matches[id] = selects && tmpl && m.selector->matches(tmpl->labels) ? 1 : 0;
    }
    return m.matches[id];
  };
  for (; m.bits_cover < keys.templates.size(); ++m.bits_cover) {
    const auto id = static_cast<std::uint32_t>(m.bits_cover);
    if (verdict(id) != 0) m.tmpl_bits |= PodKeys::bit(id);
  }
  auto recount = [&](NodeIndex n) {
    // No pod of this selector on the node before (count) or now (no matching template's bit).
    if (m.count[n] == 0 && (keys.tmpl_bits[n] & m.tmpl_bits) == 0) return;
    std::int32_t c = 0;
    if (selects && t.live(n)) {
      for (const PodKeys::Key& k : keys.on_node[n]) {
        if (k.ns == m.ns_id) c += verdict(k.tmpl);
      }
    }
    // Most replayed nodes hold no pod of this selector before or after (a selector matches one
    // workload's pods). Moving a zero count between domains changes no total, and a stale
    // `attributed` entry only ever subtracts this node's count, zero until the next recount
    // that is not skipped rewrites it.
    if (c == 0 && m.count[n] == 0) return;
    for (std::size_t i = 0; i < m.keys.size(); ++i) {
      auto& attributed = m.attributed[i];
      auto& totals = m.totals[i];
      if (attributed.size() < t.size()) attributed.resize(t.size(), -1);
      if (attributed[n] >= 0) totals[static_cast<std::size_t>(attributed[n])] -= m.count[n];
      const std::int32_t d = t.live(n) ? keys_[m.keys[i]].domain(n) : -1;
      if (d >= 0) {
        if (totals.size() <= static_cast<std::size_t>(d))
          totals.resize(static_cast<std::size_t>(d) + 1, 0);
        totals[static_cast<std::size_t>(d)] += c;
      }
      attributed[n] = d;
    }
    m.count[n] = c;
  };
  auto rescan = [&] {
    std::fill(m.count.begin(), m.count.end(), 0);
    for (auto& a : m.attributed)
      std::fill(a.begin(), a.end(), -1);
    for (auto& tot : m.totals)
      std::fill(tot.begin(), tot.end(), 0);
    for (NodeIndex n = 0; n < t.size(); ++n)
      recount(n);
  };
  if (m.rescan || m.seen < keys.log_base) {
    rescan();
    m.rescan = false;
  } else {
    // Only nodes that held or now hold a pod of a template sharing a bit with this selector's
    // can change its counts (see recount).
    for (std::size_t i = static_cast<std::size_t>(m.seen - keys.log_base); i < keys.log.size();
         ++i) {
      if ((keys.log[i].bits & m.tmpl_bits) != 0) recount(keys.log[i].node);
    }
  }
  m.seen = keys.log_end();
}

PodTopologySpreadPlugin::State& PodTopologySpreadPlugin::build(CycleState& cycle,
                                                               const PodInfo& pod) {
  State& s = cycle_slot<State>(cycle, *this);
  if (s.built) return s;
  s.built = true;
  const Pod& p = *pod.pod;
  const PodSpec& spec = p.spec();
  // The pods' keys first: new cache entries intern their namespace, and counts read the keys.
  sync_pod_keys();
  auto add = [&](const TopologySpreadConstraint& c, MatchCounts& counts) {
    Constraint k;
    k.max_skew = c.max_skew;
    k.key = keys_.index(c.topology_key);
    k.hostname = c.topology_key == kHostnameKey;
    k.hard = c.when_unsatisfiable == UnsatisfiableConstraintAction::kDoNotSchedule;
    k.min_domains = c.min_domains;
    k.honor_affinity = c.honor_node_affinity;
    k.honor_taints = c.honor_node_taints;
    k.counts = &counts;
    k.tracked = track(counts, k.key);
    k.self_match = counts.selector && counts.selector->matches(p.labels()) ? 1 : 0;
    (k.hard ? s.hard : s.soft).push_back(s.constraints.size());
    s.constraints.push_back(std::move(k));
  };
  if (!spec.topology_spread_constraints.empty()) {
    s.from_spec = true;
    for (std::size_t i = 0; i < spec.topology_spread_constraints.size(); ++i) {
      const auto& c = spec.topology_spread_constraints[i];
      std::optional<LabelSelector> selector = c.label_selector;
      // matchLabelKeys: the pod's own values for those keys join the selector.
      if (selector) {
        for (const auto& key : c.match_label_keys) {
          auto it = p.labels().find(key);
          if (it == p.labels().end()) continue;
          selector->match_expressions.push_back(
              SelectorRequirement{key, SelectorOperator::kIn, {it->second}});
        }
      }
      add(c, counts_for(p.tmpl.get(), 0, static_cast<int>(i), p.tmpl, p.namespace_, selector));
    }
  } else if (!default_constraints_.empty() && p.owner && p.owner->kind == "ReplicaSet") {
    // Default constraints take the selector of the pod's controller (a ReplicaSet here).
    const auto& sets = handle_.cluster().replica_sets;
    auto it = sets.find(p.namespace_ + "/" + p.owner->name);
    if (it != sets.end() && !it->second.selector.empty()) {
      MatchCounts& counts =
          counts_for(nullptr, it->second.meta.uid, -1, nullptr, p.namespace_, it->second.selector);
      for (const auto& c : default_constraints_)
        add(c, counts);
    }
  }
  // Domains first (the counts' totals are attributed by domain), then the counts.
  const NodeTable& t = handle_.nodes();
  for (const Constraint& c : s.constraints)
    keys_[c.key].sync(t);
  for (const Constraint& c : s.constraints) {
    if (c.counts->seen != pod_keys_->log_end() || c.counts->rescan) sync(*c.counts);
  }
  return s;
}

bool PodTopologySpreadPlugin::eligible(State& s, const PodInfo& pod, const Constraint& c,
                                       NodeIndex n) {
  const PodSpec& spec = pod.pod->spec();
  const NodeTable& t = handle_.nodes();
  if (c.honor_affinity && NodeAffinityPlugin::pod_requires_node(spec)) {
    if (s.affinity_ok.size() < t.size()) s.affinity_ok.resize(t.size(), -1);
    if (s.affinity_ok[n] < 0) {
      s.affinity_ok[n] =
          NodeAffinityPlugin::pod_matches_node(spec, handle_.cluster().node(n)) ? 1 : 0;
    }
    if (s.affinity_ok[n] == 0) return false;
  }
  if (c.honor_taints) {
    const std::uint32_t set = t.taint_set(n);
    if (s.taints_ok.size() <= set) s.taints_ok.resize(set + 1, -1);
    if (s.taints_ok[set] < 0) {
      bool ok = true;
      for (const Taint& taint : t.taints_of_set(set)) {
        if ((taint.effect == TaintEffect::kNoSchedule || taint.effect == TaintEffect::kNoExecute) &&
            !tolerates_any(spec.tolerations, taint)) {
          ok = false;
          break;
        }
      }
      s.taints_ok[set] = ok ? 1 : 0;
    }
    if (s.taints_ok[set] == 0) return false;
  }
  return true;
}

bool PodTopologySpreadPlugin::has_keys(const std::vector<std::size_t>& constraints, const State& s,
                                       NodeIndex n) const {
  for (std::size_t k : constraints) {
    if (keys_[s.constraints[k].key].domain(n) < 0) return false;
  }
  return true;
}

namespace {

// Whether every node may count for `c` without looking at it: no inclusion policy applies and
// no node lacks one of the other keys the node set is restricted by.
template <typename Keys>
bool counts_every_node(const PodTopologySpreadPlugin::Constraint& c, bool pod_requires_node,
                       const std::vector<std::size_t>& others,
                       const std::vector<PodTopologySpreadPlugin::Constraint>& all,
                       const Keys& keys) {
  if (c.honor_taints || (c.honor_affinity && pod_requires_node)) return false;
  for (std::size_t k : others) {
    if (all[k].key != c.key && keys[all[k].key].missing() > 0) return false;
  }
  return true;
}

}  // namespace

Status PodTopologySpreadPlugin::pre_filter(CycleState& cycle, const PodInfo& pod) {
  State& s = build(cycle, pod);
  if (s.hard.empty()) return Status::skip();
  const NodeTable& t = handle_.nodes();
  const bool requires_node = NodeAffinityPlugin::pod_requires_node(pod.pod->spec());
  std::vector<std::size_t> slow;
  for (std::size_t h : s.hard) {
    Constraint& c = s.constraints[h];
    const TopologyDomains& domains = keys_[c.key];
    c.domain_counts.assign(domains.domain_count(), -1);
    if (!counts_every_node(c, requires_node, s.hard, s.constraints, keys_)) {
      slow.push_back(h);
      continue;
    }
    // Every labelled node is eligible: the domain totals are the counts.
    const auto& totals = c.counts->totals[c.tracked];
    for (std::size_t d = 0; d < c.domain_counts.size(); ++d) {
      if (domains.nodes_in(static_cast<std::int32_t>(d)) > 0) {
        c.domain_counts[d] = d < totals.size() ? totals[d] : 0;
      }
    }
  }
  if (!slow.empty()) {
    for (NodeIndex n = 0; n < t.size(); ++n) {
      // Only nodes carrying every hard constraint's key take part.
      if (!t.live(n) || !has_keys(s.hard, s, n)) continue;
      for (std::size_t h : slow) {
        Constraint& c = s.constraints[h];
        if (!eligible(s, pod, c, n)) continue;
        const auto d = static_cast<std::size_t>(keys_[c.key].domain(n));
        if (c.domain_counts[d] < 0) c.domain_counts[d] = 0;
        c.domain_counts[d] += c.counts->count[n];
      }
    }
  }
  for (std::size_t h : s.hard) {
    Constraint& c = s.constraints[h];
    std::int64_t domains = 0;
    std::int64_t min = std::numeric_limits<std::int32_t>::max();
    for (auto v : c.domain_counts) {
      if (v < 0) continue;
      ++domains;
      min = std::min(min, v);
    }
    // Fewer eligible domains than minDomains: the global minimum counts as 0.
    if (c.min_domains && domains < *c.min_domains) min = 0;
    c.min_match = min;
    c.eligible_domains = domains;
  }
  return Status::ok();
}

void PodTopologySpreadPlugin::update_with_pod(CycleState& cycle, const PodInfo& pod, PodId other,
                                              NodeIndex n, std::int64_t delta) {
  State& s = build(cycle, pod);
  const Pod& o = handle_.cluster().pod(other);
  // As pre_filter counted: pods of the incoming pod's namespace, on nodes with every hard key
  // that the constraint's inclusion policies admit.
  if (o.namespace_ != pod.pod->namespace_ || !has_keys(s.hard, s, n)) return;
  for (std::size_t h : s.hard) {
    Constraint& c = s.constraints[h];
    const std::optional<LabelSelector>& selector = c.counts->selector;
    if (!selector || !selector->matches(o.labels()) || !eligible(s, pod, c, n)) continue;
    const auto d = static_cast<std::size_t>(keys_[c.key].domain(n));
    // An eligible node's domain has a count since pre_filter; were it missing, a count made
    // here would outlive the dry run.
    if (d >= c.domain_counts.size() || c.domain_counts[d] < 0) continue;
    if (!c.count_domains_built) {
      c.count_domains_built = true;
      for (const std::int64_t v : c.domain_counts) {
        if (v >= 0) ++c.count_domains[v];
      }
    }
    const std::int64_t was = c.domain_counts[d];
    const std::int64_t now = was + delta;
    if (--c.count_domains[was] == 0) c.count_domains.erase(was);
    ++c.count_domains[now];
    c.domain_counts[d] = now;
    c.min_match = c.count_domains.begin()->first;
    if (c.min_domains && c.eligible_domains < *c.min_domains) c.min_match = 0;
  }
}

void PodTopologySpreadPlugin::add_pod(CycleState& cycle, const PodInfo& pod, PodId added,
                                      NodeIndex node) {
  update_with_pod(cycle, pod, added, node, 1);
}

void PodTopologySpreadPlugin::remove_pod(CycleState& cycle, const PodInfo& pod, PodId removed,
                                         NodeIndex node) {
  update_with_pod(cycle, pod, removed, node, -1);
}

void PodTopologySpreadPlugin::filter(CycleState& cycle, const PodInfo& pod,
                                     std::vector<NodeIndex>& nodes, Rejections& out) {
  State& s = build(cycle, pod);
  filter_nodes(nodes, out, [&](NodeIndex n) {
    for (std::size_t h : s.hard) {
      const Constraint& c = s.constraints[h];
      const std::int32_t d = keys_[c.key].domain(n);
      if (d < 0) return reason_label_;
      const auto du = static_cast<std::size_t>(d);
      const std::int64_t match =
          du < c.domain_counts.size() && c.domain_counts[du] > 0 ? c.domain_counts[du] : 0;
      if (match + c.self_match - c.min_match > c.max_skew) return reason_skew_;
    }
    return kFits;
  });
}

Status PodTopologySpreadPlugin::pre_score(CycleState& cycle, const PodInfo& pod,
                                          std::span<const NodeIndex> nodes) {
  State& s = build(cycle, pod);
  if (s.soft.empty()) return Status::skip();
  const NodeTable& t = handle_.nodes();
  // Upstream's own defaults do not require every key, so nodes without a zone label still
  // spread by hostname; user-given constraints do.
  const bool require_all = s.from_spec || !system_defaulted_;
  std::vector<std::int64_t> sizes(s.constraints.size(), 0);
  for (std::size_t k : s.soft) {
    Constraint& c = s.constraints[k];
    // Hostname constraints score from the per-node counts: a slot per node would be written
    // for nothing.
    if (!c.hostname) c.domain_counts.assign(keys_[c.key].domain_count() + 1, -1);
  }
  s.ignored.assign(nodes.size(), 0);
  std::int64_t ignored = 0;
  if (require_all) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (has_keys(s.soft, s, nodes[i])) continue;
      s.ignored[i] = 1;
      ++ignored;
    }
  }
  // The domains that hold a scored node, per constraint (hostname: every scored node is one).
  for (std::size_t k : s.soft) {
    Constraint& c = s.constraints[k];
    if (c.hostname) continue;
    const TopologyDomains& domains = keys_[c.key];
    if (domains.domain_count() == 0 && !require_all) {
      // No node carries the key: every scored node sits in the slot of nodes without it.
      if (!nodes.empty()) {
        c.domain_counts[0] = 0;
        sizes[k] = 1;
      }
      continue;
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (ignored > 0 && s.ignored[i]) continue;
      const auto slot = static_cast<std::size_t>(domains.domain(nodes[i]) + 1);
      if (c.domain_counts[slot] < 0) {
        c.domain_counts[slot] = 0;
        ++sizes[k];
      }
    }
  }
  s.ignored_count = ignored;
  const bool requires_node = NodeAffinityPlugin::pod_requires_node(pod.pod->spec());
  static const std::vector<std::size_t> kNone;
  std::vector<std::size_t> slow;
  for (std::size_t k : s.soft) {
    Constraint& c = s.constraints[k];
    const std::int64_t size =
        c.hostname ? static_cast<std::int64_t>(nodes.size()) - ignored : sizes[k];
    c.weight = std::log(static_cast<double>(size + 2));
    if (c.hostname) continue;  // per-node counts, read in Score
    if (!counts_every_node(c, requires_node, require_all ? s.soft : kNone, s.constraints, keys_)) {
      slow.push_back(k);
      continue;
    }
    const auto& totals = c.counts->totals[c.tracked];
    for (std::size_t slot = 1; slot < c.domain_counts.size(); ++slot) {
      if (c.domain_counts[slot] >= 0 && slot - 1 < totals.size())
        c.domain_counts[slot] = totals[slot - 1];
    }
  }
  if (!slow.empty()) {
    for (NodeIndex n = 0; n < t.size(); ++n) {
      if (!t.live(n) || (require_all && !has_keys(s.soft, s, n))) continue;
      for (std::size_t k : slow) {
        Constraint& c = s.constraints[k];
        if (!eligible(s, pod, c, n)) continue;
        const auto slot = static_cast<std::size_t>(keys_[c.key].domain(n) + 1);
        if (c.domain_counts[slot] < 0) continue;  // no scored node in that domain
        c.domain_counts[slot] += c.counts->count[n];
      }
    }
  }
  return Status::ok();
}

void PodTopologySpreadPlugin::score(CycleState& cycle, const PodInfo& pod,
                                    std::span<const NodeIndex> nodes, std::span<std::int64_t> out) {
  State& s = build(cycle, pod);
  s.terms.clear();
  for (std::size_t k : s.soft) {
    const Constraint& c = s.constraints[k];
    // A key no node ever had adds nothing to any node (upstream's defaults, zone in clusters
    // without zones).
    if (keys_[c.key].domain_count() == 0) continue;
    s.terms.push_back(State::ScoreTerm{&keys_[c.key], c.hostname ? c.counts->count.data() : nullptr,
                                       c.domain_counts.data(), c.weight,
                                       static_cast<double>(c.max_skew - 1)});
  }
  const bool any_ignored = s.ignored_count > 0;
  if (!any_ignored && s.terms.size() == 1 && s.terms[0].node_counts != nullptr &&
      s.terms[0].domains->missing() == 0) {
    // The system defaults on nodes that all have a hostname: one term per node, no lookups.
    const State::ScoreTerm& t = s.terms[0];
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      out[i] = round_to_int64(static_cast<double>(t.node_counts[nodes[i]]) * t.weight + t.skew);
    }
    return;
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (any_ignored && s.ignored[i]) {
      out[i] = 0;
      continue;
    }
    const NodeIndex n = nodes[i];
    double total = 0;
    for (const State::ScoreTerm& term : s.terms) {
      const std::int32_t d = term.domains->domain(n);
      if (d < 0) continue;
      const std::int64_t cnt =
          term.node_counts != nullptr
              ? term.node_counts[n]
              : std::max<std::int64_t>(0, term.domain_counts[static_cast<std::size_t>(d) + 1]);
      total += static_cast<double>(cnt) * term.weight + term.skew;
    }
    out[i] = round_to_int64(total);
  }
}

void PodTopologySpreadPlugin::normalize(CycleState& cycle, const PodInfo& pod,
                                        std::span<std::int64_t> scores) {
  State& s = build(cycle, pod);
  std::int64_t min = std::numeric_limits<std::int64_t>::max();
  std::int64_t max = 0;
  const bool any_ignored = s.ignored_count > 0;
  auto ignored = [&](std::size_t i) { return any_ignored && s.ignored[i]; };
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (ignored(i)) continue;
    min = std::min(min, scores[i]);
    max = std::max(max, scores[i]);
  }
  // The division is most of this loop's time: where every numerator is small enough, it is
  // done as exact_quotient's (numerators are at most kMaxNodeScore * max).
  if (!any_ignored && max > 0 && min >= 0 && max < kExactQuotientLimit / (2 * kMaxNodeScore)) {
    const double divisor = static_cast<double>(max);
    for (std::int64_t& score : scores)
      score = exact_quotient(kMaxNodeScore * (max + min - score), divisor);
    return;
  }
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (ignored(i)) {
      scores[i] = 0;
    } else if (max == 0) {
      scores[i] = kMaxNodeScore;
    } else {
      scores[i] = kMaxNodeScore * (max + min - scores[i]) / max;
    }
  }
}

}  // namespace gpusim::sched
