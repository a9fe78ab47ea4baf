// Incident: a group of alerts that a correlation rule put together, with its lifecycle, priority and timeline.
//
// Lifecycle: triggered -> acknowledged -> resolved, and back to triggered ("reopened") when its group fires again
// within the rule's reopen_window. It resolves as soon as all its alerts are resolved, or when someone resolves it;
// a symptom of another incident, or one with a flapping alert, waits (engine/incidents.h). A rule with a threshold
// opens it held, until enough alerts fired.
//
// Ownership: the engine owns incidents; readers get const references on the engine's thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "incidentd/alert.h"
#include "incidentd/clock.h"
#include "incidentd/label.h"

namespace incidentd {

// kHeld: its rule's threshold (min_alerts, min_distinct) is not reached yet; it is listed, never paged, and not open.
enum class IncidentState : uint8_t { kTriggered, kAcknowledged, kResolved, kHeld };
std::string_view IncidentStateName(IncidentState s);  // "triggered", "acknowledged", "resolved", "held"

// What a notification tells its receiver.
enum class NotifyEvent : uint8_t {
  kTriggered,     // first page of the incident
  kUpdated,       // alerts joined or left since the last page
  kRepeated,      // reminder: still triggered after repeat_interval
  kAcknowledged,  // someone acknowledged it
  kResolved,      // all its alerts resolved, or someone resolved it
  kReopened,      // it fired again within its reopen window
  kEscalated,     // nobody acknowledged within the step's ack_timeout: the policy's next step is paged
};
inline constexpr int kNotifyEvents = 7;
std::string_view NotifyEventName(NotifyEvent e);  // "triggered", "updated", ...

enum class TimelineKind : uint8_t {
  kOpened,          // the incident was created
  kAlertJoined,     // an alert joined (fingerprint)
  kAlertRefreshed,  // an alert's annotations changed (fingerprint)
  kAlertRefired,    // one of its alerts fired again (fingerprint)
  kAlertResolved,   // one of its alerts resolved (fingerprint)
  kPriority,        // its priority changed (detail "P3 -> P1")
  kAcknowledged,    // detail: by whom
  kResolved,        // detail: by whom, or "all alerts resolved"
  kReopened,
  kNotified,          // detail: "<event> -> <receiver>"
  kSuppressed,        // its flush found every firing alert silenced or inhibited: nobody paged
  kNoPolicy,          // it would have paged but its rule names no policy
  kEscalated,         // the policy's next step was paged (detail "step 2 of 3", "step 1 of 2, repeat 1 of 1")
  kEscalationDone,    // the last step's ack_timeout passed with no acknowledgement: nobody more to page
  kHeld,              // opened below its rule's threshold (detail "1 of 3 alerts within 5m")
  kThresholdReached,  // the threshold was reached: it is triggered (detail "3 of 3 alerts within 5m")
  kMajor,             // declared major (detail: the condition, and the policy it now uses)
  kSymptomOf,         // it became a symptom of another incident (detail "<root id>: checkout depends on postgres")
  kSymptomAdded,      // on a root: an incident became its symptom (detail "<symptom id>: checkout")
  kReleased,          // its root resolved while it still fires: it pages on its own now (detail: the root's id)
  kFlapping,          // one of its alerts started flapping (fingerprint; detail "7 changes within 10m")
  kStable,            // that alert has not changed for the quiet period (fingerprint)
  kProblem,  // its correlation key recurred: linked to a problem (detail "<problem id>: 3 incidents within 7d")
};
std::string_view TimelineKindName(TimelineKind k);  // "opened", "alert_joined", ...

// 24 bytes: an incident of a million alerts has a million "alert joined" entries (up to the limit).
struct TimelineEntry {
  Time at{};
  Fingerprint fingerprint;  // for the alert_* kinds
  uint32_t detail = 0;      // its text, an index into the engine's detail strings (Incidents::Detail); 0: none
  TimelineKind kind = TimelineKind::kOpened;
};

// An alert's place in an incident.
struct IncidentMember {
  uint8_t priority = 3;
  AlertStatus status = AlertStatus::kFiring;
  bool acknowledged = false;  // by its sender (PagerDuty acknowledge)
  bool flapping = false;      // its state changes page no one until it is stable
};

// An alert counted toward a held incident's threshold: when it fired, and the hash of its min_distinct label's value.
struct HeldAlert {
  Time at{};
  Fingerprint fingerprint;
  uint64_t value = 0;  // 0: the label is missing (not a distinct value)
};

struct Incident {
  std::string id;                 // 26 characters, Crockford base32, sorts by creation time
  uint64_t id_hi = 0, id_lo = 0;  // the same 128 bits, for ordering
  std::string rule;               // the correlation rule's name
  uint64_t group_key = 0;
  IncidentState state = IncidentState::kTriggered;
  uint8_t priority = 3;  // 1 (P1, most urgent) .. 5
  std::string title;
  std::vector<std::pair<std::string, std::string>> group_labels;  // sorted by name
  std::string policy;
  boost::unordered_flat_map<Fingerprint, IncidentMember, FingerprintHash> members;
  std::vector<TimelineEntry> timeline;  // oldest first, at most kTimelineLimit entries
  uint64_t timeline_dropped = 0;        // entries left out beyond the limit (the middle of a long history)
  Time created_at{};
  Time updated_at{};
  Time acknowledged_at = kZeroTime;
  Time resolved_at = kZeroTime;
  std::string acknowledged_by;
  std::string resolved_by;
  // Counts.
  uint32_t firing = 0;               // members firing
  uint32_t firing_acknowledged = 0;  // members firing and acknowledged by their sender
  uint32_t firing_by_priority[5] = {};
  uint32_t reopened = 0;
  uint32_t notifications = 0;
  // Notification state.
  bool paged = false;             // a triggered page went out since it (re)opened
  bool suppressed_noted = false;  // the timeline says nobody was paged because all were muted
  bool no_policy_noted = false;   // the timeline says nobody was paged because there is no policy
  uint64_t notified_digest = 0;   // the firing, unmuted alerts at the last page
  Time last_notified_at = kZeroTime;
  Time flush_at = Time::max();  // next group flush
  Time drop_at = Time::max();   // when a resolved incident is forgotten
  uint32_t rule_index = 0;      // where its rule was in the rule set when last used (checked by name)
  // What the last flush found, reused while neither the members nor anything that mutes changed.
  uint64_t members_version = 0;
  uint64_t flushed_members_version = UINT64_MAX;
  uint64_t flushed_mute_version = UINT64_MAX;
  uint64_t flushed_digest = 0;
  uint32_t flushed_active = 0;
  std::vector<std::string> paged_receivers;  // receivers paged since it (re)opened, told of ack and resolve
  // Escalation: the step reached (0: the policy's first; counting on through the repeats) and when the next one is
  // due unless someone acknowledges; Time::max() when no step is pending.
  uint32_t step = 0;
  Time escalate_at = Time::max();
  uint32_t notify_seq = 0;  // decisions so far (Notification::seq)
  // Correlation beyond the group.
  Time triggered_at{};                // when it last opened, reopened or reached its threshold
  bool major = false;                 // declared major; never undone
  std::string symptom_of;             // the root incident's id while it is a symptom; empty: none
  std::vector<std::string> symptoms;  // incidents that were made its symptoms, in order
  std::string problem;                // the recurring problem it belongs to; empty: none
  uint32_t flapping = 0;              // members flapping now
  std::vector<HeldAlert> held;        // while held: the alerts that fired within the rule's window, oldest first

  static constexpr size_t kTimelineLimit = 1000;
};

}  // namespace incidentd
