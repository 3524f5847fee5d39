#pragma once
// Splits text at every `sep`, keeping empty fields ("a,,b" -> {"a", "", "b"}; "" -> {""}):
// callers decide what an empty field means.
#include <string>
#include <string_view>
#include <vector>

namespace gpusim {

inline std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

}  // namespace gpusim
