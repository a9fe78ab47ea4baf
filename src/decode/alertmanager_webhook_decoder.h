// AlertmanagerWebhookDecoder: the body of `POST /api/v1/webhook/alertmanager`, Alertmanager's webhook payload v4.
//
// This is how an existing Alertmanager forwards its notifications to incidentd. The body is an object; `version`, if
// present, must be "4"; `alerts` (required) is an array of alerts in ReadPromAlert's webhook dialect. Other top-level
// fields (groupKey, receiver, groupLabels, commonLabels, ...) are ignored: they are derived from the alerts.
//
// Mapping: status "resolved" -> kResolve with ends_kind kGiven and ends_at = endsAt (kZeroTime, i.e. "now", when
// absent). "firing" or absent -> kFire with ends_kind kNever: the upstream Alertmanager re-sends only every
// repeat_interval and sends the resolve itself, so its endsAt must not expire the alert here. endsAt
// 0001-01-01T00:00:00Z (Go's zero time) means absent. The sender's fingerprint is ignored; it is recomputed from the
// labels (the same algorithm, so it matches unless the sender dropped labels).
//
// Thread rule: immutable; safe for concurrent use.
#pragma once

#include <string>

#include "decode/decoder.h"

namespace incidentd::decode {

class AlertmanagerWebhookDecoder final : public Decoder {
 public:
  explicit AlertmanagerWebhookDecoder(const Limits& limits) : limits_(limits) {}

  AlertFormat format() const override { return AlertFormat::kAlertmanagerWebhook; }
  const std::string& name() const override { return name_; }
  DecodeOutcome Decode(simdjson::padded_string_view body) const override;

 private:
  const Limits limits_;
  const std::string name_{FormatName(AlertFormat::kAlertmanagerWebhook)};
};

}  // namespace incidentd::decode
