// Incidents: who is paged, and when — the group flush (Alertmanager's group_wait, group_interval and
// repeat_interval), the first step of the policy, and the receivers told of state changes. incidents.h documents
// the class; incidents.cc holds the lifecycle.
#include <algorithm>
#include <string>

#include "engine/incidents.h"

namespace incidentd::engine {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void Incidents::Send(Incident& inc, const std::string& receiver, bool inform, NotifyEvent event, Time now,
                     std::vector<Notification>* out) {
  out->push_back(Notification{now, inc.id, receiver, event, inform, inc.state, inc.priority, inc.title});
  ++inc.notifications;
  AddTimeline(inc, now, TimelineKind::kNotified, {},
              std::string(NotifyEventName(event)) + (inform ? " (inform) -> " : " -> ") + receiver);
}

// Pages the first step of the policy (and informs stakeholders of a new incident).
void Incidents::Page(Incident& inc, NotifyEvent event, Time now, const RuleSet& rules, std::vector<Notification>* out) {
  const Policy* policy = rules.FindPolicy(inc.policy);
  if (policy == nullptr || policy->steps.empty()) {
    if (event == NotifyEvent::kTriggered || event == NotifyEvent::kReopened) {
      AddTimeline(inc, now, TimelineKind::kNoPolicy);
    }
    return;
  }
  for (const std::string& r : policy->steps.front().notify) {
    Send(inc, r, false, event, now, out);
    if (std::find(inc.paged_receivers.begin(), inc.paged_receivers.end(), r) == inc.paged_receivers.end()) {
      inc.paged_receivers.push_back(r);
    }
  }
  if (event == NotifyEvent::kTriggered || event == NotifyEvent::kReopened) {
    for (const std::string& r : policy->inform) Send(inc, r, true, event, now, out);
  }
}

// Tells the receivers paged so far, and the stakeholders, of a state change.
void Incidents::Tell(Incident& inc, NotifyEvent event, Time now, const RuleSet& rules, std::vector<Notification>* out) {
  if (!inc.paged) return;  // nobody heard of it: nothing to take back
  const Policy* policy = rules.FindPolicy(inc.policy);
  for (const std::string& r : inc.paged_receivers) Send(inc, r, false, event, now, out);
  if (policy != nullptr) {
    for (const std::string& r : policy->inform) Send(inc, r, true, event, now, out);
  }
}

void Incidents::Flush(uint32_t slot, Time now, const RuleSet& rules, const MuteFn& muted, uint64_t mute_version,
                      std::vector<Notification>* out) {
  Incident& inc = *slots_[slot];
  inc.flush_at = Time::max();
  // Acknowledged or resolved: nobody is paged for it any more (a reopen schedules a flush again).
  if (inc.state != IncidentState::kTriggered) return;
  if (inc.flushed_members_version != inc.members_version || inc.flushed_mute_version != mute_version) {
    uint64_t digest = 0;
    uint32_t active = 0;
    for (const auto& [fp, m] : inc.members) {
      if (m.status != AlertStatus::kFiring || muted(fp)) continue;
      digest += Mix(fp.value());  // a sum: the same set gives the same digest in any order
      ++active;
    }
    inc.flushed_digest = digest;
    inc.flushed_active = active;
    inc.flushed_members_version = inc.members_version;
    inc.flushed_mute_version = mute_version;
  }
  const uint64_t digest = inc.flushed_digest;
  const CorrelationRule* rule = RuleOf(inc, rules);
  if (inc.flushed_active == 0) {
    if (!inc.suppressed_noted) AddTimeline(inc, now, TimelineKind::kSuppressed);
    inc.suppressed_noted = true;
  } else if (!inc.paged) {
    Page(inc, inc.reopened > 0 ? NotifyEvent::kReopened : NotifyEvent::kTriggered, now, rules, out);
    inc.paged = true;
    inc.suppressed_noted = false;
    inc.notified_digest = digest;
    inc.last_notified_at = now;
  } else {
    const Duration repeat = rule ? rule->repeat_interval : std::chrono::hours(4);
    if (digest != inc.notified_digest) {
      Page(inc, NotifyEvent::kUpdated, now, rules, out);
      inc.notified_digest = digest;
      inc.last_notified_at = now;
    } else if (now - inc.last_notified_at >= repeat) {
      Page(inc, NotifyEvent::kRepeated, now, rules, out);
      inc.last_notified_at = now;
    }
  }
  Trim(inc);
  ScheduleFlush(slot, now + (rule ? rule->group_interval : std::chrono::minutes(5)));
}

}  // namespace incidentd::engine
