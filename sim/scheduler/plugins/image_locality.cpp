#include "scheduler/plugins/image_locality.hpp"

#include <algorithm>
#include <string_view>

#include "core/quantity.hpp"
#include "scheduler/plugins/filter_helpers.hpp"
#include "scheduler/plugins/plugin_args.hpp"

namespace gpusim::sched {
namespace {

constexpr std::int64_t kMiB = 1024 * 1024;
constexpr std::int64_t kMinThreshold = 23 * kMiB;
constexpr std::int64_t kMaxContainerThreshold = 1000 * kMiB;

struct Image {
  std::string name;       // normalized
  std::int64_t size = 0;  // bytes; -1 while pre_score looks for it
};

struct ImageLocalityState : PluginState {
  std::vector<Image> images;  // one per container (init and app), known size only
  std::int64_t containers = 0;
  std::int64_t total_nodes = 0;
  std::vector<std::int64_t> spread_score;      // per entry of images: size * nodesWith / total
  std::vector<const std::vector<char>*> held;  // per entry of images: ImageStat::held
};

std::int64_t read_size(const ArgsReader& a, const std::string& field, const nlohmann::json& v) {
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<std::int64_t>();
  if (v.is_string()) {
    if (auto q = Quantity::parse(v.get<std::string>()); q && q->sign() >= 0) return q->value();
  }
  a.fail(field, "must be a non-negative byte count or quantity (\"500Mi\")");
}

// Whether `raw` (a name in a node's image list) normalizes to `normalized`, without building the
// normalized string: this runs for every image of every node in each cycle.
bool names_image(std::string_view raw, std::string_view normalized) {
  if (raw == normalized) return true;  // a normalized name has a tag, so raw has one too
  constexpr std::string_view kLatest = ":latest";
  if (normalized.size() != raw.size() + kLatest.size() || !normalized.starts_with(raw) ||
      !normalized.ends_with(kLatest)) {
    return false;
  }
  const auto colon = raw.rfind(':');
  const auto slash = raw.rfind('/');
  return colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash);
}

bool node_has(const Node& node, const std::string& normalized) {
  return std::any_of(node.images.begin(), node.images.end(),
                     [&](const std::string& i) { return names_image(i, normalized); });
}

}  // namespace

std::string ImageLocalityPlugin::normalized_image_name(std::string_view image) {
  const auto colon = image.rfind(':');
  const auto slash = image.rfind('/');
  // No tag when there is no ':' after the last '/' (a ':' before it is a registry port).
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) {
    return std::string(image) + ":latest";
  }
  return std::string(image);
}

std::int64_t ImageLocalityPlugin::calculate_priority(std::int64_t sum_scores,
                                                     std::int64_t containers) {
  const std::int64_t max_threshold = kMaxContainerThreshold * containers;
  if (sum_scores < kMinThreshold) {
    sum_scores = kMinThreshold;
  } else if (sum_scores > max_threshold) {
    sum_scores = max_threshold;
  }
  if (max_threshold <= kMinThreshold) return 0;
  return 100 * (sum_scores - kMinThreshold) / (max_threshold - kMinThreshold);
}

ImageLocalityPlugin::ImageLocalityPlugin(const nlohmann::json& args, FrameworkHandle& handle)
    : handle_(handle) {
  ArgsReader a(kName, args);
  a.only({"imageSizes", "defaultImageSize"});
  if (auto sizes = a.object("imageSizes")) {
    for (const auto& [image, v] : sizes->json().items()) {
      sizes_[normalized_image_name(image)] = read_size(*sizes, image, v);
    }
  }
  if (a.has("defaultImageSize")) {
    default_size_ = read_size(a, "defaultImageSize", a.json().at("defaultImageSize"));
  }
}

std::int64_t ImageLocalityPlugin::args_size_of(const std::string& normalized) const {
  auto it = sizes_.find(normalized);
  return it == sizes_.end() ? default_size_ : it->second;
}

void ImageLocalityPlugin::follow_cluster_images() {
  const Cluster& c = handle_.cluster();
  const auto& pulls = c.image_pulls();
  // Versions are kept + 1 so that the first call (0) always starts afresh.
  if (images_version_ != c.images_version() + 1) {
    images_version_ = c.images_version() + 1;
    stats_.clear();  // rebuilt per image as pods ask for them
    pulls_seen_ = pulls.size();
    return;
  }
  for (; pulls_seen_ < pulls.size(); ++pulls_seen_) {
    const Cluster::ImagePull& p = pulls[pulls_seen_];
    const Node& node = c.node(p.node);
    const std::string& raw = node.images[p.index];
    auto it = stats_.find(normalized_image_name(raw));
    if (it == stats_.end() || !handle_.nodes().live(p.node)) continue;
    ImageStat& stat = it->second;
    // The size the pull reported counts if no node before this one (in node order) gave one,
    // as a rescan would find it.
    if (auto size = node.image_size_bytes.find(raw);
        size != node.image_size_bytes.end() &&
        (stat.reported_size < 0 || p.node < stat.size_node)) {
      stat.reported_size = size->second;
      stat.size_node = p.node;
    }
    if (stat.held[p.node] == 0) {
      stat.held[p.node] = 1;
      ++stat.holders;
    }
  }
}

const ImageLocalityPlugin::ImageStat& ImageLocalityPlugin::image_stat(
    const std::string& normalized) {
  auto [it, added] = stats_.try_emplace(normalized);
  ImageStat& stat = it->second;
  if (!added) return stat;
  const Cluster& c = handle_.cluster();
  const NodeTable& t = handle_.nodes();
  stat.held.assign(t.size(), 0);
  // An image's size is the sizeBytes the first node (in node order) reports for it: upstream's
  // scheduler cache keeps one size per image name, the one it saw first. Nodes that hold the
  // image without a size (pulled during the run, size unknown) are passed over.
  for (NodeIndex n = 0; n < t.size(); ++n) {
    if (!t.live(n)) continue;
    const Node& node = c.node(n);
    if (stat.reported_size < 0) {
      for (const auto& [name, bytes] : node.image_size_bytes) {
        if (names_image(name, normalized)) {
          stat.reported_size = bytes;
          stat.size_node = n;
          break;
        }
      }
    }
    if (node_has(node, normalized)) {
      stat.held[n] = 1;
      ++stat.holders;
    }
  }
  return stat;
}

Status ImageLocalityPlugin::pre_score(CycleState& state, const PodInfo& pod,
                                      std::span<const NodeIndex>) {
  ImageLocalityState& s = cycle_slot<ImageLocalityState>(state, *this);
  s.images.clear();
  s.spread_score.clear();
  s.held.clear();
  follow_cluster_images();
  const PodSpec& spec = pod.pod->spec();
  s.containers = static_cast<std::int64_t>(spec.init_containers.size() + spec.containers.size());
  // The spread factor counts every node of the cluster, not only the feasible ones.
  s.total_nodes = static_cast<std::int64_t>(handle_.nodes().live_count());
  auto add = [&](const Container& container) {
    if (container.image.empty()) return;
    std::string name = normalized_image_name(container.image);
    const ImageStat& stat = image_stat(name);
    // Images no node gives a size for (pulled during the run, or listed without sizeBytes) take
    // the size from the args, if any; unknown sizes count 0.
    const std::int64_t size = stat.reported_size >= 0 ? stat.reported_size : args_size_of(name);
    if (size <= 0) return;
    const double spread = static_cast<double>(stat.holders) / static_cast<double>(s.total_nodes);
    s.spread_score.push_back(static_cast<std::int64_t>(static_cast<double>(size) * spread));
    s.held.push_back(&stat.held);
    s.images.push_back(Image{std::move(name), size});
  };
  for (const auto& container : spec.init_containers)
    add(container);
  for (const auto& container : spec.containers)
    add(container);
  return s.images.empty() ? Status::skip() : Status::ok();
}

void ImageLocalityPlugin::score(CycleState& state, const PodInfo&, std::span<const NodeIndex> nodes,
                                std::span<std::int64_t> out) {
  const ImageLocalityState& s = cycle_slot<ImageLocalityState>(state, *this);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    std::int64_t sum = 0;
    for (std::size_t k = 0; k < s.images.size(); ++k) {
      if ((*s.held[k])[nodes[i]] != 0) sum += s.spread_score[k];
    }
    out[i] = calculate_priority(sum, s.containers);
  }
}

}  // namespace gpusim::sched
