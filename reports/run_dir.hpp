#pragma once
// A run directory as the engine wrote it (docs/architecture.md "Outputs of a run"): the only
// input of reports, `gpusim check`, `explain` and `get`. Required files are summary.json,
// events.jsonl, timeseries.csv, pods.csv and nodes.csv; the others (arrival.csv, workloads.csv,
// hpa.csv, quota.csv, pools.csv, explain.jsonl) are optional and readers say when one is absent.
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "reports/csv_table.hpp"

namespace gpusim::reports {

struct RunEvent {
  TimeMs t_ms = 0;
  std::string type;  // the reason: Scheduled, FailedScheduling, Preempted, ...
  std::string kind;
  std::string object;  // namespace/name (pod or object)
  std::string node;
  std::string message;
  bool warning = false;
  std::string namespace_() const;  // the part of `object` before '/', empty when cluster-scoped
  // A creation that admission refused: a pod, or another object (FailedCreate), or a
  // Deployment's new ReplicaSet (ReplicaSetCreateError, as upstream records it).
  bool refused_creation() const {
    return type == "FailedCreate" || type == "ReplicaSetCreateError";
  }
};

struct PodRecord {
  std::string key;  // namespace/name
  std::string namespace_;
  std::string owner_kind, owner_name;
  std::int64_t priority = 0;
  TimeMs created_ms = 0;
  // When its wait for a node began: creation, or earlier the first time admission (quota)
  // refused its owner's creations since the owner last created a pod.
  TimeMs wait_from_ms = 0;
  std::optional<TimeMs> scheduled_ms, started_ms, finished_ms, deleted_ms;
  std::string node;
  std::string phase, reason;
  std::int64_t cpu_milli = 0, memory_bytes = 0, gpu_milli = 0, gpu_count = 0;
  std::vector<std::int32_t> gpu_devices;
  std::int64_t restarts = 0, scheduling_attempts = 0;
  std::map<std::string, std::string> labels;  // when pods.csv has a labels column
  std::string name() const { return key.substr(key.find('/') + 1); }
  // When the pod stopped holding its node's resources (finished or deleted), if it did.
  std::optional<TimeMs> released_ms() const;
};

struct NodeRecord {
  std::string name, pool, gpu_model;
  TimeMs added_ms = 0;
  std::optional<TimeMs> removed_ms;
  std::int64_t cpu_milli = 0, memory_bytes = 0, pods = 0, gpus = 0;
  std::map<std::string, std::string> labels;
  std::vector<std::string> taints;  // key=value:Effect
  // The state it was added in (runs recorded before these columns: Ready and schedulable).
  bool ready = true, unschedulable = false;
  bool exists_at(TimeMs t) const { return added_ms <= t && (!removed_ms || t < *removed_ms); }
};

class RunDir {
 public:
  // Reads a directory. Throws std::invalid_argument when it is not a run directory or a file
  // is malformed (the message names the file).
  static RunDir load(const std::filesystem::path& dir);
  // Builds one from file contents (name -> text), as load() would from a directory.
  static RunDir from_files(const std::map<std::string, std::string>& files,
                           std::string path = "<memory>");

  const std::string& path() const { return path_; }
  // The path a report shows: a run read from its staging directory names where it will be.
  void set_path(std::string p) { path_ = std::move(p); }
  // A short name for this run in comparisons (defaults to the directory name).
  const std::string& label() const { return label_; }
  void set_label(std::string l) { label_ = std::move(l); }

  const nlohmann::json& summary() const { return summary_; }
  std::string scenario() const;
  std::uint64_t seed() const;
  TimeMs end_ms() const { return end_ms_; }

  const std::vector<RunEvent>& events() const { return events_; }
  const CsvTable& timeseries() const { return timeseries_; }
  const std::vector<PodRecord>& pods() const { return pods_; }
  const std::vector<NodeRecord>& nodes() const { return nodes_; }
  // An optional CSV (arrival.csv, workloads.csv, hpa.csv, quota.csv, pools.csv) or nullptr.
  const CsvTable* table(const std::string& file) const;
  bool has_file(const std::string& file) const { return files_.count(file) > 0; }
  // explain.jsonl's text, or nullptr when the run was not recorded with --explain.
  const std::string* explain_jsonl() const;
  // Index of a pod by key, or nullptr.
  const PodRecord* pod(const std::string& key) const;

 private:
  std::string path_, label_;
  std::map<std::string, std::string> files_;  // optional files' raw text
  std::map<std::string, CsvTable> tables_;
  nlohmann::json summary_;
  TimeMs end_ms_ = 0;
  std::vector<RunEvent> events_;
  CsvTable timeseries_;
  std::vector<PodRecord> pods_;
  std::vector<NodeRecord> nodes_;
  std::map<std::string, std::size_t> pod_index_;
};

// "a=b;c=d" (nodes.csv/pods.csv label columns) as a map.
std::map<std::string, std::string> parse_label_list(const std::string& s);

}  // namespace gpusim::reports
