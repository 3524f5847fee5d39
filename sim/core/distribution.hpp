#pragma once
// How long something takes, as users write it in gpusim.io/duration annotations and in the
// Simulation document's defaults: a fixed duration ("30m", "1h30m", "90" = seconds) or a
// distribution drawn from a seeded stream per pod:
//   uniform(10m, 30m)       uniform between the two bounds
//   exponential(20m)        exponential with that mean (also exp(20m))
//   normal(30m, 5m)         normal with that mean and standard deviation, cut off at 0
//   lognormal(30m, 0.5)     log-normal with that median and sigma (of the log)
// Draws are rounded to whole milliseconds.
#include <optional>
#include <string>
#include <string_view>

#include "core/event_loop.hpp"
#include "core/rng.hpp"

namespace gpusim {

class DurationDistribution {
 public:
  enum class Kind { kFixed, kUniform, kExponential, kNormal, kLogNormal };

  DurationDistribution() = default;
  static DurationDistribution fixed(TimeMs ms);
  // nullopt with a message for text that is neither a duration nor one of the forms above, and
  // for negative durations or bounds out of order.
  static std::optional<DurationDistribution> parse(std::string_view text,
                                                   std::string* error = nullptr);

  Kind kind() const { return kind_; }
  bool is_fixed() const { return kind_ == Kind::kFixed; }
  // Fixed: the duration; otherwise the mean (the median for lognormal is `a`).
  TimeMs a_ms() const { return a_ms_; }
  // Draws one duration (>= 0). Fixed durations draw nothing from the stream.
  TimeMs sample(Rng& rng) const;
  // Canonical text: "30m", "uniform(10m,30m)", "lognormal(30m,0.5)".
  std::string str() const;

 private:
  Kind kind_ = Kind::kFixed;
  TimeMs a_ms_ = 0;
  TimeMs b_ms_ = 0;   // uniform upper bound, normal standard deviation
  double sigma_ = 0;  // lognormal
};

}  // namespace gpusim
