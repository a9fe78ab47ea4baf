// The generic mappings the decoder tests use; each names a directory under tests/testdata/decode/generic/.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "decode/generic_mapping.h"

namespace incidentd::decode::testing {

// Grafana's webhook contact point: Alertmanager-shaped alerts plus numeric `values`.
inline GenericMapping GrafanaMapping() {
  GenericMapping m;
  m.name = "grafana";
  m.alerts = "/alerts";
  m.labels_from = "/labels";
  m.annotations_from = "/annotations";
  m.annotations = {{"value_a", "/values/A"}, {"dashboard", "/dashboardURL"}};
  m.static_labels = {{"source", "grafana"}, {"severity", "warning"}};
  m.status = "/status";
  m.starts_at = "/startsAt";
  m.ends_at = "/endsAt";
  m.generator_url = "/generatorURL";
  m.resolve_timeout = std::chrono::minutes(5);
  m.resolve_timeout_set = true;
  return m;
}

// A Zabbix media type posting one event: numeric status (1 problem, 0 ok), Unix-seconds clocks, numeric values.
inline GenericMapping ZabbixMapping() {
  GenericMapping m;
  m.name = "zabbix";
  m.labels = {{"alertname", "/trigger/name"},
              {"host", "/host"},
              {"severity", "/trigger/severity"},
              {"trigger_id", "/trigger/id"},
              {"acknowledged", "/acknowledged"}};
  m.labels_from = "/tags";
  m.annotations = {{"value", "/item/value"}, {"description", "/trigger/description"}, {"event_id", "/event_id"}};
  m.status = "/value";
  m.resolved_values = {"0"};
  m.starts_at = "/clock";
  m.ends_at = "/recovery_clock";
  m.generator_url = "/url";
  m.resolve_timeout = std::chrono::nanoseconds(0);
  m.resolve_timeout_set = true;  // Zabbix sends its recovery: never time out
  return m;
}

// The body is the alert (or an array of them); for the edge cases.
inline GenericMapping BasicMapping() {
  GenericMapping m;
  m.name = "basic";
  m.labels = {{"alertname", "/name"}, {"instance", "/target/host"}, {"job", "/job"}};
  m.labels_from = "/labels";
  m.annotations = {{"summary", "/summary"}};
  m.static_labels = {{"source", "basic"}, {"instance", "unknown"}};
  m.status = "/state";
  m.resolved_values = {"ok", "resolved"};
  m.starts_at = "/started";
  m.ends_at = "/ended";
  m.generator_url = "/link";
  return m;  // resolve_timeout not set: the engine's default
}

inline std::optional<GenericMapping> TestMapping(const std::string& name) {
  if (name == "grafana") return GrafanaMapping();
  if (name == "zabbix") return ZabbixMapping();
  if (name == "basic") return BasicMapping();
  return std::nullopt;
}

}  // namespace incidentd::decode::testing
