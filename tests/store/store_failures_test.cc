// When the store cannot do its job: writes that fail (a WriteTarget that fails on demand, as a full or broken disk
// would) keep the tick's changes for the next Commit; a store held by another process, of another format, or with a
// record it cannot read stops the start with a message that says which.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/codec.h"
#include "store/state_store.h"
#include "store/store_test_util.h"

namespace incidentd::store {
namespace {

const engine::RuleSet kRules = engine::Rules({engine::Rule("db", {"cluster"})});

In Firing(std::string name, std::string cluster = "eu1") {
  return In{{{"alertname", name}, {"cluster", cluster}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24)};
}

// Fails every write while *fail is set, as a full disk would.
class FlakyTarget final : public WriteTarget {
 public:
  FlakyTarget(std::unique_ptr<WriteTarget> inner, const bool* fail) : inner_(std::move(inner)), fail_(fail) {}
  Status Write(rocksdb::WriteBatch* batch, bool sync) override {
    if (*fail_) return Status::Unavailable("test: no space left on device");
    return inner_->Write(batch, sync);
  }

 private:
  std::unique_ptr<WriteTarget> inner_;
  const bool* fail_;
};

StoreOptions Flaky(const TempDir& dir, const bool* fail) {
  StoreOptions o = Options(dir);
  o.wrap = [fail](std::unique_ptr<WriteTarget> inner) { return std::make_unique<FlakyTarget>(std::move(inner), fail); };
  return o;
}

// A tick whose Commit is expected to fail: returns the notifications it decided, which the caller holds.
// A tick whose write fails: its prepared write is kept, to be written again (as the engine loop's writer does).
std::unique_ptr<StateStore::Prepared> FailedTick(engine::Engine& e, StateStore& store, Time now,
                                                 const AlertBatch* batch, std::vector<Notification>* decided) {
  e.AdvanceBefore(now);
  if (batch != nullptr) e.Apply(*batch, now);
  e.Advance(now);
  std::vector<Notification> d = e.TakeNotifications();
  std::unique_ptr<StateStore::Prepared> p = store.Prepare(e, d, now);
  EXPECT_NE(p, nullptr);
  if (p == nullptr) return p;
  Status s = store.Write({p.get()});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.message();
  EXPECT_TRUE(s.retryable());
  if (decided != nullptr) decided->insert(decided->end(), d.begin(), d.end());
  return p;
}

TEST(StoreFailuresTest, FailedWritesWrittenAgainInOrderKeepEverything) {
  TempDir dir;
  bool fail = false;
  observability::Registry metrics;
  engine::Engine a({}, kRules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Flaky(dir, &fail), a, kT0, nullptr, nullptr, &metrics);
  ASSERT_NE(store, nullptr);

  fail = true;
  const AlertBatch first = Batch({Firing("Down"), Firing("Slow", "us1")});
  std::vector<Notification> held;
  auto w1 = FailedTick(a, *store, kT0, &first, &held);
  const size_t first_decided = held.size();
  auto w2 = FailedTick(a, *store, kT0 + seconds(30), nullptr, &held);
  ASSERT_GT(held.size(), first_decided);
  EXPECT_EQ(metrics.GetCounter("incidentd_store_commit_errors_total", "").value(), 2u);
  EXPECT_EQ(metrics.GetCounter("incidentd_store_commits_total", "").value(), 0u);

  // The disk is back: both writes again, in order, in one group.
  fail = false;
  ASSERT_TRUE(store->Write({w1.get(), w2.get()}).ok());
  EXPECT_EQ(metrics.GetCounter("incidentd_store_commits_total", "").value(), 1u);
  Close(a, store);

  engine::Engine b({}, kRules);
  RecoveredOutbox outbox;
  RecoveryStats stats;
  store = OpenAndRecover(Options(dir), b, kT0 + seconds(31), &outbox, &stats);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(stats.alerts, 2u);
  EXPECT_EQ(stats.incidents, 2u);
  EXPECT_EQ(Describe(b), Describe(a));
  EXPECT_EQ(outbox.pending.size(), held.size());
}

TEST(StoreFailuresTest, TimelineEntriesTrimmedWhileWritesFailAreStoredRightOnceTheyWork) {
  TempDir dir;
  bool fail = false;
  engine::Engine a({}, kRules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Flaky(dir, &fail), a, kT0);
  ASSERT_NE(store, nullptr);
  auto numbered = [](int from, int to) {
    std::vector<In> in;
    for (int i = from; i < to; ++i) in.push_back(Firing("A" + std::to_string(i)));
    return Batch(in);
  };
  Tick(a, *store, kT0, numbered(0, 600));
  fail = true;
  const AlertBatch second = numbered(600, 900);
  const AlertBatch third = numbered(900, 1300);
  auto w2 = FailedTick(a, *store, kT0 + seconds(1), &second, nullptr);
  auto w3 = FailedTick(a, *store, kT0 + seconds(2), &third, nullptr);  // crosses the limit: some never written
  ASSERT_GT(engine::All(a)[0]->timeline_dropped, 0u);
  fail = false;
  ASSERT_TRUE(store->Write({w2.get(), w3.get()}).ok());
  Close(a, store);
  {
    RawDb raw(dir.state());
    EXPECT_EQ(raw.Keys()["timeline"].size(), Incident::kTimelineLimit);
  }

  engine::Engine b({}, kRules);
  store = OpenAndRecover(Options(dir), b, kT0 + seconds(3));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Describe(b), Describe(a));
}

TEST(StoreFailuresTest, AFinishedNotificationTheStoreCannotRecordStaysPending) {
  TempDir dir;
  bool fail = false;
  observability::Registry metrics;
  engine::Engine a({}, kRules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Flaky(dir, &fail), a, kT0, nullptr, nullptr, &metrics);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, Batch({Firing("Down")}));
  std::vector<Notification> decided = Tick(a, *store, kT0 + seconds(30));
  ASSERT_FALSE(decided.empty());
  fail = true;
  notify::DeliveryRecord r;
  r.key = decided[0].Key();
  r.incident_id = decided[0].incident_id;
  r.receiver = decided[0].receiver;
  r.state = notify::DeliveryState::kDelivered;
  r.finished_at = kT0 + seconds(31);
  store->Finished(r);  // may be sent again after a restart: better twice than never
  EXPECT_EQ(metrics.GetCounter("incidentd_store_journal_errors_total", "").value(), 1u);
  Close(a, store);

  engine::Engine b({}, kRules);
  RecoveredOutbox outbox;
  store = OpenAndRecover(Options(dir), b, kT0 + minutes(1), &outbox);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(outbox.pending.size(), decided.size());
  EXPECT_TRUE(outbox.finished.empty());
}

TEST(StoreFailuresTest, ASecondOpenOfAStoreInUseIsRefusedNamingTheLock) {
  TempDir dir;
  Result<std::unique_ptr<StateStore>> first = StateStore::Open(Options(dir), nullptr);
  ASSERT_TRUE(first.ok()) << first.status().message();
  Result<std::unique_ptr<StateStore>> second = StateStore::Open(Options(dir), nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("lock"), std::string::npos) << second.status().message();
  EXPECT_NE(second.status().message().find("another incidentd"), std::string::npos) << second.status().message();
  EXPECT_NE(second.status().message().find(dir.state()), std::string::npos) << second.status().message();

  first->reset();  // the lock goes with it
  EXPECT_TRUE(StateStore::Open(Options(dir), nullptr).ok());
}

TEST(StoreFailuresTest, AStoreWhoseDirectoryCannotBeMadeIsRefused) {
  TempDir dir;
  std::ofstream(dir.path() + "/file") << "not a directory";
  StoreOptions o;
  o.dir = dir.path() + "/file/state";
  Result<std::unique_ptr<StateStore>> opened = StateStore::Open(o, nullptr);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find(o.dir), std::string::npos) << opened.status().message();
}

TEST(StoreFailuresTest, AStoreOfAnotherFormatIsRefused) {
  TempDir dir;
  {
    RawDb raw(dir.state());
    raw.Put("default", "format", "99");
  }
  Result<std::unique_ptr<StateStore>> opened = StateStore::Open(Options(dir), nullptr);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(opened.status().message().find("format 99"), std::string::npos) << opened.status().message();
  EXPECT_NE(opened.status().message().find("reads format " + std::to_string(kFormat)), std::string::npos)
      << opened.status().message();
}

TEST(StoreFailuresTest, AStoreWithDataButNoFormatIsRefused) {
  TempDir dir;
  {
    RawDb raw(dir.state());
    raw.Put("alerts", AlertKey(Fingerprint(1)), "x");
  }
  Result<std::unique_ptr<StateStore>> opened = StateStore::Open(Options(dir), nullptr);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("no format version"), std::string::npos) << opened.status().message();
}

// A store with one incident (its members and timeline) and its alert, closed; returns the incident's key.
engine::IncidentKey WriteOneIncident(const TempDir& dir) {
  engine::Engine a({}, kRules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  EXPECT_NE(store, nullptr);
  if (store == nullptr) return {};
  Tick(a, *store, kT0, Batch({Firing("Down")}));
  const Incident& inc = *engine::All(a)[0];
  const engine::IncidentKey key{inc.id_hi, inc.id_lo};
  Close(a, store);
  return key;
}

std::string HexOf(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

TEST(StoreFailuresTest, AnUnreadableRecordStopsRecoveryNamingItsFamilyAndKey) {
  struct Case {
    std::string family;
    std::function<std::string(engine::IncidentKey)> key;
    std::string value;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"alerts", [](engine::IncidentKey) { return AlertKey(Fingerprint(0x0102030405060708ULL)); }, "garbage",
       "malformed value"},
      {"alerts", [](engine::IncidentKey) { return std::string("short"); }, "garbage", "bad key"},
      {"incidents",
       [](engine::IncidentKey k) {
         return IncidentKeyBytes({k.hi, k.lo + 1});
       },
       "\x01", "malformed value"},
      {"members", [](engine::IncidentKey k) { return MemberKeyBytes(k, Fingerprint(9)); }, "\x01\x03",
       "malformed value"},
      {"timeline", [](engine::IncidentKey k) { return TimelineKey(k, 999); }, std::string("\x02", 1),
       "malformed value"},
      {"silences", [](engine::IncidentKey) { return std::string("s-1"); }, "garbage", "malformed value"},
      {"outbox", [](engine::IncidentKey) { return std::string("X/1/pd"); }, "garbage", "malformed value"},
      {"notification_log", [](engine::IncidentKey) { return LogKey(kT0, "X/1/pd"); }, "garbage", "malformed value"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.family);
    TempDir dir;
    const engine::IncidentKey key = WriteOneIncident(dir);
    const std::string record_key = c.key(key);
    {
      RawDb raw(dir.state());
      raw.Put(c.family, record_key, c.value);
    }
    Result<std::unique_ptr<StateStore>> opened = StateStore::Open(Options(dir), nullptr);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    engine::Engine b({}, kRules);
    RecoveredOutbox outbox;
    RecoveryStats stats;
    Status s = (*opened)->Recover(b, kT0 + seconds(1), &outbox, &stats);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find(c.family + " record " + HexOf(record_key)), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("refusing to start"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace incidentd::store
