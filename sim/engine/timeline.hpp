#pragma once
// The Simulation document's timeline: each entry runs at its time as an operator or a cloud
// would act (kubectl set image / patch / scale / rollout restart / cordon / drain, a node
// failing, recovering or disappearing, a spot pool being reclaimed, a pool's cloud capacity
// running out and coming back). Actions register by name.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "controllers/drain.hpp"
#include "controllers/node_lifecycle.hpp"
#include "engine/simulation_spec.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {

// The actions this engine implements (the loader accepts exactly these).
const std::vector<std::string>& timeline_actions();

// A param an action reads and what its value must be, so that the loader rejects a value the
// action would otherwise read as absent (a drain's timeout "10 m" would wait forever).
struct TimelineParam {
  enum class Type { kText, kDuration, kBool, kFailMode };
  std::string name;
  Type type = Type::kText;
};
// The params of `action` (empty for an action without params or an unknown one).
const std::vector<TimelineParam>& timeline_params(const std::string& action);
// Whether `value` is one the action reads as `type` means (kText: anything).
bool valid_timeline_param(TimelineParam::Type type, const std::string& value);

class Timeline {
 public:
  using Action = std::function<void(const TimelineEvent&)>;
  // Adds a node to a node pool (a replacement after a spot interruption).
  using AddPoolNode = std::function<void(const std::string& pool)>;

  Timeline(Cluster& cluster, EventLoop& loop, ctrl::NodeLifecycleController& nodes,
           ctrl::DrainController& drains, AddPoolNode add_pool_node);

  void add_action(std::string name, Action action);
  // Schedules every event at its time (timeline band: before the API writes of that instant).
  void schedule(const std::vector<TimelineEvent>& events);

 private:
  void run(const TimelineEvent& e);
  void error(const TimelineEvent& e, const std::string& message);
  Deployment* deployment_target(const TimelineEvent& e);
  std::vector<NodeId> node_targets(const TimelineEvent& e);
  void change_template(Deployment& d, std::shared_ptr<const PodTemplate> tmpl,
                       const TimelineEvent& e, const std::string& what);

  void set_image(const TimelineEvent& e);
  void patch(const TimelineEvent& e);
  void scale(const TimelineEvent& e);
  void restart(const TimelineEvent& e);
  void drain(const TimelineEvent& e);
  void fail(const TimelineEvent& e);
  void spot_interruption(const TimelineEvent& e);
  void stock_out(const TimelineEvent& e);
  void restock(const std::string& pool);
  static std::string pool_name(const std::string& target);

  Cluster& cluster_;
  EventLoop& loop_;
  ctrl::NodeLifecycleController& nodes_;
  ctrl::DrainController& drains_;
  AddPoolNode add_pool_node_;
  std::map<std::string, Action> actions_;
  std::set<std::string> stocked_out_;
  std::map<std::string, std::uint64_t> stock_generation_;
};

}  // namespace gpusim::engine
