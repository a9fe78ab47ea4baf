// The incident API end to end: alerts in over HTTP, incidents out of GET /api/v1/incidents, the commands that ack and
// resolve them, API tokens, reopening, and the order of alerts in a request leaving no trace.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "integration/daemon_fixture.h"

namespace incidentd::testing {
namespace {

namespace http = boost::beast::http;
using simdjson::dom::element;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kRules[] = R"(dedup:
  ignore_labels: [pod]
correlations:
  - name: by-service
    match: ['service=~".+"']
    group_by: [service]
    group_wait: 30s
    group_interval: 5m
    repeat_interval: 4h
    reopen_window: 10m
    priority: {from_label: severity, map: {critical: P1, warning: P3}, default: P4}
    title: "{{ service }}: {{ alertname }}"
    policy: oncall
policies:
  - name: oncall
    steps:
      - notify: [hook]
receivers:
  - name: hook
    type: webhook
    url: http://127.0.0.1:9/
)";

bool HasKey(element obj, std::string_view key) { return obj[key].error() == simdjson::SUCCESS; }

class IncidentsApiTest : public DaemonTest {
 protected:
  void StartWithRules(const std::map<std::string, std::string>& more_files = {}, const std::string& extra = "") {
    std::map<std::string, std::string> files = more_files;
    files["rules.yaml"] = kRules;
    // No alert times out in these tests: every change is one they make.
    StartWithFiles(files, "rule_files: [rules.yaml]\nresolve_timeout: 1h\n" + extra);
  }

  static std::string Alert(const std::string& alertname, const std::string& service, const std::string& severity,
                           const std::string& extra = "") {
    return R"({"labels":{"alertname":")" + alertname + R"(","service":")" + service + R"(","severity":")" + severity +
           R"("})" + extra + "}";
  }
  static std::string Resolved(const std::string& alertname, const std::string& service, const std::string& severity) {
    return Alert(alertname, service, severity, R"(,"endsAt":"2020-01-01T00:00:00Z")");
  }
  static std::string Array(const std::vector<std::string>& alerts) {
    std::string out = "[";
    for (const std::string& a : alerts) out += (out.size() > 1 ? "," : "") + a;
    return out + "]";
  }

  void PostAlerts(TestClient& c, const std::vector<std::string>& alerts) {
    HttpResult r = c.Post("/api/v2/alerts", Array(alerts));
    ASSERT_EQ(r.status, 200u) << r.body;
  }

  // GET /api/v1/incidents/{id}; the body, or "" when not 200.
  static std::string IncidentJson(TestClient& c, const std::string& id) {
    HttpResult r = c.Get("/api/v1/incidents/" + id);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.status == 200 ? r.body : "";
  }

  // The ids listed by GET /api/v1/incidents<query>, in order.
  static std::vector<std::string> Ids(TestClient& c, const std::string& query = "") {
    HttpResult r = c.Get("/api/v1/incidents" + query);
    EXPECT_EQ(r.status, 200u) << r.body;
    JsonDoc d(r.body);
    std::vector<std::string> ids;
    if (!d.ok()) return ids;
    for (element i : d.root().get_array()) ids.push_back(JsonStr(i["id"]));
    return ids;
  }

  // Waits until the incident's timeline has a notified entry `detail` (after a PokeEngine).
  // Posts one critical alert, lets group_wait pass, and returns its incident's id once it has paged ("" if not).
  std::string OpenAndPage(TestClient& c) {
    PostAlerts(c, {Alert("Down", "db", "critical")});
    std::vector<std::string> ids = Ids(c);
    if (ids.size() != 1) return "";
    clock_.Advance(seconds(30));
    return WaitForNotified(c, ids[0], "triggered -> hook") ? ids[0] : "";
  }

  bool WaitForNotified(TestClient& c, const std::string& id, const std::string& detail) {
    return WaitFor([&] { return Notified(c, id, detail); });
  }
};

TEST_F(IncidentsApiTest, OpensOnTheFirstAlertPagesAfterGroupWaitAndResolvesInTheSameTick) {
  StartWithRules();
  TestClient c = Client();
  PostAlerts(c, {Alert("HighLatency", "api", "warning"), Alert("ErrorRate", "api", "critical")});

  HttpResult r = c.Get("/api/v1/incidents");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  JsonDoc list(r.body);
  ASSERT_TRUE(list.ok()) << r.body;
  ASSERT_EQ(list.root().get_array().size(), 1u) << r.body;
  element inc = list.root().at(0);
  const std::string id = JsonStr(inc["id"]);
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9A-HJKMNP-TV-Z]{26}"))) << id;
  EXPECT_EQ(JsonStr(inc["rule"]), "by-service");
  EXPECT_EQ(JsonStr(inc["state"]), "triggered");
  EXPECT_EQ(JsonStr(inc["priority"]), "P1");  // the most urgent of its alerts
  EXPECT_EQ(inc["group_labels"].get_object().size(), 1u);
  EXPECT_EQ(JsonStr(inc["group_labels"]["service"]), "api");
  EXPECT_EQ(JsonStr(inc["created_at"]), "2026-05-28T20:26:40.000Z");
  EXPECT_EQ(JsonStr(inc["updated_at"]), "2026-05-28T20:26:40.000Z");
  EXPECT_FALSE(HasKey(inc, "timeline")) << "the list has no timelines";
  simdjson::dom::array alerts = inc["alerts"].get_array();
  ASSERT_EQ(alerts.size(), 2u);
  std::vector<std::string> fps;
  std::string title_alertname;  // the title takes its labels from the smallest fingerprint of the opening tick
  for (element a : alerts) {
    fps.push_back(JsonStr(a["fingerprint"]));
    EXPECT_TRUE(std::regex_match(fps.back(), std::regex("[0-9a-f]{16}"))) << fps.back();
    EXPECT_EQ(JsonStr(a["labels"]["service"]), "api");
    EXPECT_EQ(JsonStr(a["state"]), "firing");
    if (title_alertname.empty()) title_alertname = JsonStr(a["labels"]["alertname"]);
  }
  EXPECT_TRUE(std::is_sorted(fps.begin(), fps.end())) << "alerts are sorted by fingerprint";
  EXPECT_EQ(JsonStr(inc["title"]), "api: " + title_alertname);

  // The detail adds the timeline and each alert's mute state.
  {
    JsonDoc d(IncidentJson(c, id));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(TimelineKinds(d.root()), (std::vector<std::string>{"opened", "alert_joined", "alert_joined"}));
    for (element a : d.root()["alerts"].get_array()) {
      EXPECT_EQ(a["silenced_by"].get_array().size(), 0u);
      EXPECT_TRUE(a["inhibited_by"].is_null());
    }
  }

  // Nobody is paged before group_wait has passed.
  clock_.Advance(seconds(29));
  daemon_->PokeEngine();
  {
    JsonDoc d(IncidentJson(c, id));
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(TimelineEntries(d.root(), "notified").empty());
  }
  clock_.Advance(seconds(1));
  daemon_->PokeEngine();
  ASSERT_TRUE(WaitForNotified(c, id, "triggered -> hook"));
  {
    JsonDoc d(IncidentJson(c, id));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(TimelineEntries(d.root(), "notified"),
              std::vector<std::string>{"2026-05-28T20:27:10.000Z triggered -> hook"});
  }

  // Every alert resolves: the incident resolves in that same tick, with no timer to wait for, and the receiver paged
  // hears of it.
  clock_.Advance(minutes(2));
  PostAlerts(c, {Resolved("HighLatency", "api", "warning"), Resolved("ErrorRate", "api", "critical")});
  JsonDoc d(IncidentJson(c, id));
  ASSERT_TRUE(d.ok());
  element done = d.root();
  EXPECT_EQ(JsonStr(done["state"]), "resolved");
  EXPECT_EQ(JsonStr(done["resolved_at"]), "2026-05-28T20:29:10.000Z");
  EXPECT_EQ(JsonStr(done["resolved_by"]), "all alerts resolved");
  EXPECT_EQ(uint64_t(done["counts"]["firing"]), 0u);
  EXPECT_EQ(uint64_t(done["counts"]["notifications"]), 2u);
  for (element a : done["alerts"].get_array()) EXPECT_EQ(JsonStr(a["state"]), "resolved");
  EXPECT_EQ(TimelineKinds(done),
            (std::vector<std::string>{"opened", "alert_joined", "alert_joined", "notified", "alert_resolved",
                                      "alert_resolved", "resolved", "notified"}));
  EXPECT_EQ(TimelineEntries(done, "notified").back(), "2026-05-28T20:29:10.000Z resolved -> hook");
  // The notifications are counted as they are released, once their tick is written: maybe after the answer.
  std::string metrics;
  EXPECT_TRUE(WaitFor([&] {
    metrics = c.Get("/metrics").body;
    return metrics.find("incidentd_notifications_total{event=\"resolved\"} 1\n") != std::string::npos;
  })) << metrics;
  EXPECT_NE(metrics.find("incidentd_notifications_total{event=\"triggered\"} 1\n"), std::string::npos) << metrics;
}

TEST_F(IncidentsApiTest, ListsNewestFirstFilteredByStateAndLimited) {
  StartWithRules();
  TestClient c = Client();
  std::map<std::string, std::string> id_of;  // service -> incident
  for (const char* service : {"a", "b", "c"}) {
    PostAlerts(c, {Alert("Down", service, "critical")});
    std::vector<std::string> ids = Ids(c);
    ASSERT_FALSE(ids.empty());
    id_of[service] = ids.front();  // the newest comes first
    clock_.Advance(seconds(1));
  }
  const std::string a = id_of["a"], b = id_of["b"], c_id = id_of["c"];
  EXPECT_EQ(Ids(c), (std::vector<std::string>{c_id, b, a}));
  EXPECT_GT(c_id, b) << "ids sort by creation time";
  EXPECT_GT(b, a);

  ASSERT_EQ(c.Post("/api/v1/incidents/" + b + "/ack", "").status, 200u);
  ASSERT_EQ(c.Post("/api/v1/incidents/" + c_id + "/resolve", "").status, 200u);
  EXPECT_EQ(Ids(c, "?state=triggered"), std::vector<std::string>{a});
  EXPECT_EQ(Ids(c, "?state=acknowledged"), std::vector<std::string>{b});
  EXPECT_EQ(Ids(c, "?state=resolved"), std::vector<std::string>{c_id});
  EXPECT_EQ(Ids(c, "?state=open"), (std::vector<std::string>{b, a}));
  EXPECT_EQ(Ids(c, "?state=all"), (std::vector<std::string>{c_id, b, a}));
  EXPECT_EQ(Ids(c, "?limit=2"), (std::vector<std::string>{c_id, b}));
  EXPECT_EQ(Ids(c, "?state=open&limit=1"), std::vector<std::string>{b});

  HttpResult r = c.Get("/api/v1/incidents?state=bogus");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("state"), std::string::npos) << r.body;
  r = c.Get("/api/v1/incidents?limit=0");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("limit"), std::string::npos) << r.body;
  r = c.Get("/api/v1/incidents?limit=ten");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("limit"), std::string::npos) << r.body;
}

TEST_F(IncidentsApiTest, AcknowledgeAndResolveOnce) {
  StartWithRules();
  TestClient c = Client();
  const std::string id = OpenAndPage(c);
  ASSERT_FALSE(id.empty());

  clock_.Advance(minutes(1));
  HttpResult r = c.Post("/api/v1/incidents/" + id + "/ack?by=alice", "");
  ASSERT_EQ(r.status, 200u) << r.body;
  {
    JsonDoc d(r.body);
    ASSERT_TRUE(d.ok()) << r.body;
    EXPECT_EQ(JsonStr(d.root()["id"]), id);
    EXPECT_EQ(JsonStr(d.root()["state"]), "acknowledged");
    EXPECT_EQ(JsonStr(d.root()["acknowledged_by"]), "alice");
    EXPECT_EQ(JsonStr(d.root()["acknowledged_at"]), "2026-05-28T20:28:10.000Z");
    EXPECT_EQ(TimelineEntries(d.root(), "acknowledged"), std::vector<std::string>{"2026-05-28T20:28:10.000Z alice"});
    // Whoever was paged hears that someone took it.
    EXPECT_EQ(TimelineEntries(d.root(), "notified").back(), "2026-05-28T20:28:10.000Z acknowledged -> hook");
  }
  r = c.Post("/api/v1/incidents/" + id + "/ack?by=bob", "");
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_NE(r.body.find("acknowledged"), std::string::npos) << r.body;

  // An acknowledged incident pages no one at its next flushes.
  clock_.Advance(minutes(11));
  daemon_->PokeEngine();
  {
    JsonDoc d(IncidentJson(c, id));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(uint64_t(d.root()["counts"]["notifications"]), 2u);
  }

  r = c.Post("/api/v1/incidents/" + id + "/resolve", "");
  ASSERT_EQ(r.status, 200u) << r.body;
  {
    JsonDoc d(r.body);
    ASSERT_TRUE(d.ok()) << r.body;
    EXPECT_EQ(JsonStr(d.root()["state"]), "resolved");
    EXPECT_EQ(JsonStr(d.root()["resolved_by"]), "api");  // no ?by= and no token: the API itself
    EXPECT_EQ(JsonStr(d.root()["resolved_at"]), "2026-05-28T20:39:10.000Z");
    EXPECT_EQ(JsonStr(d.root()["acknowledged_by"]), "alice");
    EXPECT_EQ(TimelineEntries(d.root(), "notified").back(), "2026-05-28T20:39:10.000Z resolved -> hook");
  }
  EXPECT_EQ(c.Post("/api/v1/incidents/" + id + "/resolve", "").status, 409u);
  EXPECT_EQ(c.Post("/api/v1/incidents/" + id + "/ack", "").status, 409u);

  const std::string unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  r = c.Get("/api/v1/incidents/" + unknown);
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find(unknown), std::string::npos) << r.body;
  EXPECT_EQ(c.Post("/api/v1/incidents/" + unknown + "/ack", "").status, 404u);
  EXPECT_EQ(c.Post("/api/v1/incidents/" + unknown + "/resolve", "").status, 404u);
  EXPECT_EQ(c.Get("/api/v1/incidents/" + id).status, 200u);
}

TEST_F(IncidentsApiTest, TokensGuardTheCommandsButNotTheReads) {
  const std::string alice = "s3cr3t-alice-7f1e2d3c4b5a69788796a5b4";
  const std::string bare = "bare-token-0a1b2c3d4e5f60718293a4b5";
  StartWithRules({{"tokens", "# who may change incidents and silences\nalice " + alice + "\n\n" + bare + "\n"}},
                 "api:\n  tokens_file: tokens\n");
  TestClient c = Client();
  PostAlerts(c, {Alert("Down", "db", "critical")});  // intake needs no token
  std::vector<std::string> ids = Ids(c);
  ASSERT_EQ(ids.size(), 1u);
  const std::string id = ids[0];

  std::vector<std::string> bodies;  // every answer, to look for the tokens in
  auto send = [&](http::verb method, const std::string& target, const std::string& token,
                  const std::string& body = "") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", token);
    HttpResult r = c.Send(method, target, body, "application/json", headers);
    bodies.push_back(r.body);
    return r;
  };

  EXPECT_EQ(send(http::verb::get, "/api/v1/incidents", "").status, 200u);
  EXPECT_EQ(send(http::verb::get, "/api/v1/incidents/" + id, "").status, 200u);
  EXPECT_EQ(send(http::verb::get, "/api/v2/silences", "").status, 200u);
  for (const std::string& wrong :
       std::vector<std::string>{"", "Bearer wrong-token", "Bearer " + alice + "x", "Basic " + alice}) {
    HttpResult r = send(http::verb::post, "/api/v1/incidents/" + id + "/ack", wrong);
    EXPECT_EQ(r.status, 401u) << wrong << ": " << r.body;
    EXPECT_EQ(r.headers[http::field::www_authenticate], "Bearer") << wrong;
    r = send(http::verb::post, "/api/v1/incidents/" + id + "/resolve", wrong);
    EXPECT_EQ(r.status, 401u) << wrong << ": " << r.body;
    EXPECT_FALSE(r.headers[http::field::www_authenticate].empty());
  }
  {
    JsonDoc d(send(http::verb::get, "/api/v1/incidents/" + id, "").body);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(JsonStr(d.root()["state"]), "triggered") << "a refused command changes nothing";
  }

  HttpResult r = send(http::verb::post, "/api/v1/incidents/" + id + "/ack?by=mallory", "Bearer " + alice);
  ASSERT_EQ(r.status, 200u) << r.body;
  {
    JsonDoc d(r.body);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(JsonStr(d.root()["acknowledged_by"]), "alice");  // the token's name; ?by= cannot override it
  }
  r = send(http::verb::post, "/api/v1/incidents/" + id + "/resolve", "Bearer " + bare);
  ASSERT_EQ(r.status, 200u) << r.body;
  {
    JsonDoc d(r.body);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(JsonStr(d.root()["resolved_by"]), "token");  // an unnamed token
  }

  const std::string silence = R"({"matchers":[{"name":"service","value":"db","isRegex":false}],
    "startsAt":"2026-05-28T20:26:40Z","endsAt":"2026-05-28T22:00:00Z","createdBy":"alice","comment":"maintenance"})";
  EXPECT_EQ(send(http::verb::post, "/api/v2/silences", "", silence).status, 401u);
  EXPECT_EQ(send(http::verb::post, "/api/v2/silences", "Bearer nope", silence).status, 401u);
  r = send(http::verb::post, "/api/v2/silences", "Bearer " + alice, silence);
  ASSERT_EQ(r.status, 200u) << r.body;
  JsonDoc created(r.body);
  ASSERT_TRUE(created.ok()) << r.body;
  const std::string sid = JsonStr(created.root()["silenceID"]);
  EXPECT_EQ(send(http::verb::delete_, "/api/v2/silence/" + sid, "").status, 401u);
  EXPECT_EQ(send(http::verb::get, "/api/v2/silence/" + sid, "").status, 200u);
  EXPECT_EQ(send(http::verb::delete_, "/api/v2/silence/" + sid, "Bearer " + bare).status, 200u);

  for (const std::string& body : bodies) {
    EXPECT_EQ(body.find(alice), std::string::npos) << "token leaked: " << body;
    EXPECT_EQ(body.find(bare), std::string::npos) << "token leaked: " << body;
  }
}

TEST_F(IncidentsApiTest, ReopensWithinTheWindowAndOpensANewIncidentAfterIt) {
  StartWithRules();
  TestClient c = Client();
  const std::string id = OpenAndPage(c);
  ASSERT_FALSE(id.empty());
  clock_.Advance(minutes(1));
  PostAlerts(c, {Resolved("Down", "db", "critical")});
  EXPECT_EQ(Ids(c, "?state=resolved"), std::vector<std::string>{id});

  // Fires again 9 minutes later, within the 10-minute window: the same incident, triggered again.
  clock_.Advance(minutes(9));
  PostAlerts(c, {Alert("Down", "db", "critical")});
  EXPECT_EQ(Ids(c), std::vector<std::string>{id});
  {
    JsonDoc d(IncidentJson(c, id));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(JsonStr(d.root()["state"]), "triggered");
    EXPECT_EQ(uint64_t(d.root()["counts"]["reopened"]), 1u);
    EXPECT_TRUE(d.root()["resolved_at"].is_null());
    EXPECT_EQ(TimelineEntries(d.root(), "reopened"), std::vector<std::string>{"2026-05-28T20:37:10.000Z"});
    EXPECT_EQ(TimelineEntries(d.root(), "alert_refired").size(), 1u);
  }
  clock_.Advance(seconds(30));
  daemon_->PokeEngine();
  ASSERT_TRUE(WaitForNotified(c, id, "reopened -> hook"));

  // Resolved again, and quiet for longer than the window: the next firing is a new incident.
  clock_.Advance(minutes(1));
  PostAlerts(c, {Resolved("Down", "db", "critical")});
  clock_.Advance(minutes(10) + seconds(1));
  PostAlerts(c, {Alert("Down", "db", "critical")});
  std::vector<std::string> ids = Ids(c);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], id);
  EXPECT_EQ(ids[1], id);
  JsonDoc fresh(IncidentJson(c, ids[0]));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(JsonStr(fresh.root()["state"]), "triggered");
  EXPECT_EQ(uint64_t(fresh.root()["counts"]["reopened"]), 0u);
  EXPECT_EQ(TimelineKinds(fresh.root()), (std::vector<std::string>{"opened", "alert_joined"}));
  JsonDoc old(IncidentJson(c, id));
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(JsonStr(old.root()["state"]), "resolved");
}

TEST_F(IncidentsApiTest, DedupIgnoredLabelsMakeOneAlertAndThePriorityFallsBackToTheDefault) {
  StartWithRules();
  TestClient c = Client();
  // A crash-looping pod comes back under a new name: the same alert, not a new one.
  ASSERT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"CrashLoop","service":"api","severity":"info",
      "pod":"api-7f9c-1"}}])")
                .status,
            200u);
  ASSERT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"CrashLoop","service":"api","severity":"info",
      "pod":"api-7f9c-2"}}])")
                .status,
            200u);
  EXPECT_EQ(Alerts(c).get_array().size(), 1u);
  std::vector<std::string> ids = Ids(c);
  ASSERT_EQ(ids.size(), 1u);
  JsonDoc d(IncidentJson(c, ids[0]));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(uint64_t(d.root()["counts"]["alerts"]), 1u);
  EXPECT_EQ(TimelineEntries(d.root(), "alert_joined").size(), 1u);
  EXPECT_EQ(JsonStr(d.root()["priority"]), "P4");  // severity "info" is not in the map: the default
}

// The same alerts in two orders, to two daemons at the same fake time, end in byte-identical incidents.
TEST_F(IncidentsApiTest, TheOrderOfAlertsInARequestLeavesNoTrace) {
  StartWithRules();
  Result<config::Config> config = config::LoadConfig((dir_ / "c.yaml").string());
  ASSERT_TRUE(config.ok()) << config.status().message();
  config->data_dir = (dir_ / "other-data").string();  // a second daemon needs a store of its own
  server::Daemon other(std::move(*config), &clock_);
  ASSERT_TRUE(other.Start().ok());
  TestClient c1 = Client();
  TestClient c2(other.port());

  std::vector<std::string> first = {
      Alert("HighLatency", "api", "warning", R"(,"annotations":{"summary":"slow"})"),
      Alert("ErrorRate", "api", "critical"),
      Alert("Saturation", "api", "info"),
      Alert("ReplicationLag", "db", "warning"),
      Alert("DiskFull", "db", "critical"),
      Alert("Down", "web", "critical"),
      Alert("CertExpiring", "web", "warning"),
      Alert("HighLatency", "web", "warning"),
  };
  std::vector<std::string> second = {
      Resolved("Down", "web", "critical"),       Resolved("CertExpiring", "web", "warning"),
      Resolved("HighLatency", "web", "warning"), Alert("Deadlocks", "db", "critical"),
      Alert("Connections", "db", "warning"),     Resolved("ErrorRate", "api", "critical"),
  };
  auto shuffled = [](std::vector<std::string> v) {
    std::reverse(v.begin(), v.end());
    std::rotate(v.begin(), v.begin() + 2, v.end());
    return v;
  };
  ASSERT_NE(shuffled(first), first);
  PostAlerts(c1, first);
  PostAlerts(c2, shuffled(first));
  clock_.Advance(seconds(10));
  PostAlerts(c1, second);
  PostAlerts(c2, shuffled(second));
  clock_.Advance(seconds(30));
  daemon_->PokeEngine();
  other.PokeEngine();

  HttpResult l1 = c1.Get("/api/v1/incidents");
  HttpResult l2 = c2.Get("/api/v1/incidents");
  ASSERT_EQ(l1.status, 200u);
  EXPECT_EQ(l1.body, l2.body);
  std::vector<std::string> ids = Ids(c1);
  EXPECT_EQ(ids.size(), 3u);
  for (const std::string& id : ids) EXPECT_EQ(IncidentJson(c1, id), IncidentJson(c2, id)) << id;
  EXPECT_EQ(c1.Get("/api/v2/alerts").body, c2.Get("/api/v2/alerts").body);
  // Sanity: the second request mattered (web resolved, db grew, api paged).
  EXPECT_EQ(Ids(c1, "?state=resolved").size(), 1u);
}

}  // namespace
}  // namespace incidentd::testing
