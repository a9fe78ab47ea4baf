// The Alertmanager v2 alert list: `GET /api/v2/alerts`, as plain functions from a query and the engine's state to
// JSON, so they are tested without sockets. The server runs RenderAlerts on the engine's thread between ticks.
//
// Shape (Alertmanager's gettableAlerts): an array, sorted by fingerprint, of
//   {annotations, endsAt, fingerprint, receivers: [{name}], startsAt, status: {inhibitedBy, silencedBy, state},
//    updatedAt, generatorURL, labels}
// Resolved alerts are not listed, as in Alertmanager.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "engine/matcher.h"
#include "incidentd/status.h"

namespace incidentd::api {

struct AlertsQuery {
  bool active = true;       // list alerts that are neither silenced nor inhibited
  bool silenced = true;     // list silenced alerts
  bool inhibited = true;    // list inhibited alerts
  bool unprocessed = true;  // list alerts not yet processed (incidentd processes in the tick that accepts them)
  std::vector<engine::Matcher> filter;  // every one must match the alert's labels
};

// Parses the query string ("active=false&filter=alertname%3D%22Up%22"). `filter` may repeat; each is a matcher
// (engine/matcher.h) or a {…} list of them. Unknown parameters are ignored, as Alertmanager does; a boolean that is
// not true/false or a filter that does not parse is an error naming the parameter.
Result<AlertsQuery> ParseAlertsQuery(std::string_view query);

std::string RenderAlerts(const engine::Engine& engine, const AlertsQuery& query);

}  // namespace incidentd::api
