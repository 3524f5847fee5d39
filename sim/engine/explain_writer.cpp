#include "engine/explain_writer.hpp"

#include <nlohmann/json.hpp>

namespace gpusim::engine {

void ExplainWriter::record(sched::AttemptRecord r) {
  nlohmann::ordered_json j;
  j["t_ms"] = r.t_ms;
  j["pod"] = r.pod;
  j["uid"] = r.uid;
  j["profile"] = r.profile;
  j["attempt"] = r.attempt;
  j["result"] = r.result;
  if (!r.node.empty()) j["node"] = r.node;
  if (!r.gpu_devices.empty()) j["gpu_devices"] = r.gpu_devices;
  if (!r.message.empty()) j["message"] = r.message;
  if (!r.victims.empty()) j["victims"] = r.victims;
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const auto& v : r.nodes) {
    nlohmann::ordered_json n;
    n["node"] = v.node;
    n["feasible"] = v.feasible;
    if (!v.evaluated) n["evaluated"] = false;
    if (!v.failed_plugin.empty()) n["plugin"] = v.failed_plugin;
    if (!v.reasons.empty()) n["reasons"] = v.reasons;
    if (!v.scores.empty()) {
      nlohmann::ordered_json scores = nlohmann::ordered_json::array();
      for (const auto& s : v.scores) {
        scores.push_back({{"plugin", s.plugin},
                          {"raw", s.raw},
                          {"normalized", s.normalized},
                          {"weight", s.weight},
                          {"weighted", s.weighted}});
      }
      n["scores"] = scores;
      n["total"] = v.total;
    }
    nodes.push_back(std::move(n));
  }
  j["nodes"] = nodes;
  lines_ += j.dump();
  lines_ += '\n';
}

}  // namespace gpusim::engine
