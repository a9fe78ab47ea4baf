// Correlation beyond the group over HTTP: alerts in through /api/v2/alerts, roots and symptoms, major and held
// incidents out of /api/v1/incidents, recurring problems out of /api/v1/problems, and their metrics.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "integration/daemon_fixture.h"

namespace incidentd::testing {
namespace {

using simdjson::dom::element;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kRules[] = R"(topology:
  services:
    - name: db
    - {name: api, depends_on: [db]}
major:
  min_distinct: {label: service, count: 2}
  policy: commander
problems: {recurrences: 2, within: 1d}
correlations:
  - name: disk
    match: ['alertname="DiskFull"']
    group_by: [cluster]
    min_alerts: 2
    window: 5m
    policy: oncall
  - name: by-service
    match: ['service=~".+"']
    group_by: [service]
    reopen_window: 1m
    policy: oncall
policies:
  - name: oncall
    steps:
      - notify: [hook]
  - name: commander
    steps:
      - notify: [hook]
receivers:
  - name: hook
    type: webhook
    url: http://127.0.0.1:9/
)";

class CorrelationApiTest : public DaemonTest {
 protected:
  void SetUp() override { StartWithFiles({{"rules.yaml", kRules}}, "rule_files: [rules.yaml]\nresolve_timeout: 1h\n"); }

  void Post(TestClient& c, const std::string& body) {
    HttpResult r = c.Post("/api/v2/alerts", body);
    ASSERT_EQ(r.status, 200u) << r.body;
  }
  // Incidents of GET /api/v1/incidents<query> by their service (or cluster) label.
  std::map<std::string, std::string> ByGroup(TestClient& c, const std::string& query = "") {
    HttpResult r = c.Get("/api/v1/incidents" + query);
    EXPECT_EQ(r.status, 200u) << r.body;
    std::map<std::string, std::string> out;
    JsonDoc d(r.body);
    if (!d.ok()) return out;
    for (element i : d.root().get_array()) {
      std::string_view group;
      if (i["group_labels"]["service"].get(group) != simdjson::SUCCESS) {
        EXPECT_EQ(i["group_labels"]["cluster"].get(group), simdjson::SUCCESS);
      }
      out[std::string(group)] = simdjson::to_string(i);
    }
    return out;
  }
};

TEST_F(CorrelationApiTest, RootsSymptomsMajorAndHeldIncidents) {
  TestClient c = Client();
  Post(c, R"([{"labels":{"alertname":"Down","service":"db"}}])");
  clock_.Advance(seconds(5));
  Post(c, R"([{"labels":{"alertname":"Errors","service":"api"}},{"labels":{"alertname":"DiskFull","cluster":"eu1"}}])");

  std::map<std::string, std::string> incidents = ByGroup(c);
  ASSERT_EQ(incidents.size(), 3u);
  JsonDoc db(incidents["db"]), api(incidents["api"]), disk(incidents["eu1"]);
  const std::string db_id = JsonStr(db.root()["id"]);
  bool flag = false;
  EXPECT_EQ(db.root()["root"].get(flag), simdjson::SUCCESS);
  EXPECT_TRUE(flag);
  EXPECT_EQ(db.root()["major"].get(flag), simdjson::SUCCESS);
  EXPECT_TRUE(flag);
  EXPECT_EQ(JsonStr(db.root()["priority"]), "P1");
  EXPECT_EQ(JsonStr(db.root()["symptoms"].at(0)), JsonStr(api.root()["id"]));
  EXPECT_TRUE(db.root()["symptom_of"].is_null());
  EXPECT_EQ(JsonStr(api.root()["symptom_of"]), db_id);
  EXPECT_EQ(api.root()["major"].get(flag), simdjson::SUCCESS);
  EXPECT_FALSE(flag);
  EXPECT_EQ(JsonStr(disk.root()["state"]), "held");
  uint64_t n = 0;
  EXPECT_EQ(disk.root()["held"]["alerts"].get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(disk.root()["held"]["needed"].get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(JsonStr(disk.root()["held"]["window"]), "5m");

  // Held incidents are listed apart from open ones.
  EXPECT_EQ(ByGroup(c, "?state=held").size(), 1u);
  EXPECT_EQ(ByGroup(c, "?state=open").size(), 2u);
  HttpResult metrics = c.Get("/metrics");
  EXPECT_NE(metrics.body.find("\nincidentd_incidents_held 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("\nincidentd_incidents_major_total 1\n"), std::string::npos) << metrics.body;

  // A second disk alert within the window: the threshold is reached.
  clock_.Advance(minutes(1));
  Post(c, R"([{"labels":{"alertname":"DiskFull","cluster":"eu1","instance":"b"}}])");
  EXPECT_EQ(JsonStr(JsonDoc(ByGroup(c)["eu1"]).root()["state"]), "triggered");
}

TEST_F(CorrelationApiTest, AKeyThatRecursIsListedAsAProblem) {
  TestClient c = Client();
  HttpResult none = c.Get("/api/v1/problems");
  ASSERT_EQ(none.status, 200u);
  EXPECT_EQ(none.body, "[]");
  for (int i = 0; i < 2; ++i) {
    Post(c, R"([{"labels":{"alertname":"Down","service":"cache"}}])");
    clock_.Advance(minutes(1));
    Post(c, R"([{"labels":{"alertname":"Down","service":"cache"},"endsAt":"2020-01-01T00:00:00Z"}])");
    clock_.Advance(minutes(10));  // past the reopen window: the next alert opens a new incident
  }
  HttpResult r = c.Get("/api/v1/problems");
  ASSERT_EQ(r.status, 200u);
  JsonDoc list(r.body);
  ASSERT_TRUE(list.ok()) << r.body;
  ASSERT_EQ(list.root().get_array().size(), 1u) << r.body;
  element p = list.root().at(0);
  uint64_t count = 0;
  EXPECT_EQ(p["count"].get(count), simdjson::SUCCESS);
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(JsonStr(p["rule"]), "by-service");
  EXPECT_EQ(JsonStr(p["group_labels"]["service"]), "cache");
  const std::string id = JsonStr(p["id"]);
  const std::string second = JsonStr(p["incidents"].at(1));
  JsonDoc inc(c.Get("/api/v1/incidents/" + second).body);
  EXPECT_EQ(JsonStr(inc.root()["problem"]), id);
  EXPECT_EQ(c.Get("/api/v1/problems/" + id).status, 200u);
  EXPECT_EQ(c.Get("/api/v1/problems/01ARZ3NDEKTSV4RRFFQ69G5FAV").status, 404u);
  EXPECT_NE(c.Get("/metrics").body.find("\nincidentd_problems 1\n"), std::string::npos);
}

}  // namespace
}  // namespace incidentd::testing
