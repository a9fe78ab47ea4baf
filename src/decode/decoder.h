// Decoder: bytes of one wire format -> an AlertBatch, or precise errors. One implementation per format.
//
// Decoders run on the I/O threads (and the Kafka poll thread), in parallel; they read no clock and keep no state
// between calls, so the same bytes always decode the same way (golden tests rely on that). "Now"-dependent meaning
// (a missing startsAt, resolve_timeout) is left to the engine through AlertInput's fields.
//
// A batch is all or nothing: if any alert is invalid the outcome carries errors and its batch must not be applied.
//
// Thread rule: a Decoder is immutable after construction and safe for concurrent use; each thread parses with its own
// thread-local simdjson parser.
#pragma once

#include <simdjson.h>

#include <string>
#include <vector>

#include "incidentd/alert_batch.h"

namespace incidentd::decode {

// Bounds on what one request may carry. Defaults are generous for real senders and cap what a bad one can cost.
struct Limits {
  size_t max_alerts = 10000;                  // alerts per request/message
  size_t max_labels = 64;                     // labels per alert
  size_t max_annotations = 64;                // annotations per alert
  size_t max_name_bytes = 256;                // label and annotation names
  size_t max_label_value_bytes = 2048;        // label values
  size_t max_annotation_value_bytes = 16384;  // annotation values (and generatorURL)
};

// One problem in the input. index is the alert's position in the request (-1: the request as a whole);
// field is a path inside that alert ("labels.instance", "startsAt") or inside the body ("alerts", "routing_key").
struct FieldError {
  int64_t index = -1;
  std::string field;
  std::string reason;

  // "alert 3: labels.instance: value is not valid UTF-8", "body: malformed JSON at byte 17: …".
  std::string ToString() const;
};

// At most this many errors are collected from one request; the rest are counted in `more_errors`.
inline constexpr size_t kMaxErrors = 10;

struct DecodeOutcome {
  AlertBatch batch;
  std::vector<FieldError> errors;
  size_t more_errors = 0;
  // PagerDuty only: the dedup key of the (single) event, to be echoed in the 202 answer.
  std::string dedup_key;

  bool ok() const { return errors.empty(); }
  // The first error and a count of the rest, one line.
  std::string Summary() const;
  void AddError(int64_t index, std::string field, std::string reason);
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual AlertFormat format() const = 0;
  // "prometheus", "alertmanager-webhook", "pagerduty" or "generic:NAME": the metrics' format label.
  virtual const std::string& name() const = 0;
  // REQUIRES: body has simdjson::SIMDJSON_PADDING readable bytes past its end (padded_string_view checks capacity).
  virtual DecodeOutcome Decode(simdjson::padded_string_view body) const = 0;
};

}  // namespace incidentd::decode
