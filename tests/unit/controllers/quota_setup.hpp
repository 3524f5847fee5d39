#pragma once
// The ResourceQuota admission plugin and controller attached to a test's Cluster, and quotas
// created through them (status filled by the controller, as at load time).
#include <string>

#include "controllers/resource_quota_admission.hpp"
#include "controllers/resource_quota_controller.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl::testing {

struct QuotaSetup {
  explicit QuotaSetup(Cluster& c) : cluster(c), admission(c), controller(c) {
    cluster.add_admission(&admission);
    cluster.add_observer(&controller);
  }
  ResourceQuota& add(const std::string& ns, const std::string& name, ResourceQuantities hard) {
    ResourceQuota q;
    q.meta.name = name;
    q.meta.namespace_ = ns;
    q.hard = std::move(hard);
    const std::string key = ns + "/" + name;
    cluster.quotas[key] = q;
    cluster.object_changed("ResourceQuota", key);
    return cluster.quotas[key];
  }

  Cluster& cluster;
  ResourceQuotaAdmission admission;
  ResourceQuotaController controller;
};

}  // namespace gpusim::ctrl::testing
