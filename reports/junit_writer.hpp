#pragma once
// JUnit XML for CI systems (GitHub Actions test reporters, GitLab's junit artifacts): a
// <testsuites> root, one <testsuite> per scenario, one <testcase> per expectation.
#include <string>
#include <vector>

#include "reports/expectations.hpp"

namespace gpusim::reports {

struct SuiteResult {
  std::string name;  // the scenario
  std::uint64_t seed = 0;
  std::string run_dir;
  double time_s = 0;
  std::vector<ExpectationResult> results;
};

// Testcase names are unique within the document: repeats get " (2)", " (3)"...; suites with the
// same name too.
std::string junit_xml(const std::vector<SuiteResult>& suites);
std::string xml_escape(const std::string& s);

}  // namespace gpusim::reports
