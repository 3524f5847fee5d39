// The Priority admission plugin against upstream's rules: the class decides priority and
// preemptionPolicy, and a pod spec that states other values is Forbidden.
#include "controllers/priority_admission.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/event_loop.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {
namespace {

class PriorityAdmissionTest : public ::testing::Test {
 protected:
  PriorityAdmissionTest() : cluster(loop, 1), admission(cluster) {
    add_class("batch", 500, PreemptionPolicy::kNever, false);
    add_class("serving", 1000, PreemptionPolicy::kPreemptLowerPriority, false);
  }

  void add_class(const std::string& name, std::int32_t value, PreemptionPolicy policy,
                 bool global_default) {
    PriorityClass pc;
    pc.meta.name = name;
    pc.value = value;
    pc.preemption_policy = policy;
    pc.global_default = global_default;
    cluster.priority_classes[name] = pc;
  }

  // Admits a pod with these fields; returns the error, and the priority in `priority`.
  std::optional<std::string> admit(const std::string& class_name,
                                   std::optional<std::int32_t> stated = std::nullopt,
                                   std::optional<PreemptionPolicy> policy = std::nullopt) {
    PodTemplate t;
    t.spec.priority_class_name = class_name;
    t.spec.priority = stated;
    t.spec.preemption_policy = policy;
    Pod p;
    p.name = "p";
    p.namespace_ = "default";
    p.tmpl = make_template(std::move(t));
    PodStatus status;
    auto err = admission.admit(p, status);
    priority = status.priority;
    return err;
  }

  EventLoop loop;
  Cluster cluster;
  PriorityAdmission admission;
  std::int32_t priority = -1;
};

TEST_F(PriorityAdmissionTest, TheClassDecides) {
  EXPECT_EQ(admit("serving"), std::nullopt);
  EXPECT_EQ(priority, 1000);
  EXPECT_EQ(admit("serving", 1000, PreemptionPolicy::kPreemptLowerPriority), std::nullopt);
  EXPECT_EQ(admit("batch", 500, PreemptionPolicy::kNever), std::nullopt);
  EXPECT_EQ(admit(""), std::nullopt);
  EXPECT_EQ(priority, 0);
  EXPECT_EQ(admit("nope"), "no PriorityClass with name nope was found");
}

TEST_F(PriorityAdmissionTest, AStatedPriorityOtherThanTheClassIsForbidden) {
  EXPECT_EQ(admit("serving", 5),
            "the integer value of priority (5) must not be provided in pod spec; priority "
            "admission controller computed 1000 from the given PriorityClass name");
  // Without a class (and no globalDefault) the computed priority is 0.
  EXPECT_EQ(admit("", 1000000),
            "the integer value of priority (1000000) must not be provided in pod spec; priority "
            "admission controller computed 0 from the given PriorityClass name");
  add_class("default", 7, PreemptionPolicy::kPreemptLowerPriority, true);
  EXPECT_EQ(admit("", 7), std::nullopt);
  EXPECT_EQ(priority, 7);
}

TEST_F(PriorityAdmissionTest, APodCannotEscapeItsClassPreemptionPolicy) {
  EXPECT_EQ(admit("batch", std::nullopt, PreemptionPolicy::kPreemptLowerPriority),
            "the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in "
            "pod spec; priority admission controller computed Never from the given "
            "PriorityClass name");
  EXPECT_EQ(admit("", std::nullopt, PreemptionPolicy::kNever),
            "the string value of PreemptionPolicy (Never) must not be provided in pod spec; "
            "priority admission controller computed PreemptLowerPriority from the given "
            "PriorityClass name");
}

}  // namespace
}  // namespace gpusim::ctrl
