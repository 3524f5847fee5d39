#include "model/taint.hpp"

#include <algorithm>

namespace gpusim {

const char* to_string(TaintEffect effect) {
  switch (effect) {
    case TaintEffect::kNone: return "";
    case TaintEffect::kNoSchedule: return "NoSchedule";
    case TaintEffect::kPreferNoSchedule: return "PreferNoSchedule";
    case TaintEffect::kNoExecute: return "NoExecute";
  }
  return "";
}

std::string Taint::str() const {
  std::string s = "{" + key;
  if (!value.empty()) s += "=" + value;
  s += std::string(":") + to_string(effect) + "}";
  return s;
}

bool Toleration::tolerates(const Taint& taint) const {
  if (effect != TaintEffect::kNone && effect != taint.effect) return false;
  if (!key.empty() && key != taint.key) return false;
  switch (op) {
    case TolerationOperator::kExists: return true;
    case TolerationOperator::kEqual: return value == taint.value;
    // Gt/Lt sit behind an alpha gate that is off by default: they never match.
    case TolerationOperator::kGt:
    case TolerationOperator::kLt: return false;
  }
  return false;
}

bool tolerates_any(const std::vector<Toleration>& tolerations, const Taint& taint) {
  return std::any_of(tolerations.begin(), tolerations.end(),
                     [&](const Toleration& t) { return t.tolerates(taint); });
}

}  // namespace gpusim
