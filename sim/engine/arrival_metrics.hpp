#pragma once
// The trace replays' per-pod record (arrival.csv) and the FGD paper's figure metric computed
// from it: unallocated GPU % at a given arrival %. Kept apart from the replay so that `gpusim
// compare` and reports can compute the same numbers from a run directory's arrival.csv.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpusim::engine {

struct ArrivalRow {
  std::int64_t pod_index = 0;          // position in the replay order
  std::int64_t arrived_gpu_milli = 0;  // cumulative GPU milli requested, failed pods included
  std::int64_t allocated_gpu_milli = 0;
  std::int64_t frag_gpu_milli = 0;
  bool scheduled = false;
};

// arrival.csv with the header
//   pod_index,arrived_gpu_milli,arrived_pct,allocated_gpu_milli,allocation_pct,unallocated_pct,
//   frag_gpu_milli,frag_pct,scheduled
// Percentages are of `capacity_milli`, with 4 decimals, computed in integers (byte-stable).
std::string arrival_csv(const std::vector<ArrivalRow>& rows, std::int64_t capacity_milli);

// One point of an arrival curve, in percent of cluster GPU capacity.
struct ArrivalPoint {
  double arrived_pct = 0;
  double allocation_pct = 0;
};
// Reads the points back from arrival.csv text; throws std::invalid_argument naming the line.
std::vector<ArrivalPoint> parse_arrival_csv(std::string_view csv);

// The paper's metric (merge_alloc_discrete.py): points binned by arrival % rounded to a whole
// percent (half to even), allocation % averaged within a bin, an empty bin taking the mean of
// its neighbours' means; unallocated % = 100 - that. NaN where the neighbours are empty too.
std::vector<double> unallocated_at(const std::vector<ArrivalPoint>& points,
                                   const std::vector<int>& arrival_pcts);

}  // namespace gpusim::engine
