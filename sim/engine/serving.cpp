#include "engine/serving.hpp"

namespace gpusim::engine {

Serving::Serving(Cluster& cluster, EventLoop& loop, const SimulationSpec& spec, std::uint64_t seed,
                 unsigned threads, Timeline::AddPoolNode add_pool_node) {
  // Below a few dozen workloads a step is a few microseconds: not worth a spinning helper.
  constexpr std::size_t kMinItemsForThreads = 32;
  if (threads > 1 && spec.load.size() >= kMinItemsForThreads) {
    fork_join_ = std::make_unique<ForkJoin>(threads);
  }
  metrics_ = std::make_unique<ctrl::MetricsPipeline>(cluster, loop, spec.metrics, spec.load, seed,
                                                     fork_join_.get());
  hpa_ = std::make_unique<ctrl::HpaController>(cluster, loop, spec.hpa, metrics_.get(),
                                               fork_join_.get());
  metrics_->set_follower(hpa_.get());
  taints_ = std::make_unique<ctrl::TaintEvictionController>(cluster, loop);
  disruption_ = std::make_unique<ctrl::DisruptionController>(cluster, loop);
  nodes_ = std::make_unique<ctrl::NodeLifecycleController>(cluster, loop, spec.node_lifecycle);
  drains_ = std::make_unique<ctrl::DrainController>(cluster, loop);
  timeline_ =
      std::make_unique<Timeline>(cluster, loop, *nodes_, *drains_, std::move(add_pool_node));
  outputs_ = std::make_unique<WorkloadOutputs>(cluster, loop, spec.sample_interval_ms, *metrics_,
                                               *hpa_, *drains_, fork_join_.get());
  for (ClusterObserver* o : std::initializer_list<ClusterObserver*>{
           metrics_.get(), hpa_.get(), taints_.get(), disruption_.get(), nodes_.get(),
           drains_.get(), outputs_.get()}) {
    cluster.add_observer(o);
  }
  timeline_->schedule(spec.timeline);
  // After the instant's API writes and controller syncs: scrape, then the HPA's first sync one
  // period later, and the first output sample.
  loop.at_background(loop.now(), EventPriority::kMetrics, [this, &cluster, &spec] {
    // Nothing to scrape, scale or sample (a trace replay): periodic syncs over months of
    // simulated time would only cost events.
    if (spec.load.empty() && cluster.hpas.empty() && cluster.deployments.empty() &&
        cluster.replica_sets.empty()) {
      return;
    }
    metrics_->start();
    hpa_->start();
    outputs_->start();
  });
}

Serving::~Serving() = default;

void Serving::add_summary(nlohmann::ordered_json& summary) const {
  outputs_->add_summary(summary);
}

void Serving::stream_to(TextSpool& spool, const StagedDirectory& dir) {
  outputs_->stream_to(spool, dir);
}

void Serving::write(const StagedDirectory& dir) const {
  outputs_->write(dir);
}

}  // namespace gpusim::engine
