// The incident, problem, silence and notification endpoints (docs/api.md): reads run on the engine's thread between
// ticks, commands go through the engine loop's command queue, mutating calls pass TokenAuth first.
#pragma once

#include <memory>

#include "notify/outbox.h"
#include "server/engine_loop.h"
#include "server/token_auth.h"
#include "sources/http/router.h"

namespace incidentd::server {

void AddIncidentRoutes(http::Router& router, EngineLoop& loop, std::shared_ptr<const TokenAuth> auth);
void AddSilenceRoutes(http::Router& router, EngineLoop& loop, std::shared_ptr<const TokenAuth> auth);
// GET /api/v1/notifications reads the outbox, which Daemon::Start creates (503 before).
void AddNotificationRoutes(http::Router& router, const std::unique_ptr<notify::Outbox>& outbox);

}  // namespace incidentd::server
