// Every file in tests/data/scenarios/bad/ is a small malformed input whose header comments say
// exactly what the loader must report:
//   # expect <error|warning> <line>:<column> <field path or -> <message and hint, as a prefix>
// The test checks each expected diagnostic (file, line, column, field path, text), that no other
// error or warning is reported, and that load_scenario throws InputError exactly when an error is
// expected.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario/loader.hpp"
#include "scenario_test_util.hpp"

namespace gpusim::scenario {
namespace {

struct Expected {
  Severity severity = Severity::kError;
  std::string file;  // empty: the YAML file
  int line = 0;
  int column = 0;
  std::string path;
  std::string text;
};

std::vector<Expected> read_expectations(const std::string& file) {
  std::vector<Expected> out;
  std::ifstream in(file);
  std::string line;
  const std::string tag = "# expect ";
  while (std::getline(in, line)) {
    if (line.rfind(tag, 0) != 0) continue;
    std::istringstream ss(line.substr(tag.size()));
    Expected e;
    std::string severity, position;
    ss >> severity >> position;
    e.severity = severity == "warning" ? Severity::kWarning : Severity::kError;
    // `L:C` in the YAML file itself, or `other/file:L:C` (relative to the YAML's directory) for
    // a file it names, such as an arrival trace.
    const auto colon = position.rfind(':');
    const auto line_colon = position.rfind(':', colon - 1);
    if (line_colon != std::string::npos) {
      e.file = (std::filesystem::path(file).parent_path() / position.substr(0, line_colon))
                   .lexically_normal()
                   .string();
    }
    const auto line_start = line_colon == std::string::npos ? 0 : line_colon + 1;
    e.line = std::stoi(position.substr(line_start, colon - line_start));
    e.column = std::stoi(position.substr(colon + 1));
    std::string rest;
    std::getline(ss, rest);
    rest.erase(0, rest.find_first_not_of(' '));
    const auto sep = rest.find(": ");
    e.path = rest.substr(0, sep);
    if (e.path == "-") e.path.clear();
    e.text = rest.substr(sep + 2);
    out.push_back(e);
  }
  return out;
}

std::string text_of(const Diagnostic& d) {
  return d.hint.empty() ? d.message : d.message + " (hint: " + d.hint + ")";
}

std::vector<std::string> bad_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(testing::data_dir() / "bad")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class BadInput : public ::testing::TestWithParam<std::string> {};

TEST_P(BadInput, ReportsExactlyTheExpectedDiagnostics) {
  const std::string file = testing::data("bad/" + GetParam());
  const std::vector<Expected> expected = read_expectations(file);
  ASSERT_FALSE(expected.empty()) << file << " has no '# expect' line";

  const Diagnostics d = validate({file});
  std::string all;
  for (const auto& item : d.items())
    all += "\n  " + item.str();

  for (const Expected& e : expected) {
    const bool found = std::any_of(d.items().begin(), d.items().end(), [&](const Diagnostic& x) {
      return x.severity == e.severity && x.location.file == (e.file.empty() ? file : e.file) &&
             x.location.line == e.line && x.location.column == e.column && x.field_path == e.path &&
             text_of(x).rfind(e.text, 0) == 0;
    });
    EXPECT_TRUE(found) << "expected " << (e.severity == Severity::kError ? "error" : "warning")
                       << " at " << e.line << ":" << e.column << " " << e.path << ": " << e.text
                       << "\ngot:" << all;
  }
  auto count = [](auto begin, auto end, Severity s) {
    return std::count_if(begin, end, [s](const auto& x) { return x.severity == s; });
  };
  const auto expected_errors = count(expected.begin(), expected.end(), Severity::kError);
  EXPECT_EQ(count(d.items().begin(), d.items().end(), Severity::kError), expected_errors)
      << "got:" << all;
  EXPECT_EQ(count(d.items().begin(), d.items().end(), Severity::kWarning),
            count(expected.begin(), expected.end(), Severity::kWarning))
      << "got:" << all;

  if (expected_errors > 0) {
    try {
      (void)load_scenario({file});
      ADD_FAILURE() << "load_scenario did not throw for " << file;
    } catch (const InputError& err) {
      ASSERT_EQ(err.diagnostics().size(), d.items().size());
      for (std::size_t i = 0; i < d.items().size(); ++i) {
        EXPECT_EQ(err.diagnostics()[i].str(), d.items()[i].str());
      }
    }
  } else {
    const engine::Scenario s = load_scenario({file});
    EXPECT_EQ(s.warnings.items().size(), d.items().size());
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.rfind('.'));
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, BadInput, ::testing::ValuesIn(bad_files()), test_name);

// The reliability issue asks for at least 50 malformed inputs.
TEST(BadInputs, ThereAreAtLeastFiftyCases) {
  EXPECT_GE(bad_files().size(), 50u);
}

}  // namespace
}  // namespace gpusim::scenario
