// Factories for the decoders, so callers (HTTP routes, Kafka topics, config) depend only on decoder.h.
//
// Thread rule: the returned decoders are immutable and safe for concurrent use.
#pragma once

#include <memory>

#include "decode/decoder.h"
#include "decode/generic_mapping.h"

namespace incidentd::decode {

// The decoder of a fixed wire format; nullptr for AlertFormat::kGeneric, which needs a mapping.
std::unique_ptr<Decoder> MakeDecoder(AlertFormat format, const Limits& limits);

// The decoder of one generic webhook. REQUIRES: a mapping config loading accepted.
std::unique_ptr<Decoder> MakeGenericDecoder(const GenericMapping& mapping, const Limits& limits);

}  // namespace incidentd::decode
