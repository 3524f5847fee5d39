// Property tests on random clusters and workloads (rapidcheck): whatever the scheduler decides,
// no node is over allocatable, no GPU device is double-booked (shares add up to at most one
// device), every bound pod satisfies its nodeSelector, node affinity, taints and GPU model; and
// a rerun with the same seed writes byte-identical outputs. The oracle is the generator's own
// description of each node and pod, not the scheduler's plugins.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "engine/simulation.hpp"
#include "scenario/loader.hpp"
#include "scenario/openb_trace.hpp"

namespace gpusim {
namespace {

struct GenNode {
  std::string name;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  std::int32_t gpus = 0;
  std::string model;  // empty: no model label
  std::string zone;
  std::string tier;
  bool tainted = false;  // dedicated=ml:NoSchedule
};

struct GenPod {
  std::string name;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  std::int32_t gpu_count = 0;
  std::int32_t gpu_milli = 0;  // 0: whole devices; 1..999: a share of one device
  std::string model;           // gpusim.io/gpu-model, empty: any
  std::string tier;            // nodeSelector tier=..., empty: none
  std::string zone;            // required node affinity zone In [..], empty: none
  bool tolerates = false;
};

const std::vector<std::string> kModels = {"", "A100", "H100"};
const std::vector<std::string> kZones = {"zone-a", "zone-b"};
const std::vector<std::string> kTiers = {"gold", "silver"};

rc::Gen<GenNode> gen_node() {
  return rc::gen::apply(
      [](int cores, int mem_gib, int gpus, int model, int zone, int tier, bool tainted) {
        GenNode n;
        n.cpu_milli = cores * 1000;
        n.memory_mib = mem_gib * 1024;
        n.gpus = model == 0 ? 0 : gpus;
        n.model = n.gpus == 0 ? "" : kModels[static_cast<std::size_t>(model)];
        n.zone = kZones[static_cast<std::size_t>(zone)];
        n.tier = kTiers[static_cast<std::size_t>(tier)];
        n.tainted = tainted;
        return n;
      },
      rc::gen::inRange(2, 17), rc::gen::inRange(4, 65), rc::gen::inRange(1, 5),
      rc::gen::inRange(0, 3), rc::gen::inRange(0, 2), rc::gen::inRange(0, 2),
      rc::gen::arbitrary<bool>());
}

rc::Gen<GenPod> gen_pod() {
  return rc::gen::apply(
      [](int cpu, int mem, int gpu_kind, int count, int milli, int model, int tier, int zone,
         bool tolerates) {
        GenPod p;
        p.cpu_milli = cpu;
        p.memory_mib = mem;
        if (gpu_kind == 1) p.gpu_count = count;
        if (gpu_kind == 2) {
          p.gpu_count = 1;
          p.gpu_milli = milli;
        }
        if (p.gpu_count > 0 && model > 0) p.model = kModels[static_cast<std::size_t>(model)];
        if (tier > 0) p.tier = kTiers[static_cast<std::size_t>(tier - 1)];
        if (zone > 0) p.zone = kZones[static_cast<std::size_t>(zone - 1)];
        p.tolerates = tolerates;
        return p;
      },
      rc::gen::inRange(100, 6001), rc::gen::inRange(128, 16385), rc::gen::inRange(0, 3),
      rc::gen::inRange(1, 3), rc::gen::inRange(100, 1000), rc::gen::inRange(0, 3),
      rc::gen::inRange(0, 3), rc::gen::inRange(0, 3), rc::gen::arbitrary<bool>());
}

struct GenCluster {
  std::vector<GenNode> nodes;
  std::vector<GenPod> pods;
};

GenCluster gen_cluster() {
  GenCluster c;
  c.nodes =
      *rc::gen::resize(6, rc::gen::nonEmpty(rc::gen::container<std::vector<GenNode>>(gen_node())));
  c.pods =
      *rc::gen::resize(30, rc::gen::nonEmpty(rc::gen::container<std::vector<GenPod>>(gen_pod())));
  for (std::size_t i = 0; i < c.nodes.size(); ++i)
    c.nodes[i].name = "node-" + std::to_string(i);
  for (std::size_t i = 0; i < c.pods.size(); ++i)
    c.pods[i].name = "pod-" + std::to_string(i);
  return c;
}

std::string manifests(const GenCluster& c, const std::string& policy) {
  std::ostringstream y;
  y << "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: prop}\nspec:\n"
    << "  seed: 7\n  duration: 10m\n  tieBreak: random\n";
  if (!policy.empty()) y << "  policy: " << policy << "\n";
  for (const GenNode& n : c.nodes) {
    y << "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: " << n.name << "\n  labels:\n"
      << "    topology.kubernetes.io/zone: " << n.zone << "\n    tier: " << n.tier << "\n";
    if (!n.model.empty()) y << "    nvidia.com/gpu.product: " << n.model << "\n";
    if (n.tainted) y << "spec:\n  taints: [{key: dedicated, value: ml, effect: NoSchedule}]\n";
    y << "status:\n  capacity:\n    cpu: " << n.cpu_milli << "m\n    memory: " << n.memory_mib
      << "Mi\n    pods: \"110\"\n";
    if (n.gpus > 0) y << "    nvidia.com/gpu: \"" << n.gpus << "\"\n";
  }
  for (const GenPod& p : c.pods) {
    y << "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: " << p.name << "\n";
    if (p.gpu_milli > 0 || !p.model.empty()) {
      y << "  annotations:\n";
      if (p.gpu_milli > 0) y << "    gpusim.io/gpu-milli: \"" << p.gpu_milli << "\"\n";
      if (!p.model.empty()) y << "    gpusim.io/gpu-model: " << p.model << "\n";
    }
    y << "spec:\n";
    if (!p.tier.empty()) y << "  nodeSelector: {tier: " << p.tier << "}\n";
    if (!p.zone.empty())
      y << "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n"
        << "        nodeSelectorTerms:\n        - matchExpressions:\n"
        << "          - {key: topology.kubernetes.io/zone, operator: In, values: [" << p.zone
        << "]}\n";
    if (p.tolerates)
      y << "  tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}]\n";
    y << "  containers:\n  - name: main\n    image: trainer\n    resources:\n      requests: {cpu: "
      << p.cpu_milli << "m, memory: " << p.memory_mib << "Mi}\n";
    if (p.gpu_count > 0) y << "      limits: {nvidia.com/gpu: \"" << p.gpu_count << "\"}\n";
  }
  return y.str();
}

class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("gpusim-property-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

// The violations of the properties in the cluster's current state ("" when none).
std::string violations(const Cluster& cluster, const GenCluster& c) {
  std::map<std::string, const GenNode*> node_by_name;
  for (const GenNode& n : c.nodes)
    node_by_name[n.name] = &n;
  std::map<std::string, const GenPod*> pod_by_name;
  for (const GenPod& p : c.pods)
    pod_by_name[p.name] = &p;

  struct Use {
    std::int64_t cpu_milli = 0, memory_mib = 0;
    std::map<std::int32_t, std::vector<const GenPod*>> devices;
  };
  std::map<std::string, Use> use;
  std::ostringstream out;
  cluster.for_each_pod([&](PodId, const Pod& pod) {
    if (pod.status.node == kNoNode) return;
    if (pod.status.phase == PodPhase::kSucceeded || pod.status.phase == PodPhase::kFailed) return;
    const std::string node_name = cluster.node(pod.status.node).meta.name;
    const GenNode& n = *node_by_name.at(node_name);
    const GenPod& p = *pod_by_name.at(pod.name);
    Use& u = use[node_name];
    u.cpu_milli += p.cpu_milli;
    u.memory_mib += p.memory_mib;
    if (!p.tier.empty() && p.tier != n.tier)
      out << p.name << " on " << n.name << ": nodeSelector\n";
    if (!p.zone.empty() && p.zone != n.zone) out << p.name << " on " << n.name << ": affinity\n";
    if (n.tainted && !p.tolerates) out << p.name << " on " << n.name << ": taint\n";
    if (!p.model.empty() && p.model != n.model) out << p.name << " on " << n.name << ": model\n";
    if (static_cast<std::int32_t>(pod.status.gpu_devices.size()) != p.gpu_count)
      out << p.name << ": holds " << pod.status.gpu_devices.size() << " devices, wants "
          << p.gpu_count << "\n";
    for (std::int32_t d : pod.status.gpu_devices) {
      if (d < 0 || d >= n.gpus) out << p.name << ": device " << d << " not on " << n.name << "\n";
      u.devices[d].push_back(&p);
    }
  });
  for (const auto& [name, u] : use) {
    const GenNode& n = *node_by_name.at(name);
    if (u.cpu_milli > n.cpu_milli)
      out << name << ": cpu " << u.cpu_milli << "m > " << n.cpu_milli << "m\n";
    if (u.memory_mib > n.memory_mib) out << name << ": memory over allocatable\n";
    for (const auto& [device, holders] : u.devices) {
      std::int32_t milli = 0;
      for (const GenPod* p : holders)
        milli += p->gpu_milli == 0 ? 1000 : p->gpu_milli;
      if (milli > 1000) out << name << " gpu " << device << ": " << milli << " milli booked\n";
    }
  }
  return out.str();
}

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RC_GTEST_PROP(SchedulingProperties, BoundPodsRespectCapacityDevicesAndConstraints, ()) {
  const GenCluster c = gen_cluster();
  const std::string policy =
      *rc::gen::element<std::string>("", "BestFit", "FGD", "GpuPacking", "Random");
  ScratchDir dir;
  const engine::Scenario s = scenario::load_scenario({dir.write("in.yaml", manifests(c, policy))});
  engine::Simulation sim(s, engine::RunOptions{});
  std::string first;  // the first violation seen after any event
  std::uint64_t events = 0;
  sim.loop().set_after_event([&] {
    ++events;
    if (first.empty()) first = violations(sim.cluster(), c);
  });
  sim.run();
  RC_ASSERT(events > 0u);
  RC_ASSERT(first == std::string());
  RC_ASSERT(violations(sim.cluster(), c) == std::string());
  // Shows (in the test output) that most cases bind pods, so the checks above are not vacuous.
  std::size_t bound = 0;
  sim.cluster().for_each_pod(
      [&](PodId, const Pod& pod) { bound += pod.status.node != kNoNode ? 1 : 0; });
  RC_CLASSIFY(bound > 0, "some pods bound");
}

RC_GTEST_PROP(SchedulingProperties, SameSeedRerunIsByteIdentical, ()) {
  const GenCluster c = gen_cluster();
  ScratchDir dir;
  // An openb trace replay too, for arrival.csv.
  std::ostringstream node_csv, pod_csv;
  node_csv << "sn,cpu_milli,memory_mib,gpu,model\n";
  for (const GenNode& n : c.nodes)
    node_csv << n.name << "," << n.cpu_milli << "," << n.memory_mib << "," << n.gpus << ","
             << (n.gpus > 0 ? (n.model.empty() ? "A100" : n.model) : "") << "\n";
  pod_csv << "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n";
  for (const GenPod& p : c.pods)
    pod_csv << p.name << "," << p.cpu_milli << "," << p.memory_mib << "," << p.gpu_count << ","
            << (p.gpu_count == 0 ? 0 : (p.gpu_milli == 0 ? 1000 : p.gpu_milli)) << "\n";
  dir.write("nodes.csv", node_csv.str());
  dir.write("pods.csv", pod_csv.str());
  const std::string policy =
      *rc::gen::element<std::string>("BestFit", "FGD", "Random", "DotProduct");
  const std::string trace =
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: replay}\nspec:\n"
      "  seed: 11\n  policy: " +
      policy + "\n  trace: {format: openb, nodes: nodes.csv, pods: pods.csv, mode: packing}\n";
  const std::uint64_t seed = *rc::gen::inRange<std::uint64_t>(0, 1000);
  for (const std::string& text : {manifests(c, policy), trace}) {
    engine::Scenario s = scenario::load_scenario({dir.write("in.yaml", text)});
    scenario::attach_trace_data(s);  // the trace's CSVs, as `gpusim run` reads them
    std::map<std::string, std::string> runs[2];
    for (int r = 0; r < 2; ++r) {
      engine::RunOptions options;
      options.seed = seed;
      options.reproducible = true;
      engine::Simulation sim(s, options);
      sim.run();
      const auto out = dir.path() / ("out" + std::to_string(r));
      StagedDirectory staged(out);
      sim.write_outputs(staged);
      staged.commit();
      for (const char* name : {"summary.json", "events.jsonl", "arrival.csv", "pods.csv"}) {
        if (std::filesystem::exists(out / name)) runs[r][name] = read_all(out / name);
      }
    }
    RC_ASSERT(runs[0].count("summary.json") == 1u);
    RC_ASSERT(runs[0] == runs[1]);
  }
}

}  // namespace
}  // namespace gpusim
