// Daemon: the composition root. Builds every part from a Config, wires them, runs them, stops them in order.
//
// Start binds the listener, builds the receivers' pagers and the outbox, opens the state store under
// data_dir/state and recovers from it (alerts, incidents, silences, the outbox), starts the engine loop and the I/O
// threads, and turns ready. A store that cannot be opened or read stops the start with its error.
// Stop (any thread, also from a signal) turns not-ready, stops accepting, lets in-flight requests finish for up to
// http.shutdown_timeout, drains the engine queue (each tick written), gives notifications being sent up to 5 s, then
// stops the threads. RunUntilSignal does Start, waits for SIGTERM or SIGINT, and Stops.
//
// Thread rule: Start, then Stop once; port() after Start.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "incidentd/clock.h"
#include "incidentd/status.h"
#include "pagers/pager.h"
#include "store/state_store.h"

namespace incidentd::server {

class Daemon {
 public:
  // clock: the engine's time source; the system clock when null. wrap_store: tests only, wraps the state store's
  // writes (to make them fail).
  explicit Daemon(config::Config config, const Clock* clock = nullptr, store::WrapWrites wrap_store = {});
  ~Daemon();

  Status Start();
  void Stop();
  uint16_t port() const;
  // Runs an engine tick at the clock's current time and waits until it is done (at most 10 s): its timers have
  // fired and its notifications are decided. For tests that drive a FakeClock. False on timeout or when stopping.
  bool PokeEngine();
  // Re-reads the config file and its rule files (SIGHUP). Valid: the new rules (correlations, inhibition, policies,
  // receivers) apply to new work, alerts and incidents stay; other keys need a restart (a warning names them).
  // Invalid: nothing changes, the error (file:line:col) is logged and returned, and
  // incidentd_config_last_reload_successful turns 0.
  Status Reload();

 private:
  struct Parts;
  Status Recover();
  config::Config config_;
  std::unique_ptr<Parts> parts_;
};

// The receivers' pagers, as the daemon builds them: the first error names the receiver's file:line and key.
Result<std::vector<std::unique_ptr<pagers::Pager>>> MakePagers(const config::Config& config,
                                                               const std::string& external_url);

// Runs the daemon until SIGTERM/SIGINT. Returns the process exit code.
int RunUntilSignal(config::Config config);

}  // namespace incidentd::server
