#include "scenario/document.hpp"

namespace gpusim::scenario {

SourceLocation Document::location(const YAML::Mark& mark) const {
  SourceLocation loc;
  loc.file = file_;
  if (mark.line >= 0) {
    loc.line = line_offset_ + mark.line + 1;
    loc.column = mark.column >= 0 ? mark.column + 1 : 0;
  }
  return loc;
}

std::filesystem::path Document::resolve(const std::string& path) const {
  const std::filesystem::path p(path);
  if (p.is_absolute() || dir_.empty()) return p;
  return dir_ / p;
}

}  // namespace gpusim::scenario
