#pragma once
// kubectl's -l syntax: "app=web,tier!=db,env in (prod,staging),gpu,!spot,zone notin (a)".
#include <map>
#include <string>
#include <vector>

namespace gpusim::reports {

class LabelQuery {
 public:
  // Throws std::invalid_argument with the position of the problem.
  static LabelQuery parse(const std::string& text);
  bool matches(const std::map<std::string, std::string>& labels) const;
  bool empty() const { return terms_.empty(); }

 private:
  enum class Op { kEq, kNe, kIn, kNotIn, kExists, kNotExists };
  struct Term {
    std::string key;
    Op op = Op::kEq;
    std::vector<std::string> values;
  };
  std::vector<Term> terms_;
};

}  // namespace gpusim::reports
