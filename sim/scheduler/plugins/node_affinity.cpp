#include "scheduler/plugins/node_affinity.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "scheduler/plugins/filter_helpers.hpp"
#include "scheduler/plugins/plugin_args.hpp"
#include "scheduler/plugins/score_helpers.hpp"

namespace gpusim::sched {
namespace {

constexpr std::size_t kCacheEntries = 32;
constexpr std::uint64_t kStale = std::numeric_limits<std::uint64_t>::max();

const std::vector<PreferredSchedulingTerm>* pod_preferred(const PodSpec& spec) {
  const auto& na = spec.affinity.node_affinity;
  if (!na || na->preferred.empty()) return nullptr;
  return &na->preferred;
}

std::int32_t preferred_sum(const std::vector<PreferredSchedulingTerm>& terms, const Node& node) {
  std::int32_t sum = 0;
  for (const auto& t : terms) {
    if (t.weight != 0 && node_selector_term_matches(t.preference, node.meta.labels, node.name())) {
      sum += t.weight;
    }
  }
  return sum;
}

}  // namespace

NodeAffinityPlugin::NodeAffinityPlugin(const nlohmann::json& args, FrameworkHandle& handle)
    : handle_(handle),
      reason_pod_(handle.reasons().intern("node(s) didn't match Pod's node affinity/selector",
                                          /*unresolvable=*/true)),
      reason_enforced_(handle.reasons().intern(
          "node(s) didn't match scheduler-enforced node affinity", /*unresolvable=*/true)) {
  ArgsReader a(kName, args);
  a.only({"addedAffinity"});
  if (auto added = a.object("addedAffinity")) {
    NodeAffinity na = added->node_affinity();
    added_required_ = std::move(na.required);
    added_preferred_ = std::move(na.preferred);
  }
}

bool NodeAffinityPlugin::pod_requires_node(const PodSpec& spec) {
  const auto& na = spec.affinity.node_affinity;
  return !spec.node_selector.empty() || (na && na->required);
}

bool NodeAffinityPlugin::pod_matches_node(const PodSpec& spec, const Node& node) {
  const Labels& labels = node.meta.labels;
  for (const auto& [k, v] : spec.node_selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  const auto& na = spec.affinity.node_affinity;
  if (na && na->required && !node_selector_terms_match(*na->required, labels, node.name())) {
    return false;
  }
  return true;
}

std::int8_t NodeAffinityPlugin::evaluate_filter(const PodSpec& spec, const Node& node) const {
  if (added_required_ &&
      !node_selector_terms_match(*added_required_, node.meta.labels, node.name())) {
    return 1;
  }
  return pod_matches_node(spec, node) ? 0 : 2;
}

std::int32_t NodeAffinityPlugin::evaluate_score(const PodSpec& spec, const Node& node) const {
  std::int32_t sum = preferred_sum(added_preferred_, node);
  if (const auto* terms = pod_preferred(spec)) sum += preferred_sum(*terms, node);
  return sum;
}

NodeAffinityPlugin::Entry& NodeAffinityPlugin::entry(const Pod& pod) {
  ++tick_;
  for (auto& e : cache_) {
    if (e.tmpl == pod.tmpl) {
      e.last_use = tick_;
      return e;
    }
  }
  Entry* e = nullptr;
  if (cache_.size() < kCacheEntries) {
    e = &cache_.emplace_back();
  } else {
    e = &*std::min_element(cache_.begin(), cache_.end(),
                           [](const Entry& a, const Entry& b) { return a.last_use < b.last_use; });
  }
  e->tmpl = pod.tmpl;
  e->last_use = tick_;
  // Reuse the vectors' memory: an evicted entry's columns are only marked stale.
  std::fill(e->filter_version.begin(), e->filter_version.end(), kStale);
  std::fill(e->score_version.begin(), e->score_version.end(), kStale);
  return *e;
}

Status NodeAffinityPlugin::pre_filter(CycleState&, const PodInfo& pod) {
  const PodSpec& spec = pod.pod->spec();
  if (!pod_requires_node(spec) && !added_required_) return Status::skip();
  // Terms that all pin metadata.name with In but to disjoint names can match no node.
  const auto& na = spec.affinity.node_affinity;
  if (na && na->required && !na->required->empty()) {
    std::set<std::string> names;
    for (const auto& term : *na->required) {
      std::optional<std::set<std::string>> term_names;
      for (const auto& r : term.match_fields) {
        if (r.key != "metadata.name" || r.op != SelectorOperator::kIn) continue;
        std::set<std::string> s(r.values.begin(), r.values.end());
        if (!term_names) {
          term_names = std::move(s);
        } else {
          std::set<std::string> both;
          std::set_intersection(term_names->begin(), term_names->end(), s.begin(), s.end(),
                                std::inserter(both, both.end()));
          term_names = std::move(both);
        }
      }
      if (!term_names) return Status::ok();  // this term does not pin names
      names.insert(term_names->begin(), term_names->end());
    }
    if (names.empty())
      return Status{Code::kUnschedulableAndUnresolvable, "pod affinity terms conflict"};
  }
  return Status::ok();
}

void NodeAffinityPlugin::filter(CycleState&, const PodInfo& pod, std::vector<NodeIndex>& nodes,
                                Rejections& out) {
  const PodSpec& spec = pod.pod->spec();
  if (!pod_requires_node(spec) && !added_required_) return;
  const NodeTable& t = handle_.nodes();
  const Cluster& c = handle_.cluster();
  Entry& e = entry(*pod.pod);
  if (e.filter_version.size() < t.size()) {
    e.filter_version.resize(t.size(), kStale);
    e.verdict.resize(t.size(), 0);
  }
  filter_nodes(nodes, out, [&](NodeIndex n) {
    if (e.filter_version[n] != t.version(n)) {
      e.verdict[n] = evaluate_filter(spec, c.node(n));
      e.filter_version[n] = t.version(n);
    }
    switch (e.verdict[n]) {
      case 0:
        return kFits;
      case 1:
        return reason_enforced_;
      default:
        return reason_pod_;
    }
  });
}

Status NodeAffinityPlugin::pre_score(CycleState&, const PodInfo& pod, std::span<const NodeIndex>) {
  if (pod_preferred(pod.pod->spec()) == nullptr && added_preferred_.empty()) return Status::skip();
  return Status::ok();
}

void NodeAffinityPlugin::score(CycleState&, const PodInfo& pod, std::span<const NodeIndex> nodes,
                               std::span<std::int64_t> out) {
  const PodSpec& spec = pod.pod->spec();
  const NodeTable& t = handle_.nodes();
  const Cluster& c = handle_.cluster();
  Entry& e = entry(*pod.pod);
  if (e.score_version.size() < t.size()) {
    e.score_version.resize(t.size(), kStale);
    e.raw.resize(t.size(), 0);
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeIndex n = nodes[i];
    if (e.score_version[n] != t.version(n)) {
      e.raw[n] = evaluate_score(spec, c.node(n));
      e.score_version[n] = t.version(n);
    }
    out[i] = e.raw[n];
  }
}

void NodeAffinityPlugin::normalize(CycleState&, const PodInfo&, std::span<std::int64_t> scores) {
  default_normalize_score(scores, /*reverse=*/false);
}

}  // namespace gpusim::sched
