#include "decode/factory.h"

#include "decode/alertmanager_webhook_decoder.h"
#include "decode/generic_decoder.h"
#include "decode/pagerduty_decoder.h"
#include "decode/prometheus_decoder.h"

namespace incidentd::decode {

std::unique_ptr<Decoder> MakeDecoder(AlertFormat format, const Limits& limits, bool one_alert_alone) {
  switch (format) {
    case AlertFormat::kPrometheus:
      return std::make_unique<PrometheusDecoder>(limits, one_alert_alone);
    case AlertFormat::kAlertmanagerWebhook:
      return std::make_unique<AlertmanagerWebhookDecoder>(limits);
    case AlertFormat::kPagerDuty:
      return std::make_unique<PagerDutyDecoder>(limits);
    case AlertFormat::kGeneric:
      return nullptr;
  }
  return nullptr;
}

std::unique_ptr<Decoder> MakeNamedDecoder(const std::string& name, const Limits& limits,
                                          const std::vector<GenericMapping>& mappings, bool one_alert_alone) {
  for (AlertFormat f : {AlertFormat::kPrometheus, AlertFormat::kAlertmanagerWebhook, AlertFormat::kPagerDuty}) {
    if (name == FormatName(f)) return MakeDecoder(f, limits, one_alert_alone);
  }
  for (const GenericMapping& m : mappings) {
    if (name == "generic:" + m.name) return MakeGenericDecoder(m, limits);
  }
  return nullptr;
}

std::unique_ptr<Decoder> MakeGenericDecoder(const GenericMapping& mapping, const Limits& limits) {
  return std::make_unique<GenericDecoder>(mapping, limits);
}

}  // namespace incidentd::decode
