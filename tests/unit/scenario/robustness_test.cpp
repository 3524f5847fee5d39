// Bad input of any shape gets diagnostics, never a crash or a stray exception: pathological YAML,
// and a deterministic mutation fuzz over a real manifest. Also YAML 1.1 scalar typing as kubectl
// decodes it.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>

#include "scenario/loader.hpp"
#include "scenario_test_util.hpp"

namespace gpusim::scenario {
namespace {

using testing::TempFile;

// Loads and returns the diagnostics; fails the test on any exception but InputError.
Diagnostics load_text(const std::string& text) {
  TempFile f(text);
  Diagnostics d = validate({f.path()});
  try {
    (void)load_scenario({f.path()});
    EXPECT_FALSE(d.has_errors());
  } catch (const InputError& e) {
    EXPECT_TRUE(d.has_errors());
    EXPECT_EQ(e.diagnostics().size(), d.items().size());
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception: " << e.what() << "\ninput:\n" << text.substr(0, 400);
  }
  return d;
}

std::string deployment(const std::string& spec_extra) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n" + spec_extra +
         "  selector: {matchLabels: {app: web}}\n"
         "  template:\n"
         "    metadata: {labels: {app: web}}\n"
         "    spec:\n"
         "      containers: [{name: web, image: nginx}]\n";
}

TEST(ScenarioRobustness, PathologicalDocuments) {
  const std::vector<std::string> inputs = {
      std::string(20000, '[') + std::string(20000, ']'),            // very deep nesting
      "a: &x [*x]\n",                                               // self-referencing alias
      "a: *undefined\n",                                            // unknown anchor
      std::string("\0\1\2\xff\xfe binary", 12),                     // not text
      "\t- a\n\t- b\n",                                             // tabs
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: 5\n",  // wrong shapes
      "apiVersion: v1\nkind: [Pod]\n",                              // kind not a string
      "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus: {capacity: {cpu: [1]}}\n",
      "? [complex, key]\n: value\n",  // complex keys
      "apiVersion: v1\nkind: Pod\nmetadata:\n  ? [x]\n  : y\n",
      "--- |\n  a literal block as a document\n",
      "%YAML 1.2\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n",
      "apiVersion: apps/v1\nkind: Deployment\n" + std::string(100000, 'x') + ": 1\n",
      "apiVersion: v1\nkind: List\nitems: [1, [2], {kind: List, apiVersion: v1, items: 3}]\n",
      // Cyclic aliases: in plugin arguments, merge keys, List items and timeline patches.
      "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
      "profiles: [{pluginConfig: [{name: NodeResourcesFit, args: &a {x: [*a, *a]}}]}]\n",
      "apiVersion: v1\nkind: Namespace\nmetadata: &m {<<: *m, name: a}\n",
      "apiVersion: v1\nkind: List\nitems: &i [{apiVersion: v1, kind: List, items: *i}]\n",
      "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nspec:\n  timeline:\n"
      "    - {at: 1m, action: patch, target: Deployment/default/x, patch: &p {spec: *p}}\n",
  };
  for (const auto& text : inputs)
    load_text(text);
}

TEST(ScenarioRobustness, AliasBombIsRefused) {
  std::string text =
      "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
      "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 8; ++i) {
    const std::string n = std::to_string(i);
    text.append("a").append(n).append(": &a").append(n).append(" [");
    for (int k = 0; k < 10; ++k)
      text += (k ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  text += "profiles: [{pluginConfig: [{name: NodeResourcesFit, args: {bomb: *a8}}]}]\n";
  const Diagnostics d = load_text(text);
  bool refused = false;
  for (const auto& item : d.items()) {
    refused = refused || item.message.find("too large") != std::string::npos;
  }
  EXPECT_TRUE(refused);
}

TEST(ScenarioRobustness, MutatedManifestsNeverCrash) {
  std::ifstream in(testing::data("fraud-detector/k8s-manifests.yaml"));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string original = ss.str();
  const std::string alphabet = ":-[]{}#&*!|>'\"%@` \n\t0123456789abcxyz.,/";
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>(state >> 33);
  };
  for (int round = 0; round < 250; ++round) {
    std::string text = original;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = next() % text.size();
      switch (next() % 3) {
        case 0:
          text[pos] = alphabet[next() % alphabet.size()];
          break;
        case 1:
          text.insert(pos, 1, alphabet[next() % alphabet.size()]);
          break;
        default:
          text.erase(pos, 1 + next() % 8);
          break;
      }
    }
    load_text(text);
  }
}

TEST(ScenarioScalars, KubectlTyping) {
  // YAML 1.1 booleans, hex and whole floats are what kubectl would send.
  TempFile ok(deployment("  paused: yes\n  replicas: 0x10\n  minReadySeconds: 3.0\n"));
  const engine::Scenario s = load_scenario({ok.path()});
  ASSERT_EQ(s.deployments.size(), 1u);
  EXPECT_TRUE(s.deployments[0].paused);
  EXPECT_EQ(s.deployments[0].replicas, 16);
  EXPECT_EQ(s.deployments[0].min_ready_s, 3);

  const Diagnostics d = load_text(deployment("  paused: \"yes\"\n  replicas: 1.5\n"));
  ASSERT_EQ(d.error_count(), 2u);
  EXPECT_EQ(d.items()[0].message, "expected true or false, got \"yes\"");
  EXPECT_EQ(d.items()[1].message, "expected an integer, got number 1.5");

  const Diagnostics image = load_text(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
      "    - {name: c, image: 1.0}\n");
  ASSERT_EQ(image.error_count(), 1u);
  EXPECT_EQ(image.items()[0].str().substr(image.items()[0].str().find(":6:")),
            ":6:24: error: spec.containers[0].image: expected a string, got number 1.0 (hint: "
            "quote it: \"1.0\")");
}

TEST(ScenarioScalars, MergeKeysAreExpanded) {
  TempFile f(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
      "    - &base {name: a, image: busybox, resources: {requests: {cpu: 100m}}}\n"
      "    - <<: *base\n      name: b\n");
  const engine::Scenario s = load_scenario({f.path()});
  ASSERT_EQ(s.pods.size(), 1u);
  const auto& cs = s.pods[0].spec().containers;
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[1].name, "b");
  EXPECT_EQ(cs[1].image, "busybox");
  EXPECT_EQ(cs[1].resources.requests.at("cpu").str(), "100m");
}

TEST(ScenarioScalars, LineNumbersCountFromTheTopOfTheFile) {
  const Diagnostics d = load_text(
      "# comment\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n\n"
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: b, labels: {x: [1]}}\n");
  ASSERT_EQ(d.error_count(), 1u);
  EXPECT_EQ(d.items()[0].location.line, 10);
  EXPECT_EQ(d.items()[0].location.column, 33);
  EXPECT_EQ(d.items()[0].field_path, "metadata.labels.x");
}

// Only entries that set one thing two ways at one instant conflict; the same change twice, other
// targets at that instant, and opposite changes at different times load cleanly.
TEST(ScenarioTimeline, ConflictsAreOnlyContradictionsAtOneInstant) {
  const std::string base =
      deployment("  replicas: 1\n") +
      "---\napiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: t}\nspec:\n"
      "  nodePools: [{name: gpu, count: 2, template: {status: {capacity: {cpu: 8, memory: "
      "8Gi}}}}]\n  timeline:\n";
  const Diagnostics fine = load_text(
      base +
      "    - {at: 1h, action: drain, target: gpu-0}\n"
      "    - {at: 1h, action: uncordon, target: gpu-1}\n"
      "    - {at: 2h, action: uncordon, target: gpu-0}\n"
      "    - {at: 2h, action: setImage, target: web, params: {container: web, image: a}}\n"
      "    - {at: 2h, action: setImage, target: web, params: {container: web, image: a}}\n"
      "    - {at: 3h, action: scale, target: web, params: {replicas: 2}}\n"
      "    - {at: 4h, action: scale, target: web, params: {replicas: 3}}\n");
  EXPECT_EQ(fine.error_count(), 0u);

  const Diagnostics clash = load_text(
      base +
      "    - {at: 1h, action: fail, target: gpu-0}\n"
      "    - {at: 1h, action: recover, target: pool/gpu}\n"
      "    - {at: 3h, action: scale, target: web, params: {replicas: 2}}\n"
      "    - {at: 3h, action: scale, target: Deployment/default/web, params: {replicas: 3}}\n");
  ASSERT_EQ(clash.error_count(), 2u);
  EXPECT_NE(clash.items()[0].message.find("fail of \"gpu-0\" and recover of \"gpu\""),
            std::string::npos)
      << clash.items()[0].message;
  EXPECT_NE(clash.items()[1].message.find("scale sets Deployment default/web to both 2 and 3"),
            std::string::npos)
      << clash.items()[1].message;
}

}  // namespace
}  // namespace gpusim::scenario
