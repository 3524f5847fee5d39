// The scenario loader on well-formed input: users' manifests unchanged, the Simulation document,
// kind: List, upstream defaults, and the input plumbing (directories, stdin, missing files).
#include "scenario/loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "scenario_test_util.hpp"

namespace gpusim::scenario {
namespace {

using testing::data;

const Container& only_container(const std::shared_ptr<const PodTemplate>& t) {
  EXPECT_TRUE(t);
  EXPECT_EQ(t->spec.containers.size(), 1u);
  return t->spec.containers.at(0);
}

std::string q(const ResourceQuantities& r, const std::string& name) {
  auto it = r.find(name);
  return it == r.end() ? std::string("<none>") : it->second.str();
}

TEST(ScenarioLoader, FraudDetectorManifestsLoadUnchanged) {
  const std::string file = data("fraud-detector/k8s-manifests.yaml");
  const engine::Scenario s = load_scenario({file});

  ASSERT_EQ(s.deployments.size(), 1u);
  const Deployment& d = s.deployments[0];
  EXPECT_EQ(d.meta.name, "fraud-detector");
  EXPECT_EQ(d.meta.namespace_, "ml-serving");
  EXPECT_EQ(d.meta.labels.at("version"), "v1");
  EXPECT_EQ(d.meta.source.line, 6);
  ASSERT_TRUE(d.replicas);
  EXPECT_EQ(*d.replicas, 2);
  EXPECT_EQ(d.selector.str(), "app=fraud-detector");
  EXPECT_EQ(d.strategy.type, DeploymentStrategyType::kRollingUpdate);
  EXPECT_FALSE(d.strategy.max_surge.is_string);
  EXPECT_EQ(d.strategy.max_surge.int_value, 1);
  EXPECT_FALSE(d.strategy.max_unavailable.is_string);
  EXPECT_EQ(d.strategy.max_unavailable.int_value, 0);
  EXPECT_EQ(d.revision_history_limit, 10);
  EXPECT_EQ(d.progress_deadline_s, 600);

  ASSERT_TRUE(d.tmpl);
  EXPECT_EQ(d.tmpl->labels.at("app"), "fraud-detector");
  ASSERT_EQ(d.tmpl->spec.init_containers.size(), 1u);
  EXPECT_EQ(d.tmpl->spec.init_containers[0].name, "download-model");
  EXPECT_EQ(d.tmpl->spec.init_containers[0].image, "amazon/aws-cli:2.15.0");
  EXPECT_FALSE(d.tmpl->spec.init_containers[0].restartable);
  const Container& serving = only_container(d.tmpl);
  EXPECT_EQ(serving.name, "serving");
  EXPECT_EQ(serving.image, "ghcr.io/org/fraud-detector:sha-abc1234");
  EXPECT_EQ(q(serving.resources.requests, "cpu"), "500m");
  EXPECT_EQ(q(serving.resources.requests, "memory"), "512Mi");
  EXPECT_EQ(q(serving.resources.limits, "cpu"), "1");
  EXPECT_EQ(q(serving.resources.limits, "memory"), "1Gi");
  EXPECT_EQ(serving.resources.limits.count("nvidia.com/gpu"), 0u);  // commented out
  ASSERT_TRUE(serving.readiness_probe);
  EXPECT_EQ(serving.readiness_probe->initial_delay_s, 10);
  EXPECT_EQ(serving.readiness_probe->period_s, 5);
  EXPECT_EQ(serving.readiness_probe->failure_threshold, 3);
  ASSERT_TRUE(serving.liveness_probe);
  EXPECT_EQ(serving.liveness_probe->initial_delay_s, 15);
  EXPECT_EQ(serving.liveness_probe->period_s, 10);
  EXPECT_FALSE(serving.startup_probe);
  EXPECT_TRUE(serving.host_ports.empty());  // containerPort only
  EXPECT_EQ(d.tmpl->spec.restart_policy, RestartPolicy::kAlways);
  EXPECT_EQ(d.tmpl->spec.termination_grace_period_s, 30);
  EXPECT_EQ(d.tmpl->spec.scheduler_name, "default-scheduler");
  EXPECT_EQ(d.tmpl->resources.requests.get("cpu"), 500);
  EXPECT_EQ(d.tmpl->resources.requests.get("memory"), 512LL * 1024 * 1024);
  EXPECT_EQ(d.tmpl->resources.qos, QosClass::kBurstable);

  ASSERT_EQ(s.hpas.size(), 1u);
  const HorizontalPodAutoscaler& h = s.hpas[0];
  EXPECT_EQ(h.meta.key(), "ml-serving/fraud-detector-hpa");
  EXPECT_EQ(h.scale_target_ref.kind, "Deployment");
  EXPECT_EQ(h.scale_target_ref.name, "fraud-detector");
  EXPECT_EQ(h.scale_target_ref.api_version, "apps/v1");
  EXPECT_EQ(h.min_replicas, 2);
  EXPECT_EQ(h.max_replicas, 10);
  ASSERT_EQ(h.metrics.size(), 1u);
  EXPECT_EQ(h.metrics[0].type, MetricSourceType::kResource);
  EXPECT_EQ(h.metrics[0].resource_name, "cpu");
  EXPECT_EQ(h.metrics[0].target.type, MetricTargetType::kUtilization);
  EXPECT_EQ(h.metrics[0].target.average_utilization, 70);
  EXPECT_FALSE(h.behavior);

  // The Service is skipped with exactly one warning naming it, and nothing else is reported.
  ASSERT_EQ(s.warnings.items().size(), 1u);
  const Diagnostic& w = s.warnings.items()[0];
  EXPECT_EQ(w.severity, Severity::kWarning);
  EXPECT_EQ(w.str(), file +
                         ":84:7: warning: kind: skipping Service (v1): gpusim does not "
                         "simulate this kind");
  EXPECT_TRUE(s.pods.empty());
  EXPECT_TRUE(s.nodes.empty());
  EXPECT_FALSE(s.simulation_given);
  EXPECT_FALSE(s.scheduler_configured);
  EXPECT_EQ(s.files, std::vector<std::string>{file});
}

TEST(ScenarioLoader, DirectoryWithSimulationAndManifests) {
  const engine::Scenario s = load_scenario({data("cluster")});
  for (const auto& w : s.warnings.items())
    ADD_FAILURE() << "unexpected: " << w.str();
  ASSERT_EQ(s.files.size(), 3u);
  EXPECT_NE(s.files[0].find("00-simulation.yaml"), std::string::npos);
  EXPECT_NE(s.files[2].find("20-workloads.yaml"), std::string::npos);

  ASSERT_TRUE(s.simulation_given);
  const engine::SimulationSpec& sim = s.simulation;
  EXPECT_EQ(sim.name, "cluster-demo");
  EXPECT_EQ(sim.seed, 42u);
  EXPECT_TRUE(sim.seed_set);
  EXPECT_EQ(sim.duration_ms, 9'000'000);
  EXPECT_EQ(sim.sample_interval_ms, 30'000);
  EXPECT_EQ(sim.policy, "");
  EXPECT_EQ(s.scheduler.tie_break, "first");
  EXPECT_TRUE(sim.feature_gates.at("HPAScaleToZero"));

  ASSERT_EQ(sim.node_pools.size(), 2u);
  const engine::NodePoolSpec& a100 = sim.node_pools[0];
  EXPECT_EQ(a100.name, "a100");
  EXPECT_EQ(a100.count, 4);
  EXPECT_EQ(a100.gpu_model, "A100");
  EXPECT_EQ(a100.cost_per_hour_micros, 3'670'000);
  EXPECT_FALSE(a100.autoscaling);
  const Node& t = a100.node_template;
  EXPECT_EQ(t.meta.labels.at("nvidia.com/gpu.product"), "A100");
  EXPECT_EQ(t.meta.labels.at("topology.kubernetes.io/zone"), "zone-a");
  ASSERT_EQ(t.taints.size(), 1u);
  EXPECT_EQ(t.taints[0].str(), "{nvidia.com/gpu=present:NoSchedule}");
  EXPECT_EQ(q(t.capacity, "cpu"), "96");
  EXPECT_EQ(q(t.capacity, "pods"), "110");
  EXPECT_EQ(q(t.allocatable, "cpu"), "94500m");
  EXPECT_EQ(q(t.allocatable, "memory"), "1Ti");
  EXPECT_EQ(q(t.allocatable, "nvidia.com/gpu"), "8");
  EXPECT_EQ(q(t.allocatable, "pods"), "110");
  EXPECT_EQ(t.pool, "a100");
  const engine::NodePoolSpec& cpu = sim.node_pools[1];
  ASSERT_TRUE(cpu.autoscaling);
  EXPECT_EQ(cpu.count, 1);  // minSize
  EXPECT_EQ(cpu.autoscaling->max_size, 10);
  EXPECT_EQ(cpu.autoscaling->provisioning_delay_ms, 180'000);
  EXPECT_DOUBLE_EQ(cpu.autoscaling->scale_down_utilization_threshold, 0.4);
  EXPECT_EQ(cpu.autoscaling->scale_down_unneeded_ms, 300'000);
  EXPECT_EQ(cpu.cost_per_hour_micros, 500'000);
  EXPECT_EQ(cpu.node_template.meta.labels.count("nvidia.com/gpu.product"), 0u);

  EXPECT_EQ(sim.defaults.pod_startup_ms, 5'000);
  EXPECT_EQ(sim.defaults.image_pull_ms, 45'000);
  EXPECT_EQ(sim.defaults.init_container_ms, 20'000);
  EXPECT_EQ(sim.defaults.job_pod_duration_ms, 900'000);
  EXPECT_EQ(sim.defaults.pod_duration_ms, 86'400'000);

  ASSERT_EQ(sim.arrivals.size(), 3u);
  const engine::ArrivalSpec& train = sim.arrivals[0];
  EXPECT_EQ(train.process, engine::ArrivalProcess::kPoisson);
  EXPECT_DOUBLE_EQ(train.rate_per_hour, 4.0);
  EXPECT_EQ(train.start_ms, 600'000);
  EXPECT_EQ(train.stop_ms, 7'200'000);
  ASSERT_TRUE(train.job);
  EXPECT_FALSE(train.pod);
  EXPECT_EQ(train.job->meta.namespace_, "research");
  ASSERT_TRUE(train.job->spec.tmpl);
  EXPECT_EQ(train.job->spec.tmpl->annotations.at("gpusim.io/duration"), "45m");
  EXPECT_EQ(train.job->spec.tmpl->spec.restart_policy, RestartPolicy::kNever);
  EXPECT_EQ(train.job->spec.tmpl->resources.gpu.count, 2);
  EXPECT_EQ(q(only_container(train.job->spec.tmpl).resources.requests, "nvidia.com/gpu"), "2");
  const engine::ArrivalSpec& probe = sim.arrivals[1];
  EXPECT_EQ(probe.process, engine::ArrivalProcess::kInterval);  // inferred from `interval`
  EXPECT_EQ(probe.interval_ms, 900'000);
  EXPECT_EQ(probe.count, 8);
  ASSERT_TRUE(probe.pod);
  EXPECT_EQ(probe.pod->namespace_, "default");
  const engine::ArrivalSpec& replay = sim.arrivals[2];
  EXPECT_EQ(replay.process, engine::ArrivalProcess::kTrace);
  EXPECT_EQ(replay.trace_file, (testing::data_dir() / "cluster/traces/jobs.csv").string());
  EXPECT_FALSE(replay.job || replay.pod || replay.pytorch_job);
  // The loader reads the trace; rows come in time order.
  ASSERT_TRUE(replay.trace_rows);
  ASSERT_EQ(replay.trace_rows->size(), 3u);
  const auto& rows = *replay.trace_rows;
  EXPECT_EQ(rows[0].t_ms, 0);
  EXPECT_EQ(rows[0].namespace_, "default");
  EXPECT_EQ(q(rows[0].requests, "memory"), "1Gi");
  EXPECT_EQ(rows[0].duration, "10m");
  EXPECT_EQ(rows[1].t_ms, 600'000);
  EXPECT_EQ(rows[1].namespace_, "research");
  EXPECT_EQ(q(rows[1].requests, "nvidia.com/gpu"), "2");
  EXPECT_EQ(rows[2].t_ms, 3'600'000);
  EXPECT_EQ(rows[2].duration, "");

  ASSERT_TRUE(sim.trace);
  EXPECT_EQ(sim.trace->format, "openb");
  EXPECT_EQ(sim.trace->node_file, (testing::data_dir() / "cluster/openb/nodes.csv").string());
  EXPECT_EQ(sim.trace->pod_file, (testing::data_dir() / "cluster/openb/pods.csv").string());
  EXPECT_EQ(sim.trace->mode, "timed");
  EXPECT_DOUBLE_EQ(sim.trace->inflate, 1.1);
  EXPECT_FALSE(sim.trace->shuffle);

  ASSERT_EQ(sim.timeline.size(), 3u);
  EXPECT_EQ(sim.timeline[0].at_ms, 1'800'000);
  EXPECT_EQ(sim.timeline[0].action, "cordon");
  EXPECT_EQ(sim.timeline[0].target, "a100-0");
  EXPECT_EQ(sim.timeline[1].params.at("replicas"), "5");
  EXPECT_EQ(sim.timeline[2].action, "patch");
  EXPECT_NE(sim.timeline[2].patch_yaml.find("image: nginx:1.27"), std::string::npos);
  EXPECT_EQ(sim.timeline[2].source.line, 106);
  ASSERT_EQ(sim.expectations.size(), 1u);
  EXPECT_EQ(sim.expectations[0].name, "jobs-finish");
  EXPECT_EQ(sim.expectations[0].expr, "jobs.succeeded >= 1");

  EXPECT_EQ(s.namespaces.size(), 2u);
  ASSERT_EQ(s.priority_classes.size(), 2u);
  EXPECT_EQ(s.priority_classes[0].preemption_policy, PreemptionPolicy::kPreemptLowerPriority);
  EXPECT_EQ(s.priority_classes[1].meta.name, "online");
  EXPECT_TRUE(s.priority_classes[1].global_default);
  EXPECT_EQ(s.priority_classes[1].preemption_policy, PreemptionPolicy::kNever);

  ASSERT_EQ(s.nodes.size(), 1u);
  const Node& h100 = s.nodes[0];
  EXPECT_TRUE(h100.unschedulable);
  EXPECT_FALSE(h100.ready);
  EXPECT_EQ(h100.images.size(), 2u);
  // sizeBytes under each of the image's names (ImageLocality reads it).
  ASSERT_EQ(h100.image_size_bytes.size(), 2u);
  EXPECT_EQ(h100.image_size_bytes.at("nginx:1.27"), 70'000'000);
  EXPECT_EQ(h100.image_size_bytes.at("docker.io/library/nginx:1.27"), 70'000'000);
  EXPECT_EQ(q(h100.allocatable, "pods"), "64");
  EXPECT_EQ(q(h100.allocatable, "nvidia.com/gpu"), "4");

  ASSERT_EQ(s.deployments.size(), 1u);
  EXPECT_EQ(s.deployments[0].tmpl->spec.scheduler_name, "gpu-packing");
  EXPECT_EQ(s.deployments[0].tmpl->spec.priority_class_name, "online");

  ASSERT_EQ(s.cron_jobs.size(), 1u);
  const CronJob& cj = s.cron_jobs[0];
  EXPECT_EQ(cj.schedule, "0 2 * * *");
  EXPECT_EQ(cj.concurrency_policy, ConcurrencyPolicy::kForbid);
  EXPECT_EQ(cj.successful_jobs_history_limit, 3);
  EXPECT_EQ(cj.failed_jobs_history_limit, 1);
  EXPECT_EQ(cj.job_template.spec.completions, 4);
  EXPECT_EQ(cj.job_template.spec.parallelism, 2);
  EXPECT_EQ(cj.job_template.spec.pod_replacement_policy, PodReplacementPolicy::kFailed);
  ASSERT_TRUE(cj.job_template.spec.tmpl);
  EXPECT_EQ(cj.job_template.spec.tmpl->annotations.at("gpusim.io/duration"), "20m");

  ASSERT_EQ(s.pytorch_jobs.size(), 1u);
  const PyTorchJob& pj = s.pytorch_jobs[0];
  ASSERT_EQ(pj.replica_specs.size(), 2u);
  EXPECT_EQ(pj.replica_specs.at("Master").replicas, 1);
  EXPECT_EQ(pj.replica_specs.at("Master").tmpl->spec.restart_policy, RestartPolicy::kOnFailure);
  EXPECT_EQ(pj.replica_specs.at("Worker").replicas, 2);
  EXPECT_EQ(pj.replica_specs.at("Worker").restart_policy, RestartPolicy::kOnFailure);  // ExitCode
  EXPECT_EQ(pj.replica_specs.at("Worker").tmpl->spec.restart_policy, RestartPolicy::kNever);
  EXPECT_EQ(pj.min_available, 3);
  EXPECT_EQ(pj.priority_class_name, "batch");
  EXPECT_FALSE(pj.backoff_limit);  // the training operator defaults none

  ASSERT_EQ(s.quotas.size(), 1u);
  EXPECT_EQ(q(s.quotas[0].hard, "requests.nvidia.com/gpu"), "16");
  ASSERT_EQ(s.pdbs.size(), 1u);
  ASSERT_TRUE(s.pdbs[0].max_unavailable);
  EXPECT_EQ(s.pdbs[0].max_unavailable->str(), "25%");

  ASSERT_EQ(s.hpas.size(), 1u);
  const HorizontalPodAutoscaler& h = s.hpas[0];
  EXPECT_EQ(h.min_replicas, 0);  // allowed by the HPAScaleToZero gate
  ASSERT_EQ(h.metrics.size(), 1u);
  EXPECT_EQ(h.metrics[0].type, MetricSourceType::kExternal);
  EXPECT_EQ(h.metrics[0].metric_name, "queue_depth");
  EXPECT_EQ(h.metrics[0].target.average_value->str(), "30");
  ASSERT_TRUE(h.behavior && h.behavior->scale_down && h.behavior->scale_up);
  EXPECT_EQ(h.behavior->scale_down->stabilization_window_s, 60);
  ASSERT_EQ(h.behavior->scale_down->policies.size(), 1u);
  EXPECT_EQ(h.behavior->scale_down->policies[0].type, ScalingPolicyType::kPercent);
  EXPECT_EQ(h.behavior->scale_up->stabilization_window_s, 0);
  ASSERT_EQ(h.behavior->scale_up->policies.size(), 2u);
  EXPECT_EQ(h.behavior->scale_up->policies[0].value, 4);

  ASSERT_TRUE(s.scheduler_configured);
  EXPECT_EQ(s.scheduler.percentage_of_nodes_to_score, 100);
  EXPECT_EQ(s.scheduler.pod_initial_backoff_s, 2);
  EXPECT_EQ(s.scheduler.pod_max_backoff_s, 20);
  ASSERT_EQ(s.scheduler.profiles.size(), 2u);
  const sched::ProfileSpec& packing = s.scheduler.profiles[1];
  EXPECT_EQ(packing.scheduler_name, "gpu-packing");
  const sched::PluginSetSpec& score = packing.plugins.at("score");
  EXPECT_EQ(score.disabled, std::vector<std::string>{"*"});
  ASSERT_EQ(score.enabled.size(), 1u);
  EXPECT_EQ(score.enabled[0].name, "NodeResourcesFit");
  EXPECT_EQ(score.enabled[0].weight, 5);
  const nlohmann::json& args = packing.plugin_config.at("NodeResourcesFit");
  EXPECT_FALSE(args.contains("apiVersion"));
  EXPECT_EQ(args["scoringStrategy"]["type"], "MostAllocated");
  EXPECT_EQ(args["scoringStrategy"]["resources"][0]["name"], "nvidia.com/gpu");
  EXPECT_TRUE(args["scoringStrategy"]["resources"][0]["weight"].is_number_integer());
  EXPECT_EQ(args["scoringStrategy"]["resources"][0]["weight"], 3);
}

TEST(ScenarioLoader, KindListItems) {
  const std::string file = data("list.yaml");
  const engine::Scenario s = load_scenario({file});
  ASSERT_EQ(s.nodes.size(), 1u);
  EXPECT_EQ(s.nodes[0].meta.name, "node-a");
  EXPECT_EQ(q(s.nodes[0].allocatable, "cpu"), "7800m");
  ASSERT_EQ(s.deployments.size(), 1u);
  EXPECT_EQ(s.deployments[0].meta.key(), "prod/web");
  ASSERT_EQ(s.warnings.items().size(), 1u);
  EXPECT_EQ(s.warnings.items()[0].str(),
            file +
                ":16:11: warning: items[1].kind: skipping Service (v1): gpusim does not "
                "simulate this kind");
}

// A schedulerName far from every profile's is a second scheduler (upstream leaves its pods to
// it): a warning; one a typo away from a profile stays an error (bad/unknown_scheduler_profile).
TEST(ScenarioLoader, SecondSchedulerIsAWarning) {
  const testing::TempFile f(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  schedulerName: volcano
  containers: [{name: c, image: busybox}]
---
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
  - schedulerName: gpu-packing
)");
  const engine::Scenario s = load_scenario({f.path()});
  ASSERT_EQ(s.pods.size(), 1u);
  ASSERT_EQ(s.warnings.items().size(), 1u);
  EXPECT_EQ(s.warnings.items()[0].str(),
            f.path() +
                ":5:18: warning: spec.schedulerName: no scheduler profile named \"volcano\": the "
                "pods of Pod default/p will stay Pending (a scheduler gpusim does not run) (hint: "
                "the KubeSchedulerConfiguration has: default-scheduler, gpu-packing)");
}

TEST(ScenarioLoader, UpstreamDefaults) {
  const engine::Scenario s = load_scenario({data("defaults.yaml")});
  EXPECT_TRUE(s.warnings.items().empty());

  ASSERT_EQ(s.deployments.size(), 1u);
  const Deployment& d = s.deployments[0];
  EXPECT_EQ(d.meta.namespace_, "default");
  EXPECT_FALSE(d.replicas);
  EXPECT_EQ(d.spec_replicas(), 1);
  EXPECT_EQ(d.strategy.type, DeploymentStrategyType::kRollingUpdate);
  EXPECT_EQ(d.strategy.max_surge.str(), "25%");
  EXPECT_EQ(d.strategy.max_unavailable.str(), "25%");
  EXPECT_EQ(d.revision_history_limit, 10);
  EXPECT_EQ(d.progress_deadline_s, 600);
  EXPECT_EQ(d.min_ready_s, 0);
  // gpusim.io annotations on the Deployment reach the pods unless the template sets them.
  EXPECT_EQ(d.tmpl->annotations.at("gpusim.io/startup"), "30s");
  EXPECT_EQ(d.tmpl->annotations.at("gpusim.io/gpu-model"), "H100");
  EXPECT_EQ(d.tmpl->resources.gpu.models, std::vector<std::string>{"H100"});
  // Requests default to limits.
  const Container& c = only_container(d.tmpl);
  EXPECT_EQ(q(c.resources.requests, "cpu"), "1");
  EXPECT_EQ(q(c.resources.requests, "memory"), "1Gi");
  EXPECT_EQ(q(c.resources.requests, "nvidia.com/gpu"), "1");
  EXPECT_EQ(d.tmpl->resources.qos, QosClass::kGuaranteed);
  EXPECT_EQ(d.tmpl->resources.gpu.count, 1);

  ASSERT_EQ(s.jobs.size(), 1u);
  const JobSpec& j = s.jobs[0].spec;
  EXPECT_EQ(j.parallelism, 1);
  EXPECT_FALSE(j.completions);
  EXPECT_EQ(j.backoff_limit, 6);
  EXPECT_EQ(j.pod_replacement_policy, PodReplacementPolicy::kTerminatingOrFailed);
  EXPECT_EQ(j.completion_mode, CompletionMode::kNonIndexed);
  EXPECT_FALSE(j.suspend);
  EXPECT_FALSE(j.selector);

  ASSERT_EQ(s.hpas.size(), 1u);
  const HorizontalPodAutoscaler& h = s.hpas[0];
  EXPECT_EQ(h.min_replicas, 1);
  ASSERT_EQ(h.metrics.size(), 1u);
  EXPECT_EQ(h.metrics[0].resource_name, "cpu");
  EXPECT_EQ(h.metrics[0].target.average_utilization, 80);
  ASSERT_TRUE(h.behavior);
  EXPECT_EQ(h.behavior->scale_up->stabilization_window_s, 30);
  EXPECT_EQ(h.behavior->scale_up->select_policy, SelectPolicy::kMax);
  EXPECT_EQ(h.behavior->scale_up->policies.size(), 2u);
  ASSERT_TRUE(h.behavior->scale_down);
  EXPECT_FALSE(h.behavior->scale_down->stabilization_window_s);  // the controller's 300 s
  ASSERT_EQ(h.behavior->scale_down->policies.size(), 1u);
  EXPECT_EQ(h.behavior->scale_down->policies[0].value, 100);
  EXPECT_EQ(h.behavior->scale_down->policies[0].period_s, 15);

  ASSERT_EQ(s.priority_classes.size(), 1u);
  EXPECT_EQ(s.priority_classes[0].value, -10);
  EXPECT_FALSE(s.priority_classes[0].global_default);
  EXPECT_EQ(s.priority_classes[0].preemption_policy, PreemptionPolicy::kPreemptLowerPriority);

  ASSERT_EQ(s.pods.size(), 1u);
  const Pod& p = s.pods[0];
  EXPECT_EQ(p.key(), "default/bare");
  EXPECT_EQ(p.spec().restart_policy, RestartPolicy::kAlways);
  EXPECT_EQ(p.spec().termination_grace_period_s, 30);
  const Container& pc = p.spec().containers.at(0);
  EXPECT_EQ(q(pc.resources.requests, "cpu"), "100m");
  EXPECT_EQ(q(pc.resources.requests, "memory"), "64Mi");
  EXPECT_EQ(q(pc.resources.limits, "cpu"), "<none>");
  ASSERT_EQ(p.spec().tolerations.size(), 1u);
  EXPECT_EQ(p.spec().tolerations[0].op, TolerationOperator::kExists);
  EXPECT_TRUE(p.spec().tolerations[0].key.empty());

  ASSERT_EQ(s.nodes.size(), 1u);
  EXPECT_EQ(q(s.nodes[0].capacity, "pods"), "110");
  EXPECT_EQ(s.nodes[0].allocatable, s.nodes[0].capacity);
  EXPECT_TRUE(s.nodes[0].ready);
}

TEST(ScenarioLoader, EmptyFileLoadsNothingSilently) {
  const engine::Scenario s = load_scenario({data("empty.yaml")});
  EXPECT_TRUE(s.warnings.items().empty());
  EXPECT_TRUE(s.deployments.empty() && s.pods.empty() && s.nodes.empty());
  // Empty documents between separators are skipped too.
  testing::TempFile f("---\n---\n# only a comment\n...\n---\n");
  EXPECT_TRUE(validate({f.path()}).items().empty());
}

TEST(ScenarioLoader, MissingFileIsAnInputError) {
  const std::string file = data("no-such-file.yaml");
  try {
    (void)load_scenario({file});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].location.file, file);
    EXPECT_EQ(e.diagnostics()[0].location.line, 0);
    EXPECT_NE(e.diagnostics()[0].message.find("cannot read"), std::string::npos);
  }
}

TEST(ScenarioLoader, HostPortsKeepProtocolAndHostIp) {
  testing::TempFile f(
      "apiVersion: v1\n"
      "kind: Pod\n"
      "metadata: {name: dns}\n"
      "spec:\n"
      "  containers:\n"
      "    - name: c\n"
      "      image: coredns\n"
      "      ports:\n"
      "        - {containerPort: 53, hostPort: 53, protocol: UDP, hostIP: 10.0.0.1}\n"
      "        - {containerPort: 53, hostPort: 53}\n"
      "        - {containerPort: 8080}\n");
  const engine::Scenario s = load_scenario({f.path()});
  ASSERT_EQ(s.pods.size(), 1u);
  const auto& ports = s.pods[0].spec().containers[0].host_ports;
  ASSERT_EQ(ports.size(), 2u);  // the port without a hostPort takes none on the node
  EXPECT_EQ(ports[0], (ContainerPort{53, "UDP", "10.0.0.1"}));
  EXPECT_EQ(ports[1], (ContainerPort{53, "TCP", ""}));
}

TEST(ScenarioLoader, ClusterAutoscalerSettingsAndPoolDefaults) {
  testing::TempFile f(
      "apiVersion: gpusim.io/v1alpha1\n"
      "kind: Simulation\n"
      "spec:\n"
      "  clusterAutoscaler:\n"
      "    scanInterval: 30s\n"
      "    scaleDownDelayAfterAdd: 2m\n"
      "    maxEmptyBulkDelete: 3\n"
      "    scaleDownUtilizationThreshold: 0.25\n"
      "    scaleDownUnneededTime: 4m\n"
      "  nodePools:\n"
      "    - name: inherits\n"
      "      autoscaling: {maxSize: 2}\n"
      "      template: {status: {capacity: {cpu: '8', memory: 32Gi}}}\n"
      "    - name: overrides\n"
      "      autoscaling: {maxSize: 2, scaleDownUtilizationThreshold: 0.75,\n"
      "                    scaleDownUnneededTime: 1m}\n"
      "      template: {status: {capacity: {cpu: '8', memory: 32Gi}}}\n");
  const engine::Scenario s = load_scenario({f.path()});
  const engine::ClusterAutoscalerSpec& ca = s.simulation.cluster_autoscaler;
  EXPECT_EQ(ca.options.scan_interval_ms, 30'000);
  EXPECT_EQ(ca.options.scale_down_delay_after_add_ms, 120'000);
  EXPECT_EQ(ca.options.max_scale_down_parallelism, 3);
  EXPECT_DOUBLE_EQ(ca.scale_down_utilization_threshold, 0.25);
  EXPECT_EQ(ca.scale_down_unneeded_ms, 240'000);
  ASSERT_EQ(s.simulation.node_pools.size(), 2u);
  const auto& inherits = *s.simulation.node_pools[0].autoscaling;
  EXPECT_DOUBLE_EQ(inherits.scale_down_utilization_threshold, 0.25);
  EXPECT_EQ(inherits.scale_down_unneeded_ms, 240'000);
  const auto& overrides = *s.simulation.node_pools[1].autoscaling;
  EXPECT_DOUBLE_EQ(overrides.scale_down_utilization_threshold, 0.75);
  EXPECT_EQ(overrides.scale_down_unneeded_ms, 60'000);
}

TEST(ScenarioLoader, ClusterAutoscalerDefaultsAreUpstreams) {
  testing::TempFile f(
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nspec:\n  nodePools:\n"
      "    - name: p\n      autoscaling: {maxSize: 2}\n"
      "      template: {status: {capacity: {cpu: '8', memory: 32Gi}}}\n");
  const engine::Scenario s = load_scenario({f.path()});
  const engine::ClusterAutoscalerSpec& ca = s.simulation.cluster_autoscaler;
  EXPECT_EQ(ca.options.scan_interval_ms, 10'000);
  EXPECT_EQ(ca.options.scale_down_delay_after_add_ms, 600'000);
  EXPECT_EQ(ca.options.max_scale_down_parallelism, 10);
  EXPECT_DOUBLE_EQ(s.simulation.node_pools[0].autoscaling->scale_down_utilization_threshold, 0.5);
  EXPECT_EQ(s.simulation.node_pools[0].autoscaling->scale_down_unneeded_ms, 600'000);
}

TEST(ScenarioLoader, ClusterAutoscalerExpandersAndScaleDownFlags) {
  testing::TempFile f(
      "apiVersion: gpusim.io/v1alpha1\n"
      "kind: Simulation\n"
      "spec:\n"
      "  clusterAutoscaler:\n"
      "    expander: priority,least-waste\n"
      "    priorities: {\"10\": [\".*\"], \"50\": [\"^spot-\", \"-a100$\"]}\n"
      "    maxScaleDownParallelism: 4\n"
      "    maxDrainParallelism: 2\n"
      "    expendablePodsPriorityCutoff: -100\n"
      "    scaleDownUnreadyTime: 5m\n"
      "    skipNodesWithLocalStorage: false\n"
      "    maxGracefulTerminationSec: 60\n"
      "    scaleDownGpuUtilizationThreshold: 0.7\n"
      "  nodePools:\n"
      "    - name: spot-a100\n"
      "      autoscaling: {maxSize: 2, provisioningDelay: 20m}\n"
      "      template: {status: {capacity: {cpu: '8', memory: 32Gi}}}\n");
  const engine::Scenario s = load_scenario({f.path()});
  const ctrl::AutoscalerOptions& o = s.simulation.cluster_autoscaler.options;
  EXPECT_EQ(o.expander, (std::vector<std::string>{"priority", "least-waste"}));
  ASSERT_EQ(o.priorities.size(), 2u);
  EXPECT_EQ(o.priorities[1].first, 50);
  EXPECT_EQ(o.priorities[1].second, (std::vector<std::string>{"^spot-", "-a100$"}));
  EXPECT_EQ(o.max_scale_down_parallelism, 4);
  EXPECT_EQ(o.max_drain_parallelism, 2);
  EXPECT_EQ(o.expendable_pods_priority_cutoff, -100);
  EXPECT_EQ(o.scale_down_unready_ms, 300'000);
  EXPECT_FALSE(o.skip_nodes_with_local_storage);
  EXPECT_TRUE(o.skip_nodes_with_system_pods);
  EXPECT_EQ(o.max_graceful_termination_s, 60);
  EXPECT_DOUBLE_EQ(s.simulation.node_pools[0].autoscaling->scale_down_gpu_utilization_threshold,
                   0.7);
  // A provisioning delay past upstream's max-node-provision-time: every scale-up of the pool
  // times out, which the loader warns about.
  ASSERT_EQ(s.warnings.items().size(), 1u);
  EXPECT_NE(s.warnings.items()[0].message.find("max-node-provision-time"), std::string::npos);
}

TEST(ScenarioLoader, FailedProvisioningAndBalancingSettings) {
  testing::TempFile f(
      "apiVersion: gpusim.io/v1alpha1\n"
      "kind: Simulation\n"
      "spec:\n"
      "  clusterAutoscaler:\n"
      "    maxNodeProvisionTime: 20m\n"
      "    initialNodeGroupBackoffDuration: 1m\n"
      "    maxNodeGroupBackoffDuration: 8m\n"
      "    nodeGroupBackoffResetTimeout: 1h\n"
      "    balanceSimilarNodeGroups: true\n"
      "    balancingIgnoreLabels: [example.com/rack]\n"
      "    memoryDifferenceRatio: 0.02\n"
      "  nodePools:\n"
      "    - name: inherits\n"
      "      autoscaling: {maxSize: 2}\n"
      "      template: {status: {capacity: {cpu: '8', memory: 32Gi}}}\n"
      "    - name: own\n"
      "      count: 1\n"
      "      autoscaling: {maxSize: 4, maxNodeProvisionTime: 30m, capacity: 3,\n"
      "                    provisioningFailureProbability: 0.25}\n"
      "      template: {status: {capacity: {cpu: '8', memory: 32Gi}}}\n"
      "  timeline:\n"
      "    - {at: 1h, action: stockOut, target: pool/own, params: {duration: 6h}}\n"
      "    - {at: 9h, action: restock, target: own}\n");
  const engine::Scenario s = load_scenario({f.path()});
  const ctrl::AutoscalerOptions& o = s.simulation.cluster_autoscaler.options;
  EXPECT_EQ(o.max_node_provision_ms, 20 * 60'000);
  EXPECT_EQ(o.initial_node_group_backoff_ms, 60'000);
  EXPECT_EQ(o.max_node_group_backoff_ms, 8 * 60'000);
  EXPECT_EQ(o.node_group_backoff_reset_ms, 3'600'000);
  EXPECT_TRUE(o.balance_similar_node_groups);
  EXPECT_EQ(o.balancing_ignore_labels, (std::vector<std::string>{"example.com/rack"}));
  EXPECT_DOUBLE_EQ(o.memory_difference_ratio, 0.02);
  EXPECT_DOUBLE_EQ(o.max_allocatable_difference_ratio, 0.05);
  const auto& inherits = *s.simulation.node_pools[0].autoscaling;
  EXPECT_EQ(inherits.max_node_provision_ms, 20 * 60'000);
  EXPECT_FALSE(inherits.capacity.has_value());
  EXPECT_DOUBLE_EQ(inherits.provisioning_failure_probability, 0);
  const auto& own = *s.simulation.node_pools[1].autoscaling;
  EXPECT_EQ(own.max_node_provision_ms, 30 * 60'000);
  EXPECT_EQ(own.capacity, 3);
  EXPECT_DOUBLE_EQ(own.provisioning_failure_probability, 0.25);
  ASSERT_EQ(s.simulation.timeline.size(), 2u);
  EXPECT_EQ(s.simulation.timeline[0].params.at("duration"), "6h");
  EXPECT_TRUE(s.warnings.items().empty());
}

TEST(ScenarioLoader, FailedProvisioningDefaultsAreUpstreams) {
  testing::TempFile f(
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nspec:\n  nodePools:\n"
      "    - name: p\n      autoscaling: {maxSize: 2}\n"
      "      template: {status: {capacity: {cpu: '8', memory: 32Gi}}}\n");
  const ctrl::AutoscalerOptions& o =
      load_scenario({f.path()}).simulation.cluster_autoscaler.options;
  EXPECT_EQ(o.max_node_provision_ms, 15 * 60'000);
  EXPECT_EQ(o.initial_node_group_backoff_ms, 5 * 60'000);
  EXPECT_EQ(o.max_node_group_backoff_ms, 30 * 60'000);
  EXPECT_EQ(o.node_group_backoff_reset_ms, 3 * 3'600'000);
  EXPECT_FALSE(o.balance_similar_node_groups);
  EXPECT_DOUBLE_EQ(o.max_free_difference_ratio, 0.05);
  EXPECT_DOUBLE_EQ(o.memory_difference_ratio, 0.015);
}

TEST(ScenarioLoader, ClusterAutoscalerBadExpandersAreLocated) {
  testing::TempFile f(
      "apiVersion: gpusim.io/v1alpha1\n"
      "kind: Simulation\n"
      "spec:\n"
      "  clusterAutoscaler:\n"
      "    expander: least-wast\n"
      "  nodePools:\n"
      "    - name: p\n"
      "      autoscaling: {maxSize: 2}\n"
      "      template: {status: {capacity: {cpu: '8', memory: 32Gi}}}\n");
  try {
    (void)load_scenario({f.path()});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string first = e.diagnostics().at(0).str();
    EXPECT_NE(first.find(":5:15: error: spec.clusterAutoscaler.expander: "), std::string::npos)
        << first;
    EXPECT_NE(first.find("least-waste"), std::string::npos) << first;
  }
  testing::TempFile g(
      "apiVersion: gpusim.io/v1alpha1\n"
      "kind: Simulation\n"
      "spec:\n"
      "  clusterAutoscaler:\n"
      "    expander: priority\n"
      "  nodePools:\n"
      "    - name: p\n"
      "      autoscaling: {maxSize: 2}\n"
      "      template: {status: {capacity: {cpu: '8', memory: 32Gi}}}\n");
  EXPECT_THROW((void)load_scenario({g.path()}), InputError);
}

TEST(ScenarioLoader, VolumesOnTheNodeAreKept) {
  testing::TempFile f(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
      "  containers: [{name: c, image: busybox}]\n"
      "  volumes:\n"
      "    - {name: scratch, emptyDir: {}}\n"
      "    - {name: shm, emptyDir: {medium: Memory}}\n"
      "    - {name: host, hostPath: {path: /var/log}}\n"
      "    - {name: config, configMap: {name: c}}\n");
  const engine::Scenario s = load_scenario({f.path()});
  ASSERT_EQ(s.pods.size(), 1u);
  EXPECT_EQ(s.pods[0].tmpl->spec.local_volumes, (std::vector<std::string>{"scratch", "host"}));
}

TEST(ScenarioLoader, UnreadableFileIsAnInputError) {
  testing::TempFile f("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
  std::filesystem::permissions(f.path(), std::filesystem::perms::none);
  std::ifstream probe(f.path());
  if (probe) GTEST_SKIP() << "running as a user who can read any file";
  const Diagnostics d = validate({f.path()});
  ASSERT_EQ(d.error_count(), 1u);
  EXPECT_NE(d.items()[0].message.find("cannot read file"), std::string::npos);
  EXPECT_THROW((void)load_scenario({f.path()}), InputError);
}

TEST(ScenarioLoader, DirectoryWithoutYamlIsAnInputError) {
  const Diagnostics d = validate({data("no-yaml")});
  ASSERT_EQ(d.items().size(), 1u);
  EXPECT_EQ(d.items()[0].str(),
            data("no-yaml") + ": error: no *.yaml or *.yml files in this directory");
  EXPECT_THROW((void)load_scenario({}), InputError);
}

TEST(ScenarioLoader, ReadsStandardInput) {
  std::ifstream in(data("list.yaml"));
  std::stringstream text;
  text << in.rdbuf();
  std::istringstream fake(text.str());
  std::streambuf* saved = std::cin.rdbuf(fake.rdbuf());
  const engine::Scenario s = load_scenario({"-"});
  std::cin.rdbuf(saved);
  EXPECT_EQ(s.deployments.size(), 1u);
  ASSERT_EQ(s.warnings.items().size(), 1u);
  EXPECT_EQ(s.warnings.items()[0].location.str(), "<stdin>:16:11");
}

TEST(ScenarioLoader, ReportsErrorsFromEveryFileInInputOrder) {
  const std::string a = data("bad/wrong_type.yaml");
  const std::string b = data("bad/negative_replicas.yaml");
  try {
    (void)load_scenario({b, a});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(e.diagnostics()[0].str(),
              b + ":7:13: error: spec.replicas: must be greater than or equal to 0, got -1");
    EXPECT_EQ(e.diagnostics()[1].str(),
              a + ":10:13: error: spec.replicas: expected an integer, got \"abc\"");
    EXPECT_EQ(std::string(e.what()), e.diagnostics()[0].str());
  }
}

TEST(ScenarioLoader, DuplicateAcrossFiles) {
  const std::string file = data("fraud-detector/k8s-manifests.yaml");
  const Diagnostics d = validate({file, file});
  ASSERT_EQ(d.error_count(), 2u);  // the Deployment and the HPA
  for (const auto& item : d.items()) {
    if (item.severity == Severity::kError) {
      EXPECT_NE(item.message.find("duplicate"), std::string::npos) << item.str();
    }
  }
}

}  // namespace
}  // namespace gpusim::scenario
