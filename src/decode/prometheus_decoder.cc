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
  int64_t index = 0;
  for (auto element : alerts) {
    simdjson::ondemand::value v;
    if (auto e = std::move(element).get(v); e != SUCCESS) return e;
    if (!builder.CheckAlertCount(static_cast<size_t>(index) + 1, "body")) return SUCCESS;
    simdjson::ondemand::object obj;
    if (auto e = v.get_object().get(obj); e != SUCCESS) {
      if (e != simdjson::INCORRECT_TYPE) return e;
      builder.ErrorAt(index++, "", "must be a JSON object");
      if (auto skipped = SkipValue(v); skipped != SUCCESS) return skipped;
      continue;
    }
    AlertInput& alert = builder.Begin(index++);
    PromAlert fields;
    if (auto e = ReadPromAlert(obj, PromDialect::kPrometheus, builder, alert, fields); e != SUCCESS) return e;
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
    builder.Finish();
  }
  return SUCCESS;
}

}  // namespace

DecodeOutcome PrometheusDecoder::Decode(simdjson::padded_string_view body) const {
  return DecodeOndemand(body, AlertFormat::kPrometheus, limits_, this, ParseAlerts);
}

}  // namespace incidentd::decode
