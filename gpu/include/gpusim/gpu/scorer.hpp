#pragma once
// The batch placement scorer: node records in, feasibility + integer scores + each pod's best
// node out, by one of two backends that run the same policies.hpp code:
//   cpu   plain loops on the host (always built);
//   cuda  Thrust kernels on a GPU, node state resident in device memory (built when nvcc is
//         found, used when a device is present).
// No Thrust or CUDA types appear here: nvcc (CUDA toolkit's Thrust) and g++ (Debian's Thrust)
// both include this header.
//
// Two ways to use it:
//  - score_batch(): every pod of a batch against every node, in one call (benchmarks, parity
//    tests, priming a queue).
//  - shapes: intern_shape() a request once, then place()/scores() for each pod of that shape.
//    The scorer keeps one score row per shape and re-scores only the nodes that changed since
//    the row was last used (update_node() logs them), so a replay that binds one pod at a time
//    costs O(changed nodes) scoring per pod instead of O(all nodes).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gpusim/gpu/types.hpp"

namespace gpusim::gpu {

enum class Backend { kAuto, kCpu, kCuda };
std::optional<Backend> parse_backend(std::string_view name);  // "auto" | "cpu" | "cuda"
const char* to_string(Backend b);

class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual Backend backend() const = 0;

  // Policy, seed, normalisation and (FGD) the typical shapes; invalidates every score row.
  virtual void set_params(const ScoreParams& params, std::span<const TypicalShape> typical) = 0;
  // Replaces every node (invalidates every score row).
  virtual void set_nodes(std::span<const NodeRec> nodes) = 0;
  // One node changed (or, at index == size(), was added). The record must be finalize_node()d.
  virtual void update_node(std::int32_t index, const NodeRec& node) = 0;
  virtual std::int32_t size() const = 0;
  virtual const NodeRec& node(std::int32_t index) const = 0;  // the host mirror
  virtual const ScoreParams& params() const = 0;

  // Every pod x every node. `scores` (row-major, pods x nodes) may be empty to get only `best`.
  // salts[i] makes Random's draws differ per pod (ignored by the other policies).
  virtual void score_batch(std::span<const PodReq> pods, std::span<const std::uint64_t> salts,
                           std::span<std::int64_t> scores, std::span<Placement> best) = 0;

  // Shape rows: an id per distinct request (stable for the scorer's life).
  virtual std::int32_t intern_shape(const PodReq& pod) = 0;
  // Computes the rows of these shapes against every node in one pass (a queue of pending pods).
  virtual void prime(std::span<const std::int32_t> shapes) = 0;
  // Best node for one pod of the shape. Random re-draws every node with `salt`.
  virtual Placement place(std::int32_t shape, std::uint64_t salt) = 0;
  // Scores of the given nodes for one pod of the shape (kInfeasible where it does not fit).
  virtual void scores(std::int32_t shape, std::uint64_t salt, std::span<const std::int32_t> nodes,
                      std::span<std::int64_t> out) = 0;
  // Node evaluations done so far (for benchmarks and the incremental-scoring tests).
  virtual std::uint64_t evaluations() const = 0;
};

// Whether this build has the CUDA backend, and how many devices it can use right now. `why`
// gets a one-line reason when the answer is 0.
bool cuda_compiled();
int cuda_devices(std::string* why = nullptr);

// Makes a scorer. kAuto and kCuda use the CUDA backend when a device is usable and otherwise the
// CPU one; then `note` (when given) says why, in one line meant for stderr.
std::unique_ptr<Scorer> make_scorer(Backend want, std::string* note = nullptr);
std::unique_ptr<Scorer> make_cpu_scorer();

// The instruction set of the CPU backend's batch loops: the best this machine runs (kBest), or
// one named, for tests that compare the paths (where the machine lacks it, the scalar code runs).
// Every path makes the same decisions.
enum class CpuIsa { kBest, kScalar, kAvx2, kAvx512 };
bool cpu_isa_usable(CpuIsa isa);
std::unique_ptr<Scorer> make_cpu_scorer(CpuIsa isa);

}  // namespace gpusim::gpu
