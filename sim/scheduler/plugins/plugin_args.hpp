#pragma once
// Reading a plugin's pluginConfig args (KubeSchedulerConfiguration's camelCase fields, as JSON).
// Every error is a std::invalid_argument naming the plugin and the field path, e.g.
// `NodeResourcesFit args: scoringStrategy.resources[1].weight: must be an integer in 1..100`.
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/affinity.hpp"
#include "model/label_selector.hpp"

namespace gpusim::sched {

class ArgsReader {
 public:
  // `args` must outlive the reader. A null `args` reads as an empty object.
  ArgsReader(std::string_view plugin, const nlohmann::json& args, std::string path = {});

  [[noreturn]] void fail(std::string_view field, std::string_view message) const;
  // Rejects fields other than `known` (apiVersion and kind are always accepted).
  void only(std::initializer_list<std::string_view> known) const;

  bool has(std::string_view field) const;
  std::int64_t integer(std::string_view field, std::int64_t dflt, std::int64_t min,
                       std::int64_t max) const;
  bool boolean(std::string_view field, bool dflt) const;
  std::string string(std::string_view field, std::string_view dflt) const;
  std::vector<std::string> strings(std::string_view field) const;
  // A nested object; fails when present and not an object.
  std::optional<ArgsReader> object(std::string_view field) const;
  // Elements of an array of objects; fails when present and not an array of objects.
  std::vector<ArgsReader> objects(std::string_view field) const;
  const nlohmann::json& json() const { return args_; }
  std::string path(std::string_view field) const;

  // Kubernetes API shapes found in args (addedAffinity, defaultConstraints).
  LabelSelector label_selector() const;
  NodeSelectorTerm node_selector_term() const;
  NodeAffinity node_affinity() const;

 private:
  const nlohmann::json* get(std::string_view field) const;
  std::vector<SelectorRequirement> requirements(std::string_view field) const;

  std::string plugin_;
  const nlohmann::json& args_;
  std::string path_;
};

}  // namespace gpusim::sched
