// The CUDA backend: the same policies.hpp functions, run by Thrust on a GPU. Node records,
// FGD's tables and score rows stay resident in device memory; update_node() copies one record,
// and a pod's refresh re-scores only the changed nodes before a device-side argmax.
#include <cuda_runtime.h>
#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>
#include <thrust/for_each.h>
#include <thrust/gather.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/discard_iterator.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/reduce.h>
#include <thrust/transform_reduce.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "gpusim/gpu/policies.hpp"
#include "scorer_base.hpp"

namespace gpusim::gpu::detail {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw std::runtime_error(std::string("CUDA scorer: ") + what + ": " + cudaGetErrorString(e));
}

struct BetterOf {
  __host__ __device__ Placement operator()(const Placement& a, const Placement& b) const {
    if (b.node < 0) return a;
    if (a.node < 0) return b;
    return better(b.score, b.node, a.score, a.node) ? b : a;
  }
};

__host__ __device__ inline Placement as_placement(std::int32_t node, std::int64_t score) {
  Placement p;
  if (score != kInfeasible) {
    p.node = node;
    p.score = score;
  }
  return p;
}

// row[n] = evaluate(n) for n = list[i] (or i when list is null).
struct EvalInto {
  const NodeRec* nodes;
  const std::int32_t* list;
  PodReq pod;
  ScoreParams sp;
  std::int64_t* row;
  __device__ void operator()(std::int64_t i) const {
    const std::int32_t n = list ? list[i] : static_cast<std::int32_t>(i);
    row[n] = evaluate(nodes[n], n, pod, 0, sp);
  }
};

// Several shapes x every node: rows[shape_ids[i / N] * N + i % N].
struct EvalRows {
  const NodeRec* nodes;
  const PodReq* pods;
  const std::int32_t* shape_ids;
  std::int64_t n_nodes;
  ScoreParams sp;
  std::int64_t* rows;
  __device__ void operator()(std::int64_t i) const {
    const std::int64_t s = i / n_nodes;
    const auto n = static_cast<std::int32_t>(i % n_nodes);
    rows[static_cast<std::int64_t>(shape_ids[s]) * n_nodes + n] =
        evaluate(nodes[n], n, pods[s], 0, sp);
  }
};

// A batch: scores[i] for pod i / N on node i % N.
struct EvalBatch {
  const NodeRec* nodes;
  const PodReq* pods;
  const std::uint64_t* salts;
  std::int64_t n_nodes;
  ScoreParams sp;
  __device__ Placement operator()(std::int64_t i) const {
    const std::int64_t p = i / n_nodes;
    const auto n = static_cast<std::int32_t>(i % n_nodes);
    return as_placement(n, evaluate(nodes[n], n, pods[p], salts[p], sp));
  }
};

struct StoreBatch {
  EvalBatch eval;
  std::int64_t* out;
  __device__ void operator()(std::int64_t i) const {
    const std::int64_t p = i / eval.n_nodes;
    const auto n = static_cast<std::int32_t>(i % eval.n_nodes);
    out[i] = evaluate(eval.nodes[n], n, eval.pods[p], eval.salts[p], eval.sp);
  }
};

struct FromScores {
  const std::int64_t* scores;
  std::int64_t n_nodes;
  __host__ __device__ Placement operator()(std::int64_t i) const {
    return as_placement(static_cast<std::int32_t>(i % n_nodes), scores[i]);
  }
};

struct DivBy {
  std::int64_t d;
  __host__ __device__ std::int64_t operator()(std::int64_t i) const { return i / d; }
};

struct RowPlacement {
  const std::int64_t* row;
  __host__ __device__ Placement operator()(std::int64_t n) const {
    return as_placement(static_cast<std::int32_t>(n), row[n]);
  }
};

struct EvalOne {
  const NodeRec* nodes;
  PodReq pod;
  std::uint64_t salt;
  ScoreParams sp;
  __device__ Placement operator()(std::int64_t n) const {
    const auto i = static_cast<std::int32_t>(n);
    return as_placement(i, evaluate(nodes[i], i, pod, salt, sp));
  }
};

class CudaScorer final : public ScorerBase {
 public:
  Backend backend() const override { return Backend::kCuda; }

  void score_batch(std::span<const PodReq> pods, std::span<const std::uint64_t> salts,
                   std::span<std::int64_t> scores, std::span<Placement> best) override {
    const auto n = static_cast<std::int64_t>(nodes_.size());
    if (salts.size() != pods.size() || best.size() != pods.size() ||
        (!scores.empty() && scores.size() != pods.size() * nodes_.size())) {
      throw std::invalid_argument("score_batch: span sizes do not match");
    }
    if (pods.empty()) return;
    if (n == 0) {
      for (auto& b : best)
        b = Placement{};
      return;
    }
    d_pods_.assign(pods.begin(), pods.end());
    d_salts_.assign(salts.begin(), salts.end());
    d_best_.resize(pods.size());
    const auto total = static_cast<std::int64_t>(pods.size()) * n;
    EvalBatch eval{thrust::raw_pointer_cast(d_nodes_.data()),
                   thrust::raw_pointer_cast(d_pods_.data()),
                   thrust::raw_pointer_cast(d_salts_.data()), n, device_params()};
    thrust::counting_iterator<std::int64_t> first(0);
    auto keys = thrust::make_transform_iterator(first, DivBy{n});
    if (!scores.empty()) {
      d_scores_.resize(static_cast<std::size_t>(total));
      std::int64_t* out = thrust::raw_pointer_cast(d_scores_.data());
      thrust::for_each(thrust::device, first, first + total, StoreBatch{eval, out});
      auto vals = thrust::make_transform_iterator(first, FromScores{out, n});
      thrust::reduce_by_key(thrust::device, keys, keys + total, vals,
                            thrust::make_discard_iterator(), d_best_.begin(),
                            thrust::equal_to<std::int64_t>(), BetterOf{});
      thrust::copy(d_scores_.begin(), d_scores_.end(), scores.begin());
    } else {
      auto vals = thrust::make_transform_iterator(first, eval);
      thrust::reduce_by_key(thrust::device, keys, keys + total, vals,
                            thrust::make_discard_iterator(), d_best_.begin(),
                            thrust::equal_to<std::int64_t>(), BetterOf{});
    }
    thrust::copy(d_best_.begin(), d_best_.end(), best.begin());
    check(cudaGetLastError(), "score_batch");
    evaluations_ += static_cast<std::uint64_t>(total);
  }

 protected:
  void upload_params() override {
    const auto blob = fgd_.blob();
    d_fgd_.assign(blob.begin(), blob.end());
  }
  void upload_nodes() override {
    d_nodes_.assign(nodes_.begin(), nodes_.end());
    d_rows_.clear();
    row_cap_ = 0;
  }
  void upload_node(std::int32_t index) override {
    check(cudaMemcpy(thrust::raw_pointer_cast(d_nodes_.data()) + index,
                     &nodes_[static_cast<std::size_t>(index)], sizeof(NodeRec),
                     cudaMemcpyHostToDevice),
          "update_node");
  }
  void ensure_rows(std::size_t count) override {
    if (count <= row_cap_) return;
    const std::size_t cap = std::max(count, 2 * row_cap_);
    thrust::device_vector<std::int64_t> grown(cap * nodes_.size(), kInfeasible);
    thrust::copy(d_rows_.begin(), d_rows_.end(), grown.begin());
    d_rows_.swap(grown);
    row_cap_ = cap;
  }
  void drop_rows() override {
    d_rows_.clear();
    d_rows_.shrink_to_fit();
    row_cap_ = 0;
  }

  void compute_row(std::int32_t shape, std::span<const std::int32_t> nodes, bool all) override {
    std::int64_t* row = row_ptr(shape);
    thrust::counting_iterator<std::int64_t> first(0);
    if (all) {
      thrust::for_each(thrust::device, first, first + static_cast<std::int64_t>(nodes_.size()),
                       EvalInto{thrust::raw_pointer_cast(d_nodes_.data()), nullptr,
                                this->shape(shape), device_params(), row});
    } else if (!nodes.empty()) {
      d_list_.assign(nodes.begin(), nodes.end());
      thrust::for_each(thrust::device, first, first + static_cast<std::int64_t>(nodes.size()),
                       EvalInto{thrust::raw_pointer_cast(d_nodes_.data()),
                                thrust::raw_pointer_cast(d_list_.data()), this->shape(shape),
                                device_params(), row});
    }
    check(cudaGetLastError(), "compute_row");
  }

  void compute_rows_all(std::span<const std::int32_t> shapes) override {
    std::vector<PodReq> reqs;
    reqs.reserve(shapes.size());
    for (auto s : shapes)
      reqs.push_back(this->shape(s));
    d_pods_.assign(reqs.begin(), reqs.end());
    d_list_.assign(shapes.begin(), shapes.end());
    const auto n = static_cast<std::int64_t>(nodes_.size());
    thrust::counting_iterator<std::int64_t> first(0);
    thrust::for_each(
        thrust::device, first, first + n * static_cast<std::int64_t>(shapes.size()),
        EvalRows{thrust::raw_pointer_cast(d_nodes_.data()),
                 thrust::raw_pointer_cast(d_pods_.data()), thrust::raw_pointer_cast(d_list_.data()),
                 n, device_params(), thrust::raw_pointer_cast(d_rows_.data())});
    check(cudaGetLastError(), "prime");
  }

  Placement argmax_row(std::int32_t shape) override {
    thrust::counting_iterator<std::int64_t> first(0);
    return thrust::transform_reduce(thrust::device, first,
                                    first + static_cast<std::int64_t>(nodes_.size()),
                                    RowPlacement{row_ptr(shape)}, Placement{}, BetterOf{});
  }

  void gather_row(std::int32_t shape, std::span<const std::int32_t> nodes,
                  std::span<std::int64_t> out) override {
    if (nodes.empty()) return;
    d_list_.assign(nodes.begin(), nodes.end());
    d_scores_.resize(nodes.size());
    thrust::device_ptr<std::int64_t> row(row_ptr(shape));
    thrust::gather(thrust::device, d_list_.begin(), d_list_.end(), row, d_scores_.begin());
    thrust::copy(d_scores_.begin(), d_scores_.begin() + static_cast<std::ptrdiff_t>(nodes.size()),
                 out.begin());
  }

  Placement place_uncached(const PodReq& pod, std::uint64_t salt) override {
    thrust::counting_iterator<std::int64_t> first(0);
    return thrust::transform_reduce(
        thrust::device, first, first + static_cast<std::int64_t>(nodes_.size()),
        EvalOne{thrust::raw_pointer_cast(d_nodes_.data()), pod, salt, device_params()}, Placement{},
        BetterOf{});
  }

 private:
  ScoreParams device_params() const {
    ScoreParams p = params_;
    p.fgd = fgd_.view_at(thrust::raw_pointer_cast(d_fgd_.data()));
    return p;
  }
  std::int64_t* row_ptr(std::int32_t shape) {
    return thrust::raw_pointer_cast(d_rows_.data()) +
           static_cast<std::size_t>(shape) * nodes_.size();
  }

  thrust::device_vector<NodeRec> d_nodes_;
  thrust::device_vector<std::int64_t> d_fgd_;   // FGD's tables (fgd_.blob())
  thrust::device_vector<std::int64_t> d_rows_;  // row_cap_ rows of nodes_.size() scores
  std::size_t row_cap_ = 0;
  thrust::device_vector<PodReq> d_pods_;
  thrust::device_vector<std::uint64_t> d_salts_;
  thrust::device_vector<std::int64_t> d_scores_;
  thrust::device_vector<std::int32_t> d_list_;
  thrust::device_vector<Placement> d_best_;
};

}  // namespace

std::unique_ptr<Scorer> make_cuda_scorer() {
  return std::make_unique<CudaScorer>();
}

int cuda_device_count(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (why) *why = cudaGetErrorString(e);
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return 0;
  }
  if (n == 0 && why) *why = "no CUDA device found";
  return n;
}

}  // namespace gpusim::gpu::detail
