// Config: the daemon's configuration file (YAML), loaded and validated whole.
//
// LoadConfig reads the file, checks every key (unknown keys, wrong types, bad durations and sizes are errors), expands
// `rule_files` globs relative to the file's directory and loads the rule files they match (config/rule_loader.h). The
// first error comes back as "file:line:col: message", the form `incidentd check-config` prints. A Config is a plain
// value; the daemon builds everything from one and never re-reads the file behind its back. docs/configuration.md
// documents every key.
#pragma once

#include <string>
#include <vector>

#include "config/kafka_config.h"
#include "config/rule_loader.h"
#include "decode/decoder.h"
#include "decode/generic_mapping.h"
#include "engine/rules.h"
#include "incidentd/clock.h"
#include "incidentd/status.h"

namespace incidentd::config {

struct HttpOptions {
  int io_threads = 2;                                    // Default: 2; REQUIRES: 1..64
  uint64_t max_body_bytes = 16 << 20;                    // larger bodies get 413
  uint64_t max_header_bytes = 16 << 10;                  // larger headers get 431
  Duration header_timeout = std::chrono::seconds(10);    // from first byte to the end of the header
  Duration body_timeout = std::chrono::seconds(30);      // to read the whole body
  Duration idle_timeout = std::chrono::seconds(120);     // keep-alive connection with no request
  Duration shutdown_timeout = std::chrono::seconds(10);  // in-flight requests get this long on SIGTERM
};

struct EngineOptions {
  uint64_t queue_capacity = 200000;                        // alerts waiting for the engine; beyond: 503
  Duration resolved_retention = std::chrono::minutes(15);  // resolved alerts are kept this long, then dropped
};

// Delivery of notifications to the receivers (src/notify).
struct NotifyOptions {
  uint64_t max_in_flight = 512;                        // requests at once, all receivers
  Duration initial_backoff = std::chrono::seconds(1);  // retry.initial_backoff; REQUIRES: > 0
  Duration max_backoff = std::chrono::minutes(1);      // retry.max_backoff; REQUIRES: >= initial_backoff
  uint64_t max_attempts = 50;                          // retry.max_attempts; then a dead letter
  Duration max_age = std::chrono::hours(1);            // retry.max_age: retries stop this long after the first
  Duration log_retention = std::chrono::hours(24);     // finished notifications are listed and remembered this long
  uint64_t max_connections_per_host = 16;              // keep-alive connections per receiver host
  std::string tls_ca_file;                             // extra PEM trust anchors; joined to the file's directory
};

// The state store (src/store): RocksDB under data_dir/state.
struct StorageOptions {
  bool sync = true;                                  // fsync each tick's write before answering
  Duration retention = std::chrono::hours(24 * 30);  // resolved incidents (and their timelines) are kept this long
};

struct Config {
  std::string path;                       // the file it was loaded from
  std::string listen = "127.0.0.1:9093";  // host:port or [v6]:port
  std::string data_dir = "/var/lib/incidentd";
  std::vector<std::string> rule_files;  // globs as written
  std::vector<std::string> rule_paths;  // the files they matched, sorted
  std::string log_level = "info";       // trace, debug, info, warn, error, critical, off
  Duration resolve_timeout = std::chrono::minutes(5);
  HttpOptions http;
  EngineOptions engine;
  decode::Limits limits;
  std::vector<decode::GenericMapping> generic_webhooks;
  std::string external_url;  // how users reach incidentd, for links in pages; empty: http://<listen>
  NotifyOptions notify;
  StorageOptions storage;
  KafkaConfig kafka;
  std::string api_tokens_file;            // `api.tokens_file`, joined to the file's directory; empty: no API auth
  incidentd::engine::RuleSet rules;       // the rule files merged in rule_paths order; every reference resolves
  std::vector<ReceiverConfig> receivers;  // their receivers' settings, parallel to rules.receivers
};

// Loads and validates path and the rule files. Relative data_dir, rule_files and api.tokens_file are taken relative to
// the file's directory.
Result<Config> LoadConfig(const std::string& path);

// Splits "host:port" / "[v6]:port"; an error names the value.
Status ParseListen(const std::string& listen, std::string* host, uint16_t* port);

bool ValidLogLevel(const std::string& level);

}  // namespace incidentd::config
