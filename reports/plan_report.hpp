#pragma once
// The capacity plan's report (`gpusim plan`), rendered from plan.json alone: the answer, the
// delta against the scenario's current cluster, and the frontier (every evaluated candidate with
// its nodes, cost and failed expectations).
#include <nlohmann/json.hpp>
#include <string>

namespace gpusim::reports {

std::string plan_markdown(const nlohmann::ordered_json& plan);
// A fixed-width table and the answer, for the terminal.
std::string plan_table(const nlohmann::ordered_json& plan);

}  // namespace gpusim::reports
