// The arrival trace reader (scenario/arrival_trace.hpp): rows, the optional header, and every bad
// row reported at its line and column with the column's name.
#include "scenario/arrival_trace.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gpusim::scenario {
namespace {

std::vector<std::string> trace_problems(const std::string& text) {
  Diagnostics d;
  (void)parse_arrival_trace(text, "t.csv", d);
  std::vector<std::string> out;
  for (const auto& item : d.items())
    out.push_back(item.str());
  return out;
}

TEST(ArrivalTrace, ReadsRowsInTimeOrderWithOrWithoutAHeader) {
  for (const std::string header : {"", "time,namespace,requests,duration\n"}) {
    Diagnostics d;
    const auto rows = parse_arrival_trace(header +
                                              "# a comment\n"
                                              "\n"
                                              " 1h , team-a , cpu=4 ; nvidia.com/gpu=2 , 45m\r\n"
                                              "90,default,,\n"
                                              "90s,team-b,memory=1Gi, uniform(1m, 2m)\n",
                                          "t.csv", d);
    EXPECT_FALSE(d.has_errors()) << (d.items().empty() ? "" : d.items()[0].str());
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].t_ms, 90'000);
    EXPECT_EQ(rows[0].namespace_, "default");  // ties keep file order
    EXPECT_TRUE(rows[0].requests.empty());
    EXPECT_EQ(rows[0].duration, "");
    EXPECT_EQ(rows[1].namespace_, "team-b");
    EXPECT_EQ(rows[1].requests.at("memory").str(), "1Gi");
    EXPECT_EQ(rows[1].duration, "uniform(1m, 2m)");  // the rest of the line, commas and all
    EXPECT_EQ(rows[2].t_ms, 3'600'000);
    EXPECT_EQ(rows[2].requests.at("cpu").str(), "4");
    EXPECT_EQ(rows[2].requests.at("nvidia.com/gpu").str(), "2");
    EXPECT_EQ(rows[2].duration, "45m");
  }
}

// The first row is a header only when it is exactly the column names: a malformed first row is
// reported, not dropped.
TEST(ArrivalTrace, AMalformedFirstRowIsAnErrorNotAHeader) {
  const auto p = trace_problems("5x,team-a,cpu=1,10m\n6m,team-a,cpu=1,10m\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("t.csv:1:1: error: time: invalid arrival time \"5x\"", 0), 0u) << p[0];
  EXPECT_NE(p[0].find("a header row must be exactly time,namespace,requests,duration"),
            std::string::npos);
  // A header of other names is a row: every field of it is wrong.
  const auto other = trace_problems("t_s,namespace,cpu_milli,duration_s\n");
  ASSERT_EQ(other.size(), 3u);
  EXPECT_EQ(other[0].rfind("t.csv:1:1: error: time: invalid arrival time \"t_s\"", 0), 0u);
  EXPECT_EQ(other[1].rfind("t.csv:1:15: error: requests: request \"cpu_milli\"", 0), 0u);
  EXPECT_EQ(other[2].rfind("t.csv:1:25: error: duration: ", 0), 0u);
  EXPECT_EQ(trace_problems("time,namespace,requests\n0,a,cpu=1\n").size(), 0u);
}

TEST(ArrivalTrace, ReportsEveryBadFieldWithItsColumn) {
  const auto p = trace_problems(
      "0s,Team_B,cpu=2;nvidia.com/gpu=0.5,20m\n"
      "1m,team-c,cpu=2;memroy=1Gi;cpu=3,5m\n"
      "2m,,cpu=two;gpu,soon\n"
      "3m,a\n"
      "-1m,a,cpu=-1;example.com/x=1;hugepages-2Mi=2Mi,\n");
  const std::vector<std::string> want{
      "t.csv:1:4: error: namespace: invalid namespace \"Team_B\": a lowercase RFC 1123 label",
      "t.csv:1:32: error: requests[nvidia.com/gpu]: nvidia.com/gpu must be a whole number, got "
      "0.5",
      "t.csv:2:17: error: requests[memroy]: unknown resource name \"memroy\" (hint: did you mean "
      "\"memory\"?)",
      "t.csv:2:28: error: requests[cpu]: duplicate resource \"cpu\"",
      "t.csv:3:4: error: namespace: required value is missing",
      "t.csv:3:9: error: requests[cpu]: invalid quantity \"two\"",
      "t.csv:3:13: error: requests: request \"gpu\" is not name=quantity",
      "t.csv:3:17: error: duration: ",
      "t.csv:4:1: error: row: expected 3 or 4 comma-separated fields, got 2",
      "t.csv:5:1: error: time: invalid arrival time \"-1m\"",
      "t.csv:5:11: error: requests[cpu]: must be greater than or equal to 0, got -1",
  };
  ASSERT_EQ(p.size(), want.size()) << ::testing::PrintToString(p);
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(p[i].rfind(want[i], 0), 0u) << p[i] << "\nwant: " << want[i];
}

// As upstream's validateResourceName: a name with a '/' must still be a qualified name (the
// manifests' container resources get the same check).
TEST(ArrivalTrace, AResourceNameMustBeAQualifiedName) {
  const auto p = trace_problems("0,a,example.com/fpga!=1\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("t.csv:1:5: error: requests[example.com/fpga!]: unknown resource name "
                       "\"example.com/fpga!\"",
                       0),
            0u)
      << p[0];
}

TEST(ArrivalTrace, StopsReportingAfterFiftyErrors) {
  std::string text;
  for (int i = 0; i < 80; ++i)
    text += "x,a,cpu=1\n";
  Diagnostics d;
  EXPECT_TRUE(parse_arrival_trace(text, "t.csv", d).empty());
  EXPECT_EQ(d.error_count(), 50u);
}

TEST(ArrivalTrace, AMissingFileIsAnError) {
  Diagnostics d;
  EXPECT_TRUE(read_arrival_trace("/nonexistent/arrivals.csv", d).empty());
  ASSERT_EQ(d.error_count(), 1u);
  EXPECT_EQ(d.items()[0].str().rfind("/nonexistent/arrivals.csv:", 0), 0u);
}

}  // namespace
}  // namespace gpusim::scenario
