// The Job and CronJob controllers against a Cluster whose pods the test finishes by hand (no
// kubelet, no scheduler): what the controllers create, count and delete, and when.
#include "controllers/job_controller.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controllers/cron_job_controller.hpp"
#include "model/cluster.hpp"
#include "unit/controllers/quota_setup.hpp"

namespace gpusim::ctrl {
namespace {

class JobHarness : public ::testing::Test, public ClusterObserver {
 protected:
  JobHarness() : cluster(loop, 7), jobs(cluster, loop), crons(cluster, loop) {
    cluster.add_observer(&jobs);
    cluster.add_observer(&crons);
    cluster.add_observer(this);
  }

  void on_event(const ClusterEvent& e) override { events.push_back(e); }

  static std::shared_ptr<const PodTemplate> tmpl(RestartPolicy rp = RestartPolicy::kNever) {
    PodTemplate t;
    Container c;
    c.name = "main";
    c.resources.requests["cpu"] = *Quantity::parse("1");
    c.resources.limits["cpu"] = *Quantity::parse("1");
    t.spec.containers.push_back(c);
    t.spec.restart_policy = rp;
    return make_template(std::move(t));
  }

  Job& add_job(const std::string& name, JobSpec spec) {
    Job j;
    j.meta.name = name;
    j.meta.namespace_ = "ns";
    j.meta.uid = cluster.next_uid();
    j.meta.creation_ms = loop.now();
    if (!spec.tmpl) spec.tmpl = tmpl();
    j.spec = std::move(spec);
    const std::string key = "ns/" + name;
    cluster.jobs[key] = j;
    cluster.object_changed("Job", key);
    return cluster.jobs[key];
  }

  Job* job(const std::string& name) {
    auto it = cluster.jobs.find("ns/" + name);
    return it == cluster.jobs.end() ? nullptr : &it->second;
  }

  std::vector<PodId> live_pods(const std::string& job_name) {
    std::vector<PodId> out;
    Job* j = job(job_name);
    if (!j) return out;
    for (PodId id : cluster.pods_of(j->meta.uid)) {
      const Pod& p = cluster.pod(id);
      if (!p.terminal() && !p.deletion_ms) out.push_back(id);
    }
    return out;
  }

  // The kubelet's part: the pod's containers exit.
  void finish(PodId id, bool ok) {
    Pod& p = cluster.pod(id);
    p.status.phase = ok ? PodPhase::kSucceeded : PodPhase::kFailed;
    p.status.stage = PodStage::kTerminated;
    p.status.finished_ms = loop.now();
    cluster.pod_changed(id);
  }

  // The scheduler's and kubelet's part: the pod is bound to a node and runs, Ready.
  void bind_running(PodId id) {
    if (node == kNoNode) {
      Node n;
      n.meta.name = "node-0";
      n.capacity["cpu"] = Quantity::from_int(64);
      n.allocatable = n.capacity;
      node = cluster.add_node(std::move(n));
    }
    cluster.bind(id, node, {});
    Pod& p = cluster.pod(id);
    p.status.phase = PodPhase::kRunning;
    p.status.stage = PodStage::kRunning;
    p.status.ready = true;
    p.status.ever_ready = true;
    p.status.ready_transition_ms = loop.now();
    cluster.pod_changed(id);
  }

  void run_until(TimeMs t) { loop.run(t); }

  // spec.suspend changed as `kubectl patch` would, then the loop run to `t`.
  void set_suspend(const std::string& name, bool suspend, TimeMs t) {
    job(name)->spec.suspend = suspend;
    cluster.object_changed("Job", "ns/" + name);
    run_until(t);
  }

  int count_events(const std::string& type) const {
    int n = 0;
    for (const auto& e : events)
      n += e.type == type ? 1 : 0;
    return n;
  }

  static bool has_condition(const Job& j, const std::string& type, const std::string& reason) {
    for (const auto& c : j.status.conditions) {
      if (c.type == type && c.status == "True" && c.reason == reason) return true;
    }
    return false;
  }

  EventLoop loop;
  Cluster cluster;
  NodeId node = kNoNode;
  JobController jobs;
  CronJobController crons;
  std::vector<ClusterEvent> events;
};

TEST_F(JobHarness, ParallelismAndCompletions) {
  JobSpec s;
  s.parallelism = 2;
  s.completions = 5;
  add_job("train", s);
  run_until(0);
  ASSERT_EQ(live_pods("train").size(), 2u);
  for (int round = 0; round < 5; ++round) {
    const auto pods = live_pods("train");
    ASSERT_FALSE(pods.empty()) << "round " << round;
    finish(pods.front(), true);
    run_until(loop.now() + 1000);
  }
  Job* j = job("train");
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->status.succeeded, 5);
  EXPECT_EQ(j->status.failed, 0);
  EXPECT_TRUE(job_succeeded(*j));
  EXPECT_TRUE(has_condition(*j, "Complete", "CompletionsReached"));
  EXPECT_EQ(live_pods("train").size(), 0u);
  // Exactly five pods were ever needed: never more than `remaining completions` at once.
  EXPECT_EQ(count_events("SuccessfulCreate"), 5);
}

TEST_F(JobHarness, IndexedCompletionRetriesTheFailedIndexAfterBackoff) {
  JobSpec s;
  s.parallelism = 3;
  s.completions = 3;
  s.completion_mode = CompletionMode::kIndexed;
  add_job("idx", s);
  run_until(0);
  auto pods = live_pods("idx");
  ASSERT_EQ(pods.size(), 3u);
  std::vector<int> indexes;
  for (PodId id : pods) {
    indexes.push_back(cluster.pod(id).index);
    EXPECT_EQ(cluster.pod(id).name.rfind("idx-" + std::to_string(cluster.pod(id).index) + "-", 0),
              0u)
        << cluster.pod(id).name;
  }
  std::sort(indexes.begin(), indexes.end());
  EXPECT_EQ(indexes, (std::vector<int>{0, 1, 2}));

  PodId one = kNoPod;
  for (PodId id : pods) {
    if (cluster.pod(id).index == 1) {
      one = id;
    } else {
      finish(id, true);
    }
  }
  run_until(5'000);
  finish(one, false);
  // The replacement waits out the pod-failure back-off (10 s after the failure).
  run_until(14'999);
  EXPECT_TRUE(live_pods("idx").empty());
  run_until(15'000);
  ASSERT_EQ(live_pods("idx").size(), 1u);
  EXPECT_EQ(cluster.pod(live_pods("idx")[0]).index, 1);
  EXPECT_EQ(job("idx")->status.completed_indexes, (std::vector<std::int32_t>{0, 2}));
  finish(live_pods("idx")[0], true);
  run_until(16'000);
  EXPECT_TRUE(job_succeeded(*job("idx")));
  EXPECT_EQ(job("idx")->status.succeeded, 3);
  EXPECT_EQ(job("idx")->status.failed, 1);
}

TEST_F(JobHarness, BackoffLimitFailsTheJobAndDoublesTheDelay) {
  JobSpec s;
  s.backoff_limit = 2;
  add_job("flaky", s);
  run_until(0);
  finish(live_pods("flaky")[0], false);  // failure 1 at t=0 -> retry at 10 s
  run_until(9'999);
  EXPECT_TRUE(live_pods("flaky").empty());
  run_until(10'000);
  ASSERT_EQ(live_pods("flaky").size(), 1u);
  finish(live_pods("flaky")[0], false);  // failure 2 at t=10 s -> retry at 30 s
  run_until(29'999);
  EXPECT_TRUE(live_pods("flaky").empty());
  run_until(30'000);
  ASSERT_EQ(live_pods("flaky").size(), 1u);
  finish(live_pods("flaky")[0], false);  // failure 3 > backoffLimit 2
  run_until(31'000);
  Job* j = job("flaky");
  EXPECT_TRUE(job_finished(*j));
  EXPECT_FALSE(job_succeeded(*j));
  EXPECT_TRUE(has_condition(*j, "Failed", "BackoffLimitExceeded"));
  EXPECT_EQ(j->status.failed, 3);
  EXPECT_EQ(count_events("BackoffLimitExceeded"), 1);
}

// A work queue (completions unset): after the first success no pod is added and the running
// ones finish on their own (upstream's wantActive = active); the Job completes when the last one
// has. It once deleted the others at the first success.
TEST_F(JobHarness, AWorkQueueLetsItsOtherPodsFinishAfterTheFirstSuccess) {
  JobSpec s;
  s.parallelism = 3;
  add_job("queue", s);
  run_until(0);
  auto pods = live_pods("queue");
  ASSERT_EQ(pods.size(), 3u);
  finish(pods[0], true);
  run_until(1'000);
  EXPECT_EQ(live_pods("queue").size(), 2u);  // none deleted, none added
  EXPECT_FALSE(job_finished(*job("queue")));
  finish(pods[1], true);
  run_until(2'000);
  EXPECT_FALSE(job_finished(*job("queue")));
  finish(pods[2], true);
  run_until(3'000);
  EXPECT_TRUE(job_succeeded(*job("queue")));
  EXPECT_EQ(job("queue")->status.succeeded, 3);
  EXPECT_EQ(count_events("SuccessfulCreate"), 3);
}

// restartPolicy OnFailure: the restarts of running pods reach backoffLimit when as many as it
// (pastBackoffLimitOnFailure: restarts >= limit; > 0 for a limit of 0), not one restart later.
TEST_F(JobHarness, OnFailureRestartsReachTheBackoffLimitAtTheLimit) {
  JobSpec s;
  s.backoff_limit = 2;
  s.tmpl = tmpl(RestartPolicy::kOnFailure);
  add_job("restarts", s);
  run_until(0);
  const PodId pod = live_pods("restarts").at(0);
  cluster.pod(pod).status.restarts = 1;
  cluster.pod_changed(pod);
  run_until(1'000);
  EXPECT_FALSE(job_finished(*job("restarts")));
  cluster.pod(pod).status.restarts = 2;
  cluster.pod_changed(pod);
  run_until(2'000);
  EXPECT_TRUE(has_condition(*job("restarts"), "Failed", "BackoffLimitExceeded"));

  JobSpec zero;
  zero.backoff_limit = 0;
  zero.tmpl = tmpl(RestartPolicy::kOnFailure);
  add_job("once", zero);
  run_until(3'000);
  const PodId first = live_pods("once").at(0);
  cluster.pod(first).status.restarts = 1;
  cluster.pod_changed(first);
  run_until(4'000);
  EXPECT_TRUE(has_condition(*job("once"), "Failed", "BackoffLimitExceeded"));
}

TEST_F(JobHarness, ActiveDeadlineFailsTheJobAndDeletesItsPods) {
  JobSpec s;
  s.parallelism = 2;
  s.active_deadline_s = 60;
  add_job("slow", s);
  run_until(59'999);
  EXPECT_EQ(live_pods("slow").size(), 2u);
  run_until(60'000);
  Job* j = job("slow");
  EXPECT_TRUE(has_condition(*j, "Failed", "DeadlineExceeded"));
  EXPECT_TRUE(live_pods("slow").empty());
  // When the Job fails, every pod not yet terminated counts as failed (upstream's
  // trackJobStatusAndRemoveFinalizers), those it deletes for that too.
  run_until(61'000);
  EXPECT_EQ(job("slow")->status.failed, 2);
}

// The terminal condition waits for the terminating pods (upstream's delayTerminalCondition):
// FailureTarget when the Job fails, Failed and its event once its last pod is gone.
TEST_F(JobHarness, FailedWaitsUntilNoPodIsTerminating) {
  JobSpec s;
  s.parallelism = 2;
  s.active_deadline_s = 60;
  s.ttl_seconds_after_finished = 100;
  add_job("slow", s);
  run_until(0);
  const auto pods = live_pods("slow");
  for (PodId id : pods)
    bind_running(id);
  run_until(60'000);
  Job* j = job("slow");
  EXPECT_TRUE(has_condition(*j, "FailureTarget", "DeadlineExceeded"));
  EXPECT_FALSE(job_finished(*j));
  EXPECT_EQ(j->status.failed, 2);
  EXPECT_EQ(count_events("DeadlineExceeded"), 0);
  EXPECT_EQ(count_events("SuccessfulCreate"), 2);
  run_until(70'000);
  cluster.delete_pod(pods[0]);  // the kubelet finished one
  run_until(80'000);
  EXPECT_FALSE(job_finished(*job("slow")));
  cluster.delete_pod(pods[1]);
  run_until(90'000);
  EXPECT_TRUE(has_condition(*job("slow"), "Failed", "DeadlineExceeded"));
  EXPECT_EQ(count_events("DeadlineExceeded"), 1);
  EXPECT_EQ(job("slow")->status.failed, 2);
  EXPECT_EQ(count_events("SuccessfulCreate"), 2);
  // ttlSecondsAfterFinished counts from Failed (80 s).
  loop.at(300'000, EventPriority::kTimeline, [] {});
  run_until(179'999);
  EXPECT_NE(job("slow"), nullptr);
  run_until(180'000);
  EXPECT_EQ(job("slow"), nullptr);
}

// Success too: SuccessCriteriaMet, then Complete once the evicted pod still terminating is gone.
TEST_F(JobHarness, CompleteWaitsUntilNoPodIsTerminating) {
  JobSpec s;
  s.completions = 1;
  add_job("once", s);
  run_until(0);
  const PodId evicted = live_pods("once").at(0);
  bind_running(evicted);
  cluster.request_deletion(evicted);
  run_until(10'000);  // the replacement, after the 10 s back-off
  ASSERT_EQ(live_pods("once").size(), 1u);
  finish(live_pods("once")[0], true);
  run_until(11'000);
  EXPECT_TRUE(has_condition(*job("once"), "SuccessCriteriaMet", "CompletionsReached"));
  EXPECT_FALSE(job_finished(*job("once")));
  EXPECT_EQ(count_events("Completed"), 0);
  cluster.delete_pod(evicted);
  run_until(12'000);
  EXPECT_TRUE(job_succeeded(*job("once")));
  EXPECT_EQ(job("once")->status.completion_ms, 11'000);
  EXPECT_EQ(count_events("Completed"), 1);
}

TEST_F(JobHarness, TtlAfterFinishedDeletesTheJobAndItsPods) {
  JobSpec s;
  s.completions = 1;
  s.ttl_seconds_after_finished = 100;
  add_job("once", s);
  run_until(0);
  finish(live_pods("once")[0], true);
  run_until(1'000);
  ASSERT_NE(job("once"), nullptr);
  EXPECT_TRUE(job_succeeded(*job("once")));
  EXPECT_EQ(cluster.pod_count(), 1u);  // the Succeeded pod stays until the Job goes
  // The TTL wake-up is a background event: something else keeps the run going.
  loop.at(200'000, EventPriority::kTimeline, [] {});
  // It finished at t=0 (the pod's exit): deleted 100 s later.
  run_until(99'999);
  EXPECT_NE(job("once"), nullptr);
  run_until(100'000);
  EXPECT_EQ(job("once"), nullptr);
  EXPECT_EQ(cluster.pod_count(), 0u);
}

TEST_F(JobHarness, EvictedPodsCountAsFailures) {
  JobSpec s;
  add_job("evict", s);
  run_until(0);
  const PodId p = live_pods("evict")[0];
  cluster.request_deletion(p);  // unbound: deleted at once, as an eviction of a pending pod
  run_until(1'000);
  EXPECT_EQ(job("evict")->status.failed, 1);
  run_until(11'000);
  EXPECT_EQ(live_pods("evict").size(), 1u);
}

// A bound pod deleted by someone else (a drain, an eviction, preemption, taint eviction off a
// failed node) fails when the deletion is requested, not when the object goes: upstream's
// isPodFailed counts a non-Succeeded pod with a deletionTimestamp (podReplacementPolicy
// TerminatingOrFailed), and exceedsBackoffLimit sees it in the same sync. Here the pod never
// goes, as on a node that stays down.
TEST_F(JobHarness, APodDeletedBeforeItFinishesFailsAtOnce) {
  JobSpec s;
  s.backoff_limit = 0;
  add_job("drained", s);
  run_until(0);
  const PodId p = live_pods("drained").at(0);
  bind_running(p);
  run_until(120'000);
  cluster.request_deletion(p);  // drained at 120 s, 30 s grace
  run_until(120'000);
  Job* j = job("drained");
  EXPECT_EQ(j->status.failed, 1);
  // The failure is decided now (FailureTarget); Failed follows once the pod is gone.
  EXPECT_TRUE(has_condition(*j, "FailureTarget", "BackoffLimitExceeded"));
  run_until(150'000);
  cluster.delete_pod(p);  // the grace period ended
  run_until(150'000);
  EXPECT_TRUE(has_condition(*job("drained"), "Failed", "BackoffLimitExceeded"));
  run_until(200'000);
  EXPECT_EQ(count_events("SuccessfulCreate"), 1);  // no replacement
}

// The replacement of an evicted pod waits for the pod-failure back-off (10 s), counted from the
// deletion (upstream's getFinishedTime: the Ready=False transition or deletionTimestamp - grace).
TEST_F(JobHarness, AnEvictedPodIsReplacedAfterThePodFailureBackoff) {
  JobSpec s;
  add_job("evicted", s);  // backoffLimit 6
  run_until(0);
  const PodId p = live_pods("evicted").at(0);
  bind_running(p);
  run_until(5'000);
  cluster.request_deletion(p);
  run_until(5'000);
  EXPECT_EQ(job("evicted")->status.failed, 1);
  EXPECT_FALSE(job_finished(*job("evicted")));
  run_until(14'999);
  EXPECT_TRUE(live_pods("evicted").empty());
  run_until(15'000);
  EXPECT_EQ(live_pods("evicted").size(), 1u);
  // The evicted pod going away later is not a second failure.
  cluster.delete_pod(p);
  run_until(20'000);
  EXPECT_EQ(job("evicted")->status.failed, 1);
}

// podReplacementPolicy Failed: a deleted pod holds its place until it has terminated, and only
// then is a failure (upstream's isPodFailed: phase Failed only; manageJob subtracts the
// terminating pods from the pods to create).
TEST_F(JobHarness, PodReplacementPolicyFailedWaitsForTheTerminatingPod) {
  JobSpec s;
  s.pod_replacement_policy = PodReplacementPolicy::kFailed;
  add_job("patient", s);
  run_until(0);
  const PodId p = live_pods("patient").at(0);
  bind_running(p);
  run_until(5'000);
  cluster.request_deletion(p);
  run_until(30'000);
  EXPECT_EQ(job("patient")->status.failed, 0);
  EXPECT_TRUE(live_pods("patient").empty());
  EXPECT_EQ(count_events("SuccessfulCreate"), 1);
  cluster.delete_pod(p);  // terminated at 30 s
  run_until(30'000);
  EXPECT_EQ(job("patient")->status.failed, 1);
  run_until(39'999);
  EXPECT_TRUE(live_pods("patient").empty());  // the pod-failure back-off, from 30 s
  run_until(40'000);
  EXPECT_EQ(live_pods("patient").size(), 1u);
}

// Pods the controller deletes itself are not failures, running (bound) ones included: upstream
// removes their tracking finalizer before deleting them.
TEST_F(JobHarness, PodsTheControllerDeletesAreNotFailures) {
  JobSpec s;
  s.parallelism = 2;
  s.completions = 2;
  add_job("pause", s);
  run_until(0);
  for (PodId id : live_pods("pause"))
    bind_running(id);
  set_suspend("pause", true, 1'000);
  EXPECT_TRUE(live_pods("pause").empty());
  EXPECT_EQ(job("pause")->status.failed, 0);
  set_suspend("pause", false, 2'000);
  EXPECT_EQ(live_pods("pause").size(), 2u);  // no back-off either
  EXPECT_EQ(job("pause")->status.failed, 0);
}

TEST_F(JobHarness, SuspendDeletesPodsAndResumeRecreatesThem) {
  JobSpec s;
  s.parallelism = 3;
  s.completions = 3;
  add_job("pause", s);
  run_until(0);
  EXPECT_EQ(live_pods("pause").size(), 3u);
  set_suspend("pause", true, 1'000);
  EXPECT_TRUE(live_pods("pause").empty());
  EXPECT_EQ(job("pause")->status.failed, 0);
  set_suspend("pause", false, 2'000);
  EXPECT_EQ(live_pods("pause").size(), 3u);
  EXPECT_EQ(count_events("Suspended"), 1);
  EXPECT_EQ(count_events("Resumed"), 1);
}

TEST_F(JobHarness, QuotaRejectionsRetryWithBackoffUntilQuotaFrees) {
  testing::QuotaSetup quotas(cluster);
  quotas.add("ns", "cpu", {{"requests.cpu", *Quantity::parse("2")}});

  JobSpec s;
  s.parallelism = 3;
  s.completions = 3;
  add_job("big", s);
  run_until(0);
  // Slow start: 1 then 2 pods; the third create is rejected by quota.
  EXPECT_EQ(live_pods("big").size(), 2u);
  ASSERT_EQ(count_events("FailedCreate"), 1);
  std::string msg;
  for (const auto& e : events) {
    if (e.type == "FailedCreate") msg = e.message;
  }
  EXPECT_NE(msg.find("is forbidden: exceeded quota: cpu, requested: requests.cpu=1, used: "
                     "requests.cpu=2, limited: requests.cpu=2"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.rfind("Error creating: pods \"big-", 0), 0u) << msg;
  // Retries at 1 s, then 3 s (1 + 2), each rejected again. Something must keep the run going:
  // the retries are background events.
  loop.at(100'000, EventPriority::kTimeline, [] {});
  run_until(3'000);
  EXPECT_EQ(count_events("FailedCreate"), 3);
  // A pod finishes: quota is given back at once and the pod's status change syncs the Job,
  // which creates the missing pod without waiting for the next retry.
  finish(live_pods("big")[0], true);
  run_until(3'000);
  EXPECT_EQ(live_pods("big").size(), 2u);
  EXPECT_EQ(count_events("FailedCreate"), 3);
  run_until(10'000);
  EXPECT_EQ(count_events("FailedCreate"), 3);
  EXPECT_EQ(cluster.quotas["ns/cpu"].status_used["requests.cpu"], *Quantity::parse("2"));
}

// count/jobs.batch: admission charges a Job at its CREATE and refuses one past the limit with
// upstream's message; the quota controller counts the namespace's Jobs again when one goes.
TEST_F(JobHarness, AJobCountQuotaChargesAtCreateAndGivesBackOnDelete) {
  testing::QuotaSetup quotas(cluster);
  quotas.add(
      "ns", "jobs",
      {{"count/jobs.batch", Quantity::from_int(1)}, {"requests.cpu", *Quantity::parse("8")}});
  auto used = [&] { return cluster.quotas["ns/jobs"].status_used["count/jobs.batch"]; };
  EXPECT_EQ(used(), Quantity::from_int(0));

  ObjectMeta a;
  a.name = "a";
  a.namespace_ = "ns";
  EXPECT_EQ(cluster.admit_object("Job", a), std::nullopt);
  EXPECT_EQ(used(), Quantity::from_int(1));  // charged before the Job is stored
  add_job("a", JobSpec{});
  EXPECT_EQ(used(), Quantity::from_int(1));
  ObjectMeta b = a;
  b.name = "b";
  EXPECT_EQ(cluster.admit_object("Job", b),
            "jobs.batch \"b\" is forbidden: exceeded quota: jobs, requested: count/jobs.batch=1, "
            "used: count/jobs.batch=1, limited: count/jobs.batch=1");
  EXPECT_EQ(quotas.admission.object_rejections().at("ns/jobs"), 1u);
  EXPECT_TRUE(quotas.admission.rejections().empty());  // no pod was refused
  // Other kinds and other namespaces are not limited by it.
  EXPECT_EQ(cluster.admit_object("CronJob", b), std::nullopt);
  ObjectMeta elsewhere = b;
  elsewhere.namespace_ = "other";
  EXPECT_EQ(cluster.admit_object("Job", elsewhere), std::nullopt);

  delete_job(cluster, "ns/a");
  EXPECT_EQ(used(), Quantity::from_int(0));
  EXPECT_EQ(cluster.admit_object("Job", b), std::nullopt);
  add_job("b", JobSpec{});
  EXPECT_EQ(quotas.controller.recalculate(cluster.quotas["ns/jobs"]),
            cluster.quotas["ns/jobs"].status_used);
}

// ---- CronJob ----------------------------------------------------------------------------

class CronHarness : public JobHarness {
 protected:
  CronJob& add_cron(const std::string& schedule, ConcurrencyPolicy policy) {
    CronJob cj;
    cj.meta.name = "nightly";
    cj.meta.namespace_ = "ns";
    cj.meta.uid = cluster.next_uid();
    cj.schedule = schedule;
    cj.concurrency_policy = policy;
    cj.job_template.spec.tmpl = tmpl();
    cluster.cron_jobs["ns/nightly"] = cj;
    cluster.object_changed("CronJob", "ns/nightly");
    // Cron wake-ups are background events: keep the run going.
    loop.at(48 * 3'600'000, EventPriority::kTimeline, [] {});
    return cluster.cron_jobs["ns/nightly"];
  }
  std::vector<std::string> job_names() const {
    std::vector<std::string> out;
    for (const auto& [key, j] : cluster.jobs)
      out.push_back(j.meta.name);
    return out;
  }
  // 2024-01-01T00:00Z is minute 28401120 since the Unix epoch.
  static std::string at_minute(std::int64_t minutes_after_epoch) {
    return "nightly-" + std::to_string(28'401'120 + minutes_after_epoch);
  }
};

TEST_F(CronHarness, CreatesJobsAtScheduleTimesNamedByMinute) {
  add_cron("*/30 * * * *", ConcurrencyPolicy::kAllow);
  run_until(29 * 60'000);
  EXPECT_TRUE(cluster.jobs.empty());
  run_until(30 * 60'000);
  EXPECT_EQ(job_names(), (std::vector<std::string>{at_minute(30)}));
  const Job& j = cluster.jobs.begin()->second;
  EXPECT_EQ(j.meta.owner->kind, "CronJob");
  EXPECT_EQ(*j.meta.annotation(kCronJobScheduledTimestampAnnotation), "2024-01-01T00:30:00Z");
  run_until(60 * 60'000);
  // Allow: the first Job is still running and a second one starts beside it.
  EXPECT_EQ(job_names(), (std::vector<std::string>{at_minute(30), at_minute(60)}));
  EXPECT_EQ(cluster.cron_jobs["ns/nightly"].status.active.size(), 2u);
  EXPECT_EQ(cluster.cron_jobs["ns/nightly"].status.last_schedule_ms, 60 * 60'000);
}

TEST_F(CronHarness, ForbidStartsTheMissedRunWhenTheActiveJobFinishes) {
  add_cron("0 * * * *", ConcurrencyPolicy::kForbid);
  run_until(3'600'000);
  ASSERT_EQ(cluster.jobs.size(), 1u);
  run_until(2 * 3'600'000);
  EXPECT_EQ(cluster.jobs.size(), 1u);  // the 02:00 run is held back
  EXPECT_EQ(count_events("JobAlreadyActive"), 1);
  // The 01:00 Job's pod finishes at 02:10: the 02:00 run starts late.
  run_until(2 * 3'600'000 + 600'000);
  finish(live_pods(at_minute(60))[0], true);
  run_until(2 * 3'600'000 + 601'000);
  EXPECT_EQ(job_names(), (std::vector<std::string>{at_minute(60), at_minute(120)}));
  EXPECT_EQ(cluster.cron_jobs["ns/nightly"].status.last_schedule_ms, 2 * 3'600'000);
  EXPECT_EQ(count_events("SawCompletedJob"), 1);
}

TEST_F(CronHarness, ForbidWithStartingDeadlineSkipsRunsThatAreTooLate) {
  CronJob& cj = add_cron("0 * * * *", ConcurrencyPolicy::kForbid);
  cj.starting_deadline_s = 300;
  run_until(3'600'000);
  ASSERT_EQ(cluster.jobs.size(), 1u);
  // The 02:00 run is blocked; the Job finishes at 02:10, past the 5-minute deadline.
  run_until(2 * 3'600'000 + 600'000);
  finish(live_pods(at_minute(60))[0], true);
  run_until(2 * 3'600'000 + 601'000);
  EXPECT_EQ(job_names(), (std::vector<std::string>{at_minute(60)}));
  run_until(3 * 3'600'000);
  EXPECT_EQ(job_names(), (std::vector<std::string>{at_minute(60), at_minute(180)}));
}

TEST_F(CronHarness, ReplaceDeletesTheActiveJob) {
  add_cron("0 * * * *", ConcurrencyPolicy::kReplace);
  run_until(3'600'000);
  const PodId first_pod = live_pods(at_minute(60))[0];
  const std::uint64_t first_uid = cluster.pod(first_pod).uid;
  run_until(2 * 3'600'000);
  EXPECT_EQ(job_names(), (std::vector<std::string>{at_minute(120)}));
  EXPECT_EQ(cluster.pod_if(PodRef{first_pod, first_uid}), nullptr);
  EXPECT_EQ(live_pods(at_minute(120)).size(), 1u);
}

TEST_F(CronHarness, HistoryLimitsPruneTheOldestFinishedJobs) {
  CronJob& cj = add_cron("0 * * * *", ConcurrencyPolicy::kAllow);
  cj.successful_jobs_history_limit = 2;
  cj.failed_jobs_history_limit = 1;
  for (int h = 1; h <= 5; ++h) {
    run_until(h * 3'600'000);
    const auto pods = live_pods(at_minute(60 * h));
    ASSERT_EQ(pods.size(), 1u) << h;
    finish(pods[0], h != 2);  // the 02:00 run fails (backoffLimit 6: retried), the others succeed
    run_until(h * 3'600'000 + 1'000);
  }
  // Finished successes: 01:00, 03:00, 04:00, 05:00 -> only the two newest kept. The 02:00 Job
  // is still retrying, so it is active.
  EXPECT_EQ(job_names(),
            (std::vector<std::string>{at_minute(120), at_minute(240), at_minute(300)}));
  EXPECT_EQ(count_events("SuccessfulDelete"), 2);
}

TEST_F(CronHarness, SuspendStopsNewRuns) {
  CronJob& cj = add_cron("*/10 * * * *", ConcurrencyPolicy::kAllow);
  cj.suspend = true;
  cluster.object_changed("CronJob", "ns/nightly");
  run_until(3'600'000);
  EXPECT_TRUE(cluster.jobs.empty());
}

// Resumed after 3 hours, an every-minute CronJob has missed 180 start times: upstream says how
// many (it said 101 here, the count where it stopped looking) and starts only the latest.
TEST_F(CronHarness, TooManyMissedStartTimesAreCountedAndTheLatestRuns) {
  CronJob& cj = add_cron("* * * * *", ConcurrencyPolicy::kAllow);
  cj.suspend = true;
  cluster.object_changed("CronJob", "ns/nightly");
  run_until(3 * 3'600'000);
  ASSERT_TRUE(cluster.jobs.empty());
  cluster.cron_jobs["ns/nightly"].suspend = false;
  cluster.object_changed("CronJob", "ns/nightly");
  run_until(3 * 3'600'000 + 1);
  std::string message;
  for (const auto& e : events)
    if (e.type == "TooManyMissedTimes") message = e.message;
  EXPECT_EQ(message.rfind("too many missed start times: 180. ", 0), 0u) << message;
  EXPECT_EQ(job_names(), std::vector<std::string>{at_minute(180)});
}

TEST_F(CronHarness, UnparseableScheduleIsAWarningEvent) {
  add_cron("61 * * * *", ConcurrencyPolicy::kAllow);
  run_until(3'600'000);
  EXPECT_TRUE(cluster.jobs.empty());
  EXPECT_EQ(count_events("UnparseableSchedule"), 1);
}

}  // namespace
}  // namespace gpusim::ctrl
