#include "scenario/sweep_parser.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.hpp"
#include "core/quantity.hpp"
#include "scenario/document.hpp"
#include "scenario/fields.hpp"
#include "scenario/sweep_overrides.hpp"
#include "scenario/value.hpp"

namespace gpusim::scenario {
namespace {

namespace fs = std::filesystem;

// Past this many points a sweep is more likely a typo in a range than an intent.
constexpr std::size_t kMaxPoints = 1'000'000;

const std::vector<std::string> kRunFiles{"arrival.csv", "events.jsonl", "timeseries.csv",
                                         "pods.csv",    "nodes.csv",    "workloads.csv",
                                         "hpa.csv",     "quota.csv",    "pools.csv"};

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

// A range of quantities (quota/...: 8Gi to 64Gi by 8Gi) or decimals (load.multiplier: 0.5 to
// 2 by 0.25), stepped in exact fixed point: no 0.1 + 0.2 drift, so the last value is `to` when
// the steps reach it. Values are written canonically (quota: "16Gi"; load.multiplier: "1.25").
std::vector<std::string> read_quantity_range(const Value& range, const AxisTarget& target) {
  std::vector<std::string> out;
  Fields r(range);
  const bool load = target.kind == AxisKind::kLoadMultiplier;
  auto quantity = [&](const Value& v) -> std::optional<Quantity> {
    auto text = v.scalar_text();
    if (!text) return std::nullopt;
    auto q = Quantity::parse(*text);
    // A multiplier is a plain decimal: "1Ki" is a quota amount, not a factor.
    if (q && load) q = Quantity::from_decimal(*text, Quantity::Format::kDecimalSI);
    if (!q || q->sign() < 0) {
      v.error(load ? "expected a decimal number such as 0.5 or 2, got \"" + *text + "\""
                   : "expected a non-negative quantity such as 8, 500m or 64Gi, got \"" + *text +
                         "\"");
      return std::nullopt;
    }
    return q;
  };
  const Value from_v = r.required("from");
  const Value to_v = r.required("to");
  const Value step_v = r.required("step", load ? "e.g. step: 0.25" : "e.g. step: 8Gi");
  const auto from = from_v.present() ? quantity(from_v) : std::nullopt;
  const auto to = to_v.present() ? quantity(to_v) : std::nullopt;
  const auto step = step_v.present() ? quantity(step_v) : std::nullopt;
  if (!from || !to || !step) return out;
  if (step->is_zero()) {
    step_v.error("must be greater than 0");
    return out;
  }
  if (*to < *from) {
    to_v.error("must not be less than from (" + from->str() + ")");
    return out;
  }
  if ((to->nanos() - from->nanos()) / step->nanos() >= static_cast<detail::Int128>(kMaxPoints)) {
    to_v.error("the range has more than " + std::to_string(kMaxPoints) + " values");
    return out;
  }
  for (Quantity v = *from; v <= *to; v += *step) {
    std::string why;
    auto canon = canonical_axis_value(target, load ? v.decimal() : v.str(), &why);
    if (!canon) {
      from_v.error(why);
      return {};
    }
    out.push_back(*canon);
  }
  return out;
}

std::vector<std::string> read_values(const Value& axis_v, const AxisTarget& target, Fields& f) {
  std::vector<std::string> out;
  const Value values = f.get("values");
  const Value range = f.get("range");
  if (values.present() == range.present()) {
    axis_v.error(values.present() ? "give values or range, not both" : "required value is missing",
                 "values: [a, b, c] or range: {from: 1, to: 10}");
    return out;
  }
  if (values.present()) {
    for (const Value& item : values.items()) {
      auto text = item.scalar_text();
      if (!text) {
        if (item.present()) item.error("expected a scalar value, got " + describe(item.node()));
        continue;
      }
      std::string why;
      auto canon = canonical_axis_value(target, *text, &why);
      if (!canon) {
        item.error(why);
        continue;
      }
      out.push_back(*canon);
    }
    if (values.is_list() && values.node().size() == 0) values.error("must not be empty");
    return out;
  }
  if (target.kind == AxisKind::kQuotaHard || target.kind == AxisKind::kLoadMultiplier)
    return read_quantity_range(range, target);
  if (!axis_is_integer(target)) {
    range.error(
        "range is for integer axes (seed, nodepool/<pool>.count, hpa/...), quota and "
        "load.multiplier; list the values instead");
    return out;
  }
  Fields r(range);
  const Value from_v = r.required("from");
  const Value to_v = r.required("to");
  const Value step_v = r.get("step");
  auto from = from_v.i64();
  auto to = to_v.i64();
  std::int64_t step = 1;
  if (step_v.present()) {
    auto s = step_v.i64();
    if (!s || *s <= 0) {
      if (s) step_v.error("must be greater than 0");
      return out;
    }
    step = *s;
  }
  if (!from || !to) return out;
  if (*to < *from) {
    to_v.error("must not be less than from (" + std::to_string(*from) + ")");
    return out;
  }
  if ((*to - *from) / step >= static_cast<std::int64_t>(kMaxPoints)) {
    to_v.error("the range has more than " + std::to_string(kMaxPoints) + " values");
    return out;
  }
  for (std::int64_t v = *from; v <= *to; v += step) {
    std::string why;
    auto canon = canonical_axis_value(target, std::to_string(v), &why);
    if (!canon) {
      from_v.error(why);
      return {};
    }
    out.push_back(*canon);
  }
  return out;
}

void read_axis(const Value& item, SweepSpec& spec, std::set<std::string>& names) {
  Fields f(item);
  if (!f.ok()) return;
  // Read by read_values(); declared here so an axis rejected early reports only its name.
  f.ignore({"values", "range"});
  const Value name_v =
      f.required("name", "an axis name: policy, seed, scenario, nodepool/<pool>.count, ...");
  auto name = name_v.str();
  if (!name) return;
  std::string why;
  auto target = parse_axis_name(*name, &why);
  if (!target) {
    std::vector<std::string> fixed{"policy", "seed", "scenario", "load.multiplier"};
    std::string hint = closest_match(*name, fixed);
    name_v.error(why, hint.empty() ? "known axes: " +
                                         [] {
                                           std::string s;
                                           for (const auto& form : sweep_axis_forms())
                                             s += (s.empty() ? "" : ", ") + form;
                                           return s;
                                         }()
                                   : "did you mean \"" + hint + "\"?");
    return;
  }
  if (!names.insert(*name).second) {
    name_v.error("duplicate axis \"" + *name + "\"",
                 "each axis appears once; list all its values together");
    return;
  }
  SweepAxis axis;
  axis.name = *name;
  axis.source = name_v.location();
  axis.values = read_values(item, *target, f);
  std::set<std::string> seen;
  for (const auto& v : axis.values) {
    if (!seen.insert(v).second) {
      item.error("duplicate value \"" + v + "\" in axis " + *name);
      return;
    }
  }
  if (target->kind == AxisKind::kScenario) {
    std::set<std::string> stems;
    bool unique = true;
    for (const auto& v : axis.values) {
      const fs::path p = item.doc().resolve(v).lexically_normal();
      std::error_code ec;
      if (!fs::exists(p, ec))
        item.error("scenario \"" + v + "\" not found (looked at " + p.string() + ")");
      axis.resolved_paths.push_back(p.string());
      unique = unique && stems.insert(fs::path(v).stem().string()).second;
    }
    for (const auto& v : axis.values)
      axis.labels.push_back(unique ? fs::path(v).stem().string() : v);
  } else {
    axis.labels = axis.values;
  }
  spec.axes.push_back(std::move(axis));
}

void read_metric(const Value& item, SweepSpec& spec, std::set<std::string>& names) {
  Fields f(item);
  if (!f.ok()) return;
  const Value name_v =
      f.required("name", "a column name for results.csv, e.g. unallocated_gpu_pct");
  const Value summary_v = f.get("summary");
  const Value arrival_v = f.get("arrival");
  SweepMetric m;
  auto name = name_v.str();
  if (name) {
    if (!valid_name(*name)) {
      name_v.error("\"" + *name + "\" is not a valid metric name",
                   "letters, digits, '-', '_' and '.', at most 63");
    } else if (!names.insert(*name).second) {
      name_v.error("duplicate metric \"" + *name + "\"");
    }
    m.name = *name;
  }
  m.source_location = item.location();
  if (summary_v.present() == arrival_v.present()) {
    item.error(summary_v.present() ? "give summary or arrival, not both"
                                   : "a metric needs summary or arrival",
               "summary: /trace/scheduled (a JSON pointer into summary.json) or arrival: 100 "
               "(unallocated GPU % "
               "at 100 % arrival, from arrival.csv)");
    return;
  }
  if (summary_v.present()) {
    auto p = summary_v.str();
    if (!p) return;
    if (p->empty() || (*p)[0] != '/') {
      summary_v.error("\"" + *p + "\" is not a JSON pointer",
                      "start at the root of summary.json, with ~1 for '/' in keys: "
                      "/resources/nvidia.com~1gpu/allocated_mean");
      return;
    }
    try {
      (void)nlohmann::json::json_pointer(*p);
    } catch (const std::exception& e) {
      summary_v.error(std::string("malformed JSON pointer: ") + e.what());
      return;
    }
    m.source = SweepMetricSource::kSummary;
    m.pointer = *p;
  } else {
    auto a = arrival_v.i32();
    if (!a) return;
    if (*a < 1 || *a > 1000) {
      arrival_v.error("must be an arrival percentage from 1 to 1000");
      return;
    }
    m.source = SweepMetricSource::kArrival;
    m.arrival_pct = *a;
  }
  if (name) spec.metrics.push_back(std::move(m));
}

void read_spec(const Value& spec_v, SweepSpec& spec) {
  Fields f(spec_v);
  if (!f.ok()) return;
  const Value scenario_v = f.get("scenario");
  auto add_base = [&spec](const Value& v) {
    auto s = v.str();
    if (!s) return;
    spec.base.push_back(v.doc().resolve(*s).lexically_normal().string());
    spec.base_sources.push_back(v.location());
  };
  if (scenario_v.is_list()) {
    for (const Value& item : scenario_v.items())
      add_base(item);
  } else if (scenario_v.present()) {
    add_base(scenario_v);
  }
  if (const Value until = f.get("until"); until.present()) {
    auto ms = until.duration();
    if (ms && *ms <= 0) until.error("must be greater than 0");
    if (ms && *ms > 0) spec.until_ms = *ms;
  }
  const Value axes = f.required("axes", "a list of {name, values} or {name, range}");
  std::set<std::string> axis_names;
  for (const Value& item : axes.items())
    read_axis(item, spec, axis_names);
  if (axes.is_list() && axes.node().size() == 0) axes.error("must not be empty");
  bool has_scenario_axis = false;
  std::size_t points = 1;
  for (const auto& a : spec.axes) {
    has_scenario_axis = has_scenario_axis || a.name == "scenario";
    points = a.values.empty() ? points : points * a.values.size();
    if (points > kMaxPoints) {
      axes.error("the sweep has more than " + std::to_string(kMaxPoints) + " points");
      break;
    }
  }
  if (spec.base.empty() && !has_scenario_axis &&
      scenario_v.doc().diagnostics().error_count() == 0) {
    f.self().error("a sweep needs spec.scenario or a scenario axis",
                   "scenario: ../openb/default.yaml");
  }
  if (!spec.base.empty() && has_scenario_axis) {
    scenario_v.error("give spec.scenario or a scenario axis, not both");
  }
  const Value metrics = f.required("metrics", "e.g. - {name: unallocated_gpu_pct, arrival: 100}");
  std::set<std::string> metric_names;
  for (const Value& item : metrics.items())
    read_metric(item, spec, metric_names);
  if (metrics.is_list() && metrics.node().size() == 0) metrics.error("must not be empty");
  if (const Value report = f.get("report"); report.present()) {
    Fields r(report);
    const Value x = r.get("x");
    if (auto s = x.str()) {
      if (!axis_names.count(*s)) {
        std::vector<std::string> names(axis_names.begin(), axis_names.end());
        const std::string near = closest_match(*s, names);
        x.error("\"" + *s + "\" is not an axis of this sweep",
                near.empty() ? "" : "did you mean \"" + near + "\"?");
      } else {
        spec.x_axis = *s;
      }
    }
  }
  if (const Value keep = f.get("keep"); keep.present()) {
    for (const Value& item : keep.items()) {
      auto s = item.str();
      if (!s) continue;
      if (*s == "summary.json") continue;
      if (std::find(kRunFiles.begin(), kRunFiles.end(), *s) == kRunFiles.end()) {
        item.unsupported(*s, kRunFiles);
        continue;
      }
      spec.keep.push_back(*s);
    }
  }
}

}  // namespace

const std::vector<std::string>& sweep_axis_forms() {
  static const std::vector<std::string> forms{"policy",
                                              "seed",
                                              "scenario",
                                              "load.multiplier",
                                              "nodepool/<pool>.count",
                                              "nodepool/<pool>.gpuModel",
                                              "quota/<namespace>/<name>.hard.<resource>",
                                              "hpa/<namespace>/<name>.targetUtilization",
                                              "hpa/<namespace>/<name>.minReplicas",
                                              "hpa/<namespace>/<name>.maxReplicas"};
  return forms;
}

SweepSpec parse_sweep(const std::string& text, const std::string& file, const std::string& dir) {
  Diagnostics d;
  SweepSpec spec;
  spec.file = file;
  const Document doc(d, file, dir, 0);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    d.error(doc.location(e.mark), "", "YAML syntax error: " + e.msg);
    d.throw_if_errors();
  }
  const Value value(&doc, root, "", root.Mark());
  {
    Fields f(value);
    if (!f.ok() || !value.present()) {
      if (!value.present())
        value.error("expected a Sweep document (apiVersion gpusim.io/v1alpha1, kind Sweep)");
      d.throw_if_errors();
      return spec;
    }
    const Value api = f.required("apiVersion");
    const Value kind = f.required("kind");
    if (auto a = api.str(); a && *a != "gpusim.io/v1alpha1")
      api.unsupported(*a, {"gpusim.io/v1alpha1"});
    if (auto k = kind.str(); k && *k != "Sweep") kind.unsupported(*k, {"Sweep"});
    if (const Value meta = f.get("metadata"); meta.present()) {
      Fields m(meta);
      m.ignore({"labels", "annotations"});
      const Value name = m.get("name");
      if (auto n = name.str()) {
        if (valid_name(*n)) {
          spec.name = *n;
        } else {
          name.error("\"" + *n + "\" is not a valid sweep name",
                     "letters, digits, '-', '_' and '.', at most 63");
        }
      }
    }
    read_spec(f.required("spec"), spec);
  }
  // Unknown fields are warnings in a Simulation; in a Sweep a misspelt axis or metric would
  // silently sweep nothing, so they are errors.
  Diagnostics strict;
  for (auto item : d.items()) {
    item.severity = Severity::kError;
    strict.add(std::move(item));
  }
  strict.throw_if_errors();
  return spec;
}

bool is_sweep_document(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    const YAML::Node root = YAML::Load(read_file(path));
    const YAML::Node kind = root.IsMap() ? root["kind"] : YAML::Node();
    return kind.IsScalar() && kind.Scalar() == "Sweep";
  } catch (const std::exception&) {
    return false;
  }
}

SweepSpec load_sweep(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception&) {
    SourceLocation loc;
    loc.file = path;
    throw InputError(loc, "", "cannot read the sweep file", "check the path");
  }
  return parse_sweep(text, path, fs::path(path).parent_path().string());
}

}  // namespace gpusim::scenario
