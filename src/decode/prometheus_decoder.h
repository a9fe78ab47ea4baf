// PrometheusDecoder: the body of `POST /api/v2/alerts`, what Prometheus sends to Alertmanager.
//
// The body is a JSON array of postableAlert objects (see ReadPromAlert for the fields). Each becomes an AlertInput
// with action kFire: with endsAt, ends_kind kGiven (the engine compares it with now: resolved once past); without,
// kTimeout with the engine's default resolve_timeout. With one_alert_alone (Kafka messages), a body that is a single
// alert object is taken as an array of one. A missing startsAt is kZeroTime ("when received"). The
// fingerprint is Alertmanager's, over the labels. endsAt before startsAt is an error, as in Alertmanager.
//
// Thread rule: immutable; safe for concurrent use.
#pragma once

#include <string>

#include "decode/decoder.h"

namespace incidentd::decode {

class PrometheusDecoder final : public Decoder {
 public:
  explicit PrometheusDecoder(const Limits& limits, bool one_alert_alone = false)
      : limits_(limits), one_alert_alone_(one_alert_alone) {}
  bool one_alert_alone() const { return one_alert_alone_; }

  AlertFormat format() const override { return AlertFormat::kPrometheus; }
  const std::string& name() const override { return name_; }
  DecodeOutcome Decode(simdjson::padded_string_view body) const override;

 private:
  const Limits limits_;
  const bool one_alert_alone_;
  const std::string name_{FormatName(AlertFormat::kPrometheus)};
};

}  // namespace incidentd::decode
