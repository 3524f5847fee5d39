#include "controllers/node_group_expander.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <regex>

namespace gpusim::ctrl {
namespace {

// Keeps the options whose `key` is best (lowest with `lower`, else highest); equal keys all stay.
template <typename Key>
std::vector<ExpansionOption> keep_best(std::vector<ExpansionOption> options, Key key, bool lower) {
  std::vector<ExpansionOption> best;
  for (auto& o : options) {
    const auto k = key(o);
    if (!best.empty()) {
      const auto b = key(best.front());
      if (lower ? k > b : k < b) continue;
      if (lower ? k < b : k > b) best.clear();
    }
    best.push_back(std::move(o));
  }
  return best;
}

// upstream expander/waste: the fraction of the new nodes' cpu plus that of their memory that
// the pods leave unrequested.
double wasted(const ExpansionOption& o) {
  const auto part = [&](std::int64_t requested, std::int64_t per_node) {
    const double avail = static_cast<double>(per_node) * o.node_count;
    return avail > 0 ? (avail - static_cast<double>(requested)) / avail : 0.0;
  };
  return part(o.pods_cpu_milli, o.node_cpu_milli) + part(o.pods_memory_bytes, o.node_memory_bytes);
}

std::vector<ExpansionOption> least_waste(std::vector<ExpansionOption> options,
                                         const ExpanderContext&) {
  return keep_best(std::move(options), wasted, true);
}

std::vector<ExpansionOption> most_pods(std::vector<ExpansionOption> options,
                                       const ExpanderContext&) {
  return keep_best(
      std::move(options), [](const ExpansionOption& o) { return o.pods.size(); }, false);
}

// The new nodes' price per hour per pod they place (upstream's price expander also weighs a
// preferred node size and the pods' own price from the cloud's model; a pool's costPerHour is
// all a scenario has).
std::vector<ExpansionOption> price(std::vector<ExpansionOption> options, const ExpanderContext&) {
  return keep_best(
      std::move(options),
      [](const ExpansionOption& o) {
        return static_cast<long double>(o.node_cost_per_hour_micros) * o.node_count /
               static_cast<long double>(std::max<std::size_t>(1, o.pods.size()));
      },
      true);
}

// upstream expander/priority: each group takes the highest priority whose patterns match its
// name; groups no pattern matches are not used.
std::vector<ExpansionOption> priority(std::vector<ExpansionOption> options,
                                      const ExpanderContext& ctx) {
  std::vector<ExpansionOption> matched;
  std::vector<std::int32_t> prio;
  for (auto& o : options) {
    std::int32_t best = std::numeric_limits<std::int32_t>::min();
    bool found = false;
    if (ctx.priorities != nullptr) {
      for (const auto& [p, patterns] : *ctx.priorities) {
        for (const auto& pattern : patterns) {
          if (std::regex_search(o.group, std::regex(pattern))) {
            found = true;
            best = std::max(best, p);
          }
        }
      }
    }
    if (!found) continue;
    matched.push_back(std::move(o));
    prio.push_back(best);
  }
  if (matched.empty()) return matched;
  const std::int32_t top = *std::max_element(prio.begin(), prio.end());
  std::vector<ExpansionOption> out;
  for (std::size_t i = 0; i < matched.size(); ++i) {
    if (prio[i] == top) out.push_back(std::move(matched[i]));
  }
  return out;
}

std::vector<ExpansionOption> random(std::vector<ExpansionOption> options,
                                    const ExpanderContext& ctx) {
  if (options.size() <= 1 || ctx.rng == nullptr) return options;
  const std::size_t pick = ctx.rng->uniform(options.size());
  return {std::move(options[pick])};
}

const std::map<std::string, ExpanderFilter>& registry() {
  static const std::map<std::string, ExpanderFilter> kExpanders{
      {"least-waste", least_waste}, {"most-pods", most_pods}, {"price", price},
      {"priority", priority},       {"random", random},
  };
  return kExpanders;
}

}  // namespace

const ExpanderFilter* find_expander(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<std::string> expander_names() {
  std::vector<std::string> names;
  for (const auto& [name, filter] : registry())
    names.push_back(name);
  return names;
}

std::int64_t choose_expansion(const std::vector<ExpansionOption>& options,
                              const std::vector<std::string>& chain, const ExpanderContext& ctx) {
  std::vector<ExpansionOption> left = options;
  // As upstream's chain: every filter runs until one leaves a single option (priority may
  // leave none: its unlisted groups are not used).
  for (const auto& name : chain) {
    if (const ExpanderFilter* f = find_expander(name)) left = (*f)(std::move(left), ctx);
    if (left.size() <= 1) break;
  }
  left = random(std::move(left), ctx);
  if (left.empty()) return -1;
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (options[i].group == left.front().group) return static_cast<std::int64_t>(i);
  }
  return -1;
}

}  // namespace gpusim::ctrl
