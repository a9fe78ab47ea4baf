// Timers across a downtime: what a recovered engine does with escalations, group flushes and alert ends that came
// due while the daemon was down. Each test writes with engine A, closes the store, and recovers engine B later.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/state_store.h"
#include "store/store_test_util.h"

namespace incidentd::store {
namespace {

// Policy "oncall": step 1 pages pd-a, step 2 pages pd-b, 5 minutes each, `repeat` more rounds; slack is informed.
engine::RuleSet EscalationRules(int repeat, Duration step2_ack = minutes(5)) {
  engine::RuleSet rs = engine::Rules({engine::Rule("db", {"cluster"})});
  rs.policies = {
      engine::Policy{"oncall",
                     {engine::EscalationStep{{"pd-a"}, minutes(5)}, engine::EscalationStep{{"pd-b"}, step2_ack}},
                     repeat,
                     {"slack"}}};
  rs.receivers = {{"pd-a", "pagerduty"}, {"pd-b", "pagerduty"}, {"slack", "slack"}};
  return rs;
}

In Firing(std::string name, std::string cluster = "eu1") {
  return In{{{"alertname", name}, {"cluster", cluster}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24)};
}

// The pages (not the informs) decided since the last call, as "event receiver".
std::vector<std::string> Pages(engine::Engine& e) {
  std::vector<std::string> out;
  for (const Notification& n : e.TakeNotifications()) {
    if (!n.inform) out.push_back(std::string(NotifyEventName(n.event)) + " " + n.receiver);
  }
  return out;
}

const Time kPaged = kT0 + seconds(30);  // the first flush (group_wait 30s)

TEST(RecoveryTest, AnEscalationDueDuringTheDowntimePagesTheNextStepOnceAtStart) {
  TempDir dir;
  const engine::RuleSet rules = EscalationRules(/*repeat=*/1);
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, Batch({Firing("Down")}));
  EXPECT_EQ(Pages(a), std::vector<std::string>{});
  std::vector<Notification> paged = Tick(a, *store, kPaged);
  ASSERT_FALSE(paged.empty());
  EXPECT_EQ(paged[0].receiver, "pd-a");
  ASSERT_EQ(engine::All(a)[0]->escalate_at, kPaged + minutes(5));
  Close(a, store);

  // Down for 20 minutes: steps 2 and 3 (pd-a again, in the repeat) would both have been due by now.
  const Time start = kPaged + minutes(20);
  engine::Engine b({}, rules);
  store = OpenAndRecover(Options(dir), b, start);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(b.NextDeadline(), start);  // due now, not in the past
  EXPECT_EQ(engine::All(b)[0]->escalate_at, start);

  b.Advance(start);
  EXPECT_EQ(Pages(b), std::vector<std::string>{"escalated pd-b"});  // step 2 once; not step 1 again, not step 3
  const Incident& inc = *engine::All(b)[0];
  EXPECT_EQ(inc.step, 1u);
  EXPECT_EQ(inc.escalate_at, start + minutes(5));
  EXPECT_EQ(inc.paged_receivers, (std::vector<std::string>{"pd-a", "pd-b"}));
  ASSERT_TRUE(b.NextDeadline().has_value());
  EXPECT_GT(*b.NextDeadline(), start);

  b.Advance(start + minutes(5) - seconds(1));
  EXPECT_EQ(Pages(b), std::vector<std::string>{});
  b.Advance(start + minutes(5));
  EXPECT_EQ(Pages(b), std::vector<std::string>{"escalated pd-a"});  // step 3: the first step's repeat
  EXPECT_EQ(inc.step, 2u);
}

TEST(RecoveryTest, AGroupWaitThatEndedDuringTheDowntimePagesOnceAtStart) {
  TempDir dir;
  const engine::RuleSet rules = EscalationRules(/*repeat=*/0);
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, Batch({Firing("Down")}));
  Close(a, store);  // down before group_wait's 30 seconds

  const Time start = kT0 + hours(1);
  engine::Engine b({}, rules);
  store = OpenAndRecover(Options(dir), b, start);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(b.NextDeadline(), start);
  b.Advance(start);
  EXPECT_EQ(Pages(b), std::vector<std::string>{"triggered pd-a"});
  b.Advance(start + minutes(4));
  EXPECT_EQ(Pages(b), std::vector<std::string>{});
}

TEST(RecoveryTest, AFiringAlertWhoseEndPassedDuringTheDowntimeGetsResolveTimeoutFromTheStart) {
  TempDir dir;
  const engine::RuleSet rules = EscalationRules(/*repeat=*/0);
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  const engine::Labels timeout{{"alertname", "Timeout"}, {"cluster", "eu1"}};
  const engine::Labels given{{"alertname", "Given"}, {"cluster", "eu1"}};
  const engine::Labels never{{"alertname", "Never"}, {"cluster", "eu1"}};
  Tick(a, *store, kT0,
       Batch({In{timeout}, In{given, AlertAction::kFire, EndsAtKind::kGiven, kT0 + minutes(10)},
              In{never, AlertAction::kFire, EndsAtKind::kNever}}));
  Close(a, store);

  // Down for an hour: the sender may well have refreshed them meanwhile; they get resolve_timeout (5m) to say so.
  const Time start = kT0 + hours(1);
  engine::Engine b({}, rules);
  store = OpenAndRecover(Options(dir), b, start);
  ASSERT_NE(store, nullptr);
  auto find = [&](const engine::Labels& l) {
    const Alert* found = nullptr;
    b.alerts().ForEach([&](const Alert& x) {
      if (x.labels.Get("alertname") == l.at("alertname")) found = &x;
    });
    return found;
  };
  for (const engine::Labels* l : {&timeout, &given}) {
    ASSERT_NE(find(*l), nullptr);
    EXPECT_EQ(find(*l)->status, AlertStatus::kFiring) << l->at("alertname");
    EXPECT_EQ(find(*l)->ends_at, start + minutes(5)) << l->at("alertname");
  }
  b.Advance(start);
  EXPECT_EQ(find(timeout)->status, AlertStatus::kFiring);
  EXPECT_EQ(find(given)->status, AlertStatus::kFiring);
  EXPECT_EQ(engine::All(b)[0]->state, IncidentState::kTriggered);
  EXPECT_EQ(engine::All(b)[0]->firing, 3u);

  b.Advance(start + minutes(5) - Duration(1));
  EXPECT_EQ(find(timeout)->status, AlertStatus::kFiring);
  b.Advance(start + minutes(5));
  EXPECT_EQ(find(timeout)->status, AlertStatus::kResolved);
  EXPECT_EQ(find(given)->status, AlertStatus::kResolved);
  EXPECT_EQ(find(never)->status, AlertStatus::kFiring);  // no end: it fires until resolved
  EXPECT_EQ(engine::All(b)[0]->firing, 1u);
}

TEST(RecoveryTest, AGroupResolvedBeforeTheDowntimeReopensItsIncidentAfterIt) {
  TempDir dir;
  const engine::RuleSet rules = EscalationRules(/*repeat=*/0);
  const engine::Labels down{{"alertname", "Down"}, {"cluster", "eu1"}};
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, Batch({Firing("Down")}));
  Tick(a, *store, kPaged);
  Tick(a, *store, kT0 + minutes(1), Batch({engine::Resolved(down, kT0 + minutes(1))}));
  const std::string id = engine::All(a)[0]->id;
  Close(a, store);

  // Within the rule's reopen_window (5m) of its resolution: the same incident, reopened.
  engine::Engine b({}, rules);
  store = OpenAndRecover(Options(dir), b, kT0 + minutes(2));
  ASSERT_NE(store, nullptr);
  Tick(b, *store, kT0 + minutes(3), Batch({Firing("Down")}));
  Tick(b, *store, kT0 + minutes(3) + seconds(30));
  ASSERT_EQ(engine::All(b).size(), 1u);
  EXPECT_EQ(engine::All(b)[0]->id, id);
  EXPECT_EQ(engine::All(b)[0]->reopened, 1u);
  EXPECT_EQ(engine::All(b)[0]->state, IncidentState::kTriggered);
  Tick(b, *store, kT0 + minutes(4), Batch({engine::Resolved(down, kT0 + minutes(4))}));
  Close(b, store);

  // Long after: a new incident for the group, with an id of its own.
  engine::Engine c({}, rules);
  store = OpenAndRecover(Options(dir), c, kT0 + minutes(20));
  ASSERT_NE(store, nullptr);
  Tick(c, *store, kT0 + minutes(20), Batch({Firing("Down")}));
  const std::vector<const Incident*> all = engine::All(c);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->id, id);
  EXPECT_EQ(all[0]->state, IncidentState::kResolved);
  EXPECT_NE(all[1]->id, id);
  EXPECT_EQ(all[1]->state, IncidentState::kTriggered);
  EXPECT_EQ(all[1]->members.size(), 1u);
}

// A running engine arms an incident's escalation before its next flush (Flush pages, then re-arms the flush);
// Incidents::Restore arms the flush first. With the default group_interval (5m) and an ack_timeout of 5m the two
// come due at the same instant: the timers' order must not depend on how they were armed, or the recovered engine
// would send other notifications (with other identities) than the original.
TEST(RecoveryTest, AFlushAndAnEscalationDueTogetherRunInTheSameOrderAfterARecovery) {
  TempDir dir;
  const engine::RuleSet rules = EscalationRules(/*repeat=*/0, /*step2_ack=*/minutes(10));
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, Batch({Firing("Down")}));
  Tick(a, *store, kPaged);
  Tick(a, *store, kPaged + seconds(30), Batch({Firing("Slow")}));  // the next flush sends an update
  Close(a, store);

  engine::Engine b({}, rules);
  store = OpenAndRecover(Options(dir), b, kPaged + seconds(30));
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(engine::All(b)[0]->flush_at, engine::All(b)[0]->escalate_at);
  std::vector<std::string> decided[2];
  engine::Engine* engines[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    engines[i]->Advance(kPaged + minutes(5));
    for (const Notification& n : engines[i]->TakeNotifications()) {
      decided[i].push_back(std::to_string(n.seq) + " " + std::string(NotifyEventName(n.event)) + " " + n.receiver);
    }
  }
  EXPECT_EQ(decided[1], decided[0]);
  EXPECT_EQ(Describe(b), Describe(a));
}

}  // namespace
}  // namespace incidentd::store
