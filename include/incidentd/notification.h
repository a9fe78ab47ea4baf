// Notification: a message the engine decided to send to one receiver about one incident. The engine only decides;
// delivery (the outbox, retries, the notification log) happens outside it, in src/notify.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "incidentd/alert.h"
#include "incidentd/clock.h"
#include "incidentd/incident.h"
#include "incidentd/label.h"

namespace incidentd {

using StringPairs = std::vector<std::pair<std::string, std::string>>;

// An alert as a notification shows it.
struct AlertSnapshot {
  Fingerprint fingerprint;
  AlertStatus status = AlertStatus::kFiring;
  Time starts_at{};
  Time ends_at = kZeroTime;  // kZeroTime: not known yet
  StringPairs labels;        // sorted by name
  StringPairs annotations;   // sorted by name
  std::string generator_url;
};

// The incident as it was when a notification was decided: what the pagers render. One snapshot is shared by the
// notifications of one decision (every receiver of a step).
struct IncidentSnapshot {
  std::string id;  // the incident's id: PagerDuty's dedup_key, Opsgenie's alias
  std::string rule;
  std::string title;
  std::string policy;
  IncidentState state = IncidentState::kTriggered;
  uint8_t priority = 3;      // 1 (P1) .. 5
  StringPairs group_labels;  // sorted by name
  Time created_at{};
  Time acknowledged_at = kZeroTime;
  Time resolved_at = kZeroTime;
  std::string acknowledged_by;
  std::string resolved_by;
  uint32_t alerts_firing = 0;
  uint32_t alerts_total = 0;
  // Firing alerts first, then resolved ones, each by fingerprint; at most kMaxAlerts (alerts_total says how many
  // there are).
  std::vector<AlertSnapshot> alerts;

  static constexpr size_t kMaxAlerts = 100;
};

struct Notification {
  Time at{};
  std::string incident_id;
  std::string receiver;
  NotifyEvent event = NotifyEvent::kTriggered;
  bool inform = false;  // a stakeholder update (the policy's `inform`), not a page
  // The incident as it was when the notification was decided.
  IncidentState state = IncidentState::kTriggered;
  uint8_t priority = 3;
  std::string title;
  // The incident's decision number: each page, escalation step, update or state change the engine decides for an
  // incident gets the next one. With the incident and the receiver it is the notification's identity, which the
  // notification log sends once.
  uint32_t seq = 0;
  // The escalation step the incident had reached (0: the first step; it counts on through repeats).
  uint32_t step = 0;
  std::shared_ptr<const IncidentSnapshot> incident;  // set by the engine

  // "INCIDENT/SEQ/RECEIVER".
  std::string Key() const { return incident_id + "/" + std::to_string(seq) + "/" + receiver; }
};

}  // namespace incidentd
