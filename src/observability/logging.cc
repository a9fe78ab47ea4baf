#include "observability/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace incidentd::observability {

void SetUpLogging(const std::string& level) {
  static bool once = [] {
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
