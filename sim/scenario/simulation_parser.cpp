#include "scenario/simulation_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <regex>

#include "controllers/node_group_expander.hpp"
#include "core/duration.hpp"
#include "core/split.hpp"
#include "engine/timeline.hpp"
#include "scenario/arrival_trace.hpp"
#include "scenario/fields.hpp"
#include "scenario/names.hpp"
#include "scenario/serving_parser.hpp"
#include "scheduler/plugin_registry.hpp"

namespace gpusim::scenario {
namespace {

using engine::ArrivalProcess;
using engine::ArrivalSpec;
using engine::ExpectationSpec;
using engine::NodePoolSpec;
using engine::SimulationSpec;
using engine::TimelineEvent;
using engine::TraceReplaySpec;

constexpr std::int32_t kMaxPoolNodes = 1'000'000;
constexpr std::size_t kMaxPatchNodes = 100'000;

// A fixed duration or a distribution such as "exponential(20m)" (core/distribution.hpp).
std::optional<DurationDistribution> distribution(const Value& v) {
  auto text = v.scalar_text();
  if (!text) return std::nullopt;
  if (scalar_kind(v.node()) == ScalarKind::kBool) {
    v.error("expected a duration or a distribution, got " + describe(v.node()));
    return std::nullopt;
  }
  std::string why;
  auto d = DurationDistribution::parse(*text, &why);
  if (!d) v.error(why);
  return d;
}

// "3.67" or 3.67 -> 3670000 micros; exact decimal arithmetic, at most 6 decimal places.
std::optional<std::int64_t> parse_micros(const Value& v) {
  auto text = v.scalar_text();
  if (!text) return std::nullopt;
  const ScalarKind kind = scalar_kind(v.node());
  const std::string& s = *text;
  bool ok =
      (kind == ScalarKind::kString || kind == ScalarKind::kInt || kind == ScalarKind::kFloat) &&
      !s.empty();
  std::size_t i = 0;
  if (ok && s[0] == '-') {
    v.error("must not be negative");
    return std::nullopt;
  }
  if (ok && s[0] == '+') i = 1;
  std::int64_t whole = 0;
  std::size_t digits = 0;
  for (; ok && i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, ++digits) {
    if (whole >= 100'000'000'000LL) {  // keeps whole * 10^6 within int64
      v.error("cost is too large");
      return std::nullopt;
    }
    whole = whole * 10 + (s[i] - '0');
  }
  std::int64_t frac = 0;
  int frac_digits = 0;
  if (ok && i < s.size() && s[i] == '.') {
    ++i;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
      if (++frac_digits > 6) {
        v.error("at most 6 decimal places (micro-units) are kept, got \"" + s + "\"");
        return std::nullopt;
      }
      frac = frac * 10 + (s[i] - '0');
      ++digits;
    }
  }
  if (!ok || digits == 0 || i != s.size()) {
    v.error("expected a decimal amount such as \"3.67\", got " + describe(v.node()));
    return std::nullopt;
  }
  while (frac_digits < 6) {
    frac *= 10;
    ++frac_digits;
  }
  return whole * 1'000'000 + frac;
}

// "4/h", "10/m", "0.5/s", "2/d", or a number meaning per hour.
std::optional<double> parse_rate_per_hour(const Value& v) {
  if (!v.present()) return std::nullopt;
  const ScalarKind kind = v.node().IsScalar() ? scalar_kind(v.node()) : ScalarKind::kNull;
  std::optional<double> per_hour;
  if (kind == ScalarKind::kInt || kind == ScalarKind::kFloat) {
    per_hour = v.number();
    if (!per_hour) return std::nullopt;
  } else if (kind == ScalarKind::kString) {
    const std::string& s = v.node().Scalar();
    const auto slash = s.find('/');
    double scale = 0;
    if (slash != std::string::npos) {
      const std::string unit = s.substr(slash + 1);
      if (unit == "s") scale = 3600;
      if (unit == "m") scale = 60;
      if (unit == "h") scale = 1;
      if (unit == "d") scale = 1.0 / 24;
    }
    double count = 0;
    bool ok = scale > 0 && slash > 0;
    if (ok) {
      try {
        std::size_t used = 0;
        count = std::stod(s.substr(0, slash), &used);
        ok = used == slash && std::isfinite(count);
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok) {
      v.error("invalid rate \"" + s + "\"",
              "a count per unit: \"4/h\", \"10/m\", \"0.5/s\", \"2/d\", or a number per hour");
      return std::nullopt;
    }
    per_hour = count * scale;
  } else {
    v.error("expected a rate such as \"4/h\" or a number per hour, got " + describe(v.node()));
    return std::nullopt;
  }
  if (!(*per_hour > 0)) {
    v.error("rate must be greater than 0");
    return std::nullopt;
  }
  return per_hour;
}

std::string existing_file(const Value& v) {
  auto s = v.str();
  if (!s) return {};
  if (s->empty()) {
    v.error("must not be empty");
    return {};
  }
  const std::filesystem::path p = v.doc().resolve(*s).lexically_normal();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) {
    v.error("file not found: " + p.string(),
            "relative paths are resolved against the directory of " + v.doc().file());
  }
  return p.string();
}

// Counts nodes as a traversal sees them (aliases expanded), stopping once past `budget`; a graph
// deeper than 64 levels (a cyclic alias) counts as too large.
std::size_t count_nodes(const YAML::Node& n, std::size_t budget, int depth = 0) {
  if (depth > 64) return budget + 1;
  std::size_t count = 1;
  auto visit = [&](const YAML::Node& child) {
    if (count <= budget) count += count_nodes(child, budget - count, depth + 1);
  };
  if (n.IsMap()) {
    for (const auto& kv : n) {
      visit(kv.first);
      visit(kv.second);
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n)
      visit(item);
  }
  return count;
}

// A utilisation threshold field: a ratio in 0..1.
std::optional<double> ratio(const Value& v) {
  auto d = v.number();
  if (d && (*d < 0 || *d > 1)) {
    v.error("must be between 0 and 1");
    return std::nullopt;
  }
  return d;
}

// spec.clusterAutoscaler (read before the pools: its per-pool settings are their defaults).
engine::ClusterAutoscalerSpec cluster_autoscaler(const Value& v) {
  engine::ClusterAutoscalerSpec out;
  if (!v.present()) return out;
  out.source = v.location();
  Fields f(v);
  if (!f.ok()) return out;
  ctrl::AutoscalerOptions& o = out.options;
  if (auto ms = f.get("scanInterval").positive_duration()) o.scan_interval_ms = *ms;
  if (auto ms = f.get("scaleDownDelayAfterAdd").duration()) o.scale_down_delay_after_add_ms = *ms;
  const auto at_least_one = [](const Value& value, std::int32_t& into) {
    if (auto n = value.i32()) {
      if (*n < 1) {
        value.error("must be at least 1");
      } else {
        into = *n;
      }
    }
  };
  at_least_one(f.get("maxScaleDownParallelism"), o.max_scale_down_parallelism);
  // Upstream's deprecated flag, now an alias of --max-scale-down-parallelism.
  at_least_one(f.get("maxEmptyBulkDelete"), o.max_scale_down_parallelism);
  at_least_one(f.get("maxDrainParallelism"), o.max_drain_parallelism);
  const Value expander = f.get("expander");
  if (auto text = expander.str()) {
    o.expander.clear();
    const std::vector<std::string> known = ctrl::expander_names();
    for (const std::string& name : split(*text, ',')) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        expander.unsupported(name, known);
      } else {
        o.expander.push_back(name);
      }
    }
  }
  const Value priorities = f.get("priorities");
  if (priorities.is_map()) {
    for (const auto& kv : priorities.node()) {
      const std::string key = kv.first.Scalar();
      const Value entry(&priorities.doc(), kv.second, priorities.path() + "." + key,
                        kv.second.Mark());
      std::int32_t prio = 0;
      const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), prio);
      if (ec != std::errc() || end != key.data() + key.size()) {
        entry.error("priority \"" + key + "\" is not an integer");
        continue;
      }
      std::vector<std::string> patterns;
      if (auto list = entry.string_list()) patterns = *list;
      for (const auto& pattern : patterns) {
        try {
          (void)std::regex(pattern);
        } catch (const std::regex_error&) {
          entry.error("\"" + pattern + "\" is not a valid regular expression");
        }
      }
      o.priorities.emplace_back(prio, std::move(patterns));
    }
  } else if (priorities.present()) {
    priorities.error("expected a map from priority to a list of regular expressions");
  }
  if (std::find(o.expander.begin(), o.expander.end(), "priority") != o.expander.end() &&
      o.priorities.empty()) {
    expander.error("the priority expander needs spec.clusterAutoscaler.priorities",
                   "priorities: {\"10\": [\".*\"], \"50\": [\"^spot-.*\"]}");
  }
  if (auto n = f.get("expendablePodsPriorityCutoff").i32()) o.expendable_pods_priority_cutoff = *n;
  if (auto b = f.get("scaleDownUnreadyEnabled").boolean()) o.scale_down_unready_enabled = *b;
  if (auto ms = f.get("scaleDownUnreadyTime").duration()) o.scale_down_unready_ms = *ms;
  if (auto ms = f.get("unremovableNodeRecheckTimeout").duration()) o.unremovable_recheck_ms = *ms;
  if (auto b = f.get("skipNodesWithSystemPods").boolean()) o.skip_nodes_with_system_pods = *b;
  if (auto b = f.get("skipNodesWithLocalStorage").boolean()) o.skip_nodes_with_local_storage = *b;
  if (auto n = f.get("maxGracefulTerminationSec").non_negative_i64())
    o.max_graceful_termination_s = *n;
  if (auto d = ratio(f.get("scaleDownUtilizationThreshold")))
    out.scale_down_utilization_threshold = *d;
  if (auto d = ratio(f.get("scaleDownGpuUtilizationThreshold")))
    out.scale_down_gpu_utilization_threshold = *d;
  if (auto ms = f.get("scaleDownUnneededTime").duration()) out.scale_down_unneeded_ms = *ms;
  if (auto ms = f.get("maxNodeProvisionTime").positive_duration()) o.max_node_provision_ms = *ms;
  const Value initial_backoff = f.get("initialNodeGroupBackoffDuration");
  const Value max_backoff = f.get("maxNodeGroupBackoffDuration");
  if (auto ms = initial_backoff.positive_duration()) o.initial_node_group_backoff_ms = *ms;
  if (auto ms = max_backoff.positive_duration()) o.max_node_group_backoff_ms = *ms;
  if (o.max_node_group_backoff_ms < o.initial_node_group_backoff_ms) {
    (max_backoff.present() ? max_backoff : initial_backoff)
        .error("maxNodeGroupBackoffDuration (" + format_duration(o.max_node_group_backoff_ms) +
               ") must be at least initialNodeGroupBackoffDuration (" +
               format_duration(o.initial_node_group_backoff_ms) + ")");
  }
  if (auto ms = f.get("nodeGroupBackoffResetTimeout").positive_duration())
    o.node_group_backoff_reset_ms = *ms;
  if (auto b = f.get("balanceSimilarNodeGroups").boolean()) o.balance_similar_node_groups = *b;
  const Value ignore = f.get("balancingIgnoreLabels");
  if (auto list = ignore.string_list()) {
    for (const auto& key : *list) {
      if (auto why = check_label_key(key); !why.empty()) {
        ignore.error("invalid label key \"" + key + "\": " + why);
      } else {
        o.balancing_ignore_labels.push_back(key);
      }
    }
  }
  if (auto d = ratio(f.get("maxAllocatableDifferenceRatio")))
    o.max_allocatable_difference_ratio = *d;
  if (auto d = ratio(f.get("maxFreeDifferenceRatio"))) o.max_free_difference_ratio = *d;
  if (auto d = ratio(f.get("memoryDifferenceRatio"))) o.memory_difference_ratio = *d;
  const Value unready_percentage = f.get("maxTotalUnreadyPercentage");
  if (auto d = unready_percentage.number()) {
    if (*d < 0 || *d > 100) {
      unready_percentage.error("must be between 0 and 100");
    } else {
      o.max_total_unready_percentage = *d;
    }
  }
  if (auto n = f.get("okTotalUnreadyCount").non_negative_i32()) o.ok_total_unready_count = *n;
  return out;
}

NodePoolSpec node_pool(const Value& v, ObjectParser& objects, const std::string& gpu_label,
                       const engine::ClusterAutoscalerSpec& autoscaler) {
  NodePoolSpec pool;
  pool.source = v.location();
  Fields f(v);
  if (!f.ok()) return pool;
  const Value name = f.required("name");
  if (auto s = name.str()) {
    pool.name = *s;
    if (auto why = check_dns_label(*s); !why.empty()) name.error("invalid pool name: " + why);
  }
  const Value gpu_model = f.get("gpuModel");
  if (auto s = gpu_model.str()) {
    pool.gpu_model = *s;
    if (auto why = check_label_value(*s); !why.empty())
      gpu_model.error("invalid GPU model: " + why);
  }
  const Value tmpl =
      f.required("template", "a Node: metadata.labels, spec.taints, status.capacity");
  if (tmpl.present()) {
    pool.node_template = objects.node(tmpl, ObjectMode::kTemplate);
    pool.node_template.meta.name.clear();
    pool.node_template.pool = pool.name;
    if (!pool.gpu_model.empty()) {
      auto& labels = pool.node_template.meta.labels;
      auto it = labels.find(gpu_label);
      if (it != labels.end() && it->second != pool.gpu_model) {
        gpu_model.warning("gpuModel \"" + pool.gpu_model + "\" replaces the template's label " +
                          gpu_label + "=" + it->second);
      }
      labels[gpu_label] = pool.gpu_model;
      pool.node_template.gpu_model = pool.gpu_model;
      if (pool.node_template.capacity.count(kNvidiaGpu) == 0) {
        gpu_model.warning("the pool's nodes have no nvidia.com/gpu capacity",
                          "add status.capacity[nvidia.com/gpu] to the template");
      }
    }
  }
  const Value autoscaling = f.get("autoscaling");
  std::function<void(std::int32_t, std::int32_t)> capacity_error;
  if (autoscaling.present()) {
    Fields af(autoscaling);
    NodePoolSpec::Autoscaling a;
    a.scale_down_utilization_threshold = autoscaler.scale_down_utilization_threshold;
    a.scale_down_gpu_utilization_threshold = autoscaler.scale_down_gpu_utilization_threshold;
    a.scale_down_unneeded_ms = autoscaler.scale_down_unneeded_ms;
    const Value min = af.get("minSize");
    const Value max = af.required("maxSize");
    if (auto n = min.non_negative_i32()) a.min_size = *n;
    if (auto n = max.i32()) {
      a.max_size = *n;
      if (*n < a.min_size) max.error("must be greater than or equal to minSize");
      if (*n > kMaxPoolNodes) max.error("must be at most 1000000 nodes");
    }
    a.max_node_provision_ms = autoscaler.options.max_node_provision_ms;
    if (auto ms = af.get("maxNodeProvisionTime").positive_duration()) a.max_node_provision_ms = *ms;
    const Value delay = af.get("provisioningDelay");
    if (auto ms = delay.duration()) {
      a.provisioning_delay_ms = *ms;
      if (*ms > a.max_node_provision_ms) {
        delay.warning("longer than maxNodeProvisionTime (upstream's --max-node-provision-time, " +
                          format_duration(a.max_node_provision_ms) +
                          "): every scale-up of this pool times out, its nodes are deleted "
                          "unregistered and the pool backs off",
                      "raise maxNodeProvisionTime (spec.clusterAutoscaler or this pool's "
                      "autoscaling) if the nodes are slow rather than broken");
      }
    }
    const Value capacity = af.get("capacity");
    if (auto n = capacity.non_negative_i32()) a.capacity = *n;
    // Checked once the pool's count is known.
    capacity_error = [capacity](std::int32_t cap, std::int32_t count) {
      capacity.error("must be at least the pool's count (" + std::to_string(count) + "), not " +
                     std::to_string(cap) + ": the initial nodes are instances too");
    };
    if (auto d = ratio(af.get("provisioningFailureProbability")))
      a.provisioning_failure_probability = *d;
    if (auto d = ratio(af.get("scaleDownUtilizationThreshold")))
      a.scale_down_utilization_threshold = *d;
    if (auto d = ratio(af.get("scaleDownGpuUtilizationThreshold")))
      a.scale_down_gpu_utilization_threshold = *d;
    if (auto ms = af.get("scaleDownUnneededTime").duration()) a.scale_down_unneeded_ms = *ms;
    pool.autoscaling = a;
  }
  const Value count = pool.autoscaling ? f.get("count") : f.required("count");
  if (auto n = count.i32()) {
    pool.count = *n;
    if (*n < 0) {
      count.error("must be greater than or equal to 0");
    } else if (*n > kMaxPoolNodes) {
      count.error("must be at most 1000000 nodes");
    } else if (pool.autoscaling &&
               (*n < pool.autoscaling->min_size || *n > pool.autoscaling->max_size)) {
      count.error("must be between autoscaling.minSize and autoscaling.maxSize");
    }
  } else if (pool.autoscaling && !count.present()) {
    pool.count = pool.autoscaling->min_size;
  }
  if (pool.autoscaling && pool.autoscaling->capacity && *pool.autoscaling->capacity < pool.count) {
    capacity_error(*pool.autoscaling->capacity, pool.count);
  }
  if (auto micros = parse_micros(f.get("costPerHour"))) pool.cost_per_hour_micros = *micros;
  return pool;
}

ArrivalSpec arrival(const Value& v, ObjectParser& objects) {
  ArrivalSpec a;
  a.source = v.location();
  Fields f(v);
  if (!f.ok()) return a;
  const Value name = f.required("name");
  if (auto s = name.str()) {
    a.name = *s;
    if (auto why = check_dns_label(*s); !why.empty()) name.error("invalid arrival name: " + why);
  }
  const Value process = f.get("process");
  const Value rate = f.get("rate");
  const Value interval = f.get("interval");
  const Value trace_file = f.get("traceFile");
  if (process.present()) {
    if (auto p = process.one_of<ArrivalProcess>({{"poisson", ArrivalProcess::kPoisson},
                                                 {"interval", ArrivalProcess::kInterval},
                                                 {"trace", ArrivalProcess::kTrace}})) {
      a.process = *p;
    }
  } else if (rate.present() + interval.present() + trace_file.present() == 1) {
    a.process = rate.present()       ? ArrivalProcess::kPoisson
                : interval.present() ? ArrivalProcess::kInterval
                                     : ArrivalProcess::kTrace;
  } else {
    process.error("required value is missing: poisson, interval or trace",
                  "poisson needs rate, interval needs interval, trace needs traceFile");
  }
  auto misplaced = [](const Value& x, const char* process_name) {
    if (x.present()) {
      x.error(std::string("applies only to process: ") + process_name);
    }
  };
  switch (a.process) {
    case ArrivalProcess::kPoisson:
      if (!rate.present() && process.present()) rate.error("required value is missing for poisson");
      if (auto r = parse_rate_per_hour(rate)) a.rate_per_hour = *r;
      misplaced(interval, "interval");
      misplaced(trace_file, "trace");
      break;
    case ArrivalProcess::kInterval:
      if (!interval.present() && process.present()) {
        interval.error("required value is missing for process: interval");
      }
      if (auto ms = interval.positive_duration()) a.interval_ms = *ms;
      misplaced(rate, "poisson");
      misplaced(trace_file, "trace");
      break;
    case ArrivalProcess::kTrace:
      if (!trace_file.present() && process.present()) {
        trace_file.error("required value is missing for process: trace");
      }
      a.trace_file = existing_file(trace_file);
      std::error_code ec;
      if (!a.trace_file.empty() && std::filesystem::is_regular_file(a.trace_file, ec)) {
        // Read now so that `validate` reports every bad row, as for the manifests.
        a.trace_rows = std::make_shared<const std::vector<engine::ArrivalTraceRow>>(
            read_arrival_trace(a.trace_file, trace_file.doc().diagnostics()));
      }
      misplaced(rate, "poisson");
      misplaced(interval, "interval");
      break;
  }
  if (auto ms = f.get("start").duration()) a.start_ms = *ms;
  const Value stop = f.get("stop");
  if (auto ms = stop.duration()) {
    a.stop_ms = *ms;
    if (*ms <= a.start_ms) stop.error("must be after start");
  }
  const Value count = f.get("count");
  if (auto n = count.i64()) {
    if (*n < 1) count.error("must be greater than 0");
    a.count = *n;
  }
  const Value tmpl = a.process == ArrivalProcess::kTrace
                         ? f.get("template")
                         : f.required("template", "one Job, Pod or PyTorchJob object");
  if (tmpl.present() && !tmpl.is_map()) {
    tmpl.error("expected a Kubernetes object (a mapping with apiVersion and kind), got " +
               describe(tmpl.node()));
  } else if (tmpl.present()) {
    // Only peek at kind and apiVersion: the object parser reads (and checks) every field.
    const Value kind = entry(tmpl, "kind");
    const Value api = entry(tmpl, "apiVersion");
    if (!kind.present()) kind.error("required value is missing", "Job, Pod or PyTorchJob");
    if (!api.present()) api.error("required value is missing");
    {
      const auto k = kind.str();
      const auto av = api.str();
      auto version_ok = [&](const char* want) {
        if (av && *av != want) {
          api.error("unsupported apiVersion \"" + *av + "\" for " + *k, std::string("use ") + want);
          return false;
        }
        return true;
      };
      if (k && *k == "Job") {
        if (version_ok("batch/v1")) {
          a.job = std::make_shared<const Job>(objects.job(tmpl, ObjectMode::kTemplate));
        }
      } else if (k && *k == "Pod") {
        if (version_ok("v1")) {
          a.pod = std::make_shared<const Pod>(objects.pod(tmpl, ObjectMode::kTemplate));
        }
      } else if (k && *k == "PyTorchJob") {
        if (version_ok("kubeflow.org/v1")) {
          a.pytorch_job =
              std::make_shared<const PyTorchJob>(objects.pytorch_job(tmpl, ObjectMode::kTemplate));
        }
      } else if (k) {
        kind.unsupported(*k, {"Job", "Pod", "PyTorchJob"});
      }
    }
  }
  return a;
}

TraceReplaySpec trace(const Value& v) {
  TraceReplaySpec t;
  t.source = v.location();
  Fields f(v);
  if (!f.ok()) return t;
  if (auto s = f.get("format").one_of<std::string>({{"openb", "openb"}})) t.format = *s;
  t.node_file =
      existing_file(f.required("nodes", "the node CSV, e.g. data/openb_node_list_gpu_node.csv"));
  t.pod_file =
      existing_file(f.required("pods", "the pod CSV, e.g. data/openb_pod_list_default.csv"));
  if (auto s = f.get("mode").one_of<std::string>({{"packing", "packing"}, {"timed", "timed"}})) {
    t.mode = *s;
  }
  const Value inflate = f.get("inflate");
  if (auto d = inflate.number()) {
    if (*d <= 0 || *d > 100) inflate.error("must be greater than 0 (1.3 adds copies up to 130%)");
    t.inflate = *d;
  }
  if (auto b = f.get("shuffle").boolean()) t.shuffle = *b;
  return t;
}

TimelineEvent timeline_event(const Value& v) {
  TimelineEvent e;
  e.source = v.location();
  Fields f(v);
  if (!f.ok()) return e;
  if (auto ms = f.required("at", "when, from the start: 30m, 2h").duration()) e.at_ms = *ms;
  const Value action = f.required("action");
  if (auto s = action.str()) {
    e.action = *s;
    const auto& known = known_timeline_actions();
    if (std::find(known.begin(), known.end(), *s) == known.end()) action.unsupported(*s, known);
  }
  if (auto s = f.get("target").str()) e.target = *s;
  const Value params = f.get("params");
  if (params.present()) {
    Fields pf(params);
    pf.accept_all();
    if (pf.ok()) {
      for (const auto& kv : params.node()) {
        const std::string key = kv.first.Scalar();
        if (auto text = entry(params, key).scalar_text()) e.params[key] = *text;
      }
    }
  }
  const Value patch = f.get("patch");
  if (patch.is_map()) {
    if (count_nodes(patch.node(), kMaxPatchNodes) > kMaxPatchNodes) {
      patch.error(
          "patch is too large or too deep (over 100000 YAML nodes or 64 levels, after aliases)");
    } else {
      YAML::Emitter out;
      out << patch.node();
      e.patch_yaml = out.c_str();
    }
  } else if (patch.present()) {
    if (auto s = patch.str()) e.patch_yaml = *s;
  }
  return e;
}

}  // namespace

const std::vector<std::string>& known_timeline_actions() {
  // Exactly the actions the engine's timeline implements.
  return engine::timeline_actions();
}

const std::vector<std::string>& known_feature_gates() {
  static const std::vector<std::string> gates{"HPAScaleToZero", "HPAConfigurableTolerance"};
  return gates;
}

ParsedSimulation parse_simulation(const Value& object, ObjectParser& objects) {
  ParsedSimulation out;
  SimulationSpec& s = out.spec;
  s.source = object.location();
  Fields f(object);
  if (!f.ok()) return out;
  f.ignore({"apiVersion", "kind"});
  {
    Fields meta(f.get("metadata"));
    const Value name = meta.get("name");
    if (auto n = name.str()) {
      s.name = *n;
      if (auto why = check_dns_subdomain(*n); !why.empty()) name.error("invalid name: " + why);
    }
    meta.ignore({"labels", "annotations"});
  }
  Fields spec(f.required("spec"));
  if (!spec.ok()) return out;
  if (auto n = spec.get("seed").non_negative_i64()) {
    s.seed = static_cast<std::uint64_t>(*n);
    s.seed_set = true;
  }
  s.duration_ms = spec.get("duration").positive_duration();
  if (auto ms = spec.get("sampleInterval").positive_duration()) s.sample_interval_ms = *ms;
  const Value label = spec.get("gpuModelLabel");
  if (auto l = label.str()) {
    if (auto why = check_label_key(*l); !why.empty()) {
      label.error("invalid label key: " + why);
    } else {
      s.gpu_model_label = *l;
    }
  }
  const Value policy = spec.get("policy");
  if (auto p = policy.str(); p && !p->empty()) {
    s.policy = *p;
    const auto& registry = sched::PluginRegistry::builtin();
    if (registry.canonical(*p).empty()) policy.unsupported(*p, registry.names());
  }
  out.tie_break =
      spec.get("tieBreak").one_of<std::string>({{"random", "random"}, {"first", "first"}});
  const Value gates = spec.get("featureGates");
  if (gates.present()) {
    Fields gf(gates);
    gf.accept_all();
    if (gf.ok()) {
      for (const auto& kv : gates.node()) {
        const std::string key = kv.first.Scalar();
        const Value gv = entry(gates, key);
        const auto& known = known_feature_gates();
        if (std::find(known.begin(), known.end(), key) == known.end()) {
          Value(&gates.doc(), kv.first, gv.path(), kv.first.Mark()).unsupported(key, known);
          continue;
        }
        if (auto b = gv.boolean()) s.feature_gates[key] = *b;
      }
    }
  }
  const Value max_events = spec.get("maxEvents");
  if (auto n = max_events.i64()) {
    if (*n <= 0) max_events.error("must be greater than 0");
    s.max_events = static_cast<std::uint64_t>(std::max<std::int64_t>(*n, 1));
  }
  if (auto ms = spec.get("maxTime").positive_duration()) s.max_time_ms = *ms;

  const Value autoscaler = spec.get("clusterAutoscaler");
  s.cluster_autoscaler = cluster_autoscaler(autoscaler);
  for (const Value& item : spec.get("nodePools").items()) {
    NodePoolSpec pool = node_pool(item, objects, s.gpu_model_label, s.cluster_autoscaler);
    for (const auto& prev : s.node_pools) {
      if (!pool.name.empty() && prev.name == pool.name) {
        entry(item, "name")
            .error("duplicate node pool \"" + pool.name + "\" (first at line " +
                   std::to_string(prev.source.line) + ")");
      }
    }
    s.node_pools.push_back(std::move(pool));
  }
  if (autoscaler.present() && std::none_of(s.node_pools.begin(), s.node_pools.end(),
                                           [](const NodePoolSpec& p) { return p.autoscaling; })) {
    autoscaler.warning("no node pool has autoscaling: these settings have no effect",
                       "add autoscaling (minSize, maxSize) to a pool");
  }
  {
    Fields d(spec.get("defaults"));
    if (auto ms = d.get("podStartup").duration()) s.defaults.pod_startup_ms = *ms;
    if (auto ms = d.get("imagePull").duration()) s.defaults.image_pull_ms = *ms;
    if (auto ms = d.get("initContainer").duration()) s.defaults.init_container_ms = *ms;
    s.defaults.job_pod_duration = distribution(d.get("jobPodDuration"));
    s.defaults.pod_duration = distribution(d.get("podDuration"));
    if (s.defaults.job_pod_duration) {
      s.defaults.job_pod_duration_ms = s.defaults.job_pod_duration->a_ms();
    }
    if (s.defaults.pod_duration) s.defaults.pod_duration_ms = s.defaults.pod_duration->a_ms();
    parse_lifecycle_defaults(d, s.defaults);
  }
  for (const Value& item : spec.get("arrivals").items()) {
    ArrivalSpec a = arrival(item, objects);
    for (const auto& prev : s.arrivals) {
      if (!a.name.empty() && prev.name == a.name) {
        entry(item, "name").error("duplicate arrival \"" + a.name + "\"");
      }
    }
    if (!a.stop_ms && !a.count && !s.duration_ms && a.process != ArrivalProcess::kTrace) {
      item.warning("arrival \"" + a.name + "\" never stops",
                   "set stop, count or spec.duration (the run is capped by spec.maxTime)");
    }
    s.arrivals.push_back(std::move(a));
  }
  if (const Value t = spec.get("trace"); t.present()) s.trace = trace(t);
  for (const Value& item : spec.get("timeline").items())
    s.timeline.push_back(timeline_event(item));
  for (const Value& item : spec.get("expectations").items()) {
    Fields ef(item);
    if (!ef.ok()) continue;
    ExpectationSpec e;
    e.source = item.location();
    const Value name = ef.required("name");
    if (auto n = name.str()) e.name = *n;
    if (auto x = ef.required("expr").str()) e.expr = *x;
    for (const auto& prev : s.expectations) {
      if (!e.name.empty() && prev.name == e.name)
        name.error("duplicate expectation \"" + e.name + "\"");
    }
    s.expectations.push_back(std::move(e));
  }
  parse_serving(spec, s);
  return out;
}

}  // namespace gpusim::scenario
