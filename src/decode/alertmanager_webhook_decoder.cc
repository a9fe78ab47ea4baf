#include "decode/alertmanager_webhook_decoder.h"

#include "decode/batch_builder.h"
#include "decode/json_skip.h"
#include "decode/ondemand_driver.h"
#include "decode/prom_alert_reader.h"
#include "decode/validate.h"

namespace incidentd::decode {
namespace {

using simdjson::SUCCESS;

simdjson::error_code ReadAlerts(simdjson::ondemand::value v, BatchBuilder& builder) {
  simdjson::ondemand::array alerts;
  if (auto e = v.get_array().get(alerts); e != SUCCESS) {
    if (e != simdjson::INCORRECT_TYPE) return e;
    builder.BodyError("alerts", "must be an array");
    return SkipValue(v);
  }
  return ReadPromAlerts(
      alerts, "alerts", PromDialect::kAlertmanagerWebhook, builder, [&](AlertInput& alert, PromAlert& fields) {
        alert.starts_at = fields.starts_at;
        if (fields.status == PromStatus::kResolved) {
          alert.action = AlertAction::kResolve;
          alert.ends_kind = EndsAtKind::kGiven;
          alert.ends_at = fields.ends_at;
          if (fields.starts_at != kZeroTime && fields.ends_at != kZeroTime && fields.ends_at < fields.starts_at) {
            builder.Error("endsAt", "start time must be before end time");
          }
        } else {
          alert.action = AlertAction::kFire;
          alert.ends_kind = EndsAtKind::kNever;
        }
      });
}

simdjson::error_code CheckVersion(simdjson::ondemand::value v, BatchBuilder& builder) {
  std::string_view version;
  if (auto e = v.get_string().get(version); e != SUCCESS) {
    if (e != simdjson::INCORRECT_TYPE) return e;
    builder.BodyError("version", "must be a string");
    return SkipValue(v);
  }
  if (version != "4") builder.BodyError("version", "unsupported version \"" + ForDisplay(version) + "\" (want \"4\")");
  return SUCCESS;
}

simdjson::error_code ParsePayload(const void*, simdjson::ondemand::document& doc, BatchBuilder& builder) {
  simdjson::ondemand::object root;
  if (auto e = doc.get_object().get(root); e != SUCCESS) {
    if (e != simdjson::INCORRECT_TYPE) return e;
    builder.BodyError("", "body must be a JSON object (Alertmanager webhook payload)");
    builder.Stop();
    return SUCCESS;
  }
  bool seen_alerts = false;
  for (auto member : root) {
    simdjson::ondemand::field f;
    if (auto e = std::move(member).get(f); e != SUCCESS) return e;
    simdjson::ondemand::raw_json_string key = f.key();
    if (key.unsafe_is_equal("version")) {
      if (auto e = CheckVersion(f.value(), builder); e != SUCCESS) return e;
    } else if (key.unsafe_is_equal("alerts")) {
      if (seen_alerts) {
        builder.BodyError("alerts", "duplicate field");
        if (auto e = SkipValue(f.value()); e != SUCCESS) return e;
        continue;
      }
      seen_alerts = true;
      if (auto e = ReadAlerts(f.value(), builder); e != SUCCESS || builder.stopped()) return e;
    } else if (auto e = SkipValue(f.value()); e != SUCCESS) {
      return e;
    }
  }
  if (!seen_alerts) builder.BodyError("alerts", "required");
  return SUCCESS;
}

}  // namespace

DecodeOutcome AlertmanagerWebhookDecoder::Decode(simdjson::padded_string_view body) const {
  return DecodeOndemand(body, AlertFormat::kAlertmanagerWebhook, limits_, this, ParsePayload);
}

}  // namespace incidentd::decode
