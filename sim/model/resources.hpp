#pragma once
// Resource amounts. Manifests keep exact Quantities (their formats matter for quota messages);
// everything that computes uses fixed-point integers in the scheduler's units: cpu in milli-CPU,
// memory and ephemeral-storage in bytes, pods and extended resources as whole counts (Value()).
// GPU sharing is milli-GPU per device (see GpuRequest in pod.hpp).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/quantity.hpp"

namespace gpusim {

inline constexpr std::string_view kCpu = "cpu";
inline constexpr std::string_view kMemory = "memory";
inline constexpr std::string_view kEphemeralStorage = "ephemeral-storage";
// Not kPods: GCC 12 reports the scoped enumerators named kPods as shadowing it.
inline constexpr std::string_view kResourcePods = "pods";
inline constexpr std::string_view kNvidiaGpu = "nvidia.com/gpu";

// Defaults the scheduler's scoring assumes for containers that do not mention cpu or memory.
inline constexpr std::int64_t kDefaultNonZeroCpuMilli = 100;
inline constexpr std::int64_t kDefaultNonZeroMemoryBytes = 200LL * 1024 * 1024;

// Exact quantities by resource name, in name order (as the API serialises them).
using ResourceQuantities = std::map<std::string, Quantity, std::less<>>;

// True for cpu, memory, ephemeral-storage and pods; every other name is a scalar/extended
// resource (nvidia.com/gpu, hugepages-*, example.com/foo).
bool is_native_resource(std::string_view name);
bool is_hugepages(std::string_view name);
// Extended resources in upstream's sense: a domain-prefixed name outside kubernetes.io.
bool is_extended_resource(std::string_view name);

// The integer a resource is computed in: MilliValue for cpu, Value for the rest.
std::int64_t to_units(std::string_view name, const Quantity& q);
Quantity from_units(std::string_view name, std::int64_t units);

// Integer amounts by name, sorted by name; small and cheap to copy.
class ResourceAmounts {
 public:
  using Entry = std::pair<std::string, std::int64_t>;
  ResourceAmounts() = default;
  static ResourceAmounts from_quantities(const ResourceQuantities& q);

  std::int64_t get(std::string_view name) const;
  bool has(std::string_view name) const;
  void set(std::string_view name, std::int64_t units);
  void add(std::string_view name, std::int64_t units);
  ResourceAmounts& operator+=(const ResourceAmounts& other);
  ResourceAmounts& operator-=(const ResourceAmounts& other);
  // Per name max(this, other).
  void max_with(const ResourceAmounts& other);
  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  bool operator==(const ResourceAmounts&) const = default;

 private:
  std::vector<Entry> entries_;
};

}  // namespace gpusim
