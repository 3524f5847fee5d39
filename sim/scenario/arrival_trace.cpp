#include "scenario/arrival_trace.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/distribution.hpp"
#include "core/duration.hpp"
#include "scenario/csv_cell.hpp"
#include "scenario/names.hpp"
#include "scenario/resource_names.hpp"

namespace gpusim::scenario {
namespace {

constexpr const char* kFormatHint =
    "rows are time,namespace,requests[,duration], e.g. 90s,team-a,cpu=4;nvidia.com/gpu=1,45m";

CsvCell trimmed(CsvCell c) {
  while (!c.text.empty() && (c.text.front() == ' ' || c.text.front() == '\t')) {
    c.text.remove_prefix(1);
    ++c.column;
  }
  while (!c.text.empty() && (c.text.back() == ' ' || c.text.back() == '\t'))
    c.text.remove_suffix(1);
  return c;
}

// `c` split at every `sep`, each piece trimmed (empty pieces kept).
std::vector<CsvCell> cells(CsvCell c, char sep) {
  std::vector<CsvCell> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = c.text.find(sep, start);
    const std::size_t len = pos == std::string_view::npos ? std::string_view::npos : pos - start;
    out.push_back(trimmed(CsvCell{c.text.substr(start, len), c.column + static_cast<int>(start)}));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// The optional header: exactly the column names, in order.
bool is_header(const std::vector<CsvCell>& fields) {
  static const std::vector<std::string_view> names{"time", "namespace", "requests", "duration"};
  if (fields.size() < 3 || fields.size() > 4) return false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].text != names[i]) return false;
  }
  return true;
}

class TraceReader {
 public:
  TraceReader(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  void line(std::string_view text, int line_no) {
    line_ = line_no;
    // The duration is the rest of the line: its distributions have commas of their own
    // (`uniform(10m,30m)`).
    std::vector<CsvCell> fields = cells(CsvCell{text, 1}, ',');
    if (fields.size() > 4) {
      const int start = fields[3].column - 1;
      fields.resize(3);
      fields.push_back(trimmed(CsvCell{text.substr(static_cast<std::size_t>(start)), start + 1}));
    }
    const bool first = first_;
    first_ = false;
    if (first && is_header(fields)) return;
    if (fields.size() < 3) {
      error(1, "row",
            "expected 3 or 4 comma-separated fields, got " + std::to_string(fields.size()),
            kFormatHint);
      return;
    }
    engine::ArrivalTraceRow row;
    bool ok = true;
    const auto time = parse_duration_ms(fields[0].text);
    if (!time || *time < 0) {
      error(fields[0].column, "time",
            "invalid arrival time \"" + std::string(fields[0].text) + "\"",
            first ? "a duration from the arrival's start (90s, 1h30m) or whole seconds; a header "
                    "row must be exactly time,namespace,requests,duration"
                  : "a duration from the arrival's start (90s, 1h30m) or whole seconds");
      ok = false;
    } else {
      row.t_ms = *time;
    }
    const CsvCell ns = fields[1];
    if (ns.text.empty()) {
      error(ns.column, "namespace", "required value is missing");
      ok = false;
    } else if (auto why = check_dns_label(ns.text); !why.empty()) {
      error(ns.column, "namespace", "invalid namespace \"" + std::string(ns.text) + "\": " + why);
      ok = false;
    }
    row.namespace_ = std::string(ns.text);
    ok = requests(fields[2], row) && ok;
    if (fields.size() == 4 && !fields[3].text.empty()) {
      std::string err;
      if (!DurationDistribution::parse(fields[3].text, &err)) {
        error(fields[3].column, "duration", err,
              "a gpusim.io/duration value: 45m, uniform(10m,30m), lognormal(30m,0.5)...");
        ok = false;
      }
      row.duration = std::string(fields[3].text);
    }
    if (ok) rows_.push_back(std::move(row));
  }

  std::vector<engine::ArrivalTraceRow> rows() {
    std::stable_sort(rows_.begin(), rows_.end(),
                     [](const auto& a, const auto& b) { return a.t_ms < b.t_ms; });
    return std::move(rows_);
  }

 private:
  // `cpu=4;nvidia.com/gpu=1`: the first container's requests (none is allowed: the template's).
  bool requests(CsvCell field, engine::ArrivalTraceRow& row) {
    bool ok = true;
    std::set<std::string> seen;
    for (const CsvCell part : cells(field, ';')) {
      if (part.text.empty()) continue;
      const auto eq = part.text.find('=');
      if (eq == std::string_view::npos) {
        error(part.column, "requests",
              "request \"" + std::string(part.text) + "\" is not name=quantity",
              "separate requests with ';', e.g. cpu=4;memory=16Gi;nvidia.com/gpu=1");
        ok = false;
        continue;
      }
      const CsvCell name = trimmed(CsvCell{part.text.substr(0, eq), part.column});
      const CsvCell amount =
          trimmed(CsvCell{part.text.substr(eq + 1), part.column + static_cast<int>(eq) + 1});
      const std::string n(name.text);
      const std::string path = "requests[" + n + "]";
      if (n.empty()) {
        error(name.column, "requests", "request \"" + std::string(part.text) + "\" has no name");
        ok = false;
        continue;
      }
      if (auto problem = check_resource_name(n, false)) {
        error(name.column, path, problem->message, problem->hint);
        ok = false;
        continue;
      }
      if (!seen.insert(n).second) {
        error(name.column, path, "duplicate resource \"" + n + "\"");
        ok = false;
        continue;
      }
      const auto q = Quantity::parse(amount.text);
      if (!q) {
        error(amount.column, path, "invalid quantity \"" + std::string(amount.text) + "\"");
        ok = false;
        continue;
      }
      if (auto problem = check_resource_amount(n, *q, amount.text)) {
        error(amount.column, path, problem->message, problem->hint);
        ok = false;
        continue;
      }
      row.requests.emplace(n, *q);
    }
    return ok;
  }

  void error(int column, const std::string& field, const std::string& message,
             std::string hint = {}) {
    if (errors_++ < kMaxCsvErrors) {
      diags_.error(SourceLocation{file_, line_, column}, field, message, std::move(hint));
    }
  }

  const std::string& file_;
  Diagnostics& diags_;
  std::vector<engine::ArrivalTraceRow> rows_;
  std::size_t errors_ = 0;
  int line_ = 0;
  bool first_ = true;
};

}  // namespace

std::vector<engine::ArrivalTraceRow> parse_arrival_trace(std::string_view text,
                                                         const std::string& file,
                                                         Diagnostics& diags) {
  TraceReader reader(file, diags);
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    std::string_view l = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_no;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    const CsvCell t = trimmed(CsvCell{l, 1});
    if (t.text.empty() || t.text.front() == '#') continue;
    reader.line(l, line_no);
  }
  return reader.rows();
}

std::vector<engine::ArrivalTraceRow> read_arrival_trace(const std::string& path,
                                                        Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(SourceLocation{path, 0, 0}, "", "cannot read the trace file");
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_arrival_trace(ss.str(), path, diags);
}

}  // namespace gpusim::scenario
