#include "engine/flap_detector.h"

#include <algorithm>

namespace incidentd::engine {

void FlapDetector::Arm(const FlappingRule& rule, Fingerprint fp, History& h) {
  // A flapping alert is stable once quiet; another one is forgotten once its last change leaves the window.
  h.expires = h.changes.back() + (h.flapping ? rule.quiet : rule.window);
  expiries_.push({h.expires, fp});
}

bool FlapDetector::Changed(const FlappingRule& rule, Fingerprint fp, Time at) {
  if (rule.changes == 0) return false;
  History& h = alerts_[fp];
  std::erase_if(h.changes, [&](Time t) { return at - t > rule.window; });
  h.changes.push_back(at);
  bool started = false;
  if (!h.flapping && h.changes.size() > rule.changes) {
    h.flapping = true;
    ++flapping_;
    started = true;
  }
  if (h.flapping && h.changes.size() > rule.changes + 1) h.changes.erase(h.changes.begin());  // enough to know
  Arm(rule, fp, h);
  return started;
}

void FlapDetector::Advance(Time now, std::vector<Fingerprint>* stable) {
  while (!expiries_.empty() && expiries_.top().at <= now) {
    const Expiry e = expiries_.top();
    expiries_.pop();
    auto it = alerts_.find(e.fp);
    if (it == alerts_.end() || it->second.expires != e.at) continue;  // changed since, or forgotten
    if (it->second.flapping) {
      stable->push_back(e.fp);
      --flapping_;
    }
    alerts_.erase(it);
  }
}

std::optional<Time> FlapDetector::NextDeadline() {
  while (!expiries_.empty()) {
    auto it = alerts_.find(expiries_.top().fp);
    if (it != alerts_.end() && it->second.expires == expiries_.top().at) return expiries_.top().at;
    expiries_.pop();
  }
  return std::nullopt;
}

void FlapDetector::RestoreFlapping(const FlappingRule& rule, Fingerprint fp, Time now) {
  History& h = alerts_[fp];
  if (!h.flapping) ++flapping_;
  h.flapping = true;
  h.changes.assign(1, now);
  Arm(rule, fp, h);
}

}  // namespace incidentd::engine
