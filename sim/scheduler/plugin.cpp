#include "scheduler/plugin.hpp"

namespace gpusim::sched {

ReasonId ReasonTable::intern(std::string_view text, bool unresolvable) {
  // The same text may be resolvable on one node and not on another ("Insufficient cpu" when the
  // request exceeds the whole node): one id per (text, unresolvable).
  for (std::size_t i = 0; i < texts_.size(); ++i) {
    if (texts_[i] == text && (unresolvable_[i] != 0) == unresolvable)
      return static_cast<ReasonId>(i);
  }
  texts_.emplace_back(text);
  unresolvable_.push_back(unresolvable ? 1 : 0);
  return static_cast<ReasonId>(texts_.size() - 1);
}

}  // namespace gpusim::sched
