// TrackChanges: the engine names every alert, incident, membership and silence it changes, so the state store writes
// only those; an unchanged re-send names nothing. Each test runs a tick or a command and reads what it named.
#include "engine/changes.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_util.h"

namespace incidentd::engine {
namespace {

// What changes named, each name once.
struct Named {
  std::set<Fingerprint> alerts;
  std::set<IncidentKey> incidents;
  std::set<MemberKey> members;
  std::set<std::string> silences;
};

Named Take(EngineChanges& c) {
  Named n{{c.alerts.begin(), c.alerts.end()},
          {c.incidents.begin(), c.incidents.end()},
          {c.members.begin(), c.members.end()},
          {c.silences.begin(), c.silences.end()}};
  c.clear();
  return n;
}

In Firing(std::string name, std::string cluster = "eu1") {
  return In{{{"alertname", name}, {"cluster", cluster}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24)};
}

Fingerprint FpOf(const Engine& e, std::string_view alertname) {
  Fingerprint fp;
  e.alerts().ForEach([&](const Alert& a) {
    if (a.labels.Get("alertname") == alertname) fp = a.fingerprint;
  });
  return fp;
}

IncidentKey KeyOf(const Incident& inc) { return {inc.id_hi, inc.id_lo}; }

const RuleSet kRules = Rules({Rule("db", {"cluster"}, {"alertname=~\"Down|Slow\""})});

TEST(ChangesTest, NewAlertsNameThemselvesTheirIncidentAndTheirMemberships) {
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Firing("Down"), Firing("Slow")}), kT0);
  e.Advance(kT0);
  Named n = Take(c);
  const Fingerprint down = FpOf(e, "Down"), slow = FpOf(e, "Slow");
  const IncidentKey inc = KeyOf(*All(e)[0]);
  EXPECT_EQ(n.alerts, (std::set<Fingerprint>{down, slow}));
  EXPECT_EQ(n.incidents, (std::set<IncidentKey>{inc}));
  EXPECT_EQ(n.members, (std::set<MemberKey>{{inc, down}, {inc, slow}}));
  EXPECT_TRUE(n.silences.empty());
}

TEST(ChangesTest, AnUnchangedResendNamesNothing) {
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Firing("Down"), Firing("Other")}), kT0);
  e.Advance(kT0);
  c.clear();
  BatchResult r = e.Apply(Batch({Firing("Down"), Firing("Other")}), kT0 + seconds(10));
  e.Advance(kT0 + seconds(10));
  EXPECT_EQ(r.refreshed, 2u);
  EXPECT_TRUE(c.empty());
}

TEST(ChangesTest, ARefreshThatOnlyMovesTheEndNamesNothing) {
  // By design: the stored end is that of the last change, and recovery gives a passed one resolve_timeout.
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Firing("Down")}), kT0);
  e.Advance(kT0);
  c.clear();
  In later = Firing("Down");
  later.ends_at = kT0 + hours(48);
  e.Apply(Batch({later}), kT0 + seconds(10));
  e.Advance(kT0 + seconds(10));
  EXPECT_EQ(e.alerts().Find(FpOf(e, "Down"))->ends_at, kT0 + hours(48));
  EXPECT_TRUE(c.empty());
}

TEST(ChangesTest, AChangedAnnotationNamesTheAlertAndItsIncident) {
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Firing("Down")}), kT0);
  e.Advance(kT0);
  c.clear();
  AlertBatch b(AlertFormat::kPrometheus);
  AlertInput& in = b.Begin();
  in.ends_kind = EndsAtKind::kGiven;
  in.ends_at = kT0 + hours(24);
  b.AddLabel("alertname", "Down");
  b.AddLabel("cluster", "eu1");
  b.AddAnnotation("summary", "changed");
  b.Finish(true);
  b.Seal();
  e.Apply(b, kT0 + seconds(10));
  e.Advance(kT0 + seconds(10));
  Named n = Take(c);
  EXPECT_EQ(n.alerts, (std::set<Fingerprint>{FpOf(e, "Down")}));
  EXPECT_EQ(n.incidents, (std::set<IncidentKey>{KeyOf(*All(e)[0])}));  // its timeline says alert_refreshed
  EXPECT_TRUE(n.members.empty());
  EXPECT_EQ(Kinds(*All(e)[0]).back(), "alert_refreshed");
}

TEST(ChangesTest, AResolveByTimerNamesTheAlertItsMembershipAndItsIncident) {
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({In{{{"alertname", "Down"}, {"cluster", "eu1"}}}}), kT0);  // no end: resolve_timeout, 5m
  e.Advance(kT0);
  c.clear();
  e.Advance(kT0 + minutes(5) - seconds(1));
  EXPECT_TRUE(Take(c).members.empty());
  e.Advance(kT0 + minutes(5));
  Named n = Take(c);
  const Fingerprint down = FpOf(e, "Down");
  const IncidentKey inc = KeyOf(*All(e)[0]);
  EXPECT_EQ(e.alerts().Find(down)->status, AlertStatus::kResolved);
  EXPECT_EQ(n.alerts, (std::set<Fingerprint>{down}));
  EXPECT_EQ(n.members, (std::set<MemberKey>{{inc, down}}));
  EXPECT_EQ(n.incidents, (std::set<IncidentKey>{inc}));
  EXPECT_EQ(All(e)[0]->state, IncidentState::kResolved);
}

TEST(ChangesTest, AnAlertDroppedAfterItsRetentionIsNamed) {
  Engine e({}, kRules);  // "Other" matches no rule: nothing keeps it
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Resolved({{"alertname", "Other"}}, kT0)}), kT0);
  e.Advance(kT0);
  const Fingerprint other = FpOf(e, "Other");
  EXPECT_EQ(Take(c).alerts, (std::set<Fingerprint>{other}));
  e.AdvanceBefore(kT0 + hours(1));
  EXPECT_EQ(e.alerts().Find(other), nullptr);
  EXPECT_EQ(Take(c).alerts, (std::set<Fingerprint>{other}));
}

TEST(ChangesTest, AForgottenIncidentNamesItselfAndTheAlertsItHeld) {
  EngineOptions options;
  options.incidents.retention = hours(1);
  Engine e(options, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Firing("Down")}), kT0);
  e.Advance(kT0);
  const Fingerprint down = FpOf(e, "Down");
  const IncidentKey inc = KeyOf(*All(e)[0]);
  e.Apply(Batch({Resolved({{"alertname", "Down"}, {"cluster", "eu1"}}, kT0 + minutes(1))}), kT0 + minutes(1));
  e.Advance(kT0 + minutes(1));
  e.AdvanceBefore(kT0 + minutes(1) + hours(1));
  c.clear();
  e.Advance(kT0 + minutes(1) + hours(1));
  ASSERT_TRUE(All(e).empty());
  EXPECT_EQ(e.alerts().Find(down), nullptr);
  Named n = Take(c);
  EXPECT_EQ(n.incidents, (std::set<IncidentKey>{inc}));
  EXPECT_EQ(n.alerts, (std::set<Fingerprint>{down}));
}

TEST(ChangesTest, ANewMemberOfAnOpenIncidentNamesOnlyWhatChanged) {
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Firing("Down")}), kT0);
  e.Advance(kT0);
  c.clear();
  e.Apply(Batch({Firing("Down"), Firing("Slow")}), kT0 + seconds(5));
  e.Advance(kT0 + seconds(5));
  Named n = Take(c);
  const IncidentKey inc = KeyOf(*All(e)[0]);
  EXPECT_EQ(n.alerts, (std::set<Fingerprint>{FpOf(e, "Slow")}));
  EXPECT_EQ(n.members, (std::set<MemberKey>{{inc, FpOf(e, "Slow")}}));
  EXPECT_EQ(n.incidents, (std::set<IncidentKey>{inc}));
}

TEST(ChangesTest, AFlushThatPagesNamesTheIncident) {
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Firing("Down")}), kT0);
  e.Advance(kT0);
  c.clear();
  e.Advance(kT0 + seconds(30));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd", "triggered (inform) slack"}));
  Named n = Take(c);
  EXPECT_EQ(n.incidents, (std::set<IncidentKey>{KeyOf(*All(e)[0])}));
  EXPECT_TRUE(n.alerts.empty());
  EXPECT_TRUE(n.members.empty());
}

TEST(ChangesTest, AcknowledgeAndResolveCommandsNameTheIncident) {
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Firing("Down")}), kT0);
  e.Advance(kT0);
  e.Advance(kT0 + seconds(30));
  const IncidentKey inc = KeyOf(*All(e)[0]);
  c.clear();
  ASSERT_TRUE(e.Acknowledge(All(e)[0]->id, "alice", kT0 + minutes(1)).ok());
  EXPECT_EQ(Take(c).incidents, (std::set<IncidentKey>{inc}));
  ASSERT_TRUE(e.Resolve(All(e)[0]->id, "alice", kT0 + minutes(2)).ok());
  Named n = Take(c);
  EXPECT_EQ(n.incidents, (std::set<IncidentKey>{inc}));
  EXPECT_TRUE(n.alerts.empty());
  // A refused command changes nothing and names nothing.
  EXPECT_FALSE(e.Resolve(All(e)[0]->id, "alice", kT0 + minutes(3)).ok());
  EXPECT_TRUE(c.empty());
}

TEST(ChangesTest, ASenderAcknowledgementNamesTheAlertItsMembershipAndItsIncident) {
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.Apply(Batch({Firing("Down")}), kT0);
  e.Advance(kT0);
  c.clear();
  e.Apply(Batch({In{{{"alertname", "Down"}, {"cluster", "eu1"}}, AlertAction::kAcknowledge}}), kT0 + seconds(5));
  e.Advance(kT0 + seconds(5));
  Named n = Take(c);
  const Fingerprint down = FpOf(e, "Down");
  const IncidentKey inc = KeyOf(*All(e)[0]);
  EXPECT_EQ(n.alerts, (std::set<Fingerprint>{down}));
  EXPECT_EQ(n.members, (std::set<MemberKey>{{inc, down}}));
  EXPECT_EQ(n.incidents, (std::set<IncidentKey>{inc}));
  EXPECT_EQ(All(e)[0]->state, IncidentState::kAcknowledged);
}

TEST(ChangesTest, SilencesNameTheIdsTheyCreateChangeExpireAndCollect) {
  EngineOptions options;
  options.silences.retention = hours(1);
  Engine e(options, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  Silence s;
  s.matchers = {M("cluster=\"eu1\"")};
  s.starts_at = kT0 + hours(1);  // pending: updated in place
  s.ends_at = kT0 + hours(2);
  s.created_by = "ops";
  ASSERT_EQ(*e.UpsertSilence(s, "s1", kT0), "s1");
  EXPECT_EQ(Take(c).silences, (std::set<std::string>{"s1"}));

  s.id = "s1";
  s.comment = "longer";
  s.ends_at = kT0 + hours(3);
  ASSERT_EQ(*e.UpsertSilence(s, "unused", kT0 + seconds(1)), "s1");
  EXPECT_EQ(Take(c).silences, (std::set<std::string>{"s1"}));

  // Active, with other matchers: s1 is expired and s2 replaces it; both are named.
  s.matchers = {M("cluster=\"us1\"")};
  s.starts_at = kT0 + hours(1);
  ASSERT_EQ(*e.UpsertSilence(s, "s2", kT0 + hours(1) + seconds(1)), "s2");
  EXPECT_EQ(Take(c).silences, (std::set<std::string>{"s1", "s2"}));

  ASSERT_TRUE(e.ExpireSilence("s2", kT0 + hours(1) + seconds(2)).ok());
  EXPECT_EQ(Take(c).silences, (std::set<std::string>{"s2"}));
  EXPECT_FALSE(e.ExpireSilence("s2", kT0 + hours(1) + seconds(3)).ok());
  EXPECT_TRUE(c.empty());

  // An hour after they ended, both are collected.
  e.Advance(kT0 + hours(2) + seconds(2));
  EXPECT_EQ(e.silences().size(), 0u);
  EXPECT_EQ(Take(c).silences, (std::set<std::string>{"s1", "s2"}));
}

TEST(ChangesTest, TrackingNothingStopsNamingChanges) {
  Engine e({}, kRules);
  EngineChanges c;
  e.TrackChanges(&c);
  e.TrackChanges(nullptr);
  e.Apply(Batch({Firing("Down")}), kT0);
  e.Advance(kT0 + seconds(30));
  ASSERT_TRUE(
      e.UpsertSilence(Silence{"", {M("cluster=\"eu1\"")}, kT0, kT0 + hours(1), {}, "ops", ""}, "s1", kT0 + seconds(31))
          .ok());
  EXPECT_TRUE(c.empty());
}

TEST(ChangesTest, MergeKeepsAFailedWritesNamesForTheNextOne) {
  EngineChanges failed;
  failed.alerts = {Fingerprint(1)};
  failed.incidents = {{1, 2}};
  failed.members = {{{1, 2}, Fingerprint(1)}};
  failed.silences = {"s1"};
  EngineChanges next;
  next.alerts = {Fingerprint(2)};
  next.Merge(failed);
  EXPECT_EQ(next.alerts, (std::vector<Fingerprint>{Fingerprint(2), Fingerprint(1)}));
  EXPECT_EQ(next.incidents, failed.incidents);
  EXPECT_EQ(next.members, failed.members);
  EXPECT_EQ(next.silences, failed.silences);
  next.clear();
  EXPECT_TRUE(next.empty());
}

}  // namespace
}  // namespace incidentd::engine
