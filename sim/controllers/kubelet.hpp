#pragma once
// The simulated kubelet of every node. After a pod is bound it runs the pod's lifecycle as the
// real kubelet does and records each step as an event:
//   image pulls (serialised per node, once per image and node: later pods find it cached) ->
//   init containers one after another -> app containers created and started -> Ready at the
//   first readiness probe that finds the application up (initialDelaySeconds, periodSeconds,
//   successThreshold; after the startup probe) -> running until it exits, crashes or hangs ->
//   terminating for the grace period after a deletion -> gone.
// Crashes restart per restartPolicy with upstream's CrashLoopBackOff (10 s doubling to 5 min,
// reset after 10 min without a crash); a hung container fails its probes and is restarted by a
// liveness probe if it has one. A node whose kubelet is down (kAnnotationKubeletDown) freezes
// its pods until it recovers (then they restart) or is removed.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "controllers/timings.hpp"
#include "core/event_loop.hpp"
#include "core/rng.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

// Set on a Node while its kubelet is down (node failure); the value is the time it went down.
inline constexpr const char* kAnnotationKubeletDown = "gpusim.io/kubelet-down";

inline constexpr TimeMs kBackOffInitialMs = 10'000;
inline constexpr TimeMs kBackOffMaxMs = 300'000;

// The kubelet's container back-off (flowcontrol.Backoff as doBackOff uses it): a container that
// exited at `finished_ms` restarts at once the first time, then after 10 s, 20 s, 40 s ... up to
// 5 min; the back-off starts over when its last update is more than 10 min old.
struct BackOff {
  TimeMs duration_ms = 0;     // current back-off; 0 = none yet
  TimeMs last_update_ms = 0;  // when it was last advanced
};
struct RestartDecision {
  TimeMs delay_ms = 0;  // restart at finished + delay
  BackOff next;         // the back-off after that restart
};
RestartDecision next_restart(const BackOff& backoff, TimeMs finished_ms);

// When a readiness (or startup) probe first succeeds for an application that answers from
// `up_ms` on: the first probe time start + initialDelay + k*period >= up_ms, plus
// successThreshold - 1 periods.
TimeMs first_probe_success_ms(const Probe& probe, TimeMs start_ms, TimeMs up_ms);

class Kubelet : public ClusterObserver {
 public:
  Kubelet(Cluster& cluster, EventLoop& loop, TimingDefaults defaults);

  void on_pod_bound(PodId id) override;
  void on_pod_updated(PodId id) override;
  void on_pod_deleted(PodId id) override;
  void on_node_updated(NodeId id) override;
  void on_node_removed(NodeId id) override;

  // Problems found in pod annotations (reported once per template as warning events).
  const PodTimings& timings(const Pod& pod);

 private:
  // Per-pod kubelet state.
  struct Run {
    std::uint64_t uid = 0;
    std::uint32_t epoch = 0;   // bumped to drop pending events (exit, restart, node down)
    bool app_started = false;  // app containers ran at least once (later starts are restarts)
    bool hung = false;
    bool app_running = false;  // app containers started and not exited since
    std::int32_t peer_failures_seen = 0;
    TimeMs container_start_ms = 0;
    BackOff backoff;
  };
  enum class Step {
    kPulledInit,     // image of init container `index` pulled
    kInitDone,       // init container `index` exited 0
    kInitFailed,     // init container `index` exited non-zero
    kPulledApp,      // image of app container `index` pulled
    kStart,          // app containers created and started
    kReady,          // readiness probe succeeded
    kExit,           // app containers exited 0 (run time over)
    kCrash,          // app container `index` exited non-zero
    kHang,           // app container `index` stopped answering
    kReadinessFail,  // readiness probe failed failureThreshold times
    kLivenessKill,   // liveness probe failed failureThreshold times: kill and restart
    kRestart,        // back-off over: start again (init container `index`, or app if -1)
    kTerminated,     // grace period (or shutdown) over
  };

  Run* run_of(PodRef ref, std::uint32_t epoch);
  void schedule(PodId id, TimeMs at, Step step, std::int32_t index = 0);
  void fire(PodRef ref, std::uint32_t epoch, Step step, std::int32_t index);
  void begin(PodId id);
  void pull(PodId id, const Container& c, TimeMs pull_ms, Step then, std::int32_t index);
  void run_init(PodId id, std::int32_t index);
  void pull_app(PodId id, std::int32_t index);
  void start_app(PodId id);
  // `exit_code`: 0 on success, kCrashExitCode for a crash, kSigkillExitCode for a liveness kill.
  void container_exited(PodId id, std::int32_t exit_code, std::int32_t container, bool init);
  void set_ready(PodId id, bool ready, const std::string& why);
  void terminate(PodId id);
  // spec.activeDeadlineSeconds after the pod reached its node: the kubelet fails it.
  void deadline_exceeded(PodRef ref);
  void node_went_down(NodeId id);
  void node_came_back(NodeId id);
  bool node_down(NodeId id) const { return id < node_down_.size() && node_down_[id]; }
  const Node& node_of(const Pod& pod) const { return cluster_.node(pod.status.node); }

  Cluster& cluster_;
  EventLoop& loop_;
  TimingDefaults defaults_;
  Rng rng_;        // crashes and hangs
  Rng durations_;  // run durations
  std::unordered_map<const PodTemplate*, PodTimings> timing_cache_;
  std::vector<Run> runs_;  // by PodId
  struct PullQueue {
    TimeMs busy_until_ms = 0;
    std::map<std::string, TimeMs, std::less<>> ready_at_ms;  // pulled or being pulled
  };
  std::vector<PullQueue> pulls_;  // by NodeId
  std::vector<char> node_down_;
};

}  // namespace gpusim::ctrl
