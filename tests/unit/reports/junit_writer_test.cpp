#include "reports/junit_writer.hpp"

#include <gtest/gtest.h>

namespace gpusim::reports {
namespace {

ExpectationResult pass(std::string name) {
  ExpectationResult r;
  r.name = std::move(name);
  r.expr = "max(nodes) == 3";
  r.passed = true;
  r.observed = "3";
  r.expected = "== 3";
  return r;
}

TEST(JUnitWriter, Golden) {
  ExpectationResult fail;
  fail.name = "team-a waits <= 10m";
  fail.expr = R"(max(pod_wait{namespace="team-a"}) <= 10m)";
  fail.observed = "1h";
  fail.expected = "<= 10m";
  fail.at_ms = 3'600'000;
  fail.message =
      R"(max(pod_wait{namespace="team-a"}) = 1h (team-a/train-1 at 1h), expected <= 10m)";
  ExpectationResult err;
  err.name = "hpa";
  err.expr = "duration(hpa_at_max) < 30m";
  err.error = true;
  err.observed = "error";
  err.message = "hpa_at_max needs hpa.csv, which this run did not write";
  SuiteResult a{"quota-ci", 42, "out/ci/quota-ci", 1.5, {pass("nodes"), fail, pass("nodes"), err}};
  SuiteResult b{"quota-ci", 7, "", 0, {pass("nodes")}};
  const std::string expected = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="gpusim check" tests="5" failures="1" errors="1" time="1.500">
  <testsuite name="quota-ci" tests="4" failures="1" errors="1" skipped="0" time="1.500">
    <properties>
      <property name="seed" value="42"/>
      <property name="run_dir" value="out/ci/quota-ci"/>
    </properties>
    <testcase name="nodes" classname="gpusim.quota-ci" time="0"/>
    <testcase name="team-a waits &lt;= 10m" classname="gpusim.quota-ci" time="0">
      <failure message="observed 1h, expected &lt;= 10m" type="ExpectationFailed">expectation: max(pod_wait{namespace=&quot;team-a&quot;}) &lt;= 10m&#10;max(pod_wait{namespace=&quot;team-a&quot;}) = 1h (team-a/train-1 at 1h), expected &lt;= 10m&#10;at simulated time 1h</failure>
    </testcase>
    <testcase name="nodes (2)" classname="gpusim.quota-ci" time="0"/>
    <testcase name="hpa" classname="gpusim.quota-ci" time="0">
      <error message="hpa_at_max needs hpa.csv, which this run did not write" type="ExpectationError">expectation: duration(hpa_at_max) &lt; 30m&#10;hpa_at_max needs hpa.csv, which this run did not write</error>
    </testcase>
  </testsuite>
  <testsuite name="quota-ci (2)" tests="1" failures="0" errors="0" skipped="0" time="0.000">
    <properties>
      <property name="seed" value="7"/>
    </properties>
    <testcase name="nodes" classname="gpusim.quota-ci (2)" time="0"/>
  </testsuite>
</testsuites>
)xml";
  EXPECT_EQ(junit_xml({a, b}), expected);
}

TEST(JUnitWriter, EscapesControlCharacters) {
  EXPECT_EQ(xml_escape(std::string("a\x01<b>&\"'\n")), "a &lt;b&gt;&amp;&quot;&apos;&#10;");
}

}  // namespace
}  // namespace gpusim::reports
