#include "engine/trace_replay.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "core/diagnostics.hpp"
#include "core/rng.hpp"
#include "model/pod_resources.hpp"
#include "scheduler/plugins/gpu_batch_placer.hpp"
#include "scheduler/plugins/gpu_fragmentation.hpp"
#include "scheduler/plugins/gpu_policy_plugin.hpp"

namespace gpusim::engine {
namespace {

constexpr std::int64_t kMiB = 1024 * 1024;
constexpr const char* kTraceLabel = "gpusim.io/trace";

std::string join_models(const std::vector<std::string>& models) {
  std::string s;
  for (const auto& m : models)
    s += (s.empty() ? "" : "|") + m;
  return s;
}

// The GPU policy a packing replay places with: --policy, then spec.policy, then the default
// profile's GPU policy plugin.
std::string packing_policy(const Scenario& scenario, const RunOptions& options) {
  if (!options.policy.empty()) return options.policy;
  if (!scenario.simulation.policy.empty()) return scenario.simulation.policy;
  for (const auto& p : scenario.scheduler.profiles) {
    if (p.scheduler_name == "default-scheduler") return sched::profile_gpu_policy(p);
  }
  return {};
}

}  // namespace

std::vector<sched::TypicalPod> trace_typical_pods(const TraceData& data) {
  std::vector<sched::TypicalPod> pods;
  pods.reserve(data.pods.size());
  for (const auto& p : data.pods) {
    sched::TypicalPod t;
    t.cpu_milli = p.cpu_milli;
    t.gpu_count = p.num_gpu;
    t.gpu_milli = p.num_gpu > 0 ? p.gpu_milli : 0;
    t.models = p.gpu_models;
    pods.push_back(std::move(t));
  }
  return sched::typical_pods(pods);
}

sched::SchedulerConfig configure_gpu_scoring(sched::SchedulerConfig config,
                                             const Scenario& scenario, const std::string& scorer) {
  const auto& trace = scenario.simulation.trace;
  if (trace && trace->data) {
    const auto typical = trace_typical_pods(*trace->data);
    return sched::configure_gpu_policies(std::move(config), scorer, &typical);
  }
  return sched::configure_gpu_policies(std::move(config), scorer, nullptr);
}

// The loader reads a trace's CSVs separately (scenario::attach_trace_data); a Simulation built
// without them would otherwise dereference null.
static const TraceData& loaded_data(const TraceReplaySpec& spec) {
  if (!spec.data) {
    throw std::logic_error(
        "the trace's CSV files were not read: call scenario::attach_trace_data "
        "before constructing the Simulation");
  }
  return *spec.data;
}

TraceReplay::TraceReplay(Simulation& sim)
    : sim_(sim),
      spec_(*sim.scenario().simulation.trace),
      data_(loaded_data(spec_)),
      scorer_(sim.options().scorer.empty() ? "auto" : sim.options().scorer),
      typical_(trace_typical_pods(data_)) {
  if (spec_.mode == "packing") {
    policy_ = packing_policy(sim.scenario(), sim.options());
    if (policy_.empty()) {
      throw InputError(
          spec_.source, "trace.mode", "a packing replay needs a GPU policy to place the pods with",
          "run with --policy NAME or set spec.policy (Random, DotProduct, GpuClustering, "
          "GpuPacking, BestFit, FGD)");
    }
  } else if (spec_.mode == "timed") {
    for (const auto& p : data_.pods) {
      if (!p.creation_s || !p.deletion_s) {
        throw InputError(SourceLocation{data_.pod_file, p.line, 1}, "creation_time",
                         "timed replay needs creation_time and deletion_time on every pod",
                         "this pod list has no times; use mode: packing");
      }
    }
    policy_ =
        !sim.options().policy.empty() ? sim.options().policy : sim.scenario().simulation.policy;
    if (policy_.empty()) {
      for (const auto& p : sim.scenario().scheduler.profiles) {
        if (p.scheduler_name == "default-scheduler") policy_ = sched::profile_gpu_policy(p);
      }
    }
  } else {
    throw InputError(spec_.source, "trace.mode", "unknown mode \"" + spec_.mode + "\"",
                     "packing or timed");
  }
  if (!policy_.empty()) {
    const std::string name = sched::canonical_policy(policy_);
    if (name.empty()) {
      throw std::invalid_argument(
          "unknown GPU policy \"" + policy_ +
          "\" (known: Random, DotProduct, GpuClustering, GpuPacking, BestFit, FGD)");
    }
    policy_ = name;
  }
  sim_.cluster().add_observer(this);
  add_nodes();
  meter_ = std::make_unique<sched::GpuFragmentationMeter>(sim_.scheduler().nodes(), typical_);
  if (spec_.mode == "packing") {
    build_packing_order();
    sim_.loop().at(0, EventPriority::kApi, [this] { run_packing(); });
  } else {
    schedule_timed();
  }
}

TraceReplay::~TraceReplay() = default;

void TraceReplay::add_nodes() {
  Cluster& c = sim_.cluster();
  const std::string& model_label = sim_.scenario().simulation.gpu_model_label;
  for (const auto& tn : data_.nodes) {
    Node n;
    n.meta.name = tn.name;
    n.meta.labels["kubernetes.io/hostname"] = tn.name;
    n.meta.labels[kTraceLabel] = "openb";
    n.meta.source = SourceLocation{data_.node_file, tn.line, 1};
    n.capacity["cpu"] = Quantity::from_milli(tn.cpu_milli);
    n.capacity["memory"] = Quantity::from_int(tn.memory_mib * kMiB, Quantity::Format::kBinarySI);
    // The paper's simulator gives every node 1001 pod slots.
    n.capacity["pods"] = Quantity::from_int(1001);
    if (tn.gpus > 0) {
      n.capacity[std::string(kNvidiaGpu)] = Quantity::from_int(tn.gpus);
      n.meta.labels[model_label] = tn.model;
      n.gpu_model = tn.model;
    }
    if (c.find_node(tn.name) != kNoNode) {
      throw InputError(SourceLocation{data_.node_file, tn.line, 1}, "sn",
                       "node \"" + tn.name + "\" already exists in the scenario");
    }
    c.add_node(std::move(n));
  }
  for (NodeId id = 0; id < c.node_slots(); ++id) {
    if (c.node_exists(id))
      capacity_milli_ += static_cast<std::int64_t>(c.node(id).gpus.size()) * 1000;
  }
}

std::shared_ptr<const PodTemplate> TraceReplay::template_for(const TracePod& p) {
  const std::string key = std::to_string(p.cpu_milli) + "/" + std::to_string(p.memory_mib) + "/" +
                          std::to_string(p.num_gpu) + "/" + std::to_string(p.gpu_milli) + "/" +
                          join_models(p.gpu_models);
  auto it = templates_.find(key);
  if (it != templates_.end()) return it->second;
  PodTemplate t;
  t.labels[kTraceLabel] = "openb";
  Container c;
  c.name = "task";
  c.resources.requests["cpu"] = Quantity::from_milli(p.cpu_milli);
  c.resources.requests["memory"] =
      Quantity::from_int(p.memory_mib * kMiB, Quantity::Format::kBinarySI);
  if (p.num_gpu > 0 && p.gpu_milli >= 1000) {
    c.resources.requests[std::string(kNvidiaGpu)] = Quantity::from_int(p.num_gpu);
    c.resources.limits[std::string(kNvidiaGpu)] = Quantity::from_int(p.num_gpu);
  } else if (p.num_gpu > 0) {
    t.annotations[kAnnotationGpuMilli] = std::to_string(p.gpu_milli);
  }
  if (!p.gpu_models.empty()) t.annotations[kAnnotationGpuModel] = join_models(p.gpu_models);
  t.spec.containers.push_back(std::move(c));
  t.spec.termination_grace_period_s = 0;
  if (spec_.mode == "packing") t.spec.scheduler_name = kTraceSchedulerName;
  t.finalize();
  auto made = make_template(std::move(t));
  templates_.emplace(key, made);
  return made;
}

void TraceReplay::build_packing_order() {
  const auto& pods = data_.pods;
  order_.resize(pods.size());
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  std::stable_sort(order_.begin(), order_.end(),
                   [&](std::size_t a, std::size_t b) { return pods[a].name < pods[b].name; });
  Rng rng = Rng::stream(sim_.seed(), "trace-replay");
  if (spec_.shuffle) rng.shuffle(order_.begin(), order_.end());
  for (auto i : order_)
    names_.push_back(pods[i].name);

  // Inflate (or trim) to `inflate` x capacity, in integer milli: the factor in millionths.
  const auto ppm = static_cast<std::int64_t>(std::llround(spec_.inflate * 1e6));
  const std::int64_t target = capacity_milli_ * ppm / 1'000'000;
  std::int64_t total = 0;
  for (auto i : order_)
    total += pods[i].gpu_total_milli();
  const bool any_gpu =
      std::any_of(pods.begin(), pods.end(), [](const TracePod& p) { return p.gpu_milli > 0; });
  if (total < target && any_gpu) {
    // Resampled copies go after the shuffled originals. The simulator's stop test compares the
    // candidate's per-device milli, not its total, so the end may pass the target by one pod.
    std::int64_t copies = 0;
    for (;;) {
      const std::size_t j = static_cast<std::size_t>(rng.uniform(pods.size()));
      if (total + pods[j].gpu_milli > target) break;
      order_.push_back(j);
      names_.push_back(pods[j].name + "-copy" + std::to_string(++copies));
      total += pods[j].gpu_total_milli();
    }
  } else if (total > target) {
    while (total > target && !order_.empty()) {
      const std::size_t k = static_cast<std::size_t>(rng.uniform(order_.size()));
      total -= pods[order_[k]].gpu_total_milli();
      order_.erase(order_.begin() + static_cast<std::ptrdiff_t>(k));
      names_.erase(names_.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
  recorded_.assign(order_.size(), 0);
}

PodId TraceReplay::create(std::size_t k) {
  Pod p;
  p.name = names_[k];
  p.namespace_ = kTraceNamespace;
  p.tmpl = template_for(data_.pods[order_[k]]);
  Cluster& c = sim_.cluster();
  const CreateResult r = c.create_pod(std::move(p));
  if (!r.ok()) {
    c.emit(ClusterEvent{0,
                        "FailedCreate",
                        "Pod",
                        std::string(kTraceNamespace) + "/" + names_[k],
                        {},
                        "Error creating: " + r.error,
                        true});
    return kNoPod;
  }
  index_of_.emplace(c.pod(r.id).key(), k);
  return r.id;
}

void TraceReplay::record(std::size_t k, bool scheduled) {
  if (recorded_[k]) return;
  recorded_[k] = 1;
  arrived_ += data_.pods[order_[k]].gpu_total_milli();
  if (scheduled) ++scheduled_;
  rows_.push_back(ArrivalRow{static_cast<std::int64_t>(k), arrived_, allocated_,
                             meter_->frag_milli(), scheduled});
}

void TraceReplay::run_packing() {
  Cluster& c = sim_.cluster();
  auto placer = sched::make_gpu_batch_placer(sim_.scheduler().nodes(), policy_, sim_.seed(),
                                             scorer_, typical_);
  std::vector<PodId> ids(order_.size(), kNoPod);
  for (std::size_t k = 0; k < order_.size(); ++k)
    ids[k] = create(k);
  // The whole queue is scored at once (pod storage is stable now that every pod exists).
  std::vector<const Pod*> queue;
  queue.reserve(order_.size());
  for (PodId id : ids) {
    if (id != kNoPod) queue.push_back(&c.pod(id));
  }
  placer->prime(queue);
  const std::string total_nodes = std::to_string(c.node_count());
  for (std::size_t k = 0; k < order_.size(); ++k) {
    if (ids[k] == kNoPod) {
      record(k, false);
      continue;
    }
    Pod& pod = c.pod(ids[k]);
    ++pod.status.scheduling_attempts;
    const sched::GpuBatchPlacer::Choice choice = placer->choose(pod, k);
    if (choice.ok) {
      const std::string& node_name = c.node(choice.node).name();
      c.emit(ClusterEvent{0, "Scheduled", "Pod", pod.key(), node_name,
                          "Successfully assigned " + pod.key() + " to " + node_name, false});
      c.bind(ids[k], choice.node, choice.devices);
    } else {
      c.emit(ClusterEvent{0,
                          "FailedScheduling",
                          "Pod",
                          pod.key(),
                          {},
                          "0/" + total_nodes + " nodes are available: no node fits the pod (" +
                              policy_ + " packing replay; each pod is tried once).",
                          true});
    }
    sim_.scheduler().count_batch_attempt(choice.ok);
    record(k, choice.ok);
  }
}

void TraceReplay::schedule_timed() {
  const auto& pods = data_.pods;
  order_.resize(pods.size());
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
    return *pods[a].creation_s < *pods[b].creation_s;
  });
  for (auto i : order_)
    names_.push_back(pods[i].name);
  recorded_.assign(order_.size(), 0);
  std::int64_t t0 = 0;
  if (!order_.empty()) t0 = *pods[order_.front()].creation_s;
  EventLoop& loop = sim_.loop();
  for (std::size_t k = 0; k < order_.size(); ++k) {
    const TracePod& p = pods[order_[k]];
    const TimeMs created = (*p.creation_s - t0) * 1000;
    const TimeMs deleted = (*p.deletion_s - t0) * 1000;
    loop.at(created, EventPriority::kApi, [this, k] {
      if (create(k) == kNoPod) record(k, false);
    });
    loop.at(deleted, EventPriority::kApi, [this, k] {
      Cluster& c = sim_.cluster();
      const PodId id = c.find_pod(kTraceNamespace, names_[k]);
      if (id != kNoPod) c.request_deletion(id, 0);
    });
  }
}

void TraceReplay::on_pod_bound(PodId id) {
  const Pod& p = sim_.cluster().pod(id);
  if (p.namespace_ != kTraceNamespace) return;
  if (bound_.size() <= id) bound_.resize(id + 1, 0);
  bound_[id] = 1;
  allocated_ += p.resources().gpu.total_milli();
  // Recorded at the binding, not at its Scheduled event (emitted just before it), so that the
  // row's allocation and fragmentation include the pod.
  if (spec_.mode != "timed") return;
  auto it = index_of_.find(p.key());
  if (it != index_of_.end()) record(it->second, true);
}

void TraceReplay::on_pod_released(PodId id, NodeId) {
  if (id >= bound_.size() || !bound_[id]) return;
  bound_[id] = 0;
  allocated_ -= sim_.cluster().pod(id).resources().gpu.total_milli();
}

void TraceReplay::on_pod_deleted(PodId id) {
  if (spec_.mode != "timed") return;
  const Pod& p = sim_.cluster().pod(id);
  if (p.namespace_ != kTraceNamespace) return;
  auto it = index_of_.find(p.key());
  if (it != index_of_.end()) record(it->second, false);  // deleted before any attempt
}

void TraceReplay::on_event(const ClusterEvent& e) {
  if (spec_.mode != "timed" || e.kind != "Pod" || e.type != "FailedScheduling") return;
  auto it = index_of_.find(e.object);
  if (it != index_of_.end()) record(it->second, false);
}

void TraceReplay::add_summary(nlohmann::ordered_json& s) const {
  s["gpu"] = {{"capacity_milli", capacity_milli_},
              {"allocated_milli_final", allocated_},
              {"frag_milli_final", meter_->frag_milli()}};
  const std::vector<double> un =
      unallocated_at(parse_arrival_csv(arrival_csv(rows_, capacity_milli_)), kReportedArrivalPcts);
  nlohmann::ordered_json at = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < un.size(); ++i) {
    // Four decimals, like arrival.csv; null where the curve never got there.
    at[std::to_string(kReportedArrivalPcts[i])] =
        std::isnan(un[i]) ? nlohmann::ordered_json(nullptr)
                          : nlohmann::ordered_json(std::round(un[i] * 1e4) / 1e4);
  }
  s["trace"] = {{"format", spec_.format},
                {"mode", spec_.mode},
                {"policy", policy_},
                {"nodes", data_.nodes.size()},
                {"pods", rows_.size()},
                {"scheduled", scheduled_},
                {"unscheduled", static_cast<std::int64_t>(rows_.size()) - scheduled_},
                {"arrived_gpu_milli", arrived_},
                {"unallocated_pct_at_arrival", at}};
}

void TraceReplay::write(const StagedDirectory& dir) const {
  dir.write("arrival.csv", arrival_csv(rows_, capacity_milli_));
}

}  // namespace gpusim::engine
