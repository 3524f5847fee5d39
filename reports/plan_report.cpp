#include "reports/plan_report.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

namespace gpusim::reports {
namespace {

using json = nlohmann::ordered_json;

std::string money(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string signed_int(std::int64_t v) {
  return (v > 0 ? "+" : "") + std::to_string(v);
}

// "a100-count: +3 (5 -> 8)" per varied pool count, then the totals.
std::string delta_text(const json& plan) {
  const json& r = plan["result"];
  std::string out;
  for (const auto& v : plan["vary"]) {
    const std::string name = v["name"].get<std::string>();
    if (!v.contains("current") || !r["delta"].contains(name)) continue;
    const std::int64_t d = r["delta"][name].get<std::int64_t>();
    const std::int64_t cur = v["current"].get<std::int64_t>();
    out += (out.empty() ? "" : ", ") + name + " " + signed_int(d) + " (" + std::to_string(cur) +
           " -> " + std::to_string(cur + d) + ")";
  }
  out += std::string(out.empty() ? "" : "; ") + "nodes " +
         signed_int(r["delta_nodes"].get<std::int64_t>()) + ", cost per hour " +
         (r["delta_cost_per_hour"].get<double>() >= 0 ? "+" : "") +
         money(r["delta_cost_per_hour"].get<double>());
  return out;
}

std::string failed_text(const json& c, std::size_t seeds) {
  if (c["feasible"].get<bool>()) return "-";
  // Each failed expectation once, with the seeds it failed on when not all.
  std::vector<std::string> names;
  std::vector<std::set<std::uint64_t>> on;
  for (const auto& f : c["failed"]) {
    const std::string n = f["expectation"].get<std::string>();
    auto it = std::find(names.begin(), names.end(), n);
    if (it == names.end()) {
      names.push_back(n);
      on.emplace_back();
      it = names.end() - 1;
    }
    on[static_cast<std::size_t>(it - names.begin())].insert(f["seed"].get<std::uint64_t>());
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i ? ", " : "") + names[i];
    if (on[i].size() < seeds) {
      std::string s;
      for (auto seed : on[i])
        s += (s.empty() ? "" : ",") + std::to_string(seed);
      out += " (seed " + s + ")";
    }
  }
  return out;
}

std::string answer_text(const json& plan) {
  const json& r = plan["result"];
  if (!r["feasible"].get<bool>()) return "no candidate meets every expectation on every seed";
  std::string v;
  for (const auto& [k, val] : r["values"].items())
    v += (v.empty() ? "" : ", ") + k + "=" + val.get<std::string>();
  return v + ": " + std::to_string(r["nodes"].get<std::int64_t>()) + " nodes, cost per hour " +
         money(r["cost_per_hour"].get<double>());
}

struct Row {
  std::vector<std::string> cells;
};

std::vector<std::string> header(const json& plan) {
  std::vector<std::string> h{"step"};
  for (const auto& v : plan["vary"])
    h.push_back(v["name"].get<std::string>());
  for (const char* c : {"nodes", "cost/h", "feasible", "failed expectations"})
    h.push_back(c);
  return h;
}

std::vector<Row> rows(const json& plan) {
  std::vector<Row> out;
  const std::size_t seeds = plan["seeds"].size();
  const std::string best = plan["result"].value("id", "");
  for (const auto& c : plan["candidates"]) {
    Row r;
    r.cells.push_back(std::to_string(c["step"].get<std::int64_t>()));
    for (const auto& v : plan["vary"])
      r.cells.push_back(c["values"][v["name"].get<std::string>()].get<std::string>());
    r.cells.push_back(std::to_string(c["nodes"].get<std::int64_t>()));
    r.cells.push_back(money(c["cost_per_hour"].get<double>()));
    r.cells.push_back(c["id"].get<std::string>() == best ? "yes (best)"
                      : c["feasible"].get<bool>()        ? "yes"
                                                         : "no");
    r.cells.push_back(failed_text(c, seeds));
    out.push_back(std::move(r));
  }
  return out;
}

std::string escape_md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string plan_markdown(const json& plan) {
  std::string md = "# Capacity plan: " + plan["scenario"].get<std::string>() + "\n\n";
  md += "Objective: " + plan["objective"].get<std::string>() + "; seeds:";
  for (const auto& s : plan["seeds"])
    md += " " + std::to_string(s.get<std::uint64_t>());
  if (!plan["load_multiplier"].is_null())
    md += "; load multiplier " + plan["load_multiplier"].get<std::string>();
  md += "; search: " + plan["method"].get<std::string>() + ".\n\n";
  md += "**Answer:** " + answer_text(plan) + "\n\n";
  if (plan["result"]["feasible"].get<bool>())
    md += "**Change from the scenario:** " + delta_text(plan) + "\n\n";
  md += "Expectations (every one must hold on every seed):\n\n";
  for (const auto& e : plan["expectations"])
    md += "- `" + e["name"].get<std::string>() + "`: `" + e["expr"].get<std::string>() + "`\n";
  md += "\n## Candidates\n\n";
  const auto h = header(plan);
  md += "|";
  for (const auto& c : h)
    md += " " + escape_md(c) + " |";
  md += "\n|";
  for (std::size_t i = 0; i < h.size(); ++i)
    md += "---|";
  md += "\n";
  for (const auto& r : rows(plan)) {
    md += "|";
    for (const auto& c : r.cells)
      md += " " + escape_md(c) + " |";
    md += "\n";
  }
  md += "\n";
  for (const auto& n : plan["notes"])
    md += "- " + n.get<std::string>() + "\n";
  return md;
}

std::string plan_table(const json& plan) {
  const auto h = header(plan);
  const auto rs = rows(plan);
  std::vector<std::size_t> w(h.size());
  for (std::size_t i = 0; i < h.size(); ++i)
    w[i] = h[i].size();
  for (const auto& r : rs) {
    for (std::size_t i = 0; i < r.cells.size(); ++i)
      w[i] = std::max(w[i], r.cells[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      s += cells[i];
      if (i + 1 < cells.size()) s += std::string(w[i] - cells[i].size() + 2, ' ');
    }
    return s + "\n";
  };
  std::string out = line(h);
  for (const auto& r : rs)
    out += line(r.cells);
  for (const auto& n : plan["notes"])
    out += "note: " + n.get<std::string>() + "\n";
  out += "answer: " + answer_text(plan) + "\n";
  if (plan["result"]["feasible"].get<bool>()) out += "change: " + delta_text(plan) + "\n";
  return out;
}

}  // namespace gpusim::reports
