// Engine: the single writer of all alert, incident and silence state. Pure: no I/O, no clock, no threads.
//
// The engine loop (server/engine_loop.h) feeds it in ticks: Apply for each queued batch, then Advance(now) for the
// timers and the tick's consequences, all with the tick's `now`; commands from the API (acknowledge, resolve,
// silences) run between ticks. The same inputs at the same times always give the same state and the same
// notifications, which tests, replay and recovery rely on; the order of alerts inside one tick does not matter.
//
// The stages, in order: dedup (the fingerprint, minus dedup.ignore_labels), the alert store (Alertmanager's merge
// rules and resolve timers), correlation (the first matching rule, or every one with `continue`, puts the alert in
// its group's incident), correlation beyond the group (thresholds, topology, major incidents, flapping alerts through
// the FlapDetector, recurring problems: engine/incidents.h), the incidents' lifecycle and group timers, which page the
// policy's receivers unless every firing alert of the incident is silenced or inhibited.
//
// Thread rule: single-threaded; the engine loop's thread owns it. Readers run on that thread between ticks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/alert_store.h"
#include "engine/changes.h"
#include "engine/flap_detector.h"
#include "engine/incidents.h"
#include "engine/inhibitor.h"
#include "engine/problems.h"
#include "engine/rules.h"
#include "engine/silences.h"
#include "incidentd/alert_batch.h"
#include "incidentd/notification.h"

namespace incidentd::engine {

struct EngineOptions {
  AlertStoreOptions alerts;
  IncidentsOptions incidents;
  SilencesOptions silences;
};

// What one batch did, for the answer to its sender and the metrics.
struct BatchResult {
  uint32_t new_alerts = 0;
  uint32_t refreshed = 0;  // known alerts re-sent (duplicates)
  uint32_t resolved = 0;   // firing alerts this batch resolved
  uint32_t refired = 0;
  uint32_t acknowledged = 0;
  uint32_t ignored = 0;
};

// Totals since start, read by the metrics.
struct EngineCounters {
  uint64_t alerts_new = 0;
  uint64_t alerts_refreshed = 0;
  uint64_t alerts_resolved = 0;  // by the sender or by their end passing
  uint64_t alerts_refired = 0;
  uint64_t alerts_ignored = 0;
  uint64_t notifications = 0;
};

// Why an alert pages no one right now.
struct MuteState {
  std::vector<std::string_view> silenced_by;  // silence ids, sorted
  std::optional<Fingerprint> inhibited_by;
  bool muted() const { return !silenced_by.empty() || inhibited_by.has_value(); }
};

class Engine {
 public:
  explicit Engine(EngineOptions options, RuleSet rules = {});

  BatchResult Apply(const AlertBatch& batch, Time now);
  void Advance(Time now);
  // Runs every timer due before t at its own time, as if Advance had been called at each deadline. A tick calls it
  // before applying its batches, so the outcome does not depend on how late the tick runs: the daemon, whose ticks
  // run when they can, and replay, which steps from deadline to deadline, decide the same.
  void AdvanceBefore(Time t);
  // When Advance next has work, if ever.
  std::optional<Time> NextDeadline();

  // Replaces the rules. Alerts, incidents and silences stay; new work follows the new rules.
  void SetRules(RuleSet rules);

  // Commands. Their notifications join the next TakeNotifications.
  Status Acknowledge(std::string_view incident_id, std::string_view by, Time now);
  Status Resolve(std::string_view incident_id, std::string_view by, Time now);
  Result<std::string> UpsertSilence(Silence silence, const std::string& new_id, Time now);
  Status ExpireSilence(std::string_view id, Time now);

  // The notifications decided since the last call, in decision order.
  std::vector<Notification> TakeNotifications();

  // Durability. From TrackChanges(out) on, the engine names every alert, incident, member and silence it changes in
  // `out` (the state store writes them with the tick); null stops it.
  void TrackChanges(EngineChanges* out);
  // The incidents the alert is in, its latest first: what its stored record keeps.
  std::vector<IncidentKey> MembershipsOf(const Alert& a) const;
  // Recovery, in this order: incidents, then alerts (with the incidents they are in, as MembershipsOf gave them),
  // then silences, then FinishRestore. `now` is the start's time. A firing alert whose end passed while the daemon
  // was down gets resolve_timeout from now to be re-sent before it resolves: its stored end is that of its last
  // change, since unchanged re-sends are not written. Errors name the record and change nothing.
  Status RestoreIncident(std::unique_ptr<Incident> inc, const std::vector<std::string>& details, Time now);
  Status RestoreAlert(const Alert& a, std::span<const Label> labels, std::span<const Label> annotations,
                      std::string_view generator_url, std::span<const IncidentKey> memberships, Time now);
  Status RestoreSilence(Silence s);
  void FinishRestore(Time now);

  MuteState MuteStateOf(const Alert& a) const;
  // The time of the last tick or command: "now" for readers.
  Time now() const { return now_; }

  const AlertStore& alerts() const { return alerts_; }
  const Incidents& incidents() const { return incidents_; }
  const Silences& silences() const { return silences_; }
  const Problems& problems() const { return incidents_.problems(); }
  size_t flapping_alerts() const { return flaps_.flapping(); }
  const RuleSet& rules() const { return rules_; }
  const EngineCounters& counters() const { return counters_; }

 private:
  void Correlate(Fingerprint fp, Time now);
  template <typename Fn>
  void ForEachMembership(const Alert& a, Fn&& fn);
  void OnResolved(Fingerprint fp, Time now);
  // The alert resolved or fired again: flap detection.
  void StateChanged(Fingerprint fp, Time now);
  bool Muted(Fingerprint fp) const;
  void InhibitFiring(Fingerprint fp, const LabelSet& labels);
  void InhibitResolved(Fingerprint fp, const LabelSet& labels);
  uint64_t MuteVersion(Time now) const;
  bool Keep(const Alert& a) const;
  void Forget(uint32_t slot, Fingerprint fp, Time now);
  void IndexRules();
  void Snapshot(size_t from);
  std::shared_ptr<const IncidentSnapshot> MakeSnapshot(std::string_view incident_id) const;

  RuleSet rules_;
  AlertStore alerts_;
  Incidents incidents_;
  Silences silences_;
  FlapDetector flaps_;
  Inhibitor inhibitor_;
  EngineCounters counters_;
  Time now_{};
  uint64_t mute_changes_ = 0;  // changes to what mutes alerts: silences, inhibiting alerts, rules
  std::vector<Notification> notifications_;
  std::vector<Fingerprint> resolved_scratch_;
  EngineChanges* changes_ = nullptr;
  // Correlation rules by their alertname="…" matcher, and those without one; indexes into rules_.correlations.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  boost::unordered_flat_map<std::string, std::vector<uint32_t>, StringHash, std::equal_to<>> rules_by_alertname_;
  std::vector<uint32_t> rules_any_;
  // Incidents an alert is in beyond Alert::incident (rules with `continue: true`).
  boost::unordered_flat_map<Fingerprint, std::vector<uint32_t>, FingerprintHash> extra_incidents_;
};

}  // namespace incidentd::engine
