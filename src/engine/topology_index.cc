#include "engine/topology_index.h"

namespace incidentd::engine {
namespace {

// Breadth-first from `start` over `edges`: every node reached, nearest first, without `start`.
std::vector<uint32_t> Reach(uint32_t start, const std::vector<std::vector<uint32_t>>& edges) {
  std::vector<uint32_t> out;
  std::vector<bool> seen(edges.size());
  seen[start] = true;
  std::vector<uint32_t> frontier{start};
  for (size_t i = 0; i < frontier.size(); ++i) {
    for (uint32_t next : edges[frontier[i]]) {
      if (seen[next]) continue;
      seen[next] = true;
      frontier.push_back(next);
      out.push_back(next);
    }
  }
  return out;
}

}  // namespace

TopologyIndex::TopologyIndex(const Topology& topology)
    : label_(topology.label), window_(topology.window), release_after_(topology.release_after) {
  const size_t n = topology.services.size();
  std::vector<std::vector<uint32_t>> down(n), up(n);
  for (uint32_t s = 0; s < n; ++s) {
    names_.push_back(topology.services[s].name);
    by_name_.emplace(topology.services[s].name, s);
    down[s] = topology.services[s].depends_on;
    for (uint32_t d : down[s]) up[d].push_back(s);
  }
  dependencies_.reserve(n);
  dependents_.reserve(n);
  for (uint32_t s = 0; s < n; ++s) {
    dependencies_.push_back(Reach(s, down));
    dependents_.push_back(Reach(s, up));
  }
}

uint32_t TopologyIndex::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? kNone : it->second;
}

uint32_t TopologyIndex::ServiceOf(const LabelSet& labels) const {
  if (names_.empty()) return kNone;
  std::string_view v = labels.Get(label_);
  return v.empty() ? kNone : Find(v);
}

}  // namespace incidentd::engine
