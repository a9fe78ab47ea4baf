// The state store's errors end to end: a store that fails its writes answers 503, holds its pages and acknowledges
// nothing it did not write; a store that cannot be opened or read stops the start; /readyz and the recovered state
// come together.
#include "integration/durability_fixture.h"

namespace incidentd::testing {
namespace {

using simdjson::dom::element;
using std::chrono::minutes;
using std::chrono::seconds;

TEST_F(DurabilityTest, AFailingStoreAnswers503AndAcknowledgesNothingItDidNotWrite) {
  Prepare(Rules(kOneStep, sink_a_.url(), sink_b_.url()));
  FailingStore store;
  ASSERT_NO_FATAL_FAILURE(Boot(store.Wrap()));
  std::string eu1;
  {
    TestClient c = Client();
    ASSERT_EQ(c.Post("/api/v2/alerts", "[" + Alert("Down", "eu1") + "]").status, 200u);
    eu1 = IncidentsByCluster(c)["eu1"];
    ASSERT_TRUE(Arrived(sink_a_, 1));
    ASSERT_TRUE(WaitForEmptyOutbox(c));
    ASSERT_GT(store.passed(), 0u);

    store.SetFailing(true);
    // us1's alert: not written, so 503; its incident's trigger is decided in the same tick and held.
    const std::string us1_alert = "[" + Alert("Down", "us1") + "]";
    HttpResult r = c.Post("/api/v2/alerts", us1_alert);
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(r.headers["Retry-After"], "1");
    r = c.Post("/api/v1/incidents/" + eu1 + "/ack", "");
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(r.headers["Retry-After"], "1");
    r = c.Post("/api/v2/silences", kUs1Silence);
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(r.headers["Retry-After"], "1");
    // Reads still answer.
    EXPECT_EQ(c.Get("/api/v2/alerts").status, 200u);
    EXPECT_EQ(c.Get("/api/v1/incidents").status, 200u);
    EXPECT_EQ(c.Get("/api/v2/silences").status, 200u);
    EXPECT_GT(MetricValue(c.Get("/metrics").body, "incidentd_store_commit_errors_total"), 0);
    EXPECT_GT(store.failed(), 0u);
    // Ticks go on failing; nothing decided while failing reaches the outbox or the pager.
    ASSERT_TRUE(daemon_->PokeEngine());
    ASSERT_TRUE(daemon_->PokeEngine());
    EXPECT_EQ(Listed(c).size(), 1u) << c.Get("/api/v1/notifications").body;
    EXPECT_EQ(Depth(c), 0);
    EXPECT_EQ(sink_a_.count(), 1u);

    store.SetFailing(false);
    r = c.Post("/api/v2/alerts", us1_alert);
    EXPECT_EQ(r.status, 200u) << r.body;
    const std::string us1 = IncidentsByCluster(c)["us1"];
    ASSERT_FALSE(us1.empty());
    // The held pages go out, once each: us1's trigger and eu1's acknowledgement (the ack the engine did take).
    ASSERT_TRUE(Arrived(sink_a_, 3)) << ::testing::PrintToString(Deliveries(sink_a_));
    ASSERT_TRUE(WaitForEmptyOutbox(c));
    ASSERT_TRUE(daemon_->PokeEngine());
    std::vector<std::string> got = Deliveries(sink_a_);
    std::sort(got.begin() + 1, got.end());
    std::vector<std::string> want = {eu1 + "/1/hook-a triggered", eu1 + "/2/hook-a acknowledged",
                                     us1 + "/1/hook-a triggered"};
    std::sort(want.begin() + 1, want.end());
    EXPECT_EQ(got, want);
    EXPECT_EQ(c.Post("/api/v2/silences", kUs1Silence).status, 200u);
  }

  // Without the wrapper: every alert that was answered 200 is there.
  ASSERT_NO_FATAL_FAILURE(Restart());
  TestClient c = Client();
  JsonDoc alerts(c.Get("/api/v2/alerts").body);
  ASSERT_TRUE(alerts.ok());
  std::vector<std::string> clusters;
  for (element a : alerts.root().get_array()) clusters.push_back(JsonStr(a["labels"]["cluster"]));
  std::sort(clusters.begin(), clusters.end());
  EXPECT_EQ(clusters, (std::vector<std::string>{"eu1", "us1"}));
  EXPECT_EQ(IncidentsByCluster(c).size(), 2u);
  ASSERT_TRUE(daemon_->PokeEngine());
  EXPECT_EQ(Depth(c), 0);
  EXPECT_EQ(sink_a_.count(), 3u);
}

TEST_F(DurabilityTest, AStoreThatCannotBeOpenedStopsTheStart) {
  Prepare(Rules(kOneStep, sink_a_.url(), sink_b_.url()));
  {
    SCOPED_TRACE("the state path is a regular file");
    std::filesystem::create_directories(dir_ / "data");
    std::ofstream(dir_ / "data" / "state") << "not a store\n";
    Status s = TryBoot();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(store_dir_), std::string::npos) << s.message();
    daemon_.reset();
    EXPECT_TRUE(std::filesystem::is_regular_file(dir_ / "data" / "state")) << "the start replaced it";
    std::filesystem::remove(dir_ / "data" / "state");
  }
  // A store with an alert in it, to damage below.
  ASSERT_NO_FATAL_FAILURE(Boot());
  {
    TestClient c = Client();
    ASSERT_EQ(c.Post("/api/v2/alerts", "[" + Alert("Down", "eu1") + "]").status, 200u);
  }
  StopDaemon();
  // Rewrites one key of the store's column family `family` (the store is closed).
  auto rewrite = [&](const std::string& family, const std::string& key, const std::string& value, bool first_key) {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), store_dir_, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), store_dir_, families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == family) cf = handles[i];
    }
    ASSERT_NE(cf, nullptr) << family;
    std::string k = key;
    if (first_key) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
      it->SeekToFirst();
      ASSERT_TRUE(it->Valid());
      k = it->key().ToString();
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    EXPECT_TRUE(db->Put(wo, cf, k, value).ok());
    for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
    EXPECT_TRUE(db->Close().ok());
  };
  {
    SCOPED_TRACE("a malformed alert record");
    ASSERT_NO_FATAL_FAILURE(rewrite("alerts", "", "\xff garbage", true));
    Status s = TryBoot();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(store_dir_), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("alerts record"), std::string::npos) << s.message();
    daemon_.reset();
  }
  {
    SCOPED_TRACE("a format this incidentd does not read");
    ASSERT_NO_FATAL_FAILURE(rewrite("default", "format", "999", false));
    Status s = TryBoot();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(store_dir_), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("format 999"), std::string::npos) << s.message();
    daemon_.reset();
  }
}

TEST_F(DurabilityTest, ReadyzAnswersOnlyAfterRecovery) {
  Prepare(Rules(kOneStep, sink_a_.url(), sink_b_.url()));
  ASSERT_NO_FATAL_FAILURE(Boot());
  {
    TestClient c = Client();
    ASSERT_EQ(c.Post("/api/v2/alerts", "[" + Alert("Down", "eu1") + "," + Alert("Down", "us1") + "]").status, 200u);
    ASSERT_TRUE(WaitForEmptyOutbox(c));
  }
  ASSERT_NO_FATAL_FAILURE(Restart());
  // The first requests after Start returns: ready, and the recovered state is what they see — never an empty one.
  TestClient c = Client();
  HttpResult r = c.Get("/readyz");
  EXPECT_EQ(r.status, 200u) << r.body;
  JsonDoc alerts(c.Get("/api/v2/alerts").body);
  ASSERT_TRUE(alerts.ok());
  EXPECT_EQ(alerts.root().get_array().size(), 2u);
  EXPECT_EQ(IncidentsByCluster(c).size(), 2u);
  EXPECT_EQ(Listed(c).size(), 2u);
}

}  // namespace
}  // namespace incidentd::testing
