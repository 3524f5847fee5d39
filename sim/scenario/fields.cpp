#include "scenario/fields.hpp"

namespace gpusim::scenario {

Fields::Fields(const Value& object) : self_(object) {
  if (!object.present()) return;
  if (!object.node().IsMap()) {
    object.error("expected a mapping, got " + describe(object.node()));
    return;
  }
  ok_ = true;
  add_entries(object.node(), 0);
}

void Fields::add_entries(const YAML::Node& map, int merge_depth) {
  const bool merged = merge_depth > 0;
  std::vector<YAML::Node> merges;
  for (const auto& kv : map) {
    const YAML::Node& k = kv.first;
    if (!k.IsScalar()) {
      Value(&self_.doc(), k, self_.path(), k.Mark())
          .error("expected a field name, got " + describe(k));
      continue;
    }
    const std::string& key = k.Scalar();
    if (key == "<<" && k.Tag() == "?") {
      merges.push_back(kv.second);
      continue;
    }
    if (Entry* e = find(key)) {
      // Keys written in the mapping itself win over merged ones; a repeat is an error.
      if (!merged) {
        Value(&self_.doc(), k, child_path(self_.path(), key), k.Mark())
            .error("duplicate field \"" + key + "\" (first given at line " +
                       std::to_string(self_.doc().location(e->key_node.Mark()).line) + ")",
                   "remove one of them");
      }
      continue;
    }
    entries_.push_back(Entry{key, k, kv.second, false});
  }
  for (const auto& m : merges) {
    if (merge_depth >= 8) {
      // Merges of merges this deep come from a cyclic alias.
      Value(&self_.doc(), m, child_path(self_.path(), "<<"), m.Mark())
          .error("merge keys (<<) nested more than 8 deep (a cyclic alias?)");
    } else if (m.IsMap()) {
      add_entries(m, merge_depth + 1);
    } else if (m.IsSequence()) {
      for (const auto& item : m) {
        if (item.IsMap()) add_entries(item, merge_depth + 1);
      }
    } else {
      Value(&self_.doc(), m, child_path(self_.path(), "<<"), m.Mark())
          .error("a merge key (<<) needs a mapping or a list of mappings, got " + describe(m));
    }
  }
}

Fields::~Fields() {
  if (!ok_ || accept_all_) return;
  for (const auto& e : entries_) {
    if (e.used) continue;
    bool known = false;
    for (const auto& k : known_)
      known = known || k == e.key;
    if (known) continue;
    const std::string near = closest_match(e.key, known_);
    Value(&self_.doc(), e.key_node, child_path(self_.path(), e.key), e.key_node.Mark())
        .warning("unknown field \"" + e.key + "\" (ignored)",
                 near.empty() ? std::string() : "did you mean \"" + near + "\"?");
  }
}

Fields::Entry* Fields::find(std::string_view name) {
  for (auto& e : entries_) {
    if (e.key == name) return &e;
  }
  return nullptr;
}

bool Fields::has(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.key == name && e.value.IsDefined() && !e.value.IsNull()) return true;
  }
  return false;
}

Value Fields::get(std::string_view name) {
  known_.emplace_back(name);
  const std::string path = child_path(self_.path(), name);
  if (Entry* e = find(name)) {
    e->used = true;
    const YAML::Mark m = e->value.IsNull() ? e->key_node.Mark() : e->value.Mark();
    return Value(&self_.doc(), e->value, path, m);
  }
  return Value(&self_.doc(), YAML::Node(YAML::NodeType::Null), path, self_.mark());
}

Value Fields::required(std::string_view name, std::string hint) {
  Value v = get(name);
  if (ok_ && !v.present()) v.error("required value is missing", std::move(hint));
  return v;
}

void Fields::ignore(std::initializer_list<std::string_view> names) {
  for (auto n : names) {
    known_.emplace_back(n);
    if (Entry* e = find(n)) e->used = true;
  }
}

void Fields::ignore_with_warning(std::string_view name, const std::string& why) {
  known_.emplace_back(name);
  if (Entry* e = find(name)) {
    e->used = true;
    if (!e->value.IsNull()) {
      Value(&self_.doc(), e->key_node, child_path(self_.path(), name), e->key_node.Mark())
          .warning("not simulated: " + why + " (ignored)");
    }
  }
}

}  // namespace gpusim::scenario
