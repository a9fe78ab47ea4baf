// Helpers for the engine's tests: alert batches from label maps, rules, and readable views of what the engine did.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace incidentd::engine {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using Labels = std::map<std::string, std::string>;

inline const Time kT0 = FromUnixNanos(1'780'000'000'000'000'000LL);

struct In {
  Labels labels;
  AlertAction action = AlertAction::kFire;
  EndsAtKind ends = EndsAtKind::kTimeout;
  Time ends_at = kZeroTime;
};

inline AlertBatch Batch(const std::vector<In>& alerts, AlertFormat format = AlertFormat::kPrometheus) {
  AlertBatch b(format);
  for (const In& in : alerts) {
    AlertInput& a = b.Begin();
    a.action = in.action;
    a.ends_kind = in.ends;
    a.ends_at = in.ends_at;
    for (const auto& [n, v] : in.labels) b.AddLabel(n, v);  // std::map: sorted
    b.AddAnnotation("summary", "s");
    b.Finish(true);
  }
  b.Seal();
  return b;
}

inline In Resolved(Labels l, Time at) { return In{std::move(l), AlertAction::kFire, EndsAtKind::kGiven, at}; }
// Firing, with an end far ahead: it fires until resolved, whatever the test's times.
inline In Firing(Labels l) { return In{std::move(l), AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24 * 365)}; }

// One tick as the engine loop runs it: the timers due before t, the alerts, then Advance(t).
inline void Tick(Engine& e, Time t, const std::vector<In>& alerts = {}) {
  e.AdvanceBefore(t);
  if (!alerts.empty()) e.Apply(Batch(alerts), t);
  e.Advance(t);
}

inline Matcher M(std::string_view text) {
  Result<Matcher> m = Matcher::Parse(text);
  EXPECT_TRUE(m.ok()) << text;
  return *m;
}

inline CorrelationRule Rule(std::string name, std::vector<std::string> group_by,
                            std::vector<std::string_view> match = {}) {
  CorrelationRule r;
  r.name = std::move(name);
  r.group_by = std::move(group_by);
  std::sort(r.group_by.begin(), r.group_by.end());
  for (std::string_view m : match) r.match.push_back(M(m));
  r.policy = "oncall";
  return r;
}

inline RuleSet Rules(std::vector<CorrelationRule> correlations) {
  RuleSet rs;
  rs.correlations = std::move(correlations);
  rs.policies.push_back(Policy{"oncall", {EscalationStep{{"pd"}, minutes(5)}}, 0, {"slack"}});
  rs.receivers = {{"pd", "pagerduty"}, {"slack", "slack"}};
  return rs;
}

inline std::vector<std::string> Events(Engine& e) {
  std::vector<std::string> out;
  for (const Notification& n : e.TakeNotifications()) {
    out.push_back(std::string(NotifyEventName(n.event)) + (n.inform ? " (inform) " : " ") + n.receiver);
  }
  return out;
}

inline std::vector<const Incident*> All(const Engine& e) {
  std::vector<const Incident*> out;
  e.incidents().ForEach([&](const Incident& i) { out.push_back(&i); });
  std::sort(out.begin(), out.end(), [](const Incident* a, const Incident* b) { return a->id < b->id; });
  return out;
}

// The incident holding the alert of these labels (its primary one), or null.
inline const Incident* IncidentOf(const Engine& e, const Labels& l) {
  const Incident* found = nullptr;
  e.incidents().ForEach([&](const Incident& i) {
    for (const auto& [fp, m] : i.members) {
      const Alert* a = e.alerts().Find(fp);
      if (a == nullptr) continue;
      bool same = a->labels.size() == l.size();
      for (const auto& [n, v] : l) same = same && a->labels.Get(n) == v;
      if (same && (found == nullptr || found->id < i.id)) found = &i;
    }
  });
  return found;
}

inline std::vector<std::string> Kinds(const Incident& inc) {
  std::vector<std::string> out;
  for (const TimelineEntry& t : inc.timeline) out.emplace_back(TimelineKindName(t.kind));
  return out;
}

}  // namespace incidentd::engine
