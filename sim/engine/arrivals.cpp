#include "engine/arrivals.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/diagnostics.hpp"
#include "core/distribution.hpp"
#include "core/duration.hpp"
#include "core/split.hpp"

namespace gpusim::engine {
namespace {

constexpr const char* kDurationAnnotation = "gpusim.io/duration";

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

// The fields of a CSV line, trimmed.
std::vector<std::string> trimmed_fields(const std::string& s, char sep) {
  std::vector<std::string> out = split(s, sep);
  for (auto& f : out)
    f = trim(f);
  return out;
}

PodTemplate default_pod_template() {
  PodTemplate t;
  Container c;
  c.name = "main";
  c.image = "gpusim/trace-task";
  t.spec.containers.push_back(std::move(c));
  t.spec.restart_policy = RestartPolicy::kNever;
  return t;
}

}  // namespace

std::vector<ArrivalGenerator::TraceRow> ArrivalGenerator::parse_trace(const std::string& text,
                                                                      const std::string& file) {
  std::vector<TraceRow> rows;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool first = true;
  auto fail = [&](int col, const std::string& msg) {
    throw InputError(SourceLocation{file, line_no, col}, "arrivals[].traceFile", msg,
                     "rows are: time,namespace,requests,duration (e.g. "
                     "90s,team-a,cpu=4;memory=16Gi;nvidia.com/gpu=1,45m)");
  };
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto fields = trimmed_fields(t, ',');
    const auto time = parse_duration_ms(fields[0]);
    if (first && !time) {  // a header row
      first = false;
      continue;
    }
    first = false;
    if (fields.size() < 3 || fields.size() > 4) {
      fail(1, "expected 3 or 4 comma-separated fields, got " + std::to_string(fields.size()));
    }
    if (!time || *time < 0) fail(1, "invalid arrival time \"" + fields[0] + "\"");
    TraceRow row;
    row.t_ms = *time;
    row.namespace_ = fields[1];
    if (row.namespace_.empty()) fail(static_cast<int>(fields[0].size()) + 2, "empty namespace");
    for (const auto& part : trimmed_fields(fields[2], ';')) {
      if (part.empty()) continue;
      const auto eq = part.find('=');
      if (eq == std::string::npos) fail(0, "request \"" + part + "\" is not name=quantity");
      const std::string name = trim(part.substr(0, eq));
      const auto q = Quantity::parse(trim(part.substr(eq + 1)));
      if (name.empty() || !q || q->sign() < 0) fail(0, "invalid request \"" + part + "\"");
      row.requests[name] = *q;
    }
    if (fields.size() == 4 && !fields[3].empty()) {
      std::string err;
      if (!DurationDistribution::parse(fields[3], &err)) fail(0, err);
      row.duration = fields[3];
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const TraceRow& a, const TraceRow& b) { return a.t_ms < b.t_ms; });
  return rows;
}

std::vector<ArrivalGenerator::TraceRow> ArrivalGenerator::read_trace(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw InputError(SourceLocation{path, 0, 0}, "arrivals[].traceFile",
                     "cannot read the trace file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse_trace(ss.str(), path);
}

ArrivalGenerator::ArrivalGenerator(Cluster& cluster, EventLoop& loop,
                                   const std::vector<ArrivalSpec>& specs, std::uint64_t seed)
    : cluster_(cluster), loop_(loop) {
  for (const auto& spec : specs) {
    Stream s{&spec, Rng::stream(seed, "arrivals/" + spec.name), 0, {}, 0};
    if (spec.process == ArrivalProcess::kTrace) s.rows = read_trace(spec.trace_file);
    streams_.push_back(std::move(s));
  }
}

void ArrivalGenerator::start() {
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    Stream& s = streams_[i];
    const ArrivalSpec& a = *s.spec;
    switch (a.process) {
      case ArrivalProcess::kPoisson:
        if (a.rate_per_hour > 0) {
          schedule_next(i, a.start_ms + static_cast<TimeMs>(std::llround(
                                            s.rng.exponential(3'600'000.0 / a.rate_per_hour))));
        }
        break;
      case ArrivalProcess::kInterval:
        if (a.interval_ms > 0) schedule_next(i, a.start_ms);
        break;
      case ArrivalProcess::kTrace:
        if (!s.rows.empty()) schedule_next(i, a.start_ms + s.rows.front().t_ms);
        break;
    }
  }
}

void ArrivalGenerator::schedule_next(std::size_t i, TimeMs at) {
  const ArrivalSpec& a = *streams_[i].spec;
  if (a.stop_ms && at >= *a.stop_ms) return;
  if (a.count && streams_[i].next_index >= *a.count) return;
  loop_.at(std::max(at, loop_.now()), EventPriority::kApi, [this, i] { fire(i); });
}

void ArrivalGenerator::fire(std::size_t i) {
  Stream& s = streams_[i];
  const ArrivalSpec& a = *s.spec;
  switch (a.process) {
    case ArrivalProcess::kPoisson:
      create(s, nullptr);
      schedule_next(i, loop_.now() + static_cast<TimeMs>(std::llround(
                                         s.rng.exponential(3'600'000.0 / a.rate_per_hour))));
      break;
    case ArrivalProcess::kInterval:
      create(s, nullptr);
      schedule_next(i, loop_.now() + a.interval_ms);
      break;
    case ArrivalProcess::kTrace: {
      // Every row due now, then wait for the next.
      while (s.next_row < s.rows.size() && a.start_ms + s.rows[s.next_row].t_ms <= loop_.now()) {
        if (a.count && s.next_index >= *a.count) return;
        create(s, &s.rows[s.next_row++]);
      }
      if (s.next_row < s.rows.size()) schedule_next(i, a.start_ms + s.rows[s.next_row].t_ms);
      break;
    }
  }
}

void ArrivalGenerator::create(Stream& s, const TraceRow* row) {
  const ArrivalSpec& a = *s.spec;
  const std::string name = a.name + "-" + std::to_string(s.next_index++);
  // A trace row sets the first container's requests (and the limits of resources that cannot
  // be overcommitted) and the run time.
  auto derive = [&](const std::shared_ptr<const PodTemplate>& base) {
    if (row == nullptr && base) return base;
    PodTemplate t = base ? *base : default_pod_template();
    if (row != nullptr) {
      if (t.spec.containers.empty()) t.spec.containers = default_pod_template().spec.containers;
      Container& c = t.spec.containers.front();
      for (const auto& [res, q] : row->requests) {
        c.resources.requests[res] = q;
        const bool overcommit = is_native_resource(res) && !is_hugepages(res);
        auto lim = c.resources.limits.find(res);
        if (!overcommit || (lim != c.resources.limits.end() && lim->second < q)) {
          c.resources.limits[res] = q;
        }
      }
      if (!row->duration.empty()) t.annotations[kDurationAnnotation] = row->duration;
    }
    return make_template(std::move(t));
  };
  auto ns_of = [&](const std::string& template_ns) {
    if (row != nullptr) return row->namespace_;
    return template_ns.empty() ? std::string("default") : template_ns;
  };
  // A refused Job is gone, as after a rejected `kubectl create`: counted, not retried.
  auto admitted = [&](std::string_view kind, const ObjectMeta& meta) {
    if (cluster_.admit_or_report(kind, meta)) return true;
    ++rejected_[a.name];
    return false;
  };
  auto object_meta = [&](ObjectMeta m) {
    m.name = name;
    m.generate_name.clear();
    m.namespace_ = ns_of(m.namespace_);
    m.uid = cluster_.next_uid();
    m.creation_ms = loop_.now();
    return m;
  };

  if (a.pod) {
    Pod p = *a.pod;
    p.name = name;
    p.namespace_ = ns_of(p.namespace_);
    p.uid = 0;
    p.status = PodStatus{};
    p.tmpl = derive(p.tmpl);
    const std::string key = p.key();
    CreateResult r = cluster_.create_pod(std::move(p));
    if (!r.ok()) {
      ++rejected_[a.name];
      cluster_.emit(
          ClusterEvent{0, "FailedCreate", "Pod", key, {}, "Error creating: " + r.error, true});
      return;
    }
  } else if (a.pytorch_job) {
    PyTorchJob j = *a.pytorch_job;
    j.meta = object_meta(j.meta);
    j.status = JobStatus{};
    for (auto& [type, spec] : j.replica_specs)
      spec.tmpl = derive(spec.tmpl);
    const std::string key = j.meta.key();
    if (cluster_.pytorch_jobs.count(key) || !admitted("PyTorchJob", j.meta)) return;
    cluster_.pytorch_jobs[key] = std::move(j);
    cluster_.object_changed("PyTorchJob", key);
  } else {
    Job j;
    if (a.job) {
      j = *a.job;
    } else {
      j.spec.completions = 1;
      j.spec.parallelism = 1;
    }
    j.meta = object_meta(j.meta);
    j.status = JobStatus{};
    j.spec.tmpl = derive(j.spec.tmpl);
    const std::string key = j.meta.key();
    if (cluster_.jobs.count(key) || !admitted("Job", j.meta)) return;
    cluster_.jobs[key] = std::move(j);
    cluster_.object_changed("Job", key);
  }
  ++created_[a.name];
}

}  // namespace gpusim::engine
