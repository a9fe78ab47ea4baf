// Pieces the pagers share when they render a notification: what an event asks of the receiver, text cut to a
// service's limits, links to the incident, label sets as Alertmanager prints them.
//
// Thread rule: pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "incidentd/notification.h"
#include "model/json_writer.h"

namespace incidentd::pagers {

// What a notification asks of a service that keeps its own incident (PagerDuty, Opsgenie).
enum class Action : uint8_t {
  kTrigger,      // open it, or add to it: triggered, reopened, escalated, updated, repeated
  kAcknowledge,  // acknowledged
  kResolve,      // resolved
};
Action ActionOf(NotifyEvent e);

// The incident to render: n.incident, or, when the engine left it unset, one made of n's own fields (no alerts).
std::shared_ptr<const IncidentSnapshot> SnapshotOf(const Notification& n);

// "P1".."P5"; a priority outside 1..5 is clamped into it.
std::string PriorityName(uint8_t priority);
// What a notification calls the incident: its title, else its rule, else its id.
std::string_view TitleOf(const IncidentSnapshot& s);

// s cut to at most max_chars code points (UTF-8). A cut text ends with `ellipsis` ("…" by default), counted within
// the limit. REQUIRES: max_chars > the code points of ellipsis.
std::string CutChars(std::string_view s, size_t max_chars, std::string_view ellipsis = "\u2026");
// The longest prefix of s of at most max_bytes bytes that does not split a UTF-8 sequence.
std::string_view CutBytes(std::string_view s, size_t max_bytes);

// "<external_url>/api/v1/incidents/<id>", or "" when external_url is empty.
std::string IncidentUrl(std::string_view external_url, std::string_view id);
// Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~): a path segment or a query
// value.
std::string PercentEncode(std::string_view s);

// {name="value", name="value"}, as Alertmanager (Go's model.LabelSet) prints a label set.
std::string FormatLabels(const StringPairs& labels);
// The value of the label `name`, or "".
std::string_view FindLabel(const StringPairs& labels, std::string_view name);
// {"name":"value",...}.
void WriteStringMap(JsonWriter& w, const StringPairs& pairs);
// An alert's time as Alertmanager writes it (Go's time.Time): "2026-01-02T15:04:05.5Z", and kZeroTime (not known) as
// "0001-01-01T00:00:00Z".
void WriteAlertTime(JsonWriter& w, Time t);

}  // namespace incidentd::pagers
