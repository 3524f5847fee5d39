#pragma once
// Collects scheduling attempts for `gpusim explain` and writes them as explain.jsonl, one
// attempt per line.
#include <string>

#include "core/atomic_file.hpp"
#include "scheduler/explain.hpp"

namespace gpusim::engine {

class ExplainWriter : public sched::ExplainSink {
 public:
  void record(sched::AttemptRecord record) override;
  void write(const StagedDirectory& dir) const { dir.write("explain.jsonl", lines_); }

 private:
  std::string lines_;
};

}  // namespace gpusim::engine
