#pragma once
// The conformance harness: every vector of every *.yaml file in the data folder becomes one
// GoogleTest test `<file stem>.<vector name>`, run by the handler registered for its `kind`.
//
// Adding a domain: write tests/conformance/<domain>_vectors.cpp defining
// `void register_<domain>_handlers(HandlerRegistry&)`, add the file to GPUSIM_CONFORMANCE_SOURCES
// in tests/CMakeLists.txt, declare the function below and call it in register_all_handlers()
// (conformance_main.cpp). A kind without a handler is reported as skipped, never as passed.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gpusim::conformance {

// Checks one vector with GoogleTest assertions. Throwing (e.g. VectorError from the helpers
// below) fails the test with the message; it never ends the run.
using Handler = void (*)(const YAML::Node& input, const YAML::Node& expect);

class HandlerRegistry {
 public:
  // Throws std::logic_error when the kind already has a handler.
  void add(std::string kind, Handler handler);
  // nullptr when the kind has none.
  Handler find(std::string_view kind) const;
  std::vector<std::string> kinds() const;

 private:
  std::map<std::string, Handler, std::less<>> handlers_;
};

// Calls every register_*_handlers below (conformance_main.cpp).
void register_all_handlers(HandlerRegistry& registry);
// One per domain; each lives in <domain>_vectors.cpp.
void register_quantity_handlers(HandlerRegistry& registry);
void register_scoring_handlers(HandlerRegistry& registry);
void register_quota_handlers(HandlerRegistry& registry);
void register_hpa_handlers(HandlerRegistry& registry);
void register_rolling_handlers(HandlerRegistry& registry);
void register_toleration_handlers(HandlerRegistry& registry);

// A vector that does not have the shape its kind needs (missing field, wrong type).
class VectorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Field access for handlers: a missing field or a value of the wrong type throws VectorError
// naming the field and its line in the file, instead of a bare yaml-cpp exception.
YAML::Node field(const YAML::Node& map, std::string_view key);
bool has_field(const YAML::Node& map, std::string_view key);
std::string string_field(const YAML::Node& map, std::string_view key);
std::int64_t int_field(const YAML::Node& map, std::string_view key);
double double_field(const YAML::Node& map, std::string_view key);
bool bool_field(const YAML::Node& map, std::string_view key);
// Throws VectorError when `map` has a key outside `allowed`, so an expectation a handler does
// not check can never pass silently.
void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed);

}  // namespace gpusim::conformance
