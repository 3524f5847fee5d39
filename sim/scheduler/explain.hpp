#pragma once
// What `gpusim explain` shows: for one scheduling attempt, every node's filter verdict and every
// score plugin's raw, normalised and weighted score. Built only when a sink is attached.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/event_loop.hpp"

namespace gpusim::sched {

struct PluginScore {
  std::string plugin;
  std::int64_t raw = 0;
  std::int64_t normalized = 0;
  std::int64_t weighted = 0;
  std::int64_t weight = 0;
};

struct NodeVerdict {
  std::string node;
  bool feasible = false;
  std::string failed_plugin;         // first filter plugin that rejected the node
  std::vector<std::string> reasons;  // its reasons
  bool evaluated = true;             // false: not examined (percentageOfNodesToScore cut-off)
  std::vector<PluginScore> scores;
  std::int64_t total = 0;
};

struct AttemptRecord {
  TimeMs t_ms = 0;
  std::string pod;        // namespace/name
  std::uint64_t uid = 0;  // tells apart pods recreated under one name
  std::string profile;
  std::int32_t attempt = 0;
  std::string result;  // Scheduled, Unschedulable, Wait (gang), Rejected (quota)
  std::string node;
  std::vector<std::int32_t> gpu_devices;
  std::string message;
  std::vector<NodeVerdict> nodes;
  std::vector<std::string> victims;  // preemption
};

class ExplainSink {
 public:
  virtual ~ExplainSink() = default;
  virtual void record(AttemptRecord record) = 0;
};

}  // namespace gpusim::sched
