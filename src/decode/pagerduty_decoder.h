// PagerDutyDecoder: the body of `POST /v2/enqueue`, one PagerDuty Events API v2 event, so that anything that pages
// PagerDuty can page incidentd instead.
//
// The event is validated as PagerDuty does, with PagerDuty's wording in FieldError.reason ("'routing_key' is missing
// or blank", "'payload.severity' is invalid", ...), field = the dotted name, index 0.
//
// The routing key is a secret: it is never copied into a label, an annotation, an error or a log. The alert carries
// instead `integration`, 16 hex digits of FNV-1a-64 over the routing key's bytes: a non-reversible id of the PagerDuty
// service, so that one dedup_key sent to two integration keys stays two alerts.
//
// Mapping. The fingerprint is FingerprintBuilder over {"" = "pagerduty", dedup_key, integration} only, so acknowledge
// and resolve events (which carry only routing_key, dedup_key and event_action) hit the alert their trigger created;
// the leading pair, with an empty name no label set can have, keeps it apart from every other format's fingerprints.
//  - trigger: labels {alertname: payload.summary (cut to 1024 characters, and to max_label_value_bytes, at a UTF-8
//    boundary), severity, source, component, group, class (when present), dedup_key, integration}; annotations
//    summary (whole), custom_details, links, images (their raw JSON text), client, client_url; generator_url =
//    client_url; action kFire, ends_kind kNever, starts_at = payload.timestamp or kZeroTime. A trigger without
//    dedup_key gets a deterministic one, the 16-hex fingerprint of {class, component, group, integration, source,
//    summary} (those present), so that identical re-sent triggers deduplicate.
//  - acknowledge / resolve: labels {dedup_key, integration} only; kAcknowledge / kResolve, ends_kind kGiven, ends_at
//    kZeroTime (now). Their payload, if any, is ignored.
// DecodeOutcome::dedup_key is the key used, for PagerDuty's 202 answer.
//
// Thread rule: immutable; safe for concurrent use.
#pragma once

#include <string>

#include "decode/decoder.h"

namespace incidentd::decode {

class PagerDutyDecoder final : public Decoder {
 public:
  explicit PagerDutyDecoder(const Limits& limits) : limits_(limits) {}

  AlertFormat format() const override { return AlertFormat::kPagerDuty; }
  const std::string& name() const override { return name_; }
  DecodeOutcome Decode(simdjson::padded_string_view body) const override;

 private:
  const Limits limits_;
  const std::string name_{FormatName(AlertFormat::kPagerDuty)};
};

}  // namespace incidentd::decode
