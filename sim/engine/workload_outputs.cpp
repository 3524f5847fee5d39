#include "engine/workload_outputs.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "controllers/conditions.hpp"
#include "controllers/deployment_controller.hpp"
#include "controllers/disruption.hpp"
#include "controllers/rollout.hpp"
#include "core/csv.hpp"
#include "core/sorted_cursor.hpp"

namespace gpusim::engine {

using namespace std::string_view_literals;

namespace {

void append_condition(std::string& out, const std::vector<Condition>& conds,
                      std::string_view type) {
  const Condition* c = ctrl::find_condition(conds, type);
  if (c == nullptr) return;
  out.append(c->status).append(":"sv).append(c->reason);
}

}  // namespace

WorkloadOutputs::WorkloadOutputs(Cluster& cluster, EventLoop& loop, TimeMs sample_interval_ms,
                                 const ctrl::MetricsPipeline& metrics,
                                 const ctrl::HpaController& hpa,
                                 const ctrl::DrainController& drains, ForkJoin* fork_join)
    : cluster_(cluster),
      loop_(loop),
      interval_ms_(sample_interval_ms > 0 ? sample_interval_ms : 60'000),
      metrics_(metrics),
      hpa_(hpa),
      drains_(drains),
      fork_join_(fork_join) {
  workloads_csv_.record().append(
      "t_ms,deployment,desired,replicas,updated,ready,available,unavailable,offered_rps,"
      "served_rps,latency_ms,queue_depth,queue_oldest_age_s,cpu_per_ready_pod_milli\n");
  hpa_csv_.record().append(
      "t_ms,hpa,target,min_replicas,max_replicas,current_replicas,desired_replicas,metrics,"
      "able_to_scale,scaling_active,scaling_limited\n");
}

void WorkloadOutputs::start() {
  sample();
}

void WorkloadOutputs::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "Deployment") observe(key, true);
  if (kind == "DeploymentStatus") observe(key, false);
}

void WorkloadOutputs::observe(const std::string& key, bool spec_changed) {
  auto it = cluster_.deployments.find(key);
  if (it == cluster_.deployments.end()) return;
  const Deployment& d = it->second;
  Track& t = tracks_[key];
  const std::int32_t desired = d.spec_replicas();
  const std::int32_t ready = d.status.ready_replicas;
  if (t.last_desired < 0) {
    t.min_desired = t.max_desired = desired;
    t.min_ready = t.max_ready = ready;
  }
  t.min_desired = std::min(t.min_desired, desired);
  t.max_desired = std::max(t.max_desired, desired);
  if (!spec_changed) {
    t.min_ready = std::min(t.min_ready, ready);
    t.max_ready = std::max(t.max_ready, ready);
  }
  if (spec_changed && t.tmpl != nullptr && t.tmpl != d.tmpl.get()) {
    // A new template: a rollout starts (a second change supersedes a running one).
    if (!t.rollouts.empty() && !t.rollouts.back().completed_ms) {
      t.rollouts.back().completed_ms = loop_.now();
    }
    Rollout r;
    r.started_ms = loop_.now();
    r.desired_at_start = desired;
    r.min_ready_minus_desired = ready - desired;
    r.min_available_minus_desired = d.status.available_replicas - desired;
    r.max_pods = d.status.replicas;
    t.rollouts.push_back(r);
  }
  if (t.tmpl == nullptr || spec_changed) t.tmpl = d.tmpl.get();
  if (!t.rollouts.empty() && !t.rollouts.back().completed_ms) {
    Rollout& r = t.rollouts.back();
    if (t.last_desired >= 0 && desired != t.last_desired) r.desired_changed = true;
    if (!spec_changed) {
      // Status changes are where capacity moves; a spec change alone has no new status yet.
      r.min_ready_minus_desired = std::min(r.min_ready_minus_desired, ready - desired);
      r.min_available_minus_desired =
          std::min(r.min_available_minus_desired, d.status.available_replicas - desired);
      r.max_pods = std::max(r.max_pods, d.status.replicas);
    }
    const ctrl::RolloutStatus st{d.status.replicas, d.status.updated_replicas,
                                 d.status.ready_replicas, d.status.available_replicas,
                                 d.status.observed_generation};
    if (!spec_changed && ctrl::deployment_complete(desired, d.meta.generation, st)) {
      r.completed_ms = loop_.now();
      if (const std::string* rev = d.meta.annotation(ctrl::kRevisionAnnotation)) r.revision = *rev;
    }
  }
  t.last_desired = desired;
}

void WorkloadOutputs::sample() {
  const TimeMs now = loop_.now();
  if (now != last_sample_ms_) {
    last_sample_ms_ = now;
    collect_rows();
    char t_buf[24];
    const std::string_view t(
        t_buf,
        static_cast<std::size_t>(std::to_chars(t_buf, t_buf + sizeof t_buf, now).ptr - t_buf));
    // Rows are formatted in parallel (nothing is written while the event loop waits here), each
    // into its own reused string, and appended in order below.
    const std::size_t rows = deployment_rows_.size() + hpa_rows_.size();
    row_text_.resize(rows);
    for_each_range(fork_join_, rows, [this, t](std::size_t begin, std::size_t end) {
      thread_local std::string field;  // one composite field of a row
      for (std::size_t i = begin; i < end; ++i) {
        std::string& o = row_text_[i];
        o.clear();
        if (i < deployment_rows_.size()) {
          append_deployment_row(o, t, deployment_rows_[i]);
        } else {
          append_hpa_row(o, t, hpa_rows_[i - deployment_rows_.size()], field);
        }
      }
    });
    for (std::size_t i = 0; i < rows; ++i) {
      (i < deployment_rows_.size() ? workloads_csv_ : hpa_csv_).record().append(row_text_[i]);
    }
  }
  loop_.at_background(now + interval_ms_, EventPriority::kRecorder, [this] { sample(); });
}

void WorkloadOutputs::collect_rows() {
  deployment_rows_.clear();
  SortedCursor workloads(metrics_.workloads_by_key());
  for (const auto& [key, d] : cluster_.deployments) {
    const auto* found = workloads.find(key);
    deployment_rows_.push_back({&key, &d, found != nullptr ? *found : nullptr});
  }
  hpa_rows_.clear();
  SortedCursor states(hpa_.states());
  for (const auto& [key, h] : cluster_.hpas)
    hpa_rows_.push_back({&key, &h, states.find(key)});
}

void WorkloadOutputs::append_deployment_row(std::string& o, std::string_view t,
                                            const DeploymentRow& row) {
  const Deployment& d = *row.deployment;
  const ctrl::WorkloadLoadState* w = row.load;
  o.append(t).push_back(',');
  append_csv_field(o, *row.key);
  for (const std::int32_t v :
       {d.spec_replicas(), d.status.replicas, d.status.updated_replicas, d.status.ready_replicas,
        d.status.available_replicas, d.status.unavailable_replicas}) {
    o.push_back(',');
    append_int(o, v);
  }
  o.push_back(',');
  if (w != nullptr && w->t_ms >= 0) {
    append_fixed3(o, w->offered_rps);
    o.push_back(',');
    append_fixed3(o, w->served_rps);
    o.push_back(',');
    if (w->latency_known) append_fixed3(o, w->latency_s * 1000.0);
    o.push_back(',');
    if (w->spec->queue) append_fixed3(o, w->queue_depth);
    o.push_back(',');
    if (w->spec->queue) append_fixed3(o, w->oldest_age_s);
    o.push_back(',');
    append_int(o, w->cpu_ready_milli);
    o.push_back('\n');
  } else {
    o.append(",,,,,\n"sv);
  }
}

void WorkloadOutputs::append_hpa_row(std::string& o, std::string_view t, const HpaRow& row,
                                     std::string& field) {
  const HorizontalPodAutoscaler& h = *row.hpa;
  o.append(t).push_back(',');
  append_csv_field(o, *row.key);
  o.push_back(',');
  field.assign(h.scale_target_ref.kind).append("/"sv).append(h.scale_target_ref.name);
  append_csv_field(o, field);
  for (const std::int32_t v : {h.min_replicas.value_or(1), h.max_replicas,
                               h.status.current_replicas, h.status.desired_replicas}) {
    o.push_back(',');
    append_int(o, v);
  }
  o.push_back(',');
  field.clear();
  if (row.state != nullptr) {
    for (const ctrl::MetricValue& m : row.state->metrics) {
      if (!field.empty()) field.push_back(';');
      field.append(m.name).push_back('=');
      if (m.ok) {
        append_int(field, m.current_m);
      } else {
        field.push_back('?');
      }
      field.push_back('/');
      append_int(field, m.target_m);
    }
  }
  append_csv_field(o, field);
  o.push_back(',');
  append_condition(o, h.status.conditions, "AbleToScale"sv);
  o.push_back(',');
  append_condition(o, h.status.conditions, "ScalingActive"sv);
  o.push_back(',');
  append_condition(o, h.status.conditions, "ScalingLimited"sv);
  o.push_back('\n');
}

void WorkloadOutputs::add_summary(nlohmann::ordered_json& summary) const {
  if (cluster_.deployments.empty() && cluster_.hpas.empty() && drains_.drains().empty()) return;
  nlohmann::ordered_json s;
  nlohmann::ordered_json deployments = nlohmann::ordered_json::object();
  for (const auto& [key, d] : cluster_.deployments) {
    nlohmann::ordered_json j;
    auto t = tracks_.find(key);
    if (t != tracks_.end()) {
      j["desired_min"] = t->second.min_desired;
      j["desired_max"] = t->second.max_desired;
      j["ready_min"] = t->second.min_ready;
      j["ready_max"] = t->second.max_ready;
      nlohmann::ordered_json rollouts = nlohmann::ordered_json::array();
      for (const Rollout& r : t->second.rollouts) {
        nlohmann::ordered_json rj;
        rj["started_ms"] = r.started_ms;
        if (r.completed_ms) {
          rj["completed_ms"] = *r.completed_ms;
          rj["duration_ms"] = *r.completed_ms - r.started_ms;
        } else {
          rj["completed_ms"] = nullptr;
        }
        rj["revision"] = r.revision;
        rj["desired_at_start"] = r.desired_at_start;
        rj["desired_changed"] = r.desired_changed;
        rj["min_ready_minus_desired"] = r.min_ready_minus_desired;
        rj["min_available_minus_desired"] = r.min_available_minus_desired;
        rj["max_pods"] = r.max_pods;
        rollouts.push_back(rj);
      }
      j["rollouts"] = rollouts;
    }
    j["final"] = {{"desired", d.spec_replicas()},
                  {"replicas", d.status.replicas},
                  {"updated", d.status.updated_replicas},
                  {"ready", d.status.ready_replicas},
                  {"available", d.status.available_replicas}};
    if (const ctrl::WorkloadLoadState* w = metrics_.workload(key)) {
      nlohmann::ordered_json l;
      l["offered_requests"] = std::llround(w->offered_requests);
      l["served_requests"] = std::llround(w->served_requests);
      l["served_fraction"] =
          w->offered_requests > 0 ? w->served_requests / w->offered_requests : 1.0;
      if (w->latency_known) {
        l["mean_latency_ms"] =
            w->served_requests > 0 ? 1000.0 * w->latency_request_s / w->served_requests : 0.0;
        l["max_latency_ms"] = 1000.0 * w->max_latency_s;
      }
      l["saturated_ms"] = w->saturated_ms;
      if (w->spec->queue) {
        l["queue_depth_final"] = w->queue_depth;
        l["oldest_age_s_final"] = w->oldest_age_s;
      }
      j["load"] = l;
    }
    // `gpusim get deployments -l` selects by these (workloads.csv has the figures only).
    if (!d.meta.labels.empty()) j["labels"] = d.meta.labels;
    deployments[key] = j;
  }
  s["deployments"] = deployments;
  nlohmann::ordered_json hpas = nlohmann::ordered_json::object();
  for (const auto& [key, h] : cluster_.hpas) {
    nlohmann::ordered_json j;
    j["current_replicas"] = h.status.current_replicas;
    j["desired_replicas"] = h.status.desired_replicas;
    nlohmann::ordered_json conds = nlohmann::ordered_json::object();
    for (const Condition& c : h.status.conditions)
      conds[c.type] = c.status + ":" + c.reason;
    j["conditions"] = conds;
    if (!h.meta.labels.empty()) j["labels"] = h.meta.labels;
    // Each metric's target type, in hpa.csv's `metrics` order: `gpusim get hpa` prints a
    // Utilization target as a percentage and the others as quantities, as kubectl does.
    nlohmann::ordered_json targets = nlohmann::ordered_json::array();
    for (const MetricSpec& m : h.metrics) {
      targets.push_back(m.target.type == MetricTargetType::kUtilization ? "Utilization"
                        : m.target.type == MetricTargetType::kValue     ? "Value"
                                                                        : "AverageValue");
    }
    if (!targets.empty()) j["metric_targets"] = targets;
    hpas[key] = j;
  }
  s["hpas"] = hpas;
  nlohmann::ordered_json drains = nlohmann::ordered_json::array();
  for (const ctrl::DrainRecord& r : drains_.drains()) {
    nlohmann::ordered_json j;
    j["node"] = r.node;
    j["reason"] = r.reason;
    j["started_ms"] = r.started_ms;
    if (r.finished_ms) {
      j["finished_ms"] = *r.finished_ms;
      j["duration_ms"] = *r.finished_ms - r.started_ms;
    } else {
      j["finished_ms"] = nullptr;
    }
    j["evicted"] = r.evicted;
    j["blocked_attempts"] = r.blocked_attempts;
    j["timed_out"] = r.timed_out;
    j["failed"] = r.failed;
    if (!r.message.empty()) j["message"] = r.message;
    drains.push_back(j);
  }
  s["drains"] = drains;
  nlohmann::ordered_json pdbs = nlohmann::ordered_json::object();
  for (const auto& [key, pdb] : cluster_.pdbs) {
    const ctrl::PdbStatus st = ctrl::compute_pdb_status(cluster_, pdb);
    pdbs[key] = {{"expected_pods", st.expected_pods},
                 {"desired_healthy", st.desired_healthy},
                 {"current_healthy", st.current_healthy},
                 {"disruptions_allowed", st.disruptions_allowed}};
  }
  s["pdbs"] = pdbs;
  summary["serving"] = s;
}

void WorkloadOutputs::stream_to(TextSpool& spool, const StagedDirectory& dir) {
  workloads_csv_.stream_to(spool, dir, "workloads.csv");
  hpa_csv_.stream_to(spool, dir, "hpa.csv");
}

void WorkloadOutputs::write(const StagedDirectory& dir) const {
  workloads_csv_.write(dir, "workloads.csv");
  hpa_csv_.write(dir, "hpa.csv");
}

}  // namespace gpusim::engine
