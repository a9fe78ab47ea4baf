#include "server/cli.h"

#include <fstream>
#include <iostream>
#include <ostream>

#include "config/config.h"
#include "model/rfc3339.h"
#include "observability/logging.h"
#include "server/daemon.h"
#include "server/kafka_setup.h"
#include "server/replay.h"

namespace incidentd::server {

std::string HelpText() {
  return std::string(
             "incidentd turns monitoring alerts into incidents and pages the right people.\n"
             "\n"
             "Usage:\n"
             "  incidentd [--config FILE] [--log-level LEVEL]   run the daemon\n"
             "  incidentd check-config [--config FILE]          validate the config and its rule files; on error\n"
             "                                                  print file:line:col: message and exit 1\n"
             "  incidentd replay [--config FILE] --input FILE [--until TIME]\n"
             "                                                  run the rules on recorded alerts (JSON lines\n"
             "                                                  {\"at\", \"format\", \"body\"}; FILE - is stdin) and\n"
             "                                                  print the pages and incidents as JSON lines\n"
             "  incidentd --version                             print the version\n"
             "  incidentd --help                                print this help\n"
             "\n"
             "Options:\n"
             "  --config FILE       the YAML config (default ") +
         kDefaultConfigPath +
         ")\n"
         "  --log-level LEVEL   trace, debug, info, warn, error, critical or off; overrides log_level\n"
         "  --input FILE        replay: the recorded alerts\n"
         "  --until TIME        replay: run the timers up to this RFC 3339 time after the last record\n"
         "                      (default: the last record plus the longest group_wait)\n"
         "\n"
         "The daemon takes alerts over HTTP and, with a kafka section, from Kafka topics as a consumer\n"
         "group. It keeps its state (alerts, incidents, silences, pending pages, Kafka positions) in RocksDB\n"
         "under data_dir and recovers it at start; it stops gracefully on SIGTERM or SIGINT and reloads its\n"
         "rules and receivers on SIGHUP.\n"
         "Configuration keys: docs/configuration.md; "
         "HTTP API: docs/api.md.\n";
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string command = "run";
  std::string config_path = kDefaultConfigPath;
  std::string log_level;
  std::string input, until_text;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) {
        err << "incidentd: " << a << " needs a value\n";
        return false;
      }
      *dst = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      out << HelpText();
      return 0;
    } else if (a == "--version") {
      out << "incidentd " << INCIDENTD_VERSION << "\n";
      return 0;
    } else if (a == "--config") {
      if (!value(&config_path)) return 2;
    } else if (a.starts_with("--config=")) {
      config_path = a.substr(9);
    } else if (a == "--log-level") {
      if (!value(&log_level)) return 2;
    } else if (a.starts_with("--log-level=")) {
      log_level = a.substr(12);
    } else if (a == "--input") {
      if (!value(&input)) return 2;
    } else if (a == "--until") {
      if (!value(&until_text)) return 2;
    } else if (i == 0 && (a == "check-config" || a == "replay")) {
      command = a;
    } else {
      err << "incidentd: unknown argument '" << a << "' (see incidentd --help)\n";
      return 2;
    }
  }
  if (!log_level.empty() && !config::ValidLogLevel(log_level)) {
    err << "incidentd: --log-level: must be one of trace, debug, info, warn, error, critical, off\n";
    return 2;
  }
  if (command != "replay" && (!input.empty() || !until_text.empty())) {
    err << "incidentd: --input and --until belong to replay (see incidentd --help)\n";
    return 2;
  }
  ReplayOptions replay;
  if (command == "replay") {
    if (input.empty()) {
      err << "incidentd: replay needs --input FILE\n";
      return 2;
    }
    replay.input_path = input;
    if (!until_text.empty()) {
      replay.until = ParseRfc3339(until_text);
      if (!replay.until) {
        err << "incidentd: --until: not an RFC 3339 time\n";
        return 2;
      }
    }
  }
  Result<config::Config> config = config::LoadConfig(config_path);
  if (!config.ok()) {
    err << config.status().message() << "\n";
    return 1;
  }
  if (command == "check-config") {
    // The receivers' settings too (URLs, timeouts), as the daemon checks them at start.
    Result<std::vector<std::unique_ptr<pagers::Pager>>> pagers = MakePagers(*config, "http://localhost");
    if (!pagers.ok()) {
      err << pagers.status().message() << "\n";
      return 1;
    }
    if (Status k = CheckKafka(*config); !k.ok()) {
      err << k.message() << "\n";
      return 1;
    }
    out << config_path << ": ok (" << config->rule_paths.size() << " rule files, " << pagers->size() << " receivers)\n";
    return 0;
  }
  if (command == "replay") {
    // Logs would mix with the output: only errors, on stderr.
    observability::SetUpLogging(log_level.empty() ? "error" : log_level);
    if (input == "-") return RunReplay(*config, replay, std::cin, out, err);
    std::ifstream file(input);
    if (!file) {
      err << "incidentd: --input: cannot read '" << input << "'\n";
      return 1;
    }
    return RunReplay(*config, replay, file, out, err);
  }
  if (!log_level.empty()) config->log_level = log_level;
  observability::SetUpLogging(config->log_level);
  return RunUntilSignal(std::move(*config));
}

}  // namespace incidentd::server
