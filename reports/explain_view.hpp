#pragma once
// `gpusim explain RUNDIR POD`: every scheduling attempt of one pod from explain.jsonl (each
// node's filter verdict with the failing plugin and reason, each plugin's normalised and
// weighted score, the chosen node), plus quota rejections and scheduling events from
// events.jsonl. Without explain.jsonl it shows what pods.csv and events.jsonl say.
#include <nlohmann/json.hpp>
#include <string>

#include "reports/run_dir.hpp"

namespace gpusim::reports {

enum class OutputFormat { kTable, kWide, kJson, kYaml };
// "table" (or empty), "wide", "json", "yaml"; throws std::invalid_argument otherwise, naming
// `flag` as the user spelled it (get/explain take -o, check takes --format).
OutputFormat parse_output_format(const std::string& s, const std::string& flag = "-o");

struct ExplainResult {
  bool found = false;  // the pod (or a rejection of it) is in the run
  std::string text;    // rendered in the requested format
  std::string hint;    // when not found: "did you mean ..."
};

ExplainResult explain_pod(const RunDir& run, const std::string& pod, OutputFormat format);
// The explanation as data (what -o json prints).
nlohmann::ordered_json explain_json(const RunDir& run, const std::string& pod);

}  // namespace gpusim::reports
