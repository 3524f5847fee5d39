#include "engine/namespace_output.hpp"

#include <algorithm>

#include "engine/wait_stats.hpp"

namespace gpusim::engine {

NamespaceOutput::NamespaceOutput(const Cluster& cluster, EventLoop& loop)
    : cluster_(cluster), loop_(loop) {}

void NamespaceOutput::on_pod_added(PodId id) {
  const Pod& p = cluster_.pod(id);
  ++figures_[p.namespace_].pods_created;
  Open& o = open_[p.uid];
  o.namespace_ = p.namespace_;
  o.created_ms = loop_.now();
  // The owner's creations were refused since then: this pod's wait starts at the first refusal.
  if (auto refused = refused_.take(p)) o.created_ms = *refused;
  if (p.bound()) on_pod_bound(id);
}

void NamespaceOutput::on_pod_bound(PodId id) {
  const Pod& p = cluster_.pod(id);
  auto it = open_.find(p.uid);
  if (it == open_.end() || it->second.bound_ms >= 0) return;
  Open& o = it->second;
  o.bound_ms = loop_.now();
  o.gpu_milli = p.resources().gpu.total_milli();
  Figures& f = figures_[o.namespace_];
  ++f.pods_scheduled;
  f.waits_ms.push_back(o.bound_ms - o.created_ms);
  o.waited = true;
}

void NamespaceOutput::on_pod_released(PodId id, NodeId) {
  const Pod& p = cluster_.pod(id);
  auto it = open_.find(p.uid);
  if (it == open_.end() || it->second.bound_ms < 0) return;
  Open& o = it->second;
  figures_[o.namespace_].gpu_milli_ms +=
      static_cast<Int128>(o.gpu_milli) * (loop_.now() - o.bound_ms);
  o.gpu_milli = 0;  // released: holds nothing from now on
}

void NamespaceOutput::on_pod_deleted(PodId id) {
  const Pod& p = cluster_.pod(id);
  auto it = open_.find(p.uid);
  if (it == open_.end()) return;
  close(it->second, true);
  open_.erase(it);
}

void NamespaceOutput::close(Open& o, bool deleted) {
  Figures& f = figures_[o.namespace_];
  if (o.bound_ms >= 0) {
    f.gpu_milli_ms += static_cast<Int128>(o.gpu_milli) * (loop_.now() - o.bound_ms);
    o.gpu_milli = 0;
  } else if (!o.waited) {
    ++f.pods_unscheduled;
    f.waits_ms.push_back(loop_.now() - o.created_ms);
    o.waited = true;
  }
  (void)deleted;
}

void NamespaceOutput::on_event(const ClusterEvent& e) {
  if (!refused_pod(e)) return;
  const std::string ns = e.object.substr(0, e.object.find('/'));
  Figures& f = figures_[ns];
  ++f.pods_rejected;
  if (e.message.find("exceeded quota") != std::string::npos) ++f.quota_rejections;
  refused_.on_event(e);
}

void NamespaceOutput::finish() {
  if (finished_) return;
  finished_ = true;
  // Declared namespaces appear even when nothing ran in them.
  for (const auto& [name, ns] : cluster_.namespaces)
    figures_[name];
  // Pods still present: close them at the end of the run, in pod order (the sums do not depend
  // on the order, but the wait lists are sorted before use anyway).
  cluster_.for_each_pod([&](PodId, const Pod& p) {
    auto it = open_.find(p.uid);
    if (it == open_.end()) return;
    close(it->second, false);
    open_.erase(it);
  });
}

void NamespaceOutput::add_summary(nlohmann::ordered_json& summary) const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& [name, f] : figures_) {
    const WaitStats w = wait_stats(f.waits_ms);
    list.push_back({{"namespace", name},
                    {"pods_created", f.pods_created},
                    {"pods_scheduled", f.pods_scheduled},
                    {"pods_unscheduled", f.pods_unscheduled},
                    {"pods_rejected", f.pods_rejected},
                    {"quota_rejections", f.quota_rejections},
                    {"wait_ms", {{"mean", w.mean}, {"p50", w.p50}, {"p95", w.p95}, {"max", w.max}}},
                    {"gpu_milli_hours", f.gpu_milli_hours()}});
  }
  summary["namespaces"] = std::move(list);
}

void NamespaceOutput::write(const StagedDirectory& dir) const {
  std::string csv =
      "namespace,pods_created,pods_scheduled,pods_unscheduled,pods_rejected,quota_rejections,"
      "wait_mean_ms,wait_p50_ms,wait_p95_ms,wait_max_ms,gpu_milli_hours\n";
  for (const auto& [name, f] : figures_) {
    const WaitStats w = wait_stats(f.waits_ms);
    csv += name + "," + std::to_string(f.pods_created) + "," + std::to_string(f.pods_scheduled) +
           "," + std::to_string(f.pods_unscheduled) + "," + std::to_string(f.pods_rejected) + "," +
           std::to_string(f.quota_rejections) + "," + std::to_string(w.mean) + "," +
           std::to_string(w.p50) + "," + std::to_string(w.p95) + "," + std::to_string(w.max) + "," +
           std::to_string(f.gpu_milli_hours()) + "\n";
  }
  dir.write("namespaces.csv", csv);
}

}  // namespace gpusim::engine
