#pragma once
#include <string>
#include <vector>

#include "model/object_meta.hpp"

namespace gpusim {

enum class SelectorOperator { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };

struct SelectorRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kIn;
  std::vector<std::string> values;
};

// metav1.LabelSelector: matchLabels AND matchExpressions. An empty selector matches everything;
// a null one (std::optional empty at the use site) matches nothing.
struct LabelSelector {
  Labels match_labels;
  std::vector<SelectorRequirement> match_expressions;

  bool matches(const Labels& labels) const;
  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  std::string str() const;  // "app=web,tier in (a,b)" as kubectl prints selectors
};

bool requirement_matches(const SelectorRequirement& req, const Labels& labels);
const char* to_string(SelectorOperator op);

}  // namespace gpusim
