#pragma once
// Sweeps and plans run independent simulations on a small pool of threads that pull work from a
// shared counter; this is the pool.
#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace gpusim::cli {

// The threads to use: the requested number (0: every core), never more than there is work.
inline unsigned worker_count(unsigned requested, std::size_t work_items) {
  const unsigned jobs = requested ? requested : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(1, work_items)));
}

// Runs `worker` on `jobs` threads, the calling thread being one of them, and waits for all.
template <typename Worker>
void run_workers(unsigned jobs, Worker& worker) {
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t)
    threads.emplace_back([&worker] { worker(); });
  worker();
  for (auto& t : threads)
    t.join();
}

}  // namespace gpusim::cli
