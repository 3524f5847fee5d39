#include "reports/junit_writer.hpp"

#include <cstdio>
#include <map>

#include "reports/evaluator.hpp"

namespace gpusim::reports {

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        // XML 1.0 forbids other control characters even as references.
        if (c < 0x20 && c != '\r') {
          out += ' ';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

namespace {
std::string unique(std::map<std::string, int>& seen, const std::string& name) {
  const int n = ++seen[name];
  return n == 1 ? name : name + " (" + std::to_string(n) + ")";
}
std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}
}  // namespace

std::string junit_xml(const std::vector<SuiteResult>& suites) {
  std::size_t tests = 0, failures = 0, errors = 0;
  double time = 0;
  for (const auto& s : suites) {
    for (const auto& r : s.results) {
      ++tests;
      if (r.error)
        ++errors;
      else if (!r.passed)
        ++failures;
    }
    time += s.time_s;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"gpusim check\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
       std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\" time=\"" +
       seconds(time) + "\">\n";
  std::map<std::string, int> suite_names;
  for (const auto& s : suites) {
    std::size_t f = 0, e = 0;
    for (const auto& r : s.results) {
      if (r.error)
        ++e;
      else if (!r.passed)
        ++f;
    }
    const std::string suite =
        unique(suite_names, s.name.empty() ? std::string("simulation") : s.name);
    x += "  <testsuite name=\"" + xml_escape(suite) + "\" tests=\"" +
         std::to_string(s.results.size()) + "\" failures=\"" + std::to_string(f) + "\" errors=\"" +
         std::to_string(e) + "\" skipped=\"0\" time=\"" + seconds(s.time_s) + "\">\n";
    x += "    <properties>\n";
    x += "      <property name=\"seed\" value=\"" + std::to_string(s.seed) + "\"/>\n";
    if (!s.run_dir.empty())
      x += "      <property name=\"run_dir\" value=\"" + xml_escape(s.run_dir) + "\"/>\n";
    x += "    </properties>\n";
    std::map<std::string, int> case_names;
    for (const auto& r : s.results) {
      const std::string name = unique(case_names, r.name);
      x += "    <testcase name=\"" + xml_escape(name) + "\" classname=\"gpusim." +
           xml_escape(suite) + "\" time=\"0\"";
      if (r.passed && !r.error) {
        x += "/>\n";
        continue;
      }
      x += ">\n";
      std::string body = "expectation: " + r.expr + "\n" + r.message;
      if (r.at_ms) body += "\nat simulated time " + format_time(*r.at_ms);
      if (r.error) {
        x += "      <error message=\"" + xml_escape(r.message) + "\" type=\"ExpectationError\">" +
             xml_escape(body) + "</error>\n";
      } else {
        const std::string msg = "observed " + r.observed + ", expected " + r.expected;
        x += "      <failure message=\"" + xml_escape(msg) + "\" type=\"ExpectationFailed\">" +
             xml_escape(body) + "</failure>\n";
      }
      x += "    </testcase>\n";
    }
    x += "  </testsuite>\n";
  }
  x += "</testsuites>\n";
  return x;
}

}  // namespace gpusim::reports
