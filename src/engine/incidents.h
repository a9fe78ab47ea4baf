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
#include "engine/rules.h"
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
  // Calls fn(const Incident&) for every incident, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& p : slots_) {
      if (p) fn(*p);
    }
  }
  size_t size() const { return by_id_.size(); }
  size_t open() const { return open_; }

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
  struct Slot {
    bool dirty = false;
    size_t tick_mark = 0;  // timeline size when it was first touched this tick
    Fingerprint title_fp;  // smallest alert joined in the opening tick: the title's labels
    bool title_pending = false;
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
  uint32_t ActiveAlerts(Incident& inc, const MuteFn& muted, uint64_t mute_version);
  bool Live(const Timer& t) const;
  void Send(Incident& inc, const std::string& receiver, bool inform, NotifyEvent event, Time now,
            std::vector<Notification>* out);
  void Tell(Incident& inc, NotifyEvent event, Time now, const RuleSet& rules, std::vector<Notification>* out);
  void MarkResolved(Incident& inc, uint32_t slot, Time now, std::string by);
  Incident* FindMutable(std::string_view id, uint32_t* slot);

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
  // Incidents opened this tick, whose titles Settle renders.
  std::vector<uint32_t> pending_titles_;
  std::function<const LabelSet*(Fingerprint)> labels_of_;
  EngineChanges* changes_ = nullptr;

 public:
  // How Settle finds an alert's labels (for titles). Set once by the engine.
  void SetLabelLookup(std::function<const LabelSet*(Fingerprint)> fn) { labels_of_ = std::move(fn); }
};

}  // namespace incidentd::engine
