#pragma once
// `gpusim get nodes|pods|deployments|hpa|quota RUNDIR --at TIME`: the state at a simulated time,
// rebuilt from the recorded files and printed the way kubectl prints it, with GPU columns.
#include <string>

#include "reports/explain_view.hpp"
#include "reports/label_query.hpp"
#include "reports/run_dir.hpp"

namespace gpusim::reports {

struct GetRequest {
  std::string kind;  // nodes, pods, deployments, hpa, quota (singular and short forms accepted)
  TimeMs at_ms = 0;
  OutputFormat format = OutputFormat::kTable;
  LabelQuery selector;
  std::string namespace_;  // empty: all namespaces
};

// Canonical kind for a user's word ("node", "no", "po", "deploy", "horizontalpodautoscalers",
// "resourcequota"...); empty when unknown.
std::string canonical_kind(const std::string& word);

// Throws std::invalid_argument when the run lacks what the kind needs or a selector is used
// where the run recorded no labels.
std::string get_resources(const RunDir& run, const GetRequest& req);

}  // namespace gpusim::reports
