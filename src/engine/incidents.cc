#include "engine/incidents.h"

#include <algorithm>
#include <cstdlib>
#include <tuple>

namespace incidentd::engine {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

// 128 bits as 26 Crockford base32 digits, most significant first (the ULID text form), so ids sort as the bits do.
std::string Incidents::IdText(uint64_t hi, uint64_t lo) {
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    out[i] = kCrockford[lo & 31];
    lo = (lo >> 5) | (hi << 59);
    hi >>= 5;
  }
  return out;
}

uint64_t Incidents::GroupKey(const CorrelationRule& rule, const LabelSet& labels) {
  FingerprintBuilder b;
  b.Add("", rule.name);
  if (rule.group_by_all) {
    for (const InternedLabel& l : labels.labels()) b.Add(l.name.view(), l.value.view());
  } else {
    for (const std::string& name : rule.group_by) b.Add(name, labels.Get(name));
  }
  return b.Finish().value();
}

void Incidents::AddTimeline(Incident& inc, Time at, TimelineKind kind, Fingerprint fp, std::string detail) {
  inc.timeline.push_back(TimelineEntry{at, fp, InternDetail(std::move(detail)), kind});
  inc.updated_at = at;
  Changed(inc);
}

// A long history keeps its first half and its latest entries; the middle is counted as dropped. Called once the
// entries of a tick are in their canonical order, so which ones go does not depend on the input order.
void Incidents::Trim(Incident& inc) {
  constexpr size_t kLimit = Incident::kTimelineLimit;
  if (inc.timeline.size() <= kLimit) return;
  const size_t drop = inc.timeline.size() - kLimit;
  inc.timeline.erase(inc.timeline.begin() + kLimit / 2,
                     inc.timeline.begin() + static_cast<ptrdiff_t>(kLimit / 2 + drop));
  inc.timeline_dropped += drop;
}

uint32_t Incidents::InternDetail(std::string s) {
  if (s.empty()) return 0;
  auto [it, inserted] = detail_index_.try_emplace(std::move(s), static_cast<uint32_t>(details_.size()));
  if (inserted) details_.push_back(it->first);
  return it->second;
}

const CorrelationRule* Incidents::RuleOf(Incident& inc, const RuleSet& rules) const {
  const CorrelationRule* rule = rules.FindCorrelation(inc.rule, inc.rule_index);
  if (rule != nullptr) inc.rule_index = static_cast<uint32_t>(rule - rules.correlations.data());
  return rule;
}

void Incidents::Touch(uint32_t slot, Time now) {
  Slot& s = slot_state_[slot];
  if (s.dirty) return;
  Changed(*slots_[slot]);
  s.dirty = true;
  s.tick_mark = slots_[slot]->timeline.size();
  dirty_.push_back(slot);
  (void)now;
}

void Incidents::SetState(Incident& inc, IncidentState s) {
  auto open = [](IncidentState st) { return st == IncidentState::kTriggered || st == IncidentState::kAcknowledged; };
  const bool was_open = open(inc.state);
  const bool is_open = open(s);
  held_ += (s == IncidentState::kHeld) - (inc.state == IncidentState::kHeld);
  if (was_open && !is_open) --open_;
  if (!was_open && is_open) ++open_;
  inc.state = s;
}

void Incidents::ScheduleFlush(uint32_t slot, Time at) {
  Incident& inc = *slots_[slot];
  inc.flush_at = at;
  Changed(inc);
  timers_.push(Timer{at, inc.id_hi, inc.id_lo, slot, TimerKind::kFlush});
}

void Incidents::ScheduleEscalation(uint32_t slot, Time at) {
  Incident& inc = *slots_[slot];
  inc.escalate_at = at;
  Changed(inc);
  timers_.push(Timer{at, inc.id_hi, inc.id_lo, slot, TimerKind::kEscalate});
}

// A timer is live while its incident exists and still wants it at that time (re-arming leaves the old one behind).
bool Incidents::Live(const Timer& t) const {
  const auto& p = slots_[t.slot];
  if (!p || p->id_hi != t.id_hi || p->id_lo != t.id_lo) return false;  // forgotten, slot reused
  switch (t.kind) {
    case TimerKind::kFlush:
      return p->flush_at == t.at;
    case TimerKind::kEscalate:
      return p->escalate_at == t.at;
    case TimerKind::kDrop:
      return p->drop_at == t.at;
  }
  return false;
}

// A free slot for a new incident: a forgotten incident's, or a new one at the end.
uint32_t Incidents::NewSlot() {
  if (!free_.empty()) {
    const uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  slots_.emplace_back();
  slot_state_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

uint32_t Incidents::Open(const CorrelationRule& rule, uint64_t key, Group& group, const Alert& a, Time now) {
  const uint32_t slot = NewSlot();
  auto inc = std::make_unique<Incident>();
  const uint64_t ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  const uint16_t seq = static_cast<uint16_t>(group.opened++);
  // Creation time (48 bits of milliseconds), the group, and how many incidents the group had: unique and sortable,
  // and the same whatever order a tick's alerts came in.
  inc->id_hi = (ms << 16) | (key >> 48);
  inc->id_lo = (key << 16) | seq;
  inc->id = IdText(inc->id_hi, inc->id_lo);
  inc->rule = rule.name;
  inc->group_key = key;
  inc->policy = rule.policy;
  inc->created_at = now;
  inc->updated_at = now;
  if (rule.group_by_all) {
    for (const InternedLabel& l : a.labels.labels()) inc->group_labels.emplace_back(l.name.view(), l.value.view());
  } else {
    for (const std::string& name : rule.group_by) {
      std::string_view v = a.labels.Get(name);
      if (!v.empty()) inc->group_labels.emplace_back(name, v);
    }
  }
  inc->priority = kLowestPriority;
  inc->triggered_at = now;
  slots_[slot] = std::move(inc);
  slot_state_[slot] = Slot{};
  by_id_.emplace(slots_[slot]->id, slot);
  group.slot = slot;
  Touch(slot, now);
  Incident& opened = *slots_[slot];
  AddTimeline(opened, now, TimelineKind::kOpened, {}, rule.name);
  Slot& st = slot_state_[slot];
  st.title_pending = true;
  st.title_fp = a.fingerprint;
  pending_titles_.push_back(slot);
  if (rule.has_threshold()) {
    opened.state = IncidentState::kHeld;  // not open: it waits for its threshold
    ++held_;
    AddTimeline(opened, now, TimelineKind::kHeld, {},
                "needs " + ThresholdText(rule, rule.min_alerts + rule.min_distinct.count));
    return slot;
  }
  ++open_;
  st.triggered_now = st.occurred_now = st.topology_now = true;
  ScheduleFlush(slot, now + rule.group_wait);
  return slot;
}

void Incidents::Reopen(Incident& inc, const CorrelationRule& rule, Time now) {
  SetState(inc, IncidentState::kTriggered);
  inc.resolved_at = kZeroTime;
  inc.resolved_by.clear();
  inc.acknowledged_at = kZeroTime;
  inc.acknowledged_by.clear();
  inc.drop_at = Time::max();
  inc.paged = false;
  inc.suppressed_noted = false;
  inc.notified_digest = 0;
  inc.paged_receivers.clear();
  inc.step = 0;
  inc.escalate_at = Time::max();
  ++inc.reopened;
  inc.triggered_at = now;
  inc.symptom_of.clear();  // it was a symptom of a root that resolved with it: a new episode, linked afresh
  AddTimeline(inc, now, TimelineKind::kReopened);
  uint32_t slot = by_id_.find(inc.id)->second;
  slot_state_[slot].triggered_now = slot_state_[slot].topology_now = true;
  ScheduleFlush(slot, now + rule.group_wait);
}

uint32_t Incidents::Join(const CorrelationRule& rule, uint64_t key, const Alert& a, Time now) {
  Group& group = groups_[key];
  uint32_t slot = group.slot;
  if (slot != kNoIncident) {
    Incident& inc = *slots_[slot];
    if (inc.state == IncidentState::kResolved) {
      const bool in_window = rule.reopen_window.count() > 0 && now - inc.resolved_at <= rule.reopen_window;
      if (in_window) {
        Touch(slot, now);
        Reopen(inc, rule, now);
      } else {
        slot = Open(rule, key, group, a, now);
      }
    }
  } else {
    slot = Open(rule, key, group, a, now);
  }
  Incident& inc = *slots_[slot];
  Touch(slot, now);
  Slot& st = slot_state_[slot];
  if (st.title_pending && a.fingerprint < st.title_fp) st.title_fp = a.fingerprint;
  const uint8_t priority = rule.priority.For(a.labels);
  auto [it, inserted] = inc.members.try_emplace(a.fingerprint);
  IncidentMember& m = it->second;
  MemberChanged(inc, a.fingerprint);
  if (!inserted && m.status == AlertStatus::kFiring) {
    // Already firing here (a second Join in one tick): only the priority may have changed.
    --inc.firing_by_priority[m.priority - 1];
    m.priority = priority;
    ++inc.firing_by_priority[m.priority - 1];
    return slot;
  }
  m.priority = priority;
  m.status = AlertStatus::kFiring;
  m.acknowledged = false;
  ++inc.members_version;
  ++inc.firing;
  ++inc.firing_by_priority[priority - 1];
  AddTimeline(inc, now, inserted ? TimelineKind::kAlertJoined : TimelineKind::kAlertRefired, a.fingerprint);
  Count(slot, a.labels, +1, now, true);
  if (inc.state == IncidentState::kHeld) {
    inc.drop_at = Time::max();  // a drop due for when its alerts had all resolved
    const uint64_t value = rule.min_distinct.label.empty() ? 0 : ValueKey(0, a.labels.Get(rule.min_distinct.label));
    inc.held.push_back(HeldAlert{now, a.fingerprint, value});
    st.held_added = true;
  }
  return slot;
}

void Incidents::AlertResolved(uint32_t slot, Fingerprint fp, Time now) {
  Incident& inc = *slots_[slot];
  auto it = inc.members.find(fp);
  if (it == inc.members.end() || it->second.status != AlertStatus::kFiring) return;
  IncidentMember& m = it->second;
  m.status = AlertStatus::kResolved;
  ++inc.members_version;
  MemberChanged(inc, fp);
  --inc.firing;
  --inc.firing_by_priority[m.priority - 1];
  if (m.acknowledged) --inc.firing_acknowledged;
  m.acknowledged = false;
  Touch(slot, now);
  AddTimeline(inc, now, TimelineKind::kAlertResolved, fp);
  if (const LabelSet* labels = labels_of_ ? labels_of_(fp) : nullptr) Count(slot, *labels, -1, now, true);
  if (inc.state == IncidentState::kHeld)
    std::erase_if(inc.held, [&](const HeldAlert& h) { return h.fingerprint == fp; });
}

void Incidents::AlertAcknowledged(uint32_t slot, Fingerprint fp, Time now) {
  Incident& inc = *slots_[slot];
  auto it = inc.members.find(fp);
  if (it == inc.members.end() || it->second.status != AlertStatus::kFiring || it->second.acknowledged) return;
  it->second.acknowledged = true;
  ++inc.firing_acknowledged;
  MemberChanged(inc, fp);
  Touch(slot, now);
}

void Incidents::AlertRefreshed(uint32_t slot, Fingerprint fp, Time now) {
  Incident& inc = *slots_[slot];
  if (!inc.members.contains(fp)) return;
  ++inc.members_version;  // its labels may have changed, and with them whether it is muted
  Touch(slot, now);
  AddTimeline(inc, now, TimelineKind::kAlertRefreshed, fp);
}

void Incidents::MarkResolved(Incident& inc, uint32_t slot, Time now, std::string by, const RuleSet& rules,
                             std::vector<Notification>* out) {
  SetState(inc, IncidentState::kResolved);
  inc.resolved_at = now;
  inc.resolved_by = by;
  inc.flush_at = Time::max();
  inc.drop_at = now + options_.retention;
  timers_.push(Timer{inc.drop_at, inc.id_hi, inc.id_lo, slot, TimerKind::kDrop});
  AddTimeline(inc, now, TimelineKind::kResolved, {}, std::move(by));
  Slot& st = slot_state_[slot];
  if (st.root != kNoIncident) {  // a symptom: its alerts count for itself again, and it waits for nobody
    if (inc.firing > 0) MoveValues(slot, st.root, slot);
    st.root = kNoIncident;
  }
  if (!inc.symptoms.empty()) SettleSymptoms(slot, now, rules, out);
}

void Incidents::Settle(Time now, const RuleSet& rules, std::vector<Notification>* out) {
  for (uint32_t pending : pending_titles_) {
    Incident& inc = *slots_[pending];
    Slot& st = slot_state_[pending];
    st.title_pending = false;
    const LabelSet* first = labels_of_ ? labels_of_(st.title_fp) : nullptr;
    auto lookup = [&](std::string_view name) -> std::string_view {
      for (const auto& [n, v] : inc.group_labels) {
        if (n == name) return v;
      }
      return first ? first->Get(name) : std::string_view();
    };
    const CorrelationRule* rule = RuleOf(inc, rules);
    if (rule && !rule->title.parts.empty()) {
      inc.title = rule->title.Render(lookup);
    } else {
      std::string t;
      for (const auto& [n, v] : inc.group_labels) t += (t.empty() ? "" : ", ") + n + "=" + v;
      inc.title = t.empty() ? inc.rule : t;
    }
  }
  pending_titles_.clear();

  auto by_id = [&](uint32_t a, uint32_t b) {
    return std::tie(slots_[a]->id_hi, slots_[a]->id_lo) < std::tie(slots_[b]->id_hi, slots_[b]->id_lo);
  };
  std::sort(dirty_.begin(), dirty_.end(), by_id);
  // Beyond the group, each in id order over the incidents of the tick: thresholds, then topology (which touches
  // roots), then problems.
  for (size_t i = 0, n = dirty_.size(); i < n; ++i) {
    if (slot_state_[dirty_[i]].held_added) CheckThreshold(dirty_[i], now, rules);
  }
  if (!topology_.empty()) {
    // Every new incident first looks for its root, then each may take the incidents opened before it.
    const size_t n = dirty_.size();
    for (size_t i = 0; i < n; ++i) {
      if (slot_state_[dirty_[i]].topology_now) LinkAsSymptom(dirty_[i], now);
    }
    for (size_t i = 0; i < n; ++i) {
      if (slot_state_[dirty_[i]].topology_now) LinkAsRoot(dirty_[i], now);
    }
    std::sort(dirty_.begin(), dirty_.end(), by_id);
  }
  for (uint32_t slot : dirty_) {
    Slot& st = slot_state_[slot];
    if (!st.occurred_now) continue;
    Incident& inc = *slots_[slot];
    std::string problem = problems_.Occurred(problems_rule_, inc, OccurredAt(inc));
    if (problem.empty()) continue;
    const Problem* p = problems_.Find(problem);
    AddTimeline(inc, now, TimelineKind::kProblem, {},
                problem + ": " + std::to_string(p->incidents.size()) + " incidents within " +
                    FormatDuration(problems_rule_.within));
    inc.problem = std::move(problem);
  }
  // By index: a root's resolution touches its symptoms, which are settled after it.
  for (size_t i = 0; i < dirty_.size(); ++i) {
    const uint32_t slot = dirty_[i];
    Incident& inc = *slots_[slot];
    Slot& st = slot_state_[slot];
    st.dirty = false;
    st.triggered_now = st.occurred_now = st.topology_now = st.held_added = false;
    // This tick's entries in a canonical order, so the input order inside a tick leaves no trace.
    if (st.tick_mark < inc.timeline.size()) {
      std::stable_sort(inc.timeline.begin() + static_cast<ptrdiff_t>(std::min(st.tick_mark, inc.timeline.size())),
                       inc.timeline.end(), [this](const TimelineEntry& a, const TimelineEntry& b) {
                         return std::tie(a.at, a.kind, a.fingerprint, details_[a.detail]) <
                                std::tie(b.at, b.kind, b.fingerprint, details_[b.detail]);
                       });
    }
    if (inc.firing > 0) {
      uint8_t p = kLowestPriority;
      for (uint8_t i = 0; i < 5; ++i) {
        if (inc.firing_by_priority[i] > 0) {
          p = i + 1;
          break;
        }
      }
      if (inc.major) {
        const MajorRule* major = MajorOf(inc, rules);
        if (major != nullptr) p = std::min(p, major->raise_to);
      }
      if (p != inc.priority) {
        if (inc.created_at != now) {  // not the first settle: a real change
          AddTimeline(inc, now, TimelineKind::kPriority, {}, PriorityName(inc.priority) + " -> " + PriorityName(p));
        }
        inc.priority = p;
      }
    }
    if (inc.state == IncidentState::kResolved) continue;
    if (inc.state == IncidentState::kHeld) {
      if (inc.firing == 0) DropHeld(slot, now);
      continue;
    }
    if (!inc.major && st.root == kNoIncident) CheckMajor(slot, now, rules);
    if (inc.firing == 0) {
      // A flapping alert's resolve is no resolution yet; a symptom waits for its root.
      if (inc.flapping > 0 || Waiting(slot)) continue;
      const bool with_root = st.root != kNoIncident;
      MarkResolved(inc, slot, now, with_root ? "with root " + inc.symptom_of : "all alerts resolved", rules, out);
      Tell(inc, NotifyEvent::kResolved, now, rules, out);
    } else if (inc.state == IncidentState::kTriggered && inc.firing_acknowledged == inc.firing) {
      SetState(inc, IncidentState::kAcknowledged);
      inc.acknowledged_at = now;
      inc.acknowledged_by = "sender";
      AddTimeline(inc, now, TimelineKind::kAcknowledged, {}, "sender");
      Tell(inc, NotifyEvent::kAcknowledged, now, rules, out);
    }
  }
  for (uint32_t slot : dirty_) Trim(*slots_[slot]);
  dirty_.clear();
}

void Incidents::Advance(Time now, const RuleSet& rules, const MuteFn& muted, uint64_t mute_version,
                        std::vector<Notification>* out, const std::function<void(uint32_t, Fingerprint)>& forget) {
  problems_.Advance(now, problems_rule_);
  while (!timers_.empty() && timers_.top().at <= now) {
    Timer t = timers_.top();
    timers_.pop();
    if (!Live(t)) continue;
    const auto& p = slots_[t.slot];
    if (t.kind == TimerKind::kFlush) {
      Flush(t.slot, t.at, rules, muted, mute_version, out);
      continue;
    }
    if (t.kind == TimerKind::kEscalate) {
      Escalate(t.slot, t.at, rules, muted, mute_version, out);
      continue;
    }
    if (p->state != IncidentState::kResolved && p->state != IncidentState::kHeld) continue;
    if (p->firing > 0) {
      // Resolved by hand while alerts still fire: forgetting it would leave them in no incident. It waits.
      p->drop_at = t.at + options_.retention;
      Changed(*p);
      timers_.push(Timer{p->drop_at, p->id_hi, p->id_lo, t.slot, TimerKind::kDrop});
      continue;
    }
    Incident& inc = *slots_[t.slot];
    Changed(inc);  // gone: the store deletes it
    if (inc.state == IncidentState::kHeld) --held_;
    for (const auto& [fp, m] : inc.members) forget(t.slot, fp);
    // The group goes too, so groups of high-cardinality labels do not pile up; a later incident of the same group
    // has a later creation time in its id, which keeps ids unique.
    auto g = groups_.find(inc.group_key);
    if (g != groups_.end() && g->second.slot == t.slot) groups_.erase(g);
    by_id_.erase(inc.id);
    slots_[t.slot].reset();
    free_.push_back(t.slot);
  }
}

std::optional<Time> Incidents::NextDeadline() {
  std::optional<Time> next = problems_.NextDeadline();
  while (!timers_.empty()) {
    if (Live(timers_.top())) return next ? std::min(*next, timers_.top().at) : timers_.top().at;
    timers_.pop();
  }
  return next;
}

Incident* Incidents::FindMutable(std::string_view id, uint32_t* slot) {
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return nullptr;
  *slot = it->second;
  return slots_[it->second].get();
}

const Incident* Incidents::Find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : slots_[it->second].get();
}

uint32_t Incidents::SlotOf(IncidentKey key) const {
  auto it = by_id_.find(IdText(key.hi, key.lo));
  return it == by_id_.end() ? kNoIncident : it->second;
}

Status Incidents::Restore(std::unique_ptr<Incident> inc, const std::vector<std::string>& details, Time now) {
  if (by_id_.contains(inc->id)) return Status::Invalid("incident " + inc->id + " is stored twice");
  for (TimelineEntry& e : inc->timeline) {
    if (e.detail >= details.size()) return Status::Invalid("incident " + inc->id + ": a timeline detail is missing");
    e.detail = InternDetail(details[e.detail]);
  }
  const uint32_t slot = NewSlot();
  Incident& i = *inc;
  slots_[slot] = std::move(inc);
  slot_state_[slot] = Slot{};
  by_id_.emplace(i.id, slot);
  if (i.state == IncidentState::kTriggered || i.state == IncidentState::kAcknowledged) ++open_;
  if (i.state == IncidentState::kHeld) ++held_;
  i.flapping = 0;
  for (const auto& [fp, m] : i.members) i.flapping += m.flapping ? 1 : 0;
  // The group's latest incident is the one it joins; its count of incidents keeps later ids unique.
  Group& group = groups_[i.group_key];
  const auto* latest = group.slot == kNoIncident ? nullptr : slots_[group.slot].get();
  if (latest == nullptr || std::tie(latest->id_hi, latest->id_lo) < std::tie(i.id_hi, i.id_lo)) group.slot = slot;
  group.opened = std::max<uint32_t>(group.opened, static_cast<uint32_t>(i.id_lo & 0xffff) + 1);
  // Timers that came due while the daemon was down run once, now.
  if (i.flush_at != Time::max()) {
    i.flush_at = std::max(i.flush_at, now);
    timers_.push(Timer{i.flush_at, i.id_hi, i.id_lo, slot, TimerKind::kFlush});
  }
  if (i.escalate_at != Time::max()) {
    i.escalate_at = std::max(i.escalate_at, now);
    timers_.push(Timer{i.escalate_at, i.id_hi, i.id_lo, slot, TimerKind::kEscalate});
  }
  if (i.drop_at != Time::max()) timers_.push(Timer{i.drop_at, i.id_hi, i.id_lo, slot, TimerKind::kDrop});
  return Status::Ok();
}

const Incident* Incidents::AtSlot(uint32_t slot) const { return slot < slots_.size() ? slots_[slot].get() : nullptr; }

Status Incidents::Acknowledge(std::string_view id, std::string_view by, Time now, const RuleSet& rules,
                              std::vector<Notification>* out) {
  uint32_t slot;
  Incident* inc = FindMutable(id, &slot);
  if (inc == nullptr) return Status::NotFound("incident " + std::string(id) + " not found");
  if (inc->state != IncidentState::kTriggered) {
    return {StatusCode::kFailedPrecondition,
            "incident " + std::string(id) + " is " + std::string(IncidentStateName(inc->state))};
  }
  SetState(*inc, IncidentState::kAcknowledged);
  inc->acknowledged_at = now;
  inc->acknowledged_by = std::string(by);
  AddTimeline(*inc, now, TimelineKind::kAcknowledged, {}, std::string(by));
  Tell(*inc, NotifyEvent::kAcknowledged, now, rules, out);
  Trim(*inc);
  return Status::Ok();
}

Status Incidents::Resolve(std::string_view id, std::string_view by, Time now, const RuleSet& rules,
                          std::vector<Notification>* out) {
  uint32_t slot;
  Incident* inc = FindMutable(id, &slot);
  if (inc == nullptr) return Status::NotFound("incident " + std::string(id) + " not found");
  if (inc->state == IncidentState::kResolved) {
    return {StatusCode::kFailedPrecondition, "incident " + std::string(id) + " is resolved"};
  }
  MarkResolved(*inc, slot, now, std::string(by), rules, out);
  Tell(*inc, NotifyEvent::kResolved, now, rules, out);
  Trim(*inc);
  return Status::Ok();
}

}  // namespace incidentd::engine
