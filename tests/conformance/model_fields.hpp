#pragma once
// Vector fields that become model values, shared by the handlers that build pods, nodes and
// quotas (scoring, quota and toleration vectors). Errors throw VectorError naming the field.
#include <yaml-cpp/yaml.h>

#include <string>

#include "conformance.hpp"
#include "core/quantity.hpp"
#include "model/resources.hpp"
#include "model/taint.hpp"

namespace gpusim::conformance {

inline Quantity quantity(const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) throw VectorError(what + " must be a quantity string");
  const auto q = Quantity::parse(node.Scalar());
  if (!q) throw VectorError(what + ": not a quantity: '" + node.Scalar() + "'");
  return *q;
}

// A map of resource name to quantity; absent or null is empty.
inline ResourceQuantities resource_list(const YAML::Node& map, const std::string& what) {
  ResourceQuantities out;
  if (!map.IsDefined() || map.IsNull()) return out;
  if (!map.IsMap()) throw VectorError(what + " must be a map of resource quantities");
  for (const auto& kv : map) {
    const std::string name = kv.first.as<std::string>();
    out[name] = quantity(kv.second, what + "." + name);
  }
  return out;
}

// The `effect` of a taint or toleration; absent or empty is kNone (a toleration of every effect).
inline TaintEffect effect_of(const YAML::Node& map) {
  if (!has_field(map, "effect")) return TaintEffect::kNone;
  const std::string e = string_field(map, "effect");
  if (e.empty()) return TaintEffect::kNone;
  if (e == "NoSchedule") return TaintEffect::kNoSchedule;
  if (e == "PreferNoSchedule") return TaintEffect::kPreferNoSchedule;
  if (e == "NoExecute") return TaintEffect::kNoExecute;
  throw VectorError("unknown effect '" + e + "'");
}

}  // namespace gpusim::conformance
