#include "engine/recorder.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/csv.hpp"
#include "core/sampling.hpp"

namespace gpusim::engine {

Recorder::Recorder(Cluster& cluster, EventLoop& loop, TimeMs sample_interval_ms)
    : cluster_(cluster),
      loop_(loop),
      interval_ms_(sample_interval_ms > 0 ? sample_interval_ms : 60'000) {}

ResourceTotals Recorder::totals_of(const Pod& p) {
  const auto& r = p.resources();
  return ResourceTotals{r.requests.get("cpu"), r.requests.get("memory"), r.gpu.total_milli()};
}

ResourceTotals Recorder::capacity_of(const Node& n) {
  return ResourceTotals{n.allocatable_units.get("cpu"), n.allocatable_units.get("memory"),
                        static_cast<std::int64_t>(n.gpus.size()) * 1000};
}

void Recorder::integrate() {
  const TimeMs dt = loop_.now() - last_change_ms_;
  cpu_area_ += static_cast<Int128>(allocated_.cpu_milli) * dt;
  memory_area_ += static_cast<Int128>(allocated_.memory_bytes) * dt;
  gpu_area_ += static_cast<Int128>(allocated_.gpu_milli) * dt;
  cpu_capacity_area_ += static_cast<Int128>(capacity_.cpu_milli) * dt;
  memory_capacity_area_ += static_cast<Int128>(capacity_.memory_bytes) * dt;
  gpu_capacity_area_ += static_cast<Int128>(capacity_.gpu_milli) * dt;
  last_change_ms_ = loop_.now();
}

ResourceTotals Recorder::allocated_mean() const {
  const TimeMs t = last_change_ms_;
  if (t <= 0) return allocated_;
  return ResourceTotals{static_cast<std::int64_t>(cpu_area_ / t),
                        static_cast<std::int64_t>(memory_area_ / t),
                        static_cast<std::int64_t>(gpu_area_ / t)};
}

ResourceTotals Recorder::capacity_mean() const {
  const TimeMs t = last_change_ms_;
  if (t <= 0) return capacity_;
  return ResourceTotals{static_cast<std::int64_t>(cpu_capacity_area_ / t),
                        static_cast<std::int64_t>(memory_capacity_area_ / t),
                        static_cast<std::int64_t>(gpu_capacity_area_ / t)};
}

void Recorder::on_pod_added(PodId id) {
  ++pods_.created;
  if (auto refused = refused_.take(cluster_.pod(id)))
    wait_from_ms_[cluster_.pod(id).uid] = *refused;
  if (phase_.size() <= id) phase_.resize(id + 1, PodPhase::kPending);
  phase_[id] = cluster_.pod(id).status.phase;
}

void Recorder::on_pod_bound(PodId id) {
  ++pods_.scheduled;
  integrate();
  const ResourceTotals t = totals_of(cluster_.pod(id));
  allocated_.cpu_milli += t.cpu_milli;
  allocated_.memory_bytes += t.memory_bytes;
  allocated_.gpu_milli += t.gpu_milli;
}

void Recorder::on_pod_updated(PodId id) {
  const PodPhase now = cluster_.pod(id).status.phase;
  if (phase_[id] == now) return;
  if (now == PodPhase::kSucceeded) ++pods_.succeeded;
  if (now == PodPhase::kFailed) ++pods_.failed;
  phase_[id] = now;
}

void Recorder::on_pod_released(PodId id, NodeId) {
  integrate();
  const ResourceTotals t = totals_of(cluster_.pod(id));
  allocated_.cpu_milli -= t.cpu_milli;
  allocated_.memory_bytes -= t.memory_bytes;
  allocated_.gpu_milli -= t.gpu_milli;
}

namespace {

// key=value;... in key order.
std::string joined_labels(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out.push_back(';');
    out.append(k).push_back('=');
    out.append(v);
  }
  return out;
}

}  // namespace

Recorder::PodRow Recorder::pod_row(const Pod& p, bool deleted) const {
  // Appended in place: a row of string temporaries cost about 10,000 instructions, and runs
  // that scale Deployments for a month delete pods by the hundred thousand.
  const auto& r = p.resources();
  std::string line;
  line.reserve(256);
  auto next = [&line] { line.push_back(','); };
  auto time_field = [&](const std::optional<TimeMs>& t) {
    if (t) append_int(line, *t);
    next();
  };
  append_csv_field(line, p.key());
  next();
  append_csv_field(line, p.namespace_);
  next();
  if (p.owner) line.append(p.owner->kind);
  next();
  if (p.owner) append_csv_field(line, p.owner->name);
  next();
  append_int(line, p.status.priority);
  next();
  append_int(line, p.creation_ms);
  next();
  const auto from = wait_from_ms_.find(p.uid);
  append_int(line, from == wait_from_ms_.end() ? p.creation_ms : from->second);
  next();
  time_field(p.status.scheduled_ms);
  time_field(p.status.started_ms);
  time_field(p.status.finished_ms);
  if (deleted) append_int(line, loop_.now());
  next();
  if (p.bound()) append_csv_field(line, cluster_.node(p.status.node).name());
  next();
  line.append(to_string(p.status.phase));
  next();
  append_csv_field(line, p.status.reason);
  for (const std::int64_t v : {r.requests.get("cpu"), r.requests.get("memory"), r.gpu.total_milli(),
                               std::int64_t{r.gpu.count}}) {
    next();
    append_int(line, v);
  }
  next();
  for (std::size_t i = 0; i < p.status.gpu_devices.size(); ++i) {
    if (i > 0) line.push_back(';');
    append_int(line, p.status.gpu_devices[i]);
  }
  next();
  append_int(line, p.status.restarts);
  next();
  append_int(line, p.status.scheduling_attempts);
  next();
  // Labels, for `gpusim get pods -l` (key=value;... as nodes.csv writes them).
  append_csv_field(line, joined_labels(p.labels()));
  line.push_back('\n');
  return PodRow{p.uid, std::move(line)};
}

namespace {

// Creation to binding; a pod never bound waits until now (its deletion, or the run's end).
TimeMs pod_wait_ms(const Pod& p, TimeMs now_ms) {
  if (p.status.scheduled_ms) return *p.status.scheduled_ms - p.creation_ms;
  return std::max<TimeMs>(0, now_ms - p.creation_ms);
}

}  // namespace

void Recorder::on_pod_deleted(PodId id) {
  const Pod& p = cluster_.pod(id);
  finished_rows_.push_back(pod_row(p, true));
  finished_waits_ms_.push_back(pod_wait_ms(p, loop_.now()));
}

std::vector<TimeMs> Recorder::pod_waits_ms() const {
  std::vector<TimeMs> w = finished_waits_ms_;
  w.insert(w.end(), final_waits_ms_.begin(), final_waits_ms_.end());
  return w;
}

std::string Recorder::pods_csv() const {
  std::vector<const PodRow*> rows;
  rows.reserve(finished_rows_.size() + final_rows_.size());
  for (const auto& r : finished_rows_)
    rows.push_back(&r);
  for (const auto& r : final_rows_)
    rows.push_back(&r);
  std::sort(rows.begin(), rows.end(),
            [](const PodRow* a, const PodRow* b) { return a->uid < b->uid; });
  std::string out =
      "pod,namespace,owner_kind,owner_name,priority,created_ms,wait_from_ms,scheduled_ms,started_"
      "ms,"
      "finished_ms,"
      "deleted_ms,node,phase,reason,cpu_milli,memory_bytes,gpu_milli,gpu_count,gpu_devices,"
      "restarts,"
      "scheduling_attempts,labels\n";
  for (const auto* r : rows)
    out += r->line;
  return out;
}

std::string Recorder::nodes_csv() const {
  std::string out =
      "node,pool,gpu_model,added_ms,removed_ms,cpu_milli,memory_bytes,pods,gpus,labels,taints,"
      "ready,"
      "unschedulable\n";
  for (std::size_t i = 0; i < node_rows_.size(); ++i) {
    out += node_rows_[i];
    out += node_removed_ms_[i] == kForever ? std::string() : std::to_string(node_removed_ms_[i]);
    out += node_rows_tail_[i];
  }
  return out;
}

void Recorder::on_node_added(NodeId id) {
  const Node& n = cluster_.node(id);
  if (node_rows_.size() <= id) {
    node_rows_.resize(id + 1);
    node_rows_tail_.resize(id + 1);
    node_removed_ms_.resize(id + 1, kForever);
  }
  std::string taints;
  for (const auto& t : n.taints) {
    if (!taints.empty()) taints.push_back(';');
    taints.append(t.str());
  }
  std::string& head = node_rows_[id];
  head.clear();
  for (const std::string* field : {&n.name(), &n.pool, &n.gpu_model}) {
    append_csv_field(head, *field);
    head.push_back(',');
  }
  append_int(head, loop_.now());
  head.push_back(',');
  std::string& tail = node_rows_tail_[id];
  tail.clear();
  for (const std::int64_t v :
       {n.allocatable_units.get("cpu"), n.allocatable_units.get("memory"),
        n.allocatable_units.get("pods"), static_cast<std::int64_t>(n.gpus.size())}) {
    tail.push_back(',');
    append_int(tail, v);
  }
  tail.push_back(',');
  append_csv_field(tail, joined_labels(n.meta.labels));
  tail.push_back(',');
  append_csv_field(tail, taints);
  // The state it was added in (a manifest's spec.unschedulable, status.conditions Ready): later
  // changes are NodeNotReady/NodeReady/NodeNotSchedulable/NodeSchedulable events.
  tail.append(n.ready ? ",true" : ",false");
  tail.append(n.unschedulable ? ",true" : ",false");
  tail.push_back('\n');
  integrate();  // the capacity integral up to now, before the capacity changes
  const ResourceTotals c = capacity_of(n);
  capacity_.cpu_milli += c.cpu_milli;
  capacity_.memory_bytes += c.memory_bytes;
  capacity_.gpu_milli += c.gpu_milli;
}

void Recorder::on_node_removed(NodeId id) {
  node_removed_ms_[id] = loop_.now();
  integrate();
  const ResourceTotals c = capacity_of(cluster_.node(id));
  capacity_.cpu_milli -= c.cpu_milli;
  capacity_.memory_bytes -= c.memory_bytes;
  capacity_.gpu_milli -= c.gpu_milli;
}

namespace {

// Whether any of the eight bytes of x is a control character, '"', '\\' or 0x80 and above.
// Exact: (v - 0x01..) & ~v & 0x80.. is non-zero just when some byte of v is zero (a borrow only
// ever starts at a byte that matched), and likewise below 0x20 with 0x20.. subtracted.
bool block_needs_escape(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const std::uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
  return (below_space | zero_byte(x ^ (kOnes * '"')) | zero_byte(x ^ (kOnes * '\\')) |
          (x & kHigh)) != 0;
}

// Appends s as a JSON string exactly as nlohmann's dump() writes it (no ensure_ascii): the
// two-character escapes, \u00xx for the other control characters, everything else verbatim.
// Returns false, having appended nothing, for text with bytes >= 0x80: those go through
// nlohmann, which also validates the UTF-8.
bool append_json_string(std::string& out, std::string_view s) {
  const std::size_t mark = out.size();
  out += '"';
  // Verbatim runs are appended whole, and found eight bytes at a time: most text has nothing
  // to escape, and a byte at a time was most of the recorder's cost per event.
  std::size_t run = 0;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    while (i + 8 <= n) {
      std::uint64_t block = 0;
      std::memcpy(&block, s.data() + i, sizeof block);
      if (block_needs_escape(block)) break;
      i += 8;
    }
    for (const std::size_t stop = std::min(n, i + 8); i < stop; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x80) {
        out.resize(mark);
        return false;
      }
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        }
      }
    }
  }
  out.append(s.data() + run, n - run);
  out += '"';
  return true;
}

// One events.jsonl line without building a json object: a replay emits tens of thousands of
// events and the object's allocations dominated the recorder's cost. Byte-identical to the
// nlohmann path below, which remains for non-ASCII text.
bool append_event_line(std::string& out, const ClusterEvent& e) {
  const std::size_t mark = out.size();
  out += "{\"t_ms\":";
  out += std::to_string(e.t_ms);
  bool ok = true;
  auto field = [&](const char* key, std::string_view value) {
    if (!ok) return;
    out += key;
    ok = append_json_string(out, value);
  };
  field(",\"type\":", e.type);
  field(",\"kind\":", e.kind);
  field(e.kind == "Pod" ? ",\"pod\":" : ",\"object\":", e.object);
  if (!e.node.empty()) field(",\"node\":", e.node);
  field(",\"message\":", e.message);
  if (!ok) {
    out.resize(mark);
    return false;
  }
  if (e.warning) out += ",\"warning\":true";
  out += "}\n";
  return true;
}

}  // namespace

void Recorder::on_event(const ClusterEvent& e) {
  if (e.kind == "Pod" && e.type == "Preempted") ++pods_.preempted;
  if (e.kind == "Pod" && e.type == "Evicted") ++pods_.evicted;
  if (refused_pod(e)) {
    ++pods_.rejected;
    refused_.on_event(e);
  }
  ++event_count_;
  std::string& out = events_.record();
  if (append_event_line(out, e)) return;
  nlohmann::ordered_json j;
  j["t_ms"] = e.t_ms;
  j["type"] = e.type;
  j["kind"] = e.kind;
  j[e.kind == "Pod" ? "pod" : "object"] = e.object;
  if (!e.node.empty()) j["node"] = e.node;
  j["message"] = e.message;
  if (e.warning) j["warning"] = true;
  out += j.dump();
  out += '\n';
}

void Recorder::stream_to(TextSpool& spool, const StagedDirectory& dir) {
  events_.stream_to(spool, dir, "events.jsonl");
}

void Recorder::start() {
  last_change_ms_ = loop_.now();
  // The first sample, like every later one, sees the settled state of its instant: after the
  // pods created at t=0 are scheduled, not before.
  sample_every(loop_, interval_ms_, [this] { take_sample(); });
}

void Recorder::take_sample() {
  Sample s{};
  s.t_ms = loop_.now();
  for (NodeId n = 0; n < cluster_.node_slots(); ++n) {
    if (!cluster_.node_exists(n)) continue;
    ++s.nodes;
    if (cluster_.node(n).ready) ++s.nodes_ready;
  }
  cluster_.for_each_pod([&](PodId, const Pod& p) {
    switch (p.status.phase) {
      case PodPhase::kPending:
        ++s.pods_pending;
        break;
      case PodPhase::kRunning:
        ++s.pods_running;
        break;
      case PodPhase::kSucceeded:
        ++s.pods_succeeded;
        break;
      case PodPhase::kFailed:
        ++s.pods_failed;
        break;
      default:
        break;
    }
  });
  s.allocated = allocated_;
  s.capacity = capacity_;
  if (!samples_.empty() && samples_.back().t_ms == s.t_ms) {
    samples_.back() = s;
  } else {
    samples_.push_back(s);
  }
}

void Recorder::finish() {
  integrate();
  final_rows_.clear();
  final_waits_ms_.clear();
  cluster_.for_each_pod([&](PodId, const Pod& p) {
    final_rows_.push_back(pod_row(p, false));
    final_waits_ms_.push_back(pod_wait_ms(p, loop_.now()));
  });
  take_sample();  // the closing sample replaces one taken at this same instant
}

std::string Recorder::timeseries_csv() const {
  std::string out =
      "t_ms,nodes,nodes_ready,pods_pending,pods_running,pods_succeeded,pods_failed,"
      "cpu_allocated_milli,cpu_capacity_milli,memory_allocated_bytes,memory_capacity_bytes,"
      "gpu_allocated_milli,gpu_capacity_milli\n";
  for (const auto& s : samples_) {
    out += std::to_string(s.t_ms) + "," + std::to_string(s.nodes) + "," +
           std::to_string(s.nodes_ready) + "," + std::to_string(s.pods_pending) + "," +
           std::to_string(s.pods_running) + "," + std::to_string(s.pods_succeeded) + "," +
           std::to_string(s.pods_failed) + "," + std::to_string(s.allocated.cpu_milli) + "," +
           std::to_string(s.capacity.cpu_milli) + "," + std::to_string(s.allocated.memory_bytes) +
           "," + std::to_string(s.capacity.memory_bytes) + "," +
           std::to_string(s.allocated.gpu_milli) + "," + std::to_string(s.capacity.gpu_milli) +
           "\n";
  }
  return out;
}

}  // namespace gpusim::engine
