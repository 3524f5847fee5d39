#pragma once
// A piece of a line of a CSV input (an arrival trace, an openb trace) and where it starts, so an
// error names file:line:column.
#include <cstddef>
#include <string_view>

namespace gpusim::scenario {

// Errors reported per file: past this many, more add nothing a user would read.
inline constexpr std::size_t kMaxCsvErrors = 50;

struct CsvCell {
  std::string_view text;
  int column = 0;  // 1-based
};

}  // namespace gpusim::scenario
