#include "reports/run_dir.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gpusim::reports {

namespace fs = std::filesystem;

namespace {

const char* const kRequired[] = {"summary.json", "events.jsonl", "timeseries.csv", "pods.csv",
                                 "nodes.csv"};
const char* const kOptionalTables[] = {"arrival.csv", "workloads.csv", "hpa.csv", "quota.csv",
                                       "pools.csv"};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Field access by column name, tolerant of columns a writer does not have.
class Row {
 public:
  Row(const CsvTable& t, const std::vector<std::string>& r) : t_(t), r_(r) {}
  std::string str(const char* col) const {
    auto i = t_.column(col);
    return i ? r_[*i] : std::string();
  }
  std::optional<std::int64_t> opt_int(const char* col) const { return to_int(str(col)); }
  std::int64_t num(const char* col) const { return opt_int(col).value_or(0); }

 private:
  const CsvTable& t_;
  const std::vector<std::string>& r_;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

}  // namespace

std::string RunEvent::namespace_() const {
  const auto p = object.find('/');
  return p == std::string::npos ? std::string() : object.substr(0, p);
}

std::optional<TimeMs> PodRecord::released_ms() const {
  if (finished_ms && deleted_ms) return std::min(*finished_ms, *deleted_ms);
  if (finished_ms) return finished_ms;
  return deleted_ms;
}

std::map<std::string, std::string> parse_label_list(const std::string& s) {
  std::map<std::string, std::string> out;
  for (const auto& kv : split(s, ';')) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) {
      out[kv] = "";
    } else {
      out[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return out;
}

RunDir RunDir::load(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::invalid_argument(dir.string() + ": not a directory");
  if (!fs::exists(dir / "summary.json")) {
    throw std::invalid_argument(
        dir.string() + ": not a run directory (no summary.json; write one with `gpusim run`)");
  }
  std::map<std::string, std::string> files;
  for (const char* f : kRequired) {
    if (!fs::exists(dir / f))
      throw std::invalid_argument((dir / f).string() + ": missing from the run directory");
    files[f] = slurp(dir / f);
  }
  for (const char* f : kOptionalTables) {
    if (fs::exists(dir / f)) files[f] = slurp(dir / f);
  }
  if (fs::exists(dir / "explain.jsonl")) files["explain.jsonl"] = slurp(dir / "explain.jsonl");
  fs::path name = dir.filename().empty() ? dir.parent_path().filename() : dir.filename();
  RunDir r = from_files(files, dir.string());
  r.label_ = name.string();
  return r;
}

RunDir RunDir::from_files(const std::map<std::string, std::string>& files, std::string path) {
  RunDir r;
  r.path_ = path;
  r.label_ = path;
  auto get = [&](const char* f) -> const std::string& {
    auto it = files.find(f);
    if (it == files.end())
      throw std::invalid_argument(path + "/" + f + ": missing from the run directory");
    return it->second;
  };
  auto where = [&](const char* f) { return path + "/" + f; };
  // gpusim ends every line it writes: a table or log that stops mid-line was cut short (a copy
  // interrupted, a full disk), and its last row would be read with a value cut in two.
  for (const auto& [name, text] : files) {
    if (!text.empty() && text.back() != '\n' && name != "summary.json") {
      throw std::invalid_argument(path + "/" + name +
                                  ": ends in the middle of a line (the file was cut short)");
    }
  }
  try {
    r.summary_ = nlohmann::json::parse(get("summary.json"));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(where("summary.json") + ": not valid JSON: " + e.what());
  }
  if (!r.summary_.is_object())
    throw std::invalid_argument(where("summary.json") + ": not a JSON object");
  r.end_ms_ = r.summary_.value("sim_time_ms", TimeMs{0});

  std::istringstream ev(get("events.jsonl"));
  std::string line;
  std::size_t n = 0;
  while (std::getline(ev, line)) {
    ++n;
    if (line.empty()) continue;
    try {
      const auto j = nlohmann::json::parse(line);
      RunEvent e;
      e.t_ms = j.value("t_ms", TimeMs{0});
      e.type = j.value("type", "");
      e.kind = j.value("kind", "");
      e.object = j.contains("pod") ? j.value("pod", "") : j.value("object", "");
      e.node = j.value("node", "");
      e.message = j.value("message", "");
      e.warning = j.value("warning", false);
      r.events_.push_back(std::move(e));
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(where("events.jsonl") + ":" + std::to_string(n) + ": " +
                                  e.what());
    }
  }
  try {
    r.timeseries_ = CsvTable::parse(get("timeseries.csv"), where("timeseries.csv"));
    const CsvTable pods = CsvTable::parse(get("pods.csv"), where("pods.csv"));
    for (const auto& raw : pods.rows()) {
      Row row(pods, raw);
      PodRecord p;
      p.key = row.str("pod");
      p.namespace_ = row.str("namespace");
      p.owner_kind = row.str("owner_kind");
      p.owner_name = row.str("owner_name");
      p.priority = row.num("priority");
      p.created_ms = row.num("created_ms");
      // Runs recorded before wait_from_ms existed: the wait began at creation.
      p.wait_from_ms = row.opt_int("wait_from_ms").value_or(p.created_ms);
      p.scheduled_ms = row.opt_int("scheduled_ms");
      p.started_ms = row.opt_int("started_ms");
      p.finished_ms = row.opt_int("finished_ms");
      p.deleted_ms = row.opt_int("deleted_ms");
      p.node = row.str("node");
      p.phase = row.str("phase");
      p.reason = row.str("reason");
      p.cpu_milli = row.num("cpu_milli");
      p.memory_bytes = row.num("memory_bytes");
      p.gpu_milli = row.num("gpu_milli");
      p.gpu_count = row.num("gpu_count");
      for (const auto& d : split(row.str("gpu_devices"), ';')) {
        if (auto v = to_int(d)) p.gpu_devices.push_back(static_cast<std::int32_t>(*v));
      }
      p.restarts = row.num("restarts");
      p.scheduling_attempts = row.num("scheduling_attempts");
      p.labels = parse_label_list(row.str("labels"));
      r.pod_index_[p.key] = r.pods_.size();
      r.pods_.push_back(std::move(p));
    }
    const CsvTable nodes = CsvTable::parse(get("nodes.csv"), where("nodes.csv"));
    for (const auto& raw : nodes.rows()) {
      Row row(nodes, raw);
      NodeRecord nd;
      nd.name = row.str("node");
      nd.pool = row.str("pool");
      nd.gpu_model = row.str("gpu_model");
      nd.added_ms = row.num("added_ms");
      nd.removed_ms = row.opt_int("removed_ms");
      nd.cpu_milli = row.num("cpu_milli");
      nd.memory_bytes = row.num("memory_bytes");
      nd.pods = row.num("pods");
      nd.gpus = row.num("gpus");
      nd.labels = parse_label_list(row.str("labels"));
      nd.taints = split(row.str("taints"), ';');
      nd.ready = row.str("ready") != "false";
      nd.unschedulable = row.str("unschedulable") == "true";
      r.nodes_.push_back(std::move(nd));
    }
    for (const char* f : kOptionalTables) {
      if (auto it = files.find(f); it != files.end())
        r.tables_.emplace(f, CsvTable::parse(it->second, where(f)));
    }
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  if (auto it = files.find("explain.jsonl"); it != files.end())
    r.files_["explain.jsonl"] = it->second;
  for (const auto& [name, text] : files) {
    if (!r.files_.count(name)) r.files_[name] = std::string();  // presence only
  }
  return r;
}

std::string RunDir::scenario() const {
  return summary_.value("scenario", std::string());
}

std::uint64_t RunDir::seed() const {
  return summary_.value("seed", std::uint64_t{0});
}

const CsvTable* RunDir::table(const std::string& file) const {
  auto it = tables_.find(file);
  return it == tables_.end() ? nullptr : &it->second;
}

const std::string* RunDir::explain_jsonl() const {
  auto it = files_.find("explain.jsonl");
  return it == files_.end() ? nullptr : &it->second;
}

const PodRecord* RunDir::pod(const std::string& key) const {
  auto it = pod_index_.find(key);
  return it == pod_index_.end() ? nullptr : &pods_[it->second];
}

}  // namespace gpusim::reports
