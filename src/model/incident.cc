#include "incidentd/incident.h"

namespace incidentd {

std::string_view IncidentStateName(IncidentState s) {
  switch (s) {
    case IncidentState::kTriggered:
      return "triggered";
    case IncidentState::kAcknowledged:
      return "acknowledged";
    case IncidentState::kResolved:
      return "resolved";
    case IncidentState::kHeld:
      return "held";
  }
  return "?";
}

std::string_view NotifyEventName(NotifyEvent e) {
  static constexpr std::string_view kNames[] = {"triggered", "updated",  "repeated", "acknowledged",
                                                "resolved",  "reopened", "escalated"};
  return kNames[static_cast<int>(e)];
}

std::string_view TimelineKindName(TimelineKind k) {
  static constexpr std::string_view kNames[] = {"opened",
                                                "alert_joined",
                                                "alert_refreshed",
                                                "alert_refired",
                                                "alert_resolved",
                                                "priority",
                                                "acknowledged",
                                                "resolved",
                                                "reopened",
                                                "notified",
                                                "suppressed",
                                                "no_policy",
                                                "escalated",
                                                "escalation_done",
                                                "held",
                                                "threshold_reached",
                                                "major",
                                                "symptom_of",
                                                "symptom_added",
                                                "released",
                                                "flapping",
                                                "stable",
                                                "problem"};
  return kNames[static_cast<int>(k)];
}

}  // namespace incidentd
