#pragma once
// ResourceQuota figures over time: quota.csv (one row per quota and resource per sample:
// t_ms,namespace,quota,resource,hard,used with exact decimal values, e.g. memory in bytes, cpu
// in cores) and a "quotas" section in summary.json (final and peak usage, pods rejected).
#include <map>
#include <string>
#include <vector>

#include "controllers/resource_quota_admission.hpp"
#include "core/event_loop.hpp"
#include "engine/simulation.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {

class QuotaOutput : public OutputContributor {
 public:
  QuotaOutput(const Cluster& cluster, EventLoop& loop, TimeMs interval_ms,
              const ctrl::ResourceQuotaAdmission& admission);
  // Samples at the current time and then every interval (background events).
  void start();
  void finish() override;
  void add_summary(nlohmann::ordered_json& summary) const override;
  void write(const StagedDirectory& dir) const override;

 private:
  void sample();

  const Cluster& cluster_;
  EventLoop& loop_;
  TimeMs interval_ms_;
  const ctrl::ResourceQuotaAdmission& admission_;
  std::string csv_;
  TimeMs last_sample_ms_ = -1;
  std::string last_sample_rows_;
  std::map<std::string, ResourceQuantities> peak_;  // per quota key
};

}  // namespace gpusim::engine
