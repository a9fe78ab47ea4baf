// Replay: runs the engine on recorded alerts, with time taken from the records, and prints what it would have done.
//
// Input: JSON lines {"at": "<RFC 3339>", "format": "prometheus" | "alertmanager-webhook" | "pagerduty" |
// "generic:NAME", "body": <the payload as the sender posted it>}, in time order. Records with the same `at` form
// one tick, as requests arriving together do in the daemon; the engine's timers fire at their exact times in
// between. After the last record, time runs on to `until` (default: the last record plus the longest group_wait,
// so the last group gets its first page).
//
// Output, JSON lines: each notification as it is decided ({"type":"notification", "at", "receiver", "incident",
// "event", "inform", "priority", "title"}), then every incident's final state in the API's shape with
// "type":"incident", oldest first. A record that does not decode is reported on `err` with its line and skipped, as
// the daemon answers 400 and changes nothing.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "config/config.h"
#include "incidentd/clock.h"

namespace incidentd::server {

struct ReplayOptions {
  std::string input_path;     // "-": standard input
  std::optional<Time> until;  // run the timers up to here after the last record
};

// Returns the exit code: 0 done (even with skipped records), 1 when the input cannot be read or goes back in time.
int RunReplay(const config::Config& config, const ReplayOptions& options, std::istream& in, std::ostream& out,
              std::ostream& err);

}  // namespace incidentd::server
