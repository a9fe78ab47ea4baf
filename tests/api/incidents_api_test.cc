#include "api/incidents_api.h"

#include <gtest/gtest.h>

#include <simdjson.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
      {"state=held", StateFilter::kHeld, 500, nullptr},
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

// The correlation fields come from the engine's state as it stands; the incidents here are put back as recovery
// would (Engine::RestoreIncident), so that every field can be set however the engine gets there.
class CorrelationRenderTest : public ::testing::Test {
 protected:
  CorrelationRenderTest() : engine_({}, Rules()) {}

  static engine::RuleSet Rules() {
    engine::RuleSet rules;
    engine::CorrelationRule distinct;
    distinct.name = "api-errors";
    distinct.group_by = {"cluster"};
    distinct.min_distinct = {"instance", 5};
    rules.correlations.push_back(distinct);
    engine::CorrelationRule count;
    count.name = "by-count";
    count.min_alerts = 10;
    count.window = std::chrono::minutes(90);
    rules.correlations.push_back(count);
    engine::CorrelationRule plain;
    plain.name = "plain";
    rules.correlations.push_back(plain);
    return rules;
  }

  // An incident of `rule` with the given id's high bits, put back into the engine.
  std::string Restore(uint64_t hi, std::string rule, IncidentState state, void (*edit)(Incident&) = nullptr) {
    auto inc = std::make_unique<Incident>();
    inc->id_hi = hi;
    inc->id_lo = 1;
    inc->id = engine::Incidents::IdText(inc->id_hi, inc->id_lo);
    inc->rule = std::move(rule);
    inc->group_key = hi;
    inc->state = state;
    inc->title = "incident " + std::to_string(hi);
    inc->created_at = kT0;
    inc->updated_at = kT0;
    inc->triggered_at = kT0;
    inc->rule_index = 99;  // stale: the renderer finds the rule by name
    inc->timeline.push_back(TimelineEntry{kT0, {}, 0, TimelineKind::kOpened});
    if (edit) edit(*inc);
    std::string id = inc->id;
    Status s = engine_.RestoreIncident(std::move(inc), {"", "7 changes within 10m", "01KPROBLEM: 3 incidents"}, kT0);
    EXPECT_TRUE(s.ok()) << s.message();
    return id;
  }

  simdjson::dom::element Detail(const std::string& id) {
    const Incident* inc = engine_.incidents().Find(id);
    EXPECT_NE(inc, nullptr);
    json_ = RenderIncident(engine_, *inc);
    return parser_.parse(json_);
  }

  // Alerts fired at these minutes after kT0, with these hashes of the min_distinct label's value (0: missing).
  static std::vector<HeldAlert> Held(std::initializer_list<std::pair<int, uint64_t>> at_value) {
    std::vector<HeldAlert> out;
    uint64_t fp = 1;
    for (const auto& [minute, value] : at_value) {
      out.push_back(HeldAlert{kT0 + std::chrono::minutes(minute), Fingerprint(fp++), value});
    }
    return out;
  }

  engine::Engine engine_;
  simdjson::dom::parser parser_;
  std::string json_;
};

TEST_F(CorrelationRenderTest, AnIncidentWithoutCorrelationHasTheFieldsEmpty) {
  const std::string id = Restore(1, "plain", IncidentState::kTriggered);
  simdjson::dom::element inc = Detail(id);
  EXPECT_FALSE(bool(inc["major"]));
  EXPECT_FALSE(bool(inc["root"]));
  EXPECT_TRUE(inc["symptom_of"].is_null());
  EXPECT_EQ(inc["symptoms"].get_array().size(), 0u);
  EXPECT_FALSE(bool(inc["flapping"]));
  EXPECT_TRUE(inc["problem"].is_null());
  EXPECT_EQ(inc["held"].error(), simdjson::NO_SUCH_FIELD);
}

TEST_F(CorrelationRenderTest, ARootThatIsMajorFlappingAndInAProblem) {
  const std::string id = Restore(1, "plain", IncidentState::kAcknowledged, [](Incident& inc) {
    inc.major = true;
    inc.symptoms = {"01KSYMPTOM000000000000000A", "01KSYMPTOM000000000000000B"};
    inc.problem = "01KPROBLEM0000000000000000";
    inc.flapping = 1;
    inc.members.emplace(Fingerprint(0x10), IncidentMember{2, AlertStatus::kFiring, false, true});
    inc.members.emplace(Fingerprint(0x20), IncidentMember{2, AlertStatus::kFiring, false, false});
    inc.timeline.push_back(TimelineEntry{kT0 + std::chrono::minutes(1), Fingerprint(0x10), 1, TimelineKind::kFlapping});
    inc.timeline.push_back(TimelineEntry{kT0 + std::chrono::minutes(2), {}, 2, TimelineKind::kProblem});
    inc.timeline.push_back(TimelineEntry{kT0 + std::chrono::minutes(20), Fingerprint(0x10), 0, TimelineKind::kStable});
    inc.timeline.push_back(TimelineEntry{kT0 + std::chrono::minutes(21), {}, 0, TimelineKind::kMajor});
  });
  simdjson::dom::element inc = Detail(id);
  EXPECT_TRUE(bool(inc["major"]));
  EXPECT_TRUE(bool(inc["root"]));
  EXPECT_TRUE(inc["symptom_of"].is_null());
  simdjson::dom::array symptoms = inc["symptoms"].get_array();
  ASSERT_EQ(symptoms.size(), 2u);
  EXPECT_EQ(std::string_view(symptoms.at(0)), "01KSYMPTOM000000000000000A");
  EXPECT_EQ(std::string_view(symptoms.at(1)), "01KSYMPTOM000000000000000B");
  EXPECT_TRUE(bool(inc["flapping"]));
  EXPECT_EQ(std::string_view(inc["problem"]), "01KPROBLEM0000000000000000");
  EXPECT_EQ(inc["held"].error(), simdjson::NO_SUCH_FIELD);  // not held

  // Alerts by fingerprint: the flapping one first.
  simdjson::dom::array alerts = inc["alerts"].get_array();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(std::string_view(alerts.at(0)["fingerprint"]), "0000000000000010");
  EXPECT_TRUE(bool(alerts.at(0)["flapping"]));
  EXPECT_FALSE(bool(alerts.at(1)["flapping"]));

  // flapping and stable name their alert; problem and major do not.
  simdjson::dom::array timeline = inc["timeline"].get_array();
  ASSERT_EQ(timeline.size(), 5u);
  EXPECT_EQ(std::string_view(timeline.at(1)["kind"]), "flapping");
  EXPECT_EQ(std::string_view(timeline.at(1)["fingerprint"]), "0000000000000010");
  EXPECT_EQ(std::string_view(timeline.at(1)["detail"]), "7 changes within 10m");
  EXPECT_EQ(std::string_view(timeline.at(2)["kind"]), "problem");
  EXPECT_EQ(timeline.at(2)["fingerprint"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(std::string_view(timeline.at(2)["detail"]), "01KPROBLEM: 3 incidents");
  EXPECT_EQ(std::string_view(timeline.at(3)["kind"]), "stable");
  EXPECT_EQ(std::string_view(timeline.at(3)["fingerprint"]), "0000000000000010");
  EXPECT_EQ(std::string_view(timeline.at(4)["kind"]), "major");
  EXPECT_EQ(timeline.at(4)["fingerprint"].error(), simdjson::NO_SUCH_FIELD);

  // The list shows the same fields.
  simdjson::dom::element list = parser_.parse(RenderIncidents(engine_, {}));
  EXPECT_TRUE(bool(list.at(0)["root"]));
  EXPECT_TRUE(bool(list.at(0)["alerts"].at(0)["flapping"]));
}

TEST_F(CorrelationRenderTest, ASymptomNamesItsRoot) {
  const std::string id = Restore(1, "plain", IncidentState::kTriggered,
                                 [](Incident& inc) { inc.symptom_of = "01KROOT0000000000000000000"; });
  simdjson::dom::element inc = Detail(id);
  EXPECT_EQ(std::string_view(inc["symptom_of"]), "01KROOT0000000000000000000");
  EXPECT_FALSE(bool(inc["root"]));
  EXPECT_FALSE(bool(inc["major"]));
}

// min_distinct counts the distinct non-zero values among the alerts within the window before the latest, its edge
// included: here minutes 1..6 count (4, 2, 3; 0 is a missing label, 2 repeats), minute 0 does not.
TEST_F(CorrelationRenderTest, AHeldIncidentShowsItsDistinctValuesWithinTheWindow) {
  const std::string id = Restore(1, "api-errors", IncidentState::kHeld, [](Incident& inc) {
    inc.held = Held({{0, 1}, {1, 4}, {2, 2}, {4, 0}, {5, 2}, {6, 3}});
  });
  simdjson::dom::element inc = Detail(id);
  EXPECT_EQ(std::string_view(inc["state"]), "held");
  simdjson::dom::element held = inc["held"];
  EXPECT_EQ(uint64_t(held["alerts"]), 3u);
  EXPECT_EQ(uint64_t(held["needed"]), 5u);
  EXPECT_EQ(std::string_view(held["label"]), "instance");
  EXPECT_EQ(std::string_view(held["window"]), "5m");
}

// min_alerts counts the alerts within the window before the latest (90 minutes back from minute 100: 10..100).
TEST_F(CorrelationRenderTest, AHeldIncidentShowsItsAlertsWithinTheWindow) {
  const std::string id = Restore(1, "by-count", IncidentState::kHeld, [](Incident& inc) {
    inc.held = Held({{0, 0}, {9, 0}, {10, 0}, {50, 7}, {100, 0}});
  });
  simdjson::dom::element held = Detail(id)["held"];
  EXPECT_EQ(uint64_t(held["alerts"]), 3u);
  EXPECT_EQ(uint64_t(held["needed"]), 10u);
  EXPECT_TRUE(held["label"].is_null());
  EXPECT_EQ(std::string_view(held["window"]), "1h30m");
}

TEST_F(CorrelationRenderTest, AHeldIncidentWithNoAlertsCountsNone) {
  const std::string id = Restore(1, "by-count", IncidentState::kHeld);
  EXPECT_EQ(uint64_t(Detail(id)["held"]["alerts"]), 0u);
}

TEST_F(CorrelationRenderTest, AHeldIncidentWhoseRuleIsGoneOrHasNoThresholdShowsNoProgress) {
  const std::string gone = Restore(1, "removed", IncidentState::kHeld, [](Incident& inc) {
    inc.held = Held({{0, 1}});
  });
  EXPECT_EQ(Detail(gone)["held"].error(), simdjson::NO_SUCH_FIELD);
  const std::string plain = Restore(2, "plain", IncidentState::kHeld, [](Incident& inc) { inc.held = Held({{0, 1}}); });
  EXPECT_EQ(Detail(plain)["held"].error(), simdjson::NO_SUCH_FIELD);
}

TEST_F(CorrelationRenderTest, HeldIsListedApartAndIsNotOpen) {
  Restore(1, "plain", IncidentState::kTriggered);
  Restore(2, "plain", IncidentState::kAcknowledged);
  Restore(3, "by-count", IncidentState::kHeld);
  Restore(4, "plain", IncidentState::kResolved);
  auto titles = [&](StateFilter f) {
    std::vector<std::string> out;
    for (simdjson::dom::element inc : parser_.parse(RenderIncidents(engine_, {f, 500, 100})).get_array()) {
      out.emplace_back(std::string_view(inc["title"]));
    }
    return out;
  };
  EXPECT_EQ(titles(StateFilter::kHeld), (std::vector<std::string>{"incident 3"}));
  EXPECT_EQ(titles(StateFilter::kOpen), (std::vector<std::string>{"incident 2", "incident 1"}));
  EXPECT_EQ(titles(StateFilter::kAll),
            (std::vector<std::string>{"incident 4", "incident 3", "incident 2", "incident 1"}));
}

}  // namespace
}  // namespace incidentd::api
