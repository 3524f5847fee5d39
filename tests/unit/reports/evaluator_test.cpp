#include "reports/evaluator.hpp"

#include <gtest/gtest.h>

#include "reports/expectations.hpp"
#include "sample_run.hpp"

namespace gpusim::reports {
namespace {

using testing::sample_run;

Outcome eval(const RunDir& run, const std::string& text) {
  return Evaluator(run).evaluate(Expression::parse(text));
}

double value(const RunDir& run, const std::string& query) {
  const Expression e = Expression::parse(query + " >= 0");
  QueryValue v = Evaluator(run).value_of(*e.root().lhs.query);
  EXPECT_TRUE(v.value.has_value()) << query << ": " << v.no_data;
  return v.value.value_or(-1);
}

TEST(Evaluator, PodWaits) {
  const RunDir run = sample_run();
  EXPECT_DOUBLE_EQ(value(run, R"(max(pod_wait{namespace="team-a"}))"), 3'600'000);
  EXPECT_DOUBLE_EQ(value(run, "p50(pod_wait)"), 600'000);     // 0, 5m, 10m, 1h, 5h30m
  EXPECT_DOUBLE_EQ(value(run, "max(pod_wait)"), 19'800'000);  // never bound: until the end
  EXPECT_DOUBLE_EQ(value(run, "count(pod_wait > 10m)"), 2);
  EXPECT_DOUBLE_EQ(value(run, "count(pod_unscheduled == 1)"), 1);
  EXPECT_DOUBLE_EQ(value(run, R"(sum(gpu_hours{namespace="team-a"}))"), 4.0 * 2 + 2.0 * 4);
}

TEST(Evaluator, FailureSaysObservedExpectedAndWhen) {
  const RunDir run = sample_run();
  const Outcome o = eval(run, R"(max(pod_wait{namespace="team-a"}) <= 10m)");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.observed, "1h");
  EXPECT_EQ(o.expected, "<= 10m");
  ASSERT_TRUE(o.at_ms);
  EXPECT_EQ(*o.at_ms, 0);
  EXPECT_EQ(o.message,
            R"(max(pod_wait{namespace="team-a"}) = 1h (team-a/train-1 at 0s), expected <= 10m)");
  EXPECT_TRUE(eval(run, R"(max(pod_wait{namespace="team-a"}) <= 1h)").passed);
}

TEST(Evaluator, GaugesFromTheTimeSeriesAndPerPool) {
  const RunDir run = sample_run();
  EXPECT_DOUBLE_EQ(value(run, "max(gpu_allocation)"), 0.75);
  EXPECT_DOUBLE_EQ(value(run, "p50(gpu_allocation)"), 0.3125);
  EXPECT_DOUBLE_EQ(value(run, R"(max(gpu_allocation{pool="a100"}))"), 0.75);
  EXPECT_DOUBLE_EQ(value(run, R"(last(gpu_allocation{gpu_model="A100"}))"), 0.3125);
  EXPECT_DOUBLE_EQ(value(run, R"(max(gpu_fragmentation{pool="a100"}))"), 500.0 / 8000.0);
  EXPECT_DOUBLE_EQ(value(run, R"(max(gpu_fragmentation{pool="a100"} over ..2h))"), 0);
  EXPECT_DOUBLE_EQ(value(run, "max(gpu_allocation over 3h..)"), 0.3125);
  EXPECT_DOUBLE_EQ(value(run, "avg(gpu_allocation over last 3h)"), 0.3125);
  EXPECT_TRUE(eval(run, "p50(gpu_allocation) >= 30%").passed);
  const Outcome o = eval(run, "p50(gpu_allocation) >= 80%");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.observed, "31.2%");
}

TEST(Evaluator, DurationOfAGauge) {
  const RunDir run = sample_run();
  const Outcome o = eval(run, R"(duration(hpa_at_max{hpa="team-b/infer"}) <= 30m)");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.observed, "1h30m");
  EXPECT_EQ(*o.at_ms, 3'600'000);
  EXPECT_NE(o.message.find("from 1h to 2h30m"), std::string::npos) << o.message;
  EXPECT_DOUBLE_EQ(value(run, "total_duration(hpa_at_max)"), 150 * 60'000);
  EXPECT_DOUBLE_EQ(value(run, "duration(hpa_at_max over 2h..)"),
                   60 * 60'000);  // 2h-2h30m is 30m; 5h-6h is 1h
  EXPECT_DOUBLE_EQ(value(run, "max(hpa_current_replicas)"), 10);
}

TEST(Evaluator, EventsAndJobs) {
  const RunDir run = sample_run();
  const Outcome q = eval(run, R"(count(quota_rejections{namespace="team-b"}) == 0)");
  EXPECT_FALSE(q.passed);
  EXPECT_EQ(q.observed, "2");
  EXPECT_EQ(*q.at_ms, 0);
  EXPECT_TRUE(eval(run, R"(count(quota_rejections{namespace="team-a"}) == 0)").passed);
  EXPECT_DOUBLE_EQ(
      value(run,
            R"(count(quota_rejections{quota="gpu-quota", resource="requests.nvidia.com/gpu"}))"),
      2);
  EXPECT_DOUBLE_EQ(value(run, R"(count(events{type="FailedScheduling"}))"), 1);

  const Outcome j = eval(run, R"(all(jobs_complete{cronjob="team-a/retrain"}))");
  EXPECT_FALSE(j.passed);
  EXPECT_EQ(j.observed, "1 of 2 true; first false: team-a/retrain-2");
  EXPECT_EQ(*j.at_ms, 3'600'000);
  EXPECT_TRUE(eval(run, R"(all(jobs_complete{cronjob="team-a/retrain"} over ..30m))").passed);
  EXPECT_TRUE(eval(run, R"(any(jobs_complete{cronjob="team-a/retrain"}))").passed);
}

TEST(Evaluator, NoDataFailsRatherThanPassingVacuously) {
  const RunDir run = sample_run();
  const Outcome o = eval(run, R"(all(jobs_complete{cronjob="team-a/typo"}))");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.observed, "no data");
  EXPECT_FALSE(eval(run, R"(max(pod_wait{namespace="nobody"}) < 1h)").passed);
  // Counting nothing is zero, which is what `== 0` asks.
  EXPECT_TRUE(eval(run, R"(count(preemptions{namespace="nobody"}) == 0)").passed);
}

TEST(Evaluator, BooleanCombinations) {
  const RunDir run = sample_run();
  EXPECT_TRUE(eval(run, "max(pods_pending) <= 1 and min(nodes_ready) == 3").passed);
  const Outcome both = eval(run, "max(pods_pending) < 1 or max(nodes) > 3");
  EXPECT_FALSE(both.passed);
  EXPECT_NE(both.message.find("max(pods_pending) = 1"), std::string::npos) << both.message;
  EXPECT_NE(both.message.find("max(nodes) = 3"), std::string::npos) << both.message;
  EXPECT_TRUE(eval(run, "not (max(pods_pending) > 1)").passed);
  EXPECT_TRUE(eval(run, "p50(pod_wait) <= max(pod_wait)").passed);
}

TEST(Evaluator, MissingFileIsAnErrorResultNotACrash) {
  auto files = testing::sample_files();
  files.erase("hpa.csv");
  const RunDir run = RunDir::from_files(files, "nohpa");
  const auto results = evaluate_expectations(run, {{"hpa", "duration(hpa_at_max) < 30m", {}}});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_TRUE(results[0].error);
  EXPECT_EQ(results[0].message, "hpa_at_max needs hpa.csv, which this run did not write");
}

// A serving run without an HPA writes hpa.csv with its header only: an expectation about HPAs
// cannot be evaluated there, as if the file were missing (an error, not a failed assertion).
TEST(Evaluator, AFileWithNoRowsIsAnErrorResultLikeAMissingOne) {
  auto files = testing::sample_files();
  const std::string& hpa = files.at("hpa.csv");
  files["hpa.csv"] = hpa.substr(0, hpa.find('\n') + 1);
  const RunDir run = RunDir::from_files(files, "emptyhpa");
  const auto results = evaluate_expectations(run, {{"hpa", "duration(hpa_at_max) < 30m", {}}});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_TRUE(results[0].error);
  EXPECT_EQ(results[0].message,
            "hpa_at_max needs rows of hpa.csv, which has none in this run (no such object)");
}

TEST(Expectations, MalformedExpressionsAreLocatedInTheFile) {
  const Diagnostics d = check_expectations({{"ok", "max(pod_wait) < 1m", {"sim.yaml", 10, 11}},
                                            {"bad", "max(pod_wait) < 10", {"sim.yaml", 12, 13}},
                                            {"ok", "max(nodes) < 3", {"sim.yaml", 14, 11}}});
  ASSERT_EQ(d.items().size(), 2u);
  EXPECT_EQ(d.items()[0].str(),
            "sim.yaml:12:29: error: spec.expectations[1].expr: max(pod_wait) is a duration; 10 is "
            "a number "
            "(hint: write a duration such as 10s or 10m)");
  EXPECT_EQ(d.items()[1].str(),
            "sim.yaml:14:11: error: spec.expectations[2].name: duplicate expectation \"ok\"");
}

TEST(Expectations, SummaryJsonRoundTrip) {
  const RunDir run = sample_run();
  const auto results = evaluate_expectations(
      run, {{"waits", "max(pod_wait) < 1h", {}}, {"", "max(nodes) == 3", {}}});
  const auto j = expectations_json(results);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "waits");
  EXPECT_EQ(j[0]["passed"], false);
  EXPECT_EQ(j[0]["observed"], "5h30m");
  EXPECT_EQ(j[1]["name"], "max(nodes) == 3");  // unnamed: the expression is the name
  EXPECT_EQ(j[1]["passed"], true);
  nlohmann::json summary;
  summary["expectations"] = j;
  const auto back = expectations_from_summary(summary);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].expr, "max(pod_wait) < 1h");
}

}  // namespace
}  // namespace gpusim::reports
