// Problems: correlation keys whose incidents recur — the start of problem management.
//
// Each time a new incident of a correlation key (a rule's group: Incident::group_key) starts counting, Occurred
// records it. When at least `recurrences` incidents of the key opened within `within` of each other (the newest one
// counting), the key becomes a problem, and every later incident of the key joins it while the key keeps recurring. A
// problem with no new incident for `within` is dropped, and so is the history of a key that is not one. Reopening an
// incident is not a recurrence: only new incidents count.
//
// The outcome depends only on the keys and times of the incidents, in order, so recovery rebuilds it by calling
// Occurred again for the stored incidents, oldest first.
//
// Thread rule: single-threaded (the engine's). Pure: times come from the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/rules.h"
#include "incidentd/incident.h"

namespace incidentd::engine {

struct Problem {
  std::string id;  // 26 characters, like an incident id: the first incident's time and the key
  uint64_t group_key = 0;
  std::string rule;
  std::vector<std::pair<std::string, std::string>> group_labels;
  Time first_seen{};                   // the first counted incident's creation
  Time last_seen{};                    // the latest one's
  std::vector<std::string> incidents;  // ids, oldest first
};

class Problems {
 public:
  // The incident `inc` of its key opened at `at`. Returns the id of the problem it belongs to, or "" when its key is
  // not (yet) a problem. `rule.recurrences` == 0: nothing is tracked.
  std::string Occurred(const ProblemsRule& rule, const Incident& inc, Time at);
  // Drops problems and histories with no incident for `within` up to now.
  void Advance(Time now, const ProblemsRule& rule);
  std::optional<Time> NextDeadline();

  const Problem* Find(std::string_view id) const;
  // Calls fn(const Problem&) for every problem, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [key, k] : keys_) {
      if (k.problem) fn(*k.problem);
    }
  }
  size_t size() const { return problems_; }

 private:
  struct Key {
    std::vector<std::pair<Time, std::string>> recent;  // incidents within `within` of the newest, while no problem
    std::unique_ptr<Problem> problem;
    uint32_t made = 0;  // problems made for the key so far, part of their ids
  };
  struct Expiry {
    Time at;
    uint64_t key;
    bool operator>(const Expiry& o) const { return at != o.at ? at > o.at : key > o.key; }
  };

  boost::unordered_flat_map<uint64_t, Key> keys_;
  boost::unordered_flat_map<std::string, uint64_t> by_id_;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiries_;
  size_t problems_ = 0;
};

}  // namespace incidentd::engine
