// EngineChanges: what the engine changed since the state store last took them, so that a tick writes only that.
//
// Entries name objects, not their new values: the store reads each one's current state when it writes, writing it
// if it still exists and deleting it if not. A name may appear more than once; the store writes it once. An
// unchanged re-send of a known alert adds nothing, so a steady re-send costs no disk.
//
// Thread rule: single-threaded (the engine's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "incidentd/label.h"

namespace incidentd::engine {

// An incident by its 128-bit id (Incident::id_hi, id_lo).
struct IncidentKey {
  uint64_t hi = 0, lo = 0;
  friend bool operator==(const IncidentKey&, const IncidentKey&) = default;
  friend auto operator<=>(const IncidentKey&, const IncidentKey&) = default;
};

struct MemberKey {
  IncidentKey incident;
  Fingerprint fingerprint;
  friend bool operator==(const MemberKey&, const MemberKey&) = default;
  friend auto operator<=>(const MemberKey&, const MemberKey&) = default;
};

struct EngineChanges {
  std::vector<Fingerprint> alerts;     // added, changed or dropped
  std::vector<IncidentKey> incidents;  // opened, changed (state, timers, timeline, pages) or forgotten
  std::vector<MemberKey> members;      // an alert's place in an incident changed
  std::vector<std::string> silences;   // ids created, changed or dropped

  bool empty() const { return alerts.empty() && incidents.empty() && members.empty() && silences.empty(); }
  void clear() {
    alerts.clear();
    incidents.clear();
    members.clear();
    silences.clear();
  }
  // Adds other's entries (a failed write is retried with the next tick's).
  void Merge(const EngineChanges& other) {
    alerts.insert(alerts.end(), other.alerts.begin(), other.alerts.end());
    incidents.insert(incidents.end(), other.incidents.begin(), other.incidents.end());
    members.insert(members.end(), other.members.begin(), other.members.end());
    silences.insert(silences.end(), other.silences.begin(), other.silences.end());
  }
};

}  // namespace incidentd::engine
