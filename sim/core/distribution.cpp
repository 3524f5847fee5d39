#include "core/distribution.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

#include "core/duration.hpp"

namespace gpusim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::string fmt_double(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::to_string(v);
}

}  // namespace

DurationDistribution DurationDistribution::fixed(TimeMs ms) {
  DurationDistribution d;
  d.a_ms_ = ms;
  return d;
}

std::optional<DurationDistribution> DurationDistribution::parse(std::string_view text,
                                                                std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<DurationDistribution> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  const std::string_view t = trim(text);
  const auto open = t.find('(');
  if (open == std::string_view::npos) {
    const auto ms = parse_duration_ms(t);
    if (!ms) {
      return fail("invalid duration \"" + std::string(t) +
                  "\": expected a duration (90s, 1h30m, 2d or whole seconds) or uniform(a,b), "
                  "exponential(mean), normal(mean,stddev), lognormal(median,sigma)");
    }
    if (*ms < 0) return fail("duration must not be negative: \"" + std::string(t) + "\"");
    return fixed(*ms);
  }
  if (t.back() != ')') return fail("missing ')' in \"" + std::string(t) + "\"");
  const std::string name(trim(t.substr(0, open)));
  std::vector<std::string_view> args;
  std::string_view inner = t.substr(open + 1, t.size() - open - 2);
  for (;;) {
    const auto comma = inner.find(',');
    args.push_back(trim(inner.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    inner.remove_prefix(comma + 1);
  }
  auto dur = [&](std::string_view s, TimeMs& out) {
    const auto ms = parse_duration_ms(s);
    if (!ms || *ms < 0) return false;
    out = *ms;
    return true;
  };
  auto want = [&](std::size_t n, const char* shape) -> std::optional<std::string> {
    if (args.size() != n) {
      return name + " takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ": " +
             shape;
    }
    return std::nullopt;
  };
  DurationDistribution d;
  if (name == "uniform") {
    if (auto e = want(2, "uniform(min, max)")) return fail(*e);
    if (!dur(args[0], d.a_ms_) || !dur(args[1], d.b_ms_)) {
      return fail("uniform(min, max) needs two non-negative durations");
    }
    if (d.b_ms_ < d.a_ms_) return fail("uniform(min, max): max is below min");
    d.kind_ = Kind::kUniform;
  } else if (name == "exponential" || name == "exp") {
    if (auto e = want(1, "exponential(mean)")) return fail(*e);
    if (!dur(args[0], d.a_ms_) || d.a_ms_ <= 0) {
      return fail("exponential(mean) needs a positive duration");
    }
    d.kind_ = Kind::kExponential;
  } else if (name == "normal") {
    if (auto e = want(2, "normal(mean, stddev)")) return fail(*e);
    if (!dur(args[0], d.a_ms_) || !dur(args[1], d.b_ms_)) {
      return fail("normal(mean, stddev) needs two non-negative durations");
    }
    d.kind_ = Kind::kNormal;
  } else if (name == "lognormal") {
    if (auto e = want(2, "lognormal(median, sigma)")) return fail(*e);
    if (!dur(args[0], d.a_ms_) || d.a_ms_ <= 0) {
      return fail("lognormal(median, sigma) needs a positive median duration");
    }
    const std::string s(args[1]);
    double sigma = -1;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), sigma);
    if (ec != std::errc() || p != s.data() + s.size() || !(sigma >= 0) || !std::isfinite(sigma)) {
      return fail("lognormal(median, sigma): sigma must be a non-negative number, got \"" + s +
                  "\"");
    }
    d.sigma_ = sigma;
    d.kind_ = Kind::kLogNormal;
  } else {
    return fail("unknown distribution \"" + name +
                "\": supported are uniform, exponential (exp), normal, lognormal");
  }
  return d;
}

TimeMs DurationDistribution::sample(Rng& rng) const {
  double v = 0;
  switch (kind_) {
    case Kind::kFixed:
      return a_ms_;
    case Kind::kUniform:
      return rng.uniform_int(a_ms_, b_ms_);
    case Kind::kExponential:
      v = rng.exponential(static_cast<double>(a_ms_));
      break;
    case Kind::kNormal:
      v = rng.normal(static_cast<double>(a_ms_), static_cast<double>(b_ms_));
      break;
    case Kind::kLogNormal:
      v = rng.lognormal(std::log(static_cast<double>(a_ms_)), sigma_);
      break;
  }
  if (!(v > 0)) return 0;
  constexpr double kCap = 9.0e15;  // far beyond any run; keeps llround defined
  return static_cast<TimeMs>(std::llround(v < kCap ? v : kCap));
}

std::string DurationDistribution::str() const {
  switch (kind_) {
    case Kind::kFixed:
      return format_duration(a_ms_);
    case Kind::kUniform:
      return "uniform(" + format_duration(a_ms_) + "," + format_duration(b_ms_) + ")";
    case Kind::kExponential:
      return "exponential(" + format_duration(a_ms_) + ")";
    case Kind::kNormal:
      return "normal(" + format_duration(a_ms_) + "," + format_duration(b_ms_) + ")";
    case Kind::kLogNormal:
      return "lognormal(" + format_duration(a_ms_) + "," + fmt_double(sigma_) + ")";
  }
  return format_duration(a_ms_);
}

}  // namespace gpusim
