// Correlation beyond the group across a restart: roots and symptoms, major incidents, held incidents, flapping alerts
// and problems come back from the store, and the recovered engine decides what the original would have.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/state_store.h"
#include "store/store_test_util.h"

namespace incidentd::store {
namespace {

engine::RuleSet CorrelationRules() {
  engine::CorrelationRule disk = engine::Rule("disk", {"cluster"}, {"alertname=\"DiskFull\""});
  disk.min_alerts = 2;
  engine::CorrelationRule svc = engine::Rule("svc", {"service"});
  svc.reopen_window = minutes(2);
  engine::RuleSet rs = engine::Rules({disk, svc});
  rs.topology.services = {{"db", {}}, {"api", {0}}, {"web", {1}}};
  rs.major = engine::MajorRule{.set = true, .min_distinct = {"service", 3}, .policy = "commander"};
  rs.flapping = {3, minutes(10), minutes(15)};
  rs.problems = {2, hours(24)};
  rs.policies.push_back(engine::Policy{"commander", {engine::EscalationStep{{"ic"}, minutes(5)}}, 0, {}});
  rs.receivers.push_back({"ic", "pagerduty"});
  return rs;
}

engine::In On(const std::string& service, const std::string& name = "Err") {
  return engine::Firing({{"alertname", name}, {"service", service}});
}
engine::In Off(const std::string& service, Time at, const std::string& name = "Err") {
  return engine::Resolved({{"alertname", name}, {"service", service}}, at);
}

TEST(CorrelationRecoveryTest, ARecoveredEngineCorrelatesAsTheOriginalWould) {
  TempDir dir;
  const engine::RuleSet rules = CorrelationRules();
  engine::Engine a({}, rules);
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), a, kT0);
  ASSERT_NE(store, nullptr);
  // A key that recurs (a problem), then db with its symptoms (major), a held disk incident and a flapping alert.
  Tick(a, *store, kT0, engine::Batch({On("cache")}));
  Tick(a, *store, kT0 + minutes(1), engine::Batch({Off("cache", kT0 + minutes(1))}));
  Tick(a, *store, kT0 + minutes(10), engine::Batch({On("cache")}));
  Tick(a, *store, kT0 + minutes(11), engine::Batch({On("db"), On("queue", "Flappy")}));
  Tick(a, *store, kT0 + minutes(11) + seconds(10), engine::Batch({On("api"), On("web")}));
  Tick(a, *store, kT0 + minutes(12),
       engine::Batch({engine::Firing({{"alertname", "DiskFull"}, {"cluster", "eu1"}}), Off("queue", kT0, "Flappy")}));
  Tick(a, *store, kT0 + minutes(13), engine::Batch({On("queue", "Flappy")}));
  Tick(a, *store, kT0 + minutes(14), engine::Batch({Off("queue", kT0, "Flappy")}));
  Tick(a, *store, kT0 + minutes(15), engine::Batch({On("queue", "Flappy")}));
  ASSERT_EQ(a.problems().size(), 1u);
  ASSERT_EQ(a.flapping_alerts(), 1u);
  ASSERT_EQ(a.incidents().held(), 1u);
  size_t majors = 0, symptoms = 0;
  for (const Incident* i : engine::All(a)) {
    majors += i->major;
    symptoms += !i->symptom_of.empty();
  }
  ASSERT_EQ(majors, 1u);
  ASSERT_EQ(symptoms, 2u);
  Close(a, store);

  engine::Engine b({}, rules);
  store = OpenAndRecover(Options(dir), b, kT0 + minutes(15));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Describe(b), Describe(a));
  EXPECT_EQ(b.problems().size(), 1u);
  EXPECT_EQ(b.incidents().held(), 1u);
  EXPECT_EQ(b.flapping_alerts(), 1u);

  // The same input and timers from here: the root resolves with its symptoms, the disk threshold is reached, the
  // flapper settles, and the cache key recurs. A recovery starts a flapping alert's quiet period again (its history
  // is not stored); its last change was at the recovery's time, so both engines see it settle at the same time.
  std::vector<std::string> decided[2];
  engine::Engine* engines[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    engine::Engine& e = *engines[i];
    auto tick = [&](Time t, std::vector<engine::In> in) {
      e.AdvanceBefore(t);
      if (!in.empty()) e.Apply(engine::Batch(in), t);
      e.Advance(t);
    };
    tick(kT0 + minutes(16), {Off("db", kT0 + minutes(16)), Off("api", kT0 + minutes(16)),
                             engine::Firing({{"alertname", "DiskFull"}, {"cluster", "eu1"}, {"instance", "2"}})});
    tick(kT0 + minutes(17), {Off("web", kT0 + minutes(17)), Off("cache", kT0 + minutes(17))});
    tick(kT0 + minutes(30), {On("cache")});
    e.AdvanceBefore(kT0 + hours(2));
    for (const Notification& n : e.TakeNotifications()) {
      decided[i].push_back(n.Key() + " " + std::string(NotifyEventName(n.event)) + " at " + T(n.at));
    }
  }
  EXPECT_FALSE(decided[0].empty());
  EXPECT_EQ(decided[1], decided[0]);
  EXPECT_EQ(Describe(b), Describe(a));
}

}  // namespace
}  // namespace incidentd::store
