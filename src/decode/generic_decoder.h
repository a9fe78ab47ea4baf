// GenericDecoder: the body of `POST /api/v1/webhook/{name}`: any JSON, turned into alerts by a GenericMapping.
//
// Reads the body with simdjson's DOM API, which the mapping's JSON pointers need (random access). For each alert
// (see GenericMapping for `alerts`):
//  - labels: first the `labels` map (pointer -> scalar; an object or array there is an error naming the label; a
//    pointer that finds nothing or null leaves the label out), then the scalar members of the `labels_from` object
//    (objects, arrays and nulls in it are skipped) unless the map set that name, then `static_labels` for names still
//    unset. Strings are taken as they are; numbers and booleans as JSON text (integers exactly, other numbers in
//    their shortest round-trip form, so 1.50 becomes 1.5). Empty values are dropped before that precedence applies,
//    so a static label fills in for an empty mapped one. Then the rules every format shares (BatchBuilder).
//  - annotations: the same from `annotations` and `annotations_from`.
//  - status: a value in resolved_values -> kResolve with ends_kind kGiven, ends_at = the mapped ends_at or kZeroTime
//    (now); anything else, or nothing, -> kFire.
//  - starts_at / ends_at: an RFC 3339 string or Unix seconds (an integer or a fraction); null or nothing: absent.
//  - a firing alert with ends_at gets kGiven; else kNever if the mapping sets resolve_timeout to zero explicitly;
//    else kTimeout with resolve_timeout = mapping.resolve_timeout (zero: the engine's default).
// The batch's format is kGeneric, its format label "generic:NAME".
//
// Thread rule: immutable; safe for concurrent use.
#pragma once

#include <string>

#include "decode/decoder.h"
#include "decode/generic_mapping.h"
#include "incidentd/status.h"

namespace incidentd::decode {

class BatchBuilder;

class GenericDecoder final : public Decoder {
 public:
  // REQUIRES: a mapping as config loading checks it (names valid, pointers IsValidJsonPointer); a pointer that is not
  // RFC 6901 would find nothing.
  GenericDecoder(const GenericMapping& mapping, const Limits& limits);

  AlertFormat format() const override { return AlertFormat::kGeneric; }
  const std::string& name() const override { return name_; }  // "generic:NAME"
  DecodeOutcome Decode(simdjson::padded_string_view body) const override;

  const GenericMapping& mapping() const { return mapping_; }

 private:
  void DecodeDocument(simdjson::dom::element root, BatchBuilder& builder) const;
  void DecodeAlert(simdjson::dom::element alert, int64_t index, BatchBuilder& builder) const;
  void AddLabels(simdjson::dom::element alert, BatchBuilder& builder) const;
  void AddAnnotations(simdjson::dom::element alert, BatchBuilder& builder) const;

  const GenericMapping mapping_;
  const Limits limits_;
  const std::string name_;
};

}  // namespace incidentd::decode
