#include "engine/alert_store.h"

#include <gtest/gtest.h>

#include "engine/engine.h"

namespace incidentd::engine {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const Time kT0 = FromUnixNanos(1'780'000'000'000'000'000LL);

// One alert {alertname=name}, built the way a decoder builds it.
AlertBatch One(std::string_view name, AlertAction action = AlertAction::kFire, EndsAtKind ends = EndsAtKind::kTimeout,
               Time ends_at = kZeroTime, Time starts_at = kZeroTime, AlertFormat format = AlertFormat::kPrometheus,
               std::string_view summary = "s") {
  AlertBatch b(format);
  AlertInput& a = b.Begin();
  a.action = action;
  a.ends_kind = ends;
  a.ends_at = ends_at;
  a.starts_at = starts_at;
  b.AddLabel("alertname", name);
  b.AddAnnotation("summary", summary);
  b.Finish();
  b.Seal();
  return b;
}

class AlertStoreTest : public ::testing::Test {
 protected:
  Engine engine_{EngineOptions{AlertStoreOptions{minutes(5), minutes(15)}, {}, {}}};
  const Alert* Get(std::string_view name) {
    Label l{"alertname", name};
    return engine_.alerts().Find(Fingerprint::Of({&l, 1}));
  }
};

TEST_F(AlertStoreTest, NewAlertFiresUntilResolveTimeout) {
  BatchResult r = engine_.Apply(One("A"), kT0);
  EXPECT_EQ(r.new_alerts, 1u);
  const Alert* a = Get("A");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->status, AlertStatus::kFiring);
  EXPECT_EQ(a->starts_at, kT0);  // a missing startsAt is "now"
  EXPECT_EQ(a->ends_at, kT0 + minutes(5));
  EXPECT_EQ(engine_.NextDeadline(), kT0 + minutes(5));

  engine_.Advance(kT0 + minutes(5) - seconds(1));
  EXPECT_EQ(Get("A")->status, AlertStatus::kFiring);
  engine_.Advance(kT0 + minutes(5));
  EXPECT_EQ(Get("A")->status, AlertStatus::kResolved);
  EXPECT_EQ(engine_.alerts().firing(), 0u);
  EXPECT_EQ(engine_.counters().alerts_resolved, 1u);
  // Kept for the retention, then forgotten.
  engine_.Advance(kT0 + minutes(20) - seconds(1));
  EXPECT_NE(Get("A"), nullptr);
  engine_.Advance(kT0 + minutes(20));
  EXPECT_EQ(Get("A"), nullptr);
  EXPECT_EQ(engine_.alerts().symbols().size(), 0u);  // every interned string released
}

TEST_F(AlertStoreTest, RefreshExtendsAndCountsDuplicatesWithoutHeapGrowth) {
  engine_.Apply(One("A"), kT0);
  for (int i = 1; i <= 100; ++i) {
    BatchResult r = engine_.Apply(One("A"), kT0 + seconds(i));
    EXPECT_EQ(r.refreshed, 1u);
  }
  const Alert* a = Get("A");
  EXPECT_EQ(a->duplicates, 100u);
  EXPECT_EQ(a->first_seen, kT0);
  EXPECT_EQ(a->updated_at, kT0 + seconds(100));
  EXPECT_EQ(a->ends_at, kT0 + seconds(100) + minutes(5));
  // The original timer fires at T0+5m, finds the end moved, and re-arms: still firing.
  engine_.Advance(kT0 + minutes(5));
  EXPECT_EQ(Get("A")->status, AlertStatus::kFiring);
  EXPECT_EQ(engine_.NextDeadline(), kT0 + seconds(100) + minutes(5));
  engine_.Advance(kT0 + seconds(100) + minutes(5));
  EXPECT_EQ(Get("A")->status, AlertStatus::kResolved);
}

TEST_F(AlertStoreTest, EndsAtInThePastResolves) {
  engine_.Apply(One("A"), kT0);
  BatchResult r = engine_.Apply(One("A", AlertAction::kFire, EndsAtKind::kGiven, kT0 - seconds(1)), kT0 + seconds(1));
  EXPECT_EQ(r.resolved, 1u);
  EXPECT_EQ(Get("A")->status, AlertStatus::kResolved);
  EXPECT_EQ(Get("A")->ends_at, kT0 - seconds(1));
  // Re-sent resolved alerts change nothing.
  r = engine_.Apply(One("A", AlertAction::kFire, EndsAtKind::kGiven, kT0 - seconds(1)), kT0 + seconds(2));
  EXPECT_EQ(r.refreshed, 1u);
  EXPECT_EQ(Get("A")->status, AlertStatus::kResolved);
}

TEST_F(AlertStoreTest, EndsAtInTheFutureFiresUntilThen) {
  engine_.Apply(One("A", AlertAction::kFire, EndsAtKind::kGiven, kT0 + minutes(1)), kT0);
  EXPECT_EQ(Get("A")->status, AlertStatus::kFiring);
  engine_.Advance(kT0 + minutes(1));
  EXPECT_EQ(Get("A")->status, AlertStatus::kResolved);
}

TEST_F(AlertStoreTest, FiringAgainAfterResolveStartsANewEpisode) {
  engine_.Apply(One("A", AlertAction::kFire, EndsAtKind::kTimeout, kZeroTime, kT0 - minutes(1)), kT0);
  engine_.Apply(One("A", AlertAction::kResolve, EndsAtKind::kGiven), kT0 + minutes(1));
  BatchResult r = engine_.Apply(One("A"), kT0 + minutes(2));
  EXPECT_EQ(r.refired, 1u);
  EXPECT_EQ(Get("A")->status, AlertStatus::kFiring);
  EXPECT_EQ(Get("A")->starts_at, kT0 + minutes(2));
}

TEST_F(AlertStoreTest, UnknownResolvedAlertIsTrackedButNotFiring) {
  BatchResult r = engine_.Apply(One("A", AlertAction::kFire, EndsAtKind::kGiven, kT0 - minutes(1)), kT0);
  EXPECT_EQ(r.new_alerts, 1u);
  EXPECT_EQ(Get("A")->status, AlertStatus::kResolved);
  EXPECT_EQ(Get("A")->starts_at, kT0 - minutes(1));  // startsAt missing and endsAt sent: startsAt = endsAt
  EXPECT_EQ(engine_.alerts().firing(), 0u);
}

TEST_F(AlertStoreTest, NeverEndingAlertsWaitForAnExplicitResolve) {
  engine_.Apply(One("A", AlertAction::kFire, EndsAtKind::kNever), kT0);
  EXPECT_FALSE(engine_.NextDeadline().has_value());
  engine_.Advance(kT0 + std::chrono::hours(24 * 365));
  EXPECT_EQ(Get("A")->status, AlertStatus::kFiring);
  engine_.Apply(One("A", AlertAction::kResolve, EndsAtKind::kGiven), kT0 + std::chrono::hours(1));
  EXPECT_EQ(Get("A")->status, AlertStatus::kResolved);
  EXPECT_EQ(Get("A")->ends_at, kT0 + std::chrono::hours(1));
}

TEST_F(AlertStoreTest, AnnotationsFollowTheLatestRefresh) {
  engine_.Apply(
      One("A", AlertAction::kFire, EndsAtKind::kTimeout, kZeroTime, kZeroTime, AlertFormat::kPrometheus, "first"), kT0);
  engine_.Apply(
      One("A", AlertAction::kFire, EndsAtKind::kTimeout, kZeroTime, kZeroTime, AlertFormat::kPrometheus, "second"),
      kT0 + seconds(1));
  EXPECT_EQ(Get("A")->annotations.Get("summary"), "second");
  EXPECT_EQ(engine_.alerts().symbols().size(), 4u);  // alertname, A, summary, second: "first" released
}

TEST_F(AlertStoreTest, PagerDutyAcknowledgeAndResolveKeepContent) {
  engine_.Apply(One("A", AlertAction::kFire, EndsAtKind::kNever, kZeroTime, kZeroTime, AlertFormat::kPagerDuty), kT0);
  // Acknowledge and resolve events carry only the identity; built here with the same label, no annotations.
  AlertBatch ack(AlertFormat::kPagerDuty);
  AlertInput& in = ack.Begin();
  in.action = AlertAction::kAcknowledge;
  in.ends_kind = EndsAtKind::kGiven;
  ack.AddLabel("alertname", "A");
  ack.Finish();
  ack.Seal();
  BatchResult r = engine_.Apply(ack, kT0 + seconds(1));
  EXPECT_EQ(r.acknowledged, 1u);
  EXPECT_TRUE(Get("A")->acknowledged);
  EXPECT_EQ(Get("A")->annotations.Get("summary"), "s");

  AlertBatch unknown =
      One("B", AlertAction::kResolve, EndsAtKind::kGiven, kZeroTime, kZeroTime, AlertFormat::kPagerDuty);
  r = engine_.Apply(unknown, kT0 + seconds(2));
  EXPECT_EQ(r.ignored, 1u);
  EXPECT_EQ(Get("B"), nullptr);
}

// Alertmanager's merge: an explicit end rules while it is the latest; a refresh without endsAt does not pull it in.
TEST_F(AlertStoreTest, LaterExplicitEndIsKept) {
  engine_.Apply(One("A", AlertAction::kFire, EndsAtKind::kGiven, kT0 + std::chrono::hours(1)), kT0);
  engine_.Apply(One("A"), kT0 + seconds(1));
  EXPECT_EQ(Get("A")->ends_at, kT0 + std::chrono::hours(1));
  engine_.Apply(One("A", AlertAction::kFire, EndsAtKind::kGiven, kT0 + minutes(2)), kT0 + seconds(2));
  EXPECT_EQ(Get("A")->ends_at, kT0 + std::chrono::hours(1));
  // Once the explicit end passed, refreshes without endsAt take over again.
  engine_.Advance(kT0 + std::chrono::hours(1));
  EXPECT_EQ(Get("A")->status, AlertStatus::kResolved);
  engine_.Apply(One("A"), kT0 + std::chrono::hours(2));
  EXPECT_EQ(Get("A")->status, AlertStatus::kFiring);
  EXPECT_EQ(Get("A")->ends_at, kT0 + std::chrono::hours(2) + minutes(5));
}

// Ends at the edge of what 64-bit nanoseconds hold neither overflow nor keep a resolved alert forever.
TEST_F(AlertStoreTest, FarFutureEndsDoNotOverflow) {
  const Time far = FromUnixNanos(9'200'000'000'000'000'000LL);  // year 2261
  engine_.Apply(One("A", AlertAction::kResolve, EndsAtKind::kGiven, far), kT0);
  EXPECT_EQ(Get("A")->status, AlertStatus::kResolved);
  EXPECT_EQ(Get("A")->ends_at, kT0);  // a resolution is dated when it arrived, not in the future
  engine_.Apply(One("B", AlertAction::kFire, EndsAtKind::kGiven, far), kT0);
  EXPECT_EQ(Get("B")->status, AlertStatus::kFiring);
  engine_.Advance(kT0 + minutes(15));
  EXPECT_EQ(Get("A"), nullptr);
  EXPECT_NE(Get("B"), nullptr);
  engine_.Apply(One("B", AlertAction::kResolve, EndsAtKind::kGiven), kT0 + minutes(16));
  engine_.Advance(kT0 + minutes(31));
  EXPECT_EQ(Get("B"), nullptr);
}

TEST_F(AlertStoreTest, ManyAlertsResolveInDeadlineOrder) {
  for (int i = 0; i < 1000; ++i) {
    engine_.Apply(One("A" + std::to_string(i), AlertAction::kFire, EndsAtKind::kGiven, kT0 + seconds(1000 - i)), kT0);
  }
  EXPECT_EQ(engine_.alerts().firing(), 1000u);
  EXPECT_EQ(engine_.NextDeadline(), kT0 + seconds(1));
  engine_.Advance(kT0 + seconds(500));
  EXPECT_EQ(engine_.alerts().firing(), 500u);
  EXPECT_EQ(Get("A999")->status, AlertStatus::kResolved);
  EXPECT_EQ(Get("A0")->status, AlertStatus::kFiring);
}

}  // namespace
}  // namespace incidentd::engine
