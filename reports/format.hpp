#pragma once
// Small text helpers shared by the writers: escaping, number formats, YAML from JSON.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gpusim::reports {

std::string html_escape(const std::string& s);
// A Markdown table cell: pipes escaped, newlines folded.
std::string md_escape(const std::string& s);
// "%.*f" with trailing zeros trimmed: 2.50 -> "2.5", 3.00 -> "3".
std::string fixed(double v, int decimals);
std::string percent(double fraction, int decimals = 1);
// Kubernetes-style binary quantity for bytes: 68719476736 -> "64Gi".
std::string bytes_quantity(std::int64_t bytes);
// Milli-CPU as kubectl prints it: 1500 -> "1500m", 2000 -> "2".
std::string cpu_quantity(std::int64_t milli);
// Percentile by nearest rank over sorted values (empty: 0).
double percentile_sorted(const std::vector<double>& sorted, double p);
// Block-style YAML of a JSON value (for -o yaml).
std::string to_yaml(const nlohmann::ordered_json& j);
// Pads or truncates for fixed-width tables.
std::string table_text(const std::vector<std::vector<std::string>>& rows);  // first row: header

}  // namespace gpusim::reports
