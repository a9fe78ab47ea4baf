// Engine: the single writer of all alert (and, as it grows, incident) state. Pure: no I/O, no clock, no threads.
//
// The engine loop (server/engine_loop.h) feeds it in ticks: Apply for each queued batch, then Advance(now) for the
// timers, all with the tick's `now`. The same inputs at the same times always give the same state, which tests,
// replay and recovery rely on.
//
// Thread rule: single-threaded; the engine loop's thread owns it. Readers run on that thread between ticks.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/alert_store.h"
#include "incidentd/alert_batch.h"

namespace incidentd::engine {

struct EngineOptions {
  AlertStoreOptions alerts;
};

// What one batch did, for the answer to its sender and the metrics.
struct BatchResult {
  uint32_t new_alerts = 0;
  uint32_t refreshed = 0;  // known alerts re-sent (duplicates)
  uint32_t resolved = 0;   // firing alerts this batch resolved
  uint32_t refired = 0;
  uint32_t acknowledged = 0;
  uint32_t ignored = 0;
};

// Totals since start, read by the metrics.
struct EngineCounters {
  uint64_t alerts_new = 0;
  uint64_t alerts_refreshed = 0;
  uint64_t alerts_resolved = 0;  // by the sender or by their end passing
  uint64_t alerts_refired = 0;
  uint64_t alerts_ignored = 0;
};

class Engine {
 public:
  explicit Engine(EngineOptions options) : alerts_(options.alerts) {}

  BatchResult Apply(const AlertBatch& batch, Time now);
  void Advance(Time now);
  // When Advance next has work, if ever.
  std::optional<Time> NextDeadline() { return alerts_.NextDeadline(); }

  const AlertStore& alerts() const { return alerts_; }
  const EngineCounters& counters() const { return counters_; }

 private:
  AlertStore alerts_;
  EngineCounters counters_;
  std::vector<Fingerprint> resolved_scratch_;
};

}  // namespace incidentd::engine
