#pragma once
// A located YAML value: the node, the field path that leads to it (for messages such as
// spec.template.spec.containers[0].resources.requests.cpu) and the document it belongs to.
// Typed accessors follow Kubernetes' decoding rules (YAML 1.1 scalars as sigs.k8s.io/yaml reads
// them: `yes` is a boolean, `"3"` is a string) and report a diagnostic instead of throwing; they
// return nullopt when the value is absent (missing or null) or malformed.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event_loop.hpp"
#include "core/quantity.hpp"
#include "model/int_or_string.hpp"
#include "model/object_meta.hpp"
#include "scenario/document.hpp"

namespace gpusim::scenario {

enum class ScalarKind { kNull, kBool, kInt, kFloat, kString };

// How a scalar resolves: quoted and block scalars are strings, plain ones follow YAML 1.1.
ScalarKind scalar_kind(const YAML::Node& node);
// "a mapping", "a list", "null", "boolean true", "number 5", "\"abc\"".
std::string describe(const YAML::Node& node);
// The child path of a field: "spec" + "replicas" -> "spec.replicas"; keys with dots or slashes
// are bracketed ("limits[nvidia.com/gpu]").
std::string child_path(const std::string& parent, std::string_view key);

class Value {
 public:
  Value(const Document* doc, YAML::Node node, std::string path, YAML::Mark mark)
      : doc_(doc), node_(std::move(node)), path_(std::move(path)), mark_(mark) {}

  // Defined and not null: `field:` and `field: null` are absent, as in Kubernetes.
  bool present() const { return node_.IsDefined() && !node_.IsNull(); }
  bool is_map() const { return present() && node_.IsMap(); }
  bool is_list() const { return present() && node_.IsSequence(); }
  bool is_scalar() const { return present() && node_.IsScalar(); }
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  const YAML::Mark& mark() const { return mark_; }
  const Document& doc() const { return *doc_; }
  SourceLocation location() const { return doc_->location(mark_); }

  void error(std::string message, std::string hint = {}) const;
  void warning(std::string message, std::string hint = {}) const;

  std::optional<std::string> str() const;
  std::optional<std::int64_t> i64() const;
  std::optional<std::int32_t> i32() const;
  // i64() / i32() where a negative number is an error too (Kubernetes' counts and *Seconds).
  std::optional<std::int64_t> non_negative_i64() const;
  std::optional<std::int32_t> non_negative_i32() const;
  std::optional<double> number() const;  // integers or decimals (ratios, not resources)
  std::optional<bool> boolean() const;
  std::optional<Quantity> quantity() const;
  std::optional<TimeMs> duration() const;  // Go syntax ("90s", "1h30m", "2d") or whole seconds
  std::optional<TimeMs> positive_duration() const;  // duration(), and 0 is an error too
  std::optional<IntOrString> int_or_string() const;
  // The text of any scalar (numbers and booleans as written): for free-form string maps.
  std::optional<std::string> scalar_text() const;
  // A map[string]string (labels, annotations, nodeSelector): values must be strings.
  std::optional<Labels> string_map() const;
  std::optional<std::vector<std::string>> string_list() const;
  // The elements of a list, with paths path[i]; empty (and an error) when not a list.
  std::vector<Value> items() const;
  // Picks an enum value by its exact API spelling; reports the allowed values otherwise.
  template <typename E>
  std::optional<E> one_of(std::initializer_list<std::pair<const char*, E>> choices) const {
    auto s = str();
    if (!s) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& [name, v] : choices) {
      if (*s == name) return v;
      names.emplace_back(name);
    }
    unsupported(*s, names);
    return std::nullopt;
  }
  // Reports `Unsupported value "x": supported values: "A", "B"` with a did-you-mean hint.
  void unsupported(const std::string& got, const std::vector<std::string>& supported) const;

 private:
  void type_error(const char* expected) const;

  const Document* doc_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
};

}  // namespace gpusim::scenario
