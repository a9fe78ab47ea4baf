// The incident and silence endpoints (docs/api.md): reads run on the engine's thread between ticks, commands go
// through the engine loop's command queue, mutating calls pass TokenAuth first.
#pragma once

#include <memory>

#include "server/engine_loop.h"
#include "server/token_auth.h"
#include "sources/http/router.h"

namespace incidentd::server {

void AddIncidentRoutes(http::Router& router, EngineLoop& loop, std::shared_ptr<const TokenAuth> auth);
void AddSilenceRoutes(http::Router& router, EngineLoop& loop, std::shared_ptr<const TokenAuth> auth);

}  // namespace incidentd::server
