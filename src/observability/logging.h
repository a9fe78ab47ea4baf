// Logging: spdlog set up once for the process.
//
// Lines go to stderr as "2026-11-26T12:00:00.123Z level message", UTC, or — when systemd connected stderr to the
// journal (JOURNAL_STREAM names stderr) — straight to the journal as entries with the level's PRIORITY, so
// `journalctl -p warning` works. Nothing logs per alert at info level or above: per-request problems are debug, and
// a flood of them is summarised by the metrics.
#pragma once

#include <string>

namespace incidentd::observability {

// REQUIRES: level is one of trace, debug, info, warn, error, critical, off.
void SetUpLogging(const std::string& level);

// Whether JOURNAL_STREAM ("DEVICE:INODE") names this process's stderr: systemd started it with output to the journal.
bool StderrIsTheJournal();

}  // namespace incidentd::observability
