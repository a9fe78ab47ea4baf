// SkipValue: reads a JSON value that the decoder does not use, so that it is validated.
//
// simdjson On-Demand checks only what it reads: a value left unread is skipped by matching brackets, and garbage
// inside it ("tru", "[1,,2]", a bad escape) would go unnoticed. Decoders pass every ignored value through SkipValue
// so that a body is accepted only if it is JSON. Ignored values are few in real payloads (the webhook's group fields,
// an alert's fingerprint), so this costs little.
//
// Thread rule: pure function of its arguments.
#pragma once

#include <simdjson.h>

#include <string_view>

namespace incidentd::decode {

// True when v is a valid null (which it then consumes); false for anything else, including "nul", left unread.
bool IsNull(simdjson::ondemand::value& v);

// Reads v completely; returns the simdjson error of the first invalid part.
simdjson::error_code SkipValue(simdjson::ondemand::value v);

// SkipValue, and sets *raw to the value's JSON text in the body (without the whitespace after it). `doc` is the
// document v belongs to.
simdjson::error_code SkipValueRaw(simdjson::ondemand::value v, simdjson::ondemand::document& doc,
                                  std::string_view* raw);

}  // namespace incidentd::decode
