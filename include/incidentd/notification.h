// Notification: a message the engine decided to send to one receiver about one incident. The engine only decides;
// delivery (retries, the outbox) happens outside it.
#pragma once

#include <cstdint>
#include <string>

#include "incidentd/clock.h"
#include "incidentd/incident.h"

namespace incidentd {

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
};

}  // namespace incidentd
