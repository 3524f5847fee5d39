#include "cli/indexed_job.hpp"

#include <stdexcept>

#include "scenario/names.hpp"

namespace gpusim::cli {
namespace {

// A DNS-1123 label from the sweep name: lower case, [a-z0-9-], at most 63 with the prefix.
std::string job_name(const std::string& sweep) {
  std::string n = "gpusim-sweep-" + scenario::dns_label_chars(sweep);
  if (n.size() > 52) n.resize(52);  // Indexed Job pod names append -<index>-<hash>
  while (!n.empty() && n.back() == '-')
    n.pop_back();
  return n;
}

// A double-quoted YAML scalar.
std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string indexed_job_yaml(const IndexedJobOptions& o) {
  if (o.image.empty()) throw std::invalid_argument("--emit-indexed-job needs --image IMAGE");
  if (o.shards == 0) throw std::invalid_argument("--shards must be at least 1");
  if (o.cpus == 0) throw std::invalid_argument("--cpus must be at least 1");
  const std::string name = job_name(o.sweep_name);
  const std::string n = std::to_string(o.shards);
  const std::size_t parallelism = o.parallelism == 0 ? o.shards : std::min(o.parallelism, o.shards);
  const std::string memory = o.memory.empty() ? std::to_string(o.cpus) + "Gi" : o.memory;
  std::string y;
  y += "# Runs sweep " + o.sweep_name + " as " + n + " shards, one per completion index.\n";
  y += "# Each pod writes /results/shard-<index>; when the Job completes, combine them with\n";
  y += "#   gpusim merge /results/shard-* -o /results/merged\n";
  y += "# The image must hold gpusim on its PATH and the sweep with its scenarios under " +
       o.workdir + ".\n";
  y += "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: " + name + "\n  labels:\n";
  y += "    app.kubernetes.io/name: gpusim\n    gpusim.io/sweep: " + q(o.sweep_name) + "\n";
  y += "spec:\n  completionMode: Indexed\n  completions: " + n +
       "\n  parallelism: " + std::to_string(parallelism) + "\n";
  // Restarts resume a shard, so a few per shard are cheap.
  y += "  backoffLimit: " + std::to_string(3 * o.shards) + "\n";
  y += "  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: gpusim\n";
  y += "        gpusim.io/sweep: " + q(o.sweep_name) + "\n";
  y += "    spec:\n      restartPolicy: OnFailure\n      containers:\n        - name: gpusim\n";
  y += "          image: " + q(o.image) + "\n";
  y += "          workingDir: " + q(o.workdir) + "\n";
  y += "          command:\n";
  for (const std::string& arg :
       {std::string("gpusim"), std::string("sweep"), o.sweep_path, std::string("-o"),
        std::string("/results/shard-$(JOB_COMPLETION_INDEX)"), std::string("--shard"),
        "$(JOB_COMPLETION_INDEX)/" + n, std::string("-j"), std::to_string(o.cpus),
        std::string("-q")}) {
    y += "            - " + q(arg) + "\n";
  }
  y += "          resources:\n";
  for (const char* section : {"requests", "limits"}) {
    y += std::string("            ") + section + ":\n";
    y += "              cpu: " + q(std::to_string(o.cpus)) + "\n";
    y += "              memory: " + q(memory) + "\n";
  }
  y += "          volumeMounts:\n            - name: results\n              mountPath: /results\n";
  y += "      volumes:\n        - name: results\n          persistentVolumeClaim:\n";
  y += "            claimName: " + q(o.results_claim) + "\n";
  return y;
}

}  // namespace gpusim::cli
