// What the simulated kubelet's pulls leave on the node: the image in its list and, when the pod
// says how big the image is (gpusim.io/image-size), that size in status.images, as a real
// kubelet reports what it pulled (ImageLocality weighs by it).
#include <gtest/gtest.h>

#include <string>

#include "controllers/kubelet.hpp"
#include "unit/controllers/kubelet_fixture.hpp"

namespace gpusim::ctrl {
namespace {

class KubeletImagePullTest : public testing_kubelet::KubeletTest {
 protected:
  KubeletImagePullTest() : KubeletTest({"busybox:1.36"}) {}

  void run_pod(const std::string& name, const std::string& image_size) {
    PodTemplate t;
    Container init;
    init.name = "fetch-model";
    init.image = "registry.example.com/fetch:2";
    t.spec.init_containers.push_back(init);
    Container app;
    app.name = "server";
    app.image = "registry.example.com/server:1";
    app.resources.requests["cpu"] = Quantity::from_int(1);
    t.spec.containers.push_back(app);
    Container sidecar;
    sidecar.name = "sidecar";
    sidecar.image = "busybox:1.36";
    t.spec.containers.push_back(sidecar);
    t.annotations[kAnnotationDuration] = "1m";
    if (!image_size.empty()) t.annotations[kAnnotationImageSize] = image_size;
    bind_pod(name, std::move(t));
    loop.run(loop.now() + 3'600'000);
  }
};

TEST_F(KubeletImagePullTest, APulledImageIsReportedWithTheSizeThePodGives) {
  // Per container; the init container's image has no size given.
  run_pod("a", "server=800Mi,sidecar=5Mi");
  const Node& n = cluster.node(node);
  EXPECT_EQ(n.images, (std::vector<std::string>{"busybox:1.36", "registry.example.com/fetch:2",
                                                "registry.example.com/server:1"}));
  // busybox was there before (listed without a size): not pulled, so nothing reported for it.
  EXPECT_EQ(n.image_size_bytes,
            (std::map<std::string, std::int64_t>{{"registry.example.com/server:1", 800LL << 20}}));
  ASSERT_EQ(cluster.image_pulls().size(), 2u);
  EXPECT_EQ(n.images[cluster.image_pulls()[1].index], "registry.example.com/server:1");
}

TEST_F(KubeletImagePullTest, AnImageAlreadyPulledIsNotPulledOrReportedAgain) {
  run_pod("a", "");
  run_pod("b", "2Gi");
  const Node& n = cluster.node(node);
  EXPECT_EQ(n.images.size(), 3u);
  EXPECT_TRUE(n.image_size_bytes.empty());
  EXPECT_EQ(cluster.image_pulls().size(), 2u);
}

}  // namespace
}  // namespace gpusim::ctrl
