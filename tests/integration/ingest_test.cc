// The three intake formats and the generic webhook end to end: POST, then GET /api/v2/alerts.
#include <gtest/gtest.h>

#include <regex>

#include "integration/daemon_fixture.h"

namespace incidentd::testing {
namespace {

namespace http = boost::beast::http;

TEST_F(DaemonTest, PrometheusAlertShowsUpWithAlertmanagersFingerprint) {
  StartWith();
  TestClient c = Client();
  HttpResult r = c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"Watchdog"},
      "annotations":{"summary":"always firing"},"generatorURL":"http://prom:9090/graph"}])");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(r.keep_alive);

  auto alerts = Alerts(c).get_array();
  ASSERT_EQ(alerts.size(), 1u);
  auto a = alerts.at(0);
  EXPECT_EQ(std::string_view(a["fingerprint"]), "003b0a0f7d3fa569");
  EXPECT_EQ(std::string_view(a["labels"]["alertname"]), "Watchdog");
  EXPECT_EQ(std::string_view(a["annotations"]["summary"]), "always firing");
  EXPECT_EQ(std::string_view(a["status"]["state"]), "active");
  EXPECT_EQ(std::string_view(a["generatorURL"]), "http://prom:9090/graph");
  EXPECT_EQ(a["status"]["silencedBy"].get_array().size(), 0u);
  // startsAt is when it arrived (the fake clock); endsAt is resolve_timeout later.
  std::string starts{std::string_view(a["startsAt"])};
  std::string ends{std::string_view(a["endsAt"])};
  EXPECT_EQ(starts, "2026-05-28T20:26:40.000Z");
  EXPECT_EQ(ends, "2026-05-28T20:31:40.000Z");
}

TEST_F(DaemonTest, RefreshesDeduplicateByFingerprint) {
  StartWith();
  TestClient c = Client();
  const std::string body =
      R"([{"labels":{"alertname":"A","instance":"x"}},{"labels":{"instance":"x","alertname":"A"}}])";
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.Post("/api/v2/alerts", body).status, 200u);
  EXPECT_EQ(Alerts(c).get_array().size(), 1u);
  HttpResult m = c.Get("/metrics");
  EXPECT_NE(m.body.find("incidentd_alerts_received_total{source=\"http\",format=\"prometheus\"} 10"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("incidentd_engine_alerts_total{change=\"new\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("incidentd_engine_alerts_total{change=\"refreshed\"} 9\n"), std::string::npos);
  EXPECT_NE(m.body.find("incidentd_alerts_active 1\n"), std::string::npos);
}

TEST_F(DaemonTest, ListFiltersWithAlertmanagerMatchers) {
  StartWith();
  TestClient c = Client();
  ASSERT_EQ(
      c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"A","job":"api"}},{"labels":{"alertname":"B","job":"web"}},
      {"labels":{"alertname":"C","job":"api-2"}}])")
          .status,
      200u);
  EXPECT_EQ(Alerts(c, "?filter=job%3D%22api%22").get_array().size(), 1u);
  EXPECT_EQ(Alerts(c, "?filter=job%3D~%22api.*%22").get_array().size(), 2u);
  EXPECT_EQ(Alerts(c, "?filter=job%3D~%22api.*%22&filter=alertname!%3D%22A%22").get_array().size(), 1u);
  EXPECT_EQ(Alerts(c, "?filter=%7Bjob!~%22api%22%7D").get_array().size(), 2u);
  HttpResult r = c.Get("/api/v2/alerts?filter=job~api");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("query parameter filter: matcher 'job~api': expected one of"), std::string::npos) << r.body;
}

TEST_F(DaemonTest, ResolveTimeoutAndEndsAtResolve) {
  StartWith("resolve_timeout: 1m\n");
  TestClient c = Client();
  ASSERT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"A"}},{"labels":{"alertname":"B"}}])").status, 200u);
  // B is resolved by its sender: endsAt in the past.
  ASSERT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"B"},"endsAt":"2020-01-01T00:00:00Z"}])").status, 200u);
  auto alerts = Alerts(c).get_array();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(std::string_view(alerts.at(0)["labels"]["alertname"]), "A");
  // A has no endsAt: it resolves once resolve_timeout passes without a refresh.
  clock_.Advance(std::chrono::seconds(59));
  daemon_->PokeEngine();
  EXPECT_EQ(Alerts(c).get_array().size(), 1u);
  clock_.Advance(std::chrono::seconds(1));
  daemon_->PokeEngine();
  EXPECT_EQ(Alerts(c).get_array().size(), 0u);
  EXPECT_EQ(Alerts(c, "?active=false").get_array().size(), 0u);
  EXPECT_EQ(c.Get("/api/v2/alerts?active=maybe").status, 400u);
}

TEST_F(DaemonTest, AlertmanagerWebhookForwarding) {
  StartWith();
  TestClient c = Client();
  const std::string firing = R"({"version":"4","groupKey":"{}:{alertname=\"Disk\"}","status":"firing",
    "receiver":"incidentd","groupLabels":{"alertname":"Disk"},"commonLabels":{},"commonAnnotations":{},
    "externalURL":"http://am:9093","truncatedAlerts":0,
    "alerts":[{"status":"firing","labels":{"alertname":"Disk","instance":"db1"},"annotations":{"summary":"full"},
      "startsAt":"2026-05-28T20:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/g",
      "fingerprint":"ignored"}]})";
  HttpResult r = c.Post("/api/v1/webhook/alertmanager", firing);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"status":"success","alerts":1})");
  auto alerts = Alerts(c).get_array();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(std::string_view(alerts.at(0)["startsAt"]), "2026-05-28T20:00:00.000Z");
  // Forwarded alerts do not time out: the upstream Alertmanager sends the resolve.
  clock_.Advance(std::chrono::hours(3));
  daemon_->PokeEngine();
  EXPECT_EQ(Alerts(c).get_array().size(), 1u);
  std::string resolved = std::regex_replace(firing, std::regex("\"status\":\"firing\""), "\"status\":\"resolved\"");
  r = c.Post("/api/v1/webhook/alertmanager", resolved);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(Alerts(c).get_array().size(), 0u);
}

TEST_F(DaemonTest, PagerDutyEventsV2) {
  StartWith();
  TestClient c = Client();
  HttpResult r = c.Post("/v2/enqueue", R"({"routing_key":"R0123456789abcdef0123456789abcdef","event_action":"trigger",
    "dedup_key":"disk-db1","payload":{"summary":"Disk full on db1","source":"db1","severity":"critical",
    "custom_details":{"free":"0%"}}})");
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(r.body, R"({"status":"success","message":"Event processed","dedup_key":"disk-db1"})");
  auto alerts = Alerts(c).get_array();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(std::string_view(alerts.at(0)["labels"]["dedup_key"]), "disk-db1");
  EXPECT_EQ(std::string_view(alerts.at(0)["labels"]["severity"]), "critical");
  EXPECT_EQ(last_body_.data() == nullptr, false);
  EXPECT_EQ(std::string_view(last_body_).find("R0123456789abcdef"), std::string_view::npos) << "routing key leaked";

  // A Prometheus alert with the same labels is another alert: it cannot take over or resolve the PagerDuty one.
  std::string integration{std::string_view(alerts.at(0)["labels"]["integration"])};
  ASSERT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"dedup_key":"disk-db1","integration":")" + integration +
                                         R"("},"endsAt":"2020-01-01T00:00:00Z"}])")
                .status,
            200u);
  auto after = Alerts(c).get_array();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(std::string_view(after.at(0)["annotations"]["summary"]), "Disk full on db1");

  r = c.Post("/v2/enqueue", R"({"routing_key":"R0123456789abcdef0123456789abcdef","event_action":"resolve",
    "dedup_key":"disk-db1"})");
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(Alerts(c).get_array().size(), 0u);

  r = c.Post("/v2/enqueue", R"({"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"bad"}})");
  EXPECT_EQ(r.status, 400u);
  simdjson::dom::parser p;
  simdjson::dom::element e = p.parse(r.body);
  EXPECT_EQ(std::string_view(e["status"]), "invalid event");
  EXPECT_EQ(std::string_view(e["message"]), "Event object is invalid");
  EXPECT_GE(e["errors"].get_array().size(), 1u);

  // Errors from the shared limits name the field the PagerDuty way.
  r = c.Post("/v2/enqueue", R"({"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":")" +
                                std::string(3000, 'h') + R"(","severity":"info"}})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("'payload.source' value longer than"), std::string::npos) << r.body;
}

TEST_F(DaemonTest, GenericWebhookMapping) {
  StartWith(R"(generic_webhooks:
  - name: zabbix
    labels: {alertname: /trigger, instance: /host}
    annotations: {summary: /message}
    static_labels: {source: zabbix}
    status: /value
    resolved_values: ["0"]
    starts_at: /clock
    resolve_timeout: 0s
)");
  TestClient c = Client();
  HttpResult r = c.Post("/api/v1/webhook/zabbix",
                        R"({"trigger":"High CPU","host":"web1","message":"cpu 99%","value":"1","clock":1780000000})");
  EXPECT_EQ(r.status, 200u) << r.body;
  auto alerts = Alerts(c).get_array();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(std::string_view(alerts.at(0)["labels"]["source"]), "zabbix");
  EXPECT_EQ(std::string_view(alerts.at(0)["labels"]["instance"]), "web1");
  EXPECT_EQ(std::string_view(alerts.at(0)["startsAt"]), "2026-05-28T20:26:40.000Z");
  r = c.Post("/api/v1/webhook/zabbix", R"({"trigger":"High CPU","host":"web1","value":"0"})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(Alerts(c).get_array().size(), 0u);
  r = c.Post("/api/v1/webhook/nagios", "{}");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("no generic webhook named 'nagios'"), std::string::npos);
}

}  // namespace
}  // namespace incidentd::testing
