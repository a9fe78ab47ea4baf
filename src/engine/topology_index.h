// TopologyIndex: the rule set's topology as the engine searches it — a service's dependencies and dependents, nearest
// first — and the value of an alert's service label.
//
// Built from a RuleSet's Topology, which the loader checked (names unique, no cycle). Thread rule: immutable after
// construction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/rules.h"
#include "incidentd/label_set.h"

namespace incidentd::engine {

class TopologyIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  TopologyIndex() = default;
  explicit TopologyIndex(const Topology& topology);

  bool empty() const { return names_.empty(); }
  size_t size() const { return names_.size(); }
  const std::string& label() const { return label_; }
  Duration window() const { return window_; }
  Duration release_after() const { return release_after_; }
  const std::string& name(uint32_t service) const { return names_[service]; }
  // The service an alert is on: the index of its label's value, kNone when it has none or names no declared service.
  uint32_t ServiceOf(const LabelSet& labels) const;
  uint32_t Find(std::string_view name) const;
  // Every service `service` depends on, directly or not, nearest first (then in depends_on order), without itself.
  const std::vector<uint32_t>& DependenciesOf(uint32_t service) const { return dependencies_[service]; }
  // Every service that depends on `service`, directly or not, nearest first (then in declaration order).
  const std::vector<uint32_t>& DependentsOf(uint32_t service) const { return dependents_[service]; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::string label_;
  Duration window_{};
  Duration release_after_{};
  std::vector<std::string> names_;
  boost::unordered_flat_map<std::string, uint32_t, StringHash, std::equal_to<>> by_name_;
  std::vector<std::vector<uint32_t>> dependencies_, dependents_;
};

}  // namespace incidentd::engine
