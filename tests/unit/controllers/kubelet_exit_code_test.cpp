// The exit codes the simulated kubelet reports for the containers it ends: the training
// operator's restartPolicy ExitCode decides on them (IsRetryableExitCode).
#include <gtest/gtest.h>

#include <string>

#include "controllers/kubelet.hpp"
#include "unit/controllers/kubelet_fixture.hpp"

namespace gpusim::ctrl {
namespace {

class KubeletExitCodeTest : public testing_kubelet::KubeletTest {
 protected:
  // A bound pod whose only container runs 1 h unless it crashes or hangs first (`annotation`:
  // the failure or hang probability set to 1, or none).
  PodId run_pod(const std::string& name, const char* annotation, bool liveness) {
    PodTemplate t;
    Container c;
    c.name = "pytorch";
    c.resources.requests["cpu"] = Quantity::from_int(1);
    if (liveness) c.liveness_probe = Probe{};
    t.spec.containers.push_back(c);
    t.spec.restart_policy = RestartPolicy::kNever;
    t.annotations[kAnnotationDuration] = "1h";
    if (annotation != nullptr) t.annotations[annotation] = "1";
    return bind_pod(name, std::move(t));
  }
};

TEST_F(KubeletExitCodeTest, ACrashExitsWithOne) {
  const PodId id = run_pod("crash", kAnnotationFailureProbability, false);
  loop.run(2 * 3'600'000);
  const Pod& p = cluster.pod(id);
  EXPECT_EQ(p.status.phase, PodPhase::kFailed);
  ASSERT_TRUE(p.status.exit_code.has_value());
  EXPECT_EQ(*p.status.exit_code, kCrashExitCode);
  EXPECT_EQ(*p.status.exit_code, 1);
}

// A hung container's liveness probe fails and the kubelet kills it: SIGKILL, 128 + 9.
TEST_F(KubeletExitCodeTest, ALivenessKillExitsWith137) {
  const PodId id = run_pod("hang", kAnnotationHangProbability, true);
  loop.run(2 * 3'600'000);
  const Pod& p = cluster.pod(id);
  EXPECT_EQ(p.status.phase, PodPhase::kFailed);
  ASSERT_TRUE(p.status.exit_code.has_value());
  EXPECT_EQ(*p.status.exit_code, kSigkillExitCode);
  EXPECT_EQ(*p.status.exit_code, 137);
}

TEST_F(KubeletExitCodeTest, ANormalExitIsZero) {
  const PodId id = run_pod("done", nullptr, false);
  loop.run(2 * 3'600'000);
  EXPECT_EQ(cluster.pod(id).status.phase, PodPhase::kSucceeded);
  EXPECT_EQ(cluster.pod(id).status.exit_code, std::optional<std::int32_t>(0));
}

}  // namespace
}  // namespace gpusim::ctrl
