#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/diagnostics.hpp"
#include "core/event_loop.hpp"

namespace gpusim {

using Labels = std::map<std::string, std::string, std::less<>>;
using Annotations = std::map<std::string, std::string, std::less<>>;

struct OwnerReference {
  std::string kind;  // ReplicaSet, Job, Deployment, CronJob, PyTorchJob, Node
  std::string name;
  std::uint64_t uid = 0;
  bool controller = true;
};

struct ObjectMeta {
  std::string name;
  std::string generate_name;
  std::string namespace_;  // empty for cluster-scoped objects
  Labels labels;
  Annotations annotations;
  std::uint64_t uid = 0;  // assigned by the cluster store, in creation order
  TimeMs creation_ms = 0;
  std::optional<TimeMs> deletion_ms;  // deletionTimestamp
  std::optional<OwnerReference> owner;
  std::int64_t generation = 1;
  SourceLocation source;  // where the object came from (file:line), empty if created at run time

  // "namespace/name", or "name" for cluster-scoped objects.
  std::string key() const { return namespace_.empty() ? name : namespace_ + "/" + name; }
  const std::string* annotation(std::string_view k) const {
    auto it = annotations.find(k);
    return it == annotations.end() ? nullptr : &it->second;
  }
};

}  // namespace gpusim
