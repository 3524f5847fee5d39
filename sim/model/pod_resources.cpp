#include "model/pod_resources.hpp"

#include <charconv>
#include <stdexcept>

namespace gpusim {
namespace {

using Getter = const ResourceQuantities& (*)(const Container&);
const ResourceQuantities& requests_of(const Container& c) {
  return c.resources.requests;
}
const ResourceQuantities& limits_of(const Container& c) {
  return c.resources.limits;
}

void add_into(ResourceQuantities& into, const ResourceQuantities& from) {
  for (const auto& [name, q] : from) {
    auto it = into.find(name);
    if (it == into.end()) {
      into.emplace(name, q);
    } else {
      it->second += q;
    }
  }
}

void max_into(ResourceQuantities& into, const ResourceQuantities& from) {
  for (const auto& [name, q] : from) {
    auto it = into.find(name);
    if (it == into.end()) {
      into.emplace(name, q);
    } else if (it->second < q) {
      it->second = q;
    }
  }
}

ResourceQuantities effective(const PodSpec& spec, Getter get) {
  ResourceQuantities sum;
  for (const auto& c : spec.containers)
    add_into(sum, get(c));
  ResourceQuantities sidecars;
  ResourceQuantities init_max;
  for (const auto& c : spec.init_containers) {
    if (c.restartable) {
      add_into(sum, get(c));
      add_into(sidecars, get(c));
      max_into(init_max, sidecars);
    } else {
      ResourceQuantities candidate = get(c);
      add_into(candidate, sidecars);
      max_into(init_max, candidate);
    }
  }
  max_into(sum, init_max);
  return sum;
}

std::int64_t nonzero(const PodSpec& spec, std::string_view name, std::int64_t dflt) {
  auto one = [&](const Container& c) -> std::int64_t {
    auto it = c.resources.requests.find(name);
    if (it == c.resources.requests.end()) return dflt;
    return to_units(name, it->second);
  };
  std::int64_t sum = 0;
  for (const auto& c : spec.containers)
    sum += one(c);
  std::int64_t sidecars = 0;
  std::int64_t init_max = 0;
  for (const auto& c : spec.init_containers) {
    if (c.restartable) {
      sum += one(c);
      sidecars += one(c);
      init_max = std::max(init_max, sidecars);
    } else {
      init_max = std::max(init_max, one(c) + sidecars);
    }
  }
  std::int64_t total = std::max(sum, init_max);
  auto oh = spec.overhead.find(name);
  if (oh != spec.overhead.end()) total += to_units(name, oh->second);
  return total;
}

int parse_int_annotation(const Annotations& a, const char* key, int dflt) {
  auto it = a.find(key);
  if (it == a.end()) return dflt;
  int v = 0;
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) {
    throw std::invalid_argument(std::string("annotation ") + key +
                                ": not a non-negative integer: \"" + s + "\"");
  }
  return v;
}

}  // namespace

ResourceQuantities effective_requests(const PodSpec& spec) {
  ResourceQuantities r = effective(spec, requests_of);
  add_into(r, spec.overhead);
  return r;
}

ResourceQuantities effective_limits(const PodSpec& spec) {
  ResourceQuantities l = effective(spec, limits_of);
  for (const auto& [name, q] : spec.overhead) {
    auto it = l.find(name);
    if (it != l.end()) it->second += q;
  }
  return l;
}

std::int64_t nonzero_cpu_milli(const PodSpec& spec) {
  if (spec.containers.empty() && spec.init_containers.empty()) return 0;
  return nonzero(spec, kCpu, kDefaultNonZeroCpuMilli);
}

std::int64_t nonzero_memory_bytes(const PodSpec& spec) {
  if (spec.containers.empty() && spec.init_containers.empty()) return 0;
  return nonzero(spec, kMemory, kDefaultNonZeroMemoryBytes);
}

QosClass qos_class(const PodSpec& spec) {
  bool any = false;
  bool guaranteed = true;
  auto visit = [&](const Container& c) {
    for (auto name : {kCpu, kMemory}) {
      auto rq = c.resources.requests.find(name);
      auto lm = c.resources.limits.find(name);
      const bool has_req = rq != c.resources.requests.end() && rq->second.sign() > 0;
      const bool has_lim = lm != c.resources.limits.end() && lm->second.sign() > 0;
      if (has_req || has_lim) any = true;
      if (!has_lim) {
        guaranteed = false;
      } else if (has_req && !(rq->second == lm->second)) {
        guaranteed = false;
      }
    }
  };
  for (const auto& c : spec.containers)
    visit(c);
  for (const auto& c : spec.init_containers)
    visit(c);
  if (!any) return QosClass::kBestEffort;
  return guaranteed ? QosClass::kGuaranteed : QosClass::kBurstable;
}

const char* to_string(QosClass qos) {
  switch (qos) {
    case QosClass::kGuaranteed:
      return "Guaranteed";
    case QosClass::kBurstable:
      return "Burstable";
    case QosClass::kBestEffort:
      return "BestEffort";
  }
  return "BestEffort";
}

PodResources compute_pod_resources(const PodSpec& spec, const Annotations& annotations) {
  PodResources r;
  r.requests = ResourceAmounts::from_quantities(effective_requests(spec));
  r.limits = ResourceAmounts::from_quantities(effective_limits(spec));
  // Extended resources given only as limits default their request to the limit.
  for (const auto& [name, units] : r.limits.entries()) {
    if (!is_native_resource(name) && !r.requests.has(name)) r.requests.set(name, units);
  }
  r.nonzero_cpu_milli = nonzero_cpu_milli(spec);
  r.nonzero_memory_bytes = nonzero_memory_bytes(spec);
  r.qos = qos_class(spec);

  const auto whole = static_cast<int>(r.requests.get(kNvidiaGpu));
  const int milli = parse_int_annotation(annotations, kAnnotationGpuMilli, 0);
  const int count = parse_int_annotation(annotations, kAnnotationGpuCount, milli > 0 ? 1 : whole);
  if (milli > 1000) {
    throw std::invalid_argument(std::string("annotation ") + kAnnotationGpuMilli +
                                ": must be 1..1000 (milli-GPU of one device)");
  }
  r.gpu.count = std::max(count, whole);
  r.gpu.milli_per_gpu = r.gpu.count == 0 ? 0 : (milli > 0 ? milli : 1000);
  if (r.gpu.shared()) {
    // A share of one device is not a whole device: the device plugin, not the count, admits it.
    r.requests.set(kNvidiaGpu, 0);
  } else if (r.gpu.count > 0) {
    r.requests.set(kNvidiaGpu, r.gpu.count);
  }
  if (auto it = annotations.find(kAnnotationGpuModel); it != annotations.end()) {
    std::string_view s = it->second;
    while (!s.empty()) {
      const auto bar = s.find('|');
      auto part = s.substr(0, bar);
      if (!part.empty()) r.gpu.models.emplace_back(part);
      if (bar == std::string_view::npos) break;
      s.remove_prefix(bar + 1);
    }
  }
  return r;
}

}  // namespace gpusim
