#include "scenario/sweep_plan.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>

namespace gpusim::scenario {
namespace {

std::uint64_t fnv1a64(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    out += ok ? c : '-';
  }
  return out;
}

}  // namespace

std::string point_id(const std::vector<std::string>& axis_names,
                     const std::vector<std::string>& labels) {
  std::string readable;
  std::string canonical;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    readable += (i ? "_" : "") + sanitize(labels[i]);
    canonical += axis_names[i] + "=" + labels[i] + "\n";
  }
  // Labels are sanitised and may be long; the hash keeps ids unique and the name bounded.
  if (readable.size() > 120) readable.resize(120);
  char hash[17];
  std::snprintf(hash, sizeof hash, "%08llx",
                static_cast<unsigned long long>(fnv1a64(canonical) & 0xffffffffULL));
  return readable + "-" + hash;
}

std::vector<SweepPoint> plan_sweep(const SweepSpec& spec) {
  std::vector<SweepPoint> points;
  std::size_t total = 1;
  for (const auto& a : spec.axes)
    total *= a.values.size();
  if (spec.axes.empty()) total = 0;
  std::vector<std::string> names;
  for (const auto& a : spec.axes)
    names.push_back(a.name);
  points.reserve(total);
  for (std::size_t i = 0; i < total; ++i) {
    SweepPoint p;
    p.index = i;
    p.value_index.resize(spec.axes.size());
    std::size_t rest = i;
    for (std::size_t k = spec.axes.size(); k-- > 0;) {
      p.value_index[k] = rest % spec.axes[k].values.size();
      rest /= spec.axes[k].values.size();
    }
    std::vector<std::string> labels;
    for (std::size_t k = 0; k < spec.axes.size(); ++k)
      labels.push_back(spec.axes[k].labels[p.value_index[k]]);
    p.id = point_id(names, labels);
    points.push_back(std::move(p));
  }
  return points;
}

bool in_shard(const SweepPoint& p, std::size_t shard, std::size_t shards) {
  return p.index % shards == shard;
}

bool parse_shard(const std::string& text, std::size_t& shard, std::size_t& shards) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return false;
  const char* b = text.data();
  auto r1 = std::from_chars(b, b + slash, shard);
  auto r2 = std::from_chars(b + slash + 1, b + text.size(), shards);
  return r1.ec == std::errc() && r1.ptr == b + slash && r2.ec == std::errc() &&
         r2.ptr == b + text.size() && shards > 0 && shard < shards;
}

}  // namespace gpusim::scenario
