#include "observability/logging.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

namespace incidentd::observability {

bool StderrIsTheJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");  // "DEVICE:INODE" of the stream systemd connected
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

void SetUpLogging(const std::string& level) {
  static bool once = [] {
    if (StderrIsTheJournal()) {
      // Native journal entries: PRIORITY from the level, SYSLOG_IDENTIFIER=incidentd; the journal keeps the time.
      spdlog::set_default_logger(spdlog::systemd_logger_mt("incidentd", "incidentd"));
      return true;
    }
    auto logger = spdlog::stderr_logger_mt("incidentd");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    return true;
  }();
  (void)once;
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::warn);
}

}  // namespace incidentd::observability
