#include "scheduler/fused_filter.hpp"

#include <algorithm>
#include <cstdint>

namespace gpusim::sched {

void FusedFilter::clear() {
  plugin_ = 0;
  key_.swap(previous_key_);
  key_.clear();
  checks_.clear();
  flags_.clear();
  keyed_.clear();
  fits_.clear();
}

void FusedFilter::reject_if_set(const char* flags, ReasonId reason) {
  checks_.push_back(
      {Kind::kFlag, plugin_, static_cast<std::uint32_t>(flags_.size()), reason, reason});
  flags_.push_back({flags});
  key_.insert(key_.end(), {0, plugin_, reinterpret_cast<std::intptr_t>(flags), reason});
}

void FusedFilter::reject_by_key(const std::uint32_t* keys, const ReasonId* verdicts,
                                std::size_t count) {
  checks_.push_back(
      {Kind::kKeyed, plugin_, static_cast<std::uint32_t>(keyed_.size()), kFits, kFits});
  keyed_.push_back({keys, verdicts});
  key_.insert(key_.end(), {1, plugin_, reinterpret_cast<std::intptr_t>(keys),
                           static_cast<std::int64_t>(count)});
  key_.insert(key_.end(), verdicts, verdicts + count);
}

void FusedFilter::require_fit(const std::int64_t* alloc, const std::int64_t* used,
                              std::int64_t units, ReasonId insufficient, ReasonId unresolvable) {
  checks_.push_back(
      {Kind::kFit, plugin_, static_cast<std::uint32_t>(fits_.size()), insufficient, unresolvable});
  fits_.push_back({alloc, used, units});
  key_.insert(key_.end(),
              {2, plugin_, reinterpret_cast<std::intptr_t>(alloc),
               reinterpret_cast<std::intptr_t>(used), units, insufficient, unresolvable});
}

void FusedFilter::finish(std::size_t nodes) {
  if (key_ != previous_key_) {
    std::fill(passed_at_.begin(), passed_at_.end(), kNever);
    std::fill(rejected_at_.begin(), rejected_at_.end(), kNever);
  }
  if (passed_at_.size() < nodes) {
    passed_at_.resize(nodes, kNever);
    rejected_at_.resize(nodes, kNever);
    rejection_.resize(nodes);
  }
}

std::size_t FusedFilter::gather(NodeIndex first, NodeIndex last, const char* live,
                                const std::uint64_t* version, NodeIndex* out, std::size_t count,
                                std::size_t enough, Rejections& rejections) {
  // Locals rather than members: the compiler then keeps the loop's state in registers.
  std::uint64_t* const passed_at = passed_at_.data();
  std::uint64_t* const rejected_at = rejected_at_.data();
  for (NodeIndex n = first; n < last; ++n) {
    if (live[n] == 0) continue;
    const std::uint64_t v = version[n];
    if (passed_at[n] != v) {
      if (rejected_at[n] == v) {
        const Rejection& r = rejection_[n];
        rejections.add(n, r.plugin, r.reason);
        continue;
      }
      if (!passes(n)) {
        const std::size_t before = rejections.items().size();
        reject(n, rejections);
        if (rejections.items().size() == before + 1) {
          rejected_at[n] = v;
          rejection_[n] = rejections.items().back();
        }
        continue;
      }
      passed_at[n] = v;
    }
    out[count++] = n;
    if (count == enough) break;
  }
  return count;
}

void FusedFilter::reject(NodeIndex n, Rejections& out) const {
  bool rejected = false;
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    const Check& c = checks_[i];
    // A new plugin starts: the node already failed the one before, so it never gets here.
    if (rejected && c.plugin != checks_[i - 1].plugin) return;
    switch (c.kind) {
      case Kind::kFlag:
        if (flags_[c.index].flags[n] != 0) {
          out.add(n, c.plugin, c.reason);
          rejected = true;
        }
        break;
      case Kind::kKeyed: {
        const Keyed& k = keyed_[c.index];
        const ReasonId r = k.verdicts[k.keys[n]];
        if (r != kFits) {
          out.add(n, c.plugin, r);
          rejected = true;
        }
        break;
      }
      case Kind::kFit: {
        const Fit& f = fits_[c.index];
        if (f.units > f.alloc[n] - f.used[n]) {
          out.add(n, c.plugin, f.units > f.alloc[n] ? c.unresolvable : c.reason);
          rejected = true;
        }
        break;
      }
    }
  }
}

}  // namespace gpusim::sched
