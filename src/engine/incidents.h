// Incidents: every incident, the group each belongs to, and their lifecycle and notification timers.
//
// The engine tells it what happened to alerts (Join, AlertResolved, AlertAcknowledged, AlertRefreshed) while it
// applies a tick's batches; those only record facts and mark incidents dirty. Settle, at the end of the tick, draws
// the consequences for each dirty incident in id order — resolve when no alert fires, the new priority, the
// acknowledgement by senders — so the order of alerts inside a tick never changes the outcome. Advance runs the
// group timers (Alertmanager's group_wait / group_interval / repeat_interval) and forgets resolved incidents after
// the retention.
//
// Who is paged: the incident's first flush pages the first step of its policy; while nobody acknowledges, each
// step's ack_timeout moves the escalation to the next step (and through the steps again `repeat` times). Updates and
// reminders go to every receiver paged so far; acknowledgement and resolution stop the escalation and are told to
// every receiver paged. The policy's `inform` receivers hear of the first page, each escalation and each state
// change, and are never paged. A flush or escalation that finds every firing alert muted (silenced or inhibited)
// pages no one. Each decision takes the incident's next `seq`, the notification's identity for the outbox.
//
// Beyond the group (incident_correlation.cc), each decided in Settle so that the order of a tick's alerts does not
// matter:
// - Thresholds: a rule with min_alerts or min_distinct opens its incidents held (listed, never paged, not open) until
//   enough alerts fired within its window; then they are triggered and group_wait starts.
// - Topology: a new incident whose service depends on a service with an open incident (opened within the topology's
//   window) becomes a symptom of that incident's root; so does an incident not paged yet when its dependency's
//   incident opens. Symptoms page no one and stay open while their root is open; the root's resolution resolves those
//   with no firing alert; the others resolve with it if they do within release_after, else they are released and page
//   on their own.
// - Major: the rule's (or the global) major conditions, on the incident and its symptoms together, declare it major
//   once and for all: its priority is raised and it pages the major policy.
// - Flapping: while a member flaps (the engine's FlapDetector says), the incident stays open when nothing fires and
//   its flushes ignore the flapping members; once they are stable it is flushed at once.
// - Problems: each new incident of a key is recorded in Problems; a recurring key links its incidents to a problem.
//
// Thread rule: single-threaded (the engine's). Pure: times come from the caller.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/changes.h"
#include "engine/problems.h"
#include "engine/rules.h"
#include "engine/topology_index.h"
#include "incidentd/alert.h"
#include "incidentd/incident.h"
#include "incidentd/notification.h"
#include "incidentd/status.h"

namespace incidentd::engine {

inline constexpr uint32_t kNoIncident = UINT32_MAX;

struct IncidentsOptions {
  Duration retention = std::chrono::hours(24 * 30);  // resolved incidents are kept this long
};

// Whether a firing alert is muted (silenced or inhibited) now.
using MuteFn = std::function<bool(Fingerprint)>;

class Incidents {
 public:
  explicit Incidents(IncidentsOptions options) : options_(options) {}

  // The group key of `labels` under `rule`: the rule's name and its group_by labels' values.
  static uint64_t GroupKey(const CorrelationRule& rule, const LabelSet& labels);

  // The firing alert `a` belongs to rule's group `key`: it joins the group's open incident, reopens the group's
  // resolved one within reopen_window, or opens a new incident. Joining an incident it is in marks it firing.
  // Returns the incident's slot (stable while the incident exists).
  uint32_t Join(const CorrelationRule& rule, uint64_t key, const Alert& a, Time now);
  void AlertResolved(uint32_t slot, Fingerprint fp, Time now);
  void AlertAcknowledged(uint32_t slot, Fingerprint fp, Time now);
  void AlertRefreshed(uint32_t slot, Fingerprint fp, Time now);

  // End of tick: consequences for the incidents touched since the last Settle. Appends notifications to `out`.
  void Settle(Time now, const RuleSet& rules, std::vector<Notification>* out);
  // Runs due group flushes and forgets incidents past retention, calling forget(slot, fingerprint) for each member
  // of a forgotten incident.
  // `mute_version` changes whenever what mutes alerts may have changed (silences, their states, inhibiting alerts):
  // a flush re-checks its members' mute states only then, or when its members changed.
  void Advance(Time now, const RuleSet& rules, const MuteFn& muted, uint64_t mute_version,
               std::vector<Notification>* out, const std::function<void(uint32_t, Fingerprint)>& forget);
  std::optional<Time> NextDeadline();

  // API commands. NotFound for an unknown id; FailedPrecondition when the state forbids it (acknowledging a resolved
  // or acknowledged incident, resolving a resolved one).
  Status Acknowledge(std::string_view id, std::string_view by, Time now, const RuleSet& rules,
                     std::vector<Notification>* out);
  Status Resolve(std::string_view id, std::string_view by, Time now, const RuleSet& rules,
                 std::vector<Notification>* out);

  const Incident* Find(std::string_view id) const;
  const Incident* Find(IncidentKey key) const { return Find(IdText(key.hi, key.lo)); }
  // The incident's slot, kNoIncident when unknown.
  uint32_t SlotOf(IncidentKey key) const;
  // 128 bits as the 26-character id (Crockford base32, the ULID text form).
  static std::string IdText(uint64_t hi, uint64_t lo);

  // Recovery: puts back an incident as the state store kept it. Its timeline's `detail` fields index `details`. Its
  // timers restart; one that came due while the daemon was down is moved to `now`, so an escalation step or a flush
  // missed during the downtime happens once, at start. Invalid when its id is already here.
  Status Restore(std::unique_ptr<Incident> inc, const std::vector<std::string>& details, Time now);
  // Records every incident and member changed from now on in `out` (incidents and members); null stops it.
  void TrackChanges(EngineChanges* out) { changes_ = out; }
  // The text of a timeline entry ("triggered -> pd-db", "P3 -> P1", who acknowledged); empty when none.
  std::string_view Detail(const TimelineEntry& e) const { return details_[e.detail]; }
  const Incident* AtSlot(uint32_t slot) const;

  // What the rules say beyond each incident's own rule (topology, the labels major conditions count, flapping,
  // problems): the indexes are rebuilt from every incident's members. Called when the rules change and once the
  // state is restored, after the label lookup is set.
  void SetRules(const RuleSet& rules);
  // Recovery is complete: derived state is rebuilt (SetRules) and the problems are found again from the incidents.
  void FinishRestore(Time now, const RuleSet& rules);
  // A member started or stopped flapping (detail: for the timeline). When the last flapping member of a triggered
  // incident is stable, the incident is flushed at `now`, and resolved by the next Settle if nothing fires.
  void MemberFlapping(uint32_t slot, Fingerprint fp, bool flapping, Time now, std::string detail = {});
  const Problems& problems() const { return problems_; }
  // The incident's root while it is a symptom, else kNoIncident.
  uint32_t RootOf(uint32_t slot) const { return slot_state_[slot].root; }
  // Calls fn(const Incident&) for every incident, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& p : slots_) {
      if (p) fn(*p);
    }
  }
  size_t size() const { return by_id_.size(); }
  size_t open() const { return open_; }
  size_t held() const { return held_; }
  uint64_t majors_declared() const { return majors_declared_; }  // since start

 private:
  struct Group {
    uint32_t slot = kNoIncident;  // the group's latest incident
    uint32_t opened = 0;          // incidents opened for it so far, part of their ids
  };
  // In the order timers due at the same time run for one incident: the escalation first, so that a flush at the
  // same instant tells the receivers it paged too.
  enum class TimerKind : uint8_t { kEscalate, kFlush, kDrop };
  struct Timer {
    Time at;
    uint64_t id_hi, id_lo;
    uint32_t slot;
    TimerKind kind;
    // A total order, whatever order the timers were armed in (a recovery arms them in another): replay and
    // recovery decide the same.
    bool operator>(const Timer& o) const {
      if (at != o.at) return at > o.at;
      if (id_hi != o.id_hi) return id_hi > o.id_hi;
      if (id_lo != o.id_lo) return id_lo > o.id_lo;
      return kind > o.kind;
    }
  };
  // Distinct values of the labels major conditions count (major_labels_), among the firing alerts of an incident and
  // its symptoms: kept on the root, until it is major.
  struct DistinctValues {
    boost::unordered_flat_map<uint64_t, uint32_t> alerts;  // ValueKey(label, value) -> alerts with it
    std::vector<uint32_t> distinct;                        // per major label: values with alerts
  };
  struct Slot {
    bool dirty = false;
    size_t tick_mark = 0;  // timeline size when it was first touched this tick
    Fingerprint title_fp;  // smallest alert joined in the opening tick: the title's labels
    bool title_pending = false;
    bool triggered_now = false;  // opened, reopened or reached its threshold this tick
    bool occurred_now = false;   // a new incident of its key this tick (problems)
    bool topology_now = false;   // triggered, or gained a service, this tick
    bool held_added = false;     // a held alert was added this tick
    uint32_t root = kNoIncident;
    uint32_t active_all = 0;  // firing, unmuted members, flapping ones included (the cache next to flushed_active)
    std::vector<std::pair<uint32_t, uint32_t>> services;  // topology service -> firing members on it
    std::unique_ptr<DistinctValues> values;
  };

  uint32_t NewSlot();
  uint32_t Open(const CorrelationRule& rule, uint64_t key, Group& group, const Alert& a, Time now);
  void Reopen(Incident& inc, const CorrelationRule& rule, Time now);
  void Touch(uint32_t slot, Time now);
  void AddTimeline(Incident& inc, Time at, TimelineKind kind, Fingerprint fp = {}, std::string detail = {});
  void ScheduleFlush(uint32_t slot, Time at);
  void SetState(Incident& inc, IncidentState s);
  void Flush(uint32_t slot, Time now, const RuleSet& rules, const MuteFn& muted, uint64_t mute_version,
             std::vector<Notification>* out);
  const CorrelationRule* RuleOf(Incident& inc, const RuleSet& rules) const;
  uint32_t InternDetail(std::string s);
  void Changed(const Incident& inc) {
    if (changes_ == nullptr) return;
    const IncidentKey k{inc.id_hi, inc.id_lo};
    // An incident changes many times in a row (each alert that joins): once is enough.
    if (changes_->incidents.empty() || changes_->incidents.back() != k) changes_->incidents.push_back(k);
  }
  void MemberChanged(const Incident& inc, Fingerprint fp) {
    if (changes_ != nullptr) changes_->members.push_back({{inc.id_hi, inc.id_lo}, fp});
  }
  void Trim(Incident& inc);
  bool Page(Incident& inc, uint32_t slot, NotifyEvent event, Time now, const RuleSet& rules,
            std::vector<Notification>* out);
  void Decide(Incident& inc, NotifyEvent event, const std::vector<std::string>& notify,
              const std::vector<std::string>* inform, Time now, std::vector<Notification>* out);
  void Escalate(uint32_t slot, Time now, const RuleSet& rules, const MuteFn& muted, uint64_t mute_version,
                std::vector<Notification>* out);
  void ScheduleEscalation(uint32_t slot, Time at);
  // Firing alerts that are not muted, from the cache while neither members nor mutes changed.
  uint32_t ActiveAlerts(uint32_t slot, Incident& inc, const MuteFn& muted, uint64_t mute_version);
  bool Live(const Timer& t) const;
  void Send(Incident& inc, const std::string& receiver, bool inform, NotifyEvent event, Time now,
            std::vector<Notification>* out);
  void Tell(Incident& inc, NotifyEvent event, Time now, const RuleSet& rules, std::vector<Notification>* out);
  // Resolves it; a root's symptoms resolve with it or are released.
  void MarkResolved(Incident& inc, uint32_t slot, Time now, std::string by, const RuleSet& rules,
                    std::vector<Notification>* out);
  Incident* FindMutable(std::string_view id, uint32_t* slot);
  // incident_correlation.cc
  // The incident whose major conditions count this one's alerts: its root while it is a symptom, else itself.
  uint32_t UnitOf(uint32_t slot) const { return slot_state_[slot].root == kNoIncident ? slot : slot_state_[slot].root; }
  // A firing member was added (+1) or left (-1): the services index and the distinct values. `live`: during a tick
  // (flags the incident for Settle and touches its root); false while indexes are rebuilt.
  void Count(uint32_t slot, const LabelSet& labels, int delta, Time now, bool live);
  void CountValues(uint32_t unit, const LabelSet& labels, int delta);
  // The firing members of `slot` count for `to` instead of `from` (both units).
  void MoveValues(uint32_t slot, uint32_t from, uint32_t to);
  static uint64_t ValueKey(size_t label, std::string_view value);                 // 0 for an empty value
  static std::string ThresholdText(const CorrelationRule& rule, uint32_t count);  // "3 alerts within 5m"
  void CheckThreshold(uint32_t slot, Time now, const RuleSet& rules);
  std::vector<std::pair<uint32_t, uint32_t>> ServicesOf(uint32_t slot) const;
  void LinkAsSymptom(uint32_t slot, Time now);
  void LinkAsRoot(uint32_t slot, Time now);
  static void AddSymptom(Incident& root, const std::string& id);
  // When an incident started counting for problems: when it reached its threshold, else when it opened.
  static Time OccurredAt(const Incident& inc);
  void Attach(uint32_t symptom, uint32_t root, uint32_t symptom_service, uint32_t root_service, Time now);
  bool Attractive(const Incident& root, Time now) const;
  void SettleSymptoms(uint32_t root, Time now, const RuleSet& rules, std::vector<Notification>* out);
  // A symptom whose root is open: it pages no one and does not resolve on its own.
  bool Waiting(uint32_t slot) const;
  // A symptom whose root resolved release_after ago, still firing: it is on its own now.
  void Release(uint32_t slot, Time now);
  void CheckMajor(uint32_t slot, Time now, const RuleSet& rules);
  const MajorRule* MajorOf(Incident& inc, const RuleSet& rules) const;
  uint32_t FiringWithSymptoms(uint32_t slot) const;
  void DropHeld(uint32_t slot, Time now);
  uint32_t SlotOfId(std::string_view id) const {
    auto it = by_id_.find(std::string(id));
    return it == by_id_.end() ? kNoIncident : it->second;
  }

  IncidentsOptions options_;
  std::vector<std::unique_ptr<Incident>> slots_;
  std::vector<Slot> slot_state_;
  std::vector<uint32_t> free_;
  boost::unordered_flat_map<std::string, uint32_t> by_id_;
  boost::unordered_flat_map<uint64_t, Group> groups_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::vector<uint32_t> dirty_;
  // Timeline texts repeat ("triggered -> pd-db"): each distinct one is kept once. details_[0] is "".
  std::vector<std::string> details_{""};
  boost::unordered_flat_map<std::string, uint32_t> detail_index_;
  size_t open_ = 0;
  size_t held_ = 0;
  uint64_t majors_declared_ = 0;
  // Incidents opened this tick, whose titles Settle renders.
  std::vector<uint32_t> pending_titles_;
  std::function<const LabelSet*(Fingerprint)> labels_of_;
  EngineChanges* changes_ = nullptr;
  // Beyond the group.
  TopologyIndex topology_;
  std::vector<std::vector<uint32_t>> service_incidents_;  // per topology service: incidents with firing alerts on it
  std::vector<std::string> major_labels_;                 // labels named by any major min_distinct
  Problems problems_;
  ProblemsRule problems_rule_;

 public:
  // How Settle finds an alert's labels (for titles). Set once by the engine.
  void SetLabelLookup(std::function<const LabelSet*(Fingerprint)> fn) { labels_of_ = std::move(fn); }
};

}  // namespace incidentd::engine
