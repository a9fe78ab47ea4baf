// Durability end to end: a real daemon on a real RocksDB store under the test's data_dir, stopped and started again
// on the same data_dir and the same FakeClock. What a client was told happened is still there after a restart; a
// timer that came due during the downtime fires once; a notification is delivered once across a restart; a store
// that fails its writes answers 503 and holds its pages; a store that cannot be read stops the start.
#include "integration/durability_fixture.h"

namespace incidentd::testing {
namespace {

using simdjson::dom::element;
using std::chrono::minutes;
using std::chrono::seconds;

TEST_F(DurabilityTest, RestartKeepsAlertsIncidentsSilencesAndAcknowledgements) {
  Prepare(Rules(kOneStep, sink_a_.url(), sink_b_.url()));
  ASSERT_NO_FATAL_FAILURE(Boot());
  std::string eu1, us1, silence;
  std::map<std::string, std::string> before;  // path -> body
  const std::vector<std::string> paths_without_ids = {"/api/v2/alerts", "/api/v1/incidents", "/api/v2/silences",
                                                      "/api/v1/notifications"};
  {
    TestClient c = Client();
    HttpResult r = c.Post("/api/v2/alerts",
                          "[" + Alert("Down", "eu1") + "," + Alert("Slow", "eu1") + "," + Alert("Down", "us1") + "]");
    ASSERT_EQ(r.status, 200u) << r.body;
    std::map<std::string, std::string> ids = IncidentsByCluster(c);
    ASSERT_EQ(ids.size(), 2u);
    eu1 = ids["eu1"];
    us1 = ids["us1"];
    r = c.Post("/api/v2/silences", kUs1Silence);
    ASSERT_EQ(r.status, 200u) << r.body;
    silence = JsonStr(JsonDoc(r.body).root()["silenceID"]);
    r = c.Post("/api/v1/incidents/" + eu1 + "/ack?by=alice", "");
    ASSERT_EQ(r.status, 200u) << r.body;
    // Both triggers and the acknowledgement are delivered before the stop, so the restart has nothing to send.
    ASSERT_TRUE(Arrived(sink_a_, 3));
    ASSERT_TRUE(WaitForEmptyOutbox(c)) << c.Get("/api/v1/notifications").body;
    for (const std::string& p : paths_without_ids) before[p] = c.Get(p).body;
    for (const std::string& id : {eu1, us1}) before["/api/v1/incidents/" + id] = c.Get("/api/v1/incidents/" + id).body;
    before["/api/v2/silence/" + silence] = c.Get("/api/v2/silence/" + silence).body;
  }

  ASSERT_NO_FATAL_FAILURE(Restart());
  TestClient c = Client();
  // Everything reads back exactly as it did before the stop (the clock has not moved).
  for (const auto& [path, body] : before) {
    HttpResult r = c.Get(path);
    EXPECT_EQ(r.status, 200u) << path;
    EXPECT_EQ(r.body, body) << path;
  }
  // And what that means:
  {
    JsonDoc alerts(c.Get("/api/v2/alerts").body);
    ASSERT_TRUE(alerts.ok());
    ASSERT_EQ(alerts.root().get_array().size(), 3u);
    for (element a : alerts.root().get_array()) {
      const bool silenced = JsonStr(a["labels"]["cluster"]) == "us1";
      EXPECT_EQ(JsonStr(a["status"]["state"]), silenced ? "suppressed" : "active");
      EXPECT_EQ(a["status"]["silencedBy"].get_array().size(), silenced ? 1u : 0u);
    }
  }
  {
    JsonDoc inc(c.Get("/api/v1/incidents/" + eu1).body);
    ASSERT_TRUE(inc.ok());
    EXPECT_EQ(JsonStr(inc.root()["state"]), "acknowledged");
    EXPECT_EQ(JsonStr(inc.root()["acknowledged_by"]), "alice");
    EXPECT_EQ(TimelineEntries(inc.root(), "acknowledged"), std::vector<std::string>{"2026-05-28T20:26:40.000Z alice"});
    EXPECT_EQ(TimelineEntries(inc.root(), "notified"),
              (std::vector<std::string>{"2026-05-28T20:26:40.000Z triggered -> hook-a",
                                        "2026-05-28T20:26:40.000Z acknowledged -> hook-a"}));
    JsonDoc other(c.Get("/api/v1/incidents/" + us1).body);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(JsonStr(other.root()["state"]), "triggered");
  }
  {
    JsonDoc s(c.Get("/api/v2/silences").body);
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(s.root().get_array().size(), 1u);
    EXPECT_EQ(JsonStr(s.root().at(0)["id"]), silence);
    EXPECT_EQ(JsonStr(s.root().at(0)["status"]["state"]), "active");
    EXPECT_EQ(JsonStr(s.root().at(0)["createdBy"]), "alice");
  }
  // Nothing delivered before the stop is sent again, and a restarted incident is not paged again.
  ASSERT_TRUE(daemon_->PokeEngine());
  EXPECT_EQ(Depth(c), 0);
  EXPECT_EQ(sink_a_.count(), 3u) << ::testing::PrintToString(Deliveries(sink_a_));
  // The recovered state takes commands: the acknowledged incident cannot be acknowledged again, the other can.
  EXPECT_EQ(c.Post("/api/v1/incidents/" + eu1 + "/ack", "").status, 409u);
  EXPECT_EQ(c.Post("/api/v1/incidents/" + us1 + "/ack", "").status, 200u);
  ASSERT_TRUE(Arrived(sink_a_, 4));
  ASSERT_TRUE(WaitForEmptyOutbox(c));

  // What the restarted daemon wrote (after the timelines it recovered) survives the next restart too.
  const std::string us1_acked = c.Get("/api/v1/incidents/" + us1).body;
  const std::string notifications = c.Get("/api/v1/notifications").body;
  ASSERT_NO_FATAL_FAILURE(Restart());
  TestClient c2 = Client();
  EXPECT_EQ(c2.Get("/api/v1/incidents/" + us1).body, us1_acked);
  EXPECT_EQ(c2.Get("/api/v1/incidents/" + eu1).body, before["/api/v1/incidents/" + eu1]);
  EXPECT_EQ(c2.Get("/api/v1/notifications").body, notifications);
  JsonDoc inc(us1_acked);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(JsonStr(inc.root()["state"]), "acknowledged");
  ASSERT_TRUE(daemon_->PokeEngine());
  EXPECT_EQ(sink_a_.count(), 4u);
}

TEST_F(DurabilityTest, AnEscalationDueDuringTheDowntimeFiresOnceAtStart) {
  Prepare(Rules(kTwoSteps, sink_a_.url(), sink_b_.url()));
  ASSERT_NO_FATAL_FAILURE(Boot());
  std::string id;
  {
    TestClient c = Client();
    ASSERT_EQ(c.Post("/api/v2/alerts", "[" + Alert("Down", "eu1") + "]").status, 200u);
    id = IncidentsByCluster(c)["eu1"];
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(Arrived(sink_a_, 1));
    ASSERT_TRUE(WaitForEmptyOutbox(c));
  }
  StopDaemon();
  clock_.Advance(minutes(20));  // step 1's ack_timeout (5m) passes while the daemon is down
  ASSERT_NO_FATAL_FAILURE(Boot());
  ASSERT_TRUE(daemon_->PokeEngine());
  {
    TestClient c = Client();
    ASSERT_TRUE(Arrived(sink_b_, 1));
    SinkRequest page = sink_b_.requests()[0];
    EXPECT_EQ(page.target, "/b");
    EXPECT_EQ(page.Header("X-Incidentd-Event"), "escalated");
    JsonDoc body(page.body);
    ASSERT_TRUE(body.ok()) << page.body;
    EXPECT_EQ(JsonStr(body.root()["event"]), "escalated");
    EXPECT_EQ(uint64_t(body.root()["step"]), 1u);
    EXPECT_EQ(JsonStr(body.root()["incident"]["id"]), id);
    ASSERT_TRUE(WaitForEmptyOutbox(c));
    // Step 1 is not paged again: one trigger to A, ever.
    EXPECT_EQ(Deliveries(sink_a_), std::vector<std::string>{id + "/1/hook-a triggered"});
    EXPECT_EQ(Deliveries(sink_b_), std::vector<std::string>{id + "/2/hook-b escalated"});

    // A second later: nothing more decided, nothing more sent.
    clock_.Advance(seconds(1));
    ASSERT_TRUE(daemon_->PokeEngine());
    EXPECT_EQ(Listed(c),
              (std::vector<std::string>{id + "/2/hook-b escalated delivered", id + "/1/hook-a triggered delivered"}));
    EXPECT_EQ(sink_a_.count(), 1u);
    EXPECT_EQ(sink_b_.count(), 1u);
  }

  // Another restart does not escalate again: the escalation decided at start was written with its tick.
  ASSERT_NO_FATAL_FAILURE(Restart());
  ASSERT_TRUE(daemon_->PokeEngine());
  TestClient c = Client();
  EXPECT_EQ(Depth(c), 0);
  EXPECT_EQ(Listed(c).size(), 2u);
  EXPECT_EQ(sink_a_.count(), 1u);
  EXPECT_EQ(sink_b_.count(), 1u);

  // Step 2's ack_timeout counts from the escalation at start (20:46:40): the policy is done at 20:51:40, not before.
  clock_.Advance(minutes(5) - seconds(2));
  ASSERT_TRUE(daemon_->PokeEngine());
  {
    JsonDoc inc(c.Get("/api/v1/incidents/" + id).body);
    ASSERT_TRUE(inc.ok());
    EXPECT_TRUE(TimelineEntries(inc.root(), "escalation_done").empty());
  }
  clock_.Advance(seconds(1));
  ASSERT_TRUE(daemon_->PokeEngine());
  JsonDoc inc(c.Get("/api/v1/incidents/" + id).body);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(TimelineEntries(inc.root(), "escalated"), std::vector<std::string>{"2026-05-28T20:46:40.000Z step 2 of 2"});
  EXPECT_EQ(TimelineEntries(inc.root(), "notified"),
            (std::vector<std::string>{"2026-05-28T20:26:40.000Z triggered -> hook-a",
                                      "2026-05-28T20:46:40.000Z escalated -> hook-b"}));
  EXPECT_EQ(TimelineEntries(inc.root(), "escalation_done"), std::vector<std::string>{"2026-05-28T20:51:40.000Z"});
  EXPECT_EQ(JsonStr(inc.root()["state"]), "triggered");
  EXPECT_EQ(Listed(c).size(), 2u);
  EXPECT_EQ(sink_a_.count(), 1u);
  EXPECT_EQ(sink_b_.count(), 1u);
}

TEST_F(DurabilityTest, ANotificationPendingAtStopIsDeliveredAfterRestartOnce) {
  Prepare(Rules(kOneStep, sink_a_.url(), sink_b_.url()));
  ASSERT_NO_FATAL_FAILURE(Boot());
  std::string eu1, us1;
  {
    TestClient c = Client();
    // eu1's trigger is delivered before the stop.
    ASSERT_EQ(c.Post("/api/v2/alerts", "[" + Alert("Down", "eu1") + "]").status, 200u);
    ASSERT_TRUE(Arrived(sink_a_, 1));
    ASSERT_TRUE(WaitForEmptyOutbox(c));
    // us1's trigger meets a 503 that asks for a minute: it waits for its retry when the daemon stops.
    sink_a_.SetDefault(SinkResponse(503, "down").Header("Retry-After", "60"));
    ASSERT_EQ(c.Post("/api/v2/alerts", "[" + Alert("Down", "us1") + "]").status, 200u);
    std::map<std::string, std::string> ids = IncidentsByCluster(c);
    eu1 = ids["eu1"];
    us1 = ids["us1"];
    ASSERT_TRUE(Arrived(sink_a_, 2));
    ASSERT_TRUE(WaitFor([&] {
      return Listed(c, "?state=pending") == std::vector<std::string>{us1 + "/1/hook-a triggered pending"};
    })) << c.Get("/api/v1/notifications").body;
    // us1's acknowledgement waits in the same lane, behind the trigger.
    ASSERT_EQ(c.Post("/api/v1/incidents/" + us1 + "/ack", "").status, 200u);
    // The answer comes once the command is written; its notifications reach the outbox on an I/O thread.
    EXPECT_TRUE(WaitFor([&] { return Depth(c) == 2; })) << Depth(c);
  }
  const auto stopping = std::chrono::steady_clock::now();
  StopDaemon();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, seconds(3)) << "the stop waited for the retry";

  sink_a_.SetDefault(SinkResponse(200));
  ASSERT_NO_FATAL_FAILURE(Boot());
  TestClient c = Client();
  ASSERT_TRUE(Arrived(sink_a_, 4));
  ASSERT_TRUE(WaitForEmptyOutbox(c)) << c.Get("/api/v1/notifications").body;
  ASSERT_TRUE(daemon_->PokeEngine());
  EXPECT_EQ(Depth(c), 0);
  // The pending trigger went out once more (its first attempt got the 503), then the acknowledgement behind it;
  // eu1's delivered trigger did not go out again.
  EXPECT_EQ(Deliveries(sink_a_),
            (std::vector<std::string>{eu1 + "/1/hook-a triggered", us1 + "/1/hook-a triggered",
                                      us1 + "/1/hook-a triggered", us1 + "/2/hook-a acknowledged"}));
  EXPECT_EQ(sink_a_.requests()[2].body, sink_a_.requests()[1].body);
  std::vector<std::string> listed = Listed(c);
  std::sort(listed.begin(), listed.end());
  std::vector<std::string> want = {eu1 + "/1/hook-a triggered delivered", us1 + "/1/hook-a triggered delivered",
                                   us1 + "/2/hook-a acknowledged delivered"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(listed, want);
  EXPECT_EQ(Listed(c, "?state=pending"), std::vector<std::string>{});

  // Another restart sends nothing: all are in the log now.
  ASSERT_NO_FATAL_FAILURE(Restart());
  TestClient c2 = Client();
  ASSERT_TRUE(daemon_->PokeEngine());
  EXPECT_EQ(Depth(c2), 0);
  EXPECT_EQ(sink_a_.count(), 4u);
  listed = Listed(c2);
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, want);
}

}  // namespace
}  // namespace incidentd::testing
