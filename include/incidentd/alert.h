// Alert: an alert as the engine keeps it, identified by its fingerprint.
//
// Labels are the identity (their fingerprint; the PagerDuty format uses its dedup key instead), annotations are the
// description and may change with each refresh. An alert is firing until it is resolved: an explicit resolve, ends_at
// passing, or resolve_timeout passing without a refresh.
//
// Ownership: the engine's alert store owns alerts and the symbol table their label sets point into.
#pragma once

#include <cstdint>

#include "incidentd/alert_batch.h"
#include "incidentd/clock.h"
#include "incidentd/label.h"
#include "incidentd/label_set.h"

namespace incidentd {

enum class AlertStatus : uint8_t { kFiring, kResolved };
std::string_view StatusName(AlertStatus s);  // "firing" / "resolved"

struct Alert {
  // Layout, for the engine's million-alert store: the fields a refresh reads and writes come first and fill 64 bytes;
  // two 4-byte counters sit in the label sets' tail padding ([[no_unique_address]] lets the next member use it).
  // 96 bytes on x86-64 (alert_store.cc checks).
  [[no_unique_address]] LabelSet labels;
  uint32_t duplicates = 0;  // receptions after the first, saturating at UINT32_MAX
  Fingerprint fingerprint;
  uint64_t content_digest = 0;  // of annotations and generator_url (AlertStore::StoredDigest: and labels)
  Time starts_at{};
  Time ends_at{};     // when it resolves (kGiven, kTimeout) or resolved; kZeroTime while kNever and firing
  Time updated_at{};  // last received (refresh)
  AlertStatus status = AlertStatus::kFiring;
  AlertFormat format = AlertFormat::kPrometheus;
  EndsAtKind ends_kind = EndsAtKind::kTimeout;
  bool acknowledged = false;
  bool fingerprint_of_labels = false;  // the fingerprint is the hash of the labels (AlertInput's meaning)
  [[no_unique_address]] LabelSet annotations;
  uint32_t incident = UINT32_MAX;  // the engine's slot of the latest incident it joined; UINT32_MAX: none
  Symbol generator_url;
  Time first_seen{};  // first received
};

}  // namespace incidentd
