// The bundled batch scenarios (scenarios/quota-ci, training, autoscaling) run end to end with
// the invariant checker after every event: no violation, and what each scenario exists to show
// actually happens.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "controllers/cluster_autoscaler.hpp"
#include "engine/batch.hpp"
#include "engine/invariants.hpp"
#include "engine/simulation.hpp"
#include "scenario/loader.hpp"
#include "unit/model/event_log.hpp"
#include "unit/scenario/scenario_test_util.hpp"

namespace gpusim::engine {
namespace {

using testing_util::EventLog;

struct BundledRun {
  Scenario scenario;
  std::unique_ptr<Simulation> sim;
  EventLog log;

  std::vector<ClusterEvent> events(const std::string& type) const { return log.of_type(type); }
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Runs `sc` with the invariant checker and the event log (`before_run` may attach more).
std::unique_ptr<BundledRun> run_checked(
    Scenario sc, const std::function<void(Simulation&)>& before_run = nullptr) {
  auto r = std::make_unique<BundledRun>();
  r->scenario = std::move(sc);
  RunOptions options;
  options.check_invariants = true;
  options.reproducible = true;
  r->sim = std::make_unique<Simulation>(r->scenario, options);
  r->sim->cluster().add_observer(&r->log);
  if (before_run) before_run(*r->sim);
  r->sim->run();
  return r;
}

std::unique_ptr<BundledRun> run_bundled(const std::string& name,
                                        void (*edit)(Scenario&) = nullptr) {
  Scenario sc = scenario::load_scenario({std::string(GPUSIM_SOURCE_DIR) + "/scenarios/" + name});
  if (edit) edit(sc);
  return run_checked(std::move(sc));
}

// A scenario written out in the test.
std::unique_ptr<BundledRun> run_text(const std::string& text,
                                     const std::function<void(Simulation&)>& before_run = nullptr) {
  const scenario::testing::TempFile file(text);
  return run_checked(scenario::load_scenario({file.path()}), before_run);
}

// `min_events`: the bundled scenarios check far more events than this; the small ones less.
void expect_no_violations(const Simulation& sim, std::size_t min_events = 1000) {
  const InvariantChecker* inv = sim.invariants();
  ASSERT_NE(inv, nullptr);
  EXPECT_GT(inv->events_checked(), min_events);
  std::string first;
  for (const auto& v : inv->violations()) {
    if (first.size() < 2000)
      first += std::to_string(v.t_ms) + " " + v.invariant + ": " + v.detail + "\n";
  }
  EXPECT_EQ(inv->violation_count(), 0u) << first;
}

TEST(BatchScenarios, QuotaCiRejectsOnlyTheTeamOverItsQuotaAndRunsEveryRetraining) {
  auto r = run_bundled("quota-ci");
  expect_no_violations(*r->sim);

  // Quota rejections: Forbidden at creation, naming the quota and the resource, only in team-c.
  std::map<std::string, int> rejected;
  for (const auto& e : r->events("FailedCreate")) {
    if (e.message.find("exceeded quota") == std::string::npos) continue;
    const std::string ns = e.object.substr(0, e.object.find('/'));
    ++rejected[ns];
    if (ns == "team-c") {
      EXPECT_NE(e.message.find("forbidden"), std::string::npos) << e.message;
      EXPECT_NE(e.message.find("exceeded quota: gpu-quota"), std::string::npos) << e.message;
      EXPECT_NE(e.message.find("requests.nvidia.com/gpu"), std::string::npos) << e.message;
    }
  }
  EXPECT_GT(rejected["team-c"], 0);
  EXPECT_EQ(rejected.count("team-a"), 0u);
  EXPECT_EQ(rejected.count("team-b"), 0u);

  // The rejected Jobs are retried and run once quota frees up: team-c pods do get placed, and
  // never more than its 8 GPUs (two 4-GPU pods) at once.
  int team_c_scheduled = 0;
  for (const auto& e : r->events("Scheduled"))
    team_c_scheduled += starts_with(e.object, "team-c/");
  EXPECT_GT(team_c_scheduled, 2);
  const auto& quotas = r->sim->cluster().quotas;
  ASSERT_TRUE(quotas.count("team-c/gpu-quota"));
  EXPECT_EQ(r->sim->batch().quota_admission().rejections().count("team-a/gpu-quota"), 0u);
  EXPECT_GT(r->sim->batch().quota_admission().rejections().at("team-c/gpu-quota"), 0u);

  // Every scheduled retraining run (06:00, 12:00, 18:00) completes.
  std::set<std::string> created, completed;
  for (const auto& e : r->events("SuccessfulCreate")) {
    if (e.kind == "CronJob" && e.object == "team-a/retrain") created.insert(e.message.substr(12));
  }
  for (const auto& e : r->events("Completed")) {
    if (e.kind == "Job" && starts_with(e.object, "team-a/retrain-"))
      completed.insert(e.object.substr(7));
  }
  EXPECT_EQ(created.size(), 3u);
  EXPECT_EQ(completed, created);

  // Fairness figures reach the summary: per-namespace waits and GPU-hours.
  const auto summary = r->sim->summary();
  ASSERT_TRUE(summary.contains("namespaces"));
  std::map<std::string, nlohmann::ordered_json> ns;
  for (const auto& n : summary["namespaces"])
    ns[n["namespace"].get<std::string>()] = n;
  ASSERT_TRUE(ns.count("team-a") && ns.count("team-b") && ns.count("team-c"));
  // team-a: 3 runs x 2 pods x 4 GPUs x 2 h = 48 GPU-hours of running, plus the GPUs held while
  // each pod starts (10 s, and a 1 minute image pull on a node's first pod): under 1 GPU-hour.
  EXPECT_GE(ns["team-a"]["gpu_milli_hours"].get<std::int64_t>(), 48'000);
  EXPECT_LT(ns["team-a"]["gpu_milli_hours"].get<std::int64_t>(), 49'000);
  EXPECT_GT(ns["team-c"]["quota_rejections"].get<std::int64_t>(), 0);
  EXPECT_EQ(ns["team-a"]["quota_rejections"].get<std::int64_t>(), 0);
  EXPECT_TRUE(summary.contains("quotas"));
  EXPECT_TRUE(summary.contains("invariants"));
}

// events.jsonl tells each pod's story in order: the kubelet's events on a node follow the
// pod's Scheduled event to that node (a binding's observers act on it at once, so the event is
// emitted before them). Gang restarts and preemption in training re-create pods of one name.
TEST(BatchScenarios, AKubeletEventFollowsThePodsScheduledEvent) {
  for (const char* name : {"training", "demo"}) {
    auto r = run_bundled(name);
    std::map<std::string, std::string> scheduled_to;  // pod -> node of its last Scheduled event
    std::size_t kubelet_events = 0;
    for (const auto& e : r->log.events) {
      if (e.kind != "Pod") continue;
      if (e.type == "Scheduled") {
        scheduled_to[e.object] = e.node;
      } else if (e.type == "Pulling" || e.type == "Pulled" || e.type == "Created" ||
                 e.type == "Started") {
        ++kubelet_events;
        auto it = scheduled_to.find(e.object);
        ASSERT_NE(it, scheduled_to.end()) << name << ": " << e.type << " of " << e.object << " at "
                                          << e.t_ms << " before its Scheduled event";
        EXPECT_EQ(it->second, e.node) << name << ": " << e.type << " of " << e.object;
      }
    }
    EXPECT_GT(kubelet_events, 20u) << name;
  }
}

// A PyTorchJob member lost to a drain is created again alone (the operator), and its peers'
// torch.distributed processes fail with the collective and start over when it rejoins (the
// application): the job finishes a whole run after the rejoin, every member together.
TEST(BatchScenarios, AGangMemberLostToADrainRestartsTheRunWhenItRejoins) {
  auto r = run_text(R"(
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: train, namespace: default, annotations: {gpusim.io/duration: 1h}}
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          nodeSelector: {role: master}
          containers: [{name: pytorch, image: t, resources: {limits: {nvidia.com/gpu: 8}}}]
    Worker:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          nodeSelector: {role: worker}
          containers: [{name: pytorch, image: t, resources: {limits: {nvidia.com/gpu: 8}}}]
---
apiVersion: gpusim.io/v1alpha1
kind: Simulation
metadata: {name: gang-loss}
spec:
  duration: 3h
  nodePools:
    - name: m
      count: 1
      template:
        metadata: {labels: {role: master}}
        status: {capacity: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "8"}}
    - name: w
      count: 2
      template:
        metadata: {labels: {role: worker}}
        status: {capacity: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "8"}}
  timeline:
    - {at: 20m, action: drain, target: w-1}
)");
  expect_no_violations(*r->sim, 10);
  const auto at = [&](const std::string& type, const std::string& object) {
    std::vector<TimeMs> out;
    for (const auto& e : r->log.events) {
      if (e.type == type && e.object == object) out.push_back(e.t_ms);
    }
    return out;
  };
  // The worker (first on w-1) is created again and starts on w-0; the master never left, yet
  // restarts.
  const auto worker_started = at("Started", "default/train-worker-0");
  ASSERT_EQ(worker_started.size(), 2u);
  const TimeMs rejoined = worker_started[1];
  EXPECT_GE(rejoined, 20 * 60'000);
  const auto done = at("PyTorchJobSucceeded", "default/train");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_GE(done[0], rejoined + 3'600'000);
  EXPECT_LT(done[0], rejoined + 3'600'000 + 60'000);
  const auto master_done = at("Completed", "default/train-master-0");
  const auto worker_done = at("Completed", "default/train-worker-0");
  ASSERT_EQ(master_done.size(), 1u);
  ASSERT_EQ(worker_done.size(), 1u);
  EXPECT_LT(std::abs(master_done[0] - worker_done[0]), 60'000);
  const Pod& master =
      r->sim->cluster().pod(r->sim->cluster().find_pod("default", "train-master-0"));
  EXPECT_GE(master.status.restarts, 1);
  EXPECT_EQ(at("PyTorchJobRestarting", "default/train").size(), 0u);
}

// A trace arrival creates one Job per row, at the row's time after `start`, in the row's
// namespace, with the row's requests on the template's first container and the row's duration
// (the template's when empty); rows out of time order are replayed in time order.
TEST(BatchScenarios, ATraceArrivalReplaysEachRowAsAJob) {
  const scenario::testing::TempFile file(R"(
apiVersion: gpusim.io/v1alpha1
kind: Simulation
metadata: {name: trace-replay}
spec:
  duration: 2h
  nodePools:
    - name: gpu
      count: 1
      template:
        status: {capacity: {cpu: "32", memory: 256Gi, nvidia.com/gpu: "8"}}
  arrivals:
    - name: t
      traceFile: arrivals.csv
      start: 1m
      template:
        apiVersion: batch/v1
        kind: Job
        spec:
          template:
            metadata: {annotations: {gpusim.io/duration: 30m}}
            spec:
              restartPolicy: Never
              containers: [{name: c, image: x, resources: {limits: {cpu: "2"}}}]
)");
  std::ofstream(file.dir() / "arrivals.csv") << "time,namespace,requests,duration\n"
                                                "0s,team-a,cpu=4;memory=8Gi;nvidia.com/gpu=2,10m\n"
                                                "5m,team-b,cpu=1,\n"
                                                "90,team-a,nvidia.com/gpu=1,20m\n";
  auto r = run_checked(scenario::load_scenario({file.path()}));
  expect_no_violations(*r->sim, 10);

  struct Want {
    std::string job;
    TimeMs created_ms;
    std::int64_t cpu_milli;
    std::int64_t gpus;
    TimeMs run_ms;
  };
  const std::vector<Want> want{{"team-a/t-0", 60'000, 4'000, 2, 600'000},
                               {"team-a/t-1", 150'000, 2'000, 1, 1'200'000},
                               {"team-b/t-2", 360'000, 1'000, 0, 1'800'000}};
  const Cluster& c = r->sim->cluster();
  EXPECT_EQ(c.jobs.size(), want.size());
  for (const Want& w : want) {
    SCOPED_TRACE(w.job);
    ASSERT_TRUE(c.jobs.count(w.job));
    const Job& job = c.jobs.at(w.job);
    EXPECT_EQ(job.meta.creation_ms, w.created_ms);
    const auto& pods = c.pods_of(job.meta.uid);
    ASSERT_EQ(pods.size(), 1u);
    const Pod& pod = c.pod(pods[0]);
    const Container& main = pod.tmpl->spec.containers.front();
    EXPECT_EQ(to_units("cpu", main.resources.requests.at("cpu")), w.cpu_milli);
    EXPECT_EQ(pod.tmpl->resources.gpu.count, w.gpus);
    if (w.gpus > 0) {
      // Extended resources cannot be overcommitted: the request is the limit too.
      EXPECT_EQ(main.resources.limits.at("nvidia.com/gpu").value(), w.gpus);
    }
    ASSERT_TRUE(pod.status.started_ms && pod.status.finished_ms);
    EXPECT_EQ(*pod.status.finished_ms - *pod.status.started_ms, w.run_ms);
    EXPECT_EQ(pod.status.phase, PodPhase::kSucceeded);
  }
  // The row's cpu request above the template's limit raised the limit with it.
  const Job& first = c.jobs.at("team-a/t-0");
  EXPECT_EQ(c.pod(c.pods_of(first.meta.uid)[0])
                .tmpl->spec.containers.front()
                .resources.limits.at("cpu")
                .str(),
            "4");
}

// A user-written PodGroup makes a plain Job's pods a Coscheduling gang: all bound together when
// the cluster holds the whole gang, none while it holds only part of it.
std::string pod_group_gang(int nodes) {
  return R"(
apiVersion: scheduling.x-k8s.io/v1alpha1
kind: PodGroup
metadata: {name: gang}
spec: {minMember: 3, scheduleTimeoutSeconds: 30}
---
apiVersion: batch/v1
kind: Job
metadata: {name: gang, annotations: {gpusim.io/duration: 10m}}
spec:
  parallelism: 3
  completions: 3
  template:
    metadata:
      labels: {scheduling.x-k8s.io/pod-group: gang}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: x, resources: {limits: {nvidia.com/gpu: 6}}}]
---
apiVersion: gpusim.io/v1alpha1
kind: Simulation
metadata: {name: podgroup}
spec:
  duration: 1h
  nodePools:
    - name: gpu
      count: )" +
         std::to_string(nodes) +
         R"(
      template:
        status:
          capacity: {cpu: "32", memory: 256Gi, nvidia.com/gpu: "8"}
)";
}

TEST(BatchScenarios, AUserPodGroupGangsAJobsPods) {
  {
    const auto r = run_text(pod_group_gang(3));
    expect_no_violations(*r->sim, 10);
    const auto scheduled = r->events("Scheduled");
    ASSERT_EQ(scheduled.size(), 3u);
    for (const auto& e : scheduled)
      EXPECT_EQ(e.t_ms, scheduled[0].t_ms) << e.object;  // bound together
    ASSERT_TRUE(r->sim->cluster().jobs.count("default/gang"));
    EXPECT_EQ(r->sim->cluster().jobs.at("default/gang").status.succeeded, 3);
  }
  {
    // Two nodes hold two of the three 6-GPU members: the gang never binds partly.
    const auto r = run_text(pod_group_gang(2));
    expect_no_violations(*r->sim, 10);
    EXPECT_TRUE(r->events("Scheduled").empty());
    int pending = 0;
    r->sim->cluster().for_each_pod([&](PodId, const Pod& p) { pending += p.bound() ? 0 : 1; });
    EXPECT_EQ(pending, 3);
  }
}

TEST(BatchScenarios, TrainingGangsArePlacedWholeAndYieldToInference) {
  auto r = run_bundled("training");
  expect_no_violations(*r->sim);

  // Preemption victims are training pods, never inference ones; llama-finetune (priority
  // training) yields only to inference, the sweeps (priority sweep) to either.
  const auto preempted = r->events("Preempted");
  ASSERT_FALSE(preempted.empty());
  bool llama_preempted = false;
  for (const auto& e : preempted) {
    EXPECT_TRUE(starts_with(e.object, "research/")) << e.object;
    if (starts_with(e.object, "research/llama-finetune-")) {
      llama_preempted = true;
      EXPECT_NE(e.message.find("by pod inference/"), std::string::npos) << e.message;
    }
  }
  EXPECT_TRUE(llama_preempted);

  // All-or-nothing: a gang's first placement binds all its members at one instant. A member lost
  // later (preempted) is created again alone and joins the gang still bound, as the operator
  // and Coscheduling do: never more than a gang at an instant.
  std::map<std::string, std::map<TimeMs, int>> binds;  // gang -> time -> pods bound then
  for (const auto& e : r->events("Scheduled")) {
    if (!starts_with(e.object, "research/")) continue;
    const std::string pod = e.object.substr(9);
    std::size_t cut = pod.find("-master-");
    if (cut == std::string::npos) cut = pod.find("-worker-");
    const std::string gang = pod.substr(0, cut);
    ++binds[gang][e.t_ms];
  }
  ASSERT_TRUE(binds.count("llama-finetune"));
  for (const auto& [gang, at] : binds) {
    const int size = gang == "llama-finetune" ? 4 : 2;
    ASSERT_FALSE(at.empty()) << gang;
    EXPECT_EQ(at.begin()->second, size) << gang << " first placed at " << at.begin()->first;
    for (const auto& [t, n] : at)
      EXPECT_LE(n, size) << gang << " at " << t << " ms: " << n;
  }
  // The preempted replicas were created again, alone, without restarting the gang; the
  // survivors kept running. (They do not fit again before the survivors finish, and then too few
  // members are left for minMember: the job waits, as it would under the operator.)
  for (const auto& e : r->events("PyTorchJobRestarting"))
    EXPECT_NE(e.object, "research/llama-finetune") << e.message;
  int llama_created = 0;
  for (const auto& e : r->events("SuccessfulCreatePod"))
    llama_created += e.object == "research/llama-finetune" ? 1 : 0;
  EXPECT_EQ(llama_created, 6);  // 4, then the preempted master-0 and worker-0

  // Inference ends where it started: every replica placed.
  int inference = 0;
  r->sim->cluster().for_each_pod([&](PodId, const Pod& p) {
    if (p.namespace_ != "inference" || p.deletion_ms) return;
    ++inference;
    EXPECT_TRUE(p.bound()) << p.key();
  });
  EXPECT_EQ(inference, 4);
}

TEST(BatchScenarios, AutoscalingGrowsAndShrinksPoolsAndReportsCost) {
  auto r = run_bundled("autoscaling");
  expect_no_violations(*r->sim);
  const ctrl::ClusterAutoscaler* ca = r->sim->batch().autoscaler();
  ASSERT_NE(ca, nullptr);

  TimeMs first_up = -1, last_down = -1;
  for (const auto& e : r->events("ScaledUpGroup")) {
    if (e.object == "a100" && first_up < 0) first_up = e.t_ms;
  }
  for (const auto& e : r->events("ScaleDownDone")) {
    if (e.object == "a100") last_down = e.t_ms;
  }
  ASSERT_GE(first_up, 0);
  ASSERT_GT(last_down, first_up);
  EXPECT_GE(ca->stats("a100").nodes_added, 2);
  EXPECT_EQ(ca->stats("a100").nodes_removed, ca->stats("a100").nodes_added);
  EXPECT_EQ(ca->size("a100"), 0);
  EXPECT_GE(ca->stats("l4").nodes_added, 5);
  EXPECT_GE(ca->stats("l4").nodes_removed, 1);

  const auto summary = r->sim->summary();
  ASSERT_TRUE(summary.contains("pools"));
  std::int64_t total = 0;
  for (const auto& p : summary["pools"]) {
    EXPECT_LE(p["nodes_peak"].get<std::int32_t>(),
              p.contains("max_size") ? p["max_size"].get<std::int32_t>() : 1 << 30);
    total += p["cost_micros"].get<std::int64_t>();
    if (p["pool"] == "a100") {
      EXPECT_GT(p["cost_micros"].get<std::int64_t>(), 0);
    }
    // Billed from each scale-up decision: the joined node-hours plus every added node's
    // provisioning delay (a100 8 minutes, l4 3), at the pool's price.
    if (p["pool"] == "a100" || p["pool"] == "l4") {
      const double minutes = p["pool"] == "a100" ? 8 : 3;
      const double hours =
          p["node_hours"].get<double>() + p["nodes_added"].get<double>() * minutes / 60.0;
      EXPECT_NEAR(p["cost_micros"].get<double>(), hours * p["cost_per_hour_micros"].get<double>(),
                  2.0)
          << p["pool"];
    }
  }
  EXPECT_EQ(summary["cost"]["total_micros"].get<std::int64_t>(), total);
}

TEST(BatchScenarios, TheClusterAutoscalerScanIntervalComesFromTheSimulation) {
  auto first_scale_up = [](const BundledRun& r) {
    for (const auto& e : r.log.events) {
      if (e.type == "ScaledUpGroup") return e.t_ms;
    }
    return TimeMs{-1};
  };
  auto fast = run_bundled("autoscaling");
  auto slow = run_bundled("autoscaling", [](Scenario& s) {
    s.simulation.cluster_autoscaler.options.scan_interval_ms = 5 * 60'000;
  });
  expect_no_violations(*slow->sim);
  const TimeMs fast_up = first_scale_up(*fast), slow_up = first_scale_up(*slow);
  ASSERT_GE(fast_up, 0);
  ASSERT_GE(slow_up, 0);
  // The same pods go pending at the same time in both runs; the slow autoscaler looks at them
  // only at its next scan, 5 min after the prompt instead of 10 s.
  EXPECT_GE(slow_up - fast_up, 4 * 60'000);
}

// "What if we cannot get H100s in zone a for 6 hours": a timeline stock-out of the cheaper
// zone's pool. Its scale-up is refused (seen a scan later), it backs off and the other zone
// takes the pods; the refused nodes cost nothing. After the restock, new pods go to zone a
// again.
TEST(BatchScenarios, AStockOutSendsTheScaleUpToAnotherZone) {
  std::string text =
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: s}\nspec:\n"
      "  duration: 10h\n"
      "  defaults: {podDuration: 2h}\n"
      "  clusterAutoscaler: {expander: price}\n"
      "  nodePools:\n"
      "    - name: h100-a\n"
      "      costPerHour: \"10\"\n"
      "      autoscaling: {maxSize: 4, provisioningDelay: 5m}\n"
      "      template: {metadata: {labels: {topology.kubernetes.io/zone: a}},\n"
      "                 status: {capacity: {cpu: 96, memory: 1Ti, nvidia.com/gpu: 8}}}\n"
      "    - name: h100-b\n"
      "      costPerHour: \"12\"\n"
      "      autoscaling: {maxSize: 4, provisioningDelay: 5m}\n"
      "      template: {metadata: {labels: {topology.kubernetes.io/zone: b}},\n"
      "                 status: {capacity: {cpu: 96, memory: 1Ti, nvidia.com/gpu: 8}}}\n"
      "  timeline:\n"
      "    - {at: 30m, action: stockOut, target: h100-a, params: {duration: 6h}}\n"
      "  arrivals:\n"
      "    - name: train\n"
      "      interval: 7h\n"
      "      start: 1h\n"
      "      count: 2\n"
      "      template:\n"
      "        apiVersion: v1\n"
      "        kind: Pod\n"
      "        spec:\n"
      "          restartPolicy: Never\n"
      "          containers: [{name: c, image: trainer, resources: {limits: {nvidia.com/gpu: "
      "8}}}]\n";
  const auto r = run_text(text);
  expect_no_violations(*r->sim, 100);
  const auto at = [&](const std::string& type, const std::string& object) {
    std::vector<TimeMs> out;
    for (const auto& e : r->events(type)) {
      if (e.object == object) out.push_back(e.t_ms);
    }
    return out;
  };
  ASSERT_EQ(at("StockOut", "h100-a"), (std::vector<TimeMs>{30 * 60'000}));
  EXPECT_EQ(at("Restock", "h100-a"), (std::vector<TimeMs>{390 * 60'000}));
  const std::vector<TimeMs> ups_a = at("ScaledUpGroup", "h100-a");
  const std::vector<TimeMs> failed = at("ScaleUpFailed", "h100-a");
  ASSERT_EQ(failed.size(), 1u);
  ASSERT_EQ(ups_a.size(), 2u);  // refused at 1h, granted at 8h
  EXPECT_EQ(failed[0], ups_a[0] + 10'000);
  EXPECT_EQ(at("ScaledUpGroup", "h100-b"), (std::vector<TimeMs>{failed[0]}));
  EXPECT_GT(ups_a[1], 8 * 3'600'000);

  const auto summary = r->sim->summary();
  for (const auto& p : summary["pools"]) {
    if (p["pool"] == "h100-a") {
      EXPECT_EQ(p["failed_scale_ups"].get<std::int64_t>(), 1);
      EXPECT_EQ(p["nodes_failed"].get<std::int64_t>(), 1);
      EXPECT_EQ(p["nodes_added"].get<std::int64_t>(), 1);
      // Billed for the second scale-up's node only: never for the refused one.
      const double hours = p["node_hours"].get<double>() + 5.0 / 60.0;
      EXPECT_NEAR(p["cost_micros"].get<double>(), hours * 10'000'000, 2.0);
    } else {
      EXPECT_FALSE(p.contains("failed_scale_ups"));
    }
  }
}

// A stock-out with no restock, in a run without a duration (until nothing is left to happen,
// capped by maxTime): the refused scale-up is seen and the pool backs off, and then the run
// ends. The retries after each back-off would only be refused again, every 30 minutes until
// maxTime, so they must not keep the run going.
TEST(BatchScenarios, AStockOutWithoutARestockLetsARunWithoutADurationEnd) {
  std::string text =
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: s}\nspec:\n"
      "  maxTime: 3d\n"
      "  nodePools:\n"
      "    - name: h100-a\n"
      "      autoscaling: {maxSize: 4, provisioningDelay: 5m}\n"
      "      template: {status: {capacity: {cpu: 96, memory: 1Ti, nvidia.com/gpu: 8}}}\n"
      "  timeline:\n"
      "    - {at: 30m, action: stockOut, target: h100-a}\n"
      "  arrivals:\n"
      "    - name: train\n"
      "      interval: 1h\n"
      "      start: 1h\n"
      "      count: 1\n"
      "      template:\n"
      "        apiVersion: v1\n"
      "        kind: Pod\n"
      "        spec:\n"
      "          restartPolicy: Never\n"
      "          containers: [{name: c, image: trainer, resources: {limits: {nvidia.com/gpu: "
      "8}}}]\n";
  const auto r = run_text(text);
  expect_no_violations(*r->sim, 10);
  const auto failed = r->events("ScaleUpFailed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(r->events("ScaledUpGroup").size(), 1u);
  EXPECT_EQ(r->events("Restock").size(), 0u);
  const auto summary = r->sim->summary();
  // Ended within the first back-off, not at maxTime.
  EXPECT_LT(summary["sim_time_ms"].get<TimeMs>(), failed[0].t_ms + 5 * 60'000);
  EXPECT_EQ(summary["pods"]["pending"].get<std::int64_t>(), 1);
}

// scenarios/gpu-stockout: zone a is stocked out from 30m to 4h30m, the sweep's four 8-GPU runs
// come at 1h. Zone b takes two (its maximum); zone a is refused at every retry while the
// stock-out lasts and grows at the first retry after the restock, when its back-off ends; the
// other two runs wait until then.
TEST(BatchScenarios, GpuStockoutFallsBackToTheOtherZoneAndWaitsForTheRestock) {
  auto r = run_bundled("gpu-stockout");
  expect_no_violations(*r->sim, 1000);
  const ctrl::ClusterAutoscaler* ca = r->sim->batch().autoscaler();
  ASSERT_NE(ca, nullptr);
  const auto stock_out = r->events("StockOut");
  const auto restock = r->events("Restock");
  ASSERT_EQ(stock_out.size(), 1u);
  ASSERT_EQ(restock.size(), 1u);
  const auto failed = r->events("ScaleUpFailed");
  ASSERT_GE(failed.size(), 2u);
  for (const auto& e : failed) {
    EXPECT_EQ(e.object, "h100-zone-a");
    EXPECT_GT(e.t_ms, stock_out[0].t_ms);
    // Seen a scan after a scale-up asked during the stock-out.
    EXPECT_LE(e.t_ms, restock[0].t_ms + 10'000);
  }
  EXPECT_EQ(ca->stats("h100-zone-a").failed_scale_ups, static_cast<std::int64_t>(failed.size()));
  EXPECT_EQ(ca->stats("h100-zone-b").failed_scale_ups, 0);
  EXPECT_EQ(ca->stats("h100-zone-b").nodes_added, 2);
  EXPECT_EQ(ca->stats("h100-zone-a").nodes_added, 2);
  // The granted scale-up of zone a is the first one after the restock, and it waited for the
  // back-off of the last refusal.
  TimeMs granted = -1;
  for (const auto& e : r->events("ScaledUpGroup")) {
    if (e.object == "h100-zone-a" && e.t_ms > restock[0].t_ms && granted < 0) granted = e.t_ms;
  }
  ASSERT_GT(granted, restock[0].t_ms);
  EXPECT_GE(granted, failed.back().t_ms + 30 * 60'000);
  std::vector<TimeMs> waits;
  r->sim->cluster().for_each_pod([&](PodId, const Pod& p) {
    ASSERT_TRUE(p.status.scheduled_ms.has_value()) << p.key();
    waits.push_back(*p.status.scheduled_ms - p.creation_ms);
  });
  std::sort(waits.begin(), waits.end());
  ASSERT_EQ(waits.size(), 4u);
  EXPECT_LT(waits[1], 15 * 60'000);                  // zone b's provisioning
  EXPECT_GT(waits[2], restock[0].t_ms - 3'600'000);  // created at 1h, bound after the restock
  // summary() returns by value: the loop must not range over a member of the temporary.
  const auto summary = r->sim->summary();
  int zone_a_rows = 0;
  for (const auto& p : summary["pools"]) {
    if (p["pool"] == "h100-zone-a") {
      ++zone_a_rows;
      EXPECT_EQ(p["nodes_failed"].get<std::int64_t>(),
                2 * static_cast<std::int64_t>(failed.size()));
    }
  }
  EXPECT_EQ(zone_a_rows, 1);
}

// A pool whose nodes take longer than --max-node-provision-time: every scale-up times out, the
// unregistered node is deleted and billed from the decision until then; the pod runs on the
// other pool.
TEST(BatchScenarios, NodesSlowerThanTheProvisionTimeAreGivenUpAndBilledUntilDeleted) {
  std::string text =
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: s}\nspec:\n"
      "  duration: 3h\n"
      "  defaults: {podDuration: 1h}\n"
      "  clusterAutoscaler: {expander: price}\n"
      "  nodePools:\n"
      "    - name: slow\n"
      "      costPerHour: \"6\"\n"
      "      autoscaling: {maxSize: 4, provisioningDelay: 20m}\n"
      "      template: {status: {capacity: {cpu: 96, memory: 1Ti, nvidia.com/gpu: 8}}}\n"
      "    - name: fast\n"
      "      costPerHour: \"12\"\n"
      "      autoscaling: {maxSize: 4, provisioningDelay: 5m}\n"
      "      template: {status: {capacity: {cpu: 96, memory: 1Ti, nvidia.com/gpu: 8}}}\n"
      "---\napiVersion: v1\nkind: Pod\nmetadata: {name: train}\nspec:\n"
      "  restartPolicy: Never\n"
      "  containers: [{name: c, image: trainer, resources: {limits: {nvidia.com/gpu: 8}}}]\n";
  const auto r = run_text(text);
  expect_no_violations(*r->sim, 100);
  EXPECT_EQ(r->scenario.warnings.items().size(), 1u);  // the provisioning delay
  const auto timed_out = r->events("ScaleUpTimedOut");
  ASSERT_EQ(timed_out.size(), 1u);
  EXPECT_EQ(r->events("DeleteUnregistered").size(), 1u);
  const auto ups = r->events("ScaledUpGroup");
  ASSERT_EQ(ups.size(), 2u);
  EXPECT_EQ(ups[0].object, "slow");
  EXPECT_EQ(ups[1].object, "fast");
  EXPECT_EQ(ups[1].t_ms, timed_out[0].t_ms);
  const TimeMs billed_ms = timed_out[0].t_ms - ups[0].t_ms;  // decision to deletion
  EXPECT_EQ(billed_ms, 15 * 60'000 + 10'000);
  // The summary is kept whole: iterating a member of the temporary would read freed memory.
  const auto summary = r->sim->summary();
  bool found = false;
  for (const auto& p : summary["pools"]) {
    if (p["pool"] != "slow") continue;
    found = true;
    EXPECT_EQ(p["nodes_added"].get<std::int64_t>(), 0);
    EXPECT_EQ(p["nodes_failed"].get<std::int64_t>(), 1);
    EXPECT_NEAR(p["cost_micros"].get<double>(), 6'000'000.0 * billed_ms / 3'600'000.0, 1.0);
  }
  EXPECT_TRUE(found) << "no pool \"slow\" in summary.json";
}

// spec.defaults.podDuration takes a distribution as jobPodDuration does: each bare pod draws its
// own run time (it once ran every pod for the distribution's first parameter, 10m here).
TEST(BatchScenarios, ADistributedPodDurationIsDrawnPerPod) {
  std::string text =
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: d}\nspec:\n"
      "  defaults: {podDuration: \"uniform(10m,30m)\"}\n"
      "  nodePools: [{name: cpu, count: 1, template: {status: {capacity: {cpu: 64, memory: "
      "64Gi}}}}]\n";
  for (int i = 0; i < 20; ++i) {
    text += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p" + std::to_string(i) +
            "}\nspec:\n  restartPolicy: Never\n  containers: [{name: c, image: busybox, "
            "resources: {requests: {cpu: 100m}}}]\n";
  }
  const auto r = run_text(text);
  const Simulation& sim = *r->sim;
  std::set<TimeMs> runs;
  std::size_t finished = 0;
  sim.cluster().for_each_pod([&](PodId, const Pod& p) {
    if (!p.status.started_ms || !p.status.finished_ms) return;
    ++finished;
    const TimeMs run = *p.status.finished_ms - *p.status.started_ms;
    EXPECT_GE(run, 10 * 60'000);
    EXPECT_LE(run, 30 * 60'000);
    runs.insert(run);
  });
  EXPECT_EQ(finished, 20u);
  EXPECT_GE(runs.size(), 10u);  // drawn per pod, not one fixed time
}

class NodeNames : public ClusterObserver {
 public:
  explicit NodeNames(const Cluster& c) : cluster_(c) {}
  void on_node_added(NodeId id) override { added.push_back(cluster_.node(id).name()); }
  std::vector<std::string> added;

 private:
  const Cluster& cluster_;
};

// Spot interruptions with replacements, twice on one pool: every node that joins has a name no
// node had before (a second round once reused the first round's replacement names), and the
// Deployment is whole again at the end.
TEST(BatchScenarios, SpotReplacementsNeverReuseANodeName) {
  const std::string text =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n"
      "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
      "    spec:\n      containers: [{name: web, image: nginx, resources: {requests: {cpu: "
      "1}}}]\n---\napiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: s}\n"
      "spec:\n  duration: 5h\n  nodePools: [{name: spot, count: 2, template: {status: "
      "{capacity: {cpu: 4, memory: 16Gi}}}}]\n  timeline:\n"
      "    - {at: 1h, action: spotInterruption, target: spot, params: {notice: 2m, replaceAfter: "
      "1m}}\n"
      "    - {at: 3h, action: spotInterruption, target: spot, params: {notice: 2m, replaceAfter: "
      "1m}}\n";
  std::unique_ptr<NodeNames> names;
  const auto r = run_text(text, [&](Simulation& s) {
    names = std::make_unique<NodeNames>(s.cluster());
    s.cluster().add_observer(names.get());
  });
  Simulation& sim = *r->sim;
  expect_no_violations(sim);
  // The two pool nodes are added before the observer; four replacements join later.
  ASSERT_EQ(names->added.size(), 4u);
  std::set<std::string> all(names->added.begin(), names->added.end());
  all.insert({"spot-0", "spot-1"});
  EXPECT_EQ(all.size(), 6u) << "a replacement reused a name";
  const Deployment& d = sim.cluster().deployments.at("default/web");
  EXPECT_EQ(d.status.ready_replicas, 2);
}

// A pod's own spec.activeDeadlineSeconds: the kubelet fails it that long after it reached its
// node (DeadlineExceeded), however its containers are doing; a Job counts that as a failure.
TEST(BatchScenarios, APodsActiveDeadlineFailsItOnItsNode) {
  const std::string text =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: capped}\nspec:\n  restartPolicy: Always\n"
      "  activeDeadlineSeconds: 120\n  containers: [{name: c, image: busybox, resources: "
      "{requests: {cpu: 100m}}}]\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: "
      "j, annotations: {gpusim.io/duration: 10m}}\nspec:\n  backoffLimit: 1\n  template:\n"
      "    spec:\n      restartPolicy: Never\n      activeDeadlineSeconds: 60\n"
      "      containers: [{name: c, image: busybox, resources: {requests: {cpu: 100m}}}]\n---\n"
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: d}\nspec:\n"
      "  duration: 30m\n  nodePools: [{name: cpu, count: 1, template: {status: {capacity: "
      "{cpu: 8, memory: 8Gi}}}}]\n";
  const auto r = run_text(text);
  Simulation& sim = *r->sim;
  expect_no_violations(sim, 20);
  const Pod& capped = sim.cluster().pod(sim.cluster().find_pod("default", "capped"));
  EXPECT_EQ(capped.status.phase, PodPhase::kFailed);
  EXPECT_EQ(capped.status.reason, "DeadlineExceeded");
  ASSERT_TRUE(capped.status.finished_ms && capped.status.scheduled_ms);
  EXPECT_EQ(*capped.status.finished_ms - *capped.status.scheduled_ms, 120'000);
  // Both Job pods fail at their deadline (the second is over backoffLimit 1), long before 10m.
  const Job& j = sim.cluster().jobs.at("default/j");
  EXPECT_EQ(j.status.failed, 2);
  const auto failed = r->events("BackoffLimitExceeded");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_LT(failed[0].t_ms, 10 * 60'000);
}

// count/jobs.batch counts every Job of the namespace until it is deleted, finished or not: a
// CronJob that keeps three successful Jobs (the default history) under a quota of two starts
// two runs, then every creation is refused (a FailedCreate on the CronJob, retried with the
// controller's back-off, never more than the quota); keeping one finished Job, every run starts.
std::string cron_under_job_quota(int history_limit) {
  return "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: jobs}\nspec:\n"
         "  hard: {count/jobs.batch: \"2\"}\n---\n"
         "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n"
         "  schedule: \"*/10 * * * *\"\n  successfulJobsHistoryLimit: " +
         std::to_string(history_limit) +
         "\n  jobTemplate:\n    spec:\n      template:\n"
         "        metadata: {annotations: {gpusim.io/duration: 1m}}\n"
         "        spec:\n          restartPolicy: Never\n"
         "          containers: [{name: c, image: busybox, resources: {requests: {cpu: "
         "100m}}}]\n---\n"
         "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: d}\nspec:\n"
         "  duration: 3h\n  nodePools: [{name: cpu, count: 1, template: {status: {capacity: "
         "{cpu: 8, memory: 8Gi}}}}]\n";
}

TEST(BatchScenarios, AJobCountQuotaStopsACronJobThatKeepsItsHistory) {
  const auto r = run_text(cron_under_job_quota(3));
  Simulation& sim = *r->sim;
  expect_no_violations(sim, 20);
  EXPECT_EQ(r->events("SuccessfulCreate").size(), 2u + 2u);  // two Jobs, one pod each
  const auto refused = r->events("FailedCreate");
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(refused[0].kind, "CronJob");
  EXPECT_EQ(refused[0].object, "default/nightly");
  EXPECT_EQ(refused[0].t_ms, 30 * 60'000);
  EXPECT_TRUE(starts_with(refused[0].message,
                          "Error creating job: jobs.batch \"nightly-28401150\" is forbidden: "
                          "exceeded quota: jobs, requested: count/jobs.batch=1, used: "
                          "count/jobs.batch=2, limited: count/jobs.batch=2"))
      << refused[0].message;
  // Back-off: 5 ms doubling to 1000 s, one retry waiting at a time; 2.5 h of refusals take
  // 18 quick retries and then one every 1000 s, not one per sync or per schedule.
  EXPECT_GE(refused.size(), 20u);
  EXPECT_LE(refused.size(), 40u);
  const ResourceQuota& q = sim.cluster().quotas.at("default/jobs");
  EXPECT_EQ(q.status_used.at("count/jobs.batch"), Quantity::from_int(2));
  // They are not pods: no pod was refused.
  const auto summary = sim.summary();
  EXPECT_EQ(summary["pods"]["rejected"], 0);
  EXPECT_EQ(summary["quotas"][0]["pods_rejected"], 0);
  EXPECT_EQ(summary["quotas"][0]["objects_rejected"], refused.size());
}

TEST(BatchScenarios, AJobCountQuotaLetsEveryRunStartWhenOneFinishedJobIsKept) {
  const auto r = run_text(cron_under_job_quota(1));
  Simulation& sim = *r->sim;
  expect_no_violations(sim, 20);
  EXPECT_TRUE(r->events("FailedCreate").empty());
  EXPECT_EQ(r->events("SuccessfulCreate").size(), 2u * 18u);  // 00:10 .. 03:00, a pod each
  EXPECT_LE(sim.cluster().quotas.at("default/jobs").status_used.at("count/jobs.batch"),
            Quantity::from_int(2));
}

// Manifest objects go through the same admission, in manifest order: the third Deployment
// under count/deployments.apps: 2 is refused and never runs; a rollout that needs a fourth
// ReplicaSet under count/replicasets.apps: 3 stalls with ReplicaSetCreateError.
TEST(BatchScenarios, ObjectCountQuotasRefuseManifestObjectsAndNewReplicaSets) {
  auto deployment = [](const std::string& name) {
    return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name +
           "}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: " + name +
           "}}\n  template:\n    metadata: {labels: {app: " + name +
           "}}\n    spec:\n      containers: [{name: c, image: \"nginx:1\", resources: "
           "{requests: {cpu: 100m}}}]\n";
  };
  std::string text =
      "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: objects}\nspec:\n"
      "  hard: {count/deployments.apps: \"2\", count/replicasets.apps: \"3\"}\n";
  text += deployment("a") + deployment("b") + deployment("c");
  text +=
      "---\napiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: d}\nspec:\n"
      "  duration: 2h\n  nodePools: [{name: cpu, count: 1, template: {status: {capacity: "
      "{cpu: 8, memory: 8Gi}}}}]\n  timeline:\n";
  for (int i = 2; i <= 3; ++i) {
    text += "    - {at: " + std::to_string(i * 10) +
            "m, action: setImage, target: Deployment/default/a, params: {container: c, image: "
            "\"nginx:" +
            std::to_string(i) + "\"}}\n";
  }
  const auto r = run_text(text);
  Simulation& sim = *r->sim;
  expect_no_violations(sim, 20);
  const Cluster& c = sim.cluster();
  EXPECT_FALSE(c.deployments.count("default/c"));
  // a and b have a ReplicaSet each; a's first rollout makes the third; the second is refused.
  const auto stalled = r->events("ReplicaSetCreateError");
  ASSERT_FALSE(stalled.empty());
  // Each refusal once: c at t=0 (before this log was attached) and each retry of a's sync.
  EXPECT_EQ(sim.batch().quota_admission().object_rejections().at("default/objects"),
            1 + stalled.size());
  EXPECT_TRUE(r->events("FailedCreate").empty());
  EXPECT_EQ(stalled[0].t_ms, 30 * 60'000);
  EXPECT_EQ(stalled[0].object, "default/a");
  const Deployment& a = c.deployments.at("default/a");
  const Condition* progressing = nullptr;
  for (const Condition& cond : a.status.conditions) {
    if (cond.type == "Progressing") progressing = &cond;
  }
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(progressing->status, "False");
  EXPECT_EQ(progressing->reason, "ReplicaSetCreateError");
  // The rollout to nginx:2 stays whole: the stalled one scales nothing.
  EXPECT_EQ(a.status.ready_replicas, 1);
  EXPECT_EQ(c.quotas.at("default/objects").status_used.at("count/replicasets.apps"),
            Quantity::from_int(3));
}

// An arrival's Job refused by count/jobs.batch is dropped and counted as the arrival's
// rejection; Jobs removed by ttlSecondsAfterFinished give their count back.
TEST(BatchScenarios, ArrivalsRefusedByAJobCountAreCountedAndTheTtlFreesTheQuota) {
  const std::string text =
      "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: jobs}\nspec:\n"
      "  hard: {count/jobs.batch: \"1\"}\n---\n"
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: d}\nspec:\n"
      "  duration: 1h\n  nodePools: [{name: cpu, count: 1, template: {status: {capacity: "
      "{cpu: 8, memory: 8Gi}}}}]\n"
      "  arrivals:\n    - name: batch\n      interval: 5m\n      start: 1m\n      count: 10\n"
      "      template:\n        apiVersion: batch/v1\n        kind: Job\n"
      "        metadata: {annotations: {gpusim.io/duration: 6m}}\n"
      "        spec:\n          ttlSecondsAfterFinished: 0\n          template:\n"
      "            spec:\n              restartPolicy: Never\n"
      "              containers: [{name: c, image: busybox, resources: {requests: {cpu: "
      "100m}}}]\n";
  const auto r = run_text(text);
  Simulation& sim = *r->sim;
  expect_no_violations(sim, 20);
  // Each Job runs 6 min (plus start-up) and goes at once: the arrival 5 min after an admitted
  // one finds it still there, the one after that finds the quota free again.
  const auto refused = r->events("FailedCreate");
  ASSERT_EQ(refused.size(), 5u);
  for (const auto& e : refused) {
    EXPECT_EQ(e.kind, "Job");
    EXPECT_TRUE(starts_with(e.message, "Error creating job: jobs.batch \"batch-")) << e.message;
  }
  const auto arrivals = sim.summary()["arrivals"];
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0]["created"], 5);
  EXPECT_EQ(arrivals[0]["rejected"], 5);
}

// How many of a Deployment's three pods a drain may evict under a budget, as upstream's
// disruption controller counts: a bare pod with the same labels is healthy but not expected
// (getExpectedScale leaves it out), and a budget with neither field allows nothing.
std::size_t evictions_under(const std::string& pdb_spec) {
  const std::string text =
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: d}\nspec:\n"
      "  duration: 10m\n  nodePools: [{name: node, count: 2, template: {status: {capacity: "
      "{cpu: 8, memory: 32Gi}}}}]\n"
      "  timeline: [{at: 60s, action: drain, target: node-0}]\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata: {name: bare, labels: {app: web}}\nspec:\n"
      "  nodeName: node-1\n  containers: [{name: c, image: busybox, resources: {requests: "
      "{cpu: 1}}}]\n---\n"
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n"
      "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
      "    spec:\n      nodeSelector: {kubernetes.io/hostname: node-0}\n"
      "      containers: [{name: c, image: busybox, resources: {requests: {cpu: 1}}}]\n---\n"
      "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n"
      "  selector: {matchLabels: {app: web}}\n" +
      pdb_spec;
  const auto r = run_text(text);
  expect_no_violations(*r->sim, 20);
  return r->events("Evicted").size();
}

TEST(BatchScenarios, PodDisruptionBudgetsCountAsUpstreamDoes) {
  // Expected 3 (the Deployment's scale), healthy 4: 4 - (3 - 1) = 2 disruptions.
  EXPECT_EQ(evictions_under("  maxUnavailable: 1\n"), 2u);
  EXPECT_EQ(evictions_under("  minAvailable: \"50%\"\n"), 2u);  // 4 - ceil(1.5)
  // Integer minAvailable counts every selected pod: 4 - 3 = 1.
  EXPECT_EQ(evictions_under("  minAvailable: 3\n"), 1u);
  EXPECT_EQ(evictions_under(""), 0u);
}

// A pod that two budgets select cannot be evicted; as kubectl drain, the drain still evicts the
// node's other pods and waits for them, then fails naming that pod.
TEST(BatchScenarios, ADrainEvictsTheOtherPodsBeforeFailingOnAPodWithTwoBudgets) {
  const std::string text = R"(apiVersion: gpusim.io/v1alpha1
kind: Simulation
metadata: {name: d}
spec:
  duration: 3m
  nodePools: [{name: node, count: 1, template: {status: {capacity: {cpu: 8, memory: 32Gi}}}}]
  timeline: [{at: 30s, action: drain, target: node-0}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  replicas: 1
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a, tier: x}}
    spec: {containers: [{name: c, image: busybox, resources: {requests: {cpu: 1}}}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec:
  replicas: 2
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: c, image: busybox, resources: {requests: {cpu: 1}}}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: a1}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: a}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: a2}
spec: {maxUnavailable: 1, selector: {matchLabels: {tier: x}}}
)";
  const auto r = run_text(text);
  expect_no_violations(*r->sim, 20);
  EXPECT_EQ(r->events("Evicted").size(), 2u);
  const auto failed = r->events("DrainFailed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_GT(failed[0].t_ms, 30'000);  // after b's pods were gone
  EXPECT_TRUE(starts_with(failed[0].message, "error when evicting pods/default/a-"))
      << failed[0].message;
  EXPECT_TRUE(r->events("NodeDrained").empty());
}

// Node failures as the node lifecycle controller meets them: the NoExecute taints that evict pods
// are added per zone at 0.1 nodes/s, not at all while 55 % or more of a small zone (more than two
// nodes) is NotReady, and not at all when every node is NotReady. Returns the eviction times.
std::vector<TimeMs> evictions_when_failing(int nodes, int failing) {
  std::string text =
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: z}\nspec:\n"
      "  duration: 20m\n  nodePools: [{name: node, count: " +
      std::to_string(nodes) +
      ", template: {metadata: {labels: {topology.kubernetes.io/zone: a}}, status: {capacity: "
      "{cpu: 8, memory: 8Gi}}}}]\n  timeline:\n";
  for (int i = 0; i < failing; ++i)
    text += "    - {at: 60s, action: fail, target: node-" + std::to_string(i) + "}\n";
  for (int i = 0; i < nodes; ++i) {
    text += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p" + std::to_string(i) +
            "}\nspec:\n  nodeName: node-" + std::to_string(i) +
            "\n  containers: [{name: c, image: busybox, resources: {requests: {cpu: 1}}}]\n";
  }
  const auto r = run_text(text);
  expect_no_violations(*r->sim, 20);
  std::vector<TimeMs> out;
  for (const auto& e : r->events("TaintManagerEviction"))
    out.push_back(e.t_ms);
  return out;
}

TEST(BatchScenarios, NodeFailuresAreEvictedAtTheZoneRateAndNotInADisruptedZone) {
  // NotReady at 60 s + 50 s; tainted then, one node per 10 s; evicted 300 s after the taint.
  EXPECT_EQ(evictions_when_failing(10, 2), (std::vector<TimeMs>{410'000, 420'000}));
  EXPECT_EQ(evictions_when_failing(4, 2), (std::vector<TimeMs>{410'000, 420'000}));
  EXPECT_TRUE(evictions_when_failing(4, 3).empty());  // 3 of 4: partial disruption, zone <= 50
  EXPECT_TRUE(evictions_when_failing(3, 3).empty());  // every node: nothing is evicted
}

}  // namespace
}  // namespace gpusim::engine
