#include "scenario/serving_parser.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "core/duration.hpp"
#include "scenario/object_parser.hpp"

namespace gpusim::scenario {
namespace {

std::optional<double> non_negative(const Value& v) {
  auto d = v.number();
  if (d && *d < 0) {
    v.error("must not be negative");
    return std::nullopt;
  }
  return d;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  while (!s.empty() && s.front() == ' ')
    s.erase(s.begin());
  return s;
}

// A CSV time series "time,rate": the time as a duration ("90s", "1h") or whole seconds; an
// optional header line whose first field is not a time.
bool read_series(const Value& where, const std::string& file, std::vector<ctrl::RatePoint>& out) {
  const std::filesystem::path p = where.doc().resolve(file).lexically_normal();
  std::ifstream in(p);
  if (!in) {
    where.error("cannot read the rate series \"" + p.string() + "\"");
    return false;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const std::size_t comma = line.find(',');
    if (comma == std::string::npos) {
      where.error(p.string() + ":" + std::to_string(n) + ": expected \"time,rate\"");
      return false;
    }
    const std::string t = trim(line.substr(0, comma));
    const std::string r = trim(line.substr(comma + 1));
    const auto ms = parse_duration_ms(t);
    double rate = 0;
    const auto [ptr, ec] = std::from_chars(r.data(), r.data() + r.size(), rate);
    if (!ms || ec != std::errc() || ptr != r.data() + r.size()) {
      if (out.empty() && n == 1) continue;  // a header
      where.error(p.string() + ":" + std::to_string(n) + ": expected \"time,rate\", got \"" + line +
                  "\"");
      return false;
    }
    if (rate < 0) {
      where.error(p.string() + ":" + std::to_string(n) + ": the rate must not be negative");
      return false;
    }
    if (!out.empty() && *ms <= out.back().t_ms) {
      where.error(p.string() + ":" + std::to_string(n) + ": times must increase");
      return false;
    }
    out.push_back({*ms, rate});
  }
  if (out.empty()) where.error("the rate series \"" + p.string() + "\" has no points");
  return !out.empty();
}

ctrl::RateSpec rate_spec(const Value& v) {
  ctrl::RateSpec r;
  Fields f(v);
  if (!f.ok()) return r;
  int shapes = 0;
  if (const Value c = f.get("constant"); c.present()) {
    ++shapes;
    r.shape = ctrl::RateShape::kConstant;
    if (auto d = non_negative(c)) r.base = *d;
  }
  if (const Value d = f.get("daily"); d.present()) {
    ++shapes;
    r.shape = ctrl::RateShape::kDaily;
    Fields df(d);
    if (df.ok()) {
      if (auto x = non_negative(df.required("mean"))) r.base = *x;
      if (auto x = non_negative(df.get("amplitude"))) r.amplitude = *x;
      if (auto ms = df.get("peakAt").duration()) r.peak_ms = *ms;
      if (auto ms = df.get("period").positive_duration()) r.period_ms = *ms;
      if (r.amplitude > r.base) {
        df.get("amplitude").warning("amplitude is larger than the mean: the rate is cut at 0");
      }
    }
  }
  if (const Value s = f.get("steps"); s.present()) {
    ++shapes;
    r.shape = ctrl::RateShape::kSteps;
    for (const Value& item : s.items()) {
      Fields sf(item);
      if (!sf.ok()) continue;
      ctrl::RatePoint p;
      if (auto ms = sf.required("at").duration()) p.t_ms = *ms;
      if (auto x = non_negative(sf.required("rate"))) p.rate = *x;
      if (!r.points.empty() && p.t_ms <= r.points.back().t_ms)
        item.error("steps must be in time order");
      r.points.push_back(p);
    }
  }
  if (const Value s = f.get("series"); s.present()) {
    ++shapes;
    r.shape = ctrl::RateShape::kSeries;
    Fields sf(s);
    if (sf.ok()) {
      const Value file = sf.required("file", "a CSV file of time,rate lines");
      if (auto name = file.str()) read_series(file, *name, r.points);
    }
  }
  if (shapes != 1) {
    v.error(shapes == 0 ? "one of constant, daily, steps or series is required"
                        : "only one of constant, daily, steps or series may be given");
  }
  if (auto x = non_negative(f.get("noise"))) r.noise = *x;
  if (auto x = non_negative(f.get("scale"))) r.scale = *x;
  return r;
}

ctrl::WorkloadLoadSpec load_entry(const Value& v) {
  ctrl::WorkloadLoadSpec w;
  w.source = v.location();
  Fields f(v);
  if (!f.ok()) return w;
  const Value target = f.required("target", "Deployment/namespace/name");
  if (auto t = target.str()) {
    // [Kind/]namespace/name, or [Kind/]name in the default namespace.
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
      const std::size_t i = t->find('/', start);
      parts.push_back(t->substr(start, i == std::string::npos ? std::string::npos : i - start));
      if (i == std::string::npos) break;
      start = i + 1;
    }
    auto is_kind = [](const std::string& k) { return k == "Deployment" || k == "ReplicaSet"; };
    if (parts.size() == 3 && is_kind(parts[0])) {
      w.kind = parts[0];
      w.namespace_ = parts[1];
      w.name = parts[2];
    } else if (parts.size() == 2 && is_kind(parts[0])) {
      w.kind = parts[0];
      w.name = parts[1];
    } else if (parts.size() == 2) {
      w.namespace_ = parts[0];
      w.name = parts[1];
    } else if (parts.size() == 1) {
      w.name = parts[0];
    }
    if (w.name.empty() || w.namespace_.empty()) {
      target.error("expected Deployment/namespace/name (or ReplicaSet/namespace/name)");
    }
  }
  w.rate = rate_spec(f.required("rate"));
  if (auto x = non_negative(f.get("servicePerPod"))) w.service_rate = *x;
  if (const Value cpu = f.get("cpu"); cpu.present()) {
    Fields cf(cpu);
    if (cf.ok()) {
      if (auto q = cf.get("idle").quantity()) w.cpu_idle_milli = q->milli_value();
      if (auto q = cf.get("perRequest").quantity()) {
        w.cpu_milli_per_request = static_cast<double>(q->nanos()) / 1e6;
      }
    }
  }
  if (const Value mem = f.get("memory"); mem.present()) {
    Fields mf(mem);
    if (mf.ok()) {
      if (auto q = mf.get("base").quantity()) w.memory_base_bytes = q->value();
      if (auto q = mf.get("perRequest").quantity()) {
        w.memory_bytes_per_request = static_cast<double>(q->nanos()) / 1e9;
      }
    }
  }
  if (auto c = f.get("container").str()) w.container = *c;
  if (const Value m = f.get("metrics"); m.present()) {
    Fields mf(m);
    if (mf.ok()) {
      if (auto s = mf.get("pods").str()) w.pods_metric = *s;
      if (auto s = mf.get("external").str()) w.external_metric = *s;
      if (const Value o = mf.get("object"); o.present()) {
        Fields of(o);
        if (of.ok()) {
          ctrl::ObjectMetricRef ref;
          if (auto s = of.required("kind").str()) ref.kind = *s;
          if (auto s = of.required("name").str()) ref.name = *s;
          if (auto s = of.required("metric").str()) ref.metric = *s;
          w.object_metric = ref;
        }
      }
    }
  }
  if (const Value q = f.get("queue"); q.present()) {
    w.queue = true;
    Fields qf(q);
    if (qf.ok()) {
      if (auto s = qf.get("depthMetric").str()) w.queue_depth_metric = *s;
      if (auto s = qf.get("ageMetric").str()) w.queue_age_metric = *s;
    }
    if (w.service_rate <= 0) {
      q.error("a queue needs servicePerPod (messages per second one ready pod takes)");
    }
  }
  return w;
}

}  // namespace

void parse_serving(Fields& spec, engine::SimulationSpec& out) {
  for (const Value& item : spec.get("load").items()) {
    ctrl::WorkloadLoadSpec w = load_entry(item);
    for (const auto& prev : out.load) {
      if (!w.name.empty() && prev.target_key() == w.target_key()) {
        entry(item, "target").error("a second load entry for " + w.target_key());
      }
    }
    out.load.push_back(std::move(w));
  }
  if (const Value h = spec.get("hpa"); h.present()) {
    Fields f(h);
    if (f.ok()) {
      if (auto ms = f.get("syncPeriod").positive_duration()) out.hpa.sync_period_ms = *ms;
      if (auto x = non_negative(f.get("tolerance"))) out.hpa.tolerance = *x;
      if (auto ms = f.get("downscaleStabilization").duration())
        out.hpa.downscale_stabilization_ms = *ms;
      if (auto ms = f.get("cpuInitializationPeriod").duration()) {
        out.hpa.cpu_initialization_period_ms = *ms;
      }
      if (auto ms = f.get("initialReadinessDelay").duration())
        out.hpa.initial_readiness_delay_ms = *ms;
    }
  }
  if (const Value m = spec.get("metrics"); m.present()) {
    Fields f(m);
    if (f.ok()) {
      if (auto ms = f.get("scrapeInterval").positive_duration())
        out.metrics.scrape_interval_ms = *ms;
      if (auto ms = f.get("window").positive_duration()) out.metrics.window_ms = *ms;
    }
  }
  if (const Value n = spec.get("nodeLifecycle"); n.present()) {
    Fields f(n);
    if (f.ok()) {
      if (auto ms = f.get("nodeMonitorGracePeriod").duration()) {
        out.node_lifecycle.node_monitor_grace_period_ms = *ms;
      }
    }
  }
}

void parse_lifecycle_defaults(Fields& d, engine::Defaults& out) {
  const Value bandwidth = d.get("imagePullBandwidth");
  if (auto q = bandwidth.quantity()) {
    // 0 or less would make gpusim.io/image-size say nothing at all.
    if (q->sign() <= 0) {
      bandwidth.error("must be a positive quantity of bytes per second", "e.g. 100Mi");
    } else {
      out.image_pull_bytes_per_second = q->value();
    }
  }
  if (auto ms = d.get("shutdown").duration()) out.shutdown_ms = *ms;
  if (auto ms = d.get("failureAfter").positive_duration()) out.failure_after_ms = *ms;
}

}  // namespace gpusim::scenario
