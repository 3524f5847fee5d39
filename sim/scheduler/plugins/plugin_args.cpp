#include "scheduler/plugins/plugin_args.hpp"

#include <algorithm>
#include <stdexcept>

namespace gpusim::sched {
namespace {

const nlohmann::json& empty_object() {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return kEmpty;
}

}  // namespace

ArgsReader::ArgsReader(std::string_view plugin, const nlohmann::json& args, std::string path)
    : plugin_(plugin), args_(args.is_null() ? empty_object() : args), path_(std::move(path)) {
  if (!args_.is_object()) {
    throw std::invalid_argument(plugin_ + " args" + (path_.empty() ? "" : ": " + path_) +
                                ": must be an object");
  }
}

std::string ArgsReader::path(std::string_view field) const {
  if (path_.empty()) return std::string(field);
  if (field.empty()) return path_;
  return path_ + "." + std::string(field);
}

void ArgsReader::fail(std::string_view field, std::string_view message) const {
  const std::string p = path(field);
  throw std::invalid_argument(plugin_ + " args: " + (p.empty() ? "" : p + ": ") +
                              std::string(message));
}

void ArgsReader::only(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : args_.items()) {
    if (key == "apiVersion" || key == "kind") continue;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (auto k : known)
        list += (list.empty() ? "" : ", ") + std::string(k);
      fail(key, "unknown field (known: " + (list.empty() ? std::string("none") : list) + ")");
    }
  }
}

const nlohmann::json* ArgsReader::get(std::string_view field) const {
  auto it = args_.find(field);
  if (it == args_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool ArgsReader::has(std::string_view field) const {
  return get(field) != nullptr;
}

std::int64_t ArgsReader::integer(std::string_view field, std::int64_t dflt, std::int64_t min,
                                 std::int64_t max) const {
  const nlohmann::json* v = get(field);
  if (!v) return dflt;
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (!v->is_number_integer()) fail(field, "must be an integer in " + range);
  const auto x = v->get<std::int64_t>();
  if (x < min || x > max) fail(field, "must be an integer in " + range);
  return x;
}

bool ArgsReader::boolean(std::string_view field, bool dflt) const {
  const nlohmann::json* v = get(field);
  if (!v) return dflt;
  if (!v->is_boolean()) fail(field, "must be true or false");
  return v->get<bool>();
}

std::string ArgsReader::string(std::string_view field, std::string_view dflt) const {
  const nlohmann::json* v = get(field);
  if (!v) return std::string(dflt);
  if (!v->is_string()) fail(field, "must be a string");
  return v->get<std::string>();
}

std::vector<std::string> ArgsReader::strings(std::string_view field) const {
  std::vector<std::string> out;
  const nlohmann::json* v = get(field);
  if (!v) return out;
  if (!v->is_array()) fail(field, "must be a list of strings");
  for (const auto& e : *v) {
    if (!e.is_string()) fail(field, "must be a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<ArgsReader> ArgsReader::object(std::string_view field) const {
  const nlohmann::json* v = get(field);
  if (!v) return std::nullopt;
  if (!v->is_object()) fail(field, "must be an object");
  return ArgsReader(plugin_, *v, path(field));
}

std::vector<ArgsReader> ArgsReader::objects(std::string_view field) const {
  std::vector<ArgsReader> out;
  const nlohmann::json* v = get(field);
  if (!v) return out;
  if (!v->is_array()) fail(field, "must be a list");
  for (std::size_t i = 0; i < v->size(); ++i) {
    const std::string p = path(field) + "[" + std::to_string(i) + "]";
    if (!(*v)[i].is_object()) {
      throw std::invalid_argument(plugin_ + " args: " + p + ": must be an object");
    }
    out.emplace_back(plugin_, (*v)[i], p);
  }
  return out;
}

std::vector<SelectorRequirement> ArgsReader::requirements(std::string_view field) const {
  std::vector<SelectorRequirement> out;
  for (const ArgsReader& r : objects(field)) {
    r.only({"key", "operator", "values"});
    SelectorRequirement req;
    req.key = r.string("key", "");
    if (req.key.empty()) r.fail("key", "required");
    const std::string op = r.string("operator", "");
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
      r.fail("operator",
             "must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt (got \"" + op + "\")");
    }
    req.values = r.strings("values");
    out.push_back(std::move(req));
  }
  return out;
}

LabelSelector ArgsReader::label_selector() const {
  only({"matchLabels", "matchExpressions"});
  LabelSelector s;
  if (auto ml = object("matchLabels")) {
    for (const auto& [k, v] : ml->json().items()) {
      if (!v.is_string()) ml->fail(k, "must be a string");
      s.match_labels[k] = v.get<std::string>();
    }
  }
  s.match_expressions = requirements("matchExpressions");
  for (const auto& r : s.match_expressions) {
    if (r.op == SelectorOperator::kGt || r.op == SelectorOperator::kLt) {
      fail("matchExpressions", "label selectors support In, NotIn, Exists and DoesNotExist only");
    }
  }
  return s;
}

NodeSelectorTerm ArgsReader::node_selector_term() const {
  only({"matchExpressions", "matchFields"});
  NodeSelectorTerm t;
  t.match_expressions = requirements("matchExpressions");
  t.match_fields = requirements("matchFields");
  for (const auto& f : t.match_fields) {
    if (f.key != "metadata.name") fail("matchFields", "only the field metadata.name is supported");
  }
  return t;
}

NodeAffinity ArgsReader::node_affinity() const {
  only({"requiredDuringSchedulingIgnoredDuringExecution",
        "preferredDuringSchedulingIgnoredDuringExecution"});
  NodeAffinity a;
  if (auto req = object("requiredDuringSchedulingIgnoredDuringExecution")) {
    req->only({"nodeSelectorTerms"});
    std::vector<NodeSelectorTerm> terms;
    for (const ArgsReader& t : req->objects("nodeSelectorTerms")) {
      terms.push_back(t.node_selector_term());
    }
    if (terms.empty()) req->fail("nodeSelectorTerms", "must have at least one term");
    a.required = std::move(terms);
  }
  for (const ArgsReader& p : objects("preferredDuringSchedulingIgnoredDuringExecution")) {
    p.only({"weight", "preference"});
    PreferredSchedulingTerm term;
    term.weight = static_cast<std::int32_t>(p.integer("weight", 0, 1, 100));
    if (!p.has("weight")) p.fail("weight", "required (1..100)");
    auto pref = p.object("preference");
    if (!pref) p.fail("preference", "required");
    term.preference = pref->node_selector_term();
    a.preferred.push_back(std::move(term));
  }
  return a;
}

}  // namespace gpusim::sched
