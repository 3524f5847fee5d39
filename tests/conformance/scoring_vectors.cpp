// Handlers for scoring.yaml: kube-scheduler filter and score vectors. Each handler builds a
// small Cluster and the scheduler's NodeTable from the vector and calls the plugins the
// simulator runs (sim/scheduler/plugins), never a re-implementation of their formulas.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "core/event_loop.hpp"
#include "core/quantity.hpp"
#include "core/rng.hpp"
#include "model/cluster.hpp"
#include "model/pod_resources.hpp"
#include "model_fields.hpp"
#include "scheduler/framework.hpp"
#include "scheduler/node_table.hpp"
#include "scheduler/plugins/balanced_allocation.hpp"
#include "scheduler/plugins/node_affinity.hpp"
#include "scheduler/plugins/node_resources_fit.hpp"
#include "scheduler/plugins/score_helpers.hpp"
#include "scheduler/plugins/taint_toleration.hpp"

namespace gpusim::conformance {
namespace {

using sched::CycleState;
using sched::NodeIndex;
using sched::PodInfo;

std::vector<Container> containers(const YAML::Node& list, const std::string& what) {
  std::vector<Container> out;
  if (!list.IsDefined() || list.IsNull()) return out;
  if (!list.IsSequence()) throw VectorError(what + " must be a list of containers");
  for (std::size_t i = 0; i < list.size(); ++i) {
    Container c;
    c.name = what + "-" + std::to_string(i);
    c.resources.requests = resource_list(list[i], what + "[" + std::to_string(i) + "]");
    // Extended resources need request == limit (k8s-semantics.md 2.4).
    for (const auto& [name, q] : c.resources.requests) {
      if (!is_native_resource(name)) c.resources.limits[name] = q;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Taint> taints(const YAML::Node& list) {
  std::vector<Taint> out;
  if (!list.IsDefined() || list.IsNull()) return out;
  for (const auto& t : list) {
    check_keys(t, {"key", "value", "effect"});
    Taint taint;
    taint.key = string_field(t, "key");
    taint.value = has_field(t, "value") ? string_field(t, "value") : "";
    taint.effect = effect_of(t);
    out.push_back(std::move(taint));
  }
  return out;
}

std::vector<Toleration> tolerations(const YAML::Node& list) {
  std::vector<Toleration> out;
  if (!list.IsDefined() || list.IsNull()) return out;
  for (const auto& t : list) {
    check_keys(t, {"key", "operator", "value", "effect"});
    Toleration tol;
    tol.key = has_field(t, "key") ? string_field(t, "key") : "";
    const std::string op = has_field(t, "operator") ? string_field(t, "operator") : "Equal";
    if (op == "Equal" || op.empty()) {
      tol.op = TolerationOperator::kEqual;
    } else if (op == "Exists") {
      tol.op = TolerationOperator::kExists;
    } else if (op == "Gt") {
      tol.op = TolerationOperator::kGt;
    } else if (op == "Lt") {
      tol.op = TolerationOperator::kLt;
    } else {
      throw VectorError("unknown toleration operator '" + op + "'");
    }
    tol.value = has_field(t, "value") ? string_field(t, "value") : "";
    tol.effect = effect_of(t);
    out.push_back(std::move(tol));
  }
  return out;
}

std::vector<SelectorRequirement> requirements(const YAML::Node& list) {
  std::vector<SelectorRequirement> out;
  if (!list.IsDefined() || list.IsNull()) return out;
  for (const auto& r : list) {
    check_keys(r, {"key", "operator", "values"});
    SelectorRequirement req;
    req.key = string_field(r, "key");
    const std::string op = string_field(r, "operator");
    if (op == "In") {
      req.op = SelectorOperator::kIn;
    } else if (op == "NotIn") {
      req.op = SelectorOperator::kNotIn;
    } else if (op == "Exists") {
      req.op = SelectorOperator::kExists;
    } else if (op == "DoesNotExist") {
      req.op = SelectorOperator::kDoesNotExist;
    } else if (op == "Gt") {
      req.op = SelectorOperator::kGt;
    } else if (op == "Lt") {
      req.op = SelectorOperator::kLt;
    } else {
      throw VectorError("unknown operator '" + op + "'");
    }
    if (has_field(r, "values")) {
      for (const auto& v : field(r, "values"))
        req.values.push_back(v.as<std::string>());
    }
    out.push_back(std::move(req));
  }
  return out;
}

NodeSelectorTerm selector_term(const YAML::Node& t) {
  NodeSelectorTerm term;
  term.match_expressions = requirements(t["match_expressions"]);
  term.match_fields = requirements(t["match_fields"]);
  return term;
}

Labels labels(const YAML::Node& map) {
  Labels out;
  if (!map.IsDefined() || map.IsNull()) return out;
  for (const auto& e : map)
    out[e.first.as<std::string>()] = e.second.as<std::string>();
  return out;
}

// Requirements as pluginConfig args write them (camelCase JSON).
nlohmann::json requirements_json(const YAML::Node& list) {
  nlohmann::json out = nlohmann::json::array();
  if (!list.IsDefined() || list.IsNull()) return out;
  for (const auto& r : list) {
    nlohmann::json j = {{"key", string_field(r, "key")}, {"operator", string_field(r, "operator")}};
    if (has_field(r, "values")) {
      j["values"] = nlohmann::json::array();
      for (const auto& v : field(r, "values"))
        j["values"].push_back(v.as<std::string>());
    }
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json resources_json(const YAML::Node& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : list) {
    check_keys(r, {"name", "weight"});
    out.push_back({{"name", string_field(r, "name")}, {"weight", int_field(r, "weight")}});
  }
  return out;
}

// A cluster, its node table and the handle plugins see; nodes and pods are added first, then
// table() builds the node table from the cluster as it is.
class Bench : public sched::FrameworkHandle {
 public:
  Bench() : cluster_(loop_, 1) {}

  NodeId add_node(const std::string& name, ResourceQuantities allocatable, Labels node_labels = {},
                  std::vector<Taint> node_taints = {}) {
    Node n;
    n.meta.name = name;
    n.meta.labels = std::move(node_labels);
    n.capacity = allocatable;
    n.allocatable = std::move(allocatable);
    n.taints = std::move(node_taints);
    return cluster_.add_node(std::move(n));
  }

  PodId add_pod(PodTemplate t) {
    Pod p;
    p.name = "pod-" + std::to_string(next_pod_++);
    p.namespace_ = "default";
    p.tmpl = make_template(std::move(t));
    const CreateResult r = cluster_.create_pod(std::move(p));
    if (!r.ok()) throw VectorError("could not create a pod: " + r.error);
    return r.id;
  }

  void bind(PodId id, NodeId node) {
    std::vector<std::int32_t> devices;
    const auto& gpu = cluster_.pod(id).resources().gpu;
    const Node& n = cluster_.node(node);
    std::vector<std::int32_t> free;
    for (const auto& g : n.gpus)
      free.push_back(g.free_milli());
    if (!sched::default_select_gpus(gpu, free.data(), static_cast<std::int32_t>(free.size()),
                                    devices)) {
      throw VectorError("existing pod's GPUs do not fit on node " + n.name());
    }
    cluster_.bind(id, node, devices);
  }

  // Nodes from a vector: [{name, allocatable, pods: [{containers}], labels, taints}].
  void add_nodes(const YAML::Node& list) {
    for (const auto& n : list) {
      check_keys(n, {"name", "allocatable", "pods", "labels", "taints"});
      const NodeId id =
          add_node(string_field(n, "name"), resource_list(n["allocatable"], "allocatable"),
                   labels(n["labels"]), taints(n["taints"]));
      names_.push_back(string_field(n, "name"));
      if (!n["pods"].IsDefined()) continue;
      for (const auto& p : n["pods"]) {
        check_keys(p, {"containers"});
        PodTemplate t;
        t.spec.containers = containers(field(p, "containers"), "pods.containers");
        bind(add_pod(std::move(t)), id);
      }
    }
  }

  sched::NodeTable& table() {
    if (!table_) table_ = std::make_unique<sched::NodeTable>(cluster_);
    return *table_;
  }

  // The framework's own mapping of a pod's requests onto table dimensions.
  PodInfo pod_info(PodId id) {
    sched::ProfileSpec spec;
    spec.plugins["multiPoint"].disabled = {"*"};
    sched::Framework fw(spec, sched::SchedulerConfig{}, *this);
    return fw.pod_info(id);
  }

  std::vector<NodeIndex> all_nodes() {
    std::vector<NodeIndex> out;
    for (NodeIndex n = 0; n < table().size(); ++n) {
      if (table().live(n)) out.push_back(n);
    }
    return out;
  }

  const std::vector<std::string>& names() const { return names_; }

  // FrameworkHandle
  const sched::NodeTable& nodes() const override { return *table_; }
  const Cluster& cluster() const override { return cluster_; }
  sched::ReasonTable& reasons() override { return reasons_; }
  Rng& rng() override { return rng_; }
  std::uint64_t seed() const override { return 1; }
  sched::NodeTable& what_if_nodes() override { return table(); }

 private:
  EventLoop loop_;
  Cluster cluster_;
  std::unique_ptr<sched::NodeTable> table_;
  sched::ReasonTable reasons_;
  Rng rng_{1};
  int next_pod_ = 0;
  std::vector<std::string> names_;
};

PodTemplate pod_template(const YAML::Node& pod) {
  check_keys(pod, {"containers", "init_containers"});
  PodTemplate t;
  t.spec.containers = containers(pod["containers"], "pod.containers");
  t.spec.init_containers = containers(pod["init_containers"], "pod.init_containers");
  return t;
}

// Runs a score plugin over every node of the bench; nullopt when PreScore skips.
std::optional<std::vector<std::int64_t>> run_score(Bench& b, sched::ScorePlugin& plugin, PodId pod,
                                                   bool normalize) {
  plugin.set_slot(0);
  CycleState state(1);
  b.table();
  const PodInfo info = b.pod_info(pod);
  const std::vector<NodeIndex> nodes = b.all_nodes();
  std::vector<std::int64_t> scores(nodes.size(), 0);
  if (plugin.pre_score(state, info, nodes).code == sched::Code::kSkip) return std::nullopt;
  plugin.score(state, info, nodes, scores);
  if (normalize && plugin.has_normalize()) plugin.normalize(state, info, scores);
  return scores;
}

void expect_scores(const Bench& b, const std::vector<std::int64_t>& got, const YAML::Node& expect) {
  const YAML::Node want = field(expect, "scores");
  ASSERT_EQ(want.size(), got.size()) << "expected a score for every node";
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::string& name = b.names()[i];
    EXPECT_EQ(got[i], int_field(want, name)) << "node " << name;
  }
}

// least_allocated / most_allocated / requested_to_capacity_ratio: NodeResourcesFit's Score with
// the strategy configured through pluginConfig args.
void check_fit_score(const char* type, const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"resources", "shape", "pod", "nodes"});
  check_keys(expect, {"scores"});
  nlohmann::json strategy = {{"type", type},
                             {"resources", resources_json(field(input, "resources"))}};
  if (has_field(input, "shape")) {
    nlohmann::json shape = nlohmann::json::array();
    for (const auto& p : field(input, "shape")) {
      check_keys(p, {"utilization", "score"});
      shape.push_back(
          {{"utilization", int_field(p, "utilization")}, {"score", int_field(p, "score")}});
    }
    strategy["requestedToCapacityRatio"] = {{"shape", shape}};
  }
  Bench b;
  b.add_nodes(field(input, "nodes"));
  const PodId pod = b.add_pod(pod_template(field(input, "pod")));
  b.table();
  sched::NodeResourcesFitPlugin plugin(nlohmann::json{{"scoringStrategy", strategy}}, b);
  const auto scores = run_score(b, plugin, pod, /*normalize=*/false);
  ASSERT_TRUE(scores.has_value()) << "NodeResourcesFit skipped scoring";
  expect_scores(b, *scores, expect);
}

void check_least_allocated(const YAML::Node& in, const YAML::Node& ex) {
  check_fit_score("LeastAllocated", in, ex);
}
void check_most_allocated(const YAML::Node& in, const YAML::Node& ex) {
  check_fit_score("MostAllocated", in, ex);
}
void check_rtcr(const YAML::Node& in, const YAML::Node& ex) {
  check_fit_score("RequestedToCapacityRatio", in, ex);
}

void check_broken_linear(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"points", "at"});
  check_keys(expect, {"values"});
  std::vector<sched::ShapePoint> shape;
  for (const auto& p : field(input, "points")) {
    shape.push_back({p[0].as<std::int64_t>(), p[1].as<std::int64_t>()});
  }
  const YAML::Node at = field(input, "at");
  const YAML::Node want = field(expect, "values");
  ASSERT_EQ(at.size(), want.size());
  for (std::size_t i = 0; i < at.size(); ++i) {
    const auto p = at[i].as<std::int64_t>();
    EXPECT_EQ(sched::broken_linear(shape, p), want[i].as<std::int64_t>()) << "at " << p;
  }
}

void check_balanced(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"resources", "pod", "nodes"});
  check_keys(expect, {"scores", "skipped"});
  Bench b;
  b.add_nodes(field(input, "nodes"));
  const PodId pod = b.add_pod(pod_template(field(input, "pod")));
  b.table();
  sched::BalancedAllocationPlugin plugin(
      nlohmann::json{{"resources", resources_json(field(input, "resources"))}}, b);
  const auto scores = run_score(b, plugin, pod, /*normalize=*/false);
  const bool want_skip = has_field(expect, "skipped") && bool_field(expect, "skipped");
  EXPECT_EQ(!scores.has_value(), want_skip) << "PreScore Skip";
  if (scores && has_field(expect, "scores")) expect_scores(b, *scores, expect);
}

void check_normalize(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"reverse", "scores"});
  check_keys(expect, {"scores"});
  std::vector<std::int64_t> scores;
  for (const auto& s : field(input, "scores"))
    scores.push_back(s.as<std::int64_t>());
  sched::default_normalize_score(scores, bool_field(input, "reverse"));
  const YAML::Node want = field(expect, "scores");
  ASSERT_EQ(want.size(), scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i)
    EXPECT_EQ(scores[i], want[i].as<std::int64_t>()) << i;
}

PodId add_pod_with(Bench& b, std::vector<Toleration> tols) {
  PodTemplate t;
  t.spec.containers.push_back(Container{});
  t.spec.tolerations = std::move(tols);
  return b.add_pod(std::move(t));
}

void check_taint_score(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"tolerations", "nodes"});
  check_keys(expect, {"scores"});
  Bench b;
  b.add_nodes(field(input, "nodes"));
  const PodId pod = add_pod_with(b, tolerations(field(input, "tolerations")));
  b.table();
  sched::TaintTolerationPlugin plugin(b);
  const auto scores = run_score(b, plugin, pod, /*normalize=*/true);
  ASSERT_TRUE(scores.has_value());
  expect_scores(b, *scores, expect);
}

// Runs PreFilter + Filter of `plugin` for the bench's only pod over every node. Returns the
// reasons per node (empty = fits).
std::vector<std::vector<std::string>> run_filter(Bench& b, sched::PreFilterPlugin* pre,
                                                 sched::FilterPlugin& plugin, PodId pod) {
  plugin.set_slot(0);
  CycleState state(1);
  const PodInfo info = b.pod_info(pod);
  std::vector<NodeIndex> nodes = b.all_nodes();
  std::vector<std::vector<std::string>> reasons(nodes.size());
  if (pre) {
    const sched::Status s = pre->pre_filter(state, info);
    if (s.code == sched::Code::kSkip) return reasons;  // Filter does not run: every node fits
    if (!s.success()) {
      for (auto& r : reasons)
        r.push_back(s.message);
      return reasons;
    }
  }
  sched::Rejections out;
  plugin.filter(state, info, nodes, out);
  for (const auto& r : out.items())
    reasons[r.node].push_back(b.reasons().text(r.reason));
  return reasons;
}

void check_taint_filter(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"tolerations", "taints", "feature_gates"});
  check_keys(expect, {"fits"});
  sched::TaintTolerationPlugin::Options options;
  if (has_field(input, "feature_gates")) {
    const YAML::Node gates = field(input, "feature_gates");
    check_keys(gates, {"TaintTolerationComparisonOperators"});
    options.comparison_operators = bool_field(gates, "TaintTolerationComparisonOperators");
  }
  Bench b;
  b.add_node("node1", {}, {}, taints(field(input, "taints")));
  const PodId pod = add_pod_with(b, tolerations(field(input, "tolerations")));
  b.table();
  sched::TaintTolerationPlugin plugin(b, options);
  const auto reasons = run_filter(b, &plugin, plugin, pod);
  EXPECT_EQ(reasons[0].empty(), bool_field(expect, "fits"));
}

void check_node_affinity_filter(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"pod", "node"});
  check_keys(expect, {"fits"});
  const YAML::Node pod = field(input, "pod");
  check_keys(pod, {"node_selector", "required"});
  const YAML::Node node = field(input, "node");
  check_keys(node, {"name", "labels"});
  Bench b;
  b.add_node(string_field(node, "name"), {}, labels(node["labels"]));
  PodTemplate t;
  t.spec.containers.push_back(Container{});
  t.spec.node_selector = labels(pod["node_selector"]);
  if (has_field(pod, "required")) {
    NodeAffinity na;
    na.required.emplace();
    for (const auto& term : field(pod, "required")) {
      check_keys(term, {"match_expressions", "match_fields"});
      na.required->push_back(selector_term(term));
    }
    t.spec.affinity.node_affinity = std::move(na);
  }
  const PodId id = b.add_pod(std::move(t));
  b.table();
  sched::NodeAffinityPlugin plugin(nlohmann::json::object(), b);
  const auto reasons = run_filter(b, &plugin, plugin, id);
  EXPECT_EQ(reasons[0].empty(), bool_field(expect, "fits"));
}

void check_node_affinity_score(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"preferred", "added_preferred", "nodes"});
  check_keys(expect, {"scores"});
  Bench b;
  b.add_nodes(field(input, "nodes"));
  PodTemplate t;
  t.spec.containers.push_back(Container{});
  NodeAffinity na;
  for (const auto& p : field(input, "preferred")) {
    check_keys(p, {"weight", "match_expressions", "match_fields"});
    na.preferred.push_back(PreferredSchedulingTerm{
        static_cast<std::int32_t>(int_field(p, "weight")), selector_term(p)});
  }
  t.spec.affinity.node_affinity = std::move(na);
  const PodId id = b.add_pod(std::move(t));
  b.table();
  nlohmann::json args = nlohmann::json::object();
  if (has_field(input, "added_preferred")) {
    nlohmann::json terms = nlohmann::json::array();
    for (const auto& p : field(input, "added_preferred")) {
      check_keys(p, {"weight", "match_expressions", "match_fields"});
      nlohmann::json pref = nlohmann::json::object();
      if (has_field(p, "match_expressions"))
        pref["matchExpressions"] = requirements_json(p["match_expressions"]);
      if (has_field(p, "match_fields")) pref["matchFields"] = requirements_json(p["match_fields"]);
      terms.push_back({{"weight", int_field(p, "weight")}, {"preference", pref}});
    }
    args["addedAffinity"] = {{"preferredDuringSchedulingIgnoredDuringExecution", terms}};
  }
  sched::NodeAffinityPlugin plugin(args, b);
  const auto scores = run_score(b, plugin, id, /*normalize=*/true);
  if (!scores) {
    // PreScore skipped: the plugin contributes 0 everywhere.
    expect_scores(b, std::vector<std::int64_t>(b.names().size(), 0), expect);
    return;
  }
  expect_scores(b, *scores, expect);
}

// fit_filter: one node (allocatable cpu 10m, memory 20, pods 32, example.com/aaa 5 unless the
// vector gives node_allocatable) holding pods that use node_used.
void check_fit_filter(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"pod", "node_used", "node_allocatable", "node_pod_count"});
  check_keys(expect, {"fits", "reasons"});
  ResourceQuantities alloc;
  if (has_field(input, "node_allocatable")) {
    alloc = resource_list(field(input, "node_allocatable"), "node_allocatable");
  } else {
    alloc = {{"cpu", *Quantity::parse("10m")},
             {"memory", *Quantity::parse("20")},
             {"pods", *Quantity::parse("32")},
             {"example.com/aaa", *Quantity::parse("5")}};
  }
  Bench b;
  const NodeId node = b.add_node("node1", alloc);
  const ResourceQuantities used = resource_list(field(input, "node_used"), "node_used");
  const std::int64_t count = has_field(input, "node_pod_count") ? int_field(input, "node_pod_count")
                                                                : (used.empty() ? 0 : 1);
  if (!used.empty() && count < 1) throw VectorError("node_used needs at least one pod on the node");
  for (std::int64_t i = 0; i < count; ++i) {
    PodTemplate t;
    Container c;
    if (i == 0) {
      c.resources.requests = used;
      for (const auto& [name, q] : used) {
        if (!is_native_resource(name)) c.resources.limits[name] = q;
      }
    }
    t.spec.containers.push_back(std::move(c));
    b.bind(b.add_pod(std::move(t)), node);
  }
  const PodId pod = b.add_pod(pod_template(field(input, "pod")));
  b.table();
  sched::NodeResourcesFitPlugin plugin(nlohmann::json::object(), b);
  const auto reasons = run_filter(b, &plugin, plugin, pod);
  EXPECT_EQ(reasons[0].empty(), bool_field(expect, "fits"));
  if (has_field(expect, "reasons")) {
    std::vector<std::string> want;
    for (const auto& r : field(expect, "reasons"))
      want.push_back(r.as<std::string>());
    EXPECT_EQ(reasons[0], want);
  }
}

// total_score: the default profile's score plugins and weights, applied to the given
// per-plugin scores the way the framework sums them.
void check_total_score(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"plugin_scores"});
  check_keys(expect, {"total"});
  Bench b;
  b.add_node("node1", {});
  b.table();
  sched::Framework fw(sched::ProfileSpec{}, sched::SchedulerConfig{}, b);
  const YAML::Node scores = field(input, "plugin_scores");
  std::int64_t total = 0;
  std::size_t used = 0;
  for (const auto& [name, weight] : fw.score_names()) {
    ASSERT_TRUE(has_field(scores, name)) << "no score given for default score plugin " << name;
    total += int_field(scores, name) * weight;
    ++used;
  }
  EXPECT_EQ(used, scores.size()) << "the vector scores plugins the default profile does not have";
  EXPECT_EQ(total, int_field(expect, "total"));
}

}  // namespace

void register_scoring_handlers(HandlerRegistry& registry) {
  registry.add("least_allocated", check_least_allocated);
  registry.add("most_allocated", check_most_allocated);
  registry.add("requested_to_capacity_ratio", check_rtcr);
  registry.add("broken_linear", check_broken_linear);
  registry.add("balanced_allocation", check_balanced);
  registry.add("normalize", check_normalize);
  registry.add("taint_score", check_taint_score);
  registry.add("taint_filter", check_taint_filter);
  registry.add("node_affinity_filter", check_node_affinity_filter);
  registry.add("node_affinity_score", check_node_affinity_score);
  registry.add("fit_filter", check_fit_filter);
  registry.add("total_score", check_total_score);
}

}  // namespace gpusim::conformance
