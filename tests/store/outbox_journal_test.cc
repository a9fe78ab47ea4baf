// The store's part in delivery: notifications a tick decided come back as pending after a restart until the outbox
// reports them finished (StateStore as notify::OutboxJournal); finished ones come back as the notification log,
// within log_retention.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "store/codec.h"
#include "store/state_store.h"
#include "store/store_test_util.h"

namespace incidentd::store {
namespace {

const engine::RuleSet kRules = engine::Rules({engine::Rule("db", {"cluster"})});

In Firing(std::string cluster) {
  return In{{{"alertname", "Down"}, {"cluster", cluster}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24)};
}

std::vector<std::string> Keys(const std::vector<Notification>& ns) {
  std::vector<std::string> out;
  for (const Notification& n : ns) out.push_back(n.Key());
  return out;
}

notify::DeliveryRecord Finish(const Notification& n, notify::DeliveryState state, Time at) {
  notify::DeliveryRecord r;
  r.key = n.Key();
  r.incident_id = n.incident_id;
  r.receiver = n.receiver;
  r.event = n.event;
  r.inform = n.inform;
  r.seq = n.seq;
  r.step = n.step;
  r.state = state;
  r.attempts = 1;
  r.decided_at = n.at;
  r.last_attempt_at = at;
  r.finished_at = at;
  r.last_status = state == notify::DeliveryState::kDelivered ? 202 : 400;
  return r;
}

// Two incidents paged: four notifications (pd and slack for each), committed by their tick.
struct Paged {
  TempDir dir;
  StoreOptions options = Options(dir);
  engine::Engine engine{{}, kRules};
  std::unique_ptr<StateStore> store;
  std::vector<Notification> decided;

  explicit Paged(Duration log_retention = hours(24)) {
    options.log_retention = log_retention;
    store = OpenAndRecover(options, engine, kT0);
    if (store == nullptr) return;
    Tick(engine, *store, kT0, Batch({Firing("eu1"), Firing("us1")}));
    decided = Tick(engine, *store, kT0 + seconds(30));
  }
};

TEST(OutboxJournalTest, DecidedNotificationsComeBackPendingInIncidentAndSeqOrder) {
  Paged p;
  ASSERT_NE(p.store, nullptr);
  ASSERT_EQ(p.decided.size(), 4u);
  // Later decisions for the first incident, committed out of order; seq 10 sorts after 2 although "10" < "2".
  Notification tenth = p.decided[0];
  tenth.seq = 10;
  Notification second = p.decided[0];
  second.seq = 2;
  ASSERT_TRUE(p.store->Commit(p.engine, {tenth, second}, kT0 + seconds(31)).ok());
  Close(p.engine, p.store);

  engine::Engine b({}, kRules);
  RecoveredOutbox outbox;
  RecoveryStats stats;
  p.store = OpenAndRecover(p.options, b, kT0 + seconds(31), &outbox, &stats);
  ASSERT_NE(p.store, nullptr);
  std::vector<Notification> want = p.decided;
  want.push_back(tenth);
  want.push_back(second);
  std::sort(want.begin(), want.end(), [](const Notification& x, const Notification& y) {
    return std::tie(x.incident_id, x.seq, x.receiver) < std::tie(y.incident_id, y.seq, y.receiver);
  });
  EXPECT_EQ(Keys(outbox.pending), Keys(want));
  ASSERT_EQ(outbox.pending.size(), 6u);
  EXPECT_EQ(outbox.pending[2].seq, 2u);
  EXPECT_EQ(outbox.pending[3].seq, 10u);
  EXPECT_EQ(stats.pending, 6u);
  EXPECT_TRUE(outbox.finished.empty());

  // What the pagers render comes back with them.
  const Notification& n = outbox.pending[0];
  EXPECT_EQ(n.event, NotifyEvent::kTriggered);
  EXPECT_EQ(n.at, kT0 + seconds(30));
  ASSERT_NE(n.incident, nullptr);
  EXPECT_EQ(n.incident->id, n.incident_id);
  ASSERT_EQ(n.incident->alerts.size(), 1u);
  EXPECT_EQ(n.incident->alerts[0].labels,
            (StringPairs{{"alertname", "Down"}, {"cluster", n.incident->group_labels[0].second}}));
}

TEST(OutboxJournalTest, AFinishedNotificationLeavesPendingForTheLog) {
  Paged p;
  ASSERT_NE(p.store, nullptr);
  ASSERT_EQ(p.decided.size(), 4u);
  p.store->Finished(Finish(p.decided[0], notify::DeliveryState::kDelivered, kT0 + seconds(31)));
  p.store->Finished(Finish(p.decided[3], notify::DeliveryState::kFailed, kT0 + seconds(32)));
  Close(p.engine, p.store);

  engine::Engine b({}, kRules);
  RecoveredOutbox outbox;
  RecoveryStats stats;
  p.store = OpenAndRecover(p.options, b, kT0 + minutes(1), &outbox, &stats);
  ASSERT_NE(p.store, nullptr);
  EXPECT_EQ(Keys(outbox.pending), (std::vector<std::string>{p.decided[1].Key(), p.decided[2].Key()}));
  ASSERT_EQ(outbox.finished.size(), 2u);  // in the order they finished
  EXPECT_EQ(outbox.finished[0].key, p.decided[0].Key());
  EXPECT_EQ(outbox.finished[0].state, notify::DeliveryState::kDelivered);
  EXPECT_EQ(outbox.finished[0].finished_at, kT0 + seconds(31));
  EXPECT_EQ(outbox.finished[1].key, p.decided[3].Key());
  EXPECT_EQ(outbox.finished[1].state, notify::DeliveryState::kFailed);
  EXPECT_EQ(outbox.finished[1].last_status, 400);
  EXPECT_EQ(stats.pending, 2u);
  EXPECT_EQ(stats.finished, 2u);
}

TEST(OutboxJournalTest, LogRecordsOlderThanTheRetentionAreNotRecovered) {
  Paged p(hours(1));
  ASSERT_NE(p.store, nullptr);
  p.store->Finished(Finish(p.decided[0], notify::DeliveryState::kDelivered, kT0 + minutes(1)));
  p.store->Finished(Finish(p.decided[1], notify::DeliveryState::kSkipped, kT0 + minutes(50)));
  Close(p.engine, p.store);

  engine::Engine b({}, kRules);
  RecoveredOutbox outbox;
  p.store = OpenAndRecover(p.options, b, kT0 + minutes(90), &outbox);  // the cut is at 30 minutes
  ASSERT_NE(p.store, nullptr);
  ASSERT_EQ(outbox.finished.size(), 1u);
  EXPECT_EQ(outbox.finished[0].key, p.decided[1].Key());
  EXPECT_EQ(outbox.finished[0].state, notify::DeliveryState::kSkipped);
}

// Recovery reads the log from now - log_retention on, so only the disk shows whether Commit trims it. (Before
// c2cded5 the trim never ran: log_trimmed_at_ started at kZeroTime and `now - log_trimmed_at_` overflowed.)
TEST(OutboxJournalTest, CommitDeletesLogRecordsOlderThanTheRetention) {
  Paged p(hours(1));
  ASSERT_NE(p.store, nullptr);
  p.store->Finished(Finish(p.decided[0], notify::DeliveryState::kDelivered, kT0 + minutes(1)));
  // Ticks with work, well past the retention and a minute apart.
  Tick(p.engine, *p.store, kT0 + hours(2), Batch({Firing("ap1")}));
  Tick(p.engine, *p.store, kT0 + hours(2) + minutes(2), Batch({Firing("ap2")}));
  Close(p.engine, p.store);

  RawDb raw(p.options.dir);
  EXPECT_EQ(raw.Keys()["notification_log"].size(), 0u) << "the log record finished at 1m is still on disk";
}

}  // namespace
}  // namespace incidentd::store
