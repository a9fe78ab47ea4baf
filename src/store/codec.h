// Codec: the state store's keys and values.
//
// Every value starts with its format version (one byte, kFormat); a reader refuses a version it does not know, so a
// store written by a newer incidentd is never misread. Integers are little-endian varints, times are 8 bytes of
// nanoseconds since the epoch, strings are a varint length and the bytes. Keys are big-endian, so RocksDB's order is
// the ids' order: an incident's members and timeline sit together under its 16-byte id.
//
// A record kind grows by appending: fields added after its first layout form an optional trailing section, which a
// decoder reads when present and otherwise fills with defaults, so the same kFormat reads both. An older incidentd
// refuses a record with the section (trailing bytes) rather than misreading it.
//
// Decoders return false on any malformed record (too short, a bad enum, trailing bytes, a section cut short); the
// store reports which. REQUIRES: the output is default-constructed (lists are appended to).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/changes.h"
#include "engine/silences.h"
#include "incidentd/alert.h"
#include "incidentd/incident.h"
#include "incidentd/notification.h"
#include "notify/outbox.h"

namespace incidentd::store {

inline constexpr uint8_t kFormat = 1;

// Keys.
std::string AlertKey(Fingerprint fp);
bool ParseAlertKey(std::string_view key, Fingerprint* fp);
std::string IncidentKeyBytes(engine::IncidentKey k);                      // 16 bytes
bool ParseIncidentKey(std::string_view key, engine::IncidentKey* k);      // the first 16 bytes
std::string MemberKeyBytes(engine::IncidentKey k, Fingerprint fp);        // 24 bytes
std::string TimelineKey(engine::IncidentKey k, uint64_t ordinal);         // 24 bytes
std::string LogKey(Time finished_at, std::string_view notification_key);  // 8 bytes of time, then the key
std::string TimeKey(Time t);                                              // the 8-byte prefix of LogKey

// An alert record: the alert and the incidents it is in.
void EncodeAlert(const Alert& a, const std::vector<engine::IncidentKey>& memberships, std::string* out);
struct DecodedAlert {
  Alert alert;                             // without its label sets
  std::vector<Label> labels, annotations;  // views into the record
  std::string_view generator_url;
  std::vector<engine::IncidentKey> memberships;
};
bool DecodeAlert(std::string_view value, Fingerprint fp, DecodedAlert* out);

// An incident's own fields (members and timeline are records of their own). Counts derived from members (firing,
// firing_acknowledged, firing_by_priority, flapping) are not stored: they are counted again from the members on
// recovery (flapping by the engine, in Incidents::Restore).
// The correlation fields (triggered_at, major, symptom_of, symptoms, problem, held) are the trailing
// section; a record without it decodes with their defaults and triggered_at = created_at.
void EncodeIncident(const Incident& inc, std::string* out);
bool DecodeIncident(std::string_view value, engine::IncidentKey key, Incident* out);
// A member's trailing byte is its flapping flag; a record without it is not flapping.
void EncodeMember(const IncidentMember& m, std::string* out);
bool DecodeMember(std::string_view value, IncidentMember* out);
void EncodeTimelineEntry(const TimelineEntry& e, std::string_view detail, std::string* out);
// Sets e.detail to the index of its text in `details`, which it appends to.
bool DecodeTimelineEntry(std::string_view value, TimelineEntry* e, std::vector<std::string>* details);

// A source's position (the last offset applied from a Kafka partition), in "meta" under PositionKey(stream).
std::string PositionKey(std::string_view stream);
void EncodePosition(int64_t offset, std::string* out);
bool DecodePosition(std::string_view value, int64_t* offset);

void EncodeSilence(const engine::Silence& s, std::string* out);
bool DecodeSilence(std::string_view value, std::string_view id, engine::Silence* out);

// A decided notification, with the incident's snapshot it renders.
void EncodeNotification(const Notification& n, std::string* out);
bool DecodeNotification(std::string_view value, Notification* out);
void EncodeDeliveryRecord(const notify::DeliveryRecord& r, std::string* out);
bool DecodeDeliveryRecord(std::string_view value, notify::DeliveryRecord* out);

}  // namespace incidentd::store
