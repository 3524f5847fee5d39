#include "reports/evaluator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "reports/expectations.hpp"
#include "reports/metrics.hpp"
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

TEST(Evaluator, AnHpaIsOneSeriesWhateverItsStateColumnsSay) {
  const RunDir run = RunDir::from_files(testing::files_with_hpa_state(), "hpa-state");
  const Outcome o = eval(run, R"(duration(hpa_at_max{hpa="team-b/infer-hpa"}) <= 8h)");
  EXPECT_EQ(o.observed, "2h");
  EXPECT_NE(o.message.find("from 1h to 3h"), std::string::npos) << o.message;
  EXPECT_DOUBLE_EQ(value(run, "total_duration(hpa_at_max)"), 2 * 3'600'000);
  EXPECT_EQ(load_series(run, "hpa_desired_replicas", {}).size(), 1u);
  const std::vector<Series> s = load_series(run, "hpa_current_replicas", {});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].labels, (Labels{{"hpa", "team-b/infer-hpa"},
                                 {"target", "Deployment/infer"},
                                 {"namespace", "team-b"}}));
  EXPECT_EQ(s[0].points.size(), 4u);
  // The namespace comes from the HPA's namespace/name.
  EXPECT_DOUBLE_EQ(value(run, R"(duration(hpa_at_max{namespace="team-b"}))"), 2 * 3'600'000);
  // A state column is not a label: naming one is an error, not a silent "no data".
  EXPECT_THROW(load_series(run, "hpa_current_replicas", {{"scaling_limited", {}, "x"}}),
               MetricError);
}

// The filter inside duration() and total_duration() says when the condition holds: the
// stretches where the value passes it (without one: where it is non-zero).
TEST(Evaluator, DurationAppliesTheValueFilter) {
  const RunDir run = sample_run();
  // hpa_current_replicas: 2 from 0, 10 from 1h, 6 from 2h30m, 10 from 5h to the end (6h).
  EXPECT_DOUBLE_EQ(value(run, "duration(hpa_current_replicas)"), 6 * 3'600'000);
  EXPECT_DOUBLE_EQ(value(run, "duration(hpa_current_replicas > 6)"), 90 * 60'000);
  EXPECT_DOUBLE_EQ(value(run, "total_duration(hpa_current_replicas > 6)"), 150 * 60'000);
  EXPECT_DOUBLE_EQ(value(run, "duration(hpa_current_replicas >= 6)"), 5 * 3'600'000);
  EXPECT_DOUBLE_EQ(value(run, "duration(hpa_current_replicas < 6)"), 3'600'000);
  EXPECT_DOUBLE_EQ(value(run, "duration(pods_pending > 1)"), 0);
  const Outcome o = eval(run, "duration(hpa_current_replicas > 6) <= 1h");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.message.find("from 1h to 2h30m"), std::string::npos) << o.message;
}

// all/any/none with a filter ask whether every / some / no point passes it: a point that does
// not pass is a false one, not one left out (which made every all() hold).
TEST(Evaluator, ConditionsWithAFilterTestEveryPoint) {
  const RunDir run = sample_run();
  // team-a waited 1h and 10m; team-b 0s and 5h30m.
  const Outcome all = eval(run, R"(all(pod_wait{namespace="team-a"} < 30m))");
  EXPECT_FALSE(all.passed);
  EXPECT_EQ(all.observed, "1 of 2 true; first false: team-a/train-1");
  EXPECT_TRUE(eval(run, R"(all(pod_wait{namespace="team-a"} < 2h))").passed);
  EXPECT_TRUE(eval(run, R"(any(pod_wait{namespace="team-b"} < 1m))").passed);
  EXPECT_FALSE(eval(run, R"(none(pod_wait{namespace="team-b"} < 1m))").passed);
  EXPECT_TRUE(eval(run, R"(none(pod_wait{namespace="team-a"} > 2h))").passed);
}

// count() of a true/false metric counts what is true: the pods that failed, not every pod.
TEST(Evaluator, CountOfATrueFalseMetricCountsTheTrueOnes) {
  const RunDir run = sample_run();
  EXPECT_DOUBLE_EQ(value(run, "count(pod_failed)"), 0);
  EXPECT_TRUE(eval(run, "count(pod_failed) == 0").passed);
  EXPECT_DOUBLE_EQ(value(run, "count(pod_unscheduled)"), 1);
  EXPECT_DOUBLE_EQ(value(run, R"(count(jobs_complete{cronjob="team-a/retrain"}))"), 1);
  // A filter counts what passes it, false values included.
  EXPECT_DOUBLE_EQ(value(run, "count(pod_failed == 0)"), 5);
  EXPECT_DOUBLE_EQ(value(run, "count(pod_wait)"), 5);  // not true/false: every pod
}

// pod_wait_with_quota starts where pods.csv wait_from_ms says (the first quota refusal of the
// pod's owner), as namespaces.csv's waits do; pod_wait starts at the pod's creation.
TEST(Evaluator, WaitWithQuotaStartsAtTheOwnersFirstRefusal) {
  const RunDir run = RunDir::from_files(testing::files_with_quota_waits(), "quota-wait");
  EXPECT_DOUBLE_EQ(value(run, R"(max(pod_wait{namespace="team-b"}))"), 3'600'000);
  EXPECT_DOUBLE_EQ(value(run, R"(max(pod_wait_with_quota{namespace="team-b"}))"), 3 * 3'600'000);
  EXPECT_DOUBLE_EQ(value(run, R"(min(pod_wait_with_quota{namespace="team-b"}))"), 70 * 60'000);
  EXPECT_DOUBLE_EQ(value(run, R"(max(pod_wait_with_quota{namespace="team-a"}))"), 300'000);
  const Outcome o = eval(run, R"(max(pod_wait_with_quota{namespace="team-b"}) <= 10m)");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.observed, "3h");
  // A run recorded before wait_from_ms: the wait with quota is the wait.
  EXPECT_DOUBLE_EQ(value(sample_run(), R"(max(pod_wait_with_quota{namespace="team-a"}))"),
                   3'600'000);
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
