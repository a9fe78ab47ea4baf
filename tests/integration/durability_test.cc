// Durability end to end: a real daemon on a real RocksDB store under the test's data_dir, stopped and started again
// on the same data_dir and the same FakeClock. What a client was told happened is still there after a restart; a
// timer that came due during the downtime fires once; a notification is delivered once across a restart; a store
// that fails its writes answers 503 and holds its pages; a store that cannot be read stops the start.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fakes/failing_store.h"
#include "fakes/http_sink.h"
#include "integration/daemon_fixture.h"

namespace incidentd::testing {
namespace {

using simdjson::dom::element;
using std::chrono::minutes;
using std::chrono::seconds;

// One rule: a db incident per cluster, paged at once. Two webhook receivers, so tests can tell the steps apart.
std::string Rules(const std::string& steps, const std::string& url_a, const std::string& url_b) {
  return R"(correlations:
  - name: db
    match: ['service="db"']
    group_by: [cluster]
    group_wait: 0s
    priority: P1
    title: "{{ alertname }} in {{ cluster }}"
    policy: oncall
policies:
  - name: oncall
    steps:
)" + steps +
         R"(receivers:
  - name: hook-a
    type: webhook
    url: )" +
         url_a +
         R"(/a
  - name: hook-b
    type: webhook
    url: )" +
         url_b +
         R"(/b
)";
}

constexpr char kOneStep[] = R"(      - notify: [hook-a]
        ack_timeout: 5m
)";
constexpr char kTwoSteps[] = R"(      - notify: [hook-a]
        ack_timeout: 5m
      - notify: [hook-b]
        ack_timeout: 5m
)";

std::string Alert(const std::string& alertname, const std::string& cluster) {
  return R"({"labels":{"alertname":")" + alertname + R"(","service":"db","cluster":")" + cluster + R"("}})";
}

// Silences cluster="us1" for two hours from the fake clock's start (2026-05-28T20:26:40Z).
constexpr char kUs1Silence[] = R"({"matchers":[{"name":"cluster","value":"us1","isRegex":false,"isEqual":true}],
  "startsAt":"2026-05-28T20:26:40Z","endsAt":"2026-05-28T22:26:40Z","createdBy":"alice","comment":"maintenance"})";

// The value of an unlabelled metric in a /metrics text, or -1 when it is not there.
double MetricValue(const std::string& text, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  size_t at = text.find(prefix);
  if (at == std::string::npos) return -1;
  return std::strtod(text.c_str() + at + prefix.size(), nullptr);
}

class DurabilityTest : public DaemonTest {
 protected:
  // Writes the test's directory: rules.yaml and the config naming it (data_dir: data). Alerts never time out here;
  // external_url is fixed, so a page rendered after a restart (on a new port) is the same as before it.
  void Prepare(const std::string& rules, const std::string& extra_yaml = "") {
    dir_ = std::filesystem::temp_directory_path() / ("incidentd-it-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "rules.yaml") << rules;
    std::ofstream(dir_ / "c.yaml") << "listen: 127.0.0.1:0\ndata_dir: data\nrule_files: [rules.yaml]\n"
                                      "resolve_timeout: 1h\nexternal_url: https://incidentd.example.com\n"
                                   << extra_yaml;
  }

  // A new daemon from the test's config, on the test's clock; its Start's status.
  Status TryBoot(store::WrapWrites wrap = {}) {
    Result<config::Config> c = config::LoadConfig((dir_ / "c.yaml").string());
    if (!c.ok()) return c.status();
    store_dir_ = (std::filesystem::path(c->data_dir) / "state").string();
    daemon_ = std::make_unique<server::Daemon>(std::move(*c), &clock_, std::move(wrap));
    return daemon_->Start();
  }
  void Boot(store::WrapWrites wrap = {}) {
    Status s = TryBoot(std::move(wrap));
    ASSERT_TRUE(s.ok()) << s.message();
  }
  // Stops the daemon, destroys it (closing the store), and starts a new one on the same data_dir and clock.
  void Restart(store::WrapWrites wrap = {}) {
    StopDaemon();
    Boot(std::move(wrap));
  }
  void StopDaemon() {
    daemon_->Stop();
    daemon_.reset();
  }

  static bool Arrived(HttpSink& sink, size_t n) {
    return sink.WaitForRequests(n, std::chrono::steady_clock::now() + seconds(5));
  }

  // The incident ids by their cluster.
  static std::map<std::string, std::string> IncidentsByCluster(TestClient& c) {
    std::map<std::string, std::string> out;
    HttpResult r = c.Get("/api/v1/incidents");
    EXPECT_EQ(r.status, 200u) << r.body;
    JsonDoc d(r.body);
    if (!d.ok()) return out;
    for (element inc : d.root().get_array()) out[JsonStr(inc["group_labels"]["cluster"])] = JsonStr(inc["id"]);
    return out;
  }

  // GET /api/v1/notifications<query>, parsed.
  static std::unique_ptr<JsonDoc> Notifications(TestClient& c, const std::string& query = "") {
    HttpResult r = c.Get("/api/v1/notifications" + query);
    EXPECT_EQ(r.status, 200u) << r.body;
    return std::make_unique<JsonDoc>(r.body);
  }
  // The outbox's depth (queued or sending), or -1 when the answer cannot be read.
  static int64_t Depth(TestClient& c) {
    std::unique_ptr<JsonDoc> d = Notifications(c);
    uint64_t depth;
    if (!d->ok() || d->root()["depth"].get(depth) != simdjson::SUCCESS) return -1;
    return static_cast<int64_t>(depth);
  }
  // The listed notifications, as "key event state".
  static std::vector<std::string> Listed(TestClient& c, const std::string& query = "") {
    std::vector<std::string> out;
    std::unique_ptr<JsonDoc> d = Notifications(c, query);
    if (!d->ok()) return out;
    for (element n : d->root()["notifications"].get_array()) {
      out.push_back(JsonStr(n["key"]) + " " + JsonStr(n["event"]) + " " + JsonStr(n["state"]));
    }
    return out;
  }
  // Waits (running engine ticks) until nothing is queued or sending: every decided notification has finished.
  bool WaitForEmptyOutbox(TestClient& c) {
    return WaitFor([&] { return Depth(c) == 0; }, seconds(5));
  }

  // The sink's requests as "X-Incidentd-Delivery X-Incidentd-Event", in arrival order.
  static std::vector<std::string> Deliveries(const HttpSink& sink) {
    std::vector<std::string> out;
    for (const SinkRequest& r : sink.requests()) {
      out.push_back(std::string(r.Header("X-Incidentd-Delivery")) + " " + std::string(r.Header("X-Incidentd-Event")));
    }
    return out;
  }

  std::string store_dir_;  // data_dir/state of the last TryBoot
  HttpSink sink_a_, sink_b_;
};

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
    EXPECT_EQ(Depth(c), 2);
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

TEST_F(DurabilityTest, AFailingStoreAnswers503AndAcknowledgesNothingItDidNotWrite) {
  Prepare(Rules(kOneStep, sink_a_.url(), sink_b_.url()));
  FailingStore store;
  ASSERT_NO_FATAL_FAILURE(Boot(store.Wrap()));
  std::string eu1;
  {
    TestClient c = Client();
    ASSERT_EQ(c.Post("/api/v2/alerts", "[" + Alert("Down", "eu1") + "]").status, 200u);
    eu1 = IncidentsByCluster(c)["eu1"];
    ASSERT_TRUE(Arrived(sink_a_, 1));
    ASSERT_TRUE(WaitForEmptyOutbox(c));
    ASSERT_GT(store.passed(), 0u);

    store.SetFailing(true);
    // us1's alert: not written, so 503; its incident's trigger is decided in the same tick and held.
    const std::string us1_alert = "[" + Alert("Down", "us1") + "]";
    HttpResult r = c.Post("/api/v2/alerts", us1_alert);
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(r.headers["Retry-After"], "1");
    r = c.Post("/api/v1/incidents/" + eu1 + "/ack", "");
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(r.headers["Retry-After"], "1");
    r = c.Post("/api/v2/silences", kUs1Silence);
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(r.headers["Retry-After"], "1");
    // Reads still answer.
    EXPECT_EQ(c.Get("/api/v2/alerts").status, 200u);
    EXPECT_EQ(c.Get("/api/v1/incidents").status, 200u);
    EXPECT_EQ(c.Get("/api/v2/silences").status, 200u);
    EXPECT_GT(MetricValue(c.Get("/metrics").body, "incidentd_store_commit_errors_total"), 0);
    EXPECT_GT(store.failed(), 0u);
    // Ticks go on failing; nothing decided while failing reaches the outbox or the pager.
    ASSERT_TRUE(daemon_->PokeEngine());
    ASSERT_TRUE(daemon_->PokeEngine());
    EXPECT_EQ(Listed(c).size(), 1u) << c.Get("/api/v1/notifications").body;
    EXPECT_EQ(Depth(c), 0);
    EXPECT_EQ(sink_a_.count(), 1u);

    store.SetFailing(false);
    r = c.Post("/api/v2/alerts", us1_alert);
    EXPECT_EQ(r.status, 200u) << r.body;
    const std::string us1 = IncidentsByCluster(c)["us1"];
    ASSERT_FALSE(us1.empty());
    // The held pages go out, once each: us1's trigger and eu1's acknowledgement (the ack the engine did take).
    ASSERT_TRUE(Arrived(sink_a_, 3)) << ::testing::PrintToString(Deliveries(sink_a_));
    ASSERT_TRUE(WaitForEmptyOutbox(c));
    ASSERT_TRUE(daemon_->PokeEngine());
    std::vector<std::string> got = Deliveries(sink_a_);
    std::sort(got.begin() + 1, got.end());
    std::vector<std::string> want = {eu1 + "/1/hook-a triggered", eu1 + "/2/hook-a acknowledged",
                                     us1 + "/1/hook-a triggered"};
    std::sort(want.begin() + 1, want.end());
    EXPECT_EQ(got, want);
    EXPECT_EQ(c.Post("/api/v2/silences", kUs1Silence).status, 200u);
  }

  // Without the wrapper: every alert that was answered 200 is there.
  ASSERT_NO_FATAL_FAILURE(Restart());
  TestClient c = Client();
  JsonDoc alerts(c.Get("/api/v2/alerts").body);
  ASSERT_TRUE(alerts.ok());
  std::vector<std::string> clusters;
  for (element a : alerts.root().get_array()) clusters.push_back(JsonStr(a["labels"]["cluster"]));
  std::sort(clusters.begin(), clusters.end());
  EXPECT_EQ(clusters, (std::vector<std::string>{"eu1", "us1"}));
  EXPECT_EQ(IncidentsByCluster(c).size(), 2u);
  ASSERT_TRUE(daemon_->PokeEngine());
  EXPECT_EQ(Depth(c), 0);
  EXPECT_EQ(sink_a_.count(), 3u);
}

TEST_F(DurabilityTest, AStoreThatCannotBeOpenedStopsTheStart) {
  Prepare(Rules(kOneStep, sink_a_.url(), sink_b_.url()));
  {
    SCOPED_TRACE("the state path is a regular file");
    std::filesystem::create_directories(dir_ / "data");
    std::ofstream(dir_ / "data" / "state") << "not a store\n";
    Status s = TryBoot();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(store_dir_), std::string::npos) << s.message();
    daemon_.reset();
    EXPECT_TRUE(std::filesystem::is_regular_file(dir_ / "data" / "state")) << "the start replaced it";
    std::filesystem::remove(dir_ / "data" / "state");
  }
  // A store with an alert in it, to damage below.
  ASSERT_NO_FATAL_FAILURE(Boot());
  {
    TestClient c = Client();
    ASSERT_EQ(c.Post("/api/v2/alerts", "[" + Alert("Down", "eu1") + "]").status, 200u);
  }
  StopDaemon();
  // Rewrites one key of the store's column family `family` (the store is closed).
  auto rewrite = [&](const std::string& family, const std::string& key, const std::string& value, bool first_key) {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), store_dir_, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), store_dir_, families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == family) cf = handles[i];
    }
    ASSERT_NE(cf, nullptr) << family;
    std::string k = key;
    if (first_key) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
      it->SeekToFirst();
      ASSERT_TRUE(it->Valid());
      k = it->key().ToString();
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    EXPECT_TRUE(db->Put(wo, cf, k, value).ok());
    for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
    EXPECT_TRUE(db->Close().ok());
  };
  {
    SCOPED_TRACE("a malformed alert record");
    ASSERT_NO_FATAL_FAILURE(rewrite("alerts", "", "\xff garbage", true));
    Status s = TryBoot();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(store_dir_), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("alerts record"), std::string::npos) << s.message();
    daemon_.reset();
  }
  {
    SCOPED_TRACE("a format this incidentd does not read");
    ASSERT_NO_FATAL_FAILURE(rewrite("default", "format", "999", false));
    Status s = TryBoot();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(store_dir_), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("format 999"), std::string::npos) << s.message();
    daemon_.reset();
  }
}

TEST_F(DurabilityTest, ReadyzAnswersOnlyAfterRecovery) {
  Prepare(Rules(kOneStep, sink_a_.url(), sink_b_.url()));
  ASSERT_NO_FATAL_FAILURE(Boot());
  {
    TestClient c = Client();
    ASSERT_EQ(c.Post("/api/v2/alerts", "[" + Alert("Down", "eu1") + "," + Alert("Down", "us1") + "]").status, 200u);
    ASSERT_TRUE(WaitForEmptyOutbox(c));
  }
  ASSERT_NO_FATAL_FAILURE(Restart());
  // The first requests after Start returns: ready, and the recovered state is what they see — never an empty one.
  TestClient c = Client();
  HttpResult r = c.Get("/readyz");
  EXPECT_EQ(r.status, 200u) << r.body;
  JsonDoc alerts(c.Get("/api/v2/alerts").body);
  ASSERT_TRUE(alerts.ok());
  EXPECT_EQ(alerts.root().get_array().size(), 2u);
  EXPECT_EQ(IncidentsByCluster(c).size(), 2u);
  EXPECT_EQ(Listed(c).size(), 2u);
}

}  // namespace
}  // namespace incidentd::testing
