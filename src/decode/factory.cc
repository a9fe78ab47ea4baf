#include "decode/factory.h"

#include "decode/alertmanager_webhook_decoder.h"
#include "decode/generic_decoder.h"
#include "decode/pagerduty_decoder.h"
#include "decode/prometheus_decoder.h"

namespace incidentd::decode {

std::unique_ptr<Decoder> MakeDecoder(AlertFormat format, const Limits& limits) {
  switch (format) {
    case AlertFormat::kPrometheus:
      return std::make_unique<PrometheusDecoder>(limits);
    case AlertFormat::kAlertmanagerWebhook:
      return std::make_unique<AlertmanagerWebhookDecoder>(limits);
    case AlertFormat::kPagerDuty:
      return std::make_unique<PagerDutyDecoder>(limits);
    case AlertFormat::kGeneric:
      return nullptr;
  }
  return nullptr;
}

std::unique_ptr<Decoder> MakeGenericDecoder(const GenericMapping& mapping, const Limits& limits) {
  return std::make_unique<GenericDecoder>(mapping, limits);
}

}  // namespace incidentd::decode
