#pragma once
// ImageLocality: prefers nodes that already hold the pod's images, weighted by image size and
// by how widely the image is spread (upstream's formula: sum over the pod's containers of
// size * nodesWithImage / allNodes, clamped to [23Mi, 1000Mi * containers] and scaled to 0..100).
// Sizes are the nodes' status.images[].sizeBytes, as upstream; an image the kubelet pulls during
// the run is reported with its gpusim.io/image-size. For images no node gives a size for, the
// plugin's args give one (a gpusim extension). Images of unknown size count 0; when none of the
// pod's images has a size the plugin skips in PreScore and contributes nothing.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class ImageLocalityPlugin : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "ImageLocality";
  // args: {imageSizes: {"<image>": <bytes or quantity string>}, defaultImageSize: <same>}
  ImageLocalityPlugin(const nlohmann::json& args, FrameworkHandle& handle);
  std::string_view name() const override { return kName; }

  Status pre_score(CycleState& state, const PodInfo& pod,
                   std::span<const NodeIndex> nodes) override;
  void score(CycleState& state, const PodInfo& pod, std::span<const NodeIndex> nodes,
             std::span<std::int64_t> out) override;

  // "name" -> "name:latest" when no tag is given (upstream's normalizedImageName).
  static std::string normalized_image_name(std::string_view image);
  // calculatePriority: sum of scaled image scores -> 0..100.
  static std::int64_t calculate_priority(std::int64_t sum_scores, std::int64_t containers);

 private:
  // The args' size for an image no node reports a size for (0: unknown).
  std::int64_t args_size_of(const std::string& normalized) const;

  // What the cluster's nodes say about one image: the size the first node (in node order) reports
  // (-1: none), and which live nodes hold it. Walking every node's image list for this each
  // cycle, and again for each feasible node in Score, cost more than the rest of the scheduler
  // at 5,000 nodes, or with a month of pulls on 1,000; so it is kept per image, updated from the
  // cluster's pull log and rebuilt when a node is added, updated or removed.
  struct ImageStat {
    std::int64_t reported_size = -1;
    NodeIndex size_node = 0;  // the node that reported it
    std::int64_t holders = 0;
    std::vector<char> held;  // by node index
  };
  const ImageStat& image_stat(const std::string& normalized);
  void follow_cluster_images();

  FrameworkHandle& handle_;
  std::map<std::string, std::int64_t, std::less<>> sizes_;  // by normalized name
  std::int64_t default_size_ = 0;
  std::unordered_map<std::string, ImageStat> stats_;  // by normalized name
  std::uint64_t images_version_ = 0;                  // Cluster::images_version() + 1 of stats_
  std::size_t pulls_seen_ = 0;                        // entries of Cluster::image_pulls() applied
};

}  // namespace gpusim::sched
