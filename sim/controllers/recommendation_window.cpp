#include "controllers/recommendation_window.hpp"

namespace gpusim::ctrl {

void RecommendationWindow::add(std::int32_t replicas, TimeMs now) {
  while (maxima_.size() > head_ && maxima_.back().replicas <= replicas)
    maxima_.pop_back();
  if (head_ > 0 && head_ == maxima_.size()) {
    maxima_.clear();
    head_ = 0;
  } else if (head_ > 32 && head_ * 2 > maxima_.size()) {
    // Expired entries stay in front until they are half the vector.
    maxima_.erase(maxima_.begin(), maxima_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  maxima_.push_back(TimedRecommendation{replicas, now});
}

std::int32_t RecommendationWindow::record(std::int32_t desired, TimeMs now, TimeMs window_ms) {
  const TimeMs cutoff = now - window_ms;
  while (head_ < maxima_.size() && maxima_[head_].t_ms < cutoff)
    ++head_;
  add(desired, now);
  return maxima_[head_].replicas;
}

std::int32_t RecommendationWindow::peek(std::int32_t desired, TimeMs now, TimeMs window_ms) const {
  const TimeMs cutoff = now - window_ms;
  std::size_t head = head_;
  while (head < maxima_.size() && maxima_[head].t_ms < cutoff)
    ++head;
  // add() would drop the entries not above `desired`; the first one left is the highest.
  return head < maxima_.size() && maxima_[head].replicas > desired ? maxima_[head].replicas
                                                                   : desired;
}

}  // namespace gpusim::ctrl
