#include "scheduler/plugins/default_preemption.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "scheduler/plugins/plugin_args.hpp"

namespace gpusim::sched {
namespace {

const char* const kNoVictims = "No preemption victims found for incoming pod";
const char* const kNotHelpful = "Preemption is not helpful for scheduling";

struct Victim {
  PodId id = kNoPod;
  std::int32_t priority = 0;
  TimeMs start_ms = 0;
};

// Ends the dry run however select_victims returns.
struct DryRunScope {
  DryRun& dry_run;
  DryRunScope(DryRun& d, CycleState& state, const PodInfo& pod, NodeIndex node) : dry_run(d) {
    dry_run.begin(state, pod, node);
  }
  ~DryRunScope() { dry_run.end(); }
  DryRunScope(const DryRunScope&) = delete;
  DryRunScope& operator=(const DryRunScope&) = delete;
};

}  // namespace

DefaultPreemptionPlugin::DefaultPreemptionPlugin(const nlohmann::json& args,
                                                 FrameworkHandle& handle)
    : handle_(handle) {
  ArgsReader a(kName, args);
  a.only({"minCandidateNodesPercentage", "minCandidateNodesAbsolute"});
  a.integer("minCandidateNodesPercentage", 10, 0, 100);
  a.integer("minCandidateNodesAbsolute", 100, 0, std::numeric_limits<std::int32_t>::max());
}

bool DefaultPreemptionPlugin::preempt_never(const Pod& pod) const {
  if (pod.spec().preemption_policy)
    return *pod.spec().preemption_policy == PreemptionPolicy::kNever;
  // Admission copies the PriorityClass's policy into the spec upstream; gpusim reads it here.
  const auto& classes = handle_.cluster().priority_classes;
  const std::string& name = pod.spec().priority_class_name;
  if (!name.empty()) {
    auto it = classes.find(name);
    return it != classes.end() && it->second.preemption_policy == PreemptionPolicy::kNever;
  }
  for (const auto& [key, pc] : classes) {
    if (pc.global_default) return pc.preemption_policy == PreemptionPolicy::kNever;
  }
  return false;
}

bool DefaultPreemptionPlugin::select_victims(CycleState& state, const PodInfo& pod, NodeIndex n,
                                             DryRun& dry_run, Candidate& out,
                                             std::vector<std::string>& reasons) {
  const Cluster& c = handle_.cluster();
  std::vector<Victim> potential;
  for (PodId id : c.node(n).pods) {
    const Pod& v = c.pod(id);
    if (v.status.priority >= pod.priority) continue;
    potential.push_back(Victim{id, v.status.priority, v.status.started_ms.value_or(c.now())});
  }
  if (potential.empty()) {
    reasons.emplace_back(kNoVictims);
    return false;
  }
  // Every lower-priority pod off the node, in the node's state and in the cycle's PreFilter
  // state; then the whole Filter, whatever rejected the node at first.
  const DryRunScope scope(dry_run, state, pod, n);
  for (const Victim& v : potential)
    dry_run.remove_pod(v.id);
  std::vector<ReasonId> why;
  if (!dry_run.fits(&why)) {
    for (ReasonId r : why)
      reasons.push_back(handle_.reasons().text(r));
    return false;
  }

  // Most important first: higher priority, then earlier start (node order breaks ties).
  auto more_important = [](const Victim& a, const Victim& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.start_ms < b.start_ms;
  };
  std::stable_sort(potential.begin(), potential.end(), more_important);

  // Split by PodDisruptionBudget: a pod whose eviction would take a matching budget below zero
  // violates it. Budgets come from their status (disruptionsAllowed).
  std::vector<const PodDisruptionBudget*> pdbs;
  std::vector<std::int64_t> allowed;
  for (const auto& [key, pdb] : c.pdbs) {
    pdbs.push_back(&pdb);
    allowed.push_back(pdb.disruptions_allowed);
  }
  std::vector<const Victim*> violating, non_violating;
  for (const Victim& v : potential) {
    const Pod& p = c.pod(v.id);
    bool violated = false;
    if (!p.labels().empty()) {
      for (std::size_t i = 0; i < pdbs.size(); ++i) {
        if (pdbs[i]->meta.namespace_ != p.namespace_) continue;
        // A PDB with an empty selector matches nothing.
        if (pdbs[i]->selector.empty() || !pdbs[i]->selector.matches(p.labels())) continue;
        if (--allowed[i] < 0) violated = true;
      }
    }
    (violated ? violating : non_violating).push_back(&v);
  }

  // Reprieve: put the pod back; if the preemptor no longer fits, it goes again and is a victim.
  std::vector<const Victim*> victims;
  out.pdb_violations = 0;
  auto reprieve = [&](const Victim* v) {
    dry_run.add_pod(v->id);
    if (dry_run.fits(nullptr)) return true;
    dry_run.remove_pod(v->id);
    victims.push_back(v);
    return false;
  };
  for (const Victim* v : violating) {
    if (!reprieve(v)) ++out.pdb_violations;
  }
  for (const Victim* v : non_violating)
    reprieve(v);
  if (victims.empty()) {
    // It fits without evicting anything: not a preemption (upstream treats it as an error).
    reasons.emplace_back(kNoVictims);
    return false;
  }
  std::stable_sort(victims.begin(), victims.end(),
                   [&](const Victim* a, const Victim* b) { return more_important(*a, *b); });
  out.node = n;
  out.victims.clear();
  for (const Victim* v : victims)
    out.victims.push_back(v->id);
  return true;
}

PostFilterResult DefaultPreemptionPlugin::post_filter(CycleState& state, const PodInfo& pod,
                                                      const std::vector<Rejection>& rejections,
                                                      DryRun& dry_run) {
  PostFilterResult result;
  const Pod& p = *pod.pod;
  const NodeTable& t = handle_.nodes();
  const Cluster& c = handle_.cluster();

  if (preempt_never(p)) {
    result.status = Status{Code::kUnschedulable, "not eligible due to preemptionPolicy=Never."};
    return result;
  }
  // Upstream's nodesWherePreemptionMightHelp: every node Filter rejected, unless for a reason
  // removing pods cannot resolve. Node verdicts: 0 not rejected (PreFilter failed), 1 rejected,
  // 2 rejected as unresolvable.
  std::vector<std::int8_t> kind(t.size(), 0);
  for (const Rejection& r : rejections) {
    if (handle_.reasons().unresolvable(r.reason)) {
      kind[r.node] = 2;
    } else if (kind[r.node] == 0) {
      kind[r.node] = 1;
    }
  }
  if (!p.status.nominated_node.empty()) {
    const NodeId nn = c.find_node(p.status.nominated_node);
    bool unresolvable_there = false;
    for (const Rejection& r : rejections) {
      if (r.node == nn && handle_.reasons().unresolvable(r.reason)) unresolvable_there = true;
    }
    if (nn != kNoNode && t.live(nn) && !unresolvable_there) {
      // Victims of an earlier preemption are still terminating: wait for them.
      for (PodId id : c.node(nn).pods) {
        const Pod& q = c.pod(id);
        if (q.status.priority < pod.priority && q.deletion_ms) {
          result.status = Status{Code::kUnschedulable,
                                 "not eligible due to a terminating pod on the nominated node."};
          return result;
        }
      }
    }
  }

  std::vector<Candidate> candidates;
  std::map<std::string, std::int64_t> failures;
  std::int64_t live = 0;
  std::vector<std::string> reasons;
  for (NodeIndex n = 0; n < t.size(); ++n) {
    if (!t.live(n)) continue;
    ++live;
    if (kind[n] != 1) {
      ++failures[kNotHelpful];
      continue;
    }
    Candidate cand;
    reasons.clear();
    if (select_victims(state, pod, n, dry_run, cand, reasons)) {
      candidates.push_back(std::move(cand));
    } else {
      for (const auto& r : reasons)
        ++failures[r];
    }
  }
  if (candidates.empty()) {
    std::vector<std::string> parts;
    for (const auto& [reason, count] : failures)
      parts.push_back(std::to_string(count) + " " + reason);
    std::sort(parts.begin(), parts.end());
    std::string msg = "0/" + std::to_string(live) + " nodes are available";
    for (std::size_t i = 0; i < parts.size(); ++i)
      msg += (i == 0 ? ": " : ", ") + parts[i];
    result.status = Status{Code::kUnschedulable, msg + "."};
    result.clear_nomination = true;
    return result;
  }

  // pickOneNodeForPreemption: each criterion narrows the tied set; the first survivor wins.
  std::vector<const Candidate*> best;
  for (const auto& cand : candidates)
    best.push_back(&cand);
  auto narrow = [&](auto key) {  // keeps the candidates with the largest key
    std::int64_t top = std::numeric_limits<std::int64_t>::min();
    for (const Candidate* cand : best)
      top = std::max(top, key(*cand));
    std::erase_if(best, [&](const Candidate* cand) { return key(*cand) != top; });
  };
  auto prio = [&](PodId id) { return static_cast<std::int64_t>(c.pod(id).status.priority); };
  narrow([](const Candidate& k) { return -k.pdb_violations; });
  narrow([&](const Candidate& k) { return -prio(k.victims.front()); });
  narrow([&](const Candidate& k) {
    std::int64_t sum = 0;
    // Shifted by 2^31 so negative priorities still add up to a larger cost per victim.
    for (PodId id : k.victims)
      sum += prio(id) + (std::int64_t{1} << 31);
    return -sum;
  });
  narrow([](const Candidate& k) { return -static_cast<std::int64_t>(k.victims.size()); });
  narrow([&](const Candidate& k) {
    // The earliest start among the highest-priority victims; the later that is, the better.
    const std::int64_t top = prio(k.victims.front());
    TimeMs earliest = std::numeric_limits<TimeMs>::max();
    for (PodId id : k.victims) {
      if (prio(id) == top)
        earliest = std::min(earliest, c.pod(id).status.started_ms.value_or(c.now()));
    }
    return earliest;
  });
  result.status = Status::ok();
  result.nominated = best.front()->node;
  result.victims = best.front()->victims;
  return result;
}

}  // namespace gpusim::sched
