#pragma once
// Records the cluster's Kubernetes events for tests that assert on them. One definition shared by
// every test file: the sanitizer tier compiles tests in unity batches, where two same-named
// classes in anonymous namespaces of different files collide.
#include <string>
#include <vector>

#include "model/cluster.hpp"

namespace gpusim::testing_util {

class EventLog : public ClusterObserver {
 public:
  void on_event(const ClusterEvent& e) override { events.push_back(e); }

  // Every event of `type` ("Scheduled", "StockOut", ...), in order.
  std::vector<ClusterEvent> of_type(const std::string& type) const {
    std::vector<ClusterEvent> out;
    for (const auto& e : events) {
      if (e.type == type) out.push_back(e);
    }
    return out;
  }

  // When each event of `type` about `object` ("default/p", a pool name) happened.
  std::vector<TimeMs> times(const std::string& type, const std::string& object) const {
    std::vector<TimeMs> out;
    for (const auto& e : events) {
      if (e.type == type && e.object == object) out.push_back(e.t_ms);
    }
    return out;
  }

  // The last FailedScheduling message for `object` ("default/p"), or "" if none.
  std::string failed(const std::string& object) const {
    std::string msg;
    for (const auto& e : events) {
      if (e.type == "FailedScheduling" && e.object == object) msg = e.message;
    }
    return msg;
  }

  std::vector<ClusterEvent> events;
};

}  // namespace gpusim::testing_util
