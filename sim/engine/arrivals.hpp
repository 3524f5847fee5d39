#pragma once
// Arrivals of batch work from the Simulation document (spec.arrivals[]): an actor that creates
// copies of a template object (Job, Pod or PyTorchJob) named <arrival>-<n> (n from 0)
//   poisson   exponential gaps with mean 1/rate, drawn from Rng::stream(seed, "arrivals/<name>"),
//             the first one gap after `start`;
//   interval  at start, start + interval, ...;
//   trace     one object per CSV row: `time,namespace,requests,duration`, e.g.
//             `90s,team-a,cpu=4;memory=16Gi;nvidia.com/gpu=1,45m` (time from `start`, any
//             duration syntax; requests separated by ';'; duration a gpusim.io/duration value,
//             empty for the default). A first row whose time does not parse is a header. The
//             template, if any, gives everything else; without one each row is a Job with one
//             container "main". Requests of extended resources (nvidia.com/gpu) become limits too.
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
  // Reads trace files now: a bad row is an InputError naming file:line.
  ArrivalGenerator(Cluster& cluster, EventLoop& loop, const std::vector<ArrivalSpec>& specs,
                   std::uint64_t seed);
  // Schedules each stream's first arrival (call once, before the run).
  void start();
  // Objects created per arrival name, and pods the API rejected (Pod templates only).
  const std::map<std::string, std::int64_t>& created() const { return created_; }
  const std::map<std::string, std::int64_t>& rejected() const { return rejected_; }

  struct TraceRow {
    TimeMs t_ms = 0;
    std::string namespace_;
    ResourceQuantities requests;
    std::string duration;  // gpusim.io/duration value; empty = default
  };
  // Parses a trace (exposed for tests). Throws InputError with file:line on a bad row.
  static std::vector<TraceRow> read_trace(const std::string& path);
  static std::vector<TraceRow> parse_trace(const std::string& text, const std::string& file);

 private:
  struct Stream {
    const ArrivalSpec* spec = nullptr;
    Rng rng;
    std::int64_t next_index = 0;
    std::vector<TraceRow> rows;
    std::size_t next_row = 0;
  };
  void schedule_next(std::size_t i, TimeMs at);
  void fire(std::size_t i);
  void create(Stream& s, const TraceRow* row);

  Cluster& cluster_;
  EventLoop& loop_;
  std::vector<Stream> streams_;
  std::map<std::string, std::int64_t> created_, rejected_;
};

}  // namespace gpusim::engine
