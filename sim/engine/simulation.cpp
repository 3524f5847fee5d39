#include "engine/simulation.hpp"

#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <set>
#include <stdexcept>

#include "controllers/adoption.hpp"
#include "controllers/deployment_controller.hpp"
#include "controllers/job_controller.hpp"
#include "controllers/kubelet.hpp"
#include "controllers/priority_admission.hpp"
#include "controllers/replica_set_controller.hpp"
#include "core/duration.hpp"
#include "engine/batch.hpp"
#include "engine/defrag_output.hpp"
#include "engine/explain_writer.hpp"
#include "engine/invariants.hpp"
#include "engine/serving.hpp"
#include "engine/trace_replay.hpp"
#include "engine/wait_stats.hpp"
#include "scheduler/plugin_registry.hpp"

namespace gpusim::engine {

Simulation::Simulation(const Scenario& scenario, RunOptions options)
    : scenario_(scenario), options_(std::move(options)) {
  const SimulationSpec& spec = scenario_.simulation;
  seed_ = options_.seed.value_or(spec.seed);
  if (options_.until) {
    until_ms_ = *options_.until;
    stop_when_idle_ = false;
  } else if (spec.duration_ms) {
    until_ms_ = *spec.duration_ms;
    stop_when_idle_ = false;
  } else {
    until_ms_ = spec.max_time_ms;
    stop_when_idle_ = true;
  }
  loop_.set_stop_when_idle(stop_when_idle_);
  loop_.set_event_cap(spec.max_events);
  cluster_ = std::make_unique<Cluster>(loop_, seed_);

  admission_.push_back(std::make_unique<ctrl::PriorityAdmission>(*cluster_));
  for (auto& a : admission_)
    cluster_->add_admission(a.get());

  sched::SchedulerConfig sc = scenario_.scheduler;
  const std::string policy = !options_.policy.empty() ? options_.policy : spec.policy;
  if (!policy.empty()) sc = sched::with_policy(sc, policy);
  sc = configure_gpu_scoring(std::move(sc), scenario_, options_.scorer);
  scheduler_ = std::make_unique<sched::Scheduler>(*cluster_, loop_, sc, seed_);
  if (options_.explain) {
    explain_ = std::make_unique<ExplainWriter>();
    scheduler_->set_explain(explain_.get());
  }
  scheduler_->set_evictor([this](PodId victim, PodId) { cluster_->request_deletion(victim); });

  ctrl::TimingDefaults td;
  td.pod_startup_ms = spec.defaults.pod_startup_ms;
  td.image_pull_ms = spec.defaults.image_pull_ms;
  td.init_container_ms = spec.defaults.init_container_ms;
  if (spec.defaults.job_pod_duration) {
    td.job_pod_duration = *spec.defaults.job_pod_duration;  // drawn per pod when a distribution
  } else if (spec.defaults.job_pod_duration_ms) {
    td.job_pod_duration = DurationDistribution::fixed(*spec.defaults.job_pod_duration_ms);
  }
  if (spec.defaults.pod_duration) {
    td.pod_duration = *spec.defaults.pod_duration;  // as for Jobs: drawn per start
  } else if (spec.defaults.pod_duration_ms) {
    td.pod_duration = DurationDistribution::fixed(*spec.defaults.pod_duration_ms);
  }
  td.seed = seed_;
  td.image_pull_bytes_per_second = spec.defaults.image_pull_bytes_per_second;
  td.shutdown_ms = spec.defaults.shutdown_ms;
  td.failure_after_ms = spec.defaults.failure_after_ms;
  controllers_.push_back(std::make_unique<ctrl::Kubelet>(*cluster_, loop_, td));
  controllers_.push_back(std::make_unique<ctrl::ReplicaSetController>(*cluster_, loop_));
  controllers_.push_back(std::make_unique<ctrl::DeploymentController>(*cluster_, loop_));
  controllers_.push_back(std::make_unique<ctrl::JobController>(*cluster_, loop_));
  for (auto& c : controllers_)
    cluster_->add_observer(c.get());

  recorder_ = std::make_unique<Recorder>(*cluster_, loop_, spec.sample_interval_ms);
  cluster_->add_observer(recorder_.get());
  // Load, metrics, HPA, budgets, node lifecycle, drains, timeline, workloads.csv/hpa.csv.
  contributors_.push_back(
      std::make_unique<Serving>(*cluster_, loop_, spec, seed_, options_.threads,
                                [this](const std::string& pool) { add_next_pool_node(pool); }));
  // Quota admission (after Priority's), quota, CronJob and PyTorchJob controllers: before any
  // object is stored.
  auto batch = std::make_unique<Batch>(*cluster_, loop_, scenario_, seed_);
  batch_ = batch.get();
  contributors_.push_back(std::move(batch));

  build_cluster();
  batch_->start(*scheduler_, [this](const std::string& pool) { return add_next_pool_node(pool); });
  if (spec.trace) contributors_.push_back(std::make_unique<TraceReplay>(*this));
  contributors_.push_back(std::make_unique<DefragOutput>(*cluster_));
  if (options_.check_invariants) {
    auto checker = std::make_unique<InvariantChecker>(*cluster_, loop_, scheduler_.get());
    ctrl::ResourceQuotaController& qc = batch_->quota_controller();
    checker->set_quota_recalculation([&qc](const ResourceQuota& q) { return qc.recalculate(q); });
    cluster_->add_observer(checker.get());
    checker->check_all();
    checker->attach();
    invariants_ = checker.get();
    contributors_.push_back(std::move(checker));
  }
}

Simulation::~Simulation() = default;

NodeId Simulation::add_next_pool_node(const std::string& pool) {
  for (const auto& p : scenario_.simulation.node_pools) {
    if (p.name != pool) continue;
    std::int32_t& i = next_pool_index_.try_emplace(pool, p.count).first->second;
    while (cluster_->find_node(p.name + "-" + std::to_string(i)) != kNoNode)
      ++i;
    add_node_from_pool(p, i);
    return cluster_->find_node(p.name + "-" + std::to_string(i++));
  }
  return kNoNode;
}

std::string Simulation::gpu_model_of(const Node& n) const {
  const std::string& key = scenario_.simulation.gpu_model_label;
  if (auto it = n.meta.labels.find(key); it != n.meta.labels.end()) return it->second;
  return {};
}

void Simulation::add_node_from_pool(const NodePoolSpec& pool, std::int32_t index) {
  Node n = pool.node_template;
  n.meta.name = pool.name + "-" + std::to_string(index);
  n.meta.labels["kubernetes.io/hostname"] = n.meta.name;
  n.meta.labels["gpusim.io/pool"] = pool.name;
  if (!pool.gpu_model.empty()) n.meta.labels[scenario_.simulation.gpu_model_label] = pool.gpu_model;
  n.pool = pool.name;
  n.gpu_model = gpu_model_of(n);
  cluster_->add_node(std::move(n));
}

void Simulation::build_cluster() {
  Cluster& c = *cluster_;
  // API objects exist before anything runs; controllers then sync them at t=0.
  for (const auto& ns : scenario_.namespaces)
    c.namespaces[ns.meta.name] = ns;
  for (const auto& pc : scenario_.priority_classes)
    c.priority_classes[pc.meta.name] = pc;
  for (const auto& q : scenario_.quotas) {
    c.quotas[q.meta.key()] = q;
    c.object_changed("ResourceQuota", q.meta.key());  // the quota controller fills status now
  }
  // Objects are created in manifest order within each kind, each through admission (object
  // count quotas), as `kubectl apply` would: one refused is reported and left out.
  for (const auto& pdb : scenario_.pdbs) {
    if (c.admit_or_report("PodDisruptionBudget", pdb.meta)) c.pdbs[pdb.meta.key()] = pdb;
  }
  // A pool's member manifests come first (scenario.hpp): the first `count` of them, in manifest
  // order; the pool adds template nodes for the rest of its count. Pods bound by spec.nodeName
  // to a member left out are placed by the scheduler instead.
  std::map<std::string, std::int32_t> members;
  std::set<std::string> left_out;
  for (Node n : scenario_.nodes) {
    if (const NodePoolSpec* pool = member_pool(scenario_, n)) {
      std::int32_t& kept = members[pool->name];
      if (kept >= pool->count) {
        left_out.insert(n.meta.name);
        continue;
      }
      ++kept;
      n.pool = pool->name;
    }
    if (n.gpu_model.empty()) n.gpu_model = gpu_model_of(n);
    if (!n.meta.labels.count("kubernetes.io/hostname"))
      n.meta.labels["kubernetes.io/hostname"] = n.meta.name;
    c.add_node(std::move(n));
  }
  for (const auto& pool : scenario_.simulation.node_pools) {
    std::int32_t made = members[pool.name];
    for (std::int32_t i = 0; made < pool.count; ++i) {
      if (c.find_node(pool.name + "-" + std::to_string(i)) != kNoNode) continue;
      add_node_from_pool(pool, i);
      ++made;
    }
  }
  auto with_uid = [&](auto obj) {
    obj.meta.uid = c.next_uid();
    obj.meta.creation_ms = 0;
    return obj;
  };
  for (const auto& h : scenario_.hpas) {
    if (c.admit_or_report("HorizontalPodAutoscaler", h.meta)) c.hpas[h.meta.key()] = with_uid(h);
  }
  auto create = [&](std::string_view kind, auto& store, const auto& obj) {
    if (!c.admit_or_report(kind, obj.meta)) return;
    store[obj.meta.key()] = with_uid(obj);
    c.object_changed(kind, obj.meta.key());
  };
  // A ReplicaSet's controller reference is resolved once the Deployments exist (below).
  for (ReplicaSet rs : scenario_.replica_sets) {
    rs.meta.owner.reset();
    create("ReplicaSet", c.replica_sets, rs);
  }
  for (const auto& d : scenario_.deployments)
    create("Deployment", c.deployments, d);
  for (const auto& j : scenario_.jobs)
    create("Job", c.jobs, j);
  for (const auto& cj : scenario_.cron_jobs)
    create("CronJob", c.cron_jobs, cj);
  // PodGroups before the pods that name them: Coscheduling looks a pod's group up when the pod
  // is first tried.
  for (const auto& g : scenario_.pod_groups)
    create("PodGroup", c.pod_groups, g);
  for (const auto& pj : scenario_.pytorch_jobs)
    create("PyTorchJob", c.pytorch_jobs, pj);
  // The manifests' controller references (ctrl/adoption.hpp), before any pod exists: a pod bound
  // by spec.nodeName runs as its owner's from the start (the kubelet times Job pods as such).
  for (const auto& rs : scenario_.replica_sets) {
    if (rs.meta.owner) ctrl::claim_replica_set(c, rs.meta.key(), *rs.meta.owner);
  }
  for (Pod p : scenario_.pods) {
    if (!p.spec().node_name.empty() && left_out.count(p.spec().node_name)) {
      PodTemplate t = *p.tmpl;
      t.spec.node_name.clear();
      p.tmpl = make_template(std::move(t));
    }
    ctrl::claim_pod(c, p);
    const std::string key = p.key();
    CreateResult r = c.create_pod(std::move(p));
    if (!r.ok()) {
      c.emit(ClusterEvent{0, "FailedCreate", "Pod", key, {}, "Error creating: " + r.error, true});
    }
  }
}

void Simulation::run() {
  const auto t0 = std::chrono::steady_clock::now();
  recorder_->start();
  if (!options_.progress) {
    loop_.run(until_ms_);
  } else {
    // Same events in the same order as one run(until): run() only stops between events.
    const TimeMs span = stop_when_idle_ ? 3'600'000 : std::max<TimeMs>(1, until_ms_ / 200);
    while (loop_.now() < until_ms_) {
      const TimeMs next = until_ms_ - loop_.now() > span ? loop_.now() + span : until_ms_;
      loop_.run(next);
      options_.progress(loop_.now(), loop_.events_processed());
      if (loop_.hit_event_cap() || (stop_when_idle_ && loop_.idle()) || loop_.now() < next) break;
    }
  }
  if (loop_.hit_event_cap()) {
    hit_limit_ = true;
    limit_message_ =
        "stopped after " + std::to_string(loop_.events_processed()) +
        " events (the cap set by spec.maxEvents); results cover simulated time up to " +
        format_duration(loop_.now());
  }
  recorder_->finish();
  for (auto& c : contributors_)
    c->finish();
  wall_ms_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

nlohmann::ordered_json Simulation::summary() const {
  nlohmann::ordered_json s;
  s["scenario"] = scenario_.simulation.name;
  s["seed"] = seed_;
  s["sim_time_ms"] = loop_.now();
  s["events_processed"] = loop_.events_processed();
  s["wall_ms"] = options_.reproducible ? 0 : static_cast<std::int64_t>(wall_ms_);
  if (hit_limit_) s["limit"] = limit_message_;

  std::int64_t pending = 0, running = 0;
  cluster_->for_each_pod([&](PodId, const Pod& p) {
    if (p.status.phase == PodPhase::kPending) ++pending;
    if (p.status.phase == PodPhase::kRunning) ++running;
  });
  const PodCounters& pc = recorder_->pods();
  s["pods"] = {{"created", pc.created},     {"scheduled", pc.scheduled}, {"pending", pending},
               {"running", running},        {"succeeded", pc.succeeded}, {"failed", pc.failed},
               {"preempted", pc.preempted}, {"evicted", pc.evicted},     {"rejected", pc.rejected}};
  // Cluster-wide, so a sweep can chart it whatever the namespaces are (wait_stats.hpp).
  const WaitStats w = wait_stats(recorder_->pod_waits_ms());
  s["pods"]["wait_ms"] = {
      {"mean", w.mean}, {"p50", w.p50}, {"p95", w.p95}, {"p99", w.p99}, {"max", w.max}};
  const ResourceTotals cap = recorder_->capacity();
  const ResourceTotals fin = recorder_->allocated();
  const ResourceTotals mean = recorder_->allocated_mean();
  // Pools grow and shrink: a mean share is allocated_mean over capacity_mean (both
  // time-weighted), not over the final capacity.
  const ResourceTotals cap_mean = recorder_->capacity_mean();
  nlohmann::ordered_json res;
  res["cpu"] = {{"unit", "milli"},
                {"capacity", cap.cpu_milli},
                {"capacity_mean", cap_mean.cpu_milli},
                {"allocated_final", fin.cpu_milli},
                {"allocated_mean", mean.cpu_milli}};
  res["memory"] = {{"unit", "bytes"},
                   {"capacity", cap.memory_bytes},
                   {"capacity_mean", cap_mean.memory_bytes},
                   {"allocated_final", fin.memory_bytes},
                   {"allocated_mean", mean.memory_bytes}};
  res["nvidia.com/gpu"] = {{"unit", "milli"},
                           {"capacity", cap.gpu_milli},
                           {"capacity_mean", cap_mean.gpu_milli},
                           {"allocated_final", fin.gpu_milli},
                           {"allocated_mean", mean.gpu_milli}};
  s["resources"] = res;
  const auto& st = scheduler_->stats();
  s["scheduler"] = {{"attempts", st.attempts},
                    {"scheduled", st.scheduled},
                    {"unschedulable_attempts", st.unschedulable},
                    {"preemptions", st.preemptions}};
  // A saved run must say which policy made it (--policy, else spec.policy).
  const std::string& policy =
      !options_.policy.empty() ? options_.policy : scenario_.simulation.policy;
  if (!policy.empty())
    s["scheduler"]["policy"] = sched::PluginRegistry::builtin().canonical(policy);
  s["nodes"] = cluster_->node_count();
  for (const auto& c : contributors_)
    c->add_summary(s);
  return s;
}

void Simulation::stream_outputs(const StagedDirectory& dir) {
  if (spool_) throw std::logic_error("Simulation::stream_outputs called twice");
  spool_ = std::make_unique<TextSpool>();
  recorder_->stream_to(*spool_, dir);
  for (const auto& c : contributors_)
    c->stream_to(*spool_, dir);
}

void Simulation::write_outputs(const StagedDirectory& dir) const {
  dir.write("summary.json", summary().dump(2) + "\n");
  // The recorder's files and the contributors' are independent and a long run's outputs are
  // hundreds of MB: written and synced on two threads, they take about half the time. The
  // future's get() (or its destructor, if the contributors throw first) waits for the task.
  std::future<void> recorder_files = std::async(std::launch::async, [this, &dir] {
    recorder_->write_events(dir);
    dir.write("timeseries.csv", recorder_->timeseries_csv());
    dir.write("pods.csv", recorder_->pods_csv());
    dir.write("nodes.csv", recorder_->nodes_csv());
  });
  if (explain_) static_cast<const ExplainWriter&>(*explain_).write(dir);
  for (const auto& c : contributors_)
    c->write(dir);
  recorder_files.get();
}

}  // namespace gpusim::engine
