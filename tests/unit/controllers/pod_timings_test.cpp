// The gpusim.io timing annotations as the kubelet reads them: per-container lists, values for
// every container, and every annotation that does not parse named once (the kubelet warns per
// annotation and the loader reports each at its line, not only the first).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controllers/timings.hpp"

namespace gpusim::ctrl {
namespace {

// An init container "fetch-model" and app containers "server" and "sidecar".
PodTemplate serving_template() {
  PodTemplate t;
  Container init;
  init.name = "fetch-model";
  t.spec.init_containers.push_back(init);
  Container server;
  server.name = "server";
  t.spec.containers.push_back(server);
  Container sidecar;
  sidecar.name = "sidecar";
  t.spec.containers.push_back(sidecar);
  return t;
}

TEST(PodTimingsTest, PerContainerListsAndSingleValuesReachTheirContainers) {
  PodTemplate t = serving_template();
  t.annotations[kAnnotationImagePull] = "server=30s, fetch-model=2m";
  t.annotations[kAnnotationInitDuration] = "5m";
  t.annotations[kAnnotationImageSize] = "1Gi";
  t.annotations[kAnnotationFailureProbability] = "0.25";
  TimingDefaults d;
  d.image_pull_ms = 7'000;
  const PodTimings p = pod_timings(t, false, d);
  ASSERT_TRUE(p.errors.empty()) << p.errors.front();
  EXPECT_EQ(p.init[0].pull_ms, 120'000);
  EXPECT_EQ(p.app[0].pull_ms, 30'000);
  EXPECT_EQ(p.app[1].pull_ms, 7'000);  // not listed: the default
  EXPECT_EQ(p.init[0].run_ms, 300'000);
  EXPECT_EQ(p.init[0].image_bytes, 1LL << 30);  // image-size applies to init containers too
  EXPECT_EQ(p.app[1].image_bytes, 1LL << 30);
  EXPECT_DOUBLE_EQ(p.app[0].failure_probability, 0.25);
  EXPECT_DOUBLE_EQ(p.init[0].failure_probability, 0.0);  // app containers only
}

TEST(PodTimingsTest, EveryBadAnnotationIsNamedOnceInReadingOrder) {
  PodTemplate t = serving_template();
  t.annotations[kAnnotationWarmup] = "-5s";
  t.annotations[kAnnotationImagePull] = "server=30s,ghost=1m";
  // One bad value for both app containers is one mistake, reported once.
  t.annotations[kAnnotationFailureProbability] = "1.5";
  t.annotations[kAnnotationHangProbability] = "fetch-model=0.1";
  const PodTimings p = pod_timings(t, false, TimingDefaults{});
  const std::vector<std::string> expected = {
      "gpusim.io/warmup: not a duration: \"-5s\"",
      "gpusim.io/image-pull: no container named \"ghost\"",
      "gpusim.io/failure-probability: bad value \"1.5\"",
      "gpusim.io/hang-probability: \"fetch-model\" is an init container, and only app "
      "containers hang",
  };
  EXPECT_EQ(p.errors, expected);
  EXPECT_EQ(p.app[0].pull_ms, 30'000);  // the good part of a list still applies
  EXPECT_EQ(p.warmup_ms, 0);            // a bad value is ignored
}

}  // namespace
}  // namespace gpusim::ctrl
