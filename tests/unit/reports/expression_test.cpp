#include "reports/expression.hpp"

#include <gtest/gtest.h>

namespace gpusim::reports {
namespace {

int error_column(const std::string& text) {
  try {
    (void)Expression::parse(text);
  } catch (const ExpressionError& e) {
    return e.column();
  }
  return -1;
}

std::string error_message(const std::string& text) {
  try {
    (void)Expression::parse(text);
  } catch (const ExpressionError& e) {
    return std::string(e.what()) + (e.hint().empty() ? "" : " | " + e.hint());
  }
  return "(parsed)";
}

TEST(Expression, ParsesTheDocumentedForms) {
  for (const char* text : {
           R"(max(pod_wait{namespace="team-a"}) <= 10m)",
           "p50(gpu_allocation) >= 80%",
           "p50(gpu_allocation) >= 0.8 over 2h..6h",
           R"(duration(hpa_at_max{hpa="ml-serving/fraud-detector"}) <= 30m)",
           R"(count(quota_rejections{namespace="x"}) == 0)",
           R"(all(jobs_complete{cronjob="ns/y"}))",
           R"(all(jobs_complete{cronjob="ns/y"} over ..5h))",
           R"(count(pod_wait{namespace=~"team-.*"} > 10m) == 0 and p95(pod_wait) < 5m)",
           "not (max(pods_pending) > 3) or min(nodes_ready) >= 2",
           "avg(gpu_allocation over last 1h) > 50%",
           R"(p99(pod_wait{owner_kind!="Job"}) < 1m)",
           "max(hpa_current_replicas) <= 10",
           R"(max(gpu_fragmentation{pool="a100"}) < 10%)",
           "p95(pod_wait) <= p50(pod_wait)",
       }) {
    EXPECT_NO_THROW((void)Expression::parse(text)) << text << ": " << error_message(text);
  }
}

TEST(Expression, KeepsStructure) {
  const Expression e =
      Expression::parse(R"(p95(pod_wait{namespace="a", phase!="Failed"} > 1m over 1h..2h) < 5m)");
  ASSERT_EQ(e.root().type, Condition::Type::kCompare);
  const Query& q = *e.root().lhs.query;
  EXPECT_EQ(q.function, "p95");
  EXPECT_DOUBLE_EQ(q.percentile, 95);
  EXPECT_EQ(q.metric, "pod_wait");
  ASSERT_EQ(q.matchers.size(), 2u);
  EXPECT_EQ(q.matchers[1].label, "phase");
  EXPECT_EQ(q.matchers[1].op, LabelMatcher::Op::kNe);
  ASSERT_TRUE(q.filter);
  EXPECT_EQ(q.filter->first, CmpOp::kGt);
  EXPECT_DOUBLE_EQ(q.filter->second.value, 60'000);
  ASSERT_TRUE(q.window);
  EXPECT_EQ(q.window->resolve(10 * 3'600'000),
            std::make_pair(TimeMs{3'600'000}, TimeMs{7'200'000}));
  EXPECT_EQ(e.root().op, CmpOp::kLt);
  EXPECT_DOUBLE_EQ(e.root().rhs.literal->value, 300'000);
}

TEST(Expression, TrailingWindowAppliesToEveryAggregateWithoutOne) {
  const Expression e =
      Expression::parse("max(pods_pending) < 3 and min(nodes over 1h..) > 1 over 2h..3h");
  const auto qs = e.queries();
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_EQ(qs[0]->window->text, "2h..3h");
  EXPECT_EQ(qs[1]->window->text, "1h..");
}

TEST(Expression, LiteralsCarryUnits) {
  const Expression e = Expression::parse("p50(gpu_allocation) >= 80%");
  EXPECT_DOUBLE_EQ(e.root().rhs.literal->value, 0.8);
  EXPECT_EQ(e.root().rhs.literal->unit, Unit::kRatio);
  const Expression d = Expression::parse("max(pod_wait) <= 1h30m");
  EXPECT_DOUBLE_EQ(d.root().rhs.literal->value, 5'400'000);
}

TEST(Expression, ErrorsPointAtTheColumn) {
  // column of the offending token, 1-based
  EXPECT_EQ(error_column("max(pod_wiat) < 1m"), 5);
  EXPECT_EQ(error_column("maxx(pod_wait) < 1m"), 1);
  EXPECT_EQ(error_column(R"(max(pod_wait{namespce="a"}) < 1m)"), 14);
  EXPECT_EQ(error_column("max(pod_wait) < 10"), 17);         // a wait is a duration
  EXPECT_EQ(error_column("p50(gpu_allocation) >= 80"), 24);  // a ratio wants 80%
  EXPECT_EQ(error_column("max(pod_wait) <"), 16);
  EXPECT_EQ(error_column("max(pod_wait) < 1m and"), 23);
  EXPECT_EQ(error_column("max(pod_wait) = 1m"), 15);
  EXPECT_EQ(error_column("max(pod_wait) < 1m over 3h..1h"), 25);
  EXPECT_EQ(error_column(R"(max(pod_wait{namespace="a) < 1m)"), 24);
  EXPECT_EQ(error_column("duration(pod_wait) < 1m"), 1);  // not a gauge
  EXPECT_EQ(error_column("all(pod_wait)"), 1);            // not true/false
  EXPECT_EQ(error_column("max(pod_wait) < 1m &&"), 20);
  EXPECT_EQ(error_column("pod_wait < 1m"), 1);
  EXPECT_EQ(error_column("max(pod_wait) < 1q"), 17);
  EXPECT_EQ(error_column("all(jobs_complete) < 1"), 1);
}

TEST(Expression, ErrorsSayWhatToWrite) {
  EXPECT_EQ(error_message("max(pod_wiat) < 1m"),
            "unknown metric \"pod_wiat\" | did you mean pod_wait?");
  EXPECT_EQ(error_message("p50(gpu_allocation) >= 80"),
            "p50(gpu_allocation) is a percentage; 80 is a number | write 80% for a percentage");
  EXPECT_EQ(error_message("max(pod_wait) = 1m"), "'=' is not a comparison | write ==");
  EXPECT_EQ(error_message("pod_wait < 1m"),
            "\"pod_wait\" is a metric; aggregate it | for example max(pod_wait) or p95(pod_wait)");
}

}  // namespace
}  // namespace gpusim::reports
