#pragma once
// Status conditions as upstream's SetCondition helpers keep them: one entry per type; the
// transition time changes only when the status does.
#include <string_view>
#include <vector>

#include "model/workloads.hpp"

namespace gpusim::ctrl {

// Returns whether the condition's reason changed (a new condition counts as changed), which
// is when controllers record a warning event for it.
bool set_condition(std::vector<Condition>& conditions, std::string_view type,
                   std::string_view status, std::string_view reason, std::string_view message,
                   TimeMs now);
// The condition of that type, or nullptr.
const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type);

}  // namespace gpusim::ctrl
