#include "scenario/openb_trace.hpp"

#include <charconv>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "core/diagnostics.hpp"
#include "scenario/csv_cell.hpp"

namespace gpusim::scenario {
namespace {

constexpr std::int32_t kMaxGpusPerNode = 16;  // what the GPU scorer models per node

class CsvFile {
 public:
  CsvFile(std::string path, Diagnostics& diags) : path_(std::move(path)), diags_(diags) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      diags_.error(SourceLocation{path_, 0, 0}, "", "cannot read the file");
      return;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    text_ = ss.str();
    ok_ = true;
  }
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }

  // Next non-empty line split into cells; false at the end.
  bool next(std::vector<CsvCell>& cells, int& line) {
    while (pos_ < text_.size()) {
      const std::size_t end = text_.find('\n', pos_);
      std::string_view l(text_.data() + pos_,
                         (end == std::string::npos ? text_.size() : end) - pos_);
      pos_ = end == std::string::npos ? text_.size() : end + 1;
      ++line_;
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.empty()) continue;
      cells.clear();
      std::size_t start = 0;
      for (;;) {
        const std::size_t comma = l.find(',', start);
        cells.push_back(
            CsvCell{l.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                    : comma - start),
                    static_cast<int>(start) + 1});
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      line = line_;
      return true;
    }
    return false;
  }

  void error(int line, int column, const std::string& field, const std::string& message,
             std::string hint = {}) {
    if (diags_.error_count() < kMaxCsvErrors)
      diags_.error(SourceLocation{path_, line, column}, field, message, std::move(hint));
  }

 private:
  std::string path_;
  Diagnostics& diags_;
  std::string text_;
  std::size_t pos_ = 0;
  int line_ = 0;
  bool ok_ = false;
};

// Column positions by header name; required columns missing are errors.
struct Header {
  std::map<std::string, std::size_t, std::less<>> at;
  bool ok = false;
};

Header read_header(CsvFile& f, const std::vector<std::string>& required, const std::string& what) {
  Header h;
  std::vector<CsvCell> cells;
  int line = 0;
  if (!f.next(cells, line)) {
    f.error(1, 1, "", "empty file: expected a header line of " + what);
    return h;
  }
  for (std::size_t i = 0; i < cells.size(); ++i)
    h.at.emplace(std::string(cells[i].text), i);
  h.ok = true;
  for (const auto& r : required) {
    if (!h.at.count(r)) {
      std::string got;
      for (const auto& c : cells)
        got += (got.empty() ? "" : ",") + std::string(c.text);
      f.error(line, 1, "", "missing column \"" + r + "\" in the header",
              "a " + what + " header is " + got);
      h.ok = false;
    }
  }
  return h;
}

class Row {
 public:
  Row(CsvFile& f, const Header& h, const std::vector<CsvCell>& cells, int line)
      : f_(f), h_(h), cells_(cells), line_(line) {}

  bool has(std::string_view col) const {
    auto it = h_.at.find(col);
    return it != h_.at.end() && it->second < cells_.size();
  }
  std::string_view text(std::string_view col) const {
    auto it = h_.at.find(col);
    if (it == h_.at.end() || it->second >= cells_.size()) return {};
    return cells_[it->second].text;
  }
  int column(std::string_view col) const {
    auto it = h_.at.find(col);
    if (it == h_.at.end() || it->second >= cells_.size()) return 1;
    return cells_[it->second].column;
  }
  void error(std::string_view col, const std::string& message, std::string hint = {}) {
    f_.error(line_, column(col), std::string(col), message, std::move(hint));
    failed_ = true;
  }
  // An integer in [lo, hi]; nullopt (and an error unless optional and empty) otherwise.
  std::optional<std::int64_t> integer(std::string_view col, std::int64_t lo, std::int64_t hi,
                                      bool optional = false) {
    const std::string_view t = text(col);
    if (t.empty()) {
      if (!optional) error(col, "missing value");
      return std::nullopt;
    }
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size()) {
      error(col, "not an integer: \"" + std::string(t) + "\"");
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      error(col, std::to_string(v) + " is out of range " + std::to_string(lo) + ".." +
                     std::to_string(hi));
      return std::nullopt;
    }
    return v;
  }
  bool failed() const { return failed_; }

 private:
  CsvFile& f_;
  const Header& h_;
  const std::vector<CsvCell>& cells_;
  int line_;
  bool failed_ = false;
};

bool check_width(CsvFile& f, const Header& h, const std::vector<CsvCell>& cells, int line) {
  if (cells.size() == h.at.size()) return true;
  f.error(line, 1, "",
          "expected " + std::to_string(h.at.size()) + " comma-separated fields, found " +
              std::to_string(cells.size()),
          "quoted fields with commas are not part of the openb format");
  return false;
}

// Reads the row's `column` as a name that no earlier row of the file used (`seen`: name → line).
std::string unique_name(Row& r, const char* column, const char* what,
                        std::map<std::string, int, std::less<>>& seen, int line) {
  std::string name(r.text(column));
  if (name.empty()) r.error(column, std::string("missing ") + what + " name");
  if (auto it = seen.find(name); it != seen.end() && !name.empty()) {
    r.error(column, std::string("duplicate ") + what + " name \"" + name + "\" (first on line " +
                        std::to_string(it->second) + ")");
  }
  seen.emplace(name, line);
  return name;
}

void read_nodes(CsvFile& f, engine::TraceData& out) {
  const Header h = read_header(f, {"sn", "cpu_milli", "memory_mib", "gpu", "model"},
                               "node list (sn,cpu_milli,memory_mib,gpu,model)");
  if (!h.ok) return;
  std::map<std::string, int, std::less<>> seen;
  std::vector<CsvCell> cells;
  int line = 0;
  while (f.next(cells, line)) {
    if (!check_width(f, h, cells, line)) continue;
    Row r(f, h, cells, line);
    engine::TraceNode n;
    n.line = line;
    n.name = unique_name(r, "sn", "node", seen, line);
    const auto cpu = r.integer("cpu_milli", 1, std::int64_t{1} << 40);
    const auto mem = r.integer("memory_mib", 1, std::int64_t{1} << 32);
    const auto gpus = r.integer("gpu", 0, kMaxGpusPerNode);
    n.model = std::string(r.text("model"));
    if (gpus && *gpus > 0 && n.model.empty())
      r.error("model", "a node with GPUs needs a GPU model");
    if (r.failed()) continue;
    n.cpu_milli = *cpu;
    n.memory_mib = *mem;
    n.gpus = static_cast<std::int32_t>(*gpus);
    out.nodes.push_back(std::move(n));
  }
  if (out.nodes.empty() && f.ok()) f.error(1, 1, "", "no nodes in the file");
}

void read_pods(CsvFile& f, engine::TraceData& out) {
  const Header h = read_header(f, {"name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"},
                               "pod list (name,cpu_milli,memory_mib,num_gpu,gpu_milli,...)");
  if (!h.ok) return;
  std::map<std::string, int, std::less<>> seen;
  std::vector<CsvCell> cells;
  int line = 0;
  while (f.next(cells, line)) {
    if (!check_width(f, h, cells, line)) continue;
    Row r(f, h, cells, line);
    engine::TracePod p;
    p.line = line;
    p.name = unique_name(r, "name", "pod", seen, line);
    const auto cpu = r.integer("cpu_milli", 0, std::int64_t{1} << 40);
    const auto mem = r.integer("memory_mib", 0, std::int64_t{1} << 32);
    const auto num = r.integer("num_gpu", 0, kMaxGpusPerNode);
    const auto milli = r.integer("gpu_milli", 0, 1000);
    if (num && milli) {
      if (*num == 0 && *milli != 0) r.error("gpu_milli", "must be 0 when num_gpu is 0");
      if (*num > 0 && *milli == 0) r.error("gpu_milli", "must be 1..1000 when num_gpu > 0");
      if (*num > 1 && *milli != 1000) {
        r.error("gpu_milli", "must be 1000 when num_gpu > 1 (a pod shares at most one device)");
      }
    }
    if (r.has("gpu_spec")) {
      std::string_view s = r.text("gpu_spec");
      while (!s.empty()) {
        const auto bar = s.find('|');
        const std::string_view m = s.substr(0, bar);
        if (m.empty()) {
          r.error("gpu_spec", "empty model name in \"" + std::string(r.text("gpu_spec")) + "\"");
          break;
        }
        p.gpu_models.emplace_back(m);
        if (bar == std::string_view::npos) break;
        s.remove_prefix(bar + 1);
      }
    }
    if (r.has("creation_time"))
      p.creation_s = r.integer("creation_time", 0, std::int64_t{1} << 40, true);
    if (r.has("deletion_time"))
      p.deletion_s = r.integer("deletion_time", 0, std::int64_t{1} << 40, true);
    if (p.creation_s && p.deletion_s && *p.deletion_s < *p.creation_s) {
      r.error("deletion_time", "is before creation_time (" + std::to_string(*p.creation_s) + ")");
    }
    if (r.failed()) continue;
    p.cpu_milli = *cpu;
    p.memory_mib = *mem;
    p.num_gpu = static_cast<std::int32_t>(*num);
    p.gpu_milli = static_cast<std::int32_t>(*milli);
    out.pods.push_back(std::move(p));
  }
  if (out.pods.empty() && f.ok()) f.error(1, 1, "", "no pods in the file");
}

}  // namespace

engine::TraceData read_openb_trace(const std::string& node_file, const std::string& pod_file) {
  Diagnostics diags;
  engine::TraceData data;
  data.node_file = node_file;
  data.pod_file = pod_file;
  {
    CsvFile f(node_file, diags);
    if (f.ok()) read_nodes(f, data);
  }
  {
    CsvFile f(pod_file, diags);
    if (f.ok()) read_pods(f, data);
  }
  diags.throw_if_errors();
  return data;
}

void attach_trace_data(engine::Scenario& scenario) {
  auto& trace = scenario.simulation.trace;
  if (!trace || trace->data) return;
  if (trace->format != "openb") {
    throw InputError(trace->source, "trace.format",
                     "unknown trace format \"" + trace->format + "\"", "openb");
  }
  trace->data = std::make_shared<const engine::TraceData>(
      read_openb_trace(trace->node_file, trace->pod_file));
}

}  // namespace gpusim::scenario
