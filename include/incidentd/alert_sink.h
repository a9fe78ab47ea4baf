// AlertSink: where sources hand decoded batches to be applied.
//
// Submit never blocks: it either queues the whole batch and later calls `done` exactly once (from another thread,
// after the batch was applied — and, once the store is durable, written), or refuses at once when the queue is full,
// so the source can push back (HTTP 503 with Retry-After, Kafka pause).
//
// Thread rule: Submit is safe to call from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "incidentd/alert_batch.h"
#include "incidentd/status.h"

namespace incidentd {

// What became of a submitted batch.
struct BatchReceipt {
  Status status;  // not ok: nothing of the batch was applied (retryable per status)
  uint32_t new_alerts = 0;
  uint32_t refreshed = 0;
  uint32_t resolved = 0;
  uint32_t ignored = 0;
};

class AlertSink {
 public:
  using Done = std::function<void(const BatchReceipt&)>;
  virtual ~AlertSink() = default;
  // True: queued, `done` will be called. False: refused (queue full or stopping); `done` is not called.
  virtual bool Submit(AlertBatch&& batch, Done done) = 0;
  // Submits batches in order as one hand-over (a source that reads many at once wakes the engine once): returns how
  // many were queued, a prefix; the batch that did not fit and every one after it are refused and left as they were,
  // and only the queued ones' `dones` are called. REQUIRES: dones.size() == batches.size().
  virtual size_t SubmitMany(std::span<AlertBatch> batches, std::span<Done> dones) {
    size_t i = 0;
    while (i < batches.size() && Submit(std::move(batches[i]), std::move(dones[i]))) ++i;
    return i;
  }
};

}  // namespace incidentd
