// RFC 3339 timestamps, as Prometheus and Alertmanager write them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "incidentd/clock.h"

namespace incidentd {

// Parses "2026-01-02T15:04:05Z", "…05.123Z", "…05.123456789+02:00" (fraction up to 9 digits; 't'/'z' accepted as
// RFC 3339 allows). Go's zero time "0001-01-01T00:00:00Z" gives kZeroTime. nullopt for anything else, including
// out-of-range fields such as month 13 or Feb 30 and times outside 1678..2262 (64-bit nanoseconds).
std::optional<Time> ParseRfc3339(std::string_view s);

// "2026-01-02T15:04:05.123Z": UTC with milliseconds, the shape of Alertmanager's API v2.
void AppendRfc3339Millis(std::string& out, Time t);
// "2026-01-02T15:04:05.123456789Z" with trailing zeros trimmed: Go's time.Time in JSON.
void AppendRfc3339Nano(std::string& out, Time t);
std::string FormatRfc3339Millis(Time t);

}  // namespace incidentd
