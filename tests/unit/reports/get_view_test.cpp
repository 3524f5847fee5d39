// `gpusim get deployments|hpa|quota|nodes` printed as kubectl prints them: columns, -n, -l,
// -o wide, and -o json as Kubernetes objects with typed fields.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reports/resource_view.hpp"
#include "sample_run.hpp"

namespace gpusim::reports {
namespace {

constexpr TimeMs kHourMs = 3'600'000;

// The sample run plus controller CSVs in the recorders' own formats, and the labels and HPA
// metric target types summary.json records for them.
RunDir get_view_run() {
  auto f = testing::sample_files();
  f["workloads.csv"] =
      "t_ms,deployment,desired,replicas,updated,ready,available,unavailable,offered_rps,served_"
      "rps,latency_ms,queue_depth,queue_oldest_age_s,cpu_per_ready_pod_milli\n"
      "0,team-b/infer,2,2,2,0,0,2,10.5,0.000,,,,30\n"
      "0,team-c/web,1,1,1,1,1,0,1.000,1.000,12.5,,,100\n"
      "3600000,team-b/infer,3,3,3,2,2,1,20.25,18.000,40.1,,,500\n"
      "3600000,team-c/web,1,1,1,1,1,0,1.000,1.000,12.5,,,100\n";
  f["hpa.csv"] =
      "t_ms,hpa,target,min_replicas,max_replicas,current_replicas,desired_replicas,metrics,able_"
      "to_scale,scaling_active,scaling_limited\n"
      "0,team-b/infer-hpa,Deployment/infer,2,10,2,2,cpu=?/70;pods/rps=?/5000,,False:"
      "FailedGetResourceMetric,\n"
      "3600000,team-b/infer-hpa,Deployment/infer,2,10,3,4,cpu=63/70;pods/rps=2500/5000,True:"
      "ReadyForNewScale,True:ValidMetricFound,False:DesiredWithinRange\n";
  f["quota.csv"] =
      "t_ms,namespace,quota,resource,hard,used\n"
      "0,team-a,gpu-quota,limits.memory,2199023255552,0\n"
      "0,team-a,gpu-quota,requests.cpu,200,0\n"
      "0,team-a,gpu-quota,requests.nvidia.com/gpu,16,0\n"
      "3600000,team-a,gpu-quota,limits.memory,2199023255552,68719476736\n"
      "3600000,team-a,gpu-quota,requests.cpu,200,0.5\n"
      "3600000,team-a,gpu-quota,requests.nvidia.com/gpu,16,4\n";
  auto summary = nlohmann::json::parse(f["summary.json"]);
  summary["serving"]["deployments"]["team-b/infer"]["labels"] = {{"app", "infer"}};
  summary["serving"]["deployments"]["team-c/web"]["labels"] = {{"app", "web"}};
  summary["serving"]["hpas"]["team-b/infer-hpa"] = {
      {"labels", {{"app", "infer"}}}, {"metric_targets", {"Utilization", "AverageValue"}}};
  summary["quotas"] = {
      {{"namespace", "team-a"}, {"name", "gpu-quota"}, {"labels", {{"team", "a"}}}}};
  f["summary.json"] = summary.dump();
  // cpu-0 is cordoned at 1h; cpu-1 joined NotReady and cordoned (a manifest's status and spec).
  f["nodes.csv"] =
      "node,pool,gpu_model,added_ms,removed_ms,cpu_milli,memory_bytes,pods,gpus,labels,taints,"
      "ready,unschedulable\n"
      "cpu-0,cpu,,0,,16000,68719476736,110,0,kubernetes.io/hostname=cpu-0,,true,false\n"
      "cpu-1,cpu,,0,,16000,68719476736,110,0,kubernetes.io/hostname=cpu-1,,false,true\n";
  f["events.jsonl"] +=
      R"({"t_ms":3600000,"type":"NodeNotSchedulable","kind":"Node","object":"cpu-0","node":"cpu-0","message":"Node cpu-0 status is now: NodeNotSchedulable"})"
      "\n";
  return RunDir::from_files(f, "get-view");
}

GetRequest get_view_request(const std::string& kind, TimeMs at_ms) {
  GetRequest q;
  q.kind = kind;
  q.at_ms = at_ms;
  return q;
}

TEST(GetKubectl, DeploymentsHaveKubectlsColumnsAndHonourNamespace) {
  const RunDir run = get_view_run();
  GetRequest q = get_view_request("deployments", 2 * kHourMs);
  EXPECT_EQ(get_resources(run, q),
            "NAMESPACE   NAME    READY   UP-TO-DATE   AVAILABLE   AGE\n"
            "team-b      infer   2/3     3            2           2h\n"
            "team-c      web     1/1     1            1           2h\n");
  q.namespace_ = "team-c";
  EXPECT_EQ(get_resources(run, q),
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
            "web    1/1     1            1           2h\n");
  q.namespace_ = "nope";
  EXPECT_EQ(get_resources(run, q), "No deployments found at that time.\n");
}

TEST(GetKubectl, DeploymentsWideAddTheLoadAndSelectorsUseRecordedLabels) {
  const RunDir run = get_view_run();
  GetRequest q = get_view_request("deploy", 2 * kHourMs);
  q.format = OutputFormat::kWide;
  q.selector = LabelQuery::parse("app=infer");
  EXPECT_EQ(get_resources(run, q),
            "NAMESPACE   NAME    READY   UP-TO-DATE   AVAILABLE   AGE   REPLICAS   UNAVAILABLE   "
            "OFFERED-RPS   SERVED-RPS   LATENCY-MS   QUEUE-DEPTH\n"
            "team-b      infer   2/3     3            2           2h    3          1             "
            "20.25         18.000       40.1         <none>\n");
}

TEST(GetKubectl, DeploymentsAsJsonAreTypedKubernetesObjects) {
  const RunDir run = get_view_run();
  GetRequest q = get_view_request("deployments", 30 * 60'000);
  q.format = OutputFormat::kJson;
  q.namespace_ = "team-b";
  const auto list = nlohmann::json::parse(get_resources(run, q));
  EXPECT_EQ(list["apiVersion"], "v1");
  EXPECT_EQ(list["kind"], "List");
  ASSERT_EQ(list["items"].size(), 1u);
  const auto& d = list["items"][0];
  EXPECT_EQ(d["apiVersion"], "apps/v1");
  EXPECT_EQ(d["kind"], "Deployment");
  EXPECT_EQ(d["metadata"]["name"], "infer");
  EXPECT_EQ(d["metadata"]["namespace"], "team-b");
  EXPECT_EQ(d["metadata"]["labels"]["app"], "infer");
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_EQ(d["status"]["replicas"], 2);
  EXPECT_EQ(d["status"]["unavailableReplicas"], 2);
  EXPECT_FALSE(d["status"].contains("readyReplicas")) << "0 is omitted, as the API server does";
  EXPECT_DOUBLE_EQ(d["gpusim"]["offered_rps"].get<double>(), 10.5);
  EXPECT_TRUE(d["gpusim"]["latency_ms"].is_null());
}

TEST(GetKubectl, HpaTargetsAsKubectlPrintsThem) {
  const RunDir run = get_view_run();
  GetRequest q = get_view_request("hpa", 0);
  q.namespace_ = "team-b";
  EXPECT_EQ(get_resources(run, q),
            "NAME        REFERENCE          TARGETS                                MINPODS   "
            "MAXPODS   REPLICAS   AGE\n"
            "infer-hpa   Deployment/infer   cpu: <unknown>/70%, rps: <unknown>/5   2         "
            "10        2          0s\n");
  q.at_ms = 2 * kHourMs;
  q.namespace_ = "team-a";
  EXPECT_EQ(get_resources(run, q), "No hpa found at that time.\n");
  q.namespace_.clear();
  q.selector = LabelQuery::parse("app=infer");
  q.format = OutputFormat::kWide;
  EXPECT_EQ(
      get_resources(run, q),
      "NAMESPACE   NAME        REFERENCE          TARGETS                      MINPODS   MAXPODS "
      "  REPLICAS   AGE   DESIRED   ABLETOSCALE             SCALINGACTIVE           "
      "SCALINGLIMITED\n"
      "team-b      infer-hpa   Deployment/infer   cpu: 63%/70%, rps: 2500m/5   2         10"
      "        3          2h    4         True:ReadyForNewScale   True:ValidMetricFound   "
      "False:DesiredWithinRange\n");
  q.format = OutputFormat::kJson;
  const auto h = nlohmann::json::parse(get_resources(run, q))["items"].at(0);
  EXPECT_EQ(h["apiVersion"], "autoscaling/v2");
  EXPECT_EQ(h["spec"]["scaleTargetRef"]["kind"], "Deployment");
  EXPECT_EQ(h["spec"]["scaleTargetRef"]["name"], "infer");
  EXPECT_EQ(h["spec"]["minReplicas"], 2);
  EXPECT_EQ(h["spec"]["maxReplicas"], 10);
  EXPECT_EQ(h["status"]["currentReplicas"], 3);
  EXPECT_EQ(h["status"]["desiredReplicas"], 4);
  EXPECT_EQ(h["status"]["conditions"][0]["type"], "AbleToScale");
  EXPECT_EQ(h["status"]["conditions"][0]["status"], "True");
  EXPECT_EQ(h["status"]["conditions"][0]["reason"], "ReadyForNewScale");
  EXPECT_EQ(h["status"]["currentMetrics"][0]["current"], 63);
  EXPECT_EQ(h["status"]["currentMetrics"][1]["current"], "2500m");
  q.selector = LabelQuery::parse("app=web");
  EXPECT_TRUE(nlohmann::json::parse(get_resources(run, q))["items"].empty());
}

TEST(GetKubectl, QuotaRequestAndLimitColumnsWithQuantities) {
  const RunDir run = get_view_run();
  GetRequest q = get_view_request("quota", kHourMs);
  EXPECT_EQ(get_resources(run, q),
            "NAMESPACE   NAME        AGE   REQUEST                                                 "
            "LIMIT\n"
            "team-a      gpu-quota   1h    requests.cpu: 500m/200, requests.nvidia.com/gpu: 4/16 "
            "  limits.memory: 64Gi/2Ti\n");
  q.selector = LabelQuery::parse("team=b");
  EXPECT_EQ(get_resources(run, q), "No resource quotas found at that time.\n");
  q.selector = LabelQuery::parse("team=a");
  q.format = OutputFormat::kYaml;
  const std::string y = get_resources(run, q);
  EXPECT_NE(y.find("  - apiVersion: v1\n    kind: ResourceQuota\n"), std::string::npos) << y;
  EXPECT_NE(
      y.find("      used:\n        limits.memory: \"64Gi\"\n        requests.cpu: \"500m\"\n"),
      std::string::npos)
      << y;
}

TEST(GetKubectl, NodeStatusFromTheStateItWasAddedInAndItsEvents) {
  const RunDir run = get_view_run();
  GetRequest q = get_view_request("nodes", 30 * 60'000);
  std::string out = get_resources(run, q);
  EXPECT_NE(out.find("\ncpu-0   Ready                         "), std::string::npos) << out;
  EXPECT_NE(out.find("\ncpu-1   NotReady,SchedulingDisabled   "), std::string::npos) << out;
  q.at_ms = 2 * kHourMs;
  out = get_resources(run, q);
  EXPECT_NE(out.find("\ncpu-0   Ready,SchedulingDisabled      "), std::string::npos) << out;
}

}  // namespace
}  // namespace gpusim::reports
