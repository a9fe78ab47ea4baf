#include "api/incidents_api.h"

#include <gtest/gtest.h>

#include <simdjson.h>

namespace incidentd::api {
namespace {

const Time kT0 = FromUnixNanos(1'780'000'000'000'000'000LL);

TEST(IncidentsQueryTest, ParsesStateLimitAndNamesBadParameters) {
  struct Case {
    const char* query;
    StateFilter state;
    size_t limit;
    const char* error;
  } cases[] = {
      {"", StateFilter::kAll, 500, nullptr},
      {"state=open&limit=20", StateFilter::kOpen, 20, nullptr},
      {"state=triggered", StateFilter::kTriggered, 500, nullptr},
      {"state=acknowledged", StateFilter::kAcknowledged, 500, nullptr},
      {"state=resolved&other=1", StateFilter::kResolved, 500, nullptr},
      {"state=all", StateFilter::kAll, 500, nullptr},
      {"state=firing", StateFilter::kAll, 0, "query parameter state: must be one of"},
      {"limit=0", StateFilter::kAll, 0, "query parameter limit: must be a positive integer"},
      {"limit=ten", StateFilter::kAll, 0, "query parameter limit: must be a positive integer"},
      {"alerts_limit=-1", StateFilter::kAll, 0, "query parameter alerts_limit: must be a positive integer"},
  };
  for (const Case& c : cases) {
    Result<IncidentsQuery> q = ParseIncidentsQuery(c.query);
    if (c.error) {
      ASSERT_FALSE(q.ok()) << c.query;
      EXPECT_TRUE(q.status().message().starts_with(c.error)) << q.status().message();
      continue;
    }
    ASSERT_TRUE(q.ok()) << c.query << ": " << q.status().message();
    EXPECT_EQ(q->state, c.state) << c.query;
    EXPECT_EQ(q->limit, c.limit) << c.query;
  }
}

AlertBatch One(std::string_view name, std::string_view cluster) {
  AlertBatch b(AlertFormat::kPrometheus);
  b.Begin();
  b.AddLabel("alertname", name);
  b.AddLabel("cluster", cluster);
  b.Finish(true);
  b.Seal();
  return b;
}

TEST(IncidentsRenderTest, NewestFirstFilteredAndLimited) {
  engine::RuleSet rules;
  engine::CorrelationRule r;
  r.name = "by-cluster";
  r.group_by = {"cluster"};
  rules.correlations.push_back(r);
  engine::Engine e({}, rules);
  e.Apply(One("A", "eu1"), kT0);
  e.Advance(kT0);
  e.Apply(One("B", "us1"), kT0 + std::chrono::seconds(1));
  e.Advance(kT0 + std::chrono::seconds(1));
  std::string us1_id;
  e.incidents().ForEach([&](const Incident& i) {
    if (i.title == "cluster=us1") us1_id = i.id;
  });
  ASSERT_TRUE(e.Acknowledge(us1_id, "alice", kT0 + std::chrono::seconds(2)).ok());

  simdjson::dom::parser parser;
  auto titles = [&](const IncidentsQuery& q) {
    std::string json = RenderIncidents(e, q);
    simdjson::dom::element doc = parser.parse(json);
    std::vector<std::string> out;
    for (simdjson::dom::element inc : doc.get_array()) {
      out.emplace_back(std::string_view(inc["title"]));
      // The fields every incident carries.
      for (const char* k : {"id", "rule", "state", "priority", "group_labels", "alerts", "created_at", "updated_at"}) {
        EXPECT_FALSE(inc[k].error()) << k;
      }
      EXPECT_EQ(std::string_view(inc["alerts"].at(0)["state"]), "firing");
    }
    return out;
  };
  EXPECT_EQ(titles({}), (std::vector<std::string>{"cluster=us1", "cluster=eu1"}));
  EXPECT_EQ(titles({StateFilter::kTriggered, 500, 100}), (std::vector<std::string>{"cluster=eu1"}));
  EXPECT_EQ(titles({StateFilter::kAcknowledged, 500, 100}), (std::vector<std::string>{"cluster=us1"}));
  EXPECT_EQ(titles({StateFilter::kOpen, 1, 100}), (std::vector<std::string>{"cluster=us1"}));
  EXPECT_TRUE(titles({StateFilter::kResolved, 500, 100}).empty());

  const Incident* us1 = e.incidents().Find(us1_id);
  simdjson::dom::element detail = parser.parse(RenderIncident(e, *us1));
  EXPECT_EQ(std::string_view(detail["acknowledged_by"]), "alice");
  EXPECT_EQ(std::string_view(detail["timeline"].at(0)["kind"]), "opened");
  EXPECT_TRUE(detail["alerts"].at(0)["inhibited_by"].is_null());
  EXPECT_EQ(detail["alerts"].at(0)["silenced_by"].get_array().size(), 0u);
}

}  // namespace
}  // namespace incidentd::api
