// FlapDetector: which alerts flap. An alert's state changes (a resolve, a fire again; its first fire is not one) are
// counted; more than FlappingRule::changes within `window` make it flapping, until it has not changed for `quiet`.
//
// Only alerts that changed within the last window, or flap, are tracked: an alert that fires and stays firing costs
// nothing. Advance runs the expiries at their exact times, so the outcome depends only on the times of the changes.
//
// Thread rule: single-threaded (the engine's). Pure: times come from the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/rules.h"
#include "incidentd/label.h"

namespace incidentd::engine {

class FlapDetector {
 public:
  // The alert changed state at `at`. True when this change made it flapping (it was not before).
  bool Changed(const FlappingRule& rule, Fingerprint fp, Time at);
  // Expiries due by now: appends the alerts that became stable (quiet for `quiet`) to `stable`.
  void Advance(Time now, std::vector<Fingerprint>* stable);
  std::optional<Time> NextDeadline();
  // Recovery: the alert was flapping when the state was written; its quiet period starts again at `now`.
  void RestoreFlapping(const FlappingRule& rule, Fingerprint fp, Time now);
  bool Flapping(Fingerprint fp) const {
    auto it = alerts_.find(fp);
    return it != alerts_.end() && it->second.flapping;
  }
  size_t tracked() const { return alerts_.size(); }
  size_t flapping() const { return flapping_; }  // alerts flapping now

 private:
  struct History {
    std::vector<Time> changes;  // within the window of the latest, oldest first
    Time expires = Time::max();
    bool flapping = false;
  };
  struct Expiry {
    Time at;
    Fingerprint fp;
    bool operator>(const Expiry& o) const { return at != o.at ? at > o.at : o.fp < fp; }
  };
  void Arm(const FlappingRule& rule, Fingerprint fp, History& h);

  boost::unordered_flat_map<Fingerprint, History, FingerprintHash> alerts_;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiries_;
  size_t flapping_ = 0;
};

}  // namespace incidentd::engine
