#include "engine/arrival_metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <stdexcept>

namespace gpusim::engine {
namespace {

// part / whole as a percentage with 4 decimals, in units of 1e-4 %, rounded half up.
std::int64_t pct_e4(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return 0;
  // |part| stays far below 2^63 / 2e6 for any cluster up to ~10^12 milli-GPU.
  return (part * 2'000'000 + whole) / (whole * 2);
}

void put_pct(std::string& out, std::int64_t e4) {
  char buf[32];
  const char* sign = e4 < 0 ? "-" : "";
  const std::int64_t a = e4 < 0 ? -e4 : e4;
  std::snprintf(buf, sizeof buf, "%s%lld.%04lld", sign, static_cast<long long>(a / 10000),
                static_cast<long long>(a % 10000));
  out += buf;
}

}  // namespace

std::string arrival_csv(const std::vector<ArrivalRow>& rows, std::int64_t capacity_milli) {
  std::string out =
      "pod_index,arrived_gpu_milli,arrived_pct,allocated_gpu_milli,allocation_pct,unallocated_pct,"
      "frag_gpu_milli,frag_pct,scheduled\n";
  out.reserve(out.size() + rows.size() * 80);
  for (const auto& r : rows) {
    const std::int64_t alloc = pct_e4(r.allocated_gpu_milli, capacity_milli);
    out += std::to_string(r.pod_index);
    out += ',';
    out += std::to_string(r.arrived_gpu_milli);
    out += ',';
    put_pct(out, pct_e4(r.arrived_gpu_milli, capacity_milli));
    out += ',';
    out += std::to_string(r.allocated_gpu_milli);
    out += ',';
    put_pct(out, alloc);
    out += ',';
    put_pct(out, 1'000'000 - alloc);
    out += ',';
    out += std::to_string(r.frag_gpu_milli);
    out += ',';
    put_pct(out, pct_e4(r.frag_gpu_milli, capacity_milli));
    out += r.scheduled ? ",1\n" : ",0\n";
  }
  return out;
}

std::vector<ArrivalPoint> parse_arrival_csv(std::string_view csv) {
  std::vector<ArrivalPoint> out;
  std::size_t pos = 0;
  int line = 0;
  int col_arrived = -1;
  int col_alloc = -1;
  while (pos < csv.size()) {
    std::size_t end = csv.find('\n', pos);
    if (end == std::string_view::npos) end = csv.size();
    std::string_view l = csv.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.empty()) continue;
    std::vector<std::string_view> cells;
    std::size_t s = 0;
    for (;;) {
      const std::size_t c = l.find(',', s);
      cells.push_back(l.substr(s, c == std::string_view::npos ? std::string_view::npos : c - s));
      if (c == std::string_view::npos) break;
      s = c + 1;
    }
    if (col_arrived < 0) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "arrived_pct") col_arrived = static_cast<int>(i);
        if (cells[i] == "allocation_pct") col_alloc = static_cast<int>(i);
      }
      if (col_arrived < 0 || col_alloc < 0) {
        throw std::invalid_argument("arrival.csv:" + std::to_string(line) +
                                    ": header lacks arrived_pct or allocation_pct");
      }
      continue;
    }
    auto num = [&](int col) {
      if (static_cast<std::size_t>(col) >= cells.size()) {
        throw std::invalid_argument("arrival.csv:" + std::to_string(line) + ": too few fields");
      }
      const std::string text(cells[static_cast<std::size_t>(col)]);
      char* endp = nullptr;
      const double v = std::strtod(text.c_str(), &endp);
      if (text.empty() || endp != text.c_str() + text.size()) {
        throw std::invalid_argument("arrival.csv:" + std::to_string(line) + ": not a number: \"" +
                                    text + "\"");
      }
      return v;
    };
    out.push_back(ArrivalPoint{num(col_arrived), num(col_alloc)});
  }
  return out;
}

std::vector<double> unallocated_at(const std::vector<ArrivalPoint>& points,
                                   const std::vector<int>& arrival_pcts) {
  std::map<long, std::pair<double, long>> bins;  // rounded arrival % -> (sum, count)
  for (const auto& p : points) {
    auto& b = bins[std::lrint(p.arrived_pct)];  // the default rounding mode rounds half to even
    b.first += p.allocation_pct;
    b.second += 1;
  }
  auto mean = [&](long bin, double& v) {
    auto it = bins.find(bin);
    if (it == bins.end()) return false;
    v = it->second.first / static_cast<double>(it->second.second);
    return true;
  };
  std::vector<double> out;
  for (int a : arrival_pcts) {
    double v = 0;
    if (!mean(a, v)) {
      double lo = 0;
      double hi = 0;
      const bool has_lo = mean(a - 1, lo);
      const bool has_hi = mean(a + 1, hi);
      if (has_lo && has_hi) {
        v = (lo + hi) / 2;
      } else if (has_lo || has_hi) {
        v = has_lo ? lo : hi;
      } else {
        out.push_back(std::numeric_limits<double>::quiet_NaN());
        continue;
      }
    }
    out.push_back(100.0 - v);
  }
  return out;
}

}  // namespace gpusim::engine
