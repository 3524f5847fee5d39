#include "model/taint.hpp"

#include <algorithm>
#include <charconv>

namespace gpusim {

const char* to_string(TaintEffect effect) {
  switch (effect) {
    case TaintEffect::kNone:
      return "";
    case TaintEffect::kNoSchedule:
      return "NoSchedule";
    case TaintEffect::kPreferNoSchedule:
      return "PreferNoSchedule";
    case TaintEffect::kNoExecute:
      return "NoExecute";
  }
  return "";
}

std::string Taint::str() const {
  std::string s = "{" + key;
  if (!value.empty()) s += "=" + value;
  s += std::string(":") + to_string(effect) + "}";
  return s;
}

namespace {

// A canonical base-10 int64: optional '-', no '+', no leading zero, no spaces.
std::optional<std::int64_t> canonical_int64(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  if (s[i] == '0' && s.size() > i + 1) return std::nullopt;
  if (s == "-0") return std::nullopt;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

bool Toleration::tolerates(const Taint& taint, bool comparison_operators) const {
  if (effect != TaintEffect::kNone && effect != taint.effect) return false;
  if (!key.empty() && key != taint.key) return false;
  switch (op) {
    case TolerationOperator::kExists:
      return true;
    case TolerationOperator::kEqual:
      return value == taint.value;
    case TolerationOperator::kGt:
    case TolerationOperator::kLt: {
      // Alpha gate TaintTolerationComparisonOperators, off by default: never match.
      if (!comparison_operators) return false;
      const auto mine = canonical_int64(value);
      const auto theirs = canonical_int64(taint.value);
      if (!mine || !theirs) return false;
      return op == TolerationOperator::kGt ? *theirs > *mine : *theirs < *mine;
    }
  }
  return false;
}

bool tolerates_any(const std::vector<Toleration>& tolerations, const Taint& taint) {
  return std::any_of(tolerations.begin(), tolerations.end(),
                     [&](const Toleration& t) { return t.tolerates(taint); });
}

}  // namespace gpusim
