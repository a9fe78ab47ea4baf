// Topology: symptoms join their dependency's root incident, page no one, and follow the root's resolution. Times are
// explicit (the engine reads no clock).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_util.h"

namespace incidentd::engine {
namespace {

// checkout -> payments -> postgres, and checkout -> postgres; search depends on nothing.
RuleSet TopologyRules() {
  RuleSet rs = Rules({Rule("svc", {"service"})});
  rs.topology.services = {{"postgres", {}}, {"payments", {0}}, {"checkout", {1, 0}}, {"search", {}}};
  return rs;
}

Labels On(const std::string& service, const std::string& name = "Down") {
  return {{"alertname", name}, {"service", service}};
}

TEST(TopologyTest, AnAlertOnADependentServiceJoinsTheRootAsASymptom) {
  Engine e({}, TopologyRules());
  Tick(e, kT0, {Firing(On("postgres"))});
  Tick(e, kT0 + minutes(1), {Firing(On("checkout")), Firing(On("search"))});
  const Incident* root = IncidentOf(e, On("postgres"));
  const Incident* symptom = IncidentOf(e, On("checkout"));
  const Incident* other = IncidentOf(e, On("search"));
  ASSERT_TRUE(root && symptom && other);
  EXPECT_EQ(symptom->symptom_of, root->id);
  EXPECT_EQ(root->symptoms, std::vector<std::string>{symptom->id});
  EXPECT_TRUE(other->symptom_of.empty());
  EXPECT_EQ(Kinds(*symptom).back(), "symptom_of");
  EXPECT_EQ(e.incidents().Detail(symptom->timeline.back()), root->id + ": checkout depends on postgres");
  // Only the root and the unrelated incident page.
  Tick(e, kT0 + minutes(2));
  std::vector<Notification> sent = e.TakeNotifications();
  std::vector<std::string> paged;
  for (const Notification& n : sent) paged.push_back(n.incident_id);
  EXPECT_EQ(std::count(paged.begin(), paged.end(), symptom->id), 0);
  EXPECT_GT(std::count(paged.begin(), paged.end(), root->id), 0);
  EXPECT_GT(std::count(paged.begin(), paged.end(), other->id), 0);
}

TEST(TopologyTest, AChainHasOneRoot) {
  Engine e({}, TopologyRules());
  Tick(e, kT0, {Firing(On("postgres"))});
  Tick(e, kT0 + seconds(5), {Firing(On("payments"))});
  Tick(e, kT0 + seconds(10), {Firing(On("checkout"))});
  const Incident* root = IncidentOf(e, On("postgres"));
  EXPECT_EQ(IncidentOf(e, On("payments"))->symptom_of, root->id);
  EXPECT_EQ(IncidentOf(e, On("checkout"))->symptom_of, root->id);
  EXPECT_EQ(root->symptoms.size(), 2u);
}

// The root shows up after its symptom, which has not paged yet: the symptom joins it, in either order within a tick
// and across ticks.
TEST(TopologyTest, ALateRootTakesIncidentsThatHaveNotPagedYet) {
  for (bool same_tick : {false, true}) {
    Engine e({}, TopologyRules());
    if (same_tick) {
      Tick(e, kT0, {Firing(On("checkout")), Firing(On("payments")), Firing(On("postgres"))});
    } else {
      Tick(e, kT0, {Firing(On("checkout"))});
      Tick(e, kT0 + seconds(10), {Firing(On("payments"))});
      Tick(e, kT0 + seconds(20), {Firing(On("postgres"))});
    }
    const Incident* root = IncidentOf(e, On("postgres"));
    EXPECT_TRUE(root->symptom_of.empty()) << same_tick;
    EXPECT_EQ(IncidentOf(e, On("checkout"))->symptom_of, root->id) << same_tick;
    EXPECT_EQ(IncidentOf(e, On("payments"))->symptom_of, root->id) << same_tick;
    Tick(e, kT0 + minutes(1));
    for (const Notification& n : e.TakeNotifications()) EXPECT_EQ(n.incident_id, root->id) << same_tick;
  }
}

TEST(TopologyTest, APagedIncidentStaysOnItsOwn) {
  Engine e({}, TopologyRules());
  Tick(e, kT0, {Firing(On("checkout"))});
  Tick(e, kT0 + seconds(30));  // group_wait: paged
  Tick(e, kT0 + seconds(40), {Firing(On("postgres"))});
  EXPECT_TRUE(IncidentOf(e, On("checkout"))->symptom_of.empty());
  EXPECT_TRUE(IncidentOf(e, On("postgres"))->symptoms.empty());
}

// An incident that never paged (here its rule has no policy) but opened longer than the window before its
// dependency's incident is a problem of its own.
TEST(TopologyTest, AnOldIncidentThatNeverPagedStaysOnItsOwn) {
  RuleSet rs = TopologyRules();
  rs.correlations[0].policy.clear();
  Engine e({}, rs);
  Tick(e, kT0, {Firing(On("checkout"))});
  Tick(e, kT0 + minutes(10) + seconds(1), {Firing(On("payments"))});
  EXPECT_TRUE(IncidentOf(e, On("checkout"))->symptom_of.empty());  // 10m1s before payments'
  Tick(e, kT0 + minutes(10) + seconds(30), {Firing(On("postgres"))});
  const Incident* root = IncidentOf(e, On("postgres"));
  EXPECT_TRUE(IncidentOf(e, On("checkout"))->symptom_of.empty());
  EXPECT_EQ(IncidentOf(e, On("payments"))->symptom_of, root->id);  // 29s before: within the window
}

TEST(TopologyTest, TheRootAttractsSymptomsForTheWindowOnly) {
  RuleSet rs = TopologyRules();
  rs.topology.window = minutes(10);
  Engine e({}, rs);
  Tick(e, kT0, {Firing(On("postgres"))});
  Tick(e, kT0 + minutes(10), {Firing(On("payments"))});  // exactly at the window's end: still a symptom
  Tick(e, kT0 + minutes(10) + seconds(1), {Firing(On("checkout"))});
  const Incident* root = IncidentOf(e, On("postgres"));
  EXPECT_EQ(IncidentOf(e, On("payments"))->symptom_of, root->id);
  EXPECT_TRUE(IncidentOf(e, On("checkout"))->symptom_of.empty());
}

TEST(TopologyTest, ASymptomWhoseAlertsResolveWaitsForItsRoot) {
  Engine e({}, TopologyRules());
  Tick(e, kT0, {Firing(On("postgres"))});
  Tick(e, kT0 + seconds(10), {Firing(On("checkout"))});
  Tick(e, kT0 + minutes(1), {Resolved(On("checkout"), kT0 + minutes(1))});
  const Incident* symptom = IncidentOf(e, On("checkout"));
  EXPECT_EQ(symptom->state, IncidentState::kTriggered);
  EXPECT_EQ(symptom->firing, 0u);
  e.TakeNotifications();
  Tick(e, kT0 + minutes(2), {Resolved(On("postgres"), kT0 + minutes(2))});
  EXPECT_EQ(symptom->state, IncidentState::kResolved);
  EXPECT_EQ(symptom->resolved_by, "with root " + IncidentOf(e, On("postgres"))->id);
  for (const Notification& n : e.TakeNotifications()) EXPECT_NE(n.incident_id, symptom->id);
}

// The root resolves before its symptoms. Those whose alerts resolved resolve with it; the others have
// release_after (5m by default) to recover: one that does resolves with its root, paging no one, and one still
// firing then is released and pages on its own.
TEST(TopologyTest, ARootThatResolvesFirstGivesItsSymptomsTimeToRecover) {
  Engine e({}, TopologyRules());
  Tick(e, kT0, {Firing(On("postgres"))});
  Tick(e, kT0 + seconds(10), {Firing(On("checkout")), Firing(On("payments")), Firing(On("search", "Slow"))});
  Tick(e, kT0 + seconds(11), {Firing(On("search"))});
  Tick(e, kT0 + seconds(20), {Resolved(On("payments"), kT0 + seconds(20))});
  Tick(e, kT0 + minutes(1));
  e.TakeNotifications();
  const Incident* root = IncidentOf(e, On("postgres"));
  const Incident* checkout = IncidentOf(e, On("checkout"));
  const Incident* payments = IncidentOf(e, On("payments"));
  Tick(e, kT0 + minutes(3), {Resolved(On("postgres"), kT0 + minutes(3))});
  EXPECT_EQ(root->state, IncidentState::kResolved);
  EXPECT_EQ(payments->state, IncidentState::kResolved);
  EXPECT_EQ(payments->resolved_by, "with root " + root->id);
  EXPECT_EQ(checkout->state, IncidentState::kTriggered);
  EXPECT_EQ(checkout->symptom_of, root->id);
  Tick(e, kT0 + minutes(8) - seconds(1));
  for (const Notification& n : e.TakeNotifications()) EXPECT_EQ(n.incident_id, root->id);
  Tick(e, kT0 + minutes(8));  // release_after passed: on its own
  EXPECT_TRUE(checkout->symptom_of.empty());
  std::vector<std::string> events;
  for (const Notification& n : e.TakeNotifications()) {
    events.push_back(n.incident_id == checkout->id ? std::string(NotifyEventName(n.event)) + " " + n.receiver
                                                   : "other");
  }
  EXPECT_EQ(events, (std::vector<std::string>{"triggered pd", "triggered slack"}));
  const std::vector<std::string> kinds = Kinds(*checkout);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "released"), kinds.end());
  EXPECT_EQ(root->symptoms.size(), 2u);  // the history stays
}

TEST(TopologyTest, ASymptomThatRecoversSoonAfterItsRootPagesNoOne) {
  Engine e({}, TopologyRules());
  Tick(e, kT0, {Firing(On("postgres"))});
  Tick(e, kT0 + seconds(10), {Firing(On("checkout"))});
  Tick(e, kT0 + minutes(1));
  e.TakeNotifications();
  Tick(e, kT0 + minutes(3), {Resolved(On("postgres"), kT0 + minutes(3))});
  Tick(e, kT0 + minutes(4), {Resolved(On("checkout"), kT0 + minutes(4))});
  const Incident* checkout = IncidentOf(e, On("checkout"));
  EXPECT_EQ(checkout->state, IncidentState::kResolved);
  EXPECT_EQ(checkout->resolved_by, "with root " + IncidentOf(e, On("postgres"))->id);
  Tick(e, kT0 + minutes(10));
  for (const Notification& n : e.TakeNotifications()) EXPECT_NE(n.incident_id, checkout->id);
}

// A symptom that recovered while waiting for its root, then fires again with it: it is the root's symptom again,
// listed once, and nothing but the root pages.
TEST(TopologyTest, ASymptomThatReopensWithItsRootIsItsSymptomAgain) {
  RuleSet rs = TopologyRules();
  rs.correlations[0].reopen_window = minutes(10);
  rs.major = MajorRule{.set = true, .min_alerts = 3};  // would count the symptom twice if it were listed twice
  Engine e({}, rs);
  Tick(e, kT0, {Firing(On("postgres"))});
  Tick(e, kT0 + seconds(10), {Firing(On("checkout"))});
  Tick(e, kT0 + minutes(1));
  Tick(e, kT0 + minutes(2), {Resolved(On("postgres"), kT0 + minutes(2))});
  Tick(e, kT0 + minutes(3), {Resolved(On("checkout"), kT0 + minutes(3))});
  const Incident* root = IncidentOf(e, On("postgres"));
  const Incident* checkout = IncidentOf(e, On("checkout"));
  ASSERT_EQ(checkout->state, IncidentState::kResolved);
  e.TakeNotifications();
  Tick(e, kT0 + minutes(4), {Firing(On("postgres")), Firing(On("checkout"))});
  EXPECT_EQ(root->state, IncidentState::kTriggered);
  EXPECT_EQ(checkout->state, IncidentState::kTriggered);
  EXPECT_EQ(checkout->symptom_of, root->id);
  EXPECT_EQ(root->symptoms, std::vector<std::string>{checkout->id});
  EXPECT_FALSE(root->major);  // 2 alerts firing, each counted once
  Tick(e, kT0 + minutes(5), {Resolved(On("checkout"), kT0 + minutes(5))});
  EXPECT_EQ(checkout->state, IncidentState::kTriggered);  // waits for its root
  Tick(e, kT0 + minutes(6), {Resolved(On("postgres"), kT0 + minutes(6))});
  EXPECT_EQ(checkout->state, IncidentState::kResolved);
  Tick(e, kT0 + minutes(20));
  for (const Notification& n : e.TakeNotifications()) EXPECT_EQ(n.incident_id, root->id);
}

// Two dependencies open incidents in the same tick as their dependent: the first in depends_on wins, whatever the
// incidents' ids (which follow their groups' hashes).
TEST(TopologyTest, TheFirstDependencyWinsWithinATick) {
  for (const char* name : {"A", "B", "C", "D", "E", "F"}) {
    RuleSet rs = Rules({Rule("svc", {"service"})});
    rs.topology.services = {{"redis", {}}, {"payments", {}}, {"cart", {1, 0}}};
    Engine e({}, rs);
    Tick(e, kT0, {Firing(On("redis", name)), Firing(On("cart", name)), Firing(On("payments", name))});
    EXPECT_EQ(IncidentOf(e, On("cart", name))->symptom_of, IncidentOf(e, On("payments", name))->id) << name;
    EXPECT_TRUE(IncidentOf(e, On("redis", name))->symptoms.empty()) << name;
  }
}

TEST(TopologyTest, WithoutATopologyNothingLinks) {
  Engine e({}, Rules({Rule("svc", {"service"})}));
  Tick(e, kT0, {Firing(On("postgres")), Firing(On("checkout"))});
  for (const Incident* i : All(e)) {
    EXPECT_TRUE(i->symptom_of.empty());
    EXPECT_TRUE(i->symptoms.empty());
  }
}

// The order of alerts inside a tick leaves no trace, symptoms included.
TEST(TopologyTest, TheOrderInsideATickDoesNotMatter) {
  std::vector<In> alerts;
  for (const char* s : {"postgres", "payments", "checkout", "search"}) {
    alerts.push_back(Firing(On(s)));
    alerts.push_back(Firing(On(s, "Slow")));
  }
  std::string first;
  for (int round = 0; round < 6; ++round) {
    std::rotate(alerts.begin(), alerts.begin() + 3, alerts.end());
    Engine e({}, TopologyRules());
    Tick(e, kT0, alerts);
    Tick(e, kT0 + minutes(1));
    std::string dump;
    for (const Incident* i : All(e)) {
      dump += i->id + " " + i->symptom_of + " " + std::to_string(i->symptoms.size()) + " " +
              std::to_string(i->notifications) + "\n";
      for (const TimelineEntry& t : i->timeline) dump += std::string(TimelineKindName(t.kind)) + " ";
    }
    if (round == 0) first = dump;
    EXPECT_EQ(dump, first) << round;
  }
}

}  // namespace
}  // namespace incidentd::engine
