#include "scenario/sweep_overrides.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/parse_int.hpp"
#include "core/quantity.hpp"
#include "scheduler/plugins/gpu_scoring.hpp"

namespace gpusim::scenario {
namespace {

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "<namespace>/<name>.<rest>" after a prefix; false when a part is empty.
bool split_object(const std::string& s, std::string& ns, std::string& name, std::string& rest) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) return false;
  ns = s.substr(0, slash);
  const auto dot = s.find('.', slash + 1);
  if (dot == std::string::npos) return false;
  name = s.substr(slash + 1, dot - slash - 1);
  rest = s.substr(dot + 1);
  return !ns.empty() && !name.empty() && !rest.empty();
}

}  // namespace

std::optional<AxisTarget> parse_axis_name(const std::string& name, std::string* why) {
  AxisTarget t;
  const std::pair<const char*, AxisKind> plain[] = {{"policy", AxisKind::kPolicy},
                                                    {"seed", AxisKind::kSeed},
                                                    {"scenario", AxisKind::kScenario},
                                                    {"load.multiplier", AxisKind::kLoadMultiplier}};
  for (const auto& [n, kind] : plain) {
    if (name == n) {
      t.kind = kind;
      return t;
    }
  }
  if (name.rfind("nodepool/", 0) == 0) {
    const std::string rest = name.substr(9);
    const auto dot = rest.rfind('.');
    if (dot == std::string::npos || dot == 0) {
      *why = "expected nodepool/<pool>.count or nodepool/<pool>.gpuModel";
      return std::nullopt;
    }
    t.pool = rest.substr(0, dot);
    const std::string field = rest.substr(dot + 1);
    if (field == "count") {
      t.kind = AxisKind::kPoolCount;
    } else if (field == "gpuModel") {
      t.kind = AxisKind::kPoolGpuModel;
    } else {
      *why = "a node pool axis sets count or gpuModel, not \"" + field + "\"";
      return std::nullopt;
    }
    return t;
  }
  if (name.rfind("quota/", 0) == 0) {
    std::string rest;
    if (!split_object(name.substr(6), t.ns, t.object, rest) || rest.rfind("hard.", 0) != 0 ||
        rest.size() <= 5) {
      *why = "expected quota/<namespace>/<name>.hard.<resource>";
      return std::nullopt;
    }
    t.kind = AxisKind::kQuotaHard;
    t.resource = rest.substr(5);
    return t;
  }
  if (name.rfind("hpa/", 0) == 0) {
    std::string rest;
    if (!split_object(name.substr(4), t.ns, t.object, rest)) {
      *why = "expected hpa/<namespace>/<name>.targetUtilization, .minReplicas or .maxReplicas";
      return std::nullopt;
    }
    if (rest == "targetUtilization") {
      t.kind = AxisKind::kHpaTarget;
    } else if (rest == "minReplicas") {
      t.kind = AxisKind::kHpaMinReplicas;
    } else if (rest == "maxReplicas") {
      t.kind = AxisKind::kHpaMaxReplicas;
    } else {
      *why = "an HPA axis sets targetUtilization, minReplicas or maxReplicas, not \"" + rest + "\"";
      return std::nullopt;
    }
    return t;
  }
  *why = "unknown axis \"" + name + "\"";
  return std::nullopt;
}

bool axis_is_integer(const AxisTarget& t) {
  switch (t.kind) {
    case AxisKind::kSeed:
    case AxisKind::kPoolCount:
    case AxisKind::kHpaTarget:
    case AxisKind::kHpaMinReplicas:
    case AxisKind::kHpaMaxReplicas:
      return true;
    default:
      return false;
  }
}

bool same_hpa(const AxisTarget& a, const AxisTarget& b) {
  auto hpa = [](const AxisTarget& t) {
    return t.kind == AxisKind::kHpaTarget || t.kind == AxisKind::kHpaMinReplicas ||
           t.kind == AxisKind::kHpaMaxReplicas;
  };
  return hpa(a) && hpa(b) && a.ns == b.ns && a.object == b.object;
}

std::optional<std::string> canonical_axis_value(const AxisTarget& t, const std::string& value,
                                                std::string* why) {
  switch (t.kind) {
    case AxisKind::kPolicy: {
      std::string p = sched::canonical_policy(value);
      if (p.empty()) {
        *why = "unknown GPU policy \"" + value +
               "\" (Random, DotProduct, GpuClustering, GpuPacking, BestFit, FGD)";
        return std::nullopt;
      }
      return p;
    }
    case AxisKind::kSeed: {
      auto v = parse_int64(value);
      if (!v || *v < 0) {
        *why = "a seed is a non-negative integer, got \"" + value + "\"";
        return std::nullopt;
      }
      return std::to_string(*v);
    }
    case AxisKind::kPoolCount:
    case AxisKind::kHpaMinReplicas:
    case AxisKind::kHpaMaxReplicas:
    case AxisKind::kHpaTarget: {
      auto v = parse_int64(value);
      const std::int64_t lo = t.kind == AxisKind::kPoolCount ? 0 : 1;
      if (!v || *v < lo || *v > 1'000'000) {
        *why = "expected an integer from " + std::to_string(lo) + ", got \"" + value + "\"";
        return std::nullopt;
      }
      return std::to_string(*v);
    }
    case AxisKind::kLoadMultiplier: {
      auto v = parse_number(value);
      if (!v || *v <= 0) {
        *why = "a load multiplier is a number greater than 0, got \"" + value + "\"";
        return std::nullopt;
      }
      return value;
    }
    case AxisKind::kQuotaHard: {
      auto q = Quantity::parse(value);
      if (!q || q->sign() < 0) {
        *why = "expected a non-negative quantity such as 8, 500m or 64Gi, got \"" + value + "\"";
        return std::nullopt;
      }
      return value;
    }
    case AxisKind::kScenario:
    case AxisKind::kPoolGpuModel:
      if (value.empty()) {
        *why = "must not be empty";
        return std::nullopt;
      }
      return value;
  }
  return value;
}

std::string apply_override(engine::Scenario& s, const AxisTarget& t, const std::string& value) {
  auto& spec = s.simulation;
  switch (t.kind) {
    case AxisKind::kPolicy:
      spec.policy = value;
      return {};
    case AxisKind::kSeed:
      spec.seed = static_cast<std::uint64_t>(*parse_int64(value));
      spec.seed_set = true;
      return {};
    case AxisKind::kScenario:
      return {};
    case AxisKind::kPoolCount:
    case AxisKind::kPoolGpuModel:
      for (auto& pool : spec.node_pools) {
        if (pool.name != t.pool) continue;
        if (t.kind == AxisKind::kPoolGpuModel) {
          pool.gpu_model = value;
          return {};
        }
        const auto n = static_cast<std::int32_t>(*parse_int64(value));
        pool.count = n;
        // An autoscaled pool starts at `count`; its bounds must still hold it.
        if (pool.autoscaling) {
          pool.autoscaling->min_size = std::min(pool.autoscaling->min_size, n);
          pool.autoscaling->max_size = std::max(pool.autoscaling->max_size, n);
        }
        return {};
      }
      return "the scenario has no node pool \"" + t.pool + "\"";
    case AxisKind::kLoadMultiplier: {
      const double m = *parse_number(value);
      for (auto& l : spec.load)
        l.rate.scale *= m;
      for (auto& a : spec.arrivals) {
        if (a.process == engine::ArrivalProcess::kPoisson) a.rate_per_hour *= m;
        if (a.process == engine::ArrivalProcess::kInterval && a.interval_ms > 0) {
          a.interval_ms = std::max<TimeMs>(
              1, static_cast<TimeMs>(std::llround(static_cast<double>(a.interval_ms) / m)));
        }
      }
      if (spec.trace) spec.trace->inflate *= m;
      if (spec.load.empty() && spec.arrivals.empty() && !spec.trace) {
        return "the scenario has no load, arrivals or trace for load.multiplier to scale";
      }
      return {};
    }
    case AxisKind::kQuotaHard:
      for (auto& q : s.quotas) {
        if (q.meta.namespace_ != t.ns || q.meta.name != t.object) continue;
        q.hard[t.resource] = *Quantity::parse(value);
        return {};
      }
      return "the scenario has no ResourceQuota " + t.ns + "/" + t.object;
    case AxisKind::kHpaTarget:
    case AxisKind::kHpaMinReplicas:
    case AxisKind::kHpaMaxReplicas:
      for (auto& h : s.hpas) {
        if (h.meta.namespace_ != t.ns || h.meta.name != t.object) continue;
        const auto v = static_cast<std::int32_t>(*parse_int64(value));
        if (t.kind == AxisKind::kHpaMinReplicas) {
          h.min_replicas = v;
        } else if (t.kind == AxisKind::kHpaMaxReplicas) {
          h.max_replicas = v;
        } else {
          bool any = false;
          for (auto& m : h.metrics) {
            if (m.target.type == MetricTargetType::kUtilization) {
              m.target.average_utilization = v;
              any = true;
            }
          }
          if (!any)
            return "HorizontalPodAutoscaler " + t.ns + "/" + t.object +
                   " has no Utilization target";
        }
        return {};
      }
      return "the scenario has no HorizontalPodAutoscaler " + t.ns + "/" + t.object;
  }
  return {};
}

std::string check_overridden(const engine::Scenario& s, const AxisTarget& t) {
  if (t.kind != AxisKind::kHpaMinReplicas && t.kind != AxisKind::kHpaMaxReplicas) return {};
  for (const auto& h : s.hpas) {
    if (h.meta.namespace_ != t.ns || h.meta.name != t.object) continue;
    if (h.min_replicas.value_or(1) > h.max_replicas) {
      return "HorizontalPodAutoscaler " + t.ns + "/" + t.object + ": minReplicas " +
             std::to_string(h.min_replicas.value_or(1)) + " would exceed maxReplicas " +
             std::to_string(h.max_replicas);
    }
  }
  return {};
}

}  // namespace gpusim::scenario
