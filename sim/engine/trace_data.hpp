#pragma once
// A GPU cluster trace in memory (the openb format of the Alibaba GPU trace, read by
// sim/scenario/openb_trace): the nodes and the pods' requests, in file order.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gpusim::engine {

struct TraceNode {
  std::string name;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  std::int32_t gpus = 0;
  std::string model;  // empty for CPU-only nodes
  int line = 0;
};

struct TracePod {
  std::string name;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  std::int32_t num_gpu = 0;
  std::int32_t gpu_milli = 0;           // per device; 1000 for whole devices, 0 without GPUs
  std::vector<std::string> gpu_models;  // gpu_spec split on '|'; empty = any model
  std::optional<std::int64_t> creation_s;
  std::optional<std::int64_t> deletion_s;
  int line = 0;
  std::int64_t gpu_total_milli() const { return static_cast<std::int64_t>(num_gpu) * gpu_milli; }
};

struct TraceData {
  std::string node_file;
  std::string pod_file;
  std::vector<TraceNode> nodes;
  std::vector<TracePod> pods;
};

}  // namespace gpusim::engine
