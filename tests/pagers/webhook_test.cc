#include "pagers/webhook/webhook.h"

#include <gtest/gtest.h>

#include "pager_fixture.h"
#include "pagers/digest.h"

namespace incidentd::pagers {
namespace {

using namespace fixture;  // NOLINT: the fixture's helpers

const std::string kSecret = "s3cr3t-hmac";

TEST(WebhookTest, AlertmanagerPayloadPlusIncident) {
  auto p = Make(Receiver("audit", "webhook", {{"url", "https://audit.example/in"}}));
  auto s = MakeSnapshot(2);
  s->alerts.push_back(MakeAlert("PostgresDown", "db-9", AlertStatus::kResolved));
  s->alerts[2].labels.erase(s->alerts[2].labels.begin() + 1);  // no cluster label
  s->alerts_total = 5;
  s->state = IncidentState::kAcknowledged;
  s->acknowledged_at = At("2026-01-02T15:06:00Z");
  s->acknowledged_by = "alice";
  Notification n = MakeNotification(NotifyEvent::kAcknowledged, s, "audit");
  std::optional<HttpRequest> r = p->Render(n);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "https://audit.example/in");
  EXPECT_EQ(HeaderOf(*r, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(*r, "X-Incidentd-Event"), "acknowledged");
  EXPECT_EQ(HeaderOf(*r, "X-Incidentd-Delivery"), std::string(kIncidentId) + "/3/audit");
  EXPECT_EQ(HeaderOf(*r, "X-Incidentd-Signature"), "");

  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  EXPECT_EQ(Str(doc["version"]), "4");
  EXPECT_EQ(Str(doc["groupKey"]), "database:{cluster=\"eu1\", service=\"postgres\"}");
  EXPECT_EQ(Uint(doc["truncatedAlerts"]), 2u);
  EXPECT_EQ(Str(doc["status"]), "firing");
  EXPECT_EQ(Str(doc["receiver"]), "audit");
  EXPECT_EQ(Size(doc["groupLabels"]), 2u);
  EXPECT_EQ(Str(doc["groupLabels"]["service"]), "postgres");
  // Common to the three alerts: alertname and service, not cluster (the third lacks it) nor instance.
  EXPECT_EQ(Size(doc["commonLabels"]), 2u);
  EXPECT_EQ(Str(doc["commonLabels"]["alertname"]), "PostgresDown");
  EXPECT_EQ(Str(doc["commonLabels"]["service"]), "postgres");
  EXPECT_EQ(Size(doc["commonAnnotations"]), 1u);
  EXPECT_EQ(Str(doc["commonAnnotations"]["runbook_url"]), "https://runbooks.example/pg");
  EXPECT_EQ(Str(doc["externalURL"]), kExternalUrl);
  auto alerts = doc["alerts"];
  ASSERT_EQ(Size(alerts), 3u);
  EXPECT_EQ(Str(alerts.at(0)["status"]), "firing");
  EXPECT_EQ(Str(alerts.at(0)["labels"]["instance"]), "db-0");
  EXPECT_EQ(Str(alerts.at(0)["annotations"]["summary"]), "Postgres on db-0 is down");
  EXPECT_EQ(Str(alerts.at(0)["startsAt"]), "2026-01-02T15:00:00Z");
  EXPECT_EQ(Str(alerts.at(0)["endsAt"]), "0001-01-01T00:00:00Z");
  EXPECT_EQ(Str(alerts.at(0)["generatorURL"]), s->alerts[0].generator_url);
  EXPECT_EQ(Str(alerts.at(0)["fingerprint"]), s->alerts[0].fingerprint.ToString());
  EXPECT_EQ(Str(alerts.at(2)["status"]), "resolved");
  EXPECT_EQ(Str(alerts.at(2)["endsAt"]), "2026-01-02T15:30:00Z");

  EXPECT_EQ(Str(doc["event"]), "acknowledged");
  EXPECT_FALSE(Bool(doc["inform"]));
  EXPECT_EQ(Uint(doc["step"]), 1u);
  auto incident = doc["incident"];
  EXPECT_EQ(Str(incident["id"]), kIncidentId);
  EXPECT_EQ(Str(incident["state"]), "acknowledged");
  EXPECT_EQ(Str(incident["priority"]), "P1");
  EXPECT_EQ(Str(incident["title"]), "postgres down in eu1");
  EXPECT_EQ(Str(incident["rule"]), "database");
  EXPECT_EQ(Str(incident["policy"]), "db-oncall");
  EXPECT_EQ(Str(incident["url"]), std::string(kExternalUrl) + "/api/v1/incidents/" + std::string(kIncidentId));
  EXPECT_EQ(Str(incident["createdAt"]), "2026-01-02T15:04:05.123Z");
  EXPECT_EQ(Str(incident["acknowledgedAt"]), "2026-01-02T15:06:00.000Z");
  EXPECT_EQ(Str(incident["acknowledgedBy"]), "alice");
  EXPECT_FALSE(Has(incident["resolvedAt"]));
  EXPECT_FALSE(Has(incident["resolvedBy"]));
  EXPECT_EQ(Uint(incident["alertsFiring"]), 2u);
  EXPECT_EQ(Uint(incident["alertsTotal"]), 5u);
}

TEST(WebhookTest, EveryEventIsSent) {
  auto p = Make(Receiver("audit", "webhook", {{"url", "https://audit.example/in"}}));
  for (NotifyEvent e : AllEvents()) {
    auto s = MakeSnapshot();
    if (e == NotifyEvent::kResolved) {
      s->state = IncidentState::kResolved;
      s->resolved_at = At("2026-01-02T16:00:00Z");
      s->resolved_by = "all alerts resolved";
      s->alerts_firing = 0;
    }
    Notification n = MakeNotification(e, s);
    n.inform = e == NotifyEvent::kTriggered;
    std::optional<HttpRequest> r = p->Render(n);
    ASSERT_TRUE(r) << NotifyEventName(e);
    EXPECT_EQ(HeaderOf(*r, "X-Incidentd-Event"), NotifyEventName(e));
    simdjson::dom::parser parser;
    auto doc = Parse(parser, r->body);
    EXPECT_EQ(Str(doc["event"]), NotifyEventName(e));
    EXPECT_EQ(Bool(doc["inform"]), e == NotifyEvent::kTriggered);
    EXPECT_EQ(Str(doc["status"]), e == NotifyEvent::kResolved ? "resolved" : "firing");
    EXPECT_EQ(Str(doc["notification_reason"]), NotifyEventName(e));
    if (e == NotifyEvent::kResolved) {
      EXPECT_EQ(Str(doc["incident"]["resolvedBy"]), "all alerts resolved");
    }
  }
}

TEST(WebhookTest, SignedWithHmacSha256OfTheExactBody) {
  auto p = Make(Receiver("audit", "webhook", {{"url", "https://audit.example/in"}, {"hmac_secret", kSecret}}));
  std::optional<HttpRequest> r = p->Render(MakeNotification(NotifyEvent::kTriggered));
  ASSERT_TRUE(r);
  std::string_view signature = HeaderOf(*r, "X-Incidentd-Signature");
  ASSERT_TRUE(signature.starts_with("sha256="));
  EXPECT_EQ(signature.size(), 7u + 64u);
  EXPECT_EQ(signature.substr(7), HmacSha256Hex(kSecret, r->body));
  // The secret itself goes nowhere.
  EXPECT_EQ(r->body.find(kSecret), std::string::npos);
  for (const auto& [name, value] : r->headers) EXPECT_EQ(value.find(kSecret), std::string::npos) << name;

  // A known answer, computed with: echo -n '{"a":1}' | openssl dgst -sha256 -hmac 's3cr3t-hmac'
  EXPECT_EQ(HmacSha256Hex(kSecret, R"({"a":1})"), "37ce0c7cf1673fa413fbafca6430680ad6248ab9e965e133cc4f1cbd4913f3ed");
}

TEST(WebhookTest, TimeoutFromSettingOrContext) {
  auto p = Make(Receiver("a", "webhook", {{"url", "http://127.0.0.1:9/"}, {"timeout", "1m30s"}}));
  EXPECT_EQ(p->Render(MakeNotification(NotifyEvent::kTriggered))->timeout, std::chrono::seconds(90));
  PagerContext context = Context();
  context.default_timeout = std::chrono::seconds(4);
  auto q = Make(Receiver("b", "webhook", {{"url", "http://127.0.0.1:9/"}}), context);
  EXPECT_EQ(q->Render(MakeNotification(NotifyEvent::kTriggered))->timeout, std::chrono::seconds(4));
}

TEST(WebhookTest, NoAlertsAndNoSnapshot) {
  auto p = Make(Receiver("a", "webhook", {{"url", "http://127.0.0.1:9/"}}), PagerContext{});
  auto s = MakeSnapshot(0);
  s->alerts_total = 7;
  simdjson::dom::parser parser;
  std::string body = p->Render(MakeNotification(NotifyEvent::kRepeated, s))->body;
  auto doc = Parse(parser, body);
  EXPECT_EQ(Size(doc["alerts"]), 0u);
  EXPECT_EQ(Uint(doc["truncatedAlerts"]), 7u);
  EXPECT_EQ(Size(doc["commonLabels"]), 2u);  // the group labels stand in
  EXPECT_EQ(Size(doc["commonAnnotations"]), 0u);
  EXPECT_EQ(Str(doc["externalURL"]), "");
  EXPECT_FALSE(Has(doc["incident"]["url"]));

  Notification n = MakeNotification(NotifyEvent::kTriggered);
  n.incident = nullptr;
  simdjson::dom::parser parser2;
  std::string bare = p->Render(n)->body;
  auto doc2 = Parse(parser2, bare);
  EXPECT_EQ(Str(doc2["incident"]["id"]), kIncidentId);
  EXPECT_EQ(Str(doc2["incident"]["title"]), "postgres down in eu1");
}

TEST(WebhookTest, JudgeRedactsSecretsAndQueryTokens) {
  auto p = Make(Receiver("a", "webhook", {{"url", "https://h.example/in?token=tok-123456"}, {"hmac_secret", kSecret}}));
  HttpResponse r;
  r.status = 403;
  r.body = "bad signature for " + kSecret + " on /in?token=tok-123456";
  Judgement j = p->Judge(r, Time{});
  EXPECT_EQ(j.error, "HTTP 403: bad signature for <redacted> on /in?<redacted>");
}

}  // namespace
}  // namespace incidentd::pagers
