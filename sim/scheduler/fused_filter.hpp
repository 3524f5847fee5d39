#pragma once
// Filters whose verdict on a node is a few reads of the node table's columns, described as data
// so the framework can run them all in one pass while it walks the candidate nodes, instead of
// one pass (and one copy of the survivors) per plugin. The default profile's NodeUnschedulable,
// TaintToleration and NodeResourcesFit are such filters; they describe themselves through
// FilterPlugin::column_checks and must reject exactly the nodes their filter() rejects, for the
// same reasons.
//
// It also remembers which nodes passed, with the node's NodeTable version, while one pod after
// another brings the same checks (replicas of one template queued together): a node whose row
// has not changed since (no bind, release, reservation or update bumped its version) passes
// again without reading its columns. A node rejected for a single reason is remembered the
// same way, and the rejection recorded again as it was.
#include <cstdint>
#include <limits>
#include <vector>

#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class FusedFilter {
 public:
  // Starts a pod's checks; the remembered verdicts stay until finish() finds other checks.
  void clear();
  // The checks added next belong to the profile's filter number `plugin` (for the rejections).
  void begin_plugin(std::uint16_t plugin) { plugin_ = plugin; }
  // Rejects a node for `reason` when flags[node] != 0.
  void reject_if_set(const char* flags, ReasonId reason);
  // Rejects a node when verdicts[keys[node]] is a reason, not kFits. `verdicts` holds `count`
  // entries, covers every key in the column, and stays alive while the filter is used.
  void reject_by_key(const std::uint32_t* keys, const ReasonId* verdicts, std::size_t count);
  // Rejects a node when units > alloc[node] - used[node]: for `unresolvable` when units exceed
  // the whole allocatable (no preemption can help), otherwise for `insufficient`.
  void require_fit(const std::int64_t* alloc, const std::int64_t* used, std::int64_t units,
                   ReasonId insufficient, ReasonId unresolvable);

  // After the pod's checks are added: drops the remembered verdicts unless the checks are the
  // previous pod's, and sizes the memory for `nodes` node slots.
  void finish(std::size_t nodes);

  bool empty() const { return checks_.empty(); }
  // Runs the checks over the live nodes among first .. last-1 in order: appends each that passes
  // to out[count], out[count+1], ... and records why each other one fails, until `count` reaches
  // `enough`. Returns the new count. A pass is remembered with the node's version[node].
  std::size_t gather(NodeIndex first, NodeIndex last, const char* live,
                     const std::uint64_t* version, NodeIndex* out, std::size_t count,
                     std::size_t enough, Rejections& rejections);
  // True when no check rejects the node. The order of the checks cannot change that, so they are
  // grouped by kind, each group a tight loop.
  bool passes(NodeIndex n) const {
    for (const Flag& f : flags_) {
      if (f.flags[n] != 0) return false;
    }
    for (const Keyed& k : keyed_) {
      if (k.verdicts[k.keys[n]] != kFits) return false;
    }
    for (const Fit& f : fits_) {
      if (f.units > f.alloc[n] - f.used[n]) return false;
    }
    return true;
  }
  // Records why a node that does not pass is rejected, as the plugins' own filters would in
  // sequence: every failing check of the first plugin that rejects it, none after.
  void reject(NodeIndex n, Rejections& out) const;

 private:
  enum class Kind : std::uint8_t { kFlag, kKeyed, kFit };
  struct Flag {
    const char* flags;
  };
  struct Keyed {
    const std::uint32_t* keys;
    const ReasonId* verdicts;
  };
  struct Fit {
    const std::int64_t* alloc;
    const std::int64_t* used;
    std::int64_t units;
  };
  struct Check {
    Kind kind;
    std::uint16_t plugin;
    std::uint32_t index;  // into flags_, keyed_ or fits_
    ReasonId reason, unresolvable;
  };

  static constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

  std::uint16_t plugin_ = 0;
  // Everything the verdicts depend on besides the node's row: the checks, their columns, units
  // and reasons, and the per-key verdicts' values. Compared with the previous pod's.
  std::vector<std::int64_t> key_, previous_key_;
  std::vector<std::uint64_t> passed_at_;  // per node: the version it last passed at
  // Per node: the version it was last rejected at for exactly one reason, and that rejection.
  std::vector<std::uint64_t> rejected_at_;
  std::vector<Rejection> rejection_;
  std::vector<Check> checks_;  // in the profile's filter order
  std::vector<Flag> flags_;
  std::vector<Keyed> keyed_;
  std::vector<Fit> fits_;
};

}  // namespace gpusim::sched
