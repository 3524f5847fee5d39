#include "model/affinity.hpp"

#include <cctype>

namespace gpusim {

bool is_valid_label_value(const std::string& value) {
  if (value.empty()) return true;
  if (value.size() > 63) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(value.front()) || !alnum(value.back())) return false;
  for (char c : value) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

namespace {
bool requirement_valid(const SelectorRequirement& r) {
  switch (r.op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (r.values.empty()) return false;
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!r.values.empty()) return false;
      break;
    case SelectorOperator::kGt:
    case SelectorOperator::kLt:
      if (r.values.size() != 1) return false;
      break;
  }
  for (const auto& v : r.values) {
    if (!is_valid_label_value(v)) return false;
  }
  return true;
}
}  // namespace

bool node_selector_term_matches(const NodeSelectorTerm& term, const Labels& node_labels,
                                const std::string& node_name) {
  if (term.match_expressions.empty() && term.match_fields.empty()) return false;
  for (const auto& r : term.match_expressions) {
    if (!requirement_valid(r)) return false;
  }
  for (const auto& r : term.match_fields) {
    if (r.key != "metadata.name" || !requirement_valid(r)) return false;
  }
  for (const auto& r : term.match_expressions) {
    if (!requirement_matches(r, node_labels)) return false;
  }
  if (!term.match_fields.empty()) {
    const Labels fields{{"metadata.name", node_name}};
    for (const auto& r : term.match_fields) {
      if (!requirement_matches(r, fields)) return false;
    }
  }
  return true;
}

bool node_selector_terms_match(const std::vector<NodeSelectorTerm>& terms,
                               const Labels& node_labels, const std::string& node_name) {
  for (const auto& t : terms) {
    if (node_selector_term_matches(t, node_labels, node_name)) return true;
  }
  return false;
}

}  // namespace gpusim
