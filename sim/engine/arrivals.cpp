#include "engine/arrivals.hpp"

#include <algorithm>
#include <cmath>

#include "core/diagnostics.hpp"

namespace gpusim::engine {
namespace {

constexpr const char* kDurationAnnotation = "gpusim.io/duration";

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

ArrivalGenerator::ArrivalGenerator(Cluster& cluster, EventLoop& loop,
                                   const std::vector<ArrivalSpec>& specs, std::uint64_t seed)
    : cluster_(cluster), loop_(loop) {
  for (const auto& spec : specs) {
    Stream s{&spec, Rng::stream(seed, "arrivals/" + spec.name), 0, {}, 0};
    if (spec.process == ArrivalProcess::kTrace) {
      // The loader reads and checks the file; a spec built without it has no rows to replay.
      if (!spec.trace_rows) {
        throw InputError(spec.source, "arrivals[].traceFile",
                         "the trace file " + spec.trace_file + " was not read by the loader");
      }
      s.rows = spec.trace_rows;
    }
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
        if (!s.rows->empty()) schedule_next(i, a.start_ms + s.rows->front().t_ms);
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
      while (s.next_row < s.rows->size() &&
             a.start_ms + (*s.rows)[s.next_row].t_ms <= loop_.now()) {
        if (a.count && s.next_index >= *a.count) return;
        create(s, &(*s.rows)[s.next_row++]);
      }
      if (s.next_row < s.rows->size()) schedule_next(i, a.start_ms + (*s.rows)[s.next_row].t_ms);
      break;
    }
  }
}

void ArrivalGenerator::create(Stream& s, const ArrivalTraceRow* row) {
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
