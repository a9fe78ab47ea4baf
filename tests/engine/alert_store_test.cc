#include "engine/alert_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace incidentd::engine {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
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

// The store on its own, below the engine: its storage, index and timers at sizes and time spans the engine tests
// above do not reach.
class AlertStoreUnitTest : public ::testing::Test {
 protected:
  AlertStore store_{AlertStoreOptions{minutes(5), minutes(15)}};
  AlertChange Apply(const AlertBatch& b, Time now) { return store_.Apply(b, b.alerts()[0], now); }
  static Fingerprint Fp(std::string_view name) {
    Label l{"alertname", name};
    return Fingerprint::Of({&l, 1});
  }
};

TEST_F(AlertStoreUnitTest, AlertsStayPutAsTheStoreGrowsAndShrinks) {
  Apply(One("keep"), kT0);
  const Alert* kept = store_.Find(Fp("keep"));
  for (int i = 0; i < 5000; ++i) Apply(One("A" + std::to_string(i)), kT0);  // new chunks, index rehashes
  EXPECT_EQ(store_.Find(Fp("keep")), kept);
  for (int i = 0; i < 5000; i += 2) {
    Apply(One("A" + std::to_string(i), AlertAction::kResolve, EndsAtKind::kGiven), kT0 + seconds(1));
  }
  store_.Advance(kT0 + minutes(16) + seconds(1));  // the resolved half is dropped, the rest resolves
  EXPECT_EQ(store_.size(), 2501u);
  EXPECT_EQ(store_.Find(Fp("keep")), kept);
  for (int i = 0; i < 5000; ++i) {
    const Alert* a = store_.Find(Fp("A" + std::to_string(i)));
    if (i % 2 == 0) {
      EXPECT_EQ(a, nullptr) << i;
    } else {
      ASSERT_NE(a, nullptr) << i;
      EXPECT_EQ(a->labels.Get("alertname"), "A" + std::to_string(i));
    }
  }
  // Freed slots are reused, and the survivors are still found.
  for (int i = 0; i < 5000; i += 2) Apply(One("B" + std::to_string(i)), kT0 + minutes(17));
  EXPECT_EQ(store_.size(), 5001u);
  size_t seen = 0;
  store_.ForEach([&](const Alert&) { ++seen; });
  EXPECT_EQ(seen, 5001u);
  EXPECT_EQ(store_.Find(Fp("keep")), kept);
  EXPECT_NE(store_.Find(Fp("A4999")), nullptr);
  EXPECT_NE(store_.Find(Fp("B4998")), nullptr);
}

// A timer re-armed earlier leaves a stale one behind; neither it nor a dropped alert's timer may show as a deadline.
TEST_F(AlertStoreUnitTest, NextDeadlineIsExactPastStaleTimers) {
  Apply(One("A"), kT0);  // resolves at T0+5m (kTimeout)
  EXPECT_EQ(store_.NextDeadline(), kT0 + minutes(5));
  Apply(One("A", AlertAction::kFire, EndsAtKind::kGiven, kT0 + seconds(61) + nanoseconds(7)), kT0 + seconds(1));
  EXPECT_EQ(store_.NextDeadline(), kT0 + seconds(61) + nanoseconds(7));
  store_.Advance(kT0 + seconds(61) + nanoseconds(6));
  EXPECT_EQ(store_.Find(Fp("A"))->status, AlertStatus::kFiring);
  std::vector<Fingerprint> resolved;
  store_.Advance(kT0 + seconds(61) + nanoseconds(7), &resolved);
  EXPECT_EQ(resolved, std::vector<Fingerprint>{Fp("A")});
  // Not T0+5m, where the stale timer is: the retention's end.
  EXPECT_EQ(store_.NextDeadline(), kT0 + seconds(61) + nanoseconds(7) + minutes(15));
  store_.Advance(kT0 + seconds(61) + nanoseconds(7) + minutes(15));
  EXPECT_EQ(store_.Find(Fp("A")), nullptr);
  EXPECT_FALSE(store_.NextDeadline().has_value());
}

TEST_F(AlertStoreUnitTest, FarTimersFireOnTime) {
  Apply(One("day", AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24) + nanoseconds(1)), kT0);
  Apply(One("year", AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24 * 365)), kT0);
  Apply(One("soon", AlertAction::kFire, EndsAtKind::kGiven, kT0 + seconds(2)), kT0);
  EXPECT_EQ(store_.NextDeadline(), kT0 + seconds(2));
  store_.Advance(kT0 + hours(24));
  EXPECT_EQ(store_.Find(Fp("day"))->status, AlertStatus::kFiring);
  EXPECT_EQ(store_.NextDeadline(), kT0 + hours(24) + nanoseconds(1));
  store_.Advance(kT0 + hours(24) + nanoseconds(1));
  EXPECT_EQ(store_.Find(Fp("day"))->status, AlertStatus::kResolved);
  EXPECT_EQ(store_.NextDeadline(), kT0 + hours(24) + nanoseconds(1) + minutes(15));
  store_.Advance(kT0 + hours(24 * 365) - nanoseconds(1));
  EXPECT_EQ(store_.Find(Fp("year"))->status, AlertStatus::kFiring);
  EXPECT_EQ(store_.Find(Fp("day")), nullptr);
  EXPECT_EQ(store_.NextDeadline(), kT0 + hours(24 * 365));
}

// Timers in one Advance fire in order of (time, fingerprint), whatever order they were armed in.
TEST_F(AlertStoreUnitTest, SimultaneousTimersFireInFingerprintOrder) {
  for (int i = 0; i < 300; ++i) {
    Apply(One("A" + std::to_string(i), AlertAction::kFire, EndsAtKind::kGiven, kT0 + seconds(10 + i % 3)), kT0);
  }
  std::vector<Fingerprint> resolved;
  store_.Advance(kT0 + minutes(1), &resolved);
  ASSERT_EQ(resolved.size(), 300u);
  for (size_t i = 1; i < resolved.size(); ++i) {
    const Alert* p = store_.Find(resolved[i - 1]);
    const Alert* q = store_.Find(resolved[i]);
    EXPECT_TRUE(p->ends_at < q->ends_at || (p->ends_at == q->ends_at && p->fingerprint < q->fingerprint)) << i;
  }
}

// Random alerts, refreshes, re-arms and clock steps from a nanosecond to days; after each Advance the store must be
// what the merge rules say, whatever the timers' inner state: an alert resolves at exactly its end and is dropped at
// exactly the end of its retention.
TEST_F(AlertStoreUnitTest, RandomTimersAgreeWithTheAlerts) {
  std::mt19937_64 rng(20261127);
  auto pick = [&](int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); };
  Time now = kT0;
  Time last_advance = kT0 - nanoseconds(1);
  constexpr int kNames = 3000;
  for (int step = 0; step < 400; ++step) {
    // A batch of updates; Prefetch is called as the engine would, and must change nothing.
    AlertBatch batch;
    for (int k = 0; k < 40; ++k) {
      AlertInput& in = batch.Begin();
      const int64_t kind = pick(10);
      if (kind < 3) {
        in.ends_kind = EndsAtKind::kGiven;  // within 2 s, to the nanosecond
        in.ends_at = now + nanoseconds(pick(2'000'000'000));
      } else if (kind < 5) {
        in.ends_kind = EndsAtKind::kGiven;  // within 10 minutes
        in.ends_at = now + milliseconds(pick(600'000));
      } else if (kind < 6) {
        in.ends_kind = EndsAtKind::kGiven;  // beyond the timer ring
        in.ends_at = now + hours(1) + seconds(pick(3 * 86400));
      } else if (kind < 7) {
        in.ends_kind = EndsAtKind::kNever;
      } else if (kind < 8) {
        in.action = AlertAction::kResolve;
        in.ends_kind = EndsAtKind::kGiven;
      }  // else kTimeout
      batch.AddLabel("alertname", "A" + std::to_string(pick(kNames)));
      batch.AddAnnotation("summary", "s");
      batch.Finish();
    }
    batch.Seal();
    for (size_t i = 0; i < batch.alerts().size(); ++i) {
      store_.Prefetch(batch, i);
      store_.Apply(batch, batch.alerts()[i], now);
    }
    // The deadline is after the last Advance (all due timers fired) and no later than any alert's.
    std::optional<Time> earliest;
    store_.ForEach([&](const Alert& a) {
      std::optional<Time> d;
      if (a.status == AlertStatus::kResolved) {
        // One resolved by the last Advance is dropped by a later one at the earliest.
        d = std::max(a.ends_at + minutes(15), last_advance + nanoseconds(1));
      } else if (a.ends_kind != EndsAtKind::kNever) {
        d = a.ends_at;
      }
      if (d && (!earliest || *d < *earliest)) earliest = d;
    });
    std::optional<Time> next = store_.NextDeadline();
    ASSERT_EQ(next.has_value(), earliest.has_value()) << step;
    if (next) {
      EXPECT_LE(*next, *earliest) << step;
      EXPECT_GT(*next, last_advance) << step;
    }

    const int64_t jump = pick(20);
    now += jump < 8    ? nanoseconds(1 + pick(1000))
           : jump < 14 ? milliseconds(pick(3000))
           : jump < 18 ? seconds(pick(600))
           : jump < 19 ? hours(1 + pick(5))
                       : hours(24 * (1 + pick(3)));
    // What Advance(now) must do, from the alerts as they are.
    std::vector<std::pair<Time, Fingerprint>> to_resolve;
    std::map<Fingerprint, bool> present;  // fingerprint -> stays
    size_t firing = 0;
    store_.ForEach([&](const Alert& a) {
      bool stays = true;
      if (a.status == AlertStatus::kFiring && a.ends_kind != EndsAtKind::kNever && a.ends_at <= now) {
        to_resolve.emplace_back(a.ends_at, a.fingerprint);
        stays = true;  // resolved by this Advance: dropped by a later one at the earliest
      } else if (a.status == AlertStatus::kResolved) {
        stays = a.ends_at + minutes(15) > now;
      } else if (a.status == AlertStatus::kFiring) {
        ++firing;
      }
      present[a.fingerprint] = stays;
    });
    std::sort(to_resolve.begin(), to_resolve.end());
    std::vector<Fingerprint> resolved;
    store_.Advance(now, &resolved);
    last_advance = now;
    ASSERT_EQ(resolved.size(), to_resolve.size()) << step;
    for (size_t i = 0; i < resolved.size(); ++i) EXPECT_EQ(resolved[i], to_resolve[i].second) << step;
    size_t kept = 0;
    for (const auto& [fp, stays] : present) {
      const Alert* a = store_.Find(fp);
      EXPECT_EQ(a != nullptr, stays) << step;
      if (a) {
        EXPECT_EQ(a->fingerprint, fp);
        ++kept;
      }
    }
    EXPECT_EQ(store_.size(), kept) << step;
    EXPECT_EQ(store_.firing(), firing) << step;
  }
}

}  // namespace
}  // namespace incidentd::engine
