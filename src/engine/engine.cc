#include "engine/engine.h"

#include <cstdlib>

namespace incidentd::engine {

BatchResult Engine::Apply(const AlertBatch& batch, Time now) {
  if (!batch.sealed()) std::abort();  // a decoder forgot Seal: fingerprints would be wrong
  BatchResult r;
  for (const AlertInput& in : batch.alerts()) {
    switch (alerts_.Apply(batch, in, now)) {
      case AlertChange::kNew:
      case AlertChange::kNewResolved:
        ++r.new_alerts;
        break;
      case AlertChange::kRefreshed:
        ++r.refreshed;
        break;
      case AlertChange::kResolved:
        ++r.resolved;
        break;
      case AlertChange::kRefired:
        ++r.refired;
        break;
      case AlertChange::kAcknowledged:
        ++r.acknowledged;
        break;
      case AlertChange::kIgnored:
        ++r.ignored;
        break;
    }
  }
  counters_.alerts_new += r.new_alerts;
  counters_.alerts_refreshed += r.refreshed + r.acknowledged;
  counters_.alerts_resolved += r.resolved;
  counters_.alerts_refired += r.refired;
  counters_.alerts_ignored += r.ignored;
  return r;
}

void Engine::Advance(Time now) {
  resolved_scratch_.clear();
  alerts_.Advance(now, &resolved_scratch_);
  counters_.alerts_resolved += resolved_scratch_.size();
}

}  // namespace incidentd::engine
