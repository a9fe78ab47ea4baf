// Many ticks of varied work, committed one by one, with a restart every few dozen: each time, the recovered engine
// must show what the engine before the restart showed, and it goes on from there as the daemon would.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "store/state_store.h"
#include "store/store_test_util.h"

namespace incidentd::store {
namespace {

engine::RuleSet SoakRules() {
  engine::CorrelationRule by_cluster = engine::Rule("by-cluster", {"cluster"});
  by_cluster.continue_matching = true;
  by_cluster.priority.from_label_set = true;
  by_cluster.priority.from_label = "severity";
  by_cluster.priority.map = {{"critical", 1}, {"warning", 4}};
  engine::CorrelationRule by_name = engine::Rule("by-name", {"alertname"}, {"alertname=~\"A[0-4]\""});
  engine::RuleSet rs = engine::Rules({by_cluster, by_name});
  rs.inhibit = {
      engine::InhibitRule{{engine::M("alertname=\"A0\"")}, {engine::M("severity=\"warning\"")}, {"cluster"}, "t"}};
  rs.policies = {
      engine::Policy{"oncall",
                     {engine::EscalationStep{{"pd-a"}, minutes(3)}, engine::EscalationStep{{"pd-b"}, minutes(7)}},
                     1,
                     {"slack"}}};
  rs.receivers = {{"pd-a", "pagerduty"}, {"pd-b", "pagerduty"}, {"slack", "slack"}};
  return rs;
}

TEST(RestartsTest, EveryRestartAfterManyTicksRecoversWhatTheEngineShowed) {
  TempDir dir;
  StoreOptions options = Options(dir);
  options.sync = false;  // a restart here is a clean close: nothing is lost either way
  engine::EngineOptions engine_options;
  engine_options.incidents.retention = minutes(30);
  engine_options.silences.retention = minutes(30);
  const engine::RuleSet rules = SoakRules();
  const std::vector<std::string> clusters = {"eu1", "us1", "ap1"};
  constexpr int kNames = 30;
  constexpr int kTicks = 600;
  constexpr int kRestartEvery = 40;

  std::mt19937_64 rng(20261127);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<bool> firing(clusters.size() * kNames, false);

  auto live = std::make_unique<engine::Engine>(engine_options, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(options, *live, kT0);
  ASSERT_NE(store, nullptr);
  int restarts = 0, silences = 0;
  size_t most_dropped = 0;
  std::set<std::string> ids;
  for (int tick = 1; tick <= kTicks; ++tick) {
    const Time now = kT0 + seconds(20) * tick;
    // Alerts fire, resolve and fire again: no tick re-sends an alert unchanged.
    std::vector<In> in;
    std::vector<size_t> toggled;
    const size_t n = 1 + pick(12);
    for (size_t k = 0; k < n; ++k) {
      const size_t i = pick(firing.size());
      if (std::find(toggled.begin(), toggled.end(), i) != toggled.end()) continue;
      toggled.push_back(i);
      engine::Labels l{{"alertname", "A" + std::to_string(i % kNames)},
                       {"cluster", clusters[i / kNames]},
                       {"severity", i % 3 == 0 ? "critical" : "warning"}};
      in.push_back(firing[i] ? engine::Resolved(l, now)
                             : In{l, AlertAction::kFire, EndsAtKind::kGiven, now + hours(6)});
      firing[i] = !firing[i];
    }
    Tick(*live, *store, now, Batch(in));
    // Commands between ticks.
    std::vector<const Incident*> open;
    for (const Incident* inc : engine::All(*live)) {
      if (inc->state != IncidentState::kResolved) open.push_back(inc);
      most_dropped = std::max<size_t>(most_dropped, inc->timeline_dropped);
      ids.insert(inc->id);
    }
    if (tick % 7 == 0 && !open.empty()) (void)live->Acknowledge(open[pick(open.size())]->id, "alice", now);
    if (tick % 29 == 0 && !open.empty()) (void)live->Resolve(open[pick(open.size())]->id, "bob", now);
    if (tick % 13 == 0) {
      const std::string id = "s" + std::to_string(++silences);
      const std::string matcher = "alertname=\"A" + std::to_string(pick(kNames)) + "\"";
      ASSERT_TRUE(live->UpsertSilence(MakeSilence(matcher, now, now + minutes(10)), id, now).ok());
    }
    if (tick % 17 == 0 && silences > 0) (void)live->ExpireSilence("s" + std::to_string(silences), now);
    CommitCommands(*live, *store, now);

    if (tick % kRestartEvery == 0) {
      Close(*live, store);
      auto recovered = std::make_unique<engine::Engine>(engine_options, rules);
      store = OpenAndRecover(options, *recovered, now);
      ASSERT_NE(store, nullptr);
      ASSERT_EQ(Describe(*recovered), Describe(*live)) << "restart " << restarts << " at tick " << tick;
      live = std::move(recovered);
      ++restarts;
    }
  }
  EXPECT_EQ(restarts, kTicks / kRestartEvery);
  EXPECT_GT(most_dropped, 0u);                       // some timeline went past its limit
  EXPECT_LT(engine::All(*live).size(), ids.size());  // some incidents were forgotten after their retention
}

}  // namespace
}  // namespace incidentd::store
