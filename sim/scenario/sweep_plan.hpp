#pragma once
// The points of a sweep: the Cartesian product of its axes, first axis outermost. A point's id
// is derived from its axis values alone (readable labels plus a hash of them), so it is the same
// on every machine, in every shard and on every rerun: that is what makes resuming and merging
// safe.
#include <cstddef>
#include <string>
#include <vector>

#include "scenario/sweep_spec.hpp"

namespace gpusim::scenario {

struct SweepPoint {
  std::size_t index = 0;                 // position in the full plan
  std::string id;                        // directory name under points/
  std::vector<std::size_t> value_index;  // per axis
};

std::vector<SweepPoint> plan_sweep(const SweepSpec& spec);

// Shard `shard` of `shards` takes every point whose index % shards == shard (round robin, so
// each shard gets a similar mix of policies and scenarios).
bool in_shard(const SweepPoint& p, std::size_t shard, std::size_t shards);

// "I/N" with 0 <= I < N; false when malformed.
bool parse_shard(const std::string& text, std::size_t& shard, std::size_t& shards);

// The id of a point with these axis labels.
std::string point_id(const std::vector<std::string>& axis_names,
                     const std::vector<std::string>& labels);

}  // namespace gpusim::scenario
