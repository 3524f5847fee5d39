#include "scenario/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "scenario/cross_checks.hpp"
#include "scenario/document.hpp"
#include "scenario/object_parser.hpp"
#include "scenario/scheduler_config_parser.hpp"
#include "scenario/simulation_parser.hpp"
#include "scenario/timeline_resolver.hpp"

namespace gpusim::scenario {
namespace {

namespace fs = std::filesystem;

struct InputFile {
  std::string name;  // as shown in diagnostics
  fs::path dir;      // where relative paths in it point
  std::string text;
};

SourceLocation file_location(const std::string& file) {
  SourceLocation loc;
  loc.file = file;
  return loc;
}

// Far above any manifest set (a 100,000-node cluster import is about 200 MiB), and a stop for
// inputs with no end (/dev/zero, a pipe that never closes) before memory runs out.
constexpr std::size_t kMaxInputBytes = std::size_t{512} << 20;

std::optional<std::string> read_capped(std::istream& in, const std::string& name, Diagnostics& d) {
  std::string text;
  std::vector<char> buf(std::size_t{1} << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (text.size() + got > kMaxInputBytes) {
      d.error(file_location(name), "", "input larger than 512 MiB: not a scenario file");
      return std::nullopt;
    }
    text.append(buf.data(), got);
  }
  if (in.bad()) {
    d.error(file_location(name), "", "cannot read file: read error");
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> read_file(const fs::path& path, Diagnostics& d) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    d.error(file_location(path.string()), "",
            std::string("cannot read file: ") + (err ? std::strerror(err) : "open failed"));
    return std::nullopt;
  }
  return read_capped(in, path.string(), d);
}

std::vector<InputFile> read_inputs(const std::vector<std::string>& inputs, Diagnostics& d) {
  std::vector<InputFile> files;
  if (inputs.empty()) d.error({}, "", "no input files given");
  bool stdin_read = false;
  for (const auto& input : inputs) {
    if (input == "-") {
      if (stdin_read) {
        d.error(file_location("<stdin>"), "", "standard input (-) given more than once");
        continue;
      }
      stdin_read = true;
      if (auto text = read_capped(std::cin, "<stdin>", d)) {
        files.push_back({"<stdin>", fs::path(), std::move(*text)});
      }
      continue;
    }
    const fs::path path(input);
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      d.error(file_location(input), "",
              "cannot read: " + (ec ? ec.message() : std::string("no such file or directory")));
      continue;
    }
    if (fs::is_directory(st)) {
      std::vector<fs::path> entries;
      for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        const std::string ext = p.extension().string();
        std::error_code fec;
        if ((ext == ".yaml" || ext == ".yml") && !fs::is_directory(p, fec)) entries.push_back(p);
      }
      if (ec) {
        d.error(file_location(input), "", "cannot read directory: " + ec.message());
        continue;
      }
      if (entries.empty()) {
        d.error(file_location(input), "", "no *.yaml or *.yml files in this directory");
        continue;
      }
      std::sort(entries.begin(), entries.end(),
                [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
      for (const auto& p : entries) {
        if (auto text = read_file(p, d)) {
          files.push_back({p.string(), p.parent_path(), std::move(*text)});
        }
      }
      continue;
    }
    if (auto text = read_file(path, d)) {
      files.push_back({input, path.parent_path(), std::move(*text)});
    }
  }
  return files;
}

struct Chunk {
  std::string text;
  int first_line = 0;  // 0-based line of the chunk's first line in the file
};

bool is_marker(const std::string& line, const char* marker) {
  if (line.compare(0, 3, marker) != 0) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
}

// Splits a multi-document stream at `---` and `...` lines, keeping line numbers: each document
// is parsed on its own so that a syntax error in one does not hide the others.
std::vector<Chunk> split_documents(std::string text) {
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  std::vector<Chunk> chunks;
  Chunk current;
  bool has_content = false;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (is_marker(line, "---")) {
      chunks.push_back(std::move(current));
      current = Chunk{};
      current.first_line = line_no;
      line.replace(0, 3, "   ");
      has_content = line.find_first_not_of(" \t\r") != std::string::npos;
    } else if (is_marker(line, "...")) {
      chunks.push_back(std::move(current));
      current = Chunk{};
      current.first_line = line_no;
      line.clear();
      has_content = false;
    } else if (!has_content && !line.empty() && line[0] == '%') {
      line.clear();  // a directive (%YAML, %TAG) before the document
    } else {
      const auto first = line.find_first_not_of(" \t\r");
      if (first != std::string::npos && line[first] != '#') has_content = true;
    }
    current.text += line;
    current.text += '\n';
    ++line_no;
    if (end == text.size() || end + 1 == text.size()) break;
    pos = end + 1;
  }
  chunks.push_back(std::move(current));
  return chunks;
}

// yaml-cpp reports an unclosed bracket or quote at the end of the input; the last line that has
// text is where an editor should jump.
SourceLocation syntax_error_location(const Document& doc, const Chunk& chunk, YAML::Mark mark) {
  int lines = 0;
  int last_content_line = -1;
  std::size_t last_content_length = 0;
  std::size_t pos = 0;
  while (pos < chunk.text.size()) {
    std::size_t end = chunk.text.find('\n', pos);
    if (end == std::string::npos) end = chunk.text.size();
    const std::string_view line(chunk.text.data() + pos, end - pos);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      last_content_line = lines;
      last_content_length = line.size();
    }
    ++lines;
    pos = end + 1;
  }
  if (last_content_line >= 0 && mark.line > last_content_line) {
    mark.line = last_content_line;
    mark.column = static_cast<int>(last_content_length);
  }
  return doc.location(mark);
}

std::string syntax_hint(const std::string& msg) {
  if (msg.find("flow not found") != std::string::npos) return "a [ or { is not closed";
  if (msg.find("end of map not found") != std::string::npos ||
      msg.find("end of sequence not found") != std::string::npos) {
    return "check the indentation: the keys of one mapping (and the items of one list) must line "
           "up, with spaces, not tabs";
  }
  if (msg.find("illegal map value") != std::string::npos) {
    return "quote values that contain \": \", or check the indentation";
  }
  if (msg.find("EOF in scalar") != std::string::npos) return "a quoted string is not closed";
  return "check the indentation (spaces, not tabs) and quote values that contain \": \" or start "
         "with a special character";
}

struct KindInfo {
  const char* kind;
  std::vector<std::string> api_versions;
};

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> k{
      {"Node", {"v1"}},
      {"Pod", {"v1"}},
      {"Namespace", {"v1"}},
      {"ResourceQuota", {"v1"}},
      {"List", {"v1"}},
      {"Deployment", {"apps/v1"}},
      {"ReplicaSet", {"apps/v1"}},
      {"Job", {"batch/v1"}},
      {"CronJob", {"batch/v1", "batch/v1beta1"}},
      {"HorizontalPodAutoscaler", {"autoscaling/v2", "autoscaling/v2beta2"}},
      {"PriorityClass", {"scheduling.k8s.io/v1"}},
      {"PodDisruptionBudget", {"policy/v1"}},
      {"PyTorchJob", {"kubeflow.org/v1"}},
      {"PodGroup", {"scheduling.x-k8s.io/v1alpha1"}},
      {"KubeSchedulerConfiguration", {"kubescheduler.config.k8s.io/v1"}},
      {"Simulation", {"gpusim.io/v1alpha1"}},
  };
  return k;
}

class Loader {
 public:
  Loader(engine::Scenario& scenario, Diagnostics& diagnostics)
      : s_(scenario), d_(diagnostics), objects_(refs_) {}

  void load_file(const InputFile& file) {
    s_.files.push_back(file.name);
    for (const Chunk& chunk : split_documents(file.text)) {
      const Document doc(d_, file.name, file.dir, chunk.first_line);
      YAML::Node root;
      try {
        root = YAML::Load(chunk.text);
      } catch (const YAML::Exception& e) {
        d_.error(syntax_error_location(doc, chunk, e.mark), "", "YAML syntax error: " + e.msg,
                 syntax_hint(e.msg));
        continue;
      }
      const Value value(&doc, root, "", root.Mark());
      try {
        dispatch(value);
      } catch (const std::exception& e) {
        // A bug of ours must not hide the user's errors or crash validation.
        d_.error(value.location(), "", std::string("internal error while reading: ") + e.what(),
                 "please report this with the input that caused it");
      }
    }
  }

  void finish() {
    if (tie_break_) s_.scheduler.tie_break = *tie_break_;
    resolve_timeline(s_, deployment_sources_, d_);
    check_references(s_, refs_, d_);
  }

 private:
  void remember(const char* kind, const ObjectMeta& meta, const Value& object) {
    if (meta.name.empty()) return;
    const std::string key = std::string(kind) + " " + meta.key();
    const Value name = entry(entry(object, "metadata"), "name");
    auto [it, inserted] = seen_.emplace(key, name.location());
    if (!inserted) {
      name.error("duplicate " + std::string(kind) + " \"" + meta.key() + "\" (first defined at " +
                     it->second.str() + ")",
                 "names are unique per kind and namespace");
    }
  }

  bool single(std::optional<SourceLocation>& first, const Value& kind, const char* what) {
    if (first) {
      kind.error(std::string("a scenario may have only one ") + what +
                     " document (the first is at " + first->str() + ")",
                 "merge them into one");
      return false;
    }
    first = kind.location();
    return true;
  }

  void dispatch(const Value& object, int list_depth = 0) {
    if (!object.present()) return;  // an empty document
    if (!object.is_map()) {
      object.error("expected a Kubernetes object (a mapping with apiVersion and kind), got " +
                   describe(object.node()));
      return;
    }
    const Value kind_v = entry(object, "kind");
    const Value api_v = entry(object, "apiVersion");
    if (!kind_v.present()) kind_v.error("required value is missing", "every object needs a kind");
    if (!api_v.present()) api_v.error("required value is missing", "e.g. apiVersion: apps/v1");
    const auto kind = kind_v.str();
    const auto api = api_v.str();
    if (!kind || !api) return;

    const KindInfo* info = nullptr;
    std::vector<std::string> known;
    for (const auto& k : kinds()) {
      known.emplace_back(k.kind);
      if (*kind == k.kind) info = &k;
    }
    if (!info) {
      const std::string near = closest_match(*kind, known);
      if (api->rfind("gpusim.io/", 0) == 0) {
        kind_v.unsupported(*kind, {"Simulation"});
        return;
      }
      kind_v.warning("skipping " + *kind + " (" + *api + "): gpusim does not simulate this kind",
                     near.empty() ? std::string() : "did you mean \"" + near + "\"?");
      return;
    }
    if (std::find(info->api_versions.begin(), info->api_versions.end(), *api) ==
        info->api_versions.end()) {
      api_v.error("unsupported apiVersion \"" + *api + "\" for " + *kind,
                  "use " + info->api_versions.front());
      return;
    }
    const std::string k = *kind;
    if (k == "List") {
      if (list_depth >= 8) {
        kind_v.error("a List nested in Lists more than 8 deep (a cyclic alias?)");
        return;
      }
      Fields f(object);
      f.ignore({"apiVersion", "kind", "metadata"});
      for (const Value& item : f.required("items").items())
        dispatch(item, list_depth + 1);
    } else if (k == "Node") {
      Node n = objects_.node(object);
      remember("Node", n.meta, object);
      s_.nodes.push_back(std::move(n));
    } else if (k == "Pod") {
      Pod p = objects_.pod(object);
      ObjectMeta m;
      m.name = p.name;
      m.namespace_ = p.namespace_;
      remember("Pod", m, object);
      s_.pods.push_back(std::move(p));
    } else if (k == "Namespace") {
      Namespace ns = objects_.namespace_object(object);
      remember("Namespace", ns.meta, object);
      s_.namespaces.push_back(std::move(ns));
    } else if (k == "ResourceQuota") {
      ResourceQuota q = objects_.resource_quota(object);
      remember("ResourceQuota", q.meta, object);
      s_.quotas.push_back(std::move(q));
    } else if (k == "Deployment") {
      Deployment d = objects_.deployment(object);
      remember("Deployment", d.meta, object);
      deployment_sources_[d.meta.key()] =
          DeploymentSource{YAML::Clone(object.node()), object.doc().file()};
      s_.deployments.push_back(std::move(d));
    } else if (k == "ReplicaSet") {
      ReplicaSet rs = objects_.replica_set(object);
      remember("ReplicaSet", rs.meta, object);
      s_.replica_sets.push_back(std::move(rs));
    } else if (k == "Job") {
      Job j = objects_.job(object);
      remember("Job", j.meta, object);
      s_.jobs.push_back(std::move(j));
    } else if (k == "CronJob") {
      CronJob cj = objects_.cron_job(object);
      remember("CronJob", cj.meta, object);
      s_.cron_jobs.push_back(std::move(cj));
    } else if (k == "HorizontalPodAutoscaler") {
      HorizontalPodAutoscaler h = objects_.hpa(object);
      remember("HorizontalPodAutoscaler", h.meta, object);
      s_.hpas.push_back(std::move(h));
    } else if (k == "PriorityClass") {
      PriorityClass pc = objects_.priority_class(object);
      remember("PriorityClass", pc.meta, object);
      s_.priority_classes.push_back(std::move(pc));
    } else if (k == "PodDisruptionBudget") {
      if (auto p = objects_.pdb(object)) {
        remember("PodDisruptionBudget", p->meta, object);
        s_.pdbs.push_back(std::move(*p));
      }
    } else if (k == "PyTorchJob") {
      PyTorchJob pj = objects_.pytorch_job(object);
      remember("PyTorchJob", pj.meta, object);
      s_.pytorch_jobs.push_back(std::move(pj));
    } else if (k == "PodGroup") {
      PodGroup g = objects_.pod_group(object);
      remember("PodGroup", g.meta, object);
      s_.pod_groups.push_back(std::move(g));
    } else if (k == "KubeSchedulerConfiguration") {
      if (!single(scheduler_at_, kind_v, "KubeSchedulerConfiguration")) return;
      s_.scheduler = parse_scheduler_config(object);
      s_.scheduler_configured = true;
    } else if (k == "Simulation") {
      if (!single(simulation_at_, kind_v, "Simulation")) return;
      ParsedSimulation p = parse_simulation(object, objects_);
      s_.simulation = std::move(p.spec);
      s_.simulation_given = true;
      tie_break_ = p.tie_break;
    }
  }

  engine::Scenario& s_;
  Diagnostics& d_;
  References refs_;
  ObjectParser objects_;
  std::map<std::string, SourceLocation> seen_;
  std::optional<SourceLocation> simulation_at_;
  std::optional<SourceLocation> scheduler_at_;
  std::optional<std::string> tie_break_;
  std::map<std::string, DeploymentSource> deployment_sources_;  // for the timeline
};

// Diagnostics in input order: by file (as read), then line and column.
Diagnostics sorted(const Diagnostics& d, const std::vector<std::string>& files) {
  auto file_index = [&](const std::string& f) {
    auto it = std::find(files.begin(), files.end(), f);
    return it == files.end() ? static_cast<std::ptrdiff_t>(-1) : it - files.begin();
  };
  std::vector<Diagnostic> items = d.items();
  std::stable_sort(items.begin(), items.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    const auto fa = file_index(a.location.file);
    const auto fb = file_index(b.location.file);
    if (fa != fb) return fa < fb;
    if (a.location.line != b.location.line) return a.location.line < b.location.line;
    return a.location.column < b.location.column;
  });
  Diagnostics out;
  for (auto& item : items)
    out.add(std::move(item));
  return out;
}

Diagnostics load(const std::vector<std::string>& inputs, engine::Scenario& scenario) {
  Diagnostics d;
  const std::vector<InputFile> files = read_inputs(inputs, d);
  Loader loader(scenario, d);
  for (const auto& f : files)
    loader.load_file(f);
  loader.finish();
  return sorted(d, scenario.files);
}

}  // namespace

engine::Scenario load_scenario(const std::vector<std::string>& inputs) {
  engine::Scenario scenario;
  Diagnostics d = load(inputs, scenario);
  if (d.has_errors()) throw InputError(d.items());
  scenario.warnings = std::move(d);
  return scenario;
}

Diagnostics validate(const std::vector<std::string>& inputs, engine::Scenario& scenario) {
  return load(inputs, scenario);
}

Diagnostics validate(const std::vector<std::string>& inputs) {
  engine::Scenario scenario;
  return load(inputs, scenario);
}

}  // namespace gpusim::scenario
