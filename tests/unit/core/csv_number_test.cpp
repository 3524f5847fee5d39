#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "core/csv.hpp"

namespace gpusim {
namespace {

std::string reference_fixed3(double v) {
  if (!std::isfinite(v)) return "";
  char buf[400];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 3).ptr);
}

std::string fixed3(double v) {
  std::string s;
  append_fixed3(s, v);
  return s;
}

// The shortcut must print exactly what the exact expansion prints, most of all next to the
// halves where rounding the scaled product could go the other way.
TEST(CsvNumberTest, Fixed3PrintsWhatToCharsPrints) {
  std::mt19937_64 gen(20261129);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 200'000; ++i) {
    const double magnitude = std::pow(10.0, static_cast<int>(gen() % 16) - 4);
    const double v = unit(gen) * magnitude;
    ASSERT_EQ(fixed3(v), reference_fixed3(v)) << v;
  }
  for (std::int64_t k = 0; k < 100'000; k += 7) {
    // k + 0.5 thousandths and its neighbours: exact ties (k.5 / 1000 is not a double, but
    // products such as 0.0625 * 1000 are) and values a few ulps either side.
    const double half = (static_cast<double>(k) + 0.5) / 1000.0;
    double below = half;
    double above = half;
    for (int step = 0; step < 40; ++step) {
      ASSERT_EQ(fixed3(below), reference_fixed3(below)) << below;
      ASSERT_EQ(fixed3(above), reference_fixed3(above)) << above;
      below = std::nextafter(below, 0.0);
      above = std::nextafter(above, 1e300);
    }
  }
  for (const double v : {0.0, -0.0, -1.25, -0.0001, 0.0625, 0.0005, 1e12, 1.5e15, 123.4565,
                         std::numeric_limits<double>::denorm_min(),
                         std::numeric_limits<double>::infinity(), std::nan("")}) {
    EXPECT_EQ(fixed3(v), reference_fixed3(v)) << v;
  }
}

}  // namespace
}  // namespace gpusim
