// The incident API's JSON: `GET /api/v1/incidents`, `GET /api/v1/incidents/{id}`, as plain functions from a query
// and the engine's state, tested without sockets. The server runs them on the engine's thread between ticks; replay
// prints the same shape.
//
// An incident: {id, rule, state, priority: "P1".."P5", title, group_labels, policy, created_at, updated_at,
// acknowledged_at, acknowledged_by, resolved_at, resolved_by, counts: {alerts, firing, notifications, reopened},
// major, root (it has symptoms), symptom_of, symptoms: [ids], flapping (an alert of it flaps), problem,
// held?: {alerts, needed, label, window}, alerts: [{fingerprint, labels, annotations, state, priority, starts_at,
// ends_at, acknowledged, flapping, silenced_by, inhibited_by}], and with detail, timeline: [{at, kind, fingerprint?,
// detail?}] and timeline_dropped}.
// Alerts are sorted by fingerprint; null stands for a time, name or id not set. `held` is there while the state is
// held and its rule (found by name) still has a threshold: the alerts counted toward it (those that fired within the
// rule's window before the latest, or their distinct values of `label`), the count needed, and the window as the
// rules write it ("5m"). A timeline entry has a fingerprint for the kinds about one alert: alert_*, flapping, stable.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "incidentd/status.h"

namespace incidentd::api {

// kOpen: triggered or acknowledged (a held incident is not open).
enum class StateFilter { kAll, kOpen, kTriggered, kAcknowledged, kResolved, kHeld };

struct IncidentsQuery {
  StateFilter state = StateFilter::kAll;
  size_t limit = 500;         // incidents listed, newest first
  size_t alerts_limit = 100;  // alerts listed per incident in the list (the detail lists all)
};

// Parses "state=open&limit=20&alerts_limit=5"; state is all, open, triggered, acknowledged, held or resolved.
// Unknown parameters are ignored; a bad value is an error naming the parameter.
Result<IncidentsQuery> ParseIncidentsQuery(std::string_view query);

std::string RenderIncidents(const engine::Engine& engine, const IncidentsQuery& query);
// One incident with all its alerts and its timeline.
std::string RenderIncident(const engine::Engine& engine, const Incident& incident);

}  // namespace incidentd::api
