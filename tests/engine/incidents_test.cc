// The engine's incidents: correlation, lifecycle, group timers, muting and the order-independence of a tick, driven
// with explicit times (the engine reads no clock).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_util.h"

namespace incidentd::engine {
namespace {

// The whole observable state of the incidents, for comparisons.
std::string Dump(const Engine& e) {
  std::string s;
  for (const Incident* i : All(e)) {
    s += i->id + " " + std::string(IncidentStateName(i->state)) + " P" + std::to_string(i->priority) + " " + i->title +
         "\n";
    std::vector<std::pair<Fingerprint, int>> members;
    for (const auto& [fp, m] : i->members) members.emplace_back(fp, static_cast<int>(m.status));
    std::sort(members.begin(), members.end());
    for (const auto& [fp, st] : members)
      s += "  member " + std::to_string(fp.value()) + " " + std::to_string(st) + "\n";
    for (const TimelineEntry& t : i->timeline) {
      s += "  " + std::to_string(ToUnixNanos(t.at)) + " " + std::string(TimelineKindName(t.kind)) + " " +
           std::to_string(t.fingerprint.value()) + " " + std::string(e.incidents().Detail(t)) + "\n";
    }
  }
  return s;
}

TEST(IncidentsTest, FirstAlertOpensIncidentPagedAfterGroupWait) {
  Engine e({}, Rules({Rule("db", {"cluster"})}));
  e.Apply(Batch({{{{"alertname", "Down"}, {"cluster", "eu1"}}}}), kT0);
  e.Advance(kT0);
  ASSERT_EQ(All(e).size(), 1u);
  const Incident& inc = *All(e)[0];
  EXPECT_EQ(inc.id.size(), 26u);
  EXPECT_EQ(inc.state, IncidentState::kTriggered);
  EXPECT_EQ(inc.rule, "db");
  EXPECT_EQ(inc.title, "cluster=eu1");
  EXPECT_EQ(inc.group_labels, (std::vector<std::pair<std::string, std::string>>{{"cluster", "eu1"}}));
  EXPECT_TRUE(Events(e).empty());
  EXPECT_EQ(e.NextDeadline(), kT0 + seconds(30));

  e.Advance(kT0 + seconds(29));
  EXPECT_TRUE(Events(e).empty());
  e.Advance(kT0 + seconds(30));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd", "triggered (inform) slack"}));
  EXPECT_EQ(Kinds(inc), (std::vector<std::string>{"opened", "alert_joined", "notified", "notified"}));
  EXPECT_EQ(inc.notifications, 2u);
}

TEST(IncidentsTest, GroupsByLabelsAndFirstMatchingRuleWins) {
  Engine e({}, Rules({Rule("db", {"cluster"}, {"service=\"db\""}), Rule("rest", {"alertname"})}));
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}, {"service", "db"}, {"instance", "1"}}},
                 {{{"alertname", "B"}, {"cluster", "eu1"}, {"service", "db"}, {"instance", "2"}}},
                 {{{"alertname", "A"}, {"cluster", "us1"}, {"service", "db"}}},
                 {{{"alertname", "A"}, {"cluster", "eu1"}, {"service", "web"}}},
                 {{{"alertname", "A"}, {"cluster", "us1"}, {"service", "web"}}}}),
          kT0);
  e.Advance(kT0);
  std::map<std::string, size_t> sizes;  // rule/title -> alerts
  for (const Incident* i : All(e)) sizes[i->rule + "/" + i->title] = i->members.size();
  EXPECT_EQ(sizes,
            (std::map<std::string, size_t>{{"db/cluster=eu1", 2}, {"db/cluster=us1", 1}, {"rest/alertname=A", 2}}));
}

TEST(IncidentsTest, ContinueAddsTheAlertToLaterRulesToo) {
  CorrelationRule first = Rule("by-cluster", {"cluster"});
  first.continue_matching = true;
  Engine e({}, Rules({first, Rule("by-name", {"alertname"}), Rule("never", {})}));
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}}}}), kT0);
  e.Advance(kT0);
  ASSERT_EQ(All(e).size(), 2u);
  // Resolving the alert resolves both incidents at once.
  e.Apply(Batch({Resolved({{"alertname", "A"}, {"cluster", "eu1"}}, kT0 + seconds(1))}), kT0 + seconds(2));
  e.Advance(kT0 + seconds(2));
  for (const Incident* i : All(e)) EXPECT_EQ(i->state, IncidentState::kResolved) << i->rule;
}

TEST(IncidentsTest, ResolvesInTheTickItsLastAlertResolves) {
  Engine e({}, Rules({Rule("db", {"cluster"})}));
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}}}, {{{"alertname", "B"}, {"cluster", "eu1"}}}}), kT0);
  e.Advance(kT0 + seconds(30));
  Events(e);
  e.Apply(Batch({Resolved({{"alertname", "A"}, {"cluster", "eu1"}}, kT0 + seconds(40))}), kT0 + seconds(41));
  e.Advance(kT0 + seconds(41));
  EXPECT_EQ(All(e)[0]->state, IncidentState::kTriggered);
  EXPECT_EQ(All(e)[0]->firing, 1u);
  EXPECT_TRUE(Events(e).empty());
  e.Apply(Batch({Resolved({{"alertname", "B"}, {"cluster", "eu1"}}, kT0 + seconds(50))}), kT0 + seconds(51));
  e.Advance(kT0 + seconds(51));
  const Incident& inc = *All(e)[0];
  EXPECT_EQ(inc.state, IncidentState::kResolved);
  EXPECT_EQ(inc.resolved_at, kT0 + seconds(51));
  EXPECT_EQ(inc.resolved_by, "all alerts resolved");
  EXPECT_EQ(Events(e), (std::vector<std::string>{"resolved pd", "resolved (inform) slack"}));
  EXPECT_EQ(e.incidents().open(), 0u);
}

TEST(IncidentsTest, ResolveTimeoutResolvesTheIncidentToo) {
  Engine e({}, Rules({Rule("db", {"cluster"})}));
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}}}}), kT0);
  e.Advance(kT0 + minutes(5));  // resolve_timeout 5m, no refresh
  EXPECT_EQ(All(e)[0]->state, IncidentState::kResolved);
}

// A tick that runs late decides as if it had run at each deadline: the resolution is dated when the alert's end
// passed, and the page went out at group_wait, not when the tick happened to run.
TEST(IncidentsTest, ALateTickFiresEachTimerAtItsOwnTime) {
  Engine e({}, Rules({Rule("db", {"cluster"})}));
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}}}}), kT0);  // resolves at 5m without a re-send
  e.Advance(kT0);
  e.AdvanceBefore(kT0 + minutes(9));
  e.Advance(kT0 + minutes(9));
  const Incident& inc = *All(e)[0];
  EXPECT_EQ(inc.state, IncidentState::kResolved);
  EXPECT_EQ(inc.resolved_at, kT0 + minutes(5));
  std::vector<Notification> n = e.TakeNotifications();
  ASSERT_EQ(n.size(), 4u);
  EXPECT_EQ(n[0].at, kT0 + seconds(30));
  EXPECT_EQ(n[3].at, kT0 + minutes(5));
}

TEST(IncidentsTest, UpdatedAtGroupIntervalAndRepeatedAfterRepeatInterval) {
  CorrelationRule r = Rule("db", {"cluster"});
  r.repeat_interval = minutes(20);
  Engine e({}, Rules({r}));
  auto refresh = [&](Time t, std::vector<In> in) {
    e.Apply(Batch(in), t);
    e.Advance(t);
  };
  In a{{{"alertname", "A"}, {"cluster", "eu1"}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(10)};
  In b{{{"alertname", "B"}, {"cluster", "eu1"}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(10)};
  refresh(kT0, {a});
  e.Advance(kT0 + seconds(30));
  EXPECT_EQ(Events(e).size(), 2u);
  refresh(kT0 + minutes(1), {b});  // joins after the first page
  e.Advance(kT0 + seconds(30) + minutes(5));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"updated pd"}));
  e.Advance(kT0 + seconds(30) + minutes(10));
  e.Advance(kT0 + seconds(30) + minutes(15));
  EXPECT_TRUE(Events(e).empty());  // nothing changed, repeat_interval not reached
  e.Advance(kT0 + seconds(30) + minutes(25));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"repeated pd"}));
}

TEST(IncidentsTest, ReopensWithinTheWindowElseOpensANewIncident) {
  CorrelationRule r = Rule("db", {"cluster"});
  r.reopen_window = minutes(10);
  Engine e({}, Rules({r}));
  Labels l{{"alertname", "A"}, {"cluster", "eu1"}};
  e.Apply(Batch({{l}}), kT0);
  e.Advance(kT0 + seconds(30));
  e.Apply(Batch({Resolved(l, kT0 + minutes(1))}), kT0 + minutes(1));
  e.Advance(kT0 + minutes(1));
  const std::string id = All(e)[0]->id;
  Events(e);

  e.Apply(Batch({{l}}), kT0 + minutes(5));  // fires again within 10m of the resolution
  e.Advance(kT0 + minutes(5));
  ASSERT_EQ(All(e).size(), 1u);
  EXPECT_EQ(All(e)[0]->id, id);
  EXPECT_EQ(All(e)[0]->state, IncidentState::kTriggered);
  EXPECT_EQ(All(e)[0]->reopened, 1u);
  e.Advance(kT0 + minutes(5) + seconds(30));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"reopened pd", "reopened (inform) slack"}));

  e.Apply(Batch({Resolved(l, kT0 + minutes(6))}), kT0 + minutes(6));
  e.Advance(kT0 + minutes(6));
  e.Apply(Batch({{l}}), kT0 + minutes(17));  // 11m after: a new incident
  e.Advance(kT0 + minutes(17));
  ASSERT_EQ(All(e).size(), 2u);
  EXPECT_EQ(All(e)[0]->id, id);
  EXPECT_EQ(All(e)[0]->state, IncidentState::kResolved);
  EXPECT_EQ(All(e)[1]->state, IncidentState::kTriggered);
  EXPECT_GT(All(e)[1]->id, id);  // ids sort by creation
}

TEST(IncidentsTest, AcknowledgeStopsPagesAndTellsThosePaged) {
  Engine e({}, Rules({Rule("db", {"cluster"})}));
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(9)}}),
          kT0);
  e.Advance(kT0 + seconds(30));
  Events(e);
  const std::string id = All(e)[0]->id;
  ASSERT_TRUE(e.Acknowledge(id, "alice", kT0 + minutes(1)).ok());
  EXPECT_EQ(Events(e), (std::vector<std::string>{"acknowledged pd", "acknowledged (inform) slack"}));
  EXPECT_EQ(All(e)[0]->acknowledged_by, "alice");
  EXPECT_EQ(e.Acknowledge(id, "bob", kT0 + minutes(2)).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(e.Acknowledge("nope", "bob", kT0 + minutes(2)).code(), StatusCode::kNotFound);
  e.Advance(kT0 + hours(5));  // past repeat_interval: no reminder for an acknowledged incident
  EXPECT_TRUE(Events(e).empty());
  ASSERT_TRUE(e.Resolve(id, "alice", kT0 + hours(5)).ok());
  EXPECT_EQ(Events(e), (std::vector<std::string>{"resolved pd", "resolved (inform) slack"}));
  EXPECT_EQ(e.Resolve(id, "alice", kT0 + hours(5)).code(), StatusCode::kFailedPrecondition);
}

TEST(IncidentsTest, AcknowledgedBeforeTheFirstPageNeverPages) {
  Engine e({}, Rules({Rule("db", {"cluster"})}));
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}}}}), kT0);
  e.Advance(kT0);
  ASSERT_TRUE(e.Acknowledge(All(e)[0]->id, "alice", kT0 + seconds(1)).ok());
  e.Advance(kT0 + minutes(1));
  EXPECT_TRUE(Events(e).empty());
}

TEST(IncidentsTest, PriorityIsTheHighestOfItsFiringAlerts) {
  CorrelationRule r = Rule("db", {"cluster"});
  r.priority.from_label_set = true;
  r.priority.from_label = "severity";
  r.priority.map = {{"critical", 1}, {"warning", 3}};
  r.priority.fallback = 4;
  r.title.parts = {{false, "DB "}, {true, "cluster"}, {false, " / "}, {true, "alertname"}};
  Engine e({}, Rules({r}));
  e.Apply(Batch({{{{"alertname", "Slow"}, {"cluster", "eu1"}, {"severity", "warning"}}}}), kT0);
  e.Advance(kT0);
  EXPECT_EQ(All(e)[0]->priority, 3);
  EXPECT_EQ(All(e)[0]->title, "DB eu1 / Slow");  // alertname from the alert, cluster from the group
  e.Apply(Batch({{{{"alertname", "Down"}, {"cluster", "eu1"}, {"severity", "critical"}}}}), kT0 + seconds(5));
  e.Advance(kT0 + seconds(5));
  EXPECT_EQ(All(e)[0]->priority, 1);
  EXPECT_EQ(e.incidents().Detail(All(e)[0]->timeline.back()), "P3 -> P1");
  e.Apply(Batch({Resolved({{"alertname", "Down"}, {"cluster", "eu1"}, {"severity", "critical"}}, kT0 + seconds(6))}),
          kT0 + seconds(6));
  e.Advance(kT0 + seconds(6));
  EXPECT_EQ(All(e)[0]->priority, 3);
  e.Apply(Batch({{{{"alertname", "Odd"}, {"cluster", "us1"}}}}), kT0 + seconds(7));
  e.Advance(kT0 + seconds(7));
  EXPECT_EQ(All(e)[1]->priority, 4);  // no severity label: the default
}

TEST(IncidentsTest, SilencedIncidentPagesNoOneUntilTheSilenceEnds) {
  Engine e({}, Rules({Rule("db", {"cluster"})}));
  Silence s;
  s.matchers = {M("cluster=\"eu1\"")};
  s.starts_at = kT0;
  s.ends_at = kT0 + minutes(10);
  s.created_by = "ops";
  s.comment = "maintenance";
  ASSERT_TRUE(e.UpsertSilence(s, "s1", kT0).ok());
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(1)}}),
          kT0);
  e.Advance(kT0 + seconds(30));
  EXPECT_TRUE(Events(e).empty());
  EXPECT_EQ(Kinds(*All(e)[0]).back(), "suppressed");
  const Alert* a = nullptr;
  e.alerts().ForEach([&](const Alert& x) { a = &x; });
  EXPECT_EQ(e.MuteStateOf(*a).silenced_by, (std::vector<std::string_view>{"s1"}));
  // The silence ends at 10m; the next group flush (30s + 2 x 5m) pages.
  e.Advance(kT0 + seconds(30) + minutes(5));
  EXPECT_TRUE(Events(e).empty());
  e.Advance(kT0 + seconds(30) + minutes(10));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd", "triggered (inform) slack"}));
}

// A flush reuses what the last one found only while nothing that mutes changed: a silence created or ended after
// the first page changes the set of alerts paged for.
TEST(IncidentsTest, SilenceChangesAfterThePageAreSeenAtTheNextFlush) {
  Engine e({}, Rules({Rule("db", {"cluster"})}));
  In a{{{"alertname", "A"}, {"cluster", "eu1"}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(9)};
  In b{{{"alertname", "B"}, {"cluster", "eu1"}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(9)};
  e.Apply(Batch({a, b}), kT0);
  e.Advance(kT0 + seconds(30));
  EXPECT_EQ(Events(e).size(), 2u);
  e.Advance(kT0 + seconds(30) + minutes(5));  // nothing changed
  EXPECT_TRUE(Events(e).empty());
  Silence s;
  s.matchers = {M("alertname=\"B\"")};
  s.starts_at = kT0 + minutes(6);
  s.ends_at = kT0 + minutes(12);
  s.created_by = "ops";
  s.comment = "c";
  ASSERT_TRUE(e.UpsertSilence(s, "s1", kT0 + minutes(6)).ok());
  e.Advance(kT0 + seconds(30) + minutes(10));  // B muted: one alert fewer
  EXPECT_EQ(Events(e), (std::vector<std::string>{"updated pd"}));
  e.Advance(kT0 + seconds(30) + minutes(15));  // the silence ended at 12m: B counts again
  EXPECT_EQ(Events(e), (std::vector<std::string>{"updated pd"}));
  e.Advance(kT0 + seconds(30) + minutes(20));
  EXPECT_TRUE(Events(e).empty());
}

TEST(IncidentsTest, InhibitedAlertsPageNoOne) {
  RuleSet rules = Rules({Rule("by-name", {"alertname", "cluster"})});
  InhibitRule ir;
  ir.source_matchers = {M("severity=\"critical\"")};
  ir.target_matchers = {M("severity=\"warning\"")};
  ir.equal = {"cluster"};
  rules.inhibit.push_back(ir);
  Engine e({}, rules);
  e.Apply(Batch({{{{"alertname", "DbDown"}, {"cluster", "eu1"}, {"severity", "critical"}}},
                 {{{"alertname", "Slow"}, {"cluster", "eu1"}, {"severity", "warning"}}},
                 {{{"alertname", "Slow"}, {"cluster", "us1"}, {"severity", "warning"}}}}),
          kT0);
  e.Advance(kT0 + seconds(30));
  std::map<std::string, std::string> last;  // title -> last timeline kind
  for (const Incident* i : All(e)) last[i->title] = Kinds(*i).back();
  EXPECT_EQ(last["alertname=DbDown, cluster=eu1"], "notified");
  EXPECT_EQ(last["alertname=Slow, cluster=eu1"], "suppressed");
  EXPECT_EQ(last["alertname=Slow, cluster=us1"], "notified");
}

TEST(IncidentsTest, IgnoredLabelsAreLeftOutOfTheFingerprint) {
  RuleSet rules = Rules({Rule("db", {"cluster"})});
  rules.dedup_ignore_labels = {"pod"};
  Engine e({}, rules);
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}, {"pod", "x-1"}}}}), kT0);
  BatchResult r = e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}, {"pod", "x-2"}}}}), kT0 + seconds(1));
  EXPECT_EQ(r.refreshed, 1u);
  EXPECT_EQ(e.alerts().size(), 1u);
  const Alert* a = nullptr;
  e.alerts().ForEach([&](const Alert& x) { a = &x; });
  EXPECT_EQ(a->duplicates, 1u);
  EXPECT_EQ(a->labels.Get("pod"), "x-2");  // the latest labels are kept
  Label l[] = {{"alertname", "A"}, {"cluster", "eu1"}};
  EXPECT_EQ(a->fingerprint, Fingerprint::Of(l));
}

TEST(IncidentsTest, SenderAcknowledgementOfEveryAlertAcknowledgesTheIncident) {
  Engine e({}, Rules({Rule("pd", {"alertname"})}));
  const Fingerprint fp(42);  // PagerDuty's identity: its dedup key, not the labels
  AlertBatch trigger(AlertFormat::kPagerDuty);
  trigger.Begin();
  trigger.AddLabel("alertname", "disk");
  trigger.set_fingerprint(fp);
  trigger.Finish(true);
  trigger.Seal();
  e.Apply(trigger, kT0);
  e.Advance(kT0 + seconds(30));
  Events(e);
  AlertBatch ack(AlertFormat::kPagerDuty);
  AlertInput& a = ack.Begin();
  a.action = AlertAction::kAcknowledge;
  ack.set_fingerprint(fp);
  ack.Finish(true);
  ack.Seal();
  e.Apply(ack, kT0 + minutes(1));
  e.Advance(kT0 + minutes(1));
  EXPECT_EQ(All(e)[0]->state, IncidentState::kAcknowledged);
  EXPECT_EQ(All(e)[0]->acknowledged_by, "sender");
  EXPECT_EQ(Events(e), (std::vector<std::string>{"acknowledged pd", "acknowledged (inform) slack"}));
}

TEST(IncidentsTest, NoPolicyIsOnTheTimeline) {
  CorrelationRule r = Rule("quiet", {"alertname"});
  r.policy.clear();
  Engine e({}, Rules({r}));
  e.Apply(Batch({{{{"alertname", "A"}}}}), kT0);
  e.Advance(kT0 + seconds(30));
  EXPECT_TRUE(Events(e).empty());
  EXPECT_EQ(Kinds(*All(e)[0]).back(), "no_policy");
}

TEST(IncidentsTest, ResolvedIncidentsAndTheirAlertsAreForgottenAfterRetention) {
  EngineOptions o;
  o.incidents.retention = hours(1);
  Engine e(o, Rules({Rule("db", {"cluster"})}));
  Labels l{{"alertname", "A"}, {"cluster", "eu1"}};
  e.Apply(Batch({{l}}), kT0);
  e.Apply(Batch({Resolved(l, kT0 + minutes(1))}), kT0 + minutes(1));
  e.Advance(kT0 + minutes(1));
  e.Advance(kT0 + minutes(30));  // past the alert's own retention (15m): kept for its incident
  EXPECT_EQ(e.alerts().size(), 1u);
  e.Advance(kT0 + minutes(61));
  EXPECT_EQ(e.incidents().size(), 0u);
  EXPECT_EQ(e.alerts().size(), 0u);
  EXPECT_EQ(e.alerts().symbols().size(), 0u);
}

// The same alerts in any order inside one tick give the same incidents, ids, timelines and pages.
TEST(IncidentsTest, OrderInsideATickDoesNotChangeTheOutcome) {
  RuleSet rules = Rules({Rule("db", {"cluster"}, {"service=\"db\""}), Rule("rest", {"alertname"})});
  rules.correlations[0].priority.from_label_set = true;
  rules.correlations[0].priority.from_label = "severity";
  rules.correlations[0].priority.map = {{"critical", 1}};
  rules.correlations[0].title.parts = {{true, "alertname"}};  // from the smallest fingerprint of the first tick
  InhibitRule ir;
  ir.source_matchers = {M("severity=\"critical\"")};
  ir.target_matchers = {M("severity=\"warning\"")};
  ir.equal = {"cluster"};
  rules.inhibit.push_back(ir);
  std::vector<In> first, second;
  for (int i = 0; i < 30; ++i) {
    first.push_back({{{"alertname", "A" + std::to_string(i % 4)},
                      {"cluster", "c" + std::to_string(i % 3)},
                      {"service", i % 2 ? "db" : "web"},
                      {"severity", i % 5 ? "warning" : "critical"},
                      {"instance", std::to_string(i)}}});
  }
  // The second tick resolves some, fires new ones, and re-fires a resolved group.
  for (int i = 0; i < 30; i += 3) second.push_back(Resolved(first[i].labels, kT0 + seconds(59)));
  for (int i = 30; i < 40; ++i)
    second.push_back({{{"alertname", "B"}, {"cluster", "c1"}, {"instance", std::to_string(i)}}});

  auto run = [&](unsigned seed) {
    std::mt19937 rng(seed);
    Engine e({}, rules);
    std::vector<In> a = first, b = second;
    std::shuffle(a.begin(), a.end(), rng);
    std::shuffle(b.begin(), b.end(), rng);
    // Split each tick's alerts over two batches, as two requests in one tick.
    e.Apply(Batch({a.begin(), a.begin() + 10}), kT0);
    e.Apply(Batch({a.begin() + 10, a.end()}), kT0);
    e.Advance(kT0);
    e.Advance(kT0 + seconds(30));
    e.Apply(Batch({b.begin(), b.begin() + 7}), kT0 + minutes(1));
    e.Apply(Batch({b.begin() + 7, b.end()}), kT0 + minutes(1));
    e.Advance(kT0 + minutes(1));
    e.Advance(kT0 + minutes(10));
    std::string out = Dump(e);
    for (const Notification& n : e.TakeNotifications()) {
      out += n.incident_id + " " + std::string(NotifyEventName(n.event)) + " " + n.receiver + "\n";
    }
    return out;
  };
  const std::string want = run(1);
  EXPECT_NE(want.find("resolved"), std::string::npos);
  for (unsigned seed = 2; seed < 12; ++seed) EXPECT_EQ(run(seed), want) << "seed " << seed;
}

}  // namespace
}  // namespace incidentd::engine

namespace incidentd::engine {
namespace {

TEST(IncidentsEdgeTest, ZeroRetentionDropsAResolvedAlertOnlyAfterItsResolutionIsSeen) {
  EngineOptions o;
  o.alerts.resolved_retention = std::chrono::seconds(0);
  RuleSet rules = Rules({Rule("db", {"cluster"}, {"service=\"db\""})});
  InhibitRule ir;
  ir.source_matchers = {M("alertname=\"Src\"")};
  ir.target_matchers = {M("alertname=\"Tgt\"")};
  rules.inhibit.push_back(ir);
  Engine e(o, rules);
  e.Apply(Batch({{{{"alertname", "Src"}}}, {{{"alertname", "Tgt"}}}}), kT0);  // in no incident; Src inhibits Tgt
  e.Advance(kT0);
  e.Apply(Batch({{{{"alertname", "Tgt"}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(1)}}), kT0 + minutes(1));
  e.Advance(kT0 + minutes(7));  // Src timed out at 5m: resolved, then dropped
  e.Advance(kT0 + minutes(8));
  const Alert* tgt = nullptr;
  e.alerts().ForEach([&](const Alert& a) { tgt = &a; });
  ASSERT_EQ(e.alerts().size(), 1u);
  EXPECT_FALSE(e.MuteStateOf(*tgt).inhibited_by.has_value());  // the inhibitor forgot Src
}

TEST(IncidentsEdgeTest, ARelabelledAlertIsCheckedForMutingAgain) {
  RuleSet rules = Rules({Rule("db", {"cluster"})});
  rules.dedup_ignore_labels = {"pod"};
  Engine e({}, rules);
  Silence s;
  s.matchers = {M("pod=\"b\"")};
  s.starts_at = kT0;
  s.ends_at = kT0 + hours(5);
  s.created_by = "ops";
  s.comment = "c";
  ASSERT_TRUE(e.UpsertSilence(s, "s1", kT0).ok());
  e.Apply(Batch({{{{"alertname", "X"}, {"cluster", "eu1"}, {"pod", "b"}},
                  AlertAction::kFire,
                  EndsAtKind::kGiven,
                  kT0 + hours(9)}}),
          kT0);
  e.Advance(kT0 + seconds(30));
  EXPECT_TRUE(Events(e).empty());  // silenced
  e.Apply(Batch({{{{"alertname", "X"}, {"cluster", "eu1"}, {"pod", "a"}},
                  AlertAction::kFire,
                  EndsAtKind::kGiven,
                  kT0 + hours(9)}}),
          kT0 + minutes(1));  // the same alert, now on a pod no silence covers
  e.Advance(kT0 + minutes(1));
  e.Advance(kT0 + seconds(30) + minutes(5));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd", "triggered (inform) slack"}));
}

TEST(IncidentsEdgeTest, AFullTimelineStillIgnoresTheOrderInsideATick) {
  auto run = [](bool reversed) {
    Engine e({}, Rules({Rule("db", {"cluster"})}));
    std::vector<In> many;
    for (int i = 0; i < 1100; ++i) many.push_back({{{"alertname", "A"}, {"cluster", "eu1"}, {"i", std::to_string(i)}}});
    e.Apply(Batch(many), kT0);
    e.Advance(kT0);
    std::vector<In> three;
    for (const char* n : {"X", "Y", "Z"}) three.push_back({{{"alertname", n}, {"cluster", "eu1"}}});
    if (reversed) std::reverse(three.begin(), three.end());
    e.Apply(Batch(three), kT0 + seconds(1));
    e.Advance(kT0 + seconds(1));
    EXPECT_EQ(All(e)[0]->timeline.size(), Incident::kTimelineLimit);
    return Dump(e);
  };
  EXPECT_EQ(run(false), run(true));
}

TEST(IncidentsEdgeTest, AnIncidentResolvedByHandWhileAlertsFireIsNotForgotten) {
  EngineOptions o;
  o.incidents.retention = hours(1);
  Engine e(o, Rules({Rule("db", {"cluster"})}));
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}}, AlertAction::kFire, EndsAtKind::kGiven, kT0 + hours(9)}}),
          kT0);
  e.Advance(kT0);
  ASSERT_TRUE(e.Resolve(All(e)[0]->id, "alice", kT0 + minutes(1)).ok());
  e.Advance(kT0 + hours(2));
  ASSERT_EQ(e.incidents().size(), 1u);  // its alert still fires
  e.Advance(kT0 + hours(9));            // the alert resolves at 9h
  e.Advance(kT0 + hours(11));
  EXPECT_EQ(e.incidents().size(), 0u);
}

}  // namespace
}  // namespace incidentd::engine

namespace incidentd::engine {
namespace {

// What a reload does: new rules for new work; alerts, incidents and silences stay, and the inhibitor is rebuilt
// from the firing alerts.
TEST(IncidentsEdgeTest, SetRulesKeepsStateAndAppliesToNewWork) {
  Engine e({}, Rules({Rule("old", {"cluster"})}));
  e.Apply(Batch({{{{"alertname", "A"}, {"cluster", "eu1"}, {"severity", "critical"}},
                  AlertAction::kFire,
                  EndsAtKind::kGiven,
                  kT0 + hours(9)}}),
          kT0);
  e.Advance(kT0);
  RuleSet fresh = Rules({Rule("new", {"alertname"})});
  InhibitRule ir;
  ir.source_matchers = {M("severity=\"critical\"")};
  ir.target_matchers = {M("severity=\"warning\"")};
  ir.equal = {"cluster"};
  fresh.inhibit.push_back(ir);
  e.SetRules(fresh);
  e.Apply(Batch({{{{"alertname", "B"}, {"cluster", "eu1"}, {"severity", "warning"}},
                  AlertAction::kFire,
                  EndsAtKind::kGiven,
                  kT0 + hours(9)}}),
          kT0 + seconds(1));
  e.Advance(kT0 + seconds(1));
  ASSERT_EQ(All(e).size(), 2u);
  std::map<std::string, size_t> by_rule;
  for (const Incident* i : All(e)) by_rule[i->rule] = i->members.size();
  EXPECT_EQ(by_rule, (std::map<std::string, size_t>{{"new", 1}, {"old", 1}}));
  const Alert* b = nullptr;
  e.alerts().ForEach([&](const Alert& a) {
    if (a.labels.Get("alertname") == "B") b = &a;
  });
  EXPECT_TRUE(e.MuteStateOf(*b).inhibited_by.has_value());  // A, firing before the reload, inhibits B
  // The old rule's incident still flushes with its own timers, though its rule is gone.
  e.Advance(kT0 + minutes(1));
  EXPECT_EQ(Events(e), (std::vector<std::string>{"triggered pd", "triggered (inform) slack"}));
}

}  // namespace
}  // namespace incidentd::engine
