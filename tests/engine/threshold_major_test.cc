// Thresholds (an incident held until enough alerts fired within the window) and major incidents, driven with
// explicit times.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_util.h"

namespace incidentd::engine {
namespace {

Labels Instance(int i, const std::string& host = "") {
  return {{"alertname", "Down"},
          {"instance", host.empty() ? "i" + std::to_string(i) : host},
          {"job", "j" + std::to_string(i)}};
}

RuleSet ThresholdRules(uint32_t min_alerts, std::string distinct_label = "") {
  CorrelationRule r = Rule("down", {"alertname"});
  r.window = minutes(5);
  if (distinct_label.empty()) {
    r.min_alerts = min_alerts;
  } else {
    r.min_distinct = {std::move(distinct_label), min_alerts};
  }
  return Rules({r});
}

struct ThresholdCase {
  const char* name;
  std::vector<Duration> fired;  // when each alert fired, after kT0
  bool distinct_hosts = true;   // false: every alert has the same instance
  std::string distinct_label;   // empty: min_alerts 3; else min_distinct {label, 3}
  bool triggered;
};

TEST(ThresholdTest, TheIncidentIsHeldUntilEnoughAlertsFiredWithinTheWindow) {
  const std::vector<ThresholdCase> cases = {
      {"three at once", {seconds(0), seconds(0), seconds(0)}, true, "", true},
      {"two", {seconds(0), minutes(1)}, true, "", false},
      {"exactly at the window's edge", {seconds(0), minutes(2), minutes(5)}, true, "", true},
      {"just past the edge", {seconds(0), minutes(2), minutes(5) + seconds(1)}, true, "", false},
      {"distinct instances", {seconds(0), seconds(1), seconds(2)}, true, "instance", true},
      {"three alerts on two instances", {seconds(0), seconds(1), seconds(2)}, false, "instance", false},
  };
  for (const ThresholdCase& c : cases) {
    Engine e({}, ThresholdRules(3, c.distinct_label));
    for (size_t i = 0; i < c.fired.size(); ++i) {
      const std::string host = c.distinct_hosts ? "" : (i % 2 ? "a" : "b");
      Tick(e, kT0 + c.fired[i], {Firing(Instance(static_cast<int>(i), host))});
    }
    ASSERT_EQ(All(e).size(), 1u) << c.name;
    const Incident& inc = *All(e)[0];
    EXPECT_EQ(inc.state, c.triggered ? IncidentState::kTriggered : IncidentState::kHeld) << c.name;
    EXPECT_EQ(e.incidents().open(), c.triggered ? 1u : 0u) << c.name;
    Tick(e, kT0 + c.fired.back() + minutes(1));  // past group_wait
    EXPECT_EQ(Events(e).empty(), !c.triggered) << c.name;
  }
}

TEST(ThresholdTest, ReachingItStartsGroupWaitAndSaysSoOnTheTimeline) {
  Engine e({}, ThresholdRules(2));
  Tick(e, kT0, {Firing(Instance(1))});
  const Incident& inc = *All(e)[0];
  EXPECT_EQ(Kinds(inc), (std::vector<std::string>{"opened", "alert_joined", "held"}));
  EXPECT_EQ(e.incidents().Detail(inc.timeline[2]), "needs 2 alerts within 5m");
  Tick(e, kT0 + minutes(3), {Firing(Instance(2))});
  EXPECT_EQ(inc.state, IncidentState::kTriggered);
  EXPECT_EQ(inc.triggered_at, kT0 + minutes(3));
  EXPECT_EQ(e.incidents().Detail(inc.timeline.back()), "2 alerts within 5m");
  EXPECT_EQ(e.NextDeadline(), kT0 + minutes(3) + seconds(30));
  Tick(e, kT0 + minutes(3) + seconds(30));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd", "triggered (inform) slack"}));
}

TEST(ThresholdTest, AHeldIncidentWhoseAlertsResolveIsDropped) {
  Engine e({}, ThresholdRules(3));
  Tick(e, kT0, {Firing(Instance(1)), Firing(Instance(2))});
  ASSERT_EQ(All(e).size(), 1u);
  Tick(e, kT0 + minutes(1), {Resolved(Instance(1), kT0 + minutes(1))});
  EXPECT_EQ(All(e)[0]->held.size(), 1u);
  Tick(e, kT0 + minutes(2), {Resolved(Instance(2), kT0 + minutes(2))});
  EXPECT_TRUE(All(e).empty());
  EXPECT_TRUE(Events(e).empty());
  // The group starts over: a held incident again.
  Tick(e, kT0 + minutes(3), {Firing(Instance(3))});
  ASSERT_EQ(All(e).size(), 1u);
  EXPECT_EQ(All(e)[0]->state, IncidentState::kHeld);
}

// A held incident dropped and a new alert of its group within the same millisecond: the group's incident is still
// the one held (ids are made of the creation's millisecond and a count the drop would reset).
TEST(ThresholdTest, AGroupDroppedAndFiringAgainInOneMillisecondKeepsItsIncident) {
  Engine e({}, ThresholdRules(3));
  Tick(e, kT0, {Firing(Instance(1))});
  const std::string id = All(e)[0]->id;
  Tick(e, kT0, {Resolved(Instance(1), kT0)});
  Tick(e, kT0, {Firing(Instance(2))});
  ASSERT_EQ(All(e).size(), 1u);
  EXPECT_EQ(All(e)[0]->id, id);
  EXPECT_EQ(All(e)[0]->state, IncidentState::kHeld);
  Tick(e, kT0 + minutes(1), {Resolved(Instance(2), kT0 + minutes(1))});
  EXPECT_TRUE(All(e).empty());
}

TEST(ThresholdTest, AnAlertThatFiresAgainCountsFromItsNewFire) {
  Engine e({}, ThresholdRules(2));
  Tick(e, kT0, {Firing(Instance(1))});
  Tick(e, kT0 + minutes(4), {Resolved(Instance(1), kT0 + minutes(4))});
  Tick(e, kT0 + minutes(6), {Firing(Instance(1))});
  Tick(e, kT0 + minutes(10), {Firing(Instance(2))});  // 4m after the fire again
  EXPECT_EQ(All(e)[0]->state, IncidentState::kTriggered);
}

RuleSet MajorRules(MajorRule major, bool on_rule) {
  CorrelationRule r = Rule("svc", {"service"});
  RuleSet rs;
  if (on_rule) r.major = major;
  rs = Rules({r});
  if (!on_rule) rs.major = major;
  rs.policies.push_back(Policy{"commander", {EscalationStep{{"ic"}, minutes(5)}}, 0, {"execs"}});
  rs.receivers.push_back({"ic", "pagerduty"});
  rs.receivers.push_back({"execs", "slack"});
  return rs;
}

Labels Svc(const std::string& service, int i = 0, const std::string& severity = "warning") {
  return {{"alertname", "Err"}, {"instance", "i" + std::to_string(i)}, {"service", service}, {"severity", severity}};
}

TEST(MajorTest, EachConditionDeclaresTheIncidentMajor) {
  struct Case {
    const char* name;
    MajorRule major;
    std::vector<In> alerts;
    bool major_expected;
    const char* why;
  };
  MajorRule by_priority{.set = true, .priority = 1, .policy = "commander"};
  MajorRule by_count{.set = true, .min_alerts = 3, .policy = "commander"};
  MajorRule by_distinct{.set = true, .min_distinct = {"instance", 2}, .policy = "commander"};
  const std::vector<Case> cases = {
      {"priority P1", by_priority, {Firing(Svc("db", 0, "critical"))}, true, "priority P1"},
      {"priority P3", by_priority, {Firing(Svc("db", 0))}, false, ""},
      {"3 alerts",
       by_count,
       {Firing(Svc("db", 0)), Firing(Svc("db", 1)), Firing(Svc("db", 2))},
       true,
       "3 alerts firing"},
      {"2 alerts", by_count, {Firing(Svc("db", 0)), Firing(Svc("db", 1))}, false, ""},
      {"2 instances", by_distinct, {Firing(Svc("db", 0)), Firing(Svc("db", 1))}, true, "2 distinct instance"},
      {"1 instance", by_distinct, {Firing(Svc("db", 0))}, false, ""},
  };
  for (bool on_rule : {true, false}) {
    for (const Case& c : cases) {
      RuleSet rs = MajorRules(c.major, on_rule);
      PriorityRule by_severity;
      by_severity.from_label_set = true;
      by_severity.from_label = "severity";
      by_severity.map = {{"critical", 1}};
      rs.correlations[0].priority = by_severity;
      Engine e({}, rs);
      Tick(e, kT0, c.alerts);
      const Incident& inc = *All(e)[0];
      EXPECT_EQ(inc.major, c.major_expected) << c.name << " on_rule=" << on_rule;
      if (!c.major_expected) continue;
      EXPECT_EQ(inc.priority, 1) << c.name;
      EXPECT_EQ(inc.policy, "commander") << c.name;
      EXPECT_EQ(e.incidents().Detail(inc.timeline.back()), std::string(c.why) + "; policy oncall -> commander")
          << c.name;
      Tick(e, kT0 + seconds(30));
      EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered ic", "triggered (inform) execs"})) << c.name;
    }
  }
}

// Declared after its first page: the major policy is paged at once, and the receivers paged before still hear of
// the resolution.
TEST(MajorTest, AMajorIncidentPagesTheMajorPolicyAtOnce) {
  Engine e({}, MajorRules(MajorRule{.set = true, .min_alerts = 2, .policy = "commander"}, true));
  Tick(e, kT0, {Firing(Svc("db", 0))});
  Tick(e, kT0 + seconds(30));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd", "triggered (inform) slack"}));
  Tick(e, kT0 + minutes(1), {Firing(Svc("db", 1))});
  const Incident& inc = *All(e)[0];
  EXPECT_TRUE(inc.major);
  EXPECT_EQ(inc.priority, 1);
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered ic", "triggered (inform) execs"}));
  // Alerts join and leave: it stays major, at P1.
  Tick(e, kT0 + minutes(2), {Resolved(Svc("db", 1), kT0 + minutes(2))});
  EXPECT_TRUE(inc.major);
  EXPECT_EQ(inc.priority, 1);
  Tick(e, kT0 + minutes(3), {Resolved(Svc("db", 0), kT0 + minutes(3))});
  EXPECT_EQ(Events(e), (std::vector<std::string>{"resolved pd", "resolved ic", "resolved (inform) execs"}));
}

// A root with its symptoms: their services count for the root, which alone is major.
TEST(MajorTest, SymptomsCountForTheirRoot) {
  RuleSet rs = MajorRules(MajorRule{.set = true, .min_distinct = {"service", 4}, .policy = "commander"}, false);
  rs.topology.services = {{"db", {}}, {"a", {0}}, {"b", {0}}, {"c", {0}}};
  Engine e({}, rs);
  Tick(e, kT0, {Firing(Svc("db"))});
  Tick(e, kT0 + seconds(10), {Firing(Svc("a")), Firing(Svc("b"))});
  const Incident* root = IncidentOf(e, Svc("db"));
  EXPECT_FALSE(root->major);
  Tick(e, kT0 + seconds(20), {Firing(Svc("c"))});
  EXPECT_TRUE(root->major);
  EXPECT_EQ(e.incidents().Detail(root->timeline.back()), "4 distinct service; policy oncall -> commander");
  size_t majors = 0;
  for (const Incident* i : All(e)) majors += i->major;
  EXPECT_EQ(majors, 1u);
}

}  // namespace
}  // namespace incidentd::engine
