// Incidents beyond the group: thresholds, topology (roots and symptoms), major incidents, flapping members and
// recurring problems. incidents.h documents the class; incidents.cc holds the lifecycle.
#include <algorithm>
#include <string>
#include <tuple>

#include "engine/incidents.h"

namespace incidentd::engine {
namespace {

bool IsOpen(const Incident& inc) {
  return inc.state == IncidentState::kTriggered || inc.state == IncidentState::kAcknowledged;
}

bool Older(const Incident& a, const Incident& b) { return std::tie(a.id_hi, a.id_lo) < std::tie(b.id_hi, b.id_lo); }

}  // namespace

uint64_t Incidents::ValueKey(size_t label, std::string_view value) {
  if (value.empty()) return 0;
  FingerprintBuilder b;
  b.Add(std::to_string(label), value);
  return b.Finish().value() | 1;
}

std::string Incidents::ThresholdText(const CorrelationRule& rule, uint32_t count) {
  const std::string what = rule.min_distinct.label.empty() ? " alerts" : " distinct " + rule.min_distinct.label;
  return std::to_string(count) + what + " within " + FormatDuration(rule.window);
}

void Incidents::SetRules(const RuleSet& rules) {
  topology_ = TopologyIndex(rules.topology);
  problems_rule_ = rules.problems;
  major_labels_.clear();
  if (!rules.major.min_distinct.label.empty()) major_labels_.push_back(rules.major.min_distinct.label);
  for (const CorrelationRule& r : rules.correlations) {
    if (!r.major.min_distinct.label.empty()) major_labels_.push_back(r.major.min_distinct.label);
  }
  std::sort(major_labels_.begin(), major_labels_.end());
  major_labels_.erase(std::unique(major_labels_.begin(), major_labels_.end()), major_labels_.end());
  // The indexes again, from every incident's firing members.
  service_incidents_.assign(topology_.size(), {});
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    Slot& st = slot_state_[slot];
    st.services.clear();
    st.values.reset();
    st.root = kNoIncident;
    if (!slots_[slot] || slots_[slot]->symptom_of.empty() || slots_[slot]->state == IncidentState::kResolved) continue;
    st.root = SlotOfId(slots_[slot]->symptom_of);
  }
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    if (!slots_[slot] || !labels_of_) continue;
    for (const auto& [fp, m] : slots_[slot]->members) {
      if (m.status != AlertStatus::kFiring) continue;
      if (const LabelSet* labels = labels_of_(fp)) Count(slot, *labels, +1, Time{}, false);
    }
  }
}

void Incidents::FinishRestore(Time now, const RuleSet& rules) {
  SetRules(rules);
  // The problems, found again: each incident that counted, oldest first, as it was recorded when it opened.
  std::vector<const Incident*> counted;
  ForEach([&](const Incident& inc) {
    if (inc.state != IncidentState::kHeld) counted.push_back(&inc);
  });
  std::sort(counted.begin(), counted.end(), [](const Incident* a, const Incident* b) { return Older(*a, *b); });
  for (const Incident* inc : counted) problems_.Occurred(problems_rule_, *inc, OccurredAt(*inc));
  problems_.Advance(now, problems_rule_);
}

Time Incidents::OccurredAt(const Incident& inc) {
  for (const TimelineEntry& e : inc.timeline) {
    if (e.kind == TimelineKind::kThresholdReached) return e.at;
  }
  return inc.created_at;
}

void Incidents::Count(uint32_t slot, const LabelSet& labels, int delta, Time now, bool live) {
  Slot& st = slot_state_[slot];
  if (!topology_.empty()) {
    const uint32_t service = topology_.ServiceOf(labels);
    if (service != TopologyIndex::kNone) {
      auto it = std::find_if(st.services.begin(), st.services.end(), [&](const auto& e) { return e.first == service; });
      if (delta > 0 && it == st.services.end()) {
        st.services.emplace_back(service, 1);
        service_incidents_[service].push_back(slot);
        if (live) st.topology_now = true;  // it may be a root for its dependents now
      } else if (delta > 0) {
        ++it->second;
      } else if (it != st.services.end() && --it->second == 0) {
        st.services.erase(it);
        std::erase(service_incidents_[service], slot);
      }
    }
  }
  const uint32_t unit = UnitOf(slot);
  if (!major_labels_.empty() && !slots_[unit]->major) CountValues(unit, labels, delta);
  if (live && unit != slot) Touch(unit, now);  // the root's major conditions count this
}

void Incidents::CountValues(uint32_t unit, const LabelSet& labels, int delta) {
  std::unique_ptr<DistinctValues>& v = slot_state_[unit].values;
  if (!v) {
    if (delta < 0) return;
    v = std::make_unique<DistinctValues>();
    v->distinct.assign(major_labels_.size(), 0);
  }
  for (size_t i = 0; i < major_labels_.size(); ++i) {
    const uint64_t key = ValueKey(i, labels.Get(major_labels_[i]));
    if (key == 0) continue;
    if (delta > 0) {
      if (v->alerts[key]++ == 0) ++v->distinct[i];
      continue;
    }
    auto it = v->alerts.find(key);
    if (it == v->alerts.end()) continue;
    if (--it->second == 0) {
      v->alerts.erase(it);
      --v->distinct[i];
    }
  }
}

void Incidents::MoveValues(uint32_t slot, uint32_t from, uint32_t to) {
  if (major_labels_.empty() || !labels_of_) return;
  for (const auto& [fp, m] : slots_[slot]->members) {
    if (m.status != AlertStatus::kFiring) continue;
    const LabelSet* labels = labels_of_(fp);
    if (labels == nullptr) continue;
    if (!slots_[from]->major) CountValues(from, *labels, -1);
    if (!slots_[to]->major) CountValues(to, *labels, +1);
  }
}

void Incidents::CheckThreshold(uint32_t slot, Time now, const RuleSet& rules) {
  Incident& inc = *slots_[slot];
  if (inc.state != IncidentState::kHeld) return;
  const CorrelationRule* rule = RuleOf(inc, rules);
  if (rule == nullptr) return;  // the rules were replaced without it: it stays held until its alerts resolve
  // Alerts that fired longer than the window ago can never count again: time only moves on.
  std::erase_if(inc.held, [&](const HeldAlert& h) { return now - h.at > rule->window; });
  const uint32_t count = rule->ThresholdCount(inc.held, now);
  if (count < rule->min_alerts + rule->min_distinct.count) return;
  SetState(inc, IncidentState::kTriggered);
  inc.triggered_at = now;
  inc.held.clear();
  inc.held.shrink_to_fit();
  AddTimeline(inc, now, TimelineKind::kThresholdReached, {}, ThresholdText(*rule, count));
  Slot& st = slot_state_[slot];
  st.triggered_now = st.occurred_now = st.topology_now = true;
  ScheduleFlush(slot, now + rule->group_wait);
}

// An open root attracts symptoms for the topology's window after it (re)opened.
bool Incidents::Attractive(const Incident& root, Time now) const {
  return IsOpen(root) && root.symptom_of.empty() && now - root.triggered_at <= topology_.window();
}

// Its services, in index order: what a tick's alerts made of them, not the order they came in.
std::vector<std::pair<uint32_t, uint32_t>> Incidents::ServicesOf(uint32_t slot) const {
  std::vector<std::pair<uint32_t, uint32_t>> services = slot_state_[slot].services;
  std::sort(services.begin(), services.end());
  return services;
}

// Topology, for an incident triggered this tick that has not paged: it becomes a symptom of its nearest dependency's
// root. A major incident stays on its own.
void Incidents::LinkAsSymptom(uint32_t slot, Time now) {
  Incident& x = *slots_[slot];
  Slot& st = slot_state_[slot];
  if (!IsOpen(x) || st.root != kNoIncident || !st.triggered_now || x.paged || x.major) return;
  uint32_t best = kNoIncident, best_from = 0, best_to = 0;
  size_t best_rank = SIZE_MAX;
  for (const auto& [service, n] : ServicesOf(slot)) {
    const std::vector<uint32_t>& deps = topology_.DependenciesOf(service);
    for (size_t rank = 0; rank < deps.size() && rank <= best_rank; ++rank) {
      for (uint32_t candidate : service_incidents_[deps[rank]]) {
        const uint32_t root = UnitOf(candidate);
        if (root == slot || !Attractive(*slots_[root], now)) continue;
        if (rank < best_rank || Older(*slots_[root], *slots_[best])) {
          std::tie(best, best_rank, best_from, best_to) = std::tuple(root, rank, service, deps[rank]);
        }
      }
    }
  }
  if (best != kNoIncident) Attach(slot, best, best_from, best_to, now);
}

// Topology, for an incident triggered, or with a new service, this tick, once every such incident had its chance to
// become a symptom: it takes its dependents' incidents that opened within the window and have not paged (still in
// group_wait, or muted), in id order. Older ones are problems of their own.
void Incidents::LinkAsRoot(uint32_t slot, Time now) {
  const Incident& x = *slots_[slot];
  if (slot_state_[slot].root != kNoIncident || !Attractive(x, now)) return;
  std::vector<uint32_t> candidates;
  for (const auto& [service, n] : ServicesOf(slot)) {
    for (uint32_t dependent : topology_.DependentsOf(service)) {
      candidates.clear();
      for (uint32_t y : service_incidents_[dependent]) {
        const Incident& yi = *slots_[y];
        if (y != slot && slot_state_[y].root == kNoIncident && yi.state == IncidentState::kTriggered && !yi.paged &&
            !yi.major && now - yi.triggered_at <= topology_.window()) {
          candidates.push_back(y);
        }
      }
      std::sort(candidates.begin(), candidates.end(),
                [&](uint32_t a, uint32_t b) { return Older(*slots_[a], *slots_[b]); });
      for (uint32_t y : candidates) {
        if (slot_state_[y].root == kNoIncident) Attach(y, slot, dependent, service, now);
      }
    }
  }
}

// A symptom that resolved with its root and reopened with it is listed once.
void Incidents::AddSymptom(Incident& root, const std::string& id) {
  if (std::find(root.symptoms.begin(), root.symptoms.end(), id) == root.symptoms.end()) root.symptoms.push_back(id);
}

void Incidents::Attach(uint32_t symptom, uint32_t root, uint32_t symptom_service, uint32_t root_service, Time now) {
  Incident& s = *slots_[symptom];
  Incident& r = *slots_[root];
  // Its own symptoms become the root's: a chain has one root.
  for (const std::string& id : std::exchange(s.symptoms, {})) {
    const uint32_t moved = SlotOfId(id);
    if (moved == kNoIncident || slot_state_[moved].root != symptom) continue;
    MoveValues(moved, symptom, root);
    slot_state_[moved].root = root;
    slots_[moved]->symptom_of = r.id;
    AddSymptom(r, id);
    Touch(moved, now);
    AddTimeline(*slots_[moved], now, TimelineKind::kSymptomOf, {}, r.id + ": through " + s.id);
    AddTimeline(r, now, TimelineKind::kSymptomAdded, {}, id);
  }
  MoveValues(symptom, symptom, root);
  slot_state_[symptom].root = root;
  s.symptom_of = r.id;
  s.flush_at = Time::max();  // it pages through its root
  s.escalate_at = Time::max();
  AddSymptom(r, s.id);
  Touch(symptom, now);
  Touch(root, now);
  AddTimeline(s, now, TimelineKind::kSymptomOf, {},
              r.id + ": " + topology_.name(symptom_service) + " depends on " + topology_.name(root_service));
  AddTimeline(r, now, TimelineKind::kSymptomAdded, {}, s.id + ": " + topology_.name(symptom_service));
}

// The root resolved: its symptoms with nothing firing (or flapping) resolve with it; the others have
// topology.release_after to recover too, then their flush releases them (Release) and they page on their own.
void Incidents::SettleSymptoms(uint32_t root, Time now, const RuleSet& rules, std::vector<Notification>* out) {
  const Incident& r = *slots_[root];
  for (const std::string& id : r.symptoms) {
    const uint32_t slot = SlotOfId(id);
    if (slot == kNoIncident || slot_state_[slot].root != root) continue;
    Incident& s = *slots_[slot];
    if (s.state == IncidentState::kResolved) continue;
    Touch(slot, now);
    if (s.firing == 0 && s.flapping == 0) {
      slot_state_[slot].root = kNoIncident;
      MarkResolved(s, slot, now, "with root " + r.id, rules, out);
      continue;
    }
    ScheduleFlush(slot, now + topology_.release_after());
  }
}

bool Incidents::Waiting(uint32_t slot) const {
  const uint32_t root = slot_state_[slot].root;
  return root != kNoIncident && IsOpen(*slots_[root]);
}

void Incidents::Release(uint32_t slot, Time now) {
  Incident& s = *slots_[slot];
  const uint32_t root = slot_state_[slot].root;
  if (root != kNoIncident) MoveValues(slot, root, slot);
  slot_state_[slot].root = kNoIncident;
  AddTimeline(s, now, TimelineKind::kReleased, {}, std::exchange(s.symptom_of, {}));
}

const MajorRule* Incidents::MajorOf(Incident& inc, const RuleSet& rules) const {
  const CorrelationRule* rule = RuleOf(inc, rules);
  if (rule != nullptr && rule->major.set) return &rule->major;
  return rules.major.set ? &rules.major : nullptr;
}

uint32_t Incidents::FiringWithSymptoms(uint32_t slot) const {
  const Incident& inc = *slots_[slot];
  uint32_t n = inc.firing;
  for (const std::string& id : inc.symptoms) {
    const uint32_t s = SlotOfId(id);
    if (s != kNoIncident && slot_state_[s].root == slot) n += slots_[s]->firing;
  }
  return n;
}

void Incidents::CheckMajor(uint32_t slot, Time now, const RuleSet& rules) {
  Incident& inc = *slots_[slot];
  if (!IsOpen(inc)) return;
  const MajorRule* m = MajorOf(inc, rules);
  if (m == nullptr || !m->any()) return;
  Slot& st = slot_state_[slot];
  std::string why;
  if (m->priority != 0 && inc.priority <= m->priority) {
    why = "priority " + PriorityName(inc.priority);
  } else if (uint32_t n = m->min_alerts != 0 ? FiringWithSymptoms(slot) : 0; m->min_alerts != 0 && n >= m->min_alerts) {
    why = std::to_string(n) + " alerts firing";
  } else if (!m->min_distinct.label.empty() && st.values) {
    const size_t i = static_cast<size_t>(
        std::lower_bound(major_labels_.begin(), major_labels_.end(), m->min_distinct.label) - major_labels_.begin());
    const uint32_t distinct = i < major_labels_.size() ? st.values->distinct[i] : 0;
    if (distinct >= m->min_distinct.count) why = std::to_string(distinct) + " distinct " + m->min_distinct.label;
  }
  if (why.empty()) return;
  inc.major = true;
  ++majors_declared_;
  st.values.reset();  // a major incident stays major: nothing to count any more
  if (inc.priority > m->raise_to) {
    AddTimeline(inc, now, TimelineKind::kPriority, {}, PriorityName(inc.priority) + " -> " + PriorityName(m->raise_to));
    inc.priority = m->raise_to;
  }
  if (!m->policy.empty() && m->policy != inc.policy) {
    why += "; policy " + (inc.policy.empty() ? std::string("none") : inc.policy) + " -> " + m->policy;
    inc.policy = m->policy;
    if (inc.paged) {
      // Paged already: the major policy's first step is paged at once (the receivers paged so far stay told).
      inc.paged = false;
      inc.no_policy_noted = false;
      ScheduleFlush(slot, now);
    }
  }
  AddTimeline(inc, now, TimelineKind::kMajor, {}, std::move(why));
}

// Dropped with its group, in a later millisecond than its creation: the group's next incident, which counts its
// incidents from 0 again, then cannot get the same id.
void Incidents::DropHeld(uint32_t slot, Time now) {
  Incident& inc = *slots_[slot];
  inc.drop_at = std::max(now, inc.created_at + std::chrono::milliseconds(1));
  Changed(inc);
  timers_.push(Timer{inc.drop_at, inc.id_hi, inc.id_lo, slot, TimerKind::kDrop});
}

void Incidents::MemberFlapping(uint32_t slot, Fingerprint fp, bool flapping, Time now, std::string detail) {
  Incident& inc = *slots_[slot];
  auto it = inc.members.find(fp);
  if (it == inc.members.end() || it->second.flapping == flapping) return;
  it->second.flapping = flapping;
  flapping ? ++inc.flapping : --inc.flapping;
  ++inc.members_version;
  MemberChanged(inc, fp);
  Touch(slot, now);
  AddTimeline(inc, now, flapping ? TimelineKind::kFlapping : TimelineKind::kStable, fp, std::move(detail));
  // Stable again: one flush now pages the current state (Settle resolves it first when nothing fires).
  if (!flapping && inc.flapping == 0 && inc.state == IncidentState::kTriggered && inc.symptom_of.empty()) {
    ScheduleFlush(slot, now);
  }
}

}  // namespace incidentd::engine
