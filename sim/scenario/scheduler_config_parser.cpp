#include "scenario/scheduler_config_parser.hpp"

#include <algorithm>
#include <set>

#include "scenario/fields.hpp"
#include "scheduler/plugin_registry.hpp"

namespace gpusim::scenario {
namespace {

constexpr std::size_t kMaxJsonNodes = 100'000;
// Aliases can make a YAML graph cyclic; real plugin arguments are a few levels deep.
constexpr int kMaxJsonDepth = 64;

// Upstream plugin names gpusim accepts without simulating them (volumes, cloud disk limits, DRA)
// besides those in the default plugin set.
const std::vector<std::string>& accepted_plugin_names() {
  static const std::vector<std::string> names = [] {
    std::set<std::string> all;
    for (const auto& n : sched::PluginRegistry::builtin().names())
      all.insert(n);
    for (const auto& e : sched::default_multipoint_plugins())
      all.insert(e.name);
    for (const char* n : {"EBSLimits", "GCEPDLimits", "AzureDiskLimits", "CinderLimits",
                          "DynamicResources", "NodeDeclaredFeatures"}) {
      all.insert(n);
    }
    return std::vector<std::string>(all.begin(), all.end());
  }();
  return names;
}

bool check_plugin_name(const Value& v, const std::string& name, bool allow_star) {
  if (allow_star && name == "*") return true;
  const auto& known = accepted_plugin_names();
  if (std::find(known.begin(), known.end(), name) != known.end()) return true;
  const std::string near = closest_match(name, known);
  v.error("unknown scheduler plugin \"" + name + "\"",
          near.empty() ? "gpusim validate lists no plugin of that name; see docs/scenario.md"
                       : "did you mean \"" + near + "\"?");
  return false;
}

bool json_of(const Value& v, nlohmann::json& out, std::size_t& budget, int depth) {
  if (budget == 0) return false;
  if (depth > kMaxJsonDepth) {
    v.error("nested more than 64 levels deep (a cyclic alias?)");
    return false;
  }
  --budget;
  const YAML::Node& n = v.node();
  if (!v.present()) {
    out = nullptr;
    return true;
  }
  if (n.IsMap()) {
    out = nlohmann::json::object();
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) {
        Value(&v.doc(), kv.first, v.path(), kv.first.Mark()).error("expected a string key");
        return false;
      }
      const std::string key = kv.first.Scalar();
      nlohmann::json child;
      Value cv(&v.doc(), kv.second, child_path(v.path(), key),
               kv.second.IsNull() ? kv.first.Mark() : kv.second.Mark());
      if (!json_of(cv, child, budget, depth + 1)) return false;
      out[key] = std::move(child);
    }
    return true;
  }
  if (n.IsSequence()) {
    out = nlohmann::json::array();
    for (const Value& item : v.items()) {
      nlohmann::json child;
      if (!json_of(item, child, budget, depth + 1)) return false;
      out.push_back(std::move(child));
    }
    return true;
  }
  switch (scalar_kind(n)) {
    case ScalarKind::kNull:
      out = nullptr;
      return true;
    case ScalarKind::kBool:
      out = *v.boolean();
      return true;
    case ScalarKind::kInt: {
      auto i = v.i64();
      if (!i) return false;
      out = *i;
      return true;
    }
    case ScalarKind::kFloat: {
      auto d = v.number();
      if (!d) return false;
      out = *d;
      return true;
    }
    case ScalarKind::kString:
      out = n.Scalar();
      return true;
  }
  return false;
}

sched::PluginSetSpec plugin_set(const Value& v, bool weights) {
  sched::PluginSetSpec set;
  Fields f(v);
  for (const Value& item : f.get("enabled").items()) {
    Fields pf(item);
    if (!pf.ok()) continue;
    sched::PluginEntry e;
    const Value name = pf.required("name");
    if (auto s = name.str()) {
      e.name = *s;
      check_plugin_name(name, *s, false);
    }
    const Value weight = pf.get("weight");
    if (auto w = weight.i32()) {
      if (!weights) {
        weight.warning("weights apply to score plugins only (ignored)");
      } else if (*w < 0) {
        weight.error("must be a positive number", "score plugin weights are 1..100 typically");
      } else if (*w > 0) {
        e.weight = *w;  // 0 is left unset: upstream's getScoreWeights makes both 1
      }
    }
    set.enabled.push_back(std::move(e));
  }
  for (const Value& item : f.get("disabled").items()) {
    Fields pf(item);
    if (!pf.ok()) continue;
    const Value name = pf.required("name");
    if (auto s = name.str()) {
      check_plugin_name(name, *s, true);
      set.disabled.push_back(*s);
    }
    pf.ignore({"weight"});
  }
  return set;
}

}  // namespace

std::optional<nlohmann::json> to_json(const Value& v) {
  nlohmann::json out;
  std::size_t budget = kMaxJsonNodes;
  if (!json_of(v, out, budget, 0)) {
    if (budget == 0) v.error("value is too large (more than 100000 YAML nodes, after aliases)");
    return std::nullopt;
  }
  return out;
}

sched::SchedulerConfig parse_scheduler_config(const Value& object) {
  sched::SchedulerConfig config;
  Fields f(object);
  if (!f.ok()) return config;
  f.ignore({"apiVersion", "kind", "parallelism", "leaderElection", "clientConnection",
            "healthzBindAddress", "metricsBindAddress", "enableProfiling",
            "enableContentionProfiling", "delayCacheUntilActive"});
  f.ignore_with_warning("extenders", "scheduler extenders");
  const Value pct = f.get("percentageOfNodesToScore");
  if (auto n = pct.i32()) {
    if (*n < 0 || *n > 100) pct.error("not in valid range [0-100]");
    config.percentage_of_nodes_to_score = *n;
  }
  const Value initial = f.get("podInitialBackoffSeconds");
  if (auto n = initial.i64()) {
    if (*n <= 0) initial.error("must be greater than 0");
    config.pod_initial_backoff_s = *n;
  }
  const Value max = f.get("podMaxBackoffSeconds");
  if (auto n = max.i64()) {
    if (*n <= 0) max.error("must be greater than 0");
    config.pod_max_backoff_s = *n;
  }
  if (config.pod_max_backoff_s < config.pod_initial_backoff_s) {
    (max.present() ? max : initial)
        .error("podMaxBackoffSeconds must be greater than or equal to podInitialBackoffSeconds");
  }
  const Value profiles = f.get("profiles");
  std::vector<sched::ProfileSpec> out;
  for (const Value& item : profiles.items()) {
    Fields pf(item);
    if (!pf.ok()) continue;
    sched::ProfileSpec p;
    const Value name = pf.get("schedulerName");
    if (auto s = name.str(); s && !s->empty()) p.scheduler_name = *s;
    for (const auto& prev : out) {
      if (prev.scheduler_name == p.scheduler_name) {
        (name.present() ? name : item)
            .error("duplicate profile \"" + p.scheduler_name + "\"",
                   "every profile needs its own schedulerName");
      }
    }
    const Value ppct = pf.get("percentageOfNodesToScore");
    if (auto n = ppct.i32()) {
      if (*n < 0 || *n > 100) ppct.error("not in valid range [0-100]");
      p.percentage_of_nodes_to_score = *n;
    }
    {
      Fields plugins(pf.get("plugins"));
      for (const char* point :
           {"multiPoint", "preEnqueue", "queueSort", "preFilter", "filter", "postFilter",
            "preScore", "score", "reserve", "permit", "preBind", "bind", "postBind"}) {
        const Value v = plugins.get(point);
        if (!v.present()) continue;
        const std::string pt(point);
        p.plugins[pt] = plugin_set(v, pt == "score" || pt == "multiPoint");
      }
    }
    for (const Value& cfg : pf.get("pluginConfig").items()) {
      Fields cf(cfg);
      if (!cf.ok()) continue;
      const Value pname = cf.required("name");
      auto s = pname.str();
      if (!s) continue;
      check_plugin_name(pname, *s, false);
      if (p.plugin_config.count(*s)) {
        pname.error("repeated config for plugin \"" + *s + "\"");
        continue;
      }
      const Value args = cf.get("args");
      if (!args.present()) {
        p.plugin_config[*s] = nlohmann::json::object();
      } else if (!args.is_map()) {
        args.error("expected a mapping of plugin arguments, got " + describe(args.node()));
      } else if (auto j = to_json(args)) {
        // The API's typed args carry apiVersion/kind; plugins read the fields beside them.
        j->erase("apiVersion");
        j->erase("kind");
        p.plugin_config[*s] = std::move(*j);
      }
    }
    out.push_back(std::move(p));
  }
  if (!out.empty()) config.profiles = std::move(out);
  return config;
}

}  // namespace gpusim::scenario
