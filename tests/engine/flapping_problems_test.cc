// Flapping alerts (their changes page no one until they are stable) and recurring problems, driven with explicit
// times.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_util.h"

namespace incidentd::engine {
namespace {

const Labels kFlapper{{"alertname", "Flappy"}, {"cluster", "eu1"}};

RuleSet FlappingRules(uint32_t changes) {
  RuleSet rs = Rules({Rule("db", {"cluster"})});
  rs.flapping = {changes, minutes(10), minutes(15)};
  return rs;
}

// Fires at kT0, then changes every minute (resolve at 1m, fire at 2m, ...) up to `last` minutes.
void Flap(Engine& e, int last, std::vector<std::string>* events) {
  Tick(e, kT0, {Firing(kFlapper)});
  for (int m = 1; m <= last; ++m) {
    Tick(e, kT0 + minutes(m) - seconds(30));  // the group's timers in between
    Tick(e, kT0 + minutes(m), {m % 2 ? Resolved(kFlapper, kT0 + minutes(m)) : Firing(kFlapper)});
    for (std::string& s : Events(e)) events->push_back(std::to_string(m) + "m " + s);
  }
}

TEST(FlappingTest, AFlappingAlertStopsPagingUntilStableThenPagesOnce) {
  struct Case {
    const char* name;
    int last_change;  // minutes; odd: it ends resolved, even: firing
    std::vector<std::string> after_stable;
    IncidentState end_state;
  };
  const std::vector<Case> cases = {
      {"stops firing", 10, {"reopened pd", "reopened (inform) slack"}, IncidentState::kTriggered},
      // Receivers last heard "resolved" (at 5m): nothing new to tell them.
      {"stops resolved", 11, {}, IncidentState::kResolved},
  };
  for (const Case& c : cases) {
    Engine e({}, FlappingRules(5));
    std::vector<std::string> events;
    Flap(e, c.last_change, &events);
    // Pages up to the 5th change; the 6th (the fire at 6m) makes it flapping.
    EXPECT_EQ(events,
              (std::vector<std::string>{"1m triggered pd", "1m triggered (inform) slack", "1m resolved pd",
                                        "1m resolved (inform) slack", "3m reopened pd", "3m reopened (inform) slack",
                                        "3m resolved pd", "3m resolved (inform) slack", "5m reopened pd",
                                        "5m reopened (inform) slack", "5m resolved pd", "5m resolved (inform) slack"}))
        << c.name;
    const Incident& inc = *All(e)[0];
    EXPECT_EQ(inc.flapping, 1u) << c.name;
    EXPECT_TRUE(inc.members.begin()->second.flapping) << c.name;
    EXPECT_EQ(inc.state, IncidentState::kTriggered) << c.name;  // even while its only alert is resolved
    const Time stable = kT0 + minutes(c.last_change) + minutes(15);
    Tick(e, stable - seconds(1));
    EXPECT_TRUE(Events(e).empty()) << c.name;
    EXPECT_EQ(inc.flapping, 1u) << c.name;
    Tick(e, stable);
    EXPECT_EQ(inc.flapping, 0u) << c.name;
    EXPECT_EQ(Kinds(inc).back() == "stable" || Kinds(inc).back() == "resolved" || Kinds(inc).back() == "notified", true)
        << c.name;
    EXPECT_EQ(Events(e), c.after_stable) << c.name;
    EXPECT_EQ(inc.state, c.end_state) << c.name;
    if (c.end_state == IncidentState::kResolved) EXPECT_EQ(inc.resolved_at, stable) << c.name;
  }
}

TEST(FlappingTest, ChangesOutsideTheWindowDoNotCount) {
  RuleSet rs = FlappingRules(2);
  rs.correlations[0].reopen_window = hours(1);
  Engine e({}, rs);
  Tick(e, kT0, {Firing(kFlapper)});
  Tick(e, kT0 + minutes(1), {Resolved(kFlapper, kT0 + minutes(1))});
  Tick(e, kT0 + minutes(6), {Firing(kFlapper)});
  Tick(e, kT0 + minutes(12), {Resolved(kFlapper, kT0 + minutes(12))});  // the 1st change left the window at 11m
  EXPECT_EQ(All(e)[0]->flapping, 0u);
  Tick(e, kT0 + minutes(13), {Firing(kFlapper)});  // 3 changes within 10m: 6m, 12m, 13m
  EXPECT_EQ(All(e)[0]->flapping, 1u);
  EXPECT_EQ(Kinds(*All(e)[0]).back(), "flapping");
}

// Other alerts of a flapping incident still page for their own changes.
TEST(FlappingTest, OtherAlertsStillPage) {
  Engine e({}, FlappingRules(2));
  std::vector<std::string> events;
  Flap(e, 3, &events);
  ASSERT_EQ(All(e)[0]->flapping, 1u);
  Tick(e, kT0 + minutes(3) + seconds(10), {Firing({{"alertname", "Other"}, {"cluster", "eu1"}})});
  Tick(e, kT0 + minutes(9));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"updated pd"}));
}

// The rules are reloaded while an alert flaps, and it fires again into another incident: the one it left does not
// wait for it, and resolves when its own alerts do.
TEST(FlappingTest, AnIncidentAFlapperLeftDoesNotWaitForIt) {
  Engine e({}, FlappingRules(2));
  Tick(e, kT0, {Firing(kFlapper), Firing({{"alertname", "Other"}, {"cluster", "eu1"}})});
  Tick(e, kT0 + minutes(1), {Resolved(kFlapper, kT0 + minutes(1))});
  Tick(e, kT0 + minutes(2), {Firing(kFlapper)});
  Tick(e, kT0 + minutes(3), {Resolved(kFlapper, kT0 + minutes(3))});
  const std::string first = All(e)[0]->id;
  ASSERT_EQ(All(e)[0]->flapping, 1u);
  RuleSet by_name = FlappingRules(2);
  by_name.correlations[0] = Rule("by-name", {"alertname"});
  e.SetRules(by_name);
  Tick(e, kT0 + minutes(4), {Firing(kFlapper)});
  Tick(e, kT0 + minutes(5), {Resolved({{"alertname", "Other"}, {"cluster", "eu1"}}, kT0 + minutes(5))});
  const Incident* left = e.incidents().Find(first);
  ASSERT_NE(left, nullptr);
  EXPECT_EQ(left->flapping, 0u);
  EXPECT_EQ(left->state, IncidentState::kResolved);
  EXPECT_EQ(IncidentOf(e, kFlapper)->flapping, 1u);  // where it fires now
}

TEST(FlappingTest, WithoutTheSectionNothingFlaps) {
  Engine e({}, Rules({Rule("db", {"cluster"})}));
  std::vector<std::string> events;
  Flap(e, 12, &events);
  EXPECT_EQ(All(e)[0]->flapping, 0u);
  EXPECT_EQ(events.size(), 24u);  // triggered, then 6 resolved and 5 reopened, each to pd and slack
}

RuleSet ProblemRules() {
  CorrelationRule r = Rule("db", {"cluster"});
  r.reopen_window = minutes(10);
  RuleSet rs = Rules({r});
  rs.problems = {3, hours(24 * 7)};
  return rs;
}

// One incident of the db/eu1 key: fires at `at`, resolves an hour later.
void Occur(Engine& e, Time at) {
  Tick(e, at, {Firing(kFlapper)});
  Tick(e, at + hours(1), {Resolved(kFlapper, at + hours(1))});
}

TEST(ProblemsTest, AKeyThatRecursBecomesAProblem) {
  Engine e({}, ProblemRules());
  Occur(e, kT0);
  Occur(e, kT0 + hours(48));
  EXPECT_EQ(e.problems().size(), 0u);
  Occur(e, kT0 + hours(96));
  ASSERT_EQ(e.problems().size(), 1u);
  std::vector<const Incident*> incidents = All(e);
  ASSERT_EQ(incidents.size(), 3u);
  EXPECT_TRUE(incidents[0]->problem.empty());
  EXPECT_TRUE(incidents[1]->problem.empty());
  const std::string id = incidents[2]->problem;
  ASSERT_FALSE(id.empty());
  const Problem* p = e.problems().Find(id);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->rule, "db");
  EXPECT_EQ(p->first_seen, kT0);
  EXPECT_EQ(p->last_seen, kT0 + hours(96));
  EXPECT_EQ(p->incidents, (std::vector<std::string>{incidents[0]->id, incidents[1]->id, incidents[2]->id}));
  EXPECT_EQ(e.incidents().Detail(incidents[2]->timeline[2]), id + ": 3 incidents within 7d");
  // A 4th within the week joins it; then a quiet week drops it.
  Occur(e, kT0 + hours(24 * 10));
  EXPECT_EQ(All(e)[3]->problem, id);
  EXPECT_EQ(p->incidents.size(), 4u);
  Tick(e, kT0 + hours(24 * 17) - seconds(1));
  EXPECT_EQ(e.problems().size(), 1u);
  Tick(e, kT0 + hours(24 * 17));
  EXPECT_EQ(e.problems().size(), 0u);
}

TEST(ProblemsTest, RecurrencesOutsideTheWindowOrReopensDoNotCount) {
  Engine e({}, ProblemRules());
  Occur(e, kT0);
  Occur(e, kT0 + hours(24 * 4));
  Occur(e, kT0 + hours(24 * 8));  // the first is 8 days back
  EXPECT_EQ(e.problems().size(), 0u);
  // Fires again 5 minutes after resolving: a reopen, not a recurrence.
  Tick(e, kT0 + hours(24 * 8) + hours(1) + minutes(5), {Firing(kFlapper)});
  EXPECT_EQ(All(e).size(), 3u);
  EXPECT_EQ(e.problems().size(), 0u);
}

// Recovery finds the same problems from the stored incidents.
TEST(ProblemsTest, RestoredIncidentsGiveTheSameProblems) {
  Engine e({}, ProblemRules());
  for (int day : {0, 1, 2, 3}) Occur(e, kT0 + hours(24 * day));
  ASSERT_EQ(e.problems().size(), 1u);
  Engine restored({}, ProblemRules());
  for (const Incident* inc : All(e)) {
    auto copy = std::make_unique<Incident>(*inc);
    std::vector<std::string> details;
    for (TimelineEntry& t : copy->timeline) {
      details.emplace_back(e.incidents().Detail(t));
      t.detail = static_cast<uint32_t>(details.size() - 1);
    }
    ASSERT_TRUE(restored.RestoreIncident(std::move(copy), details, kT0 + hours(24 * 4)).ok());
  }
  restored.FinishRestore(kT0 + hours(24 * 4));
  ASSERT_EQ(restored.problems().size(), 1u);
  e.problems().ForEach([&](const Problem& p) {
    const Problem* q = restored.problems().Find(p.id);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->incidents, p.incidents);
    EXPECT_EQ(q->last_seen, p.last_seen);
  });
}

}  // namespace
}  // namespace incidentd::engine
