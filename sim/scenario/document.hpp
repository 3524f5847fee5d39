#pragma once
// One YAML document being read: the file it came from, where it starts in that file and where
// its problems go. yaml-cpp marks are 0-based and relative to the document's text; diagnostics are
// 1-based and relative to the file.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "core/diagnostics.hpp"

namespace gpusim::scenario {

class Document {
 public:
  Document(Diagnostics& diagnostics, std::string file, std::filesystem::path dir, int line_offset)
      : diagnostics_(diagnostics),
        file_(std::move(file)),
        dir_(std::move(dir)),
        line_offset_(line_offset) {}

  SourceLocation location(const YAML::Mark& mark) const;
  const std::string& file() const { return file_; }
  // Relative paths in a document are relative to the directory of the file that holds it.
  std::filesystem::path resolve(const std::string& path) const;
  Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  Diagnostics& diagnostics_;
  std::string file_;
  std::filesystem::path dir_;
  int line_offset_ = 0;
};

}  // namespace gpusim::scenario
