#include "engine/pool_output.hpp"

#include <algorithm>
#include <array>

#include "core/sampling.hpp"

namespace gpusim::engine {
namespace {
constexpr std::int64_t kMsPerHour = 3'600'000;
}

PoolOutput::PoolOutput(const Cluster& cluster, EventLoop& loop, TimeMs interval_ms,
                       const std::vector<NodePoolSpec>& pools,
                       const ctrl::ClusterAutoscaler* autoscaler)
    : cluster_(cluster),
      loop_(loop),
      interval_ms_(interval_ms > 0 ? interval_ms : 60'000),
      autoscaler_(autoscaler) {
  for (const auto& spec : pools) {
    Pool& p = pools_[spec.name];
    p.cost_per_hour_micros = spec.cost_per_hour_micros;
    if (spec.autoscaling) {
      p.autoscaled = true;
      p.min_size = spec.autoscaling->min_size;
      p.max_size = spec.autoscaling->max_size;
    }
  }
  // Nodes that exist already (the initial pools).
  for (NodeId id = 0; id < cluster_.node_slots(); ++id) {
    if (cluster_.node_exists(id)) on_node_added(id);
  }
}

void PoolOutput::integrate(Pool& p) {
  const TimeMs dt = loop_.now() - p.last_ms;
  p.node_ms += dt * p.nodes;
  p.cost_area += static_cast<Int128>(dt) * p.billed * p.cost_per_hour_micros;
  p.last_ms = loop_.now();
}

std::int64_t PoolOutput::cost_micros(const std::string& pool) const {
  auto it = pools_.find(pool);
  return it == pools_.end() ? 0 : static_cast<std::int64_t>(it->second.cost_area / kMsPerHour);
}

void PoolOutput::recount(const std::string& name, Pool& p, std::int32_t node_delta) {
  integrate(p);
  p.nodes += node_delta;
  if (autoscaler_) {
    // A node the cloud refused has no machine behind it: nothing to bill.
    const auto& st = autoscaler_->stats(name);
    p.billed = p.nodes + st.upcoming - st.upcoming_refused;
  } else {
    p.billed = p.nodes;
  }
}

void PoolOutput::on_node_added(NodeId id) {
  const Node& n = cluster_.node(id);
  if (n.pool.empty()) return;
  Pool& p = pools_[n.pool];
  recount(n.pool, p, +1);
  if (!started_) p.initial = p.nodes;
  p.peak = std::max(p.peak, p.nodes);
}

void PoolOutput::on_node_removed(NodeId id) {
  const Node& n = cluster_.node(id);
  if (n.pool.empty()) return;
  recount(n.pool, pools_[n.pool], -1);
}

void PoolOutput::on_event(const ClusterEvent& e) {
  if ((e.type != "ScaledUpGroup" && e.type != "DeleteUnregistered") || e.kind != "NodePool") return;
  auto it = pools_.find(e.object);
  if (it != pools_.end()) recount(it->first, it->second, 0);
}

void PoolOutput::start() {
  started_ = true;
  // First sample after the instant's scheduling, as the recorder's (timeseries.csv) is.
  sample_every(loop_, interval_ms_, [this] { sample(); });
}

void PoolOutput::finish() {
  for (auto& [name, p] : pools_)
    integrate(p);
  sample();
}

void PoolOutput::sample() {
  std::map<std::string, std::array<std::int64_t, 3>> live;  // ready, gpus, gpu milli allocated
  for (NodeId id = 0; id < cluster_.node_slots(); ++id) {
    if (!cluster_.node_exists(id)) continue;
    const Node& n = cluster_.node(id);
    if (n.pool.empty()) continue;
    auto& v = live[n.pool];
    v[0] += n.ready ? 1 : 0;
    v[1] += static_cast<std::int64_t>(n.gpus.size());
    for (const auto& d : n.gpus)
      v[2] += d.used_milli;
  }
  std::string rows;
  for (auto& [name, p] : pools_) {
    integrate(p);
    const auto v = live[name];
    rows += std::to_string(loop_.now()) + "," + name + "," + std::to_string(p.nodes) + "," +
            std::to_string(v[0]) + "," + std::to_string(v[1]) + "," + std::to_string(v[2]) + "," +
            std::to_string(static_cast<std::int64_t>(p.cost_area / kMsPerHour));
    // The provisioning state: what the summary's failure counts were at this sample, and whether
    // the autoscaler would leave the pool out of a scale-up now (backed off) or the cloud would
    // refuse its instances (stocked out). A pool the autoscaler does not manage has none.
    std::int64_t failed_scale_ups = 0, nodes_failed = 0;
    bool backed_off = false, stocked_out = false;
    if (autoscaler_ && p.autoscaled) {
      const auto& st = autoscaler_->stats(name);
      failed_scale_ups = st.failed_scale_ups;
      nodes_failed = st.nodes_failed;
      backed_off = autoscaler_->backed_off(name);
      stocked_out = autoscaler_->stocked_out(name);
    }
    rows += "," + std::to_string(failed_scale_ups) + "," + std::to_string(nodes_failed) + "," +
            (backed_off ? "1" : "0") + "," + (stocked_out ? "1" : "0") + "\n";
  }
  if (last_sample_ms_ == loop_.now()) csv_.resize(csv_.size() - last_sample_rows_.size());
  csv_ += rows;
  last_sample_ms_ = loop_.now();
  last_sample_rows_ = std::move(rows);
}

void PoolOutput::add_summary(nlohmann::ordered_json& summary) const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  std::int64_t total = 0;
  for (const auto& [name, p] : pools_) {
    nlohmann::ordered_json j;
    j["pool"] = name;
    j["autoscaled"] = p.autoscaled;
    if (p.autoscaled) {
      j["min_size"] = p.min_size;
      j["max_size"] = p.max_size;
    }
    j["nodes_initial"] = p.initial;
    j["nodes_final"] = p.nodes;
    j["nodes_peak"] = p.peak;
    j["node_hours"] = static_cast<double>(p.node_ms) / static_cast<double>(kMsPerHour);
    j["cost_per_hour_micros"] = p.cost_per_hour_micros;
    const auto cost = static_cast<std::int64_t>(p.cost_area / kMsPerHour);
    j["cost_micros"] = cost;
    total += cost;
    if (autoscaler_ && p.autoscaled) {
      const auto& st = autoscaler_->stats(name);
      j["scale_ups"] = st.scale_ups;
      j["nodes_added"] = st.nodes_added;
      j["nodes_removed"] = st.nodes_removed;
      // Only where provisioning failed, so that summaries of runs without failures read as
      // they did before failures were modelled.
      if (st.failed_scale_ups > 0 || st.nodes_failed > 0) {
        j["failed_scale_ups"] = st.failed_scale_ups;
        j["nodes_failed"] = st.nodes_failed;
      }
    }
    list.push_back(std::move(j));
  }
  summary["pools"] = std::move(list);
  summary["cost"] = {{"unit", "micros"}, {"total_micros", total}};
}

void PoolOutput::write(const StagedDirectory& dir) const {
  dir.write("pools.csv",
            "t_ms,pool,nodes,nodes_ready,gpus,gpu_allocated_milli,cost_micros,failed_scale_ups,"
            "nodes_failed,backed_off,stocked_out\n" +
                csv_);
}

}  // namespace gpusim::engine
