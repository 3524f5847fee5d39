// `gpusim import` (scenario/cluster_import.hpp): a kubectl dump becomes a scenario the loader
// reads, with server-populated fields stripped, controller-owned pods left to their controllers
// and running bare pods bound to their nodes; malformed dumps are located errors.
#include "scenario/cluster_import.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/diagnostics.hpp"
#include "scenario/loader.hpp"

namespace gpusim::scenario {
namespace {

namespace fs = std::filesystem;

std::string dump_path() {
  return std::string(GPUSIM_SOURCE_DIR) + "/tests/data/import/dump.yaml";
}

fs::path write_scenario(const ImportResult& r, const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("gpusim-import-test-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [file, text] : r.files)
    std::ofstream(dir / file) << text;
  return dir;
}

TEST(ClusterImport, DumpBecomesALoadableScenario) {
  const ImportResult r = import_cluster_dump(dump_path(), ImportOptions{});
  EXPECT_EQ(r.nodes, 3);
  EXPECT_EQ(r.bound_pods, 2);       // the device plugin (a DaemonSet's) and the notebook
  EXPECT_EQ(r.controller_pods, 3);  // two of the Deployment's, one of the running Job's
  EXPECT_EQ(r.finished_pods, 1);
  EXPECT_EQ(r.deployments, 1);
  EXPECT_EQ(r.jobs, 1);
  EXPECT_EQ(r.finished_jobs, 1);
  EXPECT_EQ(r.hpas, 1);
  EXPECT_EQ(r.quotas, 1);
  EXPECT_EQ(r.priority_classes, 1);
  for (const auto& [file, text] : r.files) {
    for (const char* server : {"uid:", "resourceVersion", "managedFields", "creationTimestamp",
                               "controller-uid", "last-applied-configuration", "ownerReferences",
                               "currentReplicas", "providerID", "podCIDR"}) {
      EXPECT_EQ(text.find(server), std::string::npos) << file << " holds " << server;
    }
  }

  const fs::path dir = write_scenario(r, "ok");
  const engine::Scenario s = load_scenario({dir.string()});
  ASSERT_EQ(s.nodes.size(), 3u);
  EXPECT_EQ(s.nodes[1].meta.name, "gpu-a100-0");
  EXPECT_EQ(s.nodes[1].capacity.at("nvidia.com/gpu").str(), "8");
  EXPECT_EQ(s.nodes[1].taints.size(), 1u);
  EXPECT_EQ(s.nodes[1].meta.labels.at("nvidia.com/gpu.product"), "A100-SXM4-40GB");
  ASSERT_EQ(s.pods.size(), 2u);
  for (const auto& p : s.pods)
    EXPECT_EQ(p.spec().node_name, "gpu-a100-0") << p.name;
  ASSERT_EQ(s.deployments.size(), 1u);
  ASSERT_EQ(s.jobs.size(), 1u);
  EXPECT_EQ(s.jobs[0].meta.name, "finetune-llama");
  EXPECT_EQ(s.hpas.size(), 1u);
  ASSERT_EQ(s.quotas.size(), 1u);
  ASSERT_EQ(s.priority_classes.size(), 1u);
  EXPECT_EQ(s.priority_classes[0].meta.name, "serving-high");
  EXPECT_EQ(s.priority_classes[0].value, 1000);  // learnt from the Deployment's pods
  EXPECT_EQ(s.simulation.name, "imported");
  fs::remove_all(dir);
}

ImportResult import_text(const std::string& text, const std::string& name) {
  const fs::path f = fs::temp_directory_path() / ("gpusim-import-" + name + ".yaml");
  std::ofstream(f) << text;
  return import_cluster_dump(f.string(), ImportOptions{});
}

std::string first_error(const std::string& text, const std::string& name) {
  try {
    import_text(text, name);
  } catch (const InputError& e) {
    return e.diagnostics().front().str();
  }
  return "no error";
}

TEST(ClusterImport, BadDumpsAreLocated) {
  EXPECT_NE(first_error("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "notlist")
                .find(":1:1: error: kind: expected a List"),
            std::string::npos);
  const std::string no_kind =
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  metadata: {name: n}\n";
  EXPECT_NE(first_error(no_kind, "nokind").find(":4:3: error: items[0].kind: required"),
            std::string::npos)
      << first_error(no_kind, "nokind");
  EXPECT_NE(first_error("kind: List\nitems: [\n", "syntax").find("not valid YAML"),
            std::string::npos);
}

}  // namespace
}  // namespace gpusim::scenario
