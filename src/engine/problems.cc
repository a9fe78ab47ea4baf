#include "engine/problems.h"

#include <algorithm>
#include <memory>

#include "engine/incidents.h"

namespace incidentd::engine {

std::string Problems::Occurred(const ProblemsRule& rule, const Incident& inc, Time at) {
  if (rule.recurrences == 0) return "";
  Key& k = keys_[inc.group_key];
  if (k.problem && at - k.problem->last_seen > rule.within) {  // it stopped recurring: a new history starts
    by_id_.erase(k.problem->id);
    k.problem.reset();
    --problems_;
  }
  expiries_.push({at + rule.within, inc.group_key});
  if (k.problem) {
    k.problem->last_seen = at;
    k.problem->incidents.push_back(inc.id);
    return k.problem->id;
  }
  std::erase_if(k.recent, [&](const auto& r) { return at - r.first > rule.within; });
  k.recent.emplace_back(at, inc.id);
  if (k.recent.size() < rule.recurrences) return "";
  auto p = std::make_unique<Problem>();
  const Time first = k.recent.front().first;
  const uint64_t ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(first.time_since_epoch()).count());
  // Like an incident id (its first incident's time, the key, a count), with the count's top bit set so that the two
  // never collide.
  p->id = Incidents::IdText((ms << 16) | (inc.group_key >> 48), (inc.group_key << 16) | 0x8000 | (k.made++ & 0x7fff));
  p->group_key = inc.group_key;
  p->rule = inc.rule;
  p->group_labels = inc.group_labels;
  p->first_seen = first;
  p->last_seen = at;
  for (auto& [t, id] : k.recent) p->incidents.push_back(std::move(id));
  k.recent.clear();
  by_id_.emplace(p->id, inc.group_key);
  k.problem = std::move(p);
  ++problems_;
  return k.problem->id;
}

void Problems::Advance(Time now, const ProblemsRule& rule) {
  while (!expiries_.empty() && expiries_.top().at <= now) {
    const Expiry e = expiries_.top();
    expiries_.pop();
    auto it = keys_.find(e.key);
    if (it == keys_.end()) continue;
    Key& k = it->second;
    const Time last = k.problem ? k.problem->last_seen : (k.recent.empty() ? Time::min() : k.recent.back().first);
    if (now - last < rule.within) continue;  // a later incident armed a later expiry
    if (k.problem) {
      by_id_.erase(k.problem->id);
      --problems_;
    }
    // Its count of problems goes too: a later problem of the key has a later first incident, so another id.
    keys_.erase(it);
  }
}

std::optional<Time> Problems::NextDeadline() {
  if (expiries_.empty()) return std::nullopt;
  return expiries_.top().at;
}

const Problem* Problems::Find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return nullptr;
  return keys_.find(it->second)->second.problem.get();
}

}  // namespace incidentd::engine
