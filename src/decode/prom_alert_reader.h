// ReadPromAlert: reads one alert object of Alertmanager's shape (Prometheus' postableAlert, or an alert of the
// Alertmanager webhook payload) into an BatchBuilder, with simdjson On-Demand.
//
// Fields: labels and annotations (objects of string -> string), startsAt and endsAt (RFC 3339 strings; null and Go's
// zero time 0001-01-01T00:00:00Z mean absent, as in Alertmanager), generatorURL (string), and for the webhook dialect
// status ("firing" | "resolved"). Unknown fields, and the webhook's fingerprint (recomputed from the labels), are
// skipped. Keys are matched on their raw JSON bytes, so a field name written with escapes counts as unknown.
//
// Thread rule: pure function of its arguments.
#pragma once

#include <simdjson.h>

#include <cstdint>

#include "decode/batch_builder.h"
#include "incidentd/alert_batch.h"

namespace incidentd::decode {

enum class PromDialect : uint8_t { kPrometheus, kAlertmanagerWebhook };
enum class PromStatus : uint8_t { kAbsent, kFiring, kResolved };

struct PromAlert {
  Time starts_at = kZeroTime;  // kZeroTime: absent
  Time ends_at = kZeroTime;    // kZeroTime: absent
  PromStatus status = PromStatus::kAbsent;
};

// Reads `object` (the current alert of `builder`, begun by the caller) into the builder, setting alert.generator_url
// and *out. Returns a simdjson error only when the JSON cannot be read on; field errors go to the builder.
simdjson::error_code ReadPromAlert(simdjson::ondemand::object& object, PromDialect dialect, BatchBuilder& builder,
                                   AlertInput& alert, PromAlert& out);

}  // namespace incidentd::decode
