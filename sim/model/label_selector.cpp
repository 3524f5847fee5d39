#include "model/label_selector.hpp"

#include <algorithm>
#include <charconv>

namespace gpusim {

namespace {
bool parse_int64(const std::string& s, std::int64_t& out) {
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') return false;
  auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && ptr == last;
}
}  // namespace

bool requirement_matches(const SelectorRequirement& req, const Labels& labels) {
  auto it = labels.find(req.key);
  const bool present = it != labels.end();
  switch (req.op) {
    case SelectorOperator::kIn:
      return present &&
             std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
    case SelectorOperator::kNotIn:
      return !present ||
             std::find(req.values.begin(), req.values.end(), it->second) == req.values.end();
    case SelectorOperator::kExists:
      return present;
    case SelectorOperator::kDoesNotExist:
      return !present;
    case SelectorOperator::kGt:
    case SelectorOperator::kLt: {
      if (!present || req.values.size() != 1) return false;
      std::int64_t have = 0, want = 0;
      if (!parse_int64(it->second, have) || !parse_int64(req.values[0], want)) return false;
      return req.op == SelectorOperator::kGt ? have > want : have < want;
    }
  }
  return false;
}

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [k, v] : match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const auto& req : match_expressions) {
    if (!requirement_matches(req, labels)) return false;
  }
  return true;
}

const char* to_string(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn:
      return "In";
    case SelectorOperator::kNotIn:
      return "NotIn";
    case SelectorOperator::kExists:
      return "Exists";
    case SelectorOperator::kDoesNotExist:
      return "DoesNotExist";
    case SelectorOperator::kGt:
      return "Gt";
    case SelectorOperator::kLt:
      return "Lt";
  }
  return "?";
}

std::string LabelSelector::str() const {
  std::string out;
  auto sep = [&] {
    if (!out.empty()) out += ",";
  };
  for (const auto& [k, v] : match_labels) {
    sep();
    out += k + "=" + v;
  }
  for (const auto& r : match_expressions) {
    sep();
    switch (r.op) {
      case SelectorOperator::kExists:
        out += r.key;
        break;
      case SelectorOperator::kDoesNotExist:
        out += "!" + r.key;
        break;
      default: {
        out += r.key + (r.op == SelectorOperator::kIn      ? " in ("
                        : r.op == SelectorOperator::kNotIn ? " notin ("
                        : r.op == SelectorOperator::kGt    ? " gt ("
                                                           : " lt (");
        for (std::size_t i = 0; i < r.values.size(); ++i)
          out += (i ? "," : "") + r.values[i];
        out += ")";
      }
    }
  }
  return out;
}

}  // namespace gpusim
