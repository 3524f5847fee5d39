#include "controllers/timings.hpp"

#include <charconv>
#include <map>

#include "core/duration.hpp"
#include "core/quantity.hpp"

namespace gpusim::ctrl {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return std::string(s);
}

// "v" -> {"": v}; "a=v1,b=v2" -> {a: v1, b: v2}. nullopt for an empty name or value.
std::optional<std::map<std::string, std::string>> split_values(const std::string& text) {
  std::map<std::string, std::string> out;
  if (text.find('=') == std::string::npos) {
    out[""] = trim(text);
    return out[""].empty() ? std::nullopt : std::optional(out);
  }
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view part(text.data() + pos, comma - pos);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string name = trim(part.substr(0, eq));
    const std::string value = trim(part.substr(eq + 1));
    if (name.empty() || value.empty()) return std::nullopt;
    out[name] = value;
    pos = comma + 1;
  }
  return out;
}

std::optional<double> parse_probability(const std::string& s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !(v >= 0.0 && v <= 1.0)) return std::nullopt;
  return v;
}

// Records `message` for the annotation `key` unless it already has one: a bad value given to
// every container is one mistake, not one per container.
void add_error(PodTimings& out, const char* key, const std::string& message) {
  const std::string prefix = std::string(key) + ": ";
  for (const auto& e : out.errors) {
    if (e.rfind(prefix, 0) == 0) return;
  }
  out.errors.push_back(prefix + message);
}

// Applies a per-container annotation: `apply(timings, value)` returns false when the value does
// not parse. A single value applies to app containers only (init_too: to init containers too).
template <typename Apply>
void per_container(const PodTemplate& t, const char* key, bool init_too, PodTimings& out,
                   Apply apply) {
  auto it = t.annotations.find(key);
  if (it == t.annotations.end()) return;
  const auto values = split_values(it->second);
  if (!values) {
    add_error(out, key, "cannot read \"" + it->second + "\"");
    return;
  }
  auto set = [&](ContainerTimings& c, const std::string& v) {
    if (!apply(c, v)) add_error(out, key, "bad value \"" + v + "\"");
  };
  for (const auto& [name, value] : *values) {
    if (name.empty()) {
      for (auto& c : out.app)
        set(c, value);
      if (init_too) {
        for (auto& c : out.init)
          set(c, value);
      }
      continue;
    }
    bool found = false;
    for (std::size_t i = 0; i < t.spec.containers.size(); ++i) {
      if (t.spec.containers[i].name == name) {
        set(out.app[i], value);
        found = true;
      }
    }
    for (std::size_t i = 0; i < t.spec.init_containers.size(); ++i) {
      if (t.spec.init_containers[i].name == name) {
        set(out.init[i], value);
        found = true;
      }
    }
    if (!found) add_error(out, key, "no container named \"" + name + "\"");
  }
}

std::optional<TimeMs> duration_annotation(const PodTemplate& t, const char* key, PodTimings& out) {
  auto it = t.annotations.find(key);
  if (it == t.annotations.end()) return std::nullopt;
  auto v = parse_duration_ms(it->second);
  if (!v || *v < 0) add_error(out, key, "not a duration: \"" + it->second + "\"");
  return v && *v >= 0 ? v : std::nullopt;
}

}  // namespace

PodTimings pod_timings(const PodTemplate& t, bool job_owned, const TimingDefaults& d) {
  PodTimings out;
  out.startup_ms = d.pod_startup_ms;
  out.shutdown_ms = d.shutdown_ms;
  out.failure_after_ms = d.failure_after_ms;
  ContainerTimings app;
  app.pull_ms = d.image_pull_ms;
  ContainerTimings init = app;
  init.run_ms = d.init_container_ms;
  out.init.assign(t.spec.init_containers.size(), init);
  out.app.assign(t.spec.containers.size(), app);

  if (auto v = duration_annotation(t, kAnnotationStartup, out)) out.startup_ms = *v;
  bool run_given = false;
  if (auto it = t.annotations.find(kAnnotationDuration); it != t.annotations.end()) {
    std::string error;
    if (auto v = DurationDistribution::parse(it->second, &error)) {
      out.run = *v;
      run_given = true;
    } else {
      add_error(out, kAnnotationDuration, error);
    }
  }
  if (!run_given) {
    if (job_owned) {
      out.run = d.job_pod_duration;
    } else {
      out.run = d.pod_duration;
    }
  }
  if (auto v = duration_annotation(t, kAnnotationWarmup, out)) out.warmup_ms = *v;
  if (auto v = duration_annotation(t, kAnnotationShutdown, out)) out.shutdown_ms = *v;
  if (auto v = duration_annotation(t, kAnnotationFailureAfter, out)) out.failure_after_ms = *v;

  auto duration = [](TimeMs& field) {
    return [&field](const std::string& v) {
      auto ms = parse_duration_ms(v);
      if (!ms || *ms < 0) return false;
      field = *ms;
      return true;
    };
  };
  per_container(t, kAnnotationImageSize, true, out, [&](ContainerTimings& c, const std::string& v) {
    auto q = Quantity::parse(v);
    if (!q || q->sign() < 0) return false;
    c.image_bytes = q->value();
    if (d.image_pull_bytes_per_second > 0) {
      c.pull_ms = static_cast<TimeMs>(static_cast<double>(q->value()) * 1000.0 /
                                      static_cast<double>(d.image_pull_bytes_per_second));
    }
    return true;
  });
  per_container(t, kAnnotationImagePull, true, out,
                [&](ContainerTimings& c, const std::string& v) { return duration(c.pull_ms)(v); });
  per_container(t, kAnnotationInitDuration, true, out,
                [&](ContainerTimings& c, const std::string& v) { return duration(c.run_ms)(v); });
  // A bare init-duration value is meant for the init containers (app containers have none).
  if (auto it = t.annotations.find(kAnnotationInitDuration);
      it != t.annotations.end() && it->second.find('=') == std::string::npos) {
    if (auto ms = parse_duration_ms(it->second); ms && *ms >= 0) {
      for (auto& c : out.init)
        c.run_ms = *ms;
    }
  }
  per_container(t, kAnnotationFailureProbability, false, out,
                [&](ContainerTimings& c, const std::string& v) {
                  auto p = parse_probability(v);
                  if (p) c.failure_probability = *p;
                  return p.has_value();
                });
  per_container(t, kAnnotationHangProbability, false, out,
                [&](ContainerTimings& c, const std::string& v) {
                  auto p = parse_probability(v);
                  if (p) c.hang_probability = *p;
                  return p.has_value();
                });
  // Hangs are drawn for app containers only: a named init container would be ignored.
  for (std::size_t i = 0; i < out.init.size(); ++i) {
    if (out.init[i].hang_probability > 0) {
      add_error(out, kAnnotationHangProbability,
                "\"" + t.spec.init_containers[i].name +
                    "\" is an init container, and only app containers hang");
    }
  }
  return out;
}

}  // namespace gpusim::ctrl
