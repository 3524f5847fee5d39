// gpusim_conformance: loads every *.yaml vector file from $GPUSIM_CONFORMANCE_DIR (or the bundled
// tests/conformance/data) and registers one test per vector before running them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "conformance.hpp"

#ifndef GPUSIM_CONFORMANCE_DEFAULT_DIR
#error "GPUSIM_CONFORMANCE_DEFAULT_DIR must name the bundled vector folder"
#endif

namespace gpusim::conformance {

namespace fs = std::filesystem;

// One line per domain; see conformance.hpp.
void register_all_handlers(HandlerRegistry& registry) {
  register_quantity_handlers(registry);
  register_scoring_handlers(registry);
  register_quota_handlers(registry);
  register_hpa_handlers(registry);
  register_rolling_handlers(registry);
  register_toleration_handlers(registry);
}

void HandlerRegistry::add(std::string kind, Handler handler) {
  if (handler == nullptr) throw std::logic_error("null conformance handler for kind " + kind);
  const auto [it, inserted] = handlers_.emplace(kind, handler);
  if (!inserted) throw std::logic_error("two conformance handlers for kind " + kind);
}

Handler HandlerRegistry::find(std::string_view kind) const {
  const auto it = handlers_.find(kind);
  return it == handlers_.end() ? nullptr : it->second;
}

std::vector<std::string> HandlerRegistry::kinds() const {
  std::vector<std::string> out;
  out.reserve(handlers_.size());
  for (const auto& entry : handlers_)
    out.push_back(entry.first);
  return out;
}

namespace {

std::string line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return "";
  return "line " + std::to_string(mark.line + 1);
}

// " at line N", or "" when yaml-cpp knows no position.
std::string at_line(const YAML::Node& node) {
  const std::string where = line_of(node);
  return where.empty() ? "" : " at " + where;
}

std::string describe(const YAML::Node& map, std::string_view key) {
  std::string where = line_of(map);
  return "field '" + std::string(key) + "'" + (where.empty() ? "" : " (object at " + where + ")");
}

template <typename T>
T convert(const YAML::Node& map, std::string_view key, const char* type_name) {
  const YAML::Node node = field(map, key);
  if (!node.IsScalar()) throw VectorError(describe(map, key) + " must be a " + type_name);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw VectorError(describe(map, key) + " must be a " + type_name + ", got '" + node.Scalar() +
                      "'");
  }
}

}  // namespace

bool has_field(const YAML::Node& map, std::string_view key) {
  return map.IsMap() && map[std::string(key)].IsDefined();
}

YAML::Node field(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) {
    throw VectorError("expected a map holding field '" + std::string(key) + "'" + at_line(map));
  }
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined()) throw VectorError("missing " + describe(map, key));
  return node;
}

std::string string_field(const YAML::Node& map, std::string_view key) {
  return convert<std::string>(map, key, "string");
}

std::int64_t int_field(const YAML::Node& map, std::string_view key) {
  return convert<std::int64_t>(map, key, "integer");
}

double double_field(const YAML::Node& map, std::string_view key) {
  return convert<double>(map, key, "number");
}

bool bool_field(const YAML::Node& map, std::string_view key) {
  return convert<bool>(map, key, "boolean");
}

void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed) {
  if (!map.IsMap()) throw VectorError("expected a map" + at_line(map));
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (std::string_view a : allowed) {
      if (!list.empty()) list += ", ";
      list += a;
    }
    throw VectorError("unknown field '" + key + "'" + at_line(entry.first) +
                      " (this kind reads: " + list + ")");
  }
}

namespace {

// One fixture class for every registered test: GoogleTest requires a single fixture type per
// suite, and a file's suite holds both runnable vectors and malformed ones.
class VectorTest : public testing::Test {
 public:
  VectorTest(Handler handler, std::string kind, YAML::Node input, YAML::Node expect,
             std::string context, std::string error)
      : handler_(handler),
        kind_(std::move(kind)),
        input_(std::move(input)),
        expect_(std::move(expect)),
        context_(std::move(context)),
        error_(std::move(error)) {}

  void TestBody() override {
    if (!error_.empty()) FAIL() << context_ << ": " << error_;
    if (handler_ == nullptr) GTEST_SKIP() << "kind " << kind_ << " not implemented";
    SCOPED_TRACE(context_);
    try {
      handler_(input_, expect_);
    } catch (const std::exception& e) {
      FAIL() << "vector could not be checked: " << e.what();
    }
  }

 private:
  Handler handler_;
  std::string kind_;
  YAML::Node input_;
  YAML::Node expect_;
  std::string context_;
  std::string error_;
};

// GoogleTest names: letters, digits and '_' only ('-' would start a negative --gtest_filter
// pattern, '.' separates suite from test).
std::string sanitize(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out.push_back(ok ? c : '_');
  }
  return out.empty() ? std::string("_") : out;
}

struct Registrar {
  const HandlerRegistry& registry;
  std::set<std::string> used;  // "suite.test" names already registered

  std::string unique_name(const std::string& suite, std::string name) {
    std::string candidate = name;
    for (int n = 2; !used.insert(suite + "." + candidate).second; ++n) {
      candidate = name + "_" + std::to_string(n);
    }
    return candidate;
  }

  void add(const std::string& suite, const std::string& name, const fs::path& file, int line,
           Handler handler, std::string kind, YAML::Node input, YAML::Node expect,
           std::string context, std::string error) {
    const std::string test = unique_name(suite, sanitize(name));
    const std::string file_string = file.string();
    testing::RegisterTest(suite.c_str(), test.c_str(), nullptr, nullptr, file_string.c_str(), line,
                          [=]() -> VectorTest* {
                            return new VectorTest(handler, kind, input, expect, context, error);
                          });
  }

  void fail(const std::string& suite, const std::string& name, const fs::path& file, int line,
            const std::string& error) {
    const std::string context = file.string() + (line > 0 ? ":" + std::to_string(line) : "");
    add(suite, name, file, line, nullptr, "", YAML::Node(), YAML::Node(), context, error);
  }

  void load_file(const fs::path& path) {
    const std::string suite = sanitize(path.stem().string());
    YAML::Node root;
    try {
      root = YAML::LoadFile(path.string());
    } catch (const YAML::Exception& e) {
      fail(suite, "malformed_file", path, 0, std::string("not valid YAML: ") + e.what());
      return;
    }
    const YAML::Node vectors = root.IsMap() ? root["vectors"] : YAML::Node();
    if (!vectors.IsSequence()) {
      fail(suite, "malformed_file", path, 0, "the file has no 'vectors:' list");
      return;
    }
    if (vectors.size() == 0) {
      fail(suite, "malformed_file", path, 0, "the 'vectors:' list is empty");
      return;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < vectors.size(); ++i) {
      const YAML::Node v = vectors[i];
      const int line = v.Mark().is_null() ? 0 : v.Mark().line + 1;
      const std::string where = path.filename().string() + ":" + std::to_string(line);
      const std::string fallback = "vector_" + std::to_string(i + 1);
      if (!v.IsMap()) {
        fail(suite, fallback, path, line,
             where + ": vector " + std::to_string(i + 1) + " is not a map");
        continue;
      }
      const YAML::Node name = v["name"];
      const YAML::Node kind = v["kind"];
      const std::string name_text = name.IsScalar() ? name.Scalar() : std::string();
      std::string problem;
      if (name_text.empty()) {
        problem = "has no 'name'";
      } else if (!names.insert(name_text).second) {
        problem = "repeats the name '" + name_text + "'";
      } else if (!kind.IsScalar() || kind.Scalar().empty()) {
        problem = "has no 'kind'";
      } else if (!v["input"].IsDefined()) {
        problem = "has no 'input'";
      } else if (!v["expect"].IsDefined()) {
        problem = "has no 'expect'";
      }
      const std::string test_name = name_text.empty() ? fallback : name_text;
      const std::string context = where + " (vector " + test_name + ")";
      if (!problem.empty()) {
        fail(suite, test_name, path, line, "vector " + std::to_string(i + 1) + " " + problem);
        continue;
      }
      add(suite, test_name, path, line, registry.find(kind.Scalar()), kind.Scalar(), v["input"],
          v["expect"], context, "");
    }
  }

  // Suites the --gtest_filter can select, or empty when it may select any. CTest runs each
  // vector as its own process with a filter naming it: loading only that file keeps it fast.
  static std::set<std::string> selected_suites(const std::string& filter) {
    const std::string positive = filter.substr(0, filter.find('-'));
    std::set<std::string> suites;
    std::size_t start = 0;
    while (start <= positive.size()) {
      const std::size_t end = std::min(positive.find(':', start), positive.size());
      const std::string pattern = positive.substr(start, end - start);
      const std::size_t dot = pattern.find('.');
      const std::string suite = pattern.substr(0, dot);
      if (dot == std::string::npos || suite.find_first_of("*?") != std::string::npos) return {};
      suites.insert(suite);
      start = end + 1;
    }
    return suites;
  }

  void load_dir(const fs::path& dir, const std::set<std::string>& only_suites) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      fail("harness", "data_dir", dir, 0,
           "conformance folder " + dir.string() + " does not exist (GPUSIM_CONFORMANCE_DIR)");
      return;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
        files.push_back(entry.path());
      }
    }
    if (ec) {
      fail("harness", "data_dir", dir, 0, "cannot list " + dir.string() + ": " + ec.message());
      return;
    }
    if (files.empty()) {
      fail("harness", "data_dir", dir, 0, "no *.yaml vector files in " + dir.string());
      return;
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (only_suites.empty() || only_suites.count(sanitize(f.stem().string())) > 0) load_file(f);
    }
  }
};

}  // namespace
}  // namespace gpusim::conformance

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  using namespace gpusim::conformance;

  HandlerRegistry registry;
  register_all_handlers(registry);

  const char* env = std::getenv("GPUSIM_CONFORMANCE_DIR");
  const std::filesystem::path dir =
      (env != nullptr && *env != '\0') ? env : GPUSIM_CONFORMANCE_DEFAULT_DIR;
  Registrar registrar{registry, {}};
  registrar.load_dir(dir, Registrar::selected_suites(std::string(GTEST_FLAG_GET(filter))));

  const int rc = RUN_ALL_TESTS();
  // CTest runs one vector per process with --gtest_filter. A filter that selects nothing means
  // the vector is gone from the folder (a stale test list): that must not count as a pass.
  if (!GTEST_FLAG_GET(list_tests) && testing::UnitTest::GetInstance()->test_to_run_count() == 0) {
    std::fprintf(stderr, "no conformance vector in %s matches --gtest_filter=%s\n",
                 dir.string().c_str(), std::string(GTEST_FLAG_GET(filter)).c_str());
    return 1;
  }
  return rc;
}
