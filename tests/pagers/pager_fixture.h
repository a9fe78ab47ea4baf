// Shared fixtures for the pagers' tests: a notification about a typical incident, receivers' settings, and a
// simdjson parser for the rendered bodies.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/rule_loader.h"
#include "model/rfc3339.h"
#include "pagers/pager.h"

namespace incidentd::pagers::fixture {

inline constexpr std::string_view kIncidentId = "01KB7Q2M3N4P5R6S7T8V9W0XYZ";
inline constexpr std::string_view kExternalUrl = "https://incidentd.example";

inline Time At(std::string_view rfc3339) { return *ParseRfc3339(rfc3339); }

inline AlertSnapshot MakeAlert(std::string alertname, std::string instance, AlertStatus status = AlertStatus::kFiring) {
  AlertSnapshot a;
  a.labels = {{"alertname", alertname}, {"cluster", "eu1"}, {"instance", instance}, {"service", "postgres"}};
  std::vector<Label> labels;
  for (const auto& [name, value] : a.labels) labels.push_back({name, value});
  a.fingerprint = Fingerprint::Of(labels);
  a.status = status;
  a.starts_at = At("2026-01-02T15:00:00Z");
  a.ends_at = status == AlertStatus::kResolved ? At("2026-01-02T15:30:00Z") : kZeroTime;
  a.annotations = {{"runbook_url", "https://runbooks.example/pg"}, {"summary", "Postgres on " + instance + " is down"}};
  a.generator_url = "http://prom:9090/graph?g0.expr=up%7Bjob%3D%22pg%22%7D";
  return a;
}

inline std::shared_ptr<IncidentSnapshot> MakeSnapshot(size_t alerts = 2) {
  auto s = std::make_shared<IncidentSnapshot>();
  s->id = std::string(kIncidentId);
  s->rule = "database";
  s->title = "postgres down in eu1";
  s->policy = "db-oncall";
  s->state = IncidentState::kTriggered;
  s->priority = 1;
  s->group_labels = {{"cluster", "eu1"}, {"service", "postgres"}};
  s->created_at = At("2026-01-02T15:04:05.123Z");
  for (size_t i = 0; i < alerts; ++i) s->alerts.push_back(MakeAlert("PostgresDown", "db-" + std::to_string(i)));
  s->alerts_firing = static_cast<uint32_t>(alerts);
  s->alerts_total = static_cast<uint32_t>(alerts);
  return s;
}

inline Notification MakeNotification(NotifyEvent event, std::shared_ptr<const IncidentSnapshot> s = MakeSnapshot(),
                                     std::string receiver = "r") {
  Notification n;
  n.at = At("2026-01-02T15:05:00Z");
  n.incident_id = s->id;
  n.receiver = std::move(receiver);
  n.event = event;
  n.state = s->state;
  n.priority = s->priority;
  n.title = s->title;
  n.seq = 3;
  n.step = 1;
  n.incident = std::move(s);
  return n;
}

inline const std::vector<NotifyEvent>& AllEvents() {
  static const std::vector<NotifyEvent> kEvents{
      NotifyEvent::kTriggered, NotifyEvent::kUpdated,  NotifyEvent::kRepeated, NotifyEvent::kAcknowledged,
      NotifyEvent::kResolved,  NotifyEvent::kReopened, NotifyEvent::kEscalated};
  return kEvents;
}

inline config::ReceiverConfig Receiver(std::string name, std::string type,
                                       std::vector<std::pair<std::string, std::string>> settings) {
  return config::ReceiverConfig{std::move(name), std::move(type), std::move(settings), "rules/a.yaml:7"};
}

inline PagerContext Context() {
  PagerContext c;
  c.external_url = std::string(kExternalUrl);
  return c;
}

// MakePager that must succeed.
inline std::unique_ptr<Pager> Make(const config::ReceiverConfig& rc, const PagerContext& context = Context()) {
  Result<std::unique_ptr<Pager>> p = MakePager(rc, context);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.status().message());
  return p.ok() ? std::move(*p) : nullptr;
}

inline std::string_view HeaderOf(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

// Parses a rendered body; the parser must outlive the element.
inline simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& body) {
  simdjson::dom::element doc;
  auto error = parser.parse(body).get(doc);
  EXPECT_EQ(error, simdjson::SUCCESS) << simdjson::error_message(error) << "\n" << body.substr(0, 2000);
  return doc;
}

using JsonValue = simdjson::simdjson_result<simdjson::dom::element>;

inline std::string Str(JsonValue e) {
  std::string_view s;
  auto error = e.get_string().get(s);
  EXPECT_EQ(error, simdjson::SUCCESS) << simdjson::error_message(error);
  return std::string(s);
}

inline uint64_t Uint(JsonValue e) {
  uint64_t v = 0;
  auto error = e.get_uint64().get(v);
  EXPECT_EQ(error, simdjson::SUCCESS) << simdjson::error_message(error);
  return v;
}

inline bool Bool(JsonValue e) {
  bool v = false;
  auto error = e.get_bool().get(v);
  EXPECT_EQ(error, simdjson::SUCCESS) << simdjson::error_message(error);
  return v;
}

inline size_t Size(JsonValue e) {
  simdjson::dom::array a;
  if (e.get_array().get(a) == simdjson::SUCCESS) return a.size();
  simdjson::dom::object o;
  if (e.get_object().get(o) == simdjson::SUCCESS) return o.size();
  ADD_FAILURE() << "not an array or object";
  return 0;
}

inline bool Has(JsonValue e) { return e.error() == simdjson::SUCCESS; }

inline size_t CountOf(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string_view::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

// The number of UTF-8 code points in s.
inline size_t Chars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace incidentd::pagers::fixture
