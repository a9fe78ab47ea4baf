// The incident API's JSON: `GET /api/v1/incidents`, `GET /api/v1/incidents/{id}`, as plain functions from a query
// and the engine's state, tested without sockets. The server runs them on the engine's thread between ticks; replay
// prints the same shape.
//
// An incident: {id, rule, state, priority: "P1".."P5", title, group_labels, policy, created_at, updated_at,
// acknowledged_at, acknowledged_by, resolved_at, resolved_by, counts: {alerts, firing, notifications, reopened},
// alerts: [{fingerprint, labels, annotations, state, priority, starts_at, ends_at, acknowledged, silenced_by,
// inhibited_by}], and with detail, timeline: [{at, kind, fingerprint?, detail?}] and timeline_dropped}.
// Alerts are sorted by fingerprint; null stands for a time or name not set.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "incidentd/status.h"

namespace incidentd::api {

enum class StateFilter { kAll, kOpen, kTriggered, kAcknowledged, kResolved };

struct IncidentsQuery {
  StateFilter state = StateFilter::kAll;
  size_t limit = 500;         // incidents listed, newest first
  size_t alerts_limit = 100;  // alerts listed per incident in the list (the detail lists all)
};

// Parses "state=open&limit=20&alerts_limit=5". Unknown parameters are ignored; a bad value is an error naming the
// parameter.
Result<IncidentsQuery> ParseIncidentsQuery(std::string_view query);

std::string RenderIncidents(const engine::Engine& engine, const IncidentsQuery& query);
// One incident with all its alerts and its timeline.
std::string RenderIncident(const engine::Engine& engine, const Incident& incident);

}  // namespace incidentd::api
