#include "reports/explain_view.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

#include "core/diagnostics.hpp"
#include "core/duration.hpp"
#include "reports/format.hpp"
#include "reports/metrics.hpp"

namespace gpusim::reports {

using ojson = nlohmann::ordered_json;

OutputFormat parse_output_format(const std::string& s, const std::string& flag) {
  if (s.empty() || s == "table") return OutputFormat::kTable;
  if (s == "wide") return OutputFormat::kWide;
  if (s == "json") return OutputFormat::kJson;
  if (s == "yaml") return OutputFormat::kYaml;
  throw std::invalid_argument(flag + " " + s + ": expected table, wide, json or yaml");
}

namespace {

std::string pod_name(const std::string& key) {
  return key.substr(key.find('/') + 1);
}

// Events about the pod: its own, and admission rejections that name it.
std::vector<const RunEvent*> pod_events(const RunDir& run, const std::string& key) {
  std::vector<const RunEvent*> out;
  // A pod's refusal names it as `pods "name"` (a refused Job of the same name does not).
  const std::string quoted = "pods \"" + pod_name(key) + "\"";
  const std::string ns = key.substr(0, key.find('/'));
  for (const auto& e : run.events()) {
    // Controllers' events name the controller (a Job called like the pod is not the pod).
    if ((e.object == key && e.kind == "Pod") || (e.type == "FailedCreate" && e.namespace_() == ns &&
                                                 e.message.find(quoted) != std::string::npos)) {
      out.push_back(&e);
    }
  }
  return out;
}

// Runs recorded before explain.jsonl carried "weight" give it only where the normalised score
// is not 0 (weighted / normalised).
std::string weight_of(const ojson& s) {
  if (s.contains("weight")) return std::to_string(s.value("weight", 0));
  const std::int64_t n = s.value("normalized", 0), w = s.value("weighted", 0);
  if (n == 0) return "";
  return std::to_string(w / n);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v)
    s += (s.empty() ? "" : sep) + x;
  return s;
}

void render_attempt(const ojson& a, bool wide, std::string& out) {
  out += "Attempt " + std::to_string(a.value("attempt", 0)) + " at " +
         format_duration(a.value("t_ms", TimeMs{0})) + " (profile " +
         a.value("profile", std::string("default-scheduler")) +
         "): " + a.value("result", std::string());
  if (a.contains("node")) out += " on " + a.value("node", std::string());
  if (a.contains("gpu_devices")) {
    std::vector<std::string> d;
    for (const auto& x : a["gpu_devices"])
      d.push_back(std::to_string(x.get<int>()));
    out += " (GPU devices " + join(d, ",") + ")";
  }
  out += "\n";
  if (a.contains("message")) out += "  " + a.value("message", std::string()) + "\n";
  if (a.contains("victims") && !a["victims"].empty()) {
    std::vector<std::string> v;
    for (const auto& x : a["victims"])
      v.push_back(x.get<std::string>());
    out += "  preempting: " + join(v, ", ") + "\n";
  }
  const ojson nodes = a.value("nodes", ojson::array());
  // Feasible nodes, best score first: one column per score plugin.
  std::vector<const ojson*> feasible, rejected, skipped;
  std::vector<std::string> plugins;
  for (const auto& n : nodes) {
    if (!n.value("evaluated", true)) {
      skipped.push_back(&n);
    } else if (n.value("feasible", false)) {
      feasible.push_back(&n);
      for (const auto& s : n.value("scores", ojson::array())) {
        const std::string p = s.value("plugin", std::string());
        if (std::find(plugins.begin(), plugins.end(), p) == plugins.end()) plugins.push_back(p);
      }
    } else {
      rejected.push_back(&n);
    }
  }
  const std::string chosen = a.value("node", std::string());
  std::stable_sort(feasible.begin(), feasible.end(), [](const ojson* x, const ojson* y) {
    return x->value("total", 0) > y->value("total", 0);
  });
  // A plugin's weight is the same on every node.
  std::map<std::string, std::string> weights;
  for (const ojson* n : feasible) {
    for (const auto& s : n->value("scores", ojson::array())) {
      const std::string w = weight_of(s);
      if (!w.empty()) weights[s.value("plugin", std::string())] = w;
    }
  }
  if (!feasible.empty()) {
    out += "  feasible nodes (" + std::to_string(feasible.size()) +
           "), score = normalised x weight = weighted:\n";
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> head = {"NODE"};
    for (const auto& p : plugins)
      head.push_back(p);
    head.push_back("TOTAL");
    head.push_back("");
    rows.push_back(head);
    std::size_t shown = 0;
    for (const ojson* n : feasible) {
      if (!wide && shown == 10 && n->value("node", std::string()) != chosen) continue;
      ++shown;
      std::vector<std::string> r = {n->value("node", std::string())};
      for (const auto& p : plugins) {
        std::string c = "-";
        for (const auto& s : n->value("scores", ojson::array())) {
          if (s.value("plugin", std::string()) != p) continue;
          const auto w = weights.find(p);
          c = std::to_string(s.value("normalized", 0)) + "x" +
              (w == weights.end() ? std::string("?") : w->second) + "=" +
              std::to_string(s.value("weighted", 0));
        }
        r.push_back(c);
      }
      r.push_back(std::to_string(n->value("total", 0)));
      r.push_back(n->value("node", std::string()) == chosen && !chosen.empty() ? "<- chosen" : "");
      rows.push_back(r);
    }
    std::istringstream t(table_text(rows));
    for (std::string line; std::getline(t, line);) {
      while (!line.empty() && line.back() == ' ')
        line.pop_back();
      out += "    " + line + "\n";
    }
    if (shown < feasible.size())
      out += "    ... " + std::to_string(feasible.size() - shown) +
             " more feasible nodes (-o wide lists all)\n";
  }
  if (!rejected.empty()) {
    out += "  filtered out (" + std::to_string(rejected.size()) + "):\n";
    if (wide || rejected.size() <= 20) {
      std::vector<std::vector<std::string>> rows = {{"NODE", "PLUGIN", "REASON"}};
      for (const ojson* n : rejected) {
        std::vector<std::string> reasons;
        for (const auto& r : n->value("reasons", ojson::array()))
          reasons.push_back(r.get<std::string>());
        rows.push_back({n->value("node", std::string()), n->value("plugin", std::string()),
                        join(reasons, "; ")});
      }
      std::istringstream t(table_text(rows));
      for (std::string line; std::getline(t, line);) {
        while (!line.empty() && line.back() == ' ')
          line.pop_back();
        out += "    " + line + "\n";
      }
    } else {
      // Many nodes: grouped by plugin and reason, with a few examples.
      std::map<std::pair<std::string, std::string>, std::vector<std::string>> groups;
      for (const ojson* n : rejected) {
        std::vector<std::string> reasons;
        for (const auto& r : n->value("reasons", ojson::array()))
          reasons.push_back(r.get<std::string>());
        groups[{n->value("plugin", std::string()), join(reasons, "; ")}].push_back(
            n->value("node", std::string()));
      }
      std::vector<std::vector<std::string>> rows = {{"NODES", "PLUGIN", "REASON", "FOR EXAMPLE"}};
      for (const auto& [k, v] : groups) {
        std::vector<std::string> ex(
            v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, v.size())));
        rows.push_back({std::to_string(v.size()), k.first, k.second,
                        join(ex, ", ") + (v.size() > 3 ? ", ..." : "")});
      }
      std::istringstream t(table_text(rows));
      for (std::string line; std::getline(t, line);) {
        while (!line.empty() && line.back() == ' ')
          line.pop_back();
        out += "    " + line + "\n";
      }
    }
  }
  if (!skipped.empty()) {
    out +=
        "  not examined (percentageOfNodesToScore): " + std::to_string(skipped.size()) + " nodes\n";
  }
  out += "\n";
}

}  // namespace

ojson explain_json(const RunDir& run, const std::string& key) {
  ojson j;
  j["pod"] = key;
  if (const PodRecord* p = run.pod(key)) {
    ojson pj;
    pj["created_ms"] = p->created_ms;
    if (p->scheduled_ms) pj["scheduled_ms"] = *p->scheduled_ms;
    if (!p->node.empty()) pj["node"] = p->node;
    pj["phase"] = p->phase;
    pj["scheduling_attempts"] = p->scheduling_attempts;
    pj["wait_ms"] = pod_wait_ms(*p, run.end_ms());
    j["status"] = pj;
  }
  ojson attempts = ojson::array();
  int incarnation = 1;
  if (const std::string* text = run.explain_jsonl()) {
    std::istringstream in(*text);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      if (line.empty()) continue;
      // Only the pod's lines are parsed (explain.jsonl can be large); every line is at least
      // checked to be whole, so that damage elsewhere is not read as "no attempt recorded".
      ojson a;
      if (line.front() == '{' && line.back() == '}') {
        if (line.find("\"" + key + "\"") == std::string::npos) continue;
        a = ojson::parse(line, nullptr, false);
      }
      if (!a.is_object()) {
        throw std::invalid_argument(run.path() + "/explain.jsonl:" + std::to_string(n) +
                                    ": not a JSON object (the file is damaged)");
      }
      if (a.value("pod", std::string()) != key) continue;
      // Controllers recreate pods under the same name (PyTorchJob replicas, StatefulSet-like
      // names): each pod object is its own section. Runs recorded before the uid was written
      // tell them apart by the attempt counter starting again.
      if (!attempts.empty()) {
        const ojson& last = attempts.back();
        const bool new_pod = a.contains("uid") ? a["uid"] != last.value("uid", ojson())
                                               : a.value("attempt", 0) <= last.value("attempt", 0);
        if (new_pod) ++incarnation;
      }
      a["incarnation"] = incarnation;
      attempts.push_back(std::move(a));
    }
    j["explain_recorded"] = true;
  } else {
    j["explain_recorded"] = false;
    const auto& summary = run.summary();
    if (summary.contains("trace") && summary["trace"].is_object() &&
        summary["trace"].value("mode", std::string()) == "packing")
      j["packing_replay"] = true;
  }
  j["attempts"] = attempts;
  ojson events = ojson::array();
  ojson rejections = ojson::array();
  for (const RunEvent* e : pod_events(run, key)) {
    ojson ej{{"t_ms", e->t_ms},
             {"type", e->type},
             {"kind", e->kind},
             {"object", e->object},
             {"message", e->message}};
    if (!e->node.empty()) ej["node"] = e->node;
    if (e->type == "FailedCreate") {
      if (auto q = parse_quota_rejection(e->message)) {
        ej["quota"] = q->quota;
        ej["resource"] = q->resource;
      }
      rejections.push_back(ej);
    }
    events.push_back(std::move(ej));
  }
  j["rejections"] = rejections;
  j["events"] = events;
  return j;
}

ExplainResult explain_pod(const RunDir& run, const std::string& key, OutputFormat format) {
  ExplainResult r;
  const ojson j = explain_json(run, key);
  r.found = j.contains("status") || !j["attempts"].empty() || !j["events"].empty();
  if (!r.found) {
    std::vector<std::string> keys;
    for (const auto& p : run.pods())
      keys.push_back(p.key);
    const std::string near = closest_match(key, keys);
    if (!near.empty())
      r.hint = "did you mean " + near + "?";
    else if (key.find('/') == std::string::npos)
      r.hint = "pods are named namespace/name";
    return r;
  }
  if (format == OutputFormat::kJson) {
    r.text = j.dump(2) + "\n";
    return r;
  }
  if (format == OutputFormat::kYaml) {
    r.text = to_yaml(j);
    return r;
  }
  std::string out = "Pod " + key + "\n";
  if (j.contains("status")) {
    const auto& s = j["status"];
    out += "  created at " + format_duration(s.value("created_ms", TimeMs{0}));
    if (s.contains("scheduled_ms")) {
      out += ", bound at " + format_duration(s.value("scheduled_ms", TimeMs{0})) + " to " +
             s.value("node", std::string()) + " (waited " +
             format_duration(s.value("wait_ms", TimeMs{0})) + ")";
    } else {
      out += ", never bound (waited " + format_duration(s.value("wait_ms", TimeMs{0})) +
             " until it was deleted or the run ended)";
    }
    out += "; phase " + s.value("phase", std::string()) + "; " +
           std::to_string(s.value("scheduling_attempts", 0)) + " scheduling attempt(s)\n";
  } else {
    out += "  never created (every creation was rejected at admission)\n";
  }
  out += "\n";
  for (const auto& rej : j["rejections"]) {
    out += "Rejected at " + format_duration(rej.value("t_ms", TimeMs{0})) + " by admission";
    if (rej.contains("quota"))
      out += " (ResourceQuota " + rej.value("quota", std::string()) + ", resource " +
             rej.value("resource", std::string()) + ")";
    out += ": " + rej.value("message", std::string()) + "\n";
  }
  if (!j["rejections"].empty()) out += "\n";
  if (!j.value("explain_recorded", false)) {
    if (j.value("packing_replay", false)) {
      out +=
          "This run is a packing trace replay: each pod was tried once by the batch GPU placer, "
          "which\nkeeps no per-node filter and score records (a trace.mode: timed replay does, "
          "with --explain);\nplacement events:\n";
    } else {
      out +=
          "explain.jsonl is not in this run (record it with `gpusim run --explain`); scheduling "
          "events:\n";
    }
    for (const auto& e : j["events"]) {
      if (e.value("type", std::string()) == "FailedCreate") continue;
      out += "  " + format_duration(e.value("t_ms", TimeMs{0})) + "  " +
             e.value("type", std::string()) + "  " + e.value("message", std::string()) + "\n";
    }
  } else if (j["attempts"].empty()) {
    out += "No scheduling attempt was recorded for this pod.\n";
  } else {
    const int pods = j["attempts"].back().value("incarnation", 1);
    if (pods > 1) {
      out += std::to_string(pods) +
             " pods had this name in the run (a controller recreated it); their attempts follow, "
             "oldest first. The status above is the last one's.\n\n";
    }
    int shown = 0;
    for (const auto& a : j["attempts"]) {
      const int n = a.value("incarnation", 1);
      if (pods > 1 && n != shown) {
        out += "-- pod " + std::to_string(n) + " of " + std::to_string(pods) + " --\n";
        shown = n;
      }
      render_attempt(a, format == OutputFormat::kWide, out);
    }
  }
  r.text = out;
  return r;
}

}  // namespace gpusim::reports
