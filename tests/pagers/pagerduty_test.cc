#include "pagers/pagerduty/pagerduty.h"

#include <gtest/gtest.h>

#include "pager_fixture.h"

namespace incidentd::pagers {
namespace {

using namespace fixture;  // NOLINT: the fixture's helpers

const std::string kKey = "0123456789abcdef0123456789abcdef";

std::unique_ptr<Pager> PagerDuty(std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::vector<std::pair<std::string, std::string>> settings{{"routing_key", kKey}};
  settings.insert(settings.end(), extra.begin(), extra.end());
  return Make(Receiver("pd-db", "pagerduty", settings));
}

TEST(PagerDutyTest, TriggerEvent) {
  auto p = PagerDuty({{"component", "postgres"}});
  auto s = MakeSnapshot(2);
  s->alerts[1].generator_url = "http://prom:9090/graph?other";
  std::optional<HttpRequest> r = p->Render(MakeNotification(NotifyEvent::kTriggered, s));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->url, "https://events.pagerduty.com/v2/enqueue");
  EXPECT_EQ(HeaderOf(*r, "Content-Type"), "application/json");
  EXPECT_EQ(r->timeout, std::chrono::seconds(10));

  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  EXPECT_EQ(Str(doc["routing_key"]), kKey);
  EXPECT_EQ(Str(doc["event_action"]), "trigger");
  EXPECT_EQ(Str(doc["dedup_key"]), kIncidentId);
  auto payload = doc["payload"];
  EXPECT_EQ(Str(payload["summary"]), "[P1] postgres down in eu1");
  EXPECT_EQ(Str(payload["source"]), "incidentd");
  EXPECT_EQ(Str(payload["severity"]), "critical");
  EXPECT_EQ(Str(payload["timestamp"]), "2026-01-02T15:04:05.123Z");
  EXPECT_EQ(Str(payload["component"]), "postgres");
  EXPECT_EQ(Str(payload["group"]), "database");
  EXPECT_EQ(Str(payload["class"]), "PostgresDown");
  auto incident = payload["custom_details"]["incident"];
  EXPECT_EQ(Str(incident["id"]), kIncidentId);
  EXPECT_EQ(Str(incident["state"]), "triggered");
  EXPECT_EQ(Str(incident["priority"]), "P1");
  EXPECT_EQ(Str(incident["rule"]), "database");
  EXPECT_EQ(Str(incident["policy"]), "db-oncall");
  EXPECT_EQ(Uint(incident["step"]), 1u);
  EXPECT_EQ(Uint(incident["alerts_firing"]), 2u);
  EXPECT_EQ(Uint(incident["alerts_total"]), 2u);
  EXPECT_EQ(Str(incident["group_labels"]["cluster"]), "eu1");
  EXPECT_EQ(Str(payload["custom_details"]["event"]), "triggered");
  auto alerts = payload["custom_details"]["alerts"];
  ASSERT_EQ(Size(alerts), 2u);
  EXPECT_EQ(Str(alerts.at(0)["labels"]["instance"]), "db-0");
  EXPECT_EQ(Str(alerts.at(0)["annotations"]["summary"]), "Postgres on db-0 is down");
  EXPECT_EQ(Str(alerts.at(0)["status"]), "firing");
  EXPECT_EQ(Str(alerts.at(0)["startsAt"]), "2026-01-02T15:00:00Z");
  EXPECT_EQ(Str(alerts.at(0)["endsAt"]), "0001-01-01T00:00:00Z");
  EXPECT_EQ(Str(alerts.at(0)["fingerprint"]), s->alerts[0].fingerprint.ToString());
  EXPECT_FALSE(Has(payload["custom_details"]["alerts_dropped"]));
  auto links = doc["links"];
  ASSERT_EQ(Size(links), 3u);
  EXPECT_EQ(Str(links.at(0)["href"]), std::string(kExternalUrl) + "/api/v1/incidents/" + std::string(kIncidentId));
  EXPECT_EQ(Str(links.at(0)["text"]), "incidentd incident");
  EXPECT_EQ(Str(links.at(1)["href"]), s->alerts[0].generator_url);
  EXPECT_EQ(Str(links.at(1)["text"]), "PostgresDown");
  EXPECT_EQ(Str(links.at(2)["href"]), "http://prom:9090/graph?other");
  EXPECT_EQ(Str(doc["client"]), "incidentd");
  EXPECT_EQ(Str(doc["client_url"]), kExternalUrl);
  // The key is where it belongs and nowhere else.
  EXPECT_EQ(CountOf(r->body, kKey), 1u);
  EXPECT_EQ(r->url.find(kKey), std::string::npos);
  for (const auto& [name, value] : r->headers) EXPECT_EQ(value.find(kKey), std::string::npos) << name;
}

TEST(PagerDutyTest, EventActions) {
  auto p = PagerDuty();
  const std::pair<NotifyEvent, std::string> cases[] = {
      {NotifyEvent::kTriggered, "trigger"}, {NotifyEvent::kReopened, "trigger"},
      {NotifyEvent::kEscalated, "trigger"}, {NotifyEvent::kUpdated, "trigger"},
      {NotifyEvent::kRepeated, "trigger"},  {NotifyEvent::kAcknowledged, "acknowledge"},
      {NotifyEvent::kResolved, "resolve"},
  };
  for (const auto& [event, action] : cases) {
    std::optional<HttpRequest> r = p->Render(MakeNotification(event));
    ASSERT_TRUE(r) << action;
    simdjson::dom::parser parser;
    auto doc = Parse(parser, r->body);
    EXPECT_EQ(Str(doc["event_action"]), action);
    EXPECT_EQ(Str(doc["dedup_key"]), kIncidentId);
    EXPECT_EQ(Str(doc["routing_key"]), kKey);
    if (action != "trigger") {
      EXPECT_EQ(Size(JsonValue(simdjson::dom::element(doc))), 3u) << r->body;  // {routing_key, dedup_key, event_action}
    } else {
      EXPECT_EQ(Str(doc["payload"]["custom_details"]["event"]), NotifyEventName(event));
    }
  }
}

TEST(PagerDutyTest, SeverityFromPriority) {
  auto p = PagerDuty();
  const char* want[] = {"critical", "error", "warning", "info", "info"};
  for (uint8_t priority = 1; priority <= 5; ++priority) {
    auto s = MakeSnapshot();
    s->priority = priority;
    simdjson::dom::parser parser;
    std::string body = p->Render(MakeNotification(NotifyEvent::kTriggered, s))->body;
    auto doc = Parse(parser, body);
    EXPECT_EQ(Str(doc["payload"]["severity"]), want[priority - 1]);
    EXPECT_EQ(Str(doc["payload"]["summary"]), "[P" + std::to_string(priority) + "] postgres down in eu1");
  }
}

TEST(PagerDutyTest, SummaryCutAt1024CharactersUtf8Safe) {
  auto p = PagerDuty();
  auto s = MakeSnapshot();
  s->title.clear();
  for (int i = 0; i < 1500; ++i) s->title += "\xc3\xa9";  // é
  simdjson::dom::parser parser;                           // rejects invalid UTF-8
  std::string body = p->Render(MakeNotification(NotifyEvent::kTriggered, s))->body;
  auto doc = Parse(parser, body);
  std::string summary = Str(doc["payload"]["summary"]);
  EXPECT_EQ(Chars(summary), 1024u);
  EXPECT_TRUE(summary.starts_with("[P1] \xc3\xa9"));
  EXPECT_TRUE(summary.ends_with("\u2026"));
}

TEST(PagerDutyTest, BodyStaysUnder512000BytesDroppingAlertsFromTheEnd) {
  auto p = PagerDuty();
  auto s = MakeSnapshot(IncidentSnapshot::kMaxAlerts);
  for (size_t i = 0; i < s->alerts.size(); ++i) {
    s->alerts[i].annotations.emplace_back("description", std::string(20000, 'a' + i % 26));
    s->alerts[i].generator_url = "http://prom:9090/graph?g=" + std::to_string(i);
  }
  s->alerts_total = 250;
  std::optional<HttpRequest> r = p->Render(MakeNotification(NotifyEvent::kTriggered, s));
  ASSERT_TRUE(r);
  EXPECT_LE(r->body.size(), PagerDutyPager::kMaxEventBytes);
  EXPECT_GT(r->body.size(), PagerDutyPager::kMaxEventBytes - 25000);  // no more was dropped than needed
  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  auto details = doc["payload"]["custom_details"];
  size_t shown = Size(details["alerts"]);
  EXPECT_GT(shown, 0u);
  EXPECT_LT(shown, 100u);
  EXPECT_EQ(Uint(details["alerts_dropped"]), 100 - shown);
  EXPECT_EQ(Uint(details["incident"]["alerts_total"]), 250u);
  // The first alerts are kept.
  EXPECT_EQ(Str(details["alerts"].at(0)["labels"]["instance"]), "db-0");
  EXPECT_EQ(Size(doc["links"]), 6u);  // the incident and 5 alerts' sources
}

TEST(PagerDutyTest, HugeGroupLabelsLeaveOnlyTheId) {
  auto p = PagerDuty();
  auto s = MakeSnapshot(3);
  s->group_labels = {{"blob", std::string(600000, 'x')}};
  std::optional<HttpRequest> r = p->Render(MakeNotification(NotifyEvent::kTriggered, s));
  ASSERT_TRUE(r);
  EXPECT_LE(r->body.size(), PagerDutyPager::kMaxEventBytes);
  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  EXPECT_EQ(Str(doc["payload"]["custom_details"]["incident"]["id"]), kIncidentId);
  EXPECT_FALSE(Has(doc["payload"]["custom_details"]["alerts"]));
  EXPECT_TRUE(Has(doc["payload"]["custom_details"]["truncated"]));
  EXPECT_EQ(Str(doc["payload"]["summary"]), "[P1] postgres down in eu1");
}

TEST(PagerDutyTest, SettingsAndRateLimit) {
  auto p = PagerDuty({{"url", "https://events.eu.pagerduty.com/v2/enqueue"},
                      {"source", "prod-eu"},
                      {"rate_limit", "60"},
                      {"timeout", "3s"}});
  std::optional<HttpRequest> r = p->Render(MakeNotification(NotifyEvent::kTriggered));
  EXPECT_EQ(r->url, "https://events.eu.pagerduty.com/v2/enqueue");
  EXPECT_EQ(r->timeout, std::chrono::seconds(3));
  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  EXPECT_EQ(Str(doc["payload"]["source"]), "prod-eu");
  EXPECT_FALSE(Has(doc["payload"]["component"]));
  EXPECT_EQ(p->rate_limit().events, 60u);
  EXPECT_EQ(p->rate_limit().per, std::chrono::minutes(1));

  auto standard = PagerDuty();
  EXPECT_EQ(standard->rate_limit().events, 120u);
  EXPECT_EQ(PagerDuty({{"rate_limit", "0"}})->rate_limit().events, 0u);
  // One key, one limit, whatever the receivers are called; the key itself never shows.
  auto other = Make(Receiver("pd-other", "pagerduty", {{"routing_key", kKey}}));
  EXPECT_EQ(other->rate_key(), standard->rate_key());
  EXPECT_TRUE(standard->rate_key().starts_with("pagerduty:"));
  EXPECT_EQ(standard->rate_key().size(), 26u);
  EXPECT_EQ(standard->rate_key().find(kKey.substr(0, 8)), std::string::npos);
  auto different = Make(Receiver("pd-x", "pagerduty", {{"routing_key", "ffffffffffffffffffffffffffffffff"}}));
  EXPECT_NE(different->rate_key(), standard->rate_key());
}

TEST(PagerDutyTest, WithoutExternalUrlOrSnapshot) {
  auto p = Make(Receiver("pd", "pagerduty", {{"routing_key", kKey}}), PagerContext{});
  Notification n = MakeNotification(NotifyEvent::kTriggered);
  n.incident = nullptr;  // rendered from the notification's own fields
  std::optional<HttpRequest> r = p->Render(n);
  ASSERT_TRUE(r);
  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  EXPECT_EQ(Str(doc["dedup_key"]), kIncidentId);
  EXPECT_EQ(Str(doc["payload"]["summary"]), "[P1] postgres down in eu1");
  EXPECT_EQ(Size(doc["links"]), 0u);
  EXPECT_FALSE(Has(doc["client_url"]));
  EXPECT_FALSE(Has(doc["payload"]["class"]));
}

TEST(PagerDutyTest, JudgeShowsErrorsNeverTheKey) {
  auto p = PagerDuty();
  HttpResponse bad;
  bad.status = 400;
  bad.body = R"x({"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' )x"
             R"x(is incorrect (should be 32 characters)","unknown key )x" +
             kKey + R"x("]})x";
  Judgement j = p->Judge(bad, Time{});
  EXPECT_EQ(j.verdict, Verdict::kFailed);
  EXPECT_EQ(j.error,
            "HTTP 400: Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters); "
            "unknown key <redacted>");
  HttpResponse ok;
  ok.status = 202;
  ok.body = R"({"status":"success","message":"Event processed","dedup_key":"x"})";
  EXPECT_EQ(p->Judge(ok, Time{}).verdict, Verdict::kDelivered);
  HttpResponse throttled;
  throttled.status = 429;
  throttled.headers = {{"Retry-After", "30"}};
  Judgement t = p->Judge(throttled, Time{});
  EXPECT_EQ(t.verdict, Verdict::kRetry);
  EXPECT_EQ(t.retry_after, std::chrono::seconds(30));
}

}  // namespace
}  // namespace incidentd::pagers
