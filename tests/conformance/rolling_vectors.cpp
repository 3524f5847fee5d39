// Handlers for rolling.yaml: the Deployment rollout arithmetic (fenceposts, new/old ReplicaSet
// reconciliation, proportional scaling, completeness and progress), through the functions the
// DeploymentController uses (controllers/rollout.hpp).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "controllers/rollout.hpp"

namespace gpusim::conformance {
namespace {

using ctrl::RolloutSpec;
using ctrl::RsView;

// An int, a "NN%" string, or null (unset: 0, as ResolveFenceposts treats it).
IntOrString int_or_string(const YAML::Node& map, std::string_view key) {
  if (!has_field(map, key)) return IntOrString::of(0);
  const YAML::Node v = field(map, key);
  if (v.IsNull()) return IntOrString::of(0);
  if (!v.IsScalar())
    throw VectorError("field '" + std::string(key) + "' must be an int or a string");
  // yaml-cpp does not keep quoting, so a quoted "5" reads as a string only through its tag.
  if (v.Tag() == "!" || v.Scalar().find_first_not_of("0123456789-") != std::string::npos) {
    return IntOrString::of(v.Scalar());
  }
  return IntOrString::of(static_cast<std::int32_t>(v.as<std::int64_t>()));
}

DeploymentStrategyType strategy_of(const YAML::Node& map) {
  if (!has_field(map, "strategy")) return DeploymentStrategyType::kRollingUpdate;
  const std::string s = string_field(map, "strategy");
  if (s == "RollingUpdate") return DeploymentStrategyType::kRollingUpdate;
  if (s == "Recreate") return DeploymentStrategyType::kRecreate;
  throw VectorError("unknown strategy '" + s + "'");
}

RolloutSpec spec_of(const YAML::Node& d, const char* replicas_key = "replicas") {
  RolloutSpec s;
  s.type = strategy_of(d);
  s.replicas = static_cast<std::int32_t>(int_field(d, replicas_key));
  s.max_surge = int_or_string(d, "max_surge");
  s.max_unavailable = int_or_string(d, "max_unavailable");
  return s;
}

RsView rs_of(const YAML::Node& r) {
  check_keys(r, {"replicas", "available"});
  RsView v;
  v.replicas = static_cast<std::int32_t>(int_field(r, "replicas"));
  v.available = static_cast<std::int32_t>(int_field(r, "available"));
  return v;
}

void check_resolve_fenceposts(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"max_surge", "max_unavailable", "desired"});
  check_keys(expect, {"surge", "unavailable", "error"});
  const auto f = ctrl::resolve_fenceposts(int_or_string(input, "max_surge"),
                                          int_or_string(input, "max_unavailable"),
                                          static_cast<std::int32_t>(int_field(input, "desired")));
  if (has_field(expect, "error") && bool_field(expect, "error")) {
    EXPECT_FALSE(f.has_value());
    return;
  }
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->surge, int_field(expect, "surge"));
  EXPECT_EQ(f->unavailable, int_field(expect, "unavailable"));
}

void check_max_unavailable(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"strategy", "replicas", "max_surge", "max_unavailable"});
  check_keys(expect, {"max_unavailable"});
  EXPECT_EQ(ctrl::max_unavailable(spec_of(input)), int_field(expect, "max_unavailable"));
}

void check_new_rs_new_replicas(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"deployment", "all_rs_replicas", "new_rs_replicas"});
  check_keys(expect, {"new_replicas"});
  const YAML::Node d = field(input, "deployment");
  check_keys(d, {"strategy", "replicas", "max_surge", "max_unavailable"});
  std::int32_t all = 0;
  for (const YAML::Node& n : field(input, "all_rs_replicas"))
    all += n.as<std::int32_t>();
  EXPECT_EQ(ctrl::new_rs_new_replicas(
                spec_of(d), all, static_cast<std::int32_t>(int_field(input, "new_rs_replicas"))),
            int_field(expect, "new_replicas"));
}

void check_reconcile_new_rs(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"deployment_replicas", "max_surge", "max_unavailable", "old_rs_replicas",
                     "new_rs_replicas"});
  check_keys(expect, {"scaled", "new_rs_replicas"});
  const RolloutSpec s = spec_of(input, "deployment_replicas");
  const auto new_replicas = static_cast<std::int32_t>(int_field(input, "new_rs_replicas"));
  const auto all = static_cast<std::int32_t>(int_field(input, "old_rs_replicas")) + new_replicas;
  const auto next = ctrl::reconcile_new_replica_set(s, all, new_replicas);
  EXPECT_EQ(next.has_value(), bool_field(expect, "scaled"));
  if (next && has_field(expect, "new_rs_replicas")) {
    EXPECT_EQ(*next, int_field(expect, "new_rs_replicas"));
  }
}

void check_reconcile_old_rs(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"deployment_replicas", "max_surge", "max_unavailable", "old_rs", "new_rs"});
  check_keys(expect, {"scaled", "old_rs_replicas"});
  const RolloutSpec s = spec_of(input, "deployment_replicas");
  const std::vector<RsView> old{rs_of(field(input, "old_rs"))};
  const RsView new_rs = rs_of(field(input, "new_rs"));
  const ctrl::OldScaleDown r = ctrl::reconcile_old_replica_sets(s, old, &new_rs);
  EXPECT_EQ(r.scaled(), bool_field(expect, "scaled"));
  if (has_field(expect, "old_rs_replicas")) {
    EXPECT_EQ(r.replicas[0], int_field(expect, "old_rs_replicas"));
  }
}

void check_cleanup_unhealthy(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"old_rs", "max_cleanup"});
  check_keys(expect, {"cleaned_up"});
  const std::vector<RsView> old{rs_of(field(input, "old_rs"))};
  const ctrl::OldScaleDown r = ctrl::cleanup_unhealthy_replicas(
      old, static_cast<std::int32_t>(int_field(input, "max_cleanup")));
  EXPECT_EQ(r.cleaned_up, int_field(expect, "cleaned_up"));
}

void check_scale_down_old_rolling(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"deployment_replicas", "max_unavailable", "old_rs"});
  check_keys(expect, {"scaled", "old_rs_replicas"});
  const RolloutSpec s = spec_of(input, "deployment_replicas");  // maxSurge unset: 0
  const std::vector<RsView> old{rs_of(field(input, "old_rs"))};
  const ctrl::OldScaleDown r = ctrl::scale_down_old_for_rolling_update(s, old, old[0].available);
  EXPECT_EQ(r.scaled(), bool_field(expect, "scaled"));
  if (has_field(expect, "old_rs_replicas")) {
    EXPECT_EQ(r.replicas[0], int_field(expect, "old_rs_replicas"));
  }
}

void check_proportional_scale(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"deployment", "old_deployment", "replica_sets"});
  check_keys(expect, {"sizes"});
  const YAML::Node d = field(input, "deployment");
  const YAML::Node od = field(input, "old_deployment");
  check_keys(d, {"replicas", "max_surge", "max_unavailable"});
  check_keys(od, {"replicas", "max_surge", "max_unavailable"});
  const RolloutSpec spec = spec_of(d);
  const RolloutSpec old_spec = spec_of(od);
  // As the upstream test sets them up: annotations from the old Deployment.
  std::vector<RsView> sets;
  int new_index = -1;
  std::int32_t total = 0;
  for (const YAML::Node& r : field(input, "replica_sets")) {
    check_keys(r, {"name", "replicas", "created", "is_new", "available"});
    RsView v;
    v.name = string_field(r, "name");
    v.replicas = static_cast<std::int32_t>(int_field(r, "replicas"));
    v.created_ms = int_field(r, "created") * 1000;
    v.available = has_field(r, "available") ? static_cast<std::int32_t>(int_field(r, "available"))
                                            : v.replicas;
    v.status_replicas = v.replicas;
    v.desired_annotation = old_spec.replicas;
    v.max_annotation = old_spec.replicas + ctrl::max_surge(old_spec);
    if (has_field(r, "is_new") && bool_field(r, "is_new"))
      new_index = static_cast<int>(sets.size());
    total += v.replicas;
    sets.push_back(v);
  }
  const std::vector<std::int32_t> sizes = ctrl::proportional_scale(spec, total, sets, new_index);
  const YAML::Node want = field(expect, "sizes");
  std::size_t checked = 0;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    ASSERT_TRUE(has_field(want, sets[i].name)) << "no expected size for " << sets[i].name;
    EXPECT_EQ(sizes[i], int_field(want, sets[i].name)) << sets[i].name;
    ++checked;
  }
  EXPECT_EQ(checked, want.size());
}

void check_deployment_complete(const YAML::Node& input, const YAML::Node& expect) {
  // max_unavailable/max_surge are inputs of older upstream versions of the check; the current
  // one (and this) does not read them.
  check_keys(input, {"desired", "status_replicas", "updated", "available", "max_unavailable",
                     "max_surge"});
  check_keys(expect, {"complete"});
  ctrl::RolloutStatus st;
  st.replicas = static_cast<std::int32_t>(int_field(input, "status_replicas"));
  st.updated = static_cast<std::int32_t>(int_field(input, "updated"));
  st.available = static_cast<std::int32_t>(int_field(input, "available"));
  st.observed_generation = 1;
  EXPECT_EQ(
      ctrl::deployment_complete(static_cast<std::int32_t>(int_field(input, "desired")), 1, st),
      bool_field(expect, "complete"));
}

ctrl::RolloutStatus status_of(const YAML::Node& s) {
  check_keys(s, {"replicas", "updated", "ready", "available"});
  ctrl::RolloutStatus st;
  st.replicas = static_cast<std::int32_t>(int_field(s, "replicas"));
  st.updated = static_cast<std::int32_t>(int_field(s, "updated"));
  st.ready = static_cast<std::int32_t>(int_field(s, "ready"));
  st.available = static_cast<std::int32_t>(int_field(s, "available"));
  return st;
}

void check_deployment_progressing(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"old", "new"});
  check_keys(expect, {"progressing"});
  EXPECT_EQ(
      ctrl::deployment_progressing(status_of(field(input, "old")), status_of(field(input, "new"))),
      bool_field(expect, "progressing"));
}

}  // namespace

void register_rolling_handlers(HandlerRegistry& registry) {
  registry.add("resolve_fenceposts", check_resolve_fenceposts);
  registry.add("max_unavailable", check_max_unavailable);
  registry.add("new_rs_new_replicas", check_new_rs_new_replicas);
  registry.add("reconcile_new_rs", check_reconcile_new_rs);
  registry.add("reconcile_old_rs", check_reconcile_old_rs);
  registry.add("cleanup_unhealthy", check_cleanup_unhealthy);
  registry.add("scale_down_old_rolling", check_scale_down_old_rolling);
  registry.add("proportional_scale", check_proportional_scale);
  registry.add("deployment_complete", check_deployment_complete);
  registry.add("deployment_progressing", check_deployment_progressing);
}

}  // namespace gpusim::conformance
