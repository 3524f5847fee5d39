#pragma once
// A small run directory, written by hand so every figure in the tests can be checked on paper:
// two nodes of 4 A100s (pool a100) and one CPU node; 6 hours; five pods; events with quota
// rejections, Jobs of a CronJob, and an hpa.csv.
#include <map>
#include <string>

#include "reports/run_dir.hpp"

namespace gpusim::reports::testing {

inline std::map<std::string, std::string> sample_files() {
  std::map<std::string, std::string> f;
  f["summary.json"] =
      R"({"scenario":"sample","seed":7,"sim_time_ms":21600000,"events_processed":100,"wall_ms":0,
    "pods":{"created":5,"scheduled":4,"pending":1,"running":2,"succeeded":2,"failed":0,"preempted":0,"evicted":0,"rejected":2},
    "resources":{"cpu":{"unit":"milli","capacity":48000,"allocated_final":4000,"allocated_mean":6000},
                 "memory":{"unit":"bytes","capacity":1000,"allocated_final":100,"allocated_mean":100},
                 "nvidia.com/gpu":{"unit":"milli","capacity":8000,"allocated_final":2500,"allocated_mean":4000}},
    "scheduler":{"attempts":6,"scheduled":4,"unschedulable_attempts":2,"preemptions":0},"nodes":3})";
  // t=0: nothing; 1h: 4 GPUs; 2h: 6 GPUs; 3h..6h: 2.5 GPUs.
  f["timeseries.csv"] =
      "t_ms,nodes,nodes_ready,pods_pending,pods_running,pods_succeeded,pods_failed,cpu_allocated_"
      "milli,"
      "cpu_capacity_milli,memory_allocated_bytes,memory_capacity_bytes,gpu_allocated_milli,gpu_"
      "capacity_milli\n"
      "0,3,3,1,0,0,0,0,48000,0,1000,0,8000\n"
      "3600000,3,3,1,1,0,0,2000,48000,0,1000,4000,8000\n"
      "7200000,3,3,1,2,0,0,4000,48000,0,1000,6000,8000\n"
      "10800000,3,3,1,2,1,0,4000,48000,0,1000,2500,8000\n"
      "14400000,3,3,1,2,1,0,4000,48000,0,1000,2500,8000\n"
      "18000000,3,3,1,2,2,0,4000,48000,0,1000,2500,8000\n"
      "21600000,3,3,1,2,2,0,4000,48000,0,1000,2500,8000\n";
  f["pods.csv"] =
      "pod,namespace,owner_kind,owner_name,priority,created_ms,scheduled_ms,started_ms,finished_ms,"
      "deleted_ms,node,"
      "phase,reason,cpu_milli,memory_bytes,gpu_milli,gpu_count,gpu_devices,restarts,scheduling_"
      "attempts,labels\n"
      // waits 1h (team-a), runs 1h..3h on a100-0 with 4 GPUs
      "team-a/"
      "train-1,team-a,Job,train,0,0,3600000,3600000,10800000,,a100-0,Succeeded,,1000,0,4000,4,0;1;"
      "2;3,0,2,job-name=train\n"
      // waits 10m, runs 2h..end on a100-1 with 2 GPUs
      "team-a/"
      "train-2,team-a,Job,train2,0,6600000,7200000,7200000,,,a100-1,Running,,1000,0,2000,2,0;1,0,1,"
      "job-name=train2\n"
      // shares device 2 of a100-1 from 3h (500 milli), waits 0
      "team-b/"
      "infer-1,team-b,ReplicaSet,infer-5d9c,0,10800000,10800000,10800000,,,a100-1,Running,,1000,0,"
      "500,1,2,1,1,app=infer\n"
      // never bound: waits until the end (6h - 30m)
      "team-b/big-1,team-b,,,0,1800000,,,,,,Pending,,1000,0,8000,8,,0,2,app=big\n"
      // a CPU pod, 5m wait, finished
      "team-c/"
      "cpu-1,team-c,,,0,0,300000,300000,18000000,,cpu-0,Succeeded,,1000,0,0,0,,0,1,app=cpu\n";
  f["nodes.csv"] =
      "node,pool,gpu_model,added_ms,removed_ms,cpu_milli,memory_bytes,pods,gpus,labels,taints\n"
      "cpu-0,cpu,,0,,16000,68719476736,110,0,gpusim.io/pool=cpu;kubernetes.io/hostname=cpu-0,\n"
      "a100-0,a100,A100,0,,16000,68719476736,110,4,accelerator=nvidia-a100;gpusim.io/"
      "pool=a100,dedicated=training:NoSchedule\n"
      "a100-1,a100,A100,0,,16000,68719476736,110,4,accelerator=nvidia-a100;gpusim.io/"
      "pool=a100,dedicated=training:NoSchedule\n";
  f["events.jsonl"] =
      R"({"t_ms":0,"type":"FailedCreate","kind":"Job","object":"team-b/sweep","message":"Error creating: pods \"sweep-0\" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=8, used: requests.nvidia.com/gpu=0, limited: requests.nvidia.com/gpu=4","warning":true})"
      "\n"
      R"({"t_ms":0,"type":"SuccessfulCreate","kind":"CronJob","object":"team-a/retrain","message":"Created job retrain-1"})"
      "\n"
      R"({"t_ms":60000,"type":"FailedScheduling","kind":"Pod","pod":"team-a/train-1","message":"0/3 nodes are available: 3 Insufficient nvidia.com/gpu.","warning":true})"
      "\n"
      R"({"t_ms":3600000,"type":"SuccessfulCreate","kind":"CronJob","object":"team-a/retrain","message":"Created job retrain-2"})"
      "\n"
      R"({"t_ms":3700000,"type":"Completed","kind":"Job","object":"team-a/retrain-1","message":"Job completed"})"
      "\n"
      R"({"t_ms":7200000,"type":"FailedCreate","kind":"Job","object":"team-b/sweep","message":"Error creating: pods \"sweep-1\" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=8, used: requests.nvidia.com/gpu=0, limited: requests.nvidia.com/gpu=4","warning":true})"
      "\n"
      R"({"t_ms":9000000,"type":"NodeNotReady","kind":"Node","object":"a100-0","message":"Node a100-0 status is now: NodeNotReady","warning":true})"
      "\n";
  // The HPA is at max from 1h to 2h30m (90 min) and from 5h to the end (60 min).
  f["hpa.csv"] =
      "t_ms,namespace,name,current_replicas,desired_replicas,min_replicas,max_replicas\n"
      "0,team-b,infer,2,2,2,10\n"
      "3600000,team-b,infer,10,10,2,10\n"
      "9000000,team-b,infer,6,6,2,10\n"
      "18000000,team-b,infer,10,10,2,10\n";
  f["explain.jsonl"] =
      R"({"t_ms":60000,"pod":"team-a/train-1","profile":"default-scheduler","attempt":1,"result":"Unschedulable","message":"0/3 nodes are available: 3 Insufficient nvidia.com/gpu.","nodes":[{"node":"cpu-0","feasible":false,"plugin":"NodeResourcesFit","reasons":["Insufficient nvidia.com/gpu"]},{"node":"a100-0","feasible":false,"plugin":"TaintToleration","reasons":["node(s) had untolerated taint {dedicated: training}"]},{"node":"a100-1","feasible":false,"plugin":"NodeResourcesFit","reasons":["Insufficient nvidia.com/gpu"]}]})"
      "\n"
      R"({"t_ms":3600000,"pod":"team-a/train-1","profile":"default-scheduler","attempt":2,"result":"Scheduled","node":"a100-0","gpu_devices":[0,1,2,3],"nodes":[{"node":"cpu-0","feasible":false,"plugin":"NodeResourcesFit","reasons":["Insufficient nvidia.com/gpu"]},{"node":"a100-0","feasible":true,"scores":[{"plugin":"NodeResourcesFit","raw":40,"normalized":40,"weighted":40},{"plugin":"GpuPacking","raw":100,"normalized":100,"weighted":200}],"total":240},{"node":"a100-1","feasible":true,"scores":[{"plugin":"NodeResourcesFit","raw":50,"normalized":50,"weighted":50},{"plugin":"GpuPacking","raw":0,"normalized":0,"weighted":0}],"total":50}]})"
      "\n";
  return f;
}

// hpa.csv as gpusim writes it: besides the HPA's identity (hpa, target) it has text columns of
// state (metrics, conditions) that change from sample to sample. One HPA is one series: at max
// from 1h to 3h here, not until the end of the run because a state seen once held to the end.
inline std::map<std::string, std::string> files_with_hpa_state() {
  auto files = sample_files();
  files["hpa.csv"] =
      "t_ms,hpa,target,min_replicas,max_replicas,current_replicas,desired_replicas,metrics,"
      "able_to_scale,scaling_active,scaling_limited\n"
      "0,team-b/infer-hpa,Deployment/infer,2,10,2,2,cpu=10/70,True:ReadyForNewScale,"
      "True:ValidMetricFound,False:DesiredWithinRange\n"
      "3600000,team-b/infer-hpa,Deployment/infer,2,10,10,12,cpu=90/70,True:ReadyForNewScale,"
      "True:ValidMetricFound,True:TooManyReplicas\n"
      "7200000,team-b/infer-hpa,Deployment/infer,2,10,10,13,cpu=95/70,"
      "False:BackoffBoth,True:ValidMetricFound,True:TooManyReplicas\n"
      "10800000,team-b/infer-hpa,Deployment/infer,2,10,5,5,cpu=30/70,True:ReadyForNewScale,"
      "True:ValidMetricFound,False:DesiredWithinRange\n";
  return files;
}

// The sample with pods.csv wait_from_ms: team-b's sweep Job was refused by quota before each of
// its pods existed. sweep-0: refused from 1h, created 2h, bound 2h10m (waits 10m, 1h10m with
// quota); sweep-1: refused from 3h, created 5h, never bound (1h, 3h with quota); team-a/a-0
// waits 5m.
inline std::map<std::string, std::string> files_with_quota_waits() {
  auto files = sample_files();
  files["pods.csv"] =
      "pod,namespace,owner_kind,owner_name,priority,created_ms,wait_from_ms,scheduled_ms,"
      "started_ms,finished_ms,deleted_ms,node,phase,reason,cpu_milli,memory_bytes,gpu_milli,"
      "gpu_count,gpu_devices,restarts,scheduling_attempts,labels\n"
      // refused from 1h, created at 2h, bound at 2h10m
      "team-b/sweep-0,team-b,Job,sweep,0,7200000,3600000,7800000,7800000,,,a100-0,Running,,"
      "1000,0,4000,4,0;1;2;3,0,1,\n"
      // refused from 3h, created at 5h, never bound: waits until the end (6h)
      "team-b/sweep-1,team-b,Job,sweep,0,18000000,10800000,,,,,,Pending,,1000,0,8000,8,,0,1,\n"
      "team-a/a-0,team-a,,,0,0,0,300000,300000,,,cpu-0,Running,,1000,0,0,0,,0,1,\n";
  return files;
}

inline RunDir sample_run() {
  RunDir r = RunDir::from_files(sample_files(), "sample");
  r.set_label("sample");
  return r;
}

}  // namespace gpusim::reports::testing
