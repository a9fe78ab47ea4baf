// Silences over Alertmanager's v2 API and inhibition, end to end: what GET /api/v2/alerts shows for muted alerts, and
// that an incident whose firing alerts are all muted pages no one.
#include <gtest/gtest.h>

#include <optional>
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

constexpr char kRules[] = R"(correlations:
  - name: by-service
    group_by: [service]
    group_wait: 30s
    group_interval: 5m
    priority: {from_label: severity, map: {critical: P1, warning: P3}, default: P4}
    title: "{{ service }}"
    policy: oncall
inhibit:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
policies:
  - name: oncall
    steps:
      - notify: [hook]
receivers:
  - name: hook
    type: webhook
    url: http://127.0.0.1:9/
)";

// Silences service="api" for two hours from the fake clock's start (2026-05-28T20:26:40Z).
constexpr char kApiSilence[] = R"({"matchers":[{"name":"service","value":"api","isRegex":false,"isEqual":true}],
  "startsAt":"2026-05-28T20:26:40Z","endsAt":"2026-05-28T22:26:40Z","createdBy":"alice","comment":"deploy"})";

class SilencesApiTest : public DaemonTest {
 protected:
  // No alert times out in these tests: every change is one they make.
  void StartWithRules() { StartWithFiles({{"rules.yaml", kRules}}, "rule_files: [rules.yaml]\nresolve_timeout: 1h\n"); }

  // POSTs a silence; its id, or "" on failure.
  static std::string CreateSilence(TestClient& c, const std::string& body) {
    HttpResult r = c.Post("/api/v2/silences", body);
    EXPECT_EQ(r.status, 200u) << r.body;
    JsonDoc d(r.body);
    if (r.status != 200 || !d.ok()) return "";
    EXPECT_EQ(d.root().get_object().size(), 1u) << r.body;
    return JsonStr(d.root()["silenceID"]);
  }

  // The alert of GET /api/v2/alerts<query> (in `doc`) whose alertname and service are these, or nullopt.
  static std::optional<element> Find(const JsonDoc& doc, std::string_view alertname, std::string_view service) {
    for (element a : doc.root().get_array()) {
      if (std::string_view(a["labels"]["alertname"]) == alertname &&
          std::string_view(a["labels"]["service"]) == service) {
        return a;
      }
    }
    return std::nullopt;
  }
  static std::vector<std::string> Strings(element array) {
    std::vector<std::string> out;
    for (element e : array.get_array()) out.emplace_back(std::string_view(e));
    return out;
  }

  // The id of the only incident of `service`, or "".
  static std::string IncidentOf(TestClient& c, std::string_view service) {
    HttpResult r = c.Get("/api/v1/incidents");
    JsonDoc d(r.body);
    if (!d.ok()) return "";
    for (element i : d.root().get_array()) {
      if (std::string_view(i["group_labels"]["service"]) == service) return JsonStr(i["id"]);
    }
    return "";
  }
};

TEST_F(SilencesApiTest, CreateListGetAndExpire) {
  StartWithRules();
  TestClient c = Client();
  const std::string id = CreateSilence(c, kApiSilence);
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << id;

  HttpResult r = c.Get("/api/v2/silences");
  ASSERT_EQ(r.status, 200u);
  {
    JsonDoc d(r.body);
    ASSERT_TRUE(d.ok()) << r.body;
    ASSERT_EQ(d.root().get_array().size(), 1u);
    element s = d.root().at(0);
    EXPECT_EQ(JsonStr(s["id"]), id);
    EXPECT_EQ(JsonStr(s["status"]["state"]), "active");
    EXPECT_EQ(JsonStr(s["createdBy"]), "alice");
    EXPECT_EQ(JsonStr(s["comment"]), "deploy");
    EXPECT_EQ(JsonStr(s["startsAt"]), "2026-05-28T20:26:40.000Z");
    EXPECT_EQ(JsonStr(s["endsAt"]), "2026-05-28T22:26:40.000Z");
    ASSERT_EQ(s["matchers"].get_array().size(), 1u);
    element m = s["matchers"].at(0);
    EXPECT_EQ(JsonStr(m["name"]), "service");
    EXPECT_EQ(JsonStr(m["value"]), "api");
    EXPECT_FALSE(bool(m["isRegex"]));
    EXPECT_TRUE(bool(m["isEqual"]));
  }
  r = c.Get("/api/v2/silence/" + id);
  ASSERT_EQ(r.status, 200u) << r.body;
  {
    JsonDoc d(r.body);
    ASSERT_TRUE(d.ok()) << r.body;
    EXPECT_EQ(JsonStr(d.root()["id"]), id);
    EXPECT_EQ(JsonStr(d.root()["status"]["state"]), "active");
  }

  clock_.Advance(minutes(1));
  r = c.Send(http::verb::delete_, "/api/v2/silence/" + id);
  EXPECT_EQ(r.status, 200u) << r.body;
  r = c.Get("/api/v2/silence/" + id);
  ASSERT_EQ(r.status, 200u) << r.body;
  {
    JsonDoc d(r.body);
    ASSERT_TRUE(d.ok()) << r.body;
    EXPECT_EQ(JsonStr(d.root()["status"]["state"]), "expired");
    EXPECT_EQ(JsonStr(d.root()["endsAt"]), "2026-05-28T20:27:40.000Z");  // ended when it was deleted
  }
  {
    JsonDoc d(c.Get("/api/v2/silences").body);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d.root().get_array().size(), 1u) << "an expired silence is still listed";
    EXPECT_EQ(JsonStr(d.root().at(0)["status"]["state"]), "expired");
  }

  const std::string unknown = "00000000-0000-4000-8000-000000000000";
  EXPECT_EQ(c.Get("/api/v2/silence/" + unknown).status, 404u);
  EXPECT_EQ(c.Send(http::verb::delete_, "/api/v2/silence/" + unknown).status, 404u);
}

TEST_F(SilencesApiTest, BadBodiesAre400NamingTheField) {
  StartWithRules();
  TestClient c = Client();
  struct Case {
    std::string body;
    std::string field;
  };
  const std::string times = R"("startsAt":"2026-05-28T20:26:40Z","endsAt":"2026-05-28T22:00:00Z")";
  const std::string who = R"("createdBy":"alice","comment":"c")";
  const std::string matcher = R"("matchers":[{"name":"service","value":"api","isRegex":false}])";
  const std::vector<Case> cases = {
      {"{" + times + "," + who + "}", "matchers"},
      {"{" + matcher + "," + times + R"(,"comment":"c"})", "createdBy"},
      {"{" + matcher + "," + times + R"(,"createdBy":"alice"})", "comment"},
      {R"({"matchers":[{"name":"service","isRegex":false}],)" + times + "," + who + "}", "matchers[0].value"},
      {R"({"matchers":[{"name":"service","value":"api"}],)" + times + "," + who + "}", "matchers[0].isRegex"},
      {"{" + matcher + R"(,"startsAt":"yesterday","endsAt":"2026-05-28T22:00:00Z",)" + who + "}", "startsAt"},
      {"{" + matcher + R"(,"startsAt":"2026-05-28T20:26:40Z",)" + who + "}", "endsAt"},
      {"{" + matcher + R"(,"startsAt":"2026-05-28T22:00:00Z","endsAt":"2026-05-28T21:00:00Z",)" + who + "}", "endsAt"},
      {"not json", "JSON"},
  };
  for (const Case& k : cases) {
    HttpResult r = c.Post("/api/v2/silences", k.body);
    EXPECT_EQ(r.status, 400u) << k.body << " -> " << r.body;
    EXPECT_NE(r.body.find(k.field), std::string::npos) << k.body << " -> " << r.body;
  }
  JsonDoc d(c.Get("/api/v2/silences").body);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.root().get_array().size(), 0u) << "a refused silence changes nothing";
}

TEST_F(SilencesApiTest, ASilencedAlertIsSuppressedAndItsIncidentPagesNoOne) {
  StartWithRules();
  TestClient c = Client();
  const std::string sid = CreateSilence(c, kApiSilence);
  ASSERT_FALSE(sid.empty());
  ASSERT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"Down","service":"api","severity":"critical"}},
      {"labels":{"alertname":"Down","service":"web","severity":"critical"}}])")
                .status,
            200u);
  {
    JsonDoc d(c.Get("/api/v2/alerts").body);
    ASSERT_TRUE(d.ok());
    std::optional<element> api = Find(d, "Down", "api");
    ASSERT_TRUE(api.has_value());
    EXPECT_EQ(JsonStr((*api)["status"]["state"]), "suppressed");
    EXPECT_EQ(Strings((*api)["status"]["silencedBy"]), std::vector<std::string>{sid});
    EXPECT_EQ((*api)["status"]["inhibitedBy"].get_array().size(), 0u);
    std::optional<element> web = Find(d, "Down", "web");
    ASSERT_TRUE(web.has_value());
    EXPECT_EQ(JsonStr((*web)["status"]["state"]), "active");
  }
  {
    JsonDoc d(c.Get("/api/v2/alerts?silenced=false").body);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.root().get_array().size(), 1u);
    EXPECT_FALSE(Find(d, "Down", "api").has_value());
  }

  // Silenced alerts are still grouped: the incident opens, but its flush pages no one.
  const std::string api = IncidentOf(c, "api"), web = IncidentOf(c, "web");
  ASSERT_FALSE(api.empty());
  ASSERT_FALSE(web.empty());
  clock_.Advance(seconds(30));
  daemon_->PokeEngine();
  ASSERT_TRUE(WaitFor([&] { return Notified(c, web, "triggered -> hook"); }));
  {
    JsonDoc d(c.Get("/api/v1/incidents/" + api).body);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(TimelineEntries(d.root(), "suppressed"), std::vector<std::string>{"2026-05-28T20:27:10.000Z"});
    EXPECT_TRUE(TimelineEntries(d.root(), "notified").empty());
    EXPECT_EQ(uint64_t(d.root()["counts"]["notifications"]), 0u);
    EXPECT_EQ(Strings(d.root()["alerts"].at(0)["silenced_by"]), std::vector<std::string>{sid});
  }

  // Once the silence is deleted, the alert is active again and the next flush (group_interval later) pages.
  ASSERT_EQ(c.Send(http::verb::delete_, "/api/v2/silence/" + sid).status, 200u);
  {
    JsonDoc d(c.Get("/api/v2/alerts").body);
    ASSERT_TRUE(d.ok());
    std::optional<element> a = Find(d, "Down", "api");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(JsonStr((*a)["status"]["state"]), "active");
    EXPECT_EQ((*a)["status"]["silencedBy"].get_array().size(), 0u);
  }
  clock_.Advance(minutes(5));
  daemon_->PokeEngine();
  ASSERT_TRUE(WaitFor([&] { return Notified(c, api, "triggered -> hook"); }));
  JsonDoc d(c.Get("/api/v1/incidents/" + api).body);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(TimelineEntries(d.root(), "notified"),
            std::vector<std::string>{"2026-05-28T20:32:10.000Z triggered -> hook"});
}

TEST_F(SilencesApiTest, AFiringCriticalAlertInhibitsTheWarningsWithTheSameEqualLabels) {
  StartWithRules();
  TestClient c = Client();
  ASSERT_EQ(c.Post("/api/v2/alerts", R"([
      {"labels":{"alertname":"NodeDown","service":"db","severity":"critical","cluster":"eu"}},
      {"labels":{"alertname":"SlowQueries","service":"db","severity":"warning","cluster":"eu"}},
      {"labels":{"alertname":"HighLatency","service":"web","severity":"warning","cluster":"eu"}},
      {"labels":{"alertname":"HighLatency","service":"shop","severity":"warning","cluster":"us"}}])")
                .status,
            200u);
  std::string critical;
  {
    JsonDoc d(c.Get("/api/v2/alerts").body);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d.root().get_array().size(), 4u);
    std::optional<element> source = Find(d, "NodeDown", "db");
    ASSERT_TRUE(source.has_value());
    critical = JsonStr((*source)["fingerprint"]);
    EXPECT_EQ(JsonStr((*source)["status"]["state"]), "active");
    EXPECT_EQ((*source)["status"]["inhibitedBy"].get_array().size(), 0u);
    for (auto [name, service] : {std::pair{"SlowQueries", "db"}, std::pair{"HighLatency", "web"}}) {
      std::optional<element> a = Find(d, name, service);
      ASSERT_TRUE(a.has_value()) << name;
      EXPECT_EQ(JsonStr((*a)["status"]["state"]), "suppressed") << name;
      EXPECT_EQ(Strings((*a)["status"]["inhibitedBy"]), std::vector<std::string>{critical}) << name;
      EXPECT_EQ((*a)["status"]["silencedBy"].get_array().size(), 0u) << name;
    }
    std::optional<element> other_cluster = Find(d, "HighLatency", "shop");
    ASSERT_TRUE(other_cluster.has_value());
    EXPECT_EQ(JsonStr((*other_cluster)["status"]["state"]), "active");
  }
  {
    JsonDoc d(c.Get("/api/v2/alerts?inhibited=false").body);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.root().get_array().size(), 2u);
  }

  // db still pages for its critical alert; web, all inhibited, pages no one; shop pages.
  const std::string db = IncidentOf(c, "db"), web = IncidentOf(c, "web"), shop = IncidentOf(c, "shop");
  clock_.Advance(seconds(30));
  daemon_->PokeEngine();
  ASSERT_TRUE(WaitFor([&] { return Notified(c, db, "triggered -> hook") && Notified(c, shop, "triggered -> hook"); }));
  {
    JsonDoc d(c.Get("/api/v1/incidents/" + web).body);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(TimelineKinds(d.root()), (std::vector<std::string>{"opened", "alert_joined", "suppressed"}));
    EXPECT_EQ(JsonStr(d.root()["alerts"].at(0)["inhibited_by"]), critical);
  }

  // The critical alert resolves: the inhibition ends, and web pages at its next flush.
  ASSERT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"NodeDown","service":"db","severity":"critical",
      "cluster":"eu"},"endsAt":"2020-01-01T00:00:00Z"}])")
                .status,
            200u);
  {
    JsonDoc d(c.Get("/api/v2/alerts").body);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d.root().get_array().size(), 3u);
    for (element a : d.root().get_array()) EXPECT_EQ(JsonStr(a["status"]["state"]), "active");
  }
  clock_.Advance(minutes(5));
  daemon_->PokeEngine();
  EXPECT_TRUE(WaitFor([&] { return Notified(c, web, "triggered -> hook"); }));
}

}  // namespace
}  // namespace incidentd::testing
