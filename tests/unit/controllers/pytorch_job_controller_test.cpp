// The PyTorchJob controller against a Cluster whose pods the test finishes by hand.
#include "controllers/pytorch_job_controller.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/duration.hpp"
#include "model/cluster.hpp"
#include "unit/controllers/quota_setup.hpp"

namespace gpusim::ctrl {
namespace {

class PyTorchJobTest : public ::testing::Test, public ClusterObserver {
 protected:
  PyTorchJobTest()
      : cluster(loop, 3),
        controller(cluster, loop, 3, *DurationDistribution::parse("uniform(10m,20m)")) {
    cluster.add_observer(&controller);
    cluster.add_observer(this);
  }
  void on_event(const ClusterEvent& e) override { events.push_back(e); }

  static std::shared_ptr<const PodTemplate> tmpl(const char* duration = nullptr) {
    PodTemplate t;
    Container c;
    c.name = "pytorch";
    c.resources.requests["nvidia.com/gpu"] = Quantity::from_int(8);
    c.resources.limits["nvidia.com/gpu"] = Quantity::from_int(8);
    t.spec.containers.push_back(c);
    if (duration) t.annotations["gpusim.io/duration"] = duration;
    return make_template(std::move(t));
  }

  // restartPolicy Never by default; `exit_code`: ExitCode (pods Never, the operator restarts).
  PyTorchJob& add(const std::string& name, int workers, const char* duration = nullptr,
                  RestartPolicy policy = RestartPolicy::kNever, bool exit_code = false) {
    PyTorchJob j;
    j.meta.name = name;
    j.meta.namespace_ = "ml";
    j.meta.uid = cluster.next_uid();
    j.replica_specs["Master"] = ReplicaSpec{1, policy, exit_code, tmpl(duration)};
    j.replica_specs["Worker"] = ReplicaSpec{workers, policy, exit_code, tmpl(duration)};
    j.backoff_limit = 1;
    j.priority_class_name = "training";
    cluster.pytorch_jobs["ml/" + name] = j;
    cluster.object_changed("PyTorchJob", "ml/" + name);
    return cluster.pytorch_jobs["ml/" + name];
  }

  std::vector<std::string> pod_names() const {
    std::vector<std::string> out;
    cluster.for_each_pod([&](PodId, const Pod& p) {
      if (!p.deletion_ms) out.push_back(p.name);
    });
    std::sort(out.begin(), out.end());
    return out;
  }

  // `exit_code`: the pytorch container's, as the kubelet reports it.
  void set_phase(const std::string& name, PodPhase phase,
                 std::optional<std::int32_t> exit_code = std::nullopt) {
    const PodId id = cluster.find_pod("ml", name);
    ASSERT_NE(id, kNoPod) << name;
    Pod& p = cluster.pod(id);
    p.status.phase = phase;
    p.status.exit_code = exit_code;
    p.status.stage = phase == PodPhase::kRunning ? PodStage::kRunning : PodStage::kTerminated;
    cluster.pod_changed(id);
  }

  bool condition(const std::string& name, const char* type) {
    for (const auto& c : cluster.pytorch_jobs["ml/" + name].status.conditions) {
      if (c.type == type && c.status == "True") return true;
    }
    return false;
  }

  const Condition* failed_condition(const std::string& name) {
    for (const auto& c : cluster.pytorch_jobs["ml/" + name].status.conditions) {
      if (c.type == "Failed" && c.status == "True") return &c;
    }
    return nullptr;
  }

  // Failed with the operator's reason (common/job.go ReconcileJobs) and `message`, on the
  // condition and one event.
  void expect_failed_with(const std::string& name, const std::string& message) {
    const Condition* c = failed_condition(name);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->reason, "PyTorchJobFailed");
    EXPECT_EQ(c->message, message);
    EXPECT_EQ(count("PyTorchJobFailed"), 1);
  }

  int count(const std::string& type) const {
    int n = 0;
    for (const auto& e : events)
      n += e.type == type ? 1 : 0;
    return n;
  }

  EventLoop loop;
  Cluster cluster;
  PyTorchJobController controller;
  std::vector<ClusterEvent> events;
};

TEST_F(PyTorchJobTest, CreatesAPodGroupAndTheReplicas) {
  add("llm", 3);
  loop.run(0);
  EXPECT_EQ(pod_names(), (std::vector<std::string>{"llm-master-0", "llm-worker-0", "llm-worker-1",
                                                   "llm-worker-2"}));
  ASSERT_TRUE(cluster.pod_groups.count("ml/llm"));
  EXPECT_EQ(cluster.pod_groups["ml/llm"].min_member, 4);
  std::set<std::string> durations;
  cluster.for_each_pod([&](PodId, const Pod& p) {
    EXPECT_EQ(p.labels().at(kPodGroupLabel), "llm");
    EXPECT_EQ(p.labels().at(kTrainingJobNameLabel), "llm");
    EXPECT_EQ(p.spec().priority_class_name, "training");
    EXPECT_EQ(p.spec().restart_policy, RestartPolicy::kNever);
    durations.insert(p.annotations().at("gpusim.io/duration"));
  });
  // One run time for the whole gang, drawn from the default uniform(10m,20m).
  ASSERT_EQ(durations.size(), 1u);
  const auto d = parse_duration_ms(*durations.begin());
  ASSERT_TRUE(d.has_value());
  EXPECT_GE(*d, 600'000);
  EXPECT_LE(*d, 1'200'000);
}

TEST_F(PyTorchJobTest, MinAvailableSetsMinMember) {
  PyTorchJob& j = add("elastic", 3);
  j.min_available = 2;
  cluster.pod_groups.clear();
  cluster.object_changed("PyTorchJob", "ml/elastic");
  loop.run(0);
  EXPECT_EQ(cluster.pod_groups["ml/elastic"].min_member, 2);
}

TEST_F(PyTorchJobTest, SucceedsWhenTheMasterSucceeds) {
  add("llm", 2, "1h");
  loop.run(0);
  for (const auto& n : pod_names())
    set_phase(n, PodPhase::kRunning);
  loop.run(10);
  EXPECT_TRUE(condition("llm", "Running"));
  set_phase("llm-master-0", PodPhase::kSucceeded);
  loop.run(20);
  EXPECT_TRUE(condition("llm", "Succeeded"));
  EXPECT_FALSE(condition("llm", "Running"));
  EXPECT_TRUE(pytorch_job_finished(cluster.pytorch_jobs["ml/llm"]));
  // The workers still running are deleted (unbound here, so at once).
  EXPECT_EQ(pod_names(), (std::vector<std::string>{"llm-master-0"}));
}

// restartPolicy ExitCode: a pod that failed with a retryable exit code (137: SIGKILL, as a
// liveness kill) is deleted and created again alone (ReconcilePods); the others keep running
// and nothing counts against backoffLimit.
TEST_F(PyTorchJobTest, ARetryableExitCodeRecreatesThatPodAlone) {
  add("llm", 2, "1h", RestartPolicy::kOnFailure, /*exit_code=*/true);
  loop.run(0);
  // The kubelet must not restart them in place: a failed pod is the operator's to handle.
  cluster.for_each_pod(
      [&](PodId, const Pod& p) { EXPECT_EQ(p.spec().restart_policy, RestartPolicy::kNever); });
  const std::uint64_t master = cluster.pod(cluster.find_pod("ml", "llm-master-0")).uid;
  const std::uint64_t failed = cluster.pod(cluster.find_pod("ml", "llm-worker-1")).uid;
  for (int round = 0; round < 3; ++round) {  // more than backoffLimit 1
    set_phase("llm-worker-1", PodPhase::kFailed, kSigkillExitCode);
    loop.run(loop.now() + 10);
  }
  EXPECT_EQ(count("PyTorchJobRestarting"), 3);
  EXPECT_TRUE(condition("llm", "Restarting"));
  EXPECT_FALSE(condition("llm", "Failed"));
  EXPECT_EQ(pod_names(),
            (std::vector<std::string>{"llm-master-0", "llm-worker-0", "llm-worker-1"}));
  EXPECT_EQ(cluster.pod(cluster.find_pod("ml", "llm-master-0")).uid, master);
  EXPECT_NE(cluster.pod(cluster.find_pod("ml", "llm-worker-1")).uid, failed);
  EXPECT_EQ(cluster.pytorch_jobs["ml/llm"].status.failed, 3);
}

// restartPolicy ExitCode with a permanent exit code (1: gpusim's simulated crash) fails the job
// (IsRetryableExitCode: only 130, 137, 138 and 143 are retried).
TEST_F(PyTorchJobTest, APermanentExitCodeFailsTheJob) {
  add("llm", 2, "1h", RestartPolicy::kOnFailure, /*exit_code=*/true);
  loop.run(0);
  set_phase("llm-worker-1", PodPhase::kFailed, kCrashExitCode);
  loop.run(10);
  EXPECT_TRUE(condition("llm", "Failed"));
  EXPECT_EQ(failed_condition("llm")->message,
            "job \"llm\" is failing because \"Worker\" replica(s) failed.");
  EXPECT_EQ(count("PyTorchJobRestarting"), 0);
  EXPECT_EQ(count("PyTorchJobFailed"), 1);
  // The running replicas are deleted; the failed one stays for inspection.
  EXPECT_EQ(pod_names(), (std::vector<std::string>{"llm-worker-1"}));
}

// restartPolicy Never: the first failed replica fails the job, with no restart (the training
// operator restarts only OnFailure, Always and ExitCode replicas).
TEST_F(PyTorchJobTest, AFailedNeverReplicaFailsTheJobAtOnce) {
  add("llm", 2, "1h");
  loop.run(0);
  set_phase("llm-worker-1", PodPhase::kFailed);
  loop.run(10);
  EXPECT_TRUE(condition("llm", "Failed"));
  EXPECT_EQ(count("PyTorchJobRestarting"), 0);
  EXPECT_EQ(count("PyTorchJobFailed"), 1);
  EXPECT_EQ(failed_condition("llm")->message,
            "PyTorchJob llm is failed because 1 Worker replica(s) failed.");
  EXPECT_EQ(cluster.pytorch_jobs["ml/llm"].status.failed, 1);
}

// restartPolicy OnFailure: the kubelet restarts containers in place, and the operator fails the
// job when the running pods' restarts reach backoffLimit (PastBackoffLimit).
TEST_F(PyTorchJobTest, OnFailureRestartsCountAgainstTheBackoffLimit) {
  add("llm", 1, "1h", RestartPolicy::kOnFailure);  // backoffLimit 1
  loop.run(0);
  cluster.for_each_pod(
      [&](PodId, const Pod& p) { EXPECT_EQ(p.spec().restart_policy, RestartPolicy::kOnFailure); });
  set_phase("llm-worker-0", PodPhase::kRunning);
  loop.run(10);
  EXPECT_FALSE(condition("llm", "Failed"));
  const PodId w = cluster.find_pod("ml", "llm-worker-0");
  cluster.pod(w).status.restarts = 1;
  cluster.pod_changed(w);
  loop.run(20);
  EXPECT_TRUE(condition("llm", "Failed"));
  expect_failed_with("llm",
                     "Job llm has failed because it has reached the specified backoff limit");
  EXPECT_EQ(count("BackoffLimitExceeded"), 0);
}

TEST_F(PyTorchJobTest, ActiveDeadlineFailsTheJobAsPyTorchJobFailed) {
  PyTorchJob& j = add("slow", 1, "1h");
  j.active_deadline_s = 60;
  loop.run(59'999);
  EXPECT_FALSE(condition("slow", "Failed"));
  loop.run(60'000);
  expect_failed_with("slow",
                     "Job slow has failed because it was active longer than specified deadline");
  EXPECT_EQ(count("DeadlineExceeded"), 0);
  EXPECT_TRUE(pod_names().empty());  // the pods are deleted (unbound here: at once)
}

// A pod lost to a drain, an eviction, preemption or a node failure is created again alone, as
// the operator's ReconcilePods fills the empty index: the other replicas keep running, no
// Restarting event, nothing counted against backoffLimit (0 here).
// Without runPolicy.backoffLimit (the operator defaults none: PastBackoffLimit is false)
// container restarts never fail the job.
TEST_F(PyTorchJobTest, WithoutABackoffLimitRestartsNeverFailTheJob) {
  PyTorchJob& j = add("llm", 1, "1h", RestartPolicy::kOnFailure);
  j.backoff_limit.reset();
  loop.run(0);
  set_phase("llm-worker-0", PodPhase::kRunning);
  const PodId w = cluster.find_pod("ml", "llm-worker-0");
  cluster.pod(w).status.restarts = 100;
  cluster.pod_changed(w);
  loop.run(10);
  EXPECT_FALSE(condition("llm", "Failed"));
}

// backoffLimit 0: a new failed pod while a replica is missing fails the job before it is
// retried (exceedsBackoffLimit: the operator's work queue counts no requeues, 0 + 1 > 0).
TEST_F(PyTorchJobTest, ABackoffLimitOfZeroFailsOnTheFirstRetryableFailure) {
  PyTorchJob& j = add("llm", 2, "1h", RestartPolicy::kOnFailure, /*exit_code=*/true);
  j.backoff_limit = 0;
  loop.run(0);
  set_phase("llm-worker-1", PodPhase::kFailed, kSigkillExitCode);
  loop.run(10);
  EXPECT_TRUE(condition("llm", "Failed"));
  EXPECT_EQ(count("PyTorchJobRestarting"), 0);
}

TEST_F(PyTorchJobTest, ALostPodIsRecreatedAlone) {
  PyTorchJob& j = add("llm", 2, "1h");
  j.backoff_limit = 0;
  loop.run(0);
  const std::uint64_t master = cluster.pod(cluster.find_pod("ml", "llm-master-0")).uid;
  const std::uint64_t worker0 = cluster.pod(cluster.find_pod("ml", "llm-worker-0")).uid;
  const std::uint64_t lost = cluster.pod(cluster.find_pod("ml", "llm-worker-1")).uid;
  cluster.request_deletion(cluster.find_pod("ml", "llm-worker-1"));  // e.g. preempted
  loop.run(10);
  EXPECT_EQ(count("PyTorchJobRestarting"), 0);
  EXPECT_FALSE(condition("llm", "Failed"));
  EXPECT_EQ(cluster.pytorch_jobs["ml/llm"].status.failed, 0);
  EXPECT_EQ(pod_names(),
            (std::vector<std::string>{"llm-master-0", "llm-worker-0", "llm-worker-1"}));
  EXPECT_EQ(cluster.pod(cluster.find_pod("ml", "llm-master-0")).uid, master);
  EXPECT_EQ(cluster.pod(cluster.find_pod("ml", "llm-worker-0")).uid, worker0);
  EXPECT_NE(cluster.pod(cluster.find_pod("ml", "llm-worker-1")).uid, lost);
  EXPECT_EQ(count("SuccessfulCreatePod"), 4);
}

// PastBackoffLimit adds up the restarts of Running pods only.
TEST_F(PyTorchJobTest, OnlyRunningPodsRestartsCountAgainstTheBackoffLimit) {
  add("llm", 1, "1h", RestartPolicy::kOnFailure);  // backoffLimit 1
  loop.run(0);
  const PodId w = cluster.find_pod("ml", "llm-worker-0");
  cluster.pod(w).status.restarts = 3;  // a pod still Pending (phase as created)
  cluster.pod_changed(w);
  loop.run(10);
  EXPECT_FALSE(condition("llm", "Failed"));
  set_phase("llm-worker-0", PodPhase::kRunning);
  loop.run(20);
  EXPECT_TRUE(condition("llm", "Failed"));
}

TEST_F(PyTorchJobTest, QuotaRejectionStopsTheRoundAndRetries) {
  testing::QuotaSetup quotas(cluster);
  quotas.add("ml", "gpus", {{"requests.nvidia.com/gpu", Quantity::from_int(16)}});
  add("llm", 2, "1h");  // 3 x 8 GPUs > 16
  loop.at(100'000, EventPriority::kTimeline, [] {});
  loop.run(0);
  EXPECT_EQ(pod_names(), (std::vector<std::string>{"llm-master-0", "llm-worker-0"}));
  EXPECT_EQ(count("FailedCreatePod"), 1);
  loop.run(1'000);
  EXPECT_GT(count("FailedCreatePod"), 3);  // 5 ms, 10 ms, 20 ms, ... retries
  // The quota is raised: the next retry creates the last worker.
  cluster.quotas["ml/gpus"].hard["requests.nvidia.com/gpu"] = Quantity::from_int(24);
  cluster.object_changed("ResourceQuota", "ml/gpus");
  loop.run(10'000);
  EXPECT_EQ(pod_names(),
            (std::vector<std::string>{"llm-master-0", "llm-worker-0", "llm-worker-1"}));
}

}  // namespace
}  // namespace gpusim::ctrl
