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

#include <string_view>
#include <utility>

#include "decode/batch_builder.h"
#include "decode/json_skip.h"
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

// Reads an array of such alerts: for each element checks max_alerts (`field` names the array in errors), reports an
// element that is not an object, begins the alert, reads it with ReadPromAlert, lets complete(alert, fields) set what
// the format decides (action, ends), and finishes it.
template <typename Complete>
simdjson::error_code ReadPromAlerts(simdjson::ondemand::array alerts, std::string_view field, PromDialect dialect,
                                    BatchBuilder& builder, Complete&& complete) {
  int64_t index = 0;
  for (auto element : alerts) {
    simdjson::ondemand::value v;
    if (auto e = std::move(element).get(v); e != simdjson::SUCCESS) return e;
    if (!builder.CheckAlertCount(static_cast<size_t>(index) + 1, field)) return simdjson::SUCCESS;
    simdjson::ondemand::object obj;
    if (auto e = v.get_object().get(obj); e != simdjson::SUCCESS) {
      if (e != simdjson::INCORRECT_TYPE) return e;
      builder.ErrorAt(index++, "", "must be a JSON object");
      if (auto skipped = SkipValue(v); skipped != simdjson::SUCCESS) return skipped;
      continue;
    }
    AlertInput& alert = builder.Begin(index++);
    PromAlert fields;
    if (auto e = ReadPromAlert(obj, dialect, builder, alert, fields); e != simdjson::SUCCESS) return e;
    complete(alert, fields);
    builder.Finish();
  }
  return simdjson::SUCCESS;
}

}  // namespace incidentd::decode
