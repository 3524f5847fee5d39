// docs/scenario.md against what the loader reads: an unknown gpusim.io annotation's warning sends
// users there, so every annotation the loader accepts must be described in its table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "scenario/object_parser.hpp"

namespace gpusim::scenario {
namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The text from the heading `title` to the next heading of the same level.
std::string section(const std::string& doc, const std::string& title) {
  const std::size_t start = doc.find("\n" + title + "\n");
  if (start == std::string::npos) return {};
  const std::size_t end = doc.find("\n## ", start + title.size() + 1);
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(ScenarioDocs, EveryAnnotationTheLoaderAcceptsHasARow) {
  const std::string doc =
      read_text(std::filesystem::path(GPUSIM_SOURCE_DIR) / "docs" / "scenario.md");
  const std::string table = section(doc, "## gpusim.io annotations");
  ASSERT_FALSE(table.empty()) << "docs/scenario.md lost its \"## gpusim.io annotations\" section";
  for (const std::string& name : known_gpusim_annotations()) {
    EXPECT_NE(table.find("\n| `" + name + "` |"), std::string::npos)
        << name << " has no row in docs/scenario.md's annotation table";
  }
}

}  // namespace
}  // namespace gpusim::scenario
