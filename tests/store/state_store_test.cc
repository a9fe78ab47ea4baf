// StateStore round trips: an engine writes its ticks to a store in a temporary directory, the store is closed and
// opened again, and a fresh engine with the same rules recovers it. What the API would show of the two engines must
// be the same: alerts, incidents with their members and timelines, silences.
#include "store/state_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/codec.h"
#include "store/store_test_util.h"

namespace incidentd::store {
namespace {

// "db" groups service="db" alerts by cluster and goes on (`continue: true`) to "team", which groups every alert by
// team: a db alert is in two incidents. A critical alert inhibits the warnings of its cluster.
engine::RuleSet ContinueRules() {
  engine::CorrelationRule db = engine::Rule("db", {"cluster"}, {"service=\"db\""});
  db.continue_matching = true;
  db.title.parts = {{false, "db in "}, {true, "cluster"}};
  db.priority.from_label_set = true;
  db.priority.from_label = "severity";
  db.priority.map = {{"critical", 1}, {"warning", 4}};
  engine::RuleSet rs = engine::Rules({db, engine::Rule("team", {"team"})});
  rs.inhibit = {engine::InhibitRule{
      {engine::M("severity=\"critical\"")}, {engine::M("severity=\"warning\"")}, {"cluster"}, "test"}};
  return rs;
}

Full AlertOf(std::string name, std::string service, std::string cluster, std::string team, std::string severity) {
  Full f;
  f.labels = {{"alertname", name}, {"cluster", cluster}, {"team", team}, {"severity", severity}};
  if (!service.empty()) f.labels["service"] = service;
  f.annotations = {{"summary", name + " in " + cluster}, {"runbook", "https://runbooks/" + name}};
  f.generator_url = "http://prom-" + cluster + ":9090/graph";
  return f;
}

const Full kDown = AlertOf("Down", "db", "eu1", "storage", "critical");
const Full kSlow = AlertOf("Slow", "db", "eu1", "storage", "warning");
const Full kFull = AlertOf("Full", "", "us1", "storage", "warning");
const Full kLag = AlertOf("Lag", "db", "us1", "web", "critical");

const Incident* IncidentWith(const engine::Engine& e, std::string_view rule, std::string_view label_value) {
  for (const Incident* inc : engine::All(e)) {
    if (inc->rule != rule) continue;
    for (const auto& [n, v] : inc->group_labels) {
      if (v == label_value) return inc;
    }
  }
  return nullptr;
}

const Alert* AlertNamed(const engine::Engine& e, std::string_view name) {
  const Alert* found = nullptr;
  e.alerts().ForEach([&](const Alert& a) {
    if (a.labels.Get("alertname") == name) found = &a;
  });
  return found;
}

TEST(StateStoreTest, RecoverRestoresAlertsIncidentsMembersAndSilences) {
  TempDir dir;
  engine::Engine a({}, ContinueRules());
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);

  Tick(a, *store, kT0, FullBatch({kDown, kSlow, kFull, kLag}));
  Tick(a, *store, kT0 + seconds(30));  // every incident pages
  const Incident* db_eu1 = IncidentWith(a, "db", "eu1");
  ASSERT_NE(db_eu1, nullptr);
  ASSERT_TRUE(a.Acknowledge(db_eu1->id, "alice", kT0 + minutes(1)).ok());
  CommitCommands(a, *store, kT0 + minutes(1));
  Full slow_resolved = kSlow;
  slow_resolved.ends_at = kT0 + minutes(2);
  Tick(a, *store, kT0 + minutes(2), FullBatch({slow_resolved}));
  ASSERT_TRUE(a.UpsertSilence(MakeSilence("cluster=\"us1\"", kT0, kT0 + hours(2)), "s-active", kT0 + minutes(3)).ok());
  ASSERT_TRUE(
      a.UpsertSilence(MakeSilence("team=\"web\"", kT0 + hours(1), kT0 + hours(3)), "s-pending", kT0 + minutes(3)).ok());
  ASSERT_TRUE(a.UpsertSilence(MakeSilence("team=~\"st.*\"", kT0, kT0 + hours(1)), "s-expired", kT0 + minutes(3)).ok());
  ASSERT_TRUE(a.ExpireSilence("s-expired", kT0 + minutes(3)).ok());
  CommitCommands(a, *store, kT0 + minutes(3));
  Close(a, store);

  engine::Engine b({}, ContinueRules());
  RecoveryStats stats;
  store = OpenAndRecover(Options(dir), b, kT0 + minutes(3), nullptr, &stats);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Describe(b), Describe(a));
  EXPECT_EQ(stats.alerts, 4u);
  EXPECT_EQ(stats.incidents, 4u);  // db/eu1, db/us1, team/storage, team/web
  EXPECT_EQ(stats.members, 7u);
  EXPECT_EQ(stats.silences, 3u);

  // The details that matter most, spelled out.
  const Incident* recovered = IncidentWith(b, "db", "eu1");
  ASSERT_NE(recovered, nullptr);
  EXPECT_EQ(recovered->state, IncidentState::kAcknowledged);
  EXPECT_EQ(recovered->acknowledged_by, "alice");
  EXPECT_EQ(recovered->title, "db in eu1");
  EXPECT_EQ(recovered->priority, 1);
  EXPECT_EQ(recovered->members.size(), 2u);
  EXPECT_EQ(recovered->firing, 1u);
  const Alert* down = AlertNamed(b, "Down");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->annotations.Get("summary"), "Down in eu1");
  EXPECT_EQ(down->generator_url.view(), "http://prom-eu1:9090/graph");
  EXPECT_EQ(b.MuteStateOf(*AlertNamed(b, "Lag")).silenced_by, (std::vector<std::string_view>{"s-active"}));
  ASSERT_TRUE(b.MuteStateOf(*AlertNamed(b, "Full")).inhibited_by.has_value());
  EXPECT_EQ(*b.MuteStateOf(*AlertNamed(b, "Full")).inhibited_by, AlertNamed(b, "Lag")->fingerprint);
}

TEST(StateStoreTest, AnAlertInTwoIncidentsThroughContinueKeepsBoth) {
  TempDir dir;
  engine::Engine a({}, ContinueRules());
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, FullBatch({kDown, kFull}));
  Close(a, store);

  engine::Engine b({}, ContinueRules());
  store = OpenAndRecover(Options(dir), b, kT0);
  ASSERT_NE(store, nullptr);
  const Alert* down_a = AlertNamed(a, "Down");
  const Alert* down_b = AlertNamed(b, "Down");
  ASSERT_NE(down_b, nullptr);
  const std::vector<engine::IncidentKey> want = a.MembershipsOf(*down_a);
  ASSERT_EQ(want.size(), 2u);
  EXPECT_EQ(b.MembershipsOf(*down_b), want);
  const Incident* db = IncidentWith(b, "db", "eu1");
  const Incident* team = IncidentWith(b, "team", "storage");
  ASSERT_NE(db, nullptr);
  ASSERT_NE(team, nullptr);
  EXPECT_EQ(want[0], (engine::IncidentKey{db->id_hi, db->id_lo}));
  EXPECT_EQ(want[1], (engine::IncidentKey{team->id_hi, team->id_lo}));
  EXPECT_TRUE(db->members.contains(down_b->fingerprint));
  EXPECT_TRUE(team->members.contains(down_b->fingerprint));

  // Resolved after the recovery, it leaves both incidents: the recovered memberships are live, not only shown.
  Full resolved = kDown;
  resolved.ends_at = kT0 + minutes(1);
  Tick(b, *store, kT0 + minutes(1), FullBatch({resolved}));
  EXPECT_EQ(db->members.at(down_b->fingerprint).status, AlertStatus::kResolved);
  EXPECT_EQ(team->members.at(down_b->fingerprint).status, AlertStatus::kResolved);
  EXPECT_EQ(db->state, IncidentState::kResolved);
  EXPECT_EQ(team->state, IncidentState::kTriggered);  // Full still fires there
}

TEST(StateStoreTest, ARecoveredEngineDecidesWhatTheOriginalWould) {
  TempDir dir;
  // An ack_timeout that is no multiple of group_interval: no flush and escalation of one incident fall due at the
  // same instant, whose order a recovery does not keep (recovery_test.cc shows that on its own).
  engine::RuleSet rules = ContinueRules();
  rules.policies[0].steps[0].ack_timeout = minutes(7);
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, FullBatch({kDown, kSlow, kFull, kLag}));
  Tick(a, *store, kT0 + seconds(30));
  Full slow_resolved = kSlow;
  slow_resolved.ends_at = kT0 + minutes(2);
  Tick(a, *store, kT0 + minutes(2), FullBatch({slow_resolved}));
  Close(a, store);

  engine::Engine b({}, rules);
  store = OpenAndRecover(Options(dir), b, kT0 + minutes(2));
  ASSERT_NE(store, nullptr);
  // The same input and the same timers from here on: the same notifications and the same state.
  const Full refired = kSlow;
  const Full joins = AlertOf("Hot", "db", "eu1", "storage", "critical");
  std::vector<std::string> decided[2];
  engine::Engine* engines[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    engines[i]->Apply(FullBatch({refired, joins}), kT0 + minutes(3));
    engines[i]->Advance(kT0 + minutes(3));
    engines[i]->AdvanceBefore(kT0 + hours(2));
    for (const Notification& n : engines[i]->TakeNotifications()) {
      decided[i].push_back(n.Key() + " " + std::string(NotifyEventName(n.event)) + " at " + T(n.at));
    }
  }
  EXPECT_FALSE(decided[0].empty());
  EXPECT_EQ(decided[1], decided[0]);
  EXPECT_EQ(Describe(b), Describe(a));
}

TEST(StateStoreTest, AnUnchangedResendWritesNothingAndAChangedAnnotationDoes) {
  TempDir dir;
  observability::Registry metrics;
  engine::Engine a({}, ContinueRules());
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0, nullptr, nullptr, &metrics);
  ASSERT_NE(store, nullptr);
  const observability::Counter& commits = metrics.GetCounter("incidentd_store_commits_total", "");
  const observability::Counter& bytes = metrics.GetCounter("incidentd_store_written_bytes_total", "");

  Tick(a, *store, kT0, FullBatch({kDown}));
  Tick(a, *store, kT0 + seconds(30));
  const uint64_t commits_before = commits.value();
  const uint64_t bytes_before = bytes.value();
  ASSERT_GT(commits_before, 0u);

  // Within a minute of the first Commit's trim of the notification log, which is a write of its own.
  Tick(a, *store, kT0 + seconds(40), FullBatch({kDown}));
  EXPECT_EQ(AlertNamed(a, "Down")->duplicates, 1u);  // it was applied
  EXPECT_EQ(commits.value(), commits_before);
  EXPECT_EQ(bytes.value(), bytes_before);

  Full changed = kDown;
  changed.annotations["summary"] = "Down in eu1, failing over";
  Tick(a, *store, kT0 + seconds(50), FullBatch({changed}));
  EXPECT_EQ(commits.value(), commits_before + 1);
  EXPECT_GT(bytes.value(), bytes_before);
  Close(a, store);

  observability::Registry metrics_b;
  engine::Engine b({}, ContinueRules());
  store = OpenAndRecover(Options(dir), b, kT0 + seconds(50), nullptr, nullptr, &metrics_b);
  ASSERT_NE(store, nullptr);
  const Alert* down = AlertNamed(b, "Down");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->annotations.Get("summary"), "Down in eu1, failing over");
  EXPECT_EQ(down->annotations.Get("runbook"), "https://runbooks/Down");

  // The recovered alert is recognised as unchanged too: its content digest came back with it. (The first tick after
  // a start trims the notification log, a write of its own; the re-send comes within the minute after.)
  Tick(b, *store, kT0 + seconds(50));
  const uint64_t commits_b = metrics_b.GetCounter("incidentd_store_commits_total", "").value();
  const size_t timeline = engine::All(b)[0]->timeline.size();
  Tick(b, *store, kT0 + seconds(60), FullBatch({changed}));
  EXPECT_EQ(metrics_b.GetCounter("incidentd_store_commits_total", "").value(), commits_b);
  EXPECT_EQ(engine::All(b)[0]->timeline.size(), timeline);  // no alert_refreshed
}

// A PagerDuty alert is known by its dedup key, not by the fingerprint of its labels.
AlertBatch PagerDuty(AlertAction action, std::string_view summary) {
  AlertBatch b(AlertFormat::kPagerDuty);
  AlertInput& in = b.Begin();
  in.action = action;
  in.ends_kind = EndsAtKind::kNever;
  b.AddLabel("alertname", "Disk");
  b.AddLabel("cluster", "eu1");
  b.AddAnnotation("summary", summary);
  b.set_fingerprint(Fingerprint(0xdedface), /*of_labels=*/false);
  b.Finish(true);
  b.Seal();
  return b;
}

TEST(StateStoreTest, AnAlertKeyedByItsDedupKeyRecoversAndTakesItsAcknowledgement) {
  TempDir dir;
  const engine::RuleSet rules = engine::Rules({engine::Rule("db", {"cluster"})});
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, PagerDuty(AlertAction::kFire, "disk full"));
  Close(a, store);

  observability::Registry metrics;
  engine::Engine b({}, rules);
  store = OpenAndRecover(Options(dir), b, kT0, nullptr, nullptr, &metrics);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Describe(b), Describe(a));
  const Alert* disk = b.alerts().Find(Fingerprint(0xdedface));
  ASSERT_NE(disk, nullptr);
  EXPECT_EQ(disk->format, AlertFormat::kPagerDuty);
  EXPECT_FALSE(disk->fingerprint_of_labels);
  EXPECT_EQ(disk->ends_kind, EndsAtKind::kNever);

  Tick(b, *store, kT0 + seconds(30));  // the flush (and the first trim of the notification log)
  const observability::Counter& commits = metrics.GetCounter("incidentd_store_commits_total", "");
  const uint64_t before = commits.value();
  Tick(b, *store, kT0 + seconds(40), PagerDuty(AlertAction::kFire, "disk full"));  // unchanged
  EXPECT_EQ(commits.value(), before);
  Tick(b, *store, kT0 + seconds(50), PagerDuty(AlertAction::kAcknowledge, ""));  // carries no content
  EXPECT_TRUE(disk->acknowledged);
  EXPECT_EQ(disk->annotations.Get("summary"), "disk full");
  EXPECT_EQ(engine::All(b)[0]->state, IncidentState::kAcknowledged);
  EXPECT_EQ(commits.value(), before + 1);
}

TEST(StateStoreTest, DiskBytesCountsTheStoresFilesAsTheyGrow) {
  TempDir dir;
  engine::Engine a({}, ContinueRules());
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->dir(), dir.state());
  const uint64_t empty = store->DiskBytes();
  EXPECT_GT(empty, 0u);
  std::vector<Full> many;
  for (int i = 0; i < 500; ++i) many.push_back(AlertOf("A" + std::to_string(i), "db", "eu1", "storage", "critical"));
  Tick(a, *store, kT0, FullBatch(many));
  EXPECT_GT(store->DiskBytes(), empty + 500 * 100);  // each alert record is well over 100 bytes
}

// Cluster eu1's alerts A<from>..A<to-1>, all firing, or all resolved at `at`.
AlertBatch Numbered(int from, int to, Time resolved_at = kZeroTime) {
  std::vector<In> in;
  for (int i = from; i < to; ++i) {
    engine::Labels l{{"alertname", "A" + std::to_string(i)}, {"cluster", "eu1"}};
    in.push_back(resolved_at == kZeroTime ? In{l, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24)}
                                          : engine::Resolved(l, resolved_at));
  }
  return Batch(in);
}

TEST(StateStoreTest, RecoverRestoresTimelinesTrimmedPastTheLimit) {
  TempDir dir;
  const engine::RuleSet rules = engine::Rules({engine::Rule("db", {"cluster"})});
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  // Ticks of 400 joins: the third crosses the limit; the page and the resolutions push entries out of the middle.
  Tick(a, *store, kT0, Numbered(0, 400));
  Tick(a, *store, kT0 + seconds(1), Numbered(400, 800));
  ASSERT_EQ(engine::All(a)[0]->timeline_dropped, 0u);
  Tick(a, *store, kT0 + seconds(2), Numbered(800, 1200));
  ASSERT_EQ(engine::All(a)[0]->timeline_dropped, 201u);
  Tick(a, *store, kT0 + seconds(30));
  Tick(a, *store, kT0 + seconds(40), Numbered(0, 300, kT0 + seconds(40)));
  const Incident& inc = *engine::All(a)[0];
  ASSERT_EQ(inc.timeline.size(), Incident::kTimelineLimit);
  ASSERT_EQ(inc.timeline_dropped, 1 + 1200 + 2 + 300 - Incident::kTimelineLimit);
  Close(a, store);

  {
    RawDb raw(dir.state());
    EXPECT_EQ(raw.Keys()["timeline"].size(), Incident::kTimelineLimit);  // the dropped entries were deleted
  }

  engine::Engine b({}, rules);
  RecoveryStats stats;
  store = OpenAndRecover(Options(dir), b, kT0 + seconds(40), nullptr, &stats);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(stats.timeline, Incident::kTimelineLimit);
  EXPECT_EQ(Describe(b), Describe(a));
  const Incident& got = *engine::All(b)[0];
  EXPECT_EQ(got.timeline_dropped, inc.timeline_dropped);
  EXPECT_EQ(engine::Kinds(got).front(), "opened");
  EXPECT_EQ(engine::Kinds(got)[Incident::kTimelineLimit / 2 - 1], "alert_joined");
  EXPECT_EQ(engine::Kinds(got).back(), "alert_resolved");
}

TEST(StateStoreTest, ATimelineTrimmedAgainAfterARecoveryIsStoredRight) {
  TempDir dir;
  const engine::RuleSet rules = engine::Rules({engine::Rule("db", {"cluster"})});
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, Numbered(0, 700));
  Tick(a, *store, kT0 + seconds(1), Numbered(700, 1100));
  Close(a, store);

  // The recovered store goes on from where it was: new entries after the stored ones, the middle dropped further.
  engine::Engine b({}, rules);
  store = OpenAndRecover(Options(dir), b, kT0 + seconds(1));
  ASSERT_NE(store, nullptr);
  Tick(b, *store, kT0 + seconds(2), Numbered(0, 250, kT0 + seconds(2)));
  Tick(b, *store, kT0 + seconds(3), Numbered(250, 260, kT0 + seconds(3)));
  ASSERT_EQ(engine::All(b)[0]->timeline_dropped, 1 + 1100 + 260 - Incident::kTimelineLimit);
  Close(b, store);
  {
    RawDb raw(dir.state());
    EXPECT_EQ(raw.Keys()["timeline"].size(), Incident::kTimelineLimit);
  }

  engine::Engine c({}, rules);
  store = OpenAndRecover(Options(dir), c, kT0 + seconds(3));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Describe(c), Describe(b));
}

TEST(StateStoreTest, AnIncidentPastRetentionIsDeletedWithItsMembersTimelineAndAlerts) {
  TempDir dir;
  engine::EngineOptions options;
  options.incidents.retention = hours(1);
  const engine::RuleSet rules = engine::Rules({engine::Rule("db", {"cluster"})});
  const engine::Labels eu1_a{{"alertname", "A"}, {"cluster", "eu1"}};
  const engine::Labels eu1_b{{"alertname", "B"}, {"cluster", "eu1"}};
  const engine::Labels us1{{"alertname", "C"}, {"cluster", "us1"}};
  auto firing = [](const engine::Labels& l) { return In{l, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(24)}; };

  engine::Engine a(options, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  Tick(a, *store, kT0, Batch({firing(eu1_a), firing(eu1_b), firing(us1)}));
  Tick(a, *store, kT0 + seconds(30));
  const Time resolved = kT0 + minutes(1);
  Tick(a, *store, resolved, Batch({engine::Resolved(eu1_a, resolved), engine::Resolved(eu1_b, resolved)}));
  const std::string gone = IncidentWith(a, "db", "eu1")->id;
  ASSERT_EQ(IncidentWith(a, "db", "eu1")->state, IncidentState::kResolved);
  Tick(a, *store, resolved + hours(1) - seconds(1));
  ASSERT_NE(a.incidents().Find(gone), nullptr);  // not yet
  Tick(a, *store, resolved + hours(1));
  ASSERT_EQ(a.incidents().Find(gone), nullptr);
  ASSERT_EQ(a.alerts().size(), 1u);
  const Incident* kept = IncidentWith(a, "db", "us1");
  ASSERT_NE(kept, nullptr);
  const std::string kept_prefix = IncidentKeyBytes({kept->id_hi, kept->id_lo});
  const size_t kept_timeline = kept->timeline.size();
  Close(a, store);

  {
    RawDb raw(dir.state());
    std::map<std::string, std::vector<std::string>> keys = raw.Keys();
    EXPECT_EQ(keys["incidents"], std::vector<std::string>{kept_prefix});
    EXPECT_EQ(keys["alerts"].size(), 1u);
    ASSERT_EQ(keys["members"].size(), 1u);
    EXPECT_EQ(keys["members"][0].substr(0, 16), kept_prefix);
    EXPECT_EQ(keys["timeline"].size(), kept_timeline);
    for (const std::string& k : keys["timeline"]) EXPECT_EQ(k.substr(0, 16), kept_prefix);
  }

  engine::Engine b(options, rules);
  RecoveryStats stats;
  store = OpenAndRecover(Options(dir), b, resolved + hours(1), nullptr, &stats);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(b.incidents().Find(gone), nullptr);
  EXPECT_EQ(stats.incidents, 1u);
  EXPECT_EQ(stats.members, 1u);
  EXPECT_EQ(stats.alerts, 1u);
  EXPECT_EQ(stats.timeline, kept_timeline);
  EXPECT_EQ(Describe(b), Describe(a));
}

// The sources' positions ride with a tick's write and come back at the next open; a damaged one stops it.
TEST(StateStoreTest, PositionsAreWrittenWithATickAndReadBack) {
  TempDir dir;
  {
    engine::Engine a({}, ContinueRules());
    std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
    ASSERT_NE(store, nullptr);
    Result<Positions> none = store->ReadPositions();
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    AlertBatch batch = FullBatch({kDown});
    a.Apply(batch, kT0);
    a.Advance(kT0);
    std::unique_ptr<StateStore::Prepared> write = store->Prepare(a, a.TakeNotifications(), kT0);
    ASSERT_NE(write, nullptr);
    store->AddPositions(*write, {{"kafka/alerts/0", 41}, {"kafka/alerts/3", 7}});
    ASSERT_TRUE(store->Write({write.get()}).ok());
    // A later write moves one position on and leaves the other.
    a.Apply(FullBatch({kSlow}), kT0 + seconds(1));
    write = store->Prepare(a, a.TakeNotifications(), kT0 + seconds(1));
    ASSERT_NE(write, nullptr);
    store->AddPositions(*write, {{"kafka/alerts/0", 42}});
    ASSERT_TRUE(store->Write({write.get()}).ok());
    Close(a, store);
  }
  engine::Engine b({}, ContinueRules());
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), b, kT0 + seconds(2));
  ASSERT_NE(store, nullptr);
  Result<Positions> read = store->ReadPositions();
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(*read, (Positions{{"kafka/alerts/0", 42}, {"kafka/alerts/3", 7}}));
  Close(b, store);

  {
    RawDb raw(dir.state());
    raw.Put("default", PositionKey("kafka/alerts/1"), "\x01");  // the version and nothing else
  }
  engine::Engine c({}, ContinueRules());
  store = OpenAndRecover(Options(dir), c, kT0 + seconds(3));
  ASSERT_NE(store, nullptr);
  read = store->ReadPositions();
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("damaged record in meta, key position/kafka/alerts/1"), std::string::npos)
      << read.status().message();
  Close(c, store);
}

}  // namespace
}  // namespace incidentd::store
