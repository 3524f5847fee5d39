#include "controllers/conditions.hpp"

namespace gpusim::ctrl {

bool set_condition(std::vector<Condition>& conditions, std::string_view type,
                   std::string_view status, std::string_view reason, std::string_view message,
                   TimeMs now) {
  for (Condition& c : conditions) {
    if (c.type != type) continue;
    if (c.status != status) {
      c.status = status;
      c.last_transition_ms = now;
    }
    const bool reason_changed = c.reason != reason;
    if (reason_changed) c.reason = reason;
    if (c.message != message) c.message = message;
    return reason_changed;
  }
  conditions.push_back(Condition{std::string(type), std::string(status), std::string(reason),
                                 std::string(message), now});
  return true;
}

const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

}  // namespace gpusim::ctrl
