#include "model/resources.hpp"

#include <algorithm>

namespace gpusim {

bool is_native_resource(std::string_view name) {
  return name == kCpu || name == kMemory || name == kEphemeralStorage || name == kResourcePods;
}

bool is_hugepages(std::string_view name) {
  return name.starts_with("hugepages-");
}

bool is_extended_resource(std::string_view name) {
  const auto slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view domain = name.substr(0, slash);
  return domain != "kubernetes.io" && !domain.ends_with(".kubernetes.io") &&
         !name.starts_with("requests.");
}

std::int64_t to_units(std::string_view name, const Quantity& q) {
  return name == kCpu ? q.milli_value() : q.value();
}

Quantity from_units(std::string_view name, std::int64_t units) {
  if (name == kCpu) return Quantity::from_milli(units);
  if (name == kMemory || name == kEphemeralStorage || is_hugepages(name)) {
    return Quantity::from_int(units, Quantity::Format::kBinarySI);
  }
  return Quantity::from_int(units);
}

ResourceAmounts ResourceAmounts::from_quantities(const ResourceQuantities& q) {
  ResourceAmounts out;
  out.entries_.reserve(q.size());
  for (const auto& [name, quantity] : q)
    out.entries_.emplace_back(name, to_units(name, quantity));
  return out;
}

std::int64_t ResourceAmounts::get(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  return (it != entries_.end() && it->first == name) ? it->second : 0;
}

bool ResourceAmounts::has(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  return it != entries_.end() && it->first == name;
}

void ResourceAmounts::set(std::string_view name, std::int64_t units) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  if (it != entries_.end() && it->first == name) {
    it->second = units;
  } else {
    entries_.insert(it, Entry{std::string(name), units});
  }
}

void ResourceAmounts::add(std::string_view name, std::int64_t units) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  if (it != entries_.end() && it->first == name) {
    it->second += units;
  } else {
    entries_.insert(it, Entry{std::string(name), units});
  }
}

ResourceAmounts& ResourceAmounts::operator+=(const ResourceAmounts& other) {
  for (const auto& [name, units] : other.entries_)
    add(name, units);
  return *this;
}

ResourceAmounts& ResourceAmounts::operator-=(const ResourceAmounts& other) {
  for (const auto& [name, units] : other.entries_)
    add(name, -units);
  return *this;
}

void ResourceAmounts::max_with(const ResourceAmounts& other) {
  for (const auto& [name, units] : other.entries_) {
    if (!has(name) || get(name) < units) set(name, units);
  }
}

}  // namespace gpusim
