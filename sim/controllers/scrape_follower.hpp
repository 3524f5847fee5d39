#pragma once
// Work that reads what a metrics scrape has just written, done by the scrape itself: right after
// each range of workloads, on the thread that scraped them, while their state is still in that
// core's cache. The HPA syncs that follow a scrape at the same instant read only their own
// workload's sample; run as a step of their own, they cost a second fork-join step per period
// and fetched every workload's state again, from whichever core had scraped it.
#include <cstddef>

#include "core/event_loop.hpp"

namespace gpusim::ctrl {

class ScrapeFollower {
 public:
  virtual ~ScrapeFollower() = default;
  // On the event loop's thread, before the scrape of `now` splits its workloads over threads.
  virtual void before_scrape(TimeMs now) = 0;
  // On a scrape thread, once workloads [begin, end) (indexes into MetricsPipeline::workloads())
  // are scraped. Must touch only its own state for those workloads: other ranges run beside it.
  virtual void after_scraped(std::size_t begin, std::size_t end, TimeMs now) = 0;

 protected:
  ScrapeFollower() = default;
  ScrapeFollower(const ScrapeFollower&) = default;
  ScrapeFollower& operator=(const ScrapeFollower&) = default;
};

}  // namespace gpusim::ctrl
