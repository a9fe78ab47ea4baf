// Logging: spdlog set up once for the process.
//
// Lines go to stderr as "2026-11-26T12:00:00.123Z level message", UTC. Nothing logs per alert at info level or
// above: per-request problems are debug, and a flood of them is summarised by the metrics.
#pragma once

#include <string>

namespace incidentd::observability {

// REQUIRES: level is one of trace, debug, info, warn, error, critical, off.
void SetUpLogging(const std::string& level);

}  // namespace incidentd::observability
