#include "decode/prometheus_decoder.h"

#include "decode/batch_builder.h"
#include "decode/json_skip.h"
#include "decode/ondemand_driver.h"
#include "decode/prom_alert_reader.h"

namespace incidentd::decode {
namespace {

using simdjson::SUCCESS;

simdjson::error_code ParseAlerts(const void*, simdjson::ondemand::document& doc, BatchBuilder& builder) {
  simdjson::ondemand::array alerts;
  if (auto e = doc.get_array().get(alerts); e != SUCCESS) {
    if (e != simdjson::INCORRECT_TYPE) return e;
    builder.BodyError("", "body must be a JSON array of alerts");
    builder.Stop();
    return SUCCESS;
  }
  return ReadPromAlerts(alerts, "body", PromDialect::kPrometheus, builder, [&](AlertInput& alert, PromAlert& fields) {
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
  });
}

}  // namespace

DecodeOutcome PrometheusDecoder::Decode(simdjson::padded_string_view body) const {
  return DecodeOndemand(body, AlertFormat::kPrometheus, limits_, this, ParseAlerts);
}

}  // namespace incidentd::decode
