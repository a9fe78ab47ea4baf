// Factories for the decoders, so callers (HTTP routes, Kafka topics, config) depend only on decoder.h.
//
// Thread rule: the returned decoders are immutable and safe for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "decode/generic_mapping.h"

namespace incidentd::decode {

// The decoder of a fixed wire format; nullptr for AlertFormat::kGeneric, which needs a mapping. one_alert_alone: the
// prometheus decoder also takes a body that is one alert object, not an array (Kafka messages; HTTP refuses it, as
// Alertmanager does).
std::unique_ptr<Decoder> MakeDecoder(AlertFormat format, const Limits& limits, bool one_alert_alone = false);

// The decoder a format name stands for: "prometheus", "alertmanager-webhook", "pagerduty" or "generic:NAME" (one of
// `mappings`); nullptr for any other name.
std::unique_ptr<Decoder> MakeNamedDecoder(const std::string& name, const Limits& limits,
                                          const std::vector<GenericMapping>& mappings, bool one_alert_alone = false);

// The decoder of one generic webhook. REQUIRES: a mapping config loading accepted.
std::unique_ptr<Decoder> MakeGenericDecoder(const GenericMapping& mapping, const Limits& limits);

}  // namespace incidentd::decode
