#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/event_loop.hpp"

namespace gpusim {

enum class TaintEffect { kNone, kNoSchedule, kPreferNoSchedule, kNoExecute };

struct Taint {
  std::string key;
  std::string value;
  TaintEffect effect = TaintEffect::kNoSchedule;
  std::optional<TimeMs> time_added_ms;
  bool operator==(const Taint& o) const {
    return key == o.key && value == o.value && effect == o.effect;
  }
  // "{key=value:Effect}" as the scheduler prints untolerated taints.
  std::string str() const;
};

enum class TolerationOperator { kEqual, kExists, kGt, kLt };

struct Toleration {
  std::string key;  // empty matches every key (only with Exists)
  TolerationOperator op = TolerationOperator::kEqual;
  std::string value;
  TaintEffect effect = TaintEffect::kNone;  // kNone matches every effect
  std::optional<std::int64_t> toleration_seconds;

  bool tolerates(const Taint& taint) const { return tolerates(taint, false); }
  // With the alpha gate TaintTolerationComparisonOperators on, Gt/Lt compare canonical int64
  // values (taint > / < toleration); off (the default) they never match.
  bool tolerates(const Taint& taint, bool comparison_operators) const;
};

bool tolerates_any(const std::vector<Toleration>& tolerations, const Taint& taint);
const char* to_string(TaintEffect effect);

// Well-known taints the node lifecycle controller manages.
inline constexpr const char* kTaintNotReady = "node.kubernetes.io/not-ready";
inline constexpr const char* kTaintUnreachable = "node.kubernetes.io/unreachable";
inline constexpr const char* kTaintUnschedulable = "node.kubernetes.io/unschedulable";

}  // namespace gpusim
