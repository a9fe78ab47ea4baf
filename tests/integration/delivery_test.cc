// Pages delivered end to end: alerts into a real daemon, out to local HTTP sinks standing in for PagerDuty, a webhook
// and Slack. Escalation runs on the FakeClock; retries and backoff on real (short) time, waited for with deadlines.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "fakes/http_sink.h"
#include "integration/daemon_fixture.h"

namespace incidentd::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kRoutingKey[] = "R0UT1NGKEY0000000000000000000001";

class DeliveryTest : public DaemonTest {
 protected:
  // Policy db-oncall: PagerDuty first (ack within 5m), then the webhook (10m); Slack hears of everything.
  void Start(const std::string& extra_yaml = "") {
    std::string rules = R"(correlations:
  - name: db
    match: ['service="db"']
    group_by: [cluster]
    group_wait: 0s
    priority: P1
    title: "{{ alertname }} in {{ cluster }}"
    policy: db-oncall
policies:
  - name: db-oncall
    steps:
      - notify: [pd-primary]
        ack_timeout: 5m
      - notify: [hook-secondary]
        ack_timeout: 10m
    inform: [stakeholders]
receivers:
  - name: pd-primary
    type: pagerduty
    url: )" + pd_.url() +
                        R"(/v2/enqueue
    routing_key_file: pd.key
  - name: hook-secondary
    type: webhook
    url: )" + hook_.url() +
                        R"(/hook
    hmac_secret: s3cret
  - name: stakeholders
    type: slack
    url: )" + slack_.url() +
                        R"(/services/T0/B0/XYZ
)";
    pd_.SetDefault(SinkResponse(202, R"({"status":"success","message":"Event processed"})"));
    StartWithFiles({{"rules.yaml", rules}, {"pd.key", std::string(kRoutingKey) + "\n"}},
                   "rule_files: [rules.yaml]\nresolve_timeout: 1h\nexternal_url: https://incidentd.example.com\n"
                   "notify: {retry: {initial_backoff: 20ms, max_backoff: 100ms, max_attempts: 6}}\n" +
                       extra_yaml);
  }

  // Posts a firing db alert for cluster and returns the id of its incident once it exists.
  std::string Fire(TestClient& c, const std::string& cluster = "eu1") {
    HttpResult r = c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"PostgresDown","service":"db","cluster":")" +
                                                cluster + R"(","instance":"db-1"},"annotations":{"summary":"down"}}])");
    EXPECT_EQ(r.status, 200u) << r.body;
    std::string id;
    EXPECT_TRUE(WaitFor([&] {
      JsonDoc d(c.Get("/api/v1/incidents").body);
      for (simdjson::dom::element inc : d.root().get_array()) {
        if (JsonStr(inc["group_labels"]["cluster"]) == cluster) id = JsonStr(inc["id"]);
      }
      return !id.empty();
    }));
    return id;
  }

  static bool Arrived(HttpSink& sink, size_t n) {
    return sink.WaitForRequests(n, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  }

  // The notifications the outbox lists for `query` ("receiver=pd-primary").
  std::vector<std::string> Listed(TestClient& c, const std::string& query) {
    HttpResult r = c.Get("/api/v1/notifications?" + query);
    EXPECT_EQ(r.status, 200u) << r.body;
    JsonDoc d(r.body);
    std::vector<std::string> out;
    for (simdjson::dom::element n : d.root()["notifications"].get_array()) {
      out.push_back(JsonStr(n["event"]) + " " + JsonStr(n["state"]) + " " + std::to_string(uint64_t(n["attempts"])));
    }
    return out;
  }

  HttpSink pd_, hook_, slack_;
};

TEST_F(DeliveryTest, AlertToPagerDutyTriggerWithTheRightBody) {
  Start();
  TestClient c = Client();
  const std::string id = Fire(c);
  ASSERT_TRUE(Arrived(pd_, 1));
  SinkRequest req = pd_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v2/enqueue");
  EXPECT_EQ(req.Header("Content-Type"), "application/json");
  JsonDoc body(req.body);
  ASSERT_TRUE(body.ok()) << req.body;
  EXPECT_EQ(JsonStr(body.root()["routing_key"]), kRoutingKey);
  EXPECT_EQ(JsonStr(body.root()["event_action"]), "trigger");
  EXPECT_EQ(JsonStr(body.root()["dedup_key"]), id);
  EXPECT_NE(JsonStr(body.root()["payload"]["summary"]).find("PostgresDown in eu1"), std::string::npos);
  EXPECT_EQ(JsonStr(body.root()["payload"]["severity"]), "critical");
  EXPECT_FALSE(JsonStr(body.root()["payload"]["source"]).empty());
  std::string custom = simdjson::minify(body.root()["payload"]["custom_details"]);
  EXPECT_NE(custom.find("\"alertname\":\"PostgresDown\""), std::string::npos) << custom;
  std::string links = simdjson::minify(body.root()["links"]);
  EXPECT_NE(links.find("https://incidentd.example.com/api/v1/incidents/" + id), std::string::npos) << links;

  // The stakeholders hear of it on Slack; the webhook (step 2) has not been paged.
  ASSERT_TRUE(Arrived(slack_, 1));
  EXPECT_NE(slack_.requests()[0].body.find("PostgresDown in eu1"), std::string::npos);
  EXPECT_EQ(hook_.count(), 0u);
  EXPECT_TRUE(
      WaitFor([&] { return Listed(c, "receiver=pd-primary") == std::vector<std::string>{"triggered delivered 1"}; }));
  EXPECT_NE(
      c.Get("/metrics").body.find("incidentd_notifications_sent_total{receiver=\"pd-primary\",type=\"pagerduty\"} 1\n"),
      std::string::npos);
}

TEST_F(DeliveryTest, AckSendsAcknowledgeAndNoSecondStep) {
  Start();
  TestClient c = Client();
  const std::string id = Fire(c);
  ASSERT_TRUE(Arrived(pd_, 1));
  HttpResult r = c.Post("/api/v1/incidents/" + id + "/ack", "");
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_TRUE(Arrived(pd_, 2));
  JsonDoc ack(pd_.requests()[1].body);
  EXPECT_EQ(JsonStr(ack.root()["event_action"]), "acknowledge");
  EXPECT_EQ(JsonStr(ack.root()["dedup_key"]), id);
  EXPECT_EQ(JsonStr(ack.root()["routing_key"]), kRoutingKey);

  clock_.Advance(minutes(20));  // far past the first step's ack_timeout
  ASSERT_TRUE(daemon_->PokeEngine());
  EXPECT_TRUE(Listed(c, "receiver=hook-secondary").empty());  // decided synchronously: nothing was
  EXPECT_EQ(hook_.count(), 0u);
}

TEST_F(DeliveryTest, NoAckEscalatesToTheNextStepAfterAckTimeoutThenResolveReachesBoth) {
  Start();
  TestClient c = Client();
  const std::string id = Fire(c);
  ASSERT_TRUE(Arrived(pd_, 1));
  clock_.Advance(minutes(5) - seconds(1));
  ASSERT_TRUE(daemon_->PokeEngine());
  EXPECT_TRUE(Listed(c, "receiver=hook-secondary").empty());
  clock_.Advance(seconds(1));
  ASSERT_TRUE(daemon_->PokeEngine());
  ASSERT_TRUE(Arrived(hook_, 1)) << c.Get("/api/v1/notifications").body << c.Get("/api/v1/incidents/" + id).body;
  SinkRequest page = hook_.requests()[0];
  JsonDoc body(page.body);
  ASSERT_TRUE(body.ok()) << page.body;
  EXPECT_EQ(JsonStr(body.root()["event"]), "escalated");
  EXPECT_EQ(uint64_t(body.root()["step"]), 1u);
  EXPECT_EQ(JsonStr(body.root()["incident"]["id"]), id);
  EXPECT_EQ(JsonStr(body.root()["status"]), "firing");
  EXPECT_TRUE(page.Header("X-Incidentd-Signature").starts_with("sha256=")) << page.Header("X-Incidentd-Signature");
  JsonDoc incident(c.Get("/api/v1/incidents/" + id).body);
  EXPECT_EQ(TimelineEntries(incident.root(), "escalated").size(), 1u);

  ASSERT_EQ(c.Post("/api/v1/incidents/" + id + "/resolve", "").status, 200u);
  ASSERT_TRUE(Arrived(pd_, 2));
  ASSERT_TRUE(Arrived(hook_, 2));
  JsonDoc resolve(pd_.requests()[1].body);
  EXPECT_EQ(JsonStr(resolve.root()["event_action"]), "resolve");
  EXPECT_EQ(JsonStr(resolve.root()["dedup_key"]), id);
  JsonDoc hook_resolved(hook_.requests()[1].body);
  EXPECT_EQ(JsonStr(hook_resolved.root()["event"]), "resolved");
}

TEST_F(DeliveryTest, ResolvedAlertsResolveThePagerDutyIncidentWithTheSameKey) {
  Start();
  TestClient c = Client();
  const std::string id = Fire(c);
  ASSERT_TRUE(Arrived(pd_, 1));
  HttpResult r = c.Post("/api/v2/alerts",
                        R"([{"labels":{"alertname":"PostgresDown","service":"db","cluster":"eu1","instance":"db-1"},)"
                        R"("endsAt":"2020-01-01T00:00:00Z"}])");
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_TRUE(WaitFor([&] { return pd_.count() >= 2; }));
  JsonDoc resolve(pd_.requests()[1].body);
  EXPECT_EQ(JsonStr(resolve.root()["event_action"]), "resolve");
  EXPECT_EQ(JsonStr(resolve.root()["dedup_key"]), id);
}

TEST_F(DeliveryTest, ASinkThatFailsTheFirstAttemptsGetsExactlyOneDeliveredTrigger) {
  pd_.Enqueue(SinkResponse(503, "unavailable"));
  pd_.Enqueue(SinkResponse::CloseWithoutAnswer());
  pd_.Enqueue(SinkResponse(429, "slow down").Header("Retry-After", "0"));
  pd_.Enqueue(SinkResponse(500));
  Start();
  TestClient c = Client();
  Fire(c);
  // Four attempts: the connection closed without an answer was a kept-alive one, which the HTTP client retries
  // once on a fresh connection by itself (that retry met the 429).
  ASSERT_TRUE(WaitFor([&] {
    return Listed(c, "receiver=pd-primary") == std::vector<std::string>{"triggered delivered 4"};
  })) << c.Get("/api/v1/notifications").body;
  // Delivered is recorded only after the 2xx, and a delivered notification is never sent again: five requests
  // reached the sink, and only the last was answered 2xx.
  EXPECT_EQ(pd_.count(), 5u);
  for (const SinkRequest& r : pd_.requests()) EXPECT_EQ(r.body, pd_.requests()[0].body);
  std::string metrics = c.Get("/metrics").body;
  EXPECT_NE(metrics.find("incidentd_notifications_sent_total{receiver=\"pd-primary\",type=\"pagerduty\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("incidentd_notifications_retried_total{receiver=\"pd-primary\",type=\"pagerduty\"} 3\n"),
            std::string::npos);
}

TEST_F(DeliveryTest, AnAckDecidedWhileTheTriggerRetriesGoesOutAfterIt) {
  pd_.Enqueue(SinkResponse(503).Header("Retry-After", "1"));
  Start();
  TestClient c = Client();
  const std::string id = Fire(c);
  ASSERT_TRUE(Arrived(pd_, 1));
  ASSERT_EQ(c.Post("/api/v1/incidents/" + id + "/ack", "").status, 200u);  // the trigger waits for its retry
  ASSERT_TRUE(Arrived(pd_, 3));
  std::vector<std::string> actions;
  for (const SinkRequest& r : pd_.requests()) actions.push_back(JsonStr(JsonDoc(r.body).root()["event_action"]));
  EXPECT_EQ(actions, (std::vector<std::string>{"trigger", "trigger", "acknowledge"}));
  auto waited = pd_.requests()[1].arrived - pd_.requests()[0].arrived;
  EXPECT_GE(waited, std::chrono::milliseconds(900));  // Retry-After: 1 honoured
}

TEST_F(DeliveryTest, ARejectedPageIsADeadLetterAndTheLaneGoesOn) {
  pd_.Enqueue(SinkResponse(400, R"({"status":"invalid event","message":"Event object is invalid","errors":["x"]})"));
  Start();
  TestClient c = Client();
  const std::string id = Fire(c);
  ASSERT_TRUE(Arrived(pd_, 1));
  HttpResult failed;
  ASSERT_TRUE(WaitFor([&] {
    failed = c.Get("/api/v1/notifications?state=failed");
    return failed.body.find("\"receiver\":\"pd-primary\"") != std::string::npos;
  })) << failed.body;
  JsonDoc d(failed.body);
  EXPECT_EQ(uint64_t(d.root()["dead_letters"]), 1u);
  simdjson::dom::element n = d.root()["notifications"].at(0);
  EXPECT_EQ(JsonStr(n["key"]), id + "/1/pd-primary");
  EXPECT_EQ(uint64_t(n["attempts"]), 1u);  // 400 is not retried
  EXPECT_EQ(int64_t(n["last_status"]), 400);
  EXPECT_NE(JsonStr(n["last_error"]).find("400"), std::string::npos);
  EXPECT_EQ(failed.body.find(kRoutingKey), std::string::npos);  // no secret in the API
  EXPECT_NE(c.Get("/metrics")
                .body.find("incidentd_notifications_failed_total{receiver=\"pd-primary\",type=\"pagerduty\"} 1\n"),
            std::string::npos);
  // The resolve after it still goes out.
  ASSERT_EQ(c.Post("/api/v1/incidents/" + id + "/resolve", "").status, 200u);
  ASSERT_TRUE(Arrived(pd_, 2));
  EXPECT_EQ(JsonStr(JsonDoc(pd_.requests()[1].body).root()["event_action"]), "resolve");
}

TEST_F(DeliveryTest, BadNotificationQueriesNameTheParameter) {
  Start();
  TestClient c = Client();
  HttpResult r = c.Get("/api/v1/notifications?state=lost");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("state"), std::string::npos);
  EXPECT_EQ(c.Get("/api/v1/notifications?limit=0").status, 400u);
}

}  // namespace
}  // namespace incidentd::testing
