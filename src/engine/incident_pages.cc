// Incidents: who is paged, and when — the group flush (Alertmanager's group_wait, group_interval and
// repeat_interval), the escalation through the policy's steps, and the receivers told of state changes. incidents.h
// documents the class; incidents.cc holds the lifecycle.
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
  Notification n;
  n.at = now;
  n.incident_id = inc.id;
  n.receiver = receiver;
  n.event = event;
  n.inform = inform;
  n.state = inc.state;
  n.priority = inc.priority;
  n.title = inc.title;
  n.seq = inc.notify_seq;
  n.step = inc.step;
  out->push_back(std::move(n));
  ++inc.notifications;
  AddTimeline(inc, now, TimelineKind::kNotified, {},
              std::string(NotifyEventName(event)) + (inform ? " (inform) -> " : " -> ") + receiver);
}

// One decision: `notify` are paged (and remembered as paged), then the stakeholders in `inform` that were not among
// them are told. Every notification of the decision has the same seq.
void Incidents::Decide(Incident& inc, NotifyEvent event, const std::vector<std::string>& notify,
                       const std::vector<std::string>* inform, Time now, std::vector<Notification>* out) {
  ++inc.notify_seq;
  for (const std::string& r : notify) {
    Send(inc, r, false, event, now, out);
    if (std::find(inc.paged_receivers.begin(), inc.paged_receivers.end(), r) == inc.paged_receivers.end()) {
      inc.paged_receivers.push_back(r);
    }
  }
  if (inform == nullptr) return;
  for (const std::string& r : *inform) {
    if (std::find(notify.begin(), notify.end(), r) == notify.end()) Send(inc, r, true, event, now, out);
  }
}

// Triggered or reopened: pages the policy's first step, informs the stakeholders and starts the escalation; false
// when the incident has no policy to page (the timeline says so once; a later flush tries again, so rules reloaded
// with the policy page it then). Updated or repeated: tells every receiver paged so far.
bool Incidents::Page(Incident& inc, uint32_t slot, NotifyEvent event, Time now, const RuleSet& rules,
                     std::vector<Notification>* out) {
  const bool first = event == NotifyEvent::kTriggered || event == NotifyEvent::kReopened;
  if (!first) {
    if (!inc.paged_receivers.empty()) {
      Decide(inc, event, std::vector<std::string>(inc.paged_receivers), nullptr, now, out);
    }
    return true;
  }
  const Policy* policy = rules.FindPolicy(inc.policy);
  if (policy == nullptr || policy->steps.empty()) {
    if (!inc.no_policy_noted) AddTimeline(inc, now, TimelineKind::kNoPolicy);
    inc.no_policy_noted = true;
    return false;
  }
  inc.no_policy_noted = false;
  inc.step = 0;
  Decide(inc, event, policy->steps.front().notify, &policy->inform, now, out);
  ScheduleEscalation(slot, now + policy->steps.front().ack_timeout);
  return true;
}

// The current step's ack_timeout passed with the incident still triggered: page the next step, or note that the
// policy has nobody left to page.
void Incidents::Escalate(uint32_t slot, Time now, const RuleSet& rules, const MuteFn& muted, uint64_t mute_version,
                         std::vector<Notification>* out) {
  Incident& inc = *slots_[slot];
  inc.escalate_at = Time::max();
  Changed(inc);
  if (inc.state != IncidentState::kTriggered) return;
  const Policy* policy = rules.FindPolicy(inc.policy);
  if (policy == nullptr || policy->steps.empty()) {
    // The rules were reloaded without the policy: nobody is left to page.
    AddTimeline(inc, now, TimelineKind::kEscalationDone, {}, "policy " + inc.policy + " is gone");
    Trim(inc);
    return;
  }
  const uint32_t steps = static_cast<uint32_t>(policy->steps.size());
  const uint32_t total = steps * static_cast<uint32_t>(policy->repeat + 1);
  if (inc.step + 1 >= total) {
    AddTimeline(inc, now, TimelineKind::kEscalationDone);
    Trim(inc);
    return;
  }
  ActiveAlerts(slot, inc, muted, mute_version);
  if (slot_state_[slot].active_all == 0) {
    // Every firing alert is silenced or inhibited: the escalation holds at its step and looks again later.
    if (!inc.suppressed_noted) AddTimeline(inc, now, TimelineKind::kSuppressed);
    inc.suppressed_noted = true;
    ScheduleEscalation(slot, now + policy->steps[inc.step % steps].ack_timeout);
    Trim(inc);
    return;
  }
  inc.suppressed_noted = false;
  ++inc.step;
  const EscalationStep& step = policy->steps[inc.step % steps];
  std::string detail = "step " + std::to_string(inc.step % steps + 1) + " of " + std::to_string(steps);
  if (policy->repeat > 0) {
    detail += ", repeat " + std::to_string(inc.step / steps) + " of " + std::to_string(policy->repeat);
  }
  AddTimeline(inc, now, TimelineKind::kEscalated, {}, std::move(detail));
  Decide(inc, NotifyEvent::kEscalated, step.notify, &policy->inform, now, out);
  ScheduleEscalation(slot, now + step.ack_timeout);
  Trim(inc);
}

// Tells the receivers paged so far, and the stakeholders, of a state change; the escalation stops.
void Incidents::Tell(Incident& inc, NotifyEvent event, Time now, const RuleSet& rules, std::vector<Notification>* out) {
  inc.escalate_at = Time::max();
  Changed(inc);
  if (inc.paged_receivers.empty()) return;  // nobody heard of it: nothing to take back
  const Policy* policy = rules.FindPolicy(inc.policy);
  Decide(inc, event, std::vector<std::string>(inc.paged_receivers), policy ? &policy->inform : nullptr, now, out);
}

// Firing, unmuted members that are not flapping (their digest is what receivers last heard of); Slot::active_all
// counts the flapping ones too.
uint32_t Incidents::ActiveAlerts(uint32_t slot, Incident& inc, const MuteFn& muted, uint64_t mute_version) {
  if (inc.flushed_members_version != inc.members_version || inc.flushed_mute_version != mute_version) {
    uint64_t digest = 0;
    uint32_t active = 0, all = 0;
    for (const auto& [fp, m] : inc.members) {
      if (m.status != AlertStatus::kFiring || muted(fp)) continue;
      ++all;
      if (m.flapping) continue;
      digest += Mix(fp.value());  // a sum: the same set gives the same digest in any order
      ++active;
    }
    slot_state_[slot].active_all = all;
    inc.flushed_digest = digest;
    inc.flushed_active = active;
    inc.flushed_members_version = inc.members_version;
    inc.flushed_mute_version = mute_version;
  }
  return inc.flushed_active;
}

void Incidents::Flush(uint32_t slot, Time now, const RuleSet& rules, const MuteFn& muted, uint64_t mute_version,
                      std::vector<Notification>* out) {
  Incident& inc = *slots_[slot];
  inc.flush_at = Time::max();
  Changed(inc);
  // A symptom pages through its root while the root is open; once the root resolved, this flush (release_after
  // later) releases it. Acknowledged, resolved or held: nobody is paged for it (a reopen or the threshold schedules
  // a flush again).
  if (!inc.symptom_of.empty()) {
    if (Waiting(slot)) return;
    Release(slot, now);
  }
  if (inc.state != IncidentState::kTriggered) return;
  const uint32_t active = ActiveAlerts(slot, inc, muted, mute_version);
  const uint32_t active_all = slot_state_[slot].active_all;
  const uint64_t digest = inc.flushed_digest;
  const CorrelationRule* rule = RuleOf(inc, rules);
  if (active_all == 0) {
    if (!inc.suppressed_noted) AddTimeline(inc, now, TimelineKind::kSuppressed);
    inc.suppressed_noted = true;
  } else if (!inc.paged) {
    // While only flapping alerts fire, their changes page no one until they are stable (MemberFlapping flushes then).
    if (active > 0 &&
        Page(inc, slot, inc.reopened > 0 ? NotifyEvent::kReopened : NotifyEvent::kTriggered, now, rules, out)) {
      inc.paged = true;
      inc.suppressed_noted = false;
      inc.notified_digest = digest;
      inc.last_notified_at = now;
    }
  } else {
    const Duration repeat = rule ? rule->repeat_interval : std::chrono::hours(4);
    if (digest != inc.notified_digest && active > 0) {
      Page(inc, slot, NotifyEvent::kUpdated, now, rules, out);
      inc.notified_digest = digest;
      inc.last_notified_at = now;
    } else if (now - inc.last_notified_at >= repeat) {
      Page(inc, slot, NotifyEvent::kRepeated, now, rules, out);
      inc.last_notified_at = now;
    }
  }
  Trim(inc);
  ScheduleFlush(slot, now + (rule ? rule->group_interval : std::chrono::minutes(5)));
}

}  // namespace incidentd::engine
