// kubectl-style views: label selectors, `gpusim get`, `gpusim explain`, YAML output, CSV parsing.
#include <gtest/gtest.h>

#include "reports/cluster_state.hpp"
#include "reports/csv_table.hpp"
#include "reports/explain_view.hpp"
#include "reports/format.hpp"
#include "reports/label_query.hpp"
#include "reports/resource_view.hpp"
#include "sample_run.hpp"

namespace gpusim::reports {
namespace {

TEST(CsvTable, QuotedFieldsAndRaggedRows) {
  const CsvTable t = CsvTable::parse("a,b\n\"x,1\",\"say \"\"hi\"\"\"\n", "t.csv");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.rows()[0][0], "x,1");
  EXPECT_EQ(t.rows()[0][1], "say \"hi\"");
  EXPECT_THROW(CsvTable::parse("a,b\n1\n", "t.csv"), std::runtime_error);
}

TEST(LabelQuery, KubectlSyntax) {
  const std::map<std::string, std::string> l{{"app", "web"}, {"tier", "front"}, {"gpu", ""}};
  EXPECT_TRUE(LabelQuery::parse("app=web").matches(l));
  EXPECT_TRUE(LabelQuery::parse("app==web,tier!=db").matches(l));
  EXPECT_TRUE(LabelQuery::parse("tier in (front, back),gpu,!spot").matches(l));
  EXPECT_FALSE(LabelQuery::parse("tier notin (front)").matches(l));
  EXPECT_FALSE(LabelQuery::parse("spot").matches(l));
  EXPECT_TRUE(LabelQuery::parse("").matches(l));
  EXPECT_THROW(LabelQuery::parse("app in web"), std::invalid_argument);
  EXPECT_THROW(LabelQuery::parse("a b=c"), std::invalid_argument);
}

TEST(ClusterState, AllocationAtATime) {
  const RunDir run = testing::sample_run();
  const ClusterState at = ClusterState::at(run, 3 * 3'600'000 + 1);
  const NodeState* a1 = nullptr;
  for (const auto& n : at.nodes()) {
    if (n.node->name == "a100-1") a1 = &n;
  }
  ASSERT_NE(a1, nullptr);
  EXPECT_EQ(a1->gpu_milli, 2500);
  EXPECT_EQ(a1->device_milli, (std::vector<std::int64_t>{1000, 1000, 500, 0}));
  EXPECT_EQ(a1->gpus_free_whole(), 1);
  EXPECT_EQ(a1->gpu_free_milli(), 1500);
}

TEST(Get, NodesWithGpuColumns) {
  const RunDir run = testing::sample_run();
  GetRequest q;
  q.kind = "nodes";
  q.at_ms = 3 * 3'600'000;
  q.selector = LabelQuery::parse("accelerator=nvidia-a100");
  EXPECT_EQ(get_resources(run, q),
            "NAME     STATUS     AGE   POOL   GPU-MODEL   GPU-ALLOCATABLE   GPU-ALLOCATED   "
            "GPU-FREE   MILLIGPU-FREE   PODS\n"
            "a100-0   NotReady   3h    a100   A100        4                 0               4      "
            "    4000            0/110\n"
            "a100-1   Ready      3h    a100   A100        4                 2500m           1      "
            "    1500            2/110\n");
}

TEST(Get, PodsAtATimeAndAsYaml) {
  const RunDir run = testing::sample_run();
  GetRequest q;
  q.kind = "pods";
  q.at_ms = 3'600'000;
  q.namespace_ = "team-a";
  EXPECT_EQ(get_resources(run, q),
            "NAME      READY   STATUS    RESTARTS   AGE   NODE     GPU\n"
            "train-1   1/1     Running   0          1h    a100-0   4\n");
  q.namespace_.clear();
  q.selector = LabelQuery::parse("app=big");
  q.format = OutputFormat::kYaml;
  const std::string y = get_resources(run, q);
  EXPECT_NE(
      y.find("apiVersion: v1\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata:\n      "
             "name: big-1\n"),
      std::string::npos)
      << y;
  EXPECT_NE(y.find("phase: Pending"), std::string::npos) << y;
}

TEST(Get, HpaFromItsCsvAndAClearErrorWithoutIt) {
  const RunDir run = testing::sample_run();
  GetRequest q;
  q.kind = "hpa";
  q.at_ms = 4 * 3'600'000;
  EXPECT_EQ(get_resources(run, q),
            "NAMESPACE   NAME    REFERENCE   TARGETS   MINPODS   MAXPODS   REPLICAS   AGE\n"
            "team-b      infer   <none>      <none>    2         10        6          4h\n");
  q.kind = "quota";
  EXPECT_THROW(get_resources(run, q), std::invalid_argument);
}

TEST(Explain, AttemptsWithVerdictsAndScores) {
  const RunDir run = testing::sample_run();
  const ExplainResult r = explain_pod(run, "team-a/train-1", OutputFormat::kTable);
  ASSERT_TRUE(r.found);
  EXPECT_EQ(
      r.text,
      "Pod team-a/train-1\n"
      "  created at 0s, bound at 1h to a100-0 (waited 1h); phase Succeeded; 2 scheduling "
      "attempt(s)\n"
      "\n"
      "Attempt 1 at 1m (profile default-scheduler): Unschedulable\n"
      "  0/3 nodes are available: 3 Insufficient nvidia.com/gpu.\n"
      "  filtered out (3):\n"
      "    NODE     PLUGIN             REASON\n"
      "    cpu-0    NodeResourcesFit   Insufficient nvidia.com/gpu\n"
      "    a100-0   TaintToleration    node(s) had untolerated taint {dedicated: training}\n"
      "    a100-1   NodeResourcesFit   Insufficient nvidia.com/gpu\n"
      "\n"
      "Attempt 2 at 1h (profile default-scheduler): Scheduled on a100-0 (GPU devices 0,1,2,3)\n"
      "  feasible nodes (2), score = normalised x weight = weighted:\n"
      "    NODE     NodeResourcesFit   GpuPacking   TOTAL\n"
      "    a100-0   40x1=40            100x2=200    240     <- chosen\n"
      "    a100-1   50x1=50            0x2=0        50\n"
      "  filtered out (1):\n"
      "    NODE    PLUGIN             REASON\n"
      "    cpu-0   NodeResourcesFit   Insufficient nvidia.com/gpu\n"
      "\n");
}

TEST(Explain, APodRecreatedUnderTheSameNameIsShownPerPod) {
  auto files = testing::sample_files();
  // A controller recreated team-a/train-1 at 5h: the new pod's attempts start from 1 again.
  files["explain.jsonl"] +=
      R"({"t_ms":18000000,"pod":"team-a/train-1","profile":"default-scheduler","attempt":1,"result":"Scheduled","node":"a100-1","nodes":[{"node":"a100-1","feasible":true,"scores":[{"plugin":"NodeResourcesFit","raw":50,"normalized":50,"weight":1,"weighted":50}],"total":50}]})"
      "\n";
  const RunDir run = RunDir::from_files(files, "recreated");
  const ExplainResult r = explain_pod(run, "team-a/train-1", OutputFormat::kTable);
  ASSERT_TRUE(r.found);
  EXPECT_NE(r.text.find("2 pods had this name in the run"), std::string::npos) << r.text;
  const auto first = r.text.find("-- pod 1 of 2 --\nAttempt 1 at 1m");
  const auto second = r.text.find("-- pod 2 of 2 --\nAttempt 1 at 5h");
  EXPECT_NE(first, std::string::npos) << r.text;
  EXPECT_NE(second, std::string::npos) << r.text;
  EXPECT_LT(first, second);
  // The recorded weight is shown even where the run did not need to derive it.
  EXPECT_NE(r.text.find("50x1=50"), std::string::npos) << r.text;
  const auto j = explain_json(run, "team-a/train-1");
  ASSERT_EQ(j["attempts"].size(), 3U);
  EXPECT_EQ(j["attempts"][1]["incarnation"], 1);
  EXPECT_EQ(j["attempts"][2]["incarnation"], 2);
}

// With uids recorded, sections follow the pod object, not the attempt counter: a gang member
// held at Permit and then bound keeps its attempt number across two records.
TEST(Explain, RecordedUidsDecideWhichPodAnAttemptBelongsTo) {
  std::map<std::string, std::string> files = testing::sample_files();
  files["explain.jsonl"] =
      R"({"t_ms":1000,"pod":"team-a/w-0","uid":7,"profile":"p","attempt":1,"result":"Wait","nodes":[]})"
      "\n"
      R"({"t_ms":2000,"pod":"team-a/w-0","uid":7,"profile":"p","attempt":1,"result":"Scheduled","node":"a100-0","nodes":[]})"
      "\n"
      R"({"t_ms":9000,"pod":"team-a/w-0","uid":12,"profile":"p","attempt":1,"result":"Scheduled","node":"a100-1","nodes":[]})"
      "\n";
  const RunDir run = RunDir::from_files(files, "uids");
  const auto j = explain_json(run, "team-a/w-0");
  ASSERT_EQ(j["attempts"].size(), 3U);
  EXPECT_EQ(j["attempts"][0]["incarnation"], 1);
  EXPECT_EQ(j["attempts"][1]["incarnation"], 1);
  EXPECT_EQ(j["attempts"][2]["incarnation"], 2);
}

TEST(Explain, QuotaRejectionsOfAPodThatNeverExisted) {
  const RunDir run = testing::sample_run();
  const ExplainResult r = explain_pod(run, "team-b/sweep-1", OutputFormat::kTable);
  ASSERT_TRUE(r.found);
  EXPECT_NE(r.text.find("never created"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("Rejected at 2h by admission (ResourceQuota gpu-quota, resource "
                        "requests.nvidia.com/gpu)"),
            std::string::npos)
      << r.text;
  const ExplainResult missing = explain_pod(run, "team-a/train-3", OutputFormat::kTable);
  EXPECT_FALSE(missing.found);
  EXPECT_EQ(missing.hint, "did you mean team-a/train-1?");
  // The Job whose pods were refused is no pod: its events do not make it one.
  EXPECT_FALSE(explain_pod(run, "team-b/sweep", OutputFormat::kTable).found);
}

// A run directory damaged after it was written (a copy cut short): every table and log must
// end its last line, and explain.jsonl's lines must be whole, even the other pods' lines.
TEST(RunDirFiles, AFileCutShortIsAnErrorNamingIt) {
  for (const char* name : {"pods.csv", "events.jsonl", "timeseries.csv", "explain.jsonl"}) {
    auto files = testing::sample_files();
    files[name].pop_back();  // the final newline
    try {
      RunDir::from_files(files, "cut");
      ADD_FAILURE() << name << " cut short was read";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(
          std::string(e.what()),
          "cut/" + std::string(name) + ": ends in the middle of a line (the file was cut short)");
    }
  }
}

TEST(Explain, ADamagedExplainLineIsAnErrorEvenForAnotherPod) {
  auto files = testing::sample_files();
  files["explain.jsonl"] = R"({"t_ms":1000,"pod":"team-a/other","profile":"p","attempt":1,"res)"
                           "\n" +
                           files["explain.jsonl"];
  const RunDir run = RunDir::from_files(files, "damaged");
  try {
    explain_json(run, "team-a/train-1");
    ADD_FAILURE() << "a damaged explain.jsonl was read";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "damaged/explain.jsonl:1: not a JSON object (the file is damaged)");
  }
}

TEST(Format, YamlOfJson) {
  nlohmann::ordered_json j = {
      {"a", 1},
      {"b", {{"c", "x y"}, {"d", nlohmann::ordered_json::array({1, "true"})}}},
      {"e", "1.5"}};
  EXPECT_EQ(to_yaml(j), "a: 1\nb:\n  c: x y\n  d:\n    - 1\n    - \"true\"\ne: \"1.5\"\n");
}

}  // namespace
}  // namespace gpusim::reports
