#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/label_selector.hpp"

namespace gpusim {

// nodeSelectorTerms: matchExpressions AND matchFields (only metadata.name) within a term.
struct NodeSelectorTerm {
  std::vector<SelectorRequirement> match_expressions;
  std::vector<SelectorRequirement> match_fields;
};

struct PreferredSchedulingTerm {
  std::int32_t weight = 0;
  NodeSelectorTerm preference;
};

struct NodeAffinity {
  // requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms (ORed); nullopt = no rule.
  std::optional<std::vector<NodeSelectorTerm>> required;
  std::vector<PreferredSchedulingTerm> preferred;
};

struct PodAffinityTerm {
  std::optional<LabelSelector> label_selector;
  std::vector<std::string> namespaces;
  std::optional<LabelSelector> namespace_selector;
  std::string topology_key;
};

struct WeightedPodAffinityTerm {
  std::int32_t weight = 0;
  PodAffinityTerm term;
};

struct PodAffinity {
  std::vector<PodAffinityTerm> required;
  std::vector<WeightedPodAffinityTerm> preferred;
};

struct Affinity {
  std::optional<NodeAffinity> node_affinity;
  std::optional<PodAffinity> pod_affinity;
  std::optional<PodAffinity> pod_anti_affinity;
};

enum class UnsatisfiableConstraintAction { kDoNotSchedule, kScheduleAnyway };

struct TopologySpreadConstraint {
  std::int32_t max_skew = 1;
  std::string topology_key;
  UnsatisfiableConstraintAction when_unsatisfiable = UnsatisfiableConstraintAction::kDoNotSchedule;
  std::optional<LabelSelector> label_selector;
  std::optional<std::int32_t> min_domains;
  std::vector<std::string> match_label_keys;
  // nodeAffinityPolicy / nodeTaintsPolicy: Honor (true) or Ignore (false).
  bool honor_node_affinity = true;
  bool honor_node_taints = false;
};

// Node-side matching, shared by the NodeAffinity plugin, DaemonSet-like logic and the autoscaler.
// `node_name` serves matchFields metadata.name.
bool node_selector_term_matches(const NodeSelectorTerm& term, const Labels& node_labels,
                                const std::string& node_name);
bool node_selector_terms_match(const std::vector<NodeSelectorTerm>& terms,
                               const Labels& node_labels, const std::string& node_name);
// Upstream's label-value validation: a requirement with an invalid value invalidates its term.
bool is_valid_label_value(const std::string& value);

}  // namespace gpusim
