#pragma once
// Reads one mapping (a Kubernetes object or sub-object) field by field. Every name asked for is
// "known"; when the reader goes out of scope, fields nobody asked for are reported as warnings
// with a did-you-mean hint. Fields that Kubernetes has but the simulation does not model are
// declared with ignore() so real manifests load without noise. Duplicate keys are errors and
// YAML merge keys (`<<: *anchor`) are expanded, as kubectl does.
#include <string>
#include <string_view>
#include <vector>

#include "scenario/value.hpp"

namespace gpusim::scenario {

class Fields {
 public:
  // Reports an error when `object` is present but not a mapping (ok() is then false and every
  // field reads as absent).
  explicit Fields(const Value& object);
  ~Fields();
  Fields(const Fields&) = delete;
  Fields& operator=(const Fields&) = delete;

  bool ok() const { return ok_; }
  const Value& self() const { return self_; }

  // The field's value; absent (present() false) when missing or null.
  Value get(std::string_view name);
  // As get(), with a "required value" error when absent.
  Value required(std::string_view name, std::string hint = {});
  // Kubernetes fields that do not affect the simulation: accepted silently.
  void ignore(std::initializer_list<std::string_view> names);
  // Fields that would matter on a real cluster but are not simulated: a warning when present.
  void ignore_with_warning(std::string_view name, const std::string& why);
  // Stops the unknown-field check (for free-form mappings read elsewhere).
  void accept_all() { accept_all_ = true; }
  bool has(std::string_view name) const;

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    bool used = false;
  };
  Entry* find(std::string_view name);
  void add_entries(const YAML::Node& map, int merge_depth);

  Value self_;
  bool ok_ = false;
  bool accept_all_ = false;
  std::vector<Entry> entries_;
  std::vector<std::string> known_;
};

}  // namespace gpusim::scenario
