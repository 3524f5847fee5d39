#include "engine/quota_output.hpp"

#include "core/sampling.hpp"

namespace gpusim::engine {

QuotaOutput::QuotaOutput(const Cluster& cluster, EventLoop& loop, TimeMs interval_ms,
                         const ctrl::ResourceQuotaAdmission& admission)
    : cluster_(cluster),
      loop_(loop),
      interval_ms_(interval_ms > 0 ? interval_ms : 60'000),
      admission_(admission) {}

void QuotaOutput::start() {
  // First sample after the instant's admissions and scheduling, as timeseries.csv's.
  sample_every(loop_, interval_ms_, [this] { sample(); });
}

void QuotaOutput::finish() {
  sample();
}

void QuotaOutput::sample() {
  std::string rows;
  for (const auto& [key, q] : cluster_.quotas) {
    auto& peak = peak_[key];
    for (const auto& [name, hard] : q.status_hard) {
      auto used = q.status_used.find(name);
      const Quantity u = used == q.status_used.end() ? Quantity{} : used->second;
      auto p = peak.find(name);
      if (p == peak.end() || p->second < u) peak[name] = u;
      rows += std::to_string(loop_.now()) + "," + q.meta.namespace_ + "," + q.meta.name + "," +
              name + "," + hard.decimal() + "," + u.decimal() + "\n";
    }
  }
  // A sample at the same instant as the previous one (the closing sample) replaces it.
  if (last_sample_ms_ == loop_.now()) csv_.resize(csv_.size() - last_sample_rows_.size());
  csv_ += rows;
  last_sample_ms_ = loop_.now();
  last_sample_rows_ = std::move(rows);
}

void QuotaOutput::add_summary(nlohmann::ordered_json& summary) const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& [key, q] : cluster_.quotas) {
    nlohmann::ordered_json j;
    j["namespace"] = q.meta.namespace_;
    j["name"] = q.meta.name;
    if (!q.meta.labels.empty()) j["labels"] = q.meta.labels;
    nlohmann::ordered_json hard = nlohmann::ordered_json::object();
    nlohmann::ordered_json used = nlohmann::ordered_json::object();
    nlohmann::ordered_json peak = nlohmann::ordered_json::object();
    for (const auto& [name, v] : q.status_hard)
      hard[name] = v.str();
    for (const auto& [name, v] : q.status_used)
      used[name] = v.str();
    if (auto p = peak_.find(key); p != peak_.end()) {
      for (const auto& [name, v] : p->second)
        peak[name] = v.str();
    }
    j["hard"] = hard;
    j["used_final"] = used;
    j["used_peak"] = peak;
    auto r = admission_.rejections().find(key);
    j["pods_rejected"] = r == admission_.rejections().end() ? 0 : r->second;
    auto o = admission_.object_rejections().find(key);
    j["objects_rejected"] = o == admission_.object_rejections().end() ? 0 : o->second;
    list.push_back(std::move(j));
  }
  summary["quotas"] = std::move(list);
}

void QuotaOutput::write(const StagedDirectory& dir) const {
  dir.write("quota.csv", "t_ms,namespace,quota,resource,hard,used\n" + csv_);
}

}  // namespace gpusim::engine
