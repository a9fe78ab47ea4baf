#include "decode/prometheus_decoder.h"

#include "decode/batch_builder.h"
#include "decode/json_skip.h"
#include "decode/ondemand_driver.h"
#include "decode/prom_alert_reader.h"

namespace incidentd::decode {
namespace {

using simdjson::SUCCESS;

// What Prometheus' fields mean: fired, and resolved at endsAt when it is given.
void Complete(BatchBuilder& builder, AlertInput& alert, const PromAlert& fields) {
  alert.action = AlertAction::kFire;
  alert.starts_at = fields.starts_at;
  if (fields.ends_at != kZeroTime) {
    alert.ends_kind = EndsAtKind::kGiven;
    alert.ends_at = fields.ends_at;
    if (fields.starts_at != kZeroTime && fields.ends_at < fields.starts_at) {
      builder.Error("endsAt", "start time must be before end time");
    }
  } else {
    alert.ends_kind = EndsAtKind::kTimeout;
  }
}

simdjson::error_code ParseAlerts(const void* self, simdjson::ondemand::document& doc, BatchBuilder& builder) {
  const bool one_alone = static_cast<const PrometheusDecoder*>(self)->one_alert_alone();
  simdjson::ondemand::json_type type;
  if (auto e = doc.type().get(type); e != SUCCESS) return e;
  if (type == simdjson::ondemand::json_type::object && one_alone) {
    simdjson::ondemand::object obj;
    if (auto e = doc.get_object().get(obj); e != SUCCESS) return e;
    AlertInput& alert = builder.Begin(0);
    PromAlert fields;
    if (auto e = ReadPromAlert(obj, PromDialect::kPrometheus, builder, alert, fields); e != SUCCESS) return e;
    Complete(builder, alert, fields);
    builder.Finish();
    return SUCCESS;
  }
  simdjson::ondemand::array alerts;
  if (auto e = doc.get_array().get(alerts); e != SUCCESS) {
    if (e != simdjson::INCORRECT_TYPE) return e;
    builder.BodyError("", one_alone ? "body must be an alert object or a JSON array of alerts"
                                    : "body must be a JSON array of alerts");
    builder.Stop();
    return SUCCESS;
  }
  return ReadPromAlerts(alerts, "body", PromDialect::kPrometheus, builder,
                        [&](AlertInput& alert, PromAlert& fields) { Complete(builder, alert, fields); });
}

}  // namespace

DecodeOutcome PrometheusDecoder::Decode(simdjson::padded_string_view body) const {
  return DecodeOndemand(body, AlertFormat::kPrometheus, limits_, this, ParseAlerts);
}

}  // namespace incidentd::decode
