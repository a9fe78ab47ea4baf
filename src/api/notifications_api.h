// The notification API's JSON: `GET /api/v1/notifications` lists deliveries from the outbox — queued, sending,
// delivered, failed (the dead letters) and skipped — newest decision first.
//
// Query: state=pending|sending|delivered|failed|skipped, receiver=NAME, incident=ID, limit=N (default 100).
// Answer: {"depth": queued and sending, "dead_letters": failed still listed, "notifications": [{key, incident,
// receiver, event, inform, seq, step, state, attempts, decided_at, last_attempt_at, next_attempt_at, finished_at,
// last_status, last_error}]}; null stands for a time not set or a status never received.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "incidentd/status.h"
#include "notify/outbox.h"

namespace incidentd::api {

struct NotificationsQuery {
  std::optional<notify::DeliveryState> state;
  std::string receiver;  // empty: all
  std::string incident;  // empty: all
  size_t limit = 100;
};

// Unknown parameters are ignored; a bad value is an error naming the parameter.
Result<NotificationsQuery> ParseNotificationsQuery(std::string_view query);

// Whether the query selects r (its state, receiver and incident filters; the limit is the caller's).
bool Selected(const NotificationsQuery& query, const notify::DeliveryRecord& r);

// `records` as Outbox::List returns them for the query.
std::string RenderNotifications(const std::vector<notify::DeliveryRecord>& records, size_t depth, size_t dead_letters);

}  // namespace incidentd::api
