#pragma once
// Jobs: keeps min(parallelism, remaining completions) pods active, counts successes and
// failures, and finishes the Job (Complete, or Failed past backoffLimit).
#include <set>
#include <string>

#include "controllers/reconciler.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

class JobController : public ClusterObserver {
 public:
  JobController(Cluster& cluster, EventLoop& loop);

  void on_object_changed(std::string_view kind, const std::string& key) override;
  void on_pod_updated(PodId id) override;
  void on_pod_deleted(PodId id) override;

 private:
  void sync(const std::string& key);
  void finish(Job& job, const std::string& key, bool complete, const std::string& reason,
              const std::string& message);

  Cluster& cluster_;
  EventLoop& loop_;
  Reconciler reconciler_;
  std::set<std::uint64_t> counted_;  // uids of terminal pods already counted
};

bool job_finished(const Job& job);

}  // namespace gpusim::ctrl
