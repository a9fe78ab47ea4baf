// The problem API's JSON: `GET /api/v1/problems`, `GET /api/v1/problems/{id}`, as plain functions from the engine's
// state, tested without sockets. The server runs them on the engine's thread between ticks.
//
// A problem (engine/problems.h: a correlation key whose incidents recur): {id, rule, group_labels: {name: value},
// count (its incidents), first_seen, last_seen (RFC 3339 in UTC with milliseconds), incidents: [ids, oldest first]}.
#pragma once

#include <string>

#include "engine/engine.h"
#include "engine/problems.h"

namespace incidentd::api {

// Every problem, the one with the latest incident first; problems with the same last_seen newest id first. "[]" when
// there are none (no `problems:` rule, or no key recurred).
std::string RenderProblems(const engine::Engine& engine);
// One problem.
std::string RenderProblem(const engine::Engine& engine, const engine::Problem& problem);

}  // namespace incidentd::api
