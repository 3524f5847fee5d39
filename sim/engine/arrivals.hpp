#pragma once
// Arrivals of batch work from the Simulation document (spec.arrivals[]): an actor that creates
// copies of a template object (Job, Pod or PyTorchJob) named <arrival>-<n> (n from 0)
//   poisson   exponential gaps with mean 1/rate, drawn from Rng::stream(seed, "arrivals/<name>"),
//             the first one gap after `start`;
//   interval  at start, start + interval, ...;
//   trace     one object per row of a CSV trace (ArrivalTraceRow; the format is in
//             docs/scenario.md "Arrival traces"): the row's time from `start`, its namespace, its
//             requests on the first container and its duration. The template, if any, gives
//             everything else; without one each row is a Job with one container "main". Requests
//             that cannot be overcommitted (extended resources, hugepages) become limits too.
// until `stop` (exclusive) or `count` objects. A Pod the API rejects (quota) is lost, as a bare
// pod is; Jobs and PyTorchJobs are created as objects and their controllers retry their pods.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/rng.hpp"
#include "engine/simulation_spec.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {

class ArrivalGenerator {
 public:
  // Trace rows come read and checked from the loader (ArrivalSpec::trace_rows); a trace spec
  // without them is an InputError.
  ArrivalGenerator(Cluster& cluster, EventLoop& loop, const std::vector<ArrivalSpec>& specs,
                   std::uint64_t seed);
  // Schedules each stream's first arrival (call once, before the run).
  void start();
  // Objects created per arrival name, and pods the API rejected (Pod templates only).
  const std::map<std::string, std::int64_t>& created() const { return created_; }
  const std::map<std::string, std::int64_t>& rejected() const { return rejected_; }

 private:
  struct Stream {
    const ArrivalSpec* spec = nullptr;
    Rng rng;
    std::int64_t next_index = 0;
    std::shared_ptr<const std::vector<ArrivalTraceRow>> rows;
    std::size_t next_row = 0;
  };
  void schedule_next(std::size_t i, TimeMs at);
  void fire(std::size_t i);
  void create(Stream& s, const ArrivalTraceRow* row);

  Cluster& cluster_;
  EventLoop& loop_;
  std::vector<Stream> streams_;
  std::map<std::string, std::int64_t> created_, rejected_;
};

}  // namespace gpusim::engine
