// Routes: every HTTP path the daemon serves, wired to its handler. docs/api.md lists them.
//
// Thread rule: built once before serving; the handlers it owns are immutable afterwards.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "config/config.h"
#include "notify/outbox.h"
#include "observability/metrics.h"
#include "server/engine_loop.h"
#include "server/token_auth.h"
#include "sources/http/intake_handler.h"
#include "sources/http/router.h"

namespace incidentd::server {

class Routes {
 public:
  Routes(const config::Config& config, http::Router& router, EngineLoop& loop, observability::Registry& metrics,
         const std::atomic<bool>& ready, std::shared_ptr<const TokenAuth> auth);

 private:
  std::vector<std::shared_ptr<http::IntakeHandler>> intake_;
  std::shared_ptr<http::GenericIntake> generic_;
};

// The engine loop's per-tick hook that keeps the engine's metrics current.
EngineLoop::TickHook MakeTickHook(observability::Registry& metrics);
// Counts the engine's notifications and hands them to the outbox (once Daemon::Start has made it).
EngineLoop::NotifyFn MakeNotifyHook(observability::Registry& metrics, const std::unique_ptr<notify::Outbox>& outbox);

}  // namespace incidentd::server
