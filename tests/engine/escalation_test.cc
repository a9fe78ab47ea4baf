// Escalation through a policy's steps: who is paged when nobody acknowledges, what stops it, and the identity
// (seq, step) and snapshot each notification carries. Times are explicit; the engine reads no clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_util.h"

namespace incidentd::engine {
namespace {

// Policy "esc": step 1 pages pd-a (ack within 5m), step 2 pages pd-b (ack within 10m); slack is informed.
RuleSet EscalationRules(int repeat = 0) {
  RuleSet rs = Rules({Rule("db", {"cluster"})});
  rs.policies = {Policy{
      "oncall", {EscalationStep{{"pd-a"}, minutes(5)}, EscalationStep{{"pd-b"}, minutes(10)}}, repeat, {"slack"}}};
  rs.receivers = {{"pd-a", "pagerduty"}, {"pd-b", "pagerduty"}, {"slack", "slack"}};
  return rs;
}

In Firing(std::string cluster, std::string name = "Down") {
  return In{{{"alertname", name}, {"cluster", cluster}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24)};
}

const Time kPaged = kT0 + seconds(30);  // the first flush (group_wait 30s)

std::string Detail(const Engine& e, const Incident& inc, TimelineKind kind) {
  for (const TimelineEntry& t : inc.timeline) {
    if (t.kind == kind) return std::string(e.incidents().Detail(t));
  }
  return "(none)";
}

TEST(EscalationTest, NoAckPagesTheNextStepAfterAckTimeout) {
  Engine e({}, EscalationRules());
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged);
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd-a", "triggered (inform) slack"}));
  EXPECT_EQ(e.NextDeadline(), kPaged + minutes(5));

  e.Advance(kPaged + minutes(5) - seconds(1));
  EXPECT_TRUE(Events(e).empty());
  e.Advance(kPaged + minutes(5));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"escalated pd-b", "escalated (inform) slack"}));
  const Incident& inc = *All(e)[0];
  EXPECT_EQ(inc.step, 1u);
  EXPECT_EQ(Detail(e, inc, TimelineKind::kEscalated), "step 2 of 2");
  EXPECT_EQ(inc.paged_receivers, (std::vector<std::string>{"pd-a", "pd-b"}));

  // The last step's ack_timeout passes: nobody is left to page, and the timeline says so.
  e.Advance(kPaged + minutes(15));
  EXPECT_TRUE(Events(e).empty());
  EXPECT_EQ(Kinds(inc).back(), "escalation_done");
}

TEST(EscalationTest, AckStopsTheEscalationAndTellsEveryonePaged) {
  Engine e({}, EscalationRules());
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged);
  Events(e);
  ASSERT_TRUE(e.Acknowledge(All(e)[0]->id, "alice", kPaged + minutes(2)).ok());
  EXPECT_EQ(Events(e), (std::vector<std::string>{"acknowledged pd-a", "acknowledged (inform) slack"}));
  e.Advance(kPaged + hours(1));
  EXPECT_TRUE(Events(e).empty());  // no step 2, ever
  EXPECT_EQ(All(e)[0]->step, 0u);
}

TEST(EscalationTest, ResolveIsSentToEveryReceiverPaged) {
  Engine e({}, EscalationRules());
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged + minutes(5));
  Events(e);
  e.Apply(Batch({Resolved({{"alertname", "Down"}, {"cluster", "eu1"}}, kPaged + minutes(6))}), kPaged + minutes(6));
  e.Advance(kPaged + minutes(6));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"resolved pd-a", "resolved pd-b", "resolved (inform) slack"}));
  e.Advance(kPaged + hours(1));
  EXPECT_TRUE(Events(e).empty());
}

TEST(EscalationTest, RepeatRunsTheStepsAgainWhileUnacknowledged) {
  Engine e({}, EscalationRules(/*repeat=*/1));
  e.Apply(Batch({Firing("eu1")}), kT0);
  std::vector<std::string> pages;
  std::vector<uint32_t> steps;
  for (Time t = kPaged; t <= kPaged + hours(2); t += minutes(1)) {
    e.Advance(t);
    for (const Notification& n : e.TakeNotifications()) {
      if (n.inform) continue;
      pages.push_back(std::string(NotifyEventName(n.event)) + " " + n.receiver);
      steps.push_back(n.step);
    }
  }
  EXPECT_EQ(pages, (std::vector<std::string>{"triggered pd-a", "escalated pd-b", "escalated pd-a", "escalated pd-b"}));
  EXPECT_EQ(steps, (std::vector<uint32_t>{0, 1, 2, 3}));
  const Incident& inc = *All(e)[0];
  std::vector<std::string> details;
  for (const TimelineEntry& t : inc.timeline) {
    if (t.kind == TimelineKind::kEscalated) details.emplace_back(e.incidents().Detail(t));
  }
  EXPECT_EQ(details, (std::vector<std::string>{"step 2 of 2, repeat 0 of 1", "step 1 of 2, repeat 1 of 1",
                                               "step 2 of 2, repeat 1 of 1"}));
  EXPECT_EQ(Kinds(inc).back(), "escalation_done");
}

TEST(EscalationTest, ALateTickEscalatesAtTheStepsOwnTimes) {
  Engine e({}, EscalationRules(/*repeat=*/1));
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.AdvanceBefore(kPaged + hours(2));
  std::vector<int64_t> at;
  for (const Notification& n : e.TakeNotifications()) {
    if (!n.inform) at.push_back(std::chrono::duration_cast<std::chrono::minutes>(n.at - kPaged).count());
  }
  EXPECT_EQ(at, (std::vector<int64_t>{0, 5, 15, 20}));
}

TEST(EscalationTest, UpdatesGoToEveryReceiverPagedSoFar) {
  Engine e({}, EscalationRules());
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged + minutes(5));  // step 2 paged
  Events(e);
  e.Apply(Batch({Firing("eu1", "Slow")}), kPaged + minutes(6));
  e.Advance(kPaged + minutes(10));  // the group flush after group_interval
  EXPECT_EQ(Events(e), (std::vector<std::string>{"updated pd-a", "updated pd-b"}));
}

TEST(EscalationTest, AMutedIncidentHoldsItsEscalation) {
  Engine e({}, EscalationRules());
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged);
  Events(e);
  Silence s;
  s.matchers = {M("cluster=\"eu1\"")};
  s.starts_at = kPaged;
  s.ends_at = kPaged + minutes(8);
  s.created_by = "ops";
  s.comment = "fixing";
  ASSERT_TRUE(e.UpsertSilence(s, "s1", kPaged + seconds(1)).ok());
  e.Advance(kPaged + minutes(5));
  EXPECT_TRUE(Events(e).empty());
  EXPECT_EQ(Kinds(*All(e)[0]).back(), "suppressed");
  // The silence ends at 8m; the held step looks again one ack_timeout later and pages.
  e.Advance(kPaged + minutes(10));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"escalated pd-b", "escalated (inform) slack"}));
}

TEST(EscalationTest, AReopenedIncidentEscalatesFromTheFirstStepAgain) {
  Engine e({}, EscalationRules());
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged + minutes(5));
  e.Apply(Batch({Resolved({{"alertname", "Down"}, {"cluster", "eu1"}}, kPaged + minutes(6))}), kPaged + minutes(6));
  e.Advance(kPaged + minutes(6));
  Events(e);
  e.Apply(Batch({Firing("eu1")}), kPaged + minutes(7));
  e.Advance(kPaged + minutes(7) + seconds(30));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"reopened pd-a", "reopened (inform) slack"}));
  e.Advance(kPaged + minutes(12) + seconds(30));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"escalated pd-b", "escalated (inform) slack"}));
}

TEST(EscalationTest, AReceiverBothPagedAndInformedHearsOnce) {
  RuleSet rs = EscalationRules();
  rs.policies[0].inform = {"pd-a", "slack"};
  Engine e({}, rs);
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged);
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd-a", "triggered (inform) slack"}));
}

TEST(EscalationTest, EachDecisionHasItsOwnSeqAndEveryKeyIsUnique) {
  Engine e({}, EscalationRules(/*repeat=*/1));
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged + minutes(5));
  e.Apply(Batch({Firing("eu1", "Slow")}), kPaged + minutes(6));
  e.Advance(kPaged + minutes(10));
  ASSERT_TRUE(e.Acknowledge(All(e)[0]->id, "bob", kPaged + minutes(11)).ok());
  ASSERT_TRUE(e.Resolve(All(e)[0]->id, "bob", kPaged + minutes(12)).ok());
  std::vector<Notification> all = e.TakeNotifications();
  std::set<std::string> keys;
  std::vector<std::pair<uint32_t, std::string>> seqs;
  for (const Notification& n : all) {
    EXPECT_TRUE(keys.insert(n.Key()).second) << n.Key();
    seqs.emplace_back(n.seq, std::string(NotifyEventName(n.event)) + " " + n.receiver);
  }
  EXPECT_EQ(seqs, (std::vector<std::pair<uint32_t, std::string>>{{1, "triggered pd-a"},
                                                                 {1, "triggered slack"},
                                                                 {2, "escalated pd-b"},
                                                                 {2, "escalated slack"},
                                                                 {3, "updated pd-a"},
                                                                 {3, "updated pd-b"},
                                                                 {4, "acknowledged pd-a"},
                                                                 {4, "acknowledged pd-b"},
                                                                 {4, "acknowledged slack"},
                                                                 {5, "resolved pd-a"},
                                                                 {5, "resolved pd-b"},
                                                                 {5, "resolved slack"}}));
  EXPECT_EQ(all[0].Key(), All(e)[0]->id + "/1/pd-a");
}

TEST(EscalationTest, NotificationsCarryASnapshotOfTheIncidentWhenDecided) {
  Engine e({}, EscalationRules());
  e.Apply(Batch({Firing("eu1", "B"), Firing("eu1", "A")}), kT0);
  e.Advance(kPaged);
  std::vector<Notification> paged = e.TakeNotifications();
  ASSERT_EQ(paged.size(), 2u);
  ASSERT_NE(paged[0].incident, nullptr);
  EXPECT_EQ(paged[0].incident, paged[1].incident);  // one snapshot per decision
  const IncidentSnapshot& snap = *paged[0].incident;
  EXPECT_EQ(snap.id, All(e)[0]->id);
  EXPECT_EQ(snap.rule, "db");
  EXPECT_EQ(snap.state, IncidentState::kTriggered);
  EXPECT_EQ(snap.alerts_firing, 2u);
  EXPECT_EQ(snap.alerts_total, 2u);
  ASSERT_EQ(snap.alerts.size(), 2u);
  EXPECT_LT(snap.alerts[0].fingerprint.value(), snap.alerts[1].fingerprint.value());
  EXPECT_EQ(snap.alerts[0].annotations, (StringPairs{{"summary", "s"}}));
  EXPECT_EQ(snap.alerts[0].ends_at, kT0 + hours(24));
  EXPECT_EQ(snap.group_labels, (StringPairs{{"cluster", "eu1"}}));

  e.Apply(Batch({Resolved({{"alertname", "A"}, {"cluster", "eu1"}}, kPaged + seconds(1))}), kPaged + seconds(1));
  e.Advance(kPaged + seconds(1));
  ASSERT_TRUE(e.Acknowledge(snap.id, "carol", kPaged + seconds(2)).ok());
  std::vector<Notification> acked = e.TakeNotifications();
  ASSERT_FALSE(acked.empty());
  const IncidentSnapshot& later = *acked[0].incident;
  EXPECT_EQ(later.state, IncidentState::kAcknowledged);
  EXPECT_EQ(later.acknowledged_by, "carol");
  EXPECT_EQ(later.alerts_firing, 1u);
  EXPECT_EQ(later.alerts[0].status, AlertStatus::kFiring);  // firing first
  EXPECT_EQ(later.alerts[1].status, AlertStatus::kResolved);
  EXPECT_EQ(snap.state, IncidentState::kTriggered);  // the earlier snapshot is unchanged
}

TEST(EscalationTest, SnapshotsListAtMostMaxAlertsFiringFirst) {
  Engine e({}, EscalationRules());
  std::vector<In> many;
  for (int i = 0; i < 150; ++i) many.push_back(Firing("eu1", "A" + std::to_string(i)));
  e.Apply(Batch(many), kT0);
  e.Advance(kPaged);
  std::vector<Notification> paged = e.TakeNotifications();
  ASSERT_FALSE(paged.empty());
  EXPECT_EQ(paged[0].incident->alerts.size(), IncidentSnapshot::kMaxAlerts);
  EXPECT_EQ(paged[0].incident->alerts_total, 150u);
}

TEST(EscalationTest, AnIncidentWithoutAPolicyIsPagedOnceReloadedRulesHaveIt) {
  RuleSet without = EscalationRules();
  without.policies.clear();
  Engine e({}, without);
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged + minutes(10));  // the first flush and the next
  EXPECT_TRUE(Events(e).empty());
  const Incident& inc = *All(e)[0];
  std::vector<std::string> kinds = Kinds(inc);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "no_policy"), 1);  // noted once, not at every flush
  e.SetRules(EscalationRules());
  e.Advance(kPaged + minutes(15));  // the next group flush
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd-a", "triggered (inform) slack"}));
  e.Advance(kPaged + minutes(20));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"escalated pd-b", "escalated (inform) slack"}));
}

TEST(EscalationTest, APolicyGoneMidEscalationEndsItOnTheTimeline) {
  Engine e({}, EscalationRules());
  e.Apply(Batch({Firing("eu1")}), kT0);
  e.Advance(kPaged);
  Events(e);
  RuleSet without = EscalationRules();
  without.policies.clear();
  e.SetRules(without);
  e.Advance(kPaged + minutes(5));
  EXPECT_TRUE(Events(e).empty());
  EXPECT_EQ(Detail(e, *All(e)[0], TimelineKind::kEscalationDone), "policy oncall is gone");
}

}  // namespace
}  // namespace incidentd::engine
