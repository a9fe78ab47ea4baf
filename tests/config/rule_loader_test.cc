#include "config/rule_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "incidentd/label.h"
#include "incidentd/label_set.h"

namespace incidentd::config {
namespace {

namespace fs = std::filesystem;
using engine::MatchType;

class RuleLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("incidentd-rules-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(RuleLoaderTest, EmptyFilesAreValid) {
  Result<LoadedRules> r = LoadRules({Write("a.yaml", ""), Write("b.yaml", "# nothing yet\n"), Write("c.yaml", "{}\n"),
                                     Write("d.yaml", "correlations:\ninhibit: []\n")});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->rules.correlations.empty());
  EXPECT_TRUE(r->rules.inhibit.empty());
  EXPECT_TRUE(r->receivers.empty());
  EXPECT_TRUE(LoadRules({}).ok());
}

TEST_F(RuleLoaderTest, ReadsEveryField) {
  std::string path = Write("a.yaml", R"(dedup:
  ignore_labels: [pod, instance_id, pod]
correlations:
  - name: db
    match: ['service="postgres"', 'severity=~"critical|page"']
    group_by: [service, cluster, service]
    group_wait: 10s
    group_interval: 1m
    repeat_interval: 2h
    reopen_window: 0s
    priority: {from_label: severity, map: {critical: P1, warning: P3}, default: P4}
    title: "{{ service }} down in {{cluster}}!"
    policy: db-oncall
    continue: true
  - name: all
    match: '{job!="x", team!~"a|b"}'
    group_by: ['...']
    priority: P2
inhibit:
  - source_matchers: ['severity="critical"']
    target_matchers: 'severity="warning"'
    equal: [cluster, alertname, cluster]
  - source_match: {severity: critical}
    source_match_re: {service: "db|cache"}
    target_match_re: {severity: "warn.*"}
    target_matchers: ['team="a"']
policies:
  - name: db-oncall
    steps:
      - notify: [pd-db]
        ack_timeout: 10m
      - notify: [pd-db, og, hook]
    repeat: 2
    inform: [slack-db]
receivers:
  - name: pd-db
    type: pagerduty
    routing_key: abc
    url: https://events.example/v2
  - name: og
    type: opsgenie
    api_key_file: /etc/incidentd/og.key
  - name: hook
    type: webhook
    url: http://127.0.0.1:9/
    hmac_secret_file: /etc/incidentd/hmac
    timeout: 5s
  - name: slack-db
    type: slack
    url_file: /etc/incidentd/slack.url
    channel: "#db"
)");
  Result<LoadedRules> r = LoadRules({path});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const engine::RuleSet& rules = r->rules;
  EXPECT_EQ(rules.dedup_ignore_labels, (std::vector<std::string>{"instance_id", "pod"}));

  ASSERT_EQ(rules.correlations.size(), 2u);
  const engine::CorrelationRule& db = rules.correlations[0];
  EXPECT_EQ(db.name, "db");
  EXPECT_EQ(db.origin, path + ":4");
  ASSERT_EQ(db.match.size(), 2u);
  EXPECT_EQ(db.match[0].ToString(), "service=\"postgres\"");
  EXPECT_EQ(db.match[1].type(), MatchType::kRegexp);
  EXPECT_EQ(db.group_by, (std::vector<std::string>{"cluster", "service"}));
  EXPECT_FALSE(db.group_by_all);
  EXPECT_EQ(db.group_wait, std::chrono::seconds(10));
  EXPECT_EQ(db.group_interval, std::chrono::minutes(1));
  EXPECT_EQ(db.repeat_interval, std::chrono::hours(2));
  EXPECT_EQ(db.reopen_window, Duration(0));
  EXPECT_TRUE(db.priority.from_label_set);
  EXPECT_EQ(db.priority.from_label, "severity");
  EXPECT_EQ(db.priority.map, (std::vector<std::pair<std::string, engine::Priority>>{{"critical", 1}, {"warning", 3}}));
  EXPECT_EQ(db.priority.fallback, 4);
  ASSERT_EQ(db.title.parts.size(), 4u);
  EXPECT_TRUE(db.title.parts[0].label);
  EXPECT_EQ(db.title.parts[0].text, "service");
  EXPECT_EQ(db.title.parts[1].text, " down in ");
  EXPECT_TRUE(db.title.parts[2].label);
  EXPECT_EQ(db.title.parts[2].text, "cluster");
  EXPECT_FALSE(db.title.parts[3].label);
  EXPECT_EQ(db.title.parts[3].text, "!");
  EXPECT_EQ(db.title.Render([](std::string_view n) { return n == "service" ? "pg" : "eu1"; }), "pg down in eu1!");
  EXPECT_EQ(db.policy, "db-oncall");
  EXPECT_TRUE(db.continue_matching);

  const engine::CorrelationRule& all = rules.correlations[1];
  EXPECT_EQ(all.origin, path + ":15");
  ASSERT_EQ(all.match.size(), 2u);
  EXPECT_EQ(all.match[1].ToString(), "team!~\"a|b\"");
  EXPECT_TRUE(all.group_by_all);
  EXPECT_TRUE(all.group_by.empty());
  EXPECT_FALSE(all.priority.from_label_set);
  EXPECT_EQ(all.priority.fixed, 2);

  ASSERT_EQ(rules.inhibit.size(), 2u);
  EXPECT_EQ(rules.inhibit[0].origin, path + ":20");
  EXPECT_EQ(rules.inhibit[0].target_matchers[0].ToString(), "severity=\"warning\"");
  EXPECT_EQ(rules.inhibit[0].equal, (std::vector<std::string>{"alertname", "cluster"}));
  const engine::InhibitRule& old_form = rules.inhibit[1];
  ASSERT_EQ(old_form.source_matchers.size(), 2u);
  EXPECT_EQ(old_form.source_matchers[0].ToString(), "severity=\"critical\"");
  EXPECT_EQ(old_form.source_matchers[1].ToString(), "service=~\"db|cache\"");
  ASSERT_EQ(old_form.target_matchers.size(), 2u);
  EXPECT_EQ(old_form.target_matchers[0].type(), MatchType::kRegexp);
  EXPECT_EQ(old_form.target_matchers[1].ToString(), "team=\"a\"");

  ASSERT_EQ(rules.policies.size(), 1u);
  const engine::Policy& p = rules.policies[0];
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].notify, (std::vector<std::string>{"pd-db"}));
  EXPECT_EQ(p.steps[0].ack_timeout, std::chrono::minutes(10));
  EXPECT_EQ(p.steps[1].notify, (std::vector<std::string>{"pd-db", "og", "hook"}));
  EXPECT_EQ(p.steps[1].ack_timeout, std::chrono::minutes(5));
  EXPECT_EQ(p.repeat, 2);
  EXPECT_EQ(p.inform, (std::vector<std::string>{"slack-db"}));
  EXPECT_EQ(rules.FindPolicy("db-oncall"), &p);
  EXPECT_EQ(rules.FindPolicy("nope"), nullptr);

  ASSERT_EQ(rules.receivers.size(), 4u);
  ASSERT_EQ(r->receivers.size(), 4u);
  EXPECT_EQ(rules.receivers[3].name, "slack-db");
  EXPECT_EQ(rules.receivers[3].type, "slack");
  const ReceiverConfig& pd = r->receivers[0];
  EXPECT_EQ(pd.name, "pd-db");
  EXPECT_EQ(pd.type, "pagerduty");
  EXPECT_EQ(pd.origin, path + ":36");
  using Settings = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(pd.settings, (Settings{{"routing_key", "abc"}, {"url", "https://events.example/v2"}}));
  EXPECT_EQ(r->receivers[2].settings,
            (Settings{{"url", "http://127.0.0.1:9/"}, {"hmac_secret_file", "/etc/incidentd/hmac"}, {"timeout", "5s"}}));
  EXPECT_EQ(r->receivers[3].settings, (Settings{{"url_file", "/etc/incidentd/slack.url"}, {"channel", "#db"}}));
}

TEST_F(RuleLoaderTest, Defaults) {
  Result<LoadedRules> r = LoadRules({Write("a.yaml", R"(correlations:
  - name: c
policies:
  - name: p
    steps: [{notify: [r]}]
receivers:
  - {name: r, type: webhook, url: "http://127.0.0.1:9/"}
)")});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const engine::CorrelationRule& c = r->rules.correlations[0];
  EXPECT_TRUE(c.match.empty());
  EXPECT_TRUE(c.group_by.empty());
  EXPECT_FALSE(c.group_by_all);
  EXPECT_EQ(c.group_wait, std::chrono::seconds(30));
  EXPECT_EQ(c.group_interval, std::chrono::minutes(5));
  EXPECT_EQ(c.repeat_interval, std::chrono::hours(4));
  EXPECT_EQ(c.reopen_window, std::chrono::minutes(5));
  EXPECT_FALSE(c.priority.from_label_set);
  EXPECT_EQ(c.priority.fixed, 3);
  EXPECT_TRUE(c.title.parts.empty());
  EXPECT_TRUE(c.policy.empty());
  EXPECT_FALSE(c.continue_matching);
  EXPECT_FALSE(c.has_threshold());
  EXPECT_EQ(c.min_alerts, 0u);
  EXPECT_TRUE(c.min_distinct.label.empty());
  EXPECT_EQ(c.window, std::chrono::minutes(5));
  EXPECT_FALSE(c.major.set);
  EXPECT_FALSE(c.major.any());
  EXPECT_TRUE(r->rules.topology.empty());
  EXPECT_EQ(r->rules.topology.label, "service");
  EXPECT_EQ(r->rules.topology.window, std::chrono::minutes(10));
  EXPECT_FALSE(r->rules.major.set);
  EXPECT_EQ(r->rules.flapping.changes, 0u);
  EXPECT_EQ(r->rules.problems.recurrences, 0u);
  const engine::Policy& p = r->rules.policies[0];
  EXPECT_EQ(p.steps[0].ack_timeout, std::chrono::minutes(5));
  EXPECT_EQ(p.repeat, 0);
  EXPECT_TRUE(p.inform.empty());
  EXPECT_EQ(r->receivers[0].origin, Path("a.yaml") + ":7");
}

TEST_F(RuleLoaderTest, ReadsTopologyThresholdsMajorFlappingAndProblems) {
  std::string path = Write("a.yaml", R"(topology:
  label: svc
  window: 15m
  services:
    - name: checkout
      depends_on: [payments, postgres]
    - name: payments
      depends_on: [postgres]
    - name: postgres
correlations:
  - name: svc
    match: ['severity="critical"']
    group_by: [service]
    min_alerts: 3
    window: 2m
    major:
      priority: P1
      min_distinct: {label: service, count: 5}
      min_alerts: 50
      policy: incident-commander
      raise_to: P2
  - name: hosts
    min_distinct: {label: instance, count: 4}
  - name: plain
flapping: {changes: 6, window: 20m, quiet: 30m}
problems: {recurrences: 3, within: 7d}
major:
  min_distinct: {label: service, count: 5}
  policy: incident-commander
policies:
  - name: incident-commander
    steps: [{notify: [r]}]
receivers:
  - {name: r, type: webhook, url: "http://127.0.0.1:9/"}
)");
  Result<LoadedRules> r = LoadRules({path});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const engine::RuleSet& rules = r->rules;

  const engine::Topology& t = rules.topology;
  EXPECT_EQ(t.label, "svc");
  EXPECT_EQ(t.window, std::chrono::minutes(15));
  ASSERT_EQ(t.services.size(), 3u);
  EXPECT_EQ(t.services[0].name, "checkout");
  EXPECT_EQ(t.services[0].depends_on, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(t.services[1].name, "payments");
  EXPECT_EQ(t.services[1].depends_on, (std::vector<uint32_t>{2}));
  EXPECT_EQ(t.services[2].name, "postgres");
  EXPECT_TRUE(t.services[2].depends_on.empty());

  ASSERT_EQ(rules.correlations.size(), 3u);
  const engine::CorrelationRule& svc = rules.correlations[0];
  EXPECT_TRUE(svc.has_threshold());
  EXPECT_EQ(svc.min_alerts, 3u);
  EXPECT_TRUE(svc.min_distinct.label.empty());
  EXPECT_EQ(svc.window, std::chrono::minutes(2));
  EXPECT_TRUE(svc.major.set);
  EXPECT_EQ(svc.major.priority, 1);
  EXPECT_EQ(svc.major.min_alerts, 50u);
  EXPECT_EQ(svc.major.min_distinct.label, "service");
  EXPECT_EQ(svc.major.min_distinct.count, 5u);
  EXPECT_EQ(svc.major.policy, "incident-commander");
  EXPECT_EQ(svc.major.raise_to, 2);

  const engine::CorrelationRule& hosts = rules.correlations[1];
  EXPECT_TRUE(hosts.has_threshold());
  EXPECT_EQ(hosts.min_alerts, 0u);
  EXPECT_EQ(hosts.min_distinct.label, "instance");
  EXPECT_EQ(hosts.min_distinct.count, 4u);
  EXPECT_EQ(hosts.window, std::chrono::minutes(5));
  EXPECT_FALSE(hosts.major.set);  // the global major applies
  EXPECT_FALSE(rules.correlations[2].has_threshold());

  EXPECT_TRUE(rules.major.set);
  EXPECT_EQ(rules.major.priority, 0);
  EXPECT_EQ(rules.major.min_alerts, 0u);
  EXPECT_EQ(rules.major.min_distinct.label, "service");
  EXPECT_EQ(rules.major.min_distinct.count, 5u);
  EXPECT_EQ(rules.major.policy, "incident-commander");
  EXPECT_EQ(rules.major.raise_to, 1);

  EXPECT_EQ(rules.flapping.changes, 6u);
  EXPECT_EQ(rules.flapping.window, std::chrono::minutes(20));
  EXPECT_EQ(rules.flapping.quiet, std::chrono::minutes(30));
  EXPECT_EQ(rules.problems.recurrences, 3u);
  EXPECT_EQ(rules.problems.within, std::chrono::hours(7 * 24));
}

// Each section with only its required keys.
TEST_F(RuleLoaderTest, TopologyMajorFlappingAndProblemsDefaults) {
  Result<LoadedRules> r = LoadRules({Write("a.yaml", R"(topology:
  services:
    - name: postgres
correlations:
  - {name: c, min_alerts: 1, major: {min_alerts: 10}}
major: {priority: P2}
flapping: {changes: 1}
problems: {recurrences: 2}
)")});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const engine::RuleSet& rules = r->rules;
  EXPECT_EQ(rules.topology.label, "service");
  EXPECT_EQ(rules.topology.window, std::chrono::minutes(10));
  EXPECT_EQ(rules.topology.release_after, std::chrono::minutes(5));
  ASSERT_EQ(rules.topology.services.size(), 1u);
  EXPECT_TRUE(rules.topology.services[0].depends_on.empty());
  const engine::CorrelationRule& c = rules.correlations[0];
  EXPECT_EQ(c.min_alerts, 1u);
  EXPECT_EQ(c.window, std::chrono::minutes(5));
  EXPECT_TRUE(c.major.set);
  EXPECT_EQ(c.major.min_alerts, 10u);
  EXPECT_EQ(c.major.priority, 0);
  EXPECT_TRUE(c.major.min_distinct.label.empty());
  EXPECT_TRUE(c.major.policy.empty());
  EXPECT_EQ(c.major.raise_to, 1);
  EXPECT_TRUE(rules.major.set);
  EXPECT_EQ(rules.major.priority, 2);
  EXPECT_EQ(rules.major.raise_to, 1);
  EXPECT_EQ(rules.flapping.changes, 1u);
  EXPECT_EQ(rules.flapping.window, std::chrono::minutes(10));
  EXPECT_EQ(rules.flapping.quiet, std::chrono::minutes(15));
  EXPECT_EQ(rules.problems.recurrences, 2u);
  EXPECT_EQ(rules.problems.within, std::chrono::hours(7 * 24));
}

// Services are concatenated in file order; depends_on may name a service of a later file; label and window may come
// from different files.
TEST_F(RuleLoaderTest, TopologyServicesMergeAcrossFiles) {
  std::string a = Write("a.yaml", R"(topology:
  label: app
  services:
    - name: checkout
      depends_on: [payments, postgres]
)");
  std::string b = Write("b.yaml", R"(topology:
  window: 5m
  services:
    - name: postgres
    - name: payments
      depends_on: [postgres]
)");
  Result<LoadedRules> r = LoadRules({a, b});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const engine::Topology& t = r->rules.topology;
  EXPECT_EQ(t.label, "app");
  EXPECT_EQ(t.window, std::chrono::minutes(5));
  ASSERT_EQ(t.services.size(), 3u);
  EXPECT_EQ(t.services[0].name, "checkout");
  EXPECT_EQ(t.services[0].depends_on, (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(t.services[1].name, "postgres");
  EXPECT_TRUE(t.services[1].depends_on.empty());
  EXPECT_EQ(t.services[2].name, "payments");
  EXPECT_EQ(t.services[2].depends_on, (std::vector<uint32_t>{1}));

  r = LoadRules({b, a});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rules.topology.services[0].name, "postgres");
  EXPECT_EQ(r->rules.topology.services[2].name, "checkout");
  EXPECT_EQ(r->rules.topology.services[2].depends_on, (std::vector<uint32_t>{1, 0}));
}

// Undefined services and cycles are found once every file is read: after any schema error, and after an undefined
// policy.
TEST_F(RuleLoaderTest, TopologyIsCheckedAfterEveryFile) {
  std::string a = Write("a.yaml", "topology:\n  services:\n    - {name: a, depends_on: [b, c]}\n");
  std::string b = Write("b.yaml", "topology:\n  services:\n    - {name: b, depends_on: [a]}\n    - {name: c}\n");
  Result<LoadedRules> r = LoadRules({a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), b + ":3:30: topology.services[0].depends_on[0]: dependency cycle a -> b -> a");
  std::string c = Write("c.yaml", "major: {priority: P1, policy: ic}\n");
  r = LoadRules({a, b, c});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), c + ":1:31: major.policy: undefined policy 'ic'");
  Write("c.yaml", "flapping: {changes: 0}\n");
  r = LoadRules({a, b, c});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), c + ":1:21: flapping.changes: must be between 1 and 1000");
}

TEST_F(RuleLoaderTest, MergesFilesInOrderWithCrossFileReferences) {
  std::string a = Write("a.yaml", R"(dedup: {ignore_labels: [pod, zone]}
correlations:
  - {name: a1, policy: p}
  - {name: a2}
inhibit:
  - {source_matchers: ['a="1"'], target_matchers: ['b="2"']}
)");
  std::string b = Write("b.yaml", R"(dedup: {ignore_labels: [instance, pod]}
correlations:
  - {name: b1, policy: p}
policies:
  - {name: p, steps: [{notify: [r]}], inform: [r]}
receivers:
  - {name: r, type: slack, url: "https://hooks.example/x"}
inhibit:
  - {source_matchers: ['c="3"'], target_matchers: ['d="4"']}
)");
  Result<LoadedRules> r = LoadRules({a, b});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rules.dedup_ignore_labels, (std::vector<std::string>{"instance", "pod", "zone"}));
  ASSERT_EQ(r->rules.correlations.size(), 3u);
  EXPECT_EQ(r->rules.correlations[0].name, "a1");
  EXPECT_EQ(r->rules.correlations[1].name, "a2");
  EXPECT_EQ(r->rules.correlations[2].name, "b1");
  EXPECT_EQ(r->rules.correlations[2].origin, b + ":3");
  ASSERT_EQ(r->rules.inhibit.size(), 2u);
  EXPECT_EQ(r->rules.inhibit[0].origin, a + ":6");
  EXPECT_EQ(r->rules.inhibit[1].origin, b + ":9");
  ASSERT_NE(r->rules.FindPolicy("p"), nullptr);

  // The other order gives the same set, with the files' parts swapped.
  r = LoadRules({b, a});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rules.correlations[0].name, "b1");
}

// Every error names the file, line and column of the node, the field's path and the reason.
TEST_F(RuleLoaderTest, ErrorsNameFileLineColumnAndField) {
  struct Case {
    std::string a;     // a.yaml
    std::string b;     // b.yaml, loaded after a.yaml
    std::string want;  // the message after the temp dir's "/"
  };
  // Helps to make the reference cases complete.
  const std::string receiver = "receivers:\n  - {name: r, type: webhook, url: 'http://127.0.0.1:9/'}\n";
  const Case cases[] = {
      // The rule file itself.
      {"- a\n", "", "a.yaml:1:1: a rule file must be a mapping"},
      {"correlation: []\n", "", "a.yaml:1:1: unknown key 'correlation' in the rule file"},
      {"correlations: {name: x}\n", "", "a.yaml:1:15: correlations: must be a list"},
      {"correlations:\n  - name: [\n", "", "a.yaml:3:1: end of sequence flow not found"},
      {"dedup: {ignore: [a]}\n", "", "a.yaml:1:9: unknown key 'ignore' in dedup"},
      {"dedup: {ignore_labels: [a, b-c]}\n", "", "a.yaml:1:28: dedup.ignore_labels[1]: invalid label name 'b-c'"},
      // Correlations.
      {"correlations:\n  - {name: a}\n  - {name: b}\n  - name: c\n    match: ['job~x']\n", "",
       "a.yaml:5:13: correlations[2].match[0]: matcher 'job~x': expected one of =, !=, =~, !~ after the label name"},
      {"correlations:\n  - name: c\n    match: 'a=\"1\", b~x'\n", "",
       "a.yaml:3:12: correlations[0].match: matcher 'b~x': expected one of =, !=, =~, !~ after the label name"},
      {"correlations:\n  - name: c\n    match: ['a=~\"(\"']\n", "",
       "a.yaml:3:13: correlations[0].match[0]: matcher 'a=~\"(\"': invalid regex: missing ): ("},
      {"correlations:\n  - name: c\n    match: {a: b}\n", "",
       "a.yaml:3:12: correlations[0].match: must be a list of matchers, or one string of them"},
      {"correlations:\n  - {name: db}\n  - {name: db}\n", "",
       "a.yaml:3:12: correlations[1].name: duplicate name 'db' (first defined at " + Path("a.yaml") + ":2)"},
      {"correlations:\n  - name: x\n  - name: db\n", "correlations:\n  - name: db\n",
       "b.yaml:2:11: correlations[0].name: duplicate name 'db' (first defined at " + Path("a.yaml") + ":3)"},
      {"correlations:\n  - match: []\n", "", "a.yaml:2:5: correlations[0]: name is required"},
      {"correlations:\n  - name: \"\"\n", "", "a.yaml:2:11: correlations[0].name: must not be empty"},
      {"correlations:\n  - {name: c, colour: red}\n", "", "a.yaml:2:15: unknown key 'colour' in correlations[0]"},
      {"correlations:\n  - {name: c, policy: x}\n", "", "a.yaml:2:23: correlations[0].policy: undefined policy 'x'"},
      {"correlations:\n  - {name: c, priority: P9}\n", "",
       "a.yaml:2:25: correlations[0].priority: must be P1..P5, got 'P9'"},
      {"correlations:\n  - name: c\n    priority: {from_label: severity, map: {critical: P0}}\n", "",
       "a.yaml:3:54: correlations[0].priority.map.critical: must be P1..P5, got 'P0'"},
      {"correlations:\n  - name: c\n    priority: {map: {critical: P1}}\n", "",
       "a.yaml:3:15: correlations[0].priority: from_label is required"},
      {"correlations:\n  - name: c\n    priority: {from_label: sev-erity}\n", "",
       "a.yaml:3:28: correlations[0].priority.from_label: invalid label name 'sev-erity'"},
      {"correlations:\n  - name: c\n    priority: {from_label: s, default: high}\n", "",
       "a.yaml:3:40: correlations[0].priority.default: must be P1..P5, got 'high'"},
      {"correlations:\n  - name: c\n    priority: {from_label: s, urgency: P1}\n", "",
       "a.yaml:3:31: unknown key 'urgency' in correlations[0].priority"},
      {"correlations:\n  - {name: c, group_wait: 5}\n", "",
       "a.yaml:2:27: correlations[0].group_wait: not a duration (use forms like 30s, 5m, 1h30m)"},
      {"correlations:\n  - {name: c, group_interval: 0s}\n", "",
       "a.yaml:2:31: correlations[0].group_interval: must be greater than 0s"},
      {"correlations:\n  - {name: c, repeat_interval: 0s}\n", "",
       "a.yaml:2:32: correlations[0].repeat_interval: must be greater than 0s"},
      {"correlations:\n  - {name: c, reopen_window: -1m}\n", "",
       "a.yaml:2:30: correlations[0].reopen_window: not a duration (use forms like 30s, 5m, 1h30m)"},
      {"correlations:\n  - {name: c, group_by: [cluster, '...']}\n", "",
       "a.yaml:2:35: correlations[0].group_by[1]: '...' (all labels) must be the only entry"},
      {"correlations:\n  - {name: c, group_by: [9lives]}\n", "",
       "a.yaml:2:26: correlations[0].group_by[0]: invalid label name '9lives'"},
      {"correlations:\n  - {name: c, title: 'x {{ service'}\n", "",
       "a.yaml:2:22: correlations[0].title: unclosed '{{' at character 3"},
      {"correlations:\n  - {name: c, title: 'x {{ service-name }}'}\n", "",
       "a.yaml:2:22: correlations[0].title: invalid label name 'service-name' in '{{ service-name }}'"},
      {"correlations:\n  - {name: c, continue: yes}\n", "",
       "a.yaml:2:25: correlations[0].continue: must be true or false"},
      // Inhibit rules.
      {"inhibit:\n  - target_matchers: ['a=\"1\"']\n", "",
       "a.yaml:2:5: inhibit[0]: needs source_matchers (or source_match / source_match_re), not empty"},
      {"inhibit:\n  - source_matchers: ['a=\"1\"']\n    target_matchers: []\n", "",
       "a.yaml:2:5: inhibit[0]: needs target_matchers (or target_match / target_match_re), not empty"},
      {"inhibit:\n  - source_match_re: {service: 'db('}\n", "",
       "a.yaml:2:32: inhibit[0].source_match_re.service: invalid regex: missing ): db("},
      {"inhibit:\n  - source_match: {bad-name: x}\n", "",
       "a.yaml:2:20: inhibit[0].source_match.bad-name: invalid label name 'bad-name'"},
      {"inhibit:\n  - {source_matchers: 'a=\"1\"', target_matchers: 'b=\"2\"', equal: [a.b]}\n", "",
       "a.yaml:2:66: inhibit[0].equal[0]: invalid label name 'a.b'"},
      // Policies.
      {"policies:\n  - {name: p, steps: [{notify: [r]}, {notify: [r, y]}]}\n" + receiver, "",
       "a.yaml:2:51: policies[0].steps[1].notify[1]: undefined receiver 'y'"},
      {"policies:\n  - {name: p, steps: [{notify: [r]}], inform: [z]}\n" + receiver, "",
       "a.yaml:2:48: policies[0].inform[0]: undefined receiver 'z'"},
      {"policies:\n  - {name: p}\n", "", "a.yaml:2:5: policies[0]: steps is required"},
      {"policies:\n  - {name: p, steps: []}\n", "", "a.yaml:2:22: policies[0].steps: must not be empty"},
      {"policies:\n  - {name: p, steps: [{ack_timeout: 1m}]}\n", "",
       "a.yaml:2:23: policies[0].steps[0]: notify is required"},
      {"policies:\n  - {name: p, steps: [{notify: []}]}\n", "",
       "a.yaml:2:32: policies[0].steps[0].notify: must not be empty"},
      {"policies:\n  - {name: p, steps: [{notify: [r], ack_timeout: 0s}]}\n" + receiver, "",
       "a.yaml:2:50: policies[0].steps[0].ack_timeout: must be greater than 0s"},
      {"policies:\n  - {name: p, steps: [{notify: [r]}], repeat: 101}\n" + receiver, "",
       "a.yaml:2:47: policies[0].repeat: must be between 0 and 100"},
      {"policies:\n  - {name: p, steps: [{notify: [r]}]}\n" + receiver, "policies:\n  - {name: p}\n",
       "b.yaml:2:12: policies[0].name: duplicate name 'p' (first defined at " + Path("a.yaml") + ":2)"},
      {"policies:\n  - {steps: [{notify: [r]}]}\n", "", "a.yaml:2:5: policies[0]: name is required"},
      // Receivers.
      {receiver, receiver,
       "b.yaml:2:12: receivers[0].name: duplicate name 'r' (first defined at " + Path("a.yaml") + ":2)"},
      {"receivers:\n  - {name: r, url: u}\n", "",
       "a.yaml:2:5: receivers[0]: type is required (pagerduty, opsgenie, webhook, slack)"},
      {"receivers:\n  - {name: r, type: email}\n", "",
       "a.yaml:2:21: receivers[0].type: must be one of pagerduty, opsgenie, webhook, slack, got 'email'"},
      {"receivers:\n  - {name: r, type: webhook, url: u, colour: red}\n", "",
       "a.yaml:2:38: unknown key 'colour' in receivers[0]"},
      {"receivers:\n  - {name: r, type: webhook, url: u, channel: '#x'}\n", "",
       "a.yaml:2:38: unknown key 'channel' in receivers[0] (type webhook takes url, url_file, hmac_secret, "
       "hmac_secret_file, timeout)"},
      {"receivers:\n  - {name: r, type: webhook, url: u, timeout: soon}\n", "",
       "a.yaml:2:47: receivers[0].timeout: not a duration (use forms like 30s, 5m, 1h30m)"},
      {"receivers:\n  - {name: r, type: webhook, url: [u]}\n", "", "a.yaml:2:35: receivers[0].url: must be a string"},
      {"receivers:\n  - {name: r, type: pagerduty}\n", "",
       "a.yaml:2:5: receivers[0]: type pagerduty needs routing_key or routing_key_file"},
      {"receivers:\n  - {name: r, type: opsgenie, url: u}\n", "",
       "a.yaml:2:5: receivers[0]: type opsgenie needs api_key or api_key_file"},
      {"receivers:\n  - {name: r, type: webhook, hmac_secret: s}\n", "",
       "a.yaml:2:5: receivers[0]: type webhook needs url or url_file"},
      {"receivers:\n  - {name: r, type: slack, channel: '#x'}\n", "",
       "a.yaml:2:5: receivers[0]: type slack needs url or url_file"},
      {"receivers:\n  - {name: r, type: slack, url: u, url_file: f}\n", "",
       "a.yaml:2:36: receivers[0]: url and url_file are mutually exclusive"},
      {"receivers:\n  - {type: slack, url: u}\n", "", "a.yaml:2:5: receivers[0]: name is required"},
      {"receivers:\n  - just-a-name\n", "", "a.yaml:2:5: receivers[0] must be a mapping"},
      // Topology.
      {"topology:\n  services:\n    - {name: checkout, depends_on: [payments]}\n"
       "    - {name: payments, depends_on: [checkout]}\n",
       "", "a.yaml:4:37: topology.services[1].depends_on[0]: dependency cycle checkout -> payments -> checkout"},
      {"topology:\n  services:\n    - {name: checkout, depends_on: [payments]}\n",
       "topology:\n  services:\n    - {name: payments, depends_on: [checkout]}\n",
       "b.yaml:3:37: topology.services[0].depends_on[0]: dependency cycle checkout -> payments -> checkout"},
      {"topology:\n  services:\n    - {name: checkout, depends_on: [checkout]}\n", "",
       "a.yaml:3:37: topology.services[0].depends_on[0]: dependency cycle checkout -> checkout"},
      {"topology:\n  services:\n    - {name: a, depends_on: [b]}\n    - {name: b, depends_on: [d, c]}\n"
       "    - {name: c, depends_on: [a]}\n    - {name: d}\n",
       "", "a.yaml:5:30: topology.services[2].depends_on[0]: dependency cycle a -> b -> c -> a"},
      {"topology:\n  services:\n    - {name: a, depends_on: [b]}\n    - {name: b, depends_on: [c]}\n"
       "    - {name: c, depends_on: [b]}\n",
       "", "a.yaml:5:30: topology.services[2].depends_on[0]: dependency cycle b -> c -> b"},
      {"topology:\n  services:\n    - name: checkout\n      depends_on: [payments, postgress]\n    - name: payments\n",
       "", "a.yaml:4:30: topology.services[0].depends_on[1]: undefined service 'postgress'"},
      {"topology:\n  services:\n    - name: x\n    - name: db\n", "topology:\n  services:\n    - name: db\n",
       "b.yaml:3:13: topology.services[0].name: duplicate name 'db' (first defined at " + Path("a.yaml") + ":4)"},
      {"topology:\n  services:\n    - {name: a, depends_on: [b, b]}\n    - {name: b}\n", "",
       "a.yaml:3:33: topology.services[0].depends_on[1]: duplicate service 'b'"},
      {"topology:\n  label: service\n", "topology:\n  label: svc\n",
       "b.yaml:2:10: topology.label: already set at " + Path("a.yaml") + ":2"},
      {"topology: {window: 5m}\n", "topology:\n  window: 10m\n",
       "b.yaml:2:11: topology.window: already set at " + Path("a.yaml") + ":1"},
      {"topology: {label: my-service}\n", "", "a.yaml:1:19: topology.label: invalid label name 'my-service'"},
      {"topology: {window: 0s}\n", "", "a.yaml:1:20: topology.window: must be greater than 0s"},
      {"topology: {release_after: 1m}\n", "topology: {release_after: 0s}\n",
       "b.yaml:1:27: topology.release_after: already set at " + Path("a.yaml") + ":1"},
      {"topology: {release_after: soon}\n", "",
       "a.yaml:1:27: topology.release_after: not a duration (use forms like 30s, 5m, 1h30m)"},
      {"topology:\n  services:\n    - depends_on: []\n", "", "a.yaml:3:7: topology.services[0]: name is required"},
      {"topology:\n  services:\n    - {name: \"\"}\n", "", "a.yaml:3:14: topology.services[0].name: must not be empty"},
      {"topology:\n  services:\n    - {name: a, needs: [b]}\n", "",
       "a.yaml:3:17: unknown key 'needs' in topology.services[0]"},
      {"topology:\n  services: {name: a}\n", "", "a.yaml:2:13: topology.services: must be a list"},
      // Thresholds.
      {"correlations:\n  - name: c\n    min_alerts: 3\n    min_distinct: {label: instance, count: 3}\n", "",
       "a.yaml:4:19: correlations[0]: min_alerts and min_distinct are mutually exclusive"},
      {"correlations:\n  - name: c\n    min_distinct: {label: instance, count: 3}\n    min_alerts: 3\n", "",
       "a.yaml:4:17: correlations[0]: min_alerts and min_distinct are mutually exclusive"},
      {"correlations:\n  - {name: c, window: 5m}\n", "",
       "a.yaml:2:23: correlations[0].window: needs min_alerts or min_distinct"},
      {"correlations:\n  - {name: c, window: 5m, major: {min_alerts: 5}}\n", "",
       "a.yaml:2:23: correlations[0].window: needs min_alerts or min_distinct"},
      {"correlations:\n  - {name: c, min_alerts: 0}\n", "",
       "a.yaml:2:27: correlations[0].min_alerts: must be between 1 and 1000000"},
      {"correlations:\n  - {name: c, min_alerts: many}\n", "",
       "a.yaml:2:27: correlations[0].min_alerts: must be an integer"},
      {"correlations:\n  - {name: c, min_distinct: {label: instance}}\n", "",
       "a.yaml:2:29: correlations[0].min_distinct: count is required"},
      {"correlations:\n  - {name: c, min_distinct: {count: 2}}\n", "",
       "a.yaml:2:29: correlations[0].min_distinct: label is required"},
      {"correlations:\n  - {name: c, min_distinct: {label: in-stance, count: 2}}\n", "",
       "a.yaml:2:37: correlations[0].min_distinct.label: invalid label name 'in-stance'"},
      {"correlations:\n  - {name: c, min_distinct: {label: i, count: 1000001}}\n", "",
       "a.yaml:2:47: correlations[0].min_distinct.count: must be between 1 and 1000000"},
      {"correlations:\n  - {name: c, min_distinct: instance}\n", "",
       "a.yaml:2:29: correlations[0].min_distinct must be a mapping"},
      {"correlations:\n  - {name: c, min_alerts: 2, window: 0s}\n", "",
       "a.yaml:2:38: correlations[0].window: must be greater than 0s"},
      // Major.
      {"correlations:\n  - name: c\n    major: {policy: p}\n", "",
       "a.yaml:3:12: correlations[0].major: needs at least one of priority, min_alerts, min_distinct"},
      {"major:\n  raise_to: P2\n", "", "a.yaml:2:3: major: needs at least one of priority, min_alerts, min_distinct"},
      {"major: {priority: P2, raise_to: P0}\n", "", "a.yaml:1:33: major.raise_to: must be P1..P5, got 'P0'"},
      {"correlations:\n  - name: c\n    major: {priority: P1, raise_to: urgent}\n", "",
       "a.yaml:3:37: correlations[0].major.raise_to: must be P1..P5, got 'urgent'"},
      {"major: {priority: high}\n", "", "a.yaml:1:19: major.priority: must be P1..P5, got 'high'"},
      {"major: {min_alerts: 10000001}\n", "", "a.yaml:1:21: major.min_alerts: must be between 1 and 10000000"},
      {"major: {min_distinct: {label: service}}\n", "", "a.yaml:1:23: major.min_distinct: count is required"},
      {"major: {priority: P1, severity: P1}\n", "", "a.yaml:1:23: unknown key 'severity' in major"},
      {"correlations:\n  - name: c\n    major: {min_alerts: 50, policy: ic}\n", "",
       "a.yaml:3:37: correlations[0].major.policy: undefined policy 'ic'"},
      {"major: {priority: P1, policy: ic}\n", "", "a.yaml:1:31: major.policy: undefined policy 'ic'"},
      {"major: {priority: P1}\n", "major:\n  min_alerts: 5\n",
       "b.yaml:2:3: major: already set at " + Path("a.yaml") + ":1"},
      // Flapping.
      {"flapping: {window: 5m}\n", "", "a.yaml:1:11: flapping: changes is required"},
      {"flapping: {changes: 0}\n", "", "a.yaml:1:21: flapping.changes: must be between 1 and 1000"},
      {"flapping: {changes: 6, quiet: 0s}\n", "", "a.yaml:1:31: flapping.quiet: must be greater than 0s"},
      {"flapping: {changes: 6}\n", "flapping: {changes: 3}\n",
       "b.yaml:1:11: flapping: already set at " + Path("a.yaml") + ":1"},
      // Problems.
      {"problems: {recurrences: 1}\n", "", "a.yaml:1:25: problems.recurrences: must be between 2 and 1000"},
      {"problems: {within: 1d}\n", "", "a.yaml:1:11: problems: recurrences is required"},
      {"problems: {recurrences: 3, within: 1w}\n", "",
       "a.yaml:1:36: problems.within: not a duration (use forms like 30s, 5m, 1h30m)"},
      {"problems: {recurrences: 3}\n", "problems:\n  recurrences: 4\n",
       "b.yaml:2:3: problems: already set at " + Path("a.yaml") + ":1"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> paths{Write("a.yaml", c.a)};
    if (!c.b.empty()) paths.push_back(Write("b.yaml", c.b));
    Result<LoadedRules> r = LoadRules(paths);
    ASSERT_FALSE(r.ok()) << c.a << "---\n" << c.b;
    EXPECT_EQ(r.status().message(), dir_.string() + "/" + c.want) << c.a << "---\n" << c.b;
    fs::remove(dir_ / "b.yaml");
  }
}

// References are checked once every file is read: a schema error in a later file comes first.
TEST_F(RuleLoaderTest, ReferencesAreCheckedAfterEveryFile) {
  std::string a = Write("a.yaml", "correlations:\n  - {name: c, policy: missing}\n");
  std::string b = Write("b.yaml", "correlations:\n  - {name: d, group_wait: never}\n");
  Result<LoadedRules> r = LoadRules({a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().message().starts_with(b + ":2:27: correlations[0].group_wait")) << r.status().message();
  Write("b.yaml", "correlations:\n  - {name: d}\n");
  r = LoadRules({a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), a + ":2:23: correlations[0].policy: undefined policy 'missing'");
}

TEST_F(RuleLoaderTest, MissingFile) {
  Result<LoadedRules> r = LoadRules({Path("nope.yaml")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), Path("nope.yaml") + ": cannot read the file");
}

// No error about a receiver may show a secret's value.
TEST_F(RuleLoaderTest, ErrorsNeverShowSecrets) {
  const char* cases[] = {
      "{name: r, type: pagerduty, routing_key: s3cr3t, routing_key_file: f}",
      "{name: r, type: pagerduty, routing_key: s3cr3t, api_key: s3cr3t}",
      "{name: r, type: opsgenie, api_key: s3cr3t, api_key_file: f}",
      "{name: r, type: opsgenie, api_key: s3cr3t, hmac_secret: s3cr3t}",
      "{name: r, type: webhook, url: u, hmac_secret: s3cr3t, hmac_secret_file: f}",
      "{name: r, type: slack, url: 'https://hooks.example/s3cr3t', url_file: f}",
      "{name: r, type: slack, url: 'https://hooks.example/s3cr3t', rate_limit: '1'}",
      "{name: r, type: s3cr3t-type, url: 'https://hooks.example/s3cr3t'}",
      "{name: r, type: slack, url: 'https://hooks.example/s3cr3t', url: 'https://hooks.example/s3cr3t'}",
  };
  for (const char* receiver : cases) {
    Result<LoadedRules> r = LoadRules({Write("a.yaml", std::string("receivers:\n  - ") + receiver + "\n")});
    ASSERT_FALSE(r.ok()) << receiver;
    std::string message = r.status().message();
    // The type is no secret; every other value is kept out.
    std::string without_type = message.substr(0, message.find("got '"));
    EXPECT_EQ(without_type.find("s3cr3t"), std::string::npos) << message;
  }
}

TEST(PriorityRuleTest, FixedOrFromLabel) {
  SymbolTable symbols;
  std::vector<Label> labels{{"service", "db"}, {"severity", "critical"}};
  LabelSet critical = symbols.Build(labels);
  labels[1].value = "info";
  LabelSet info = symbols.Build(labels);
  LabelSet none = symbols.Build(std::span<const Label>(labels.data(), 1));

  engine::PriorityRule fixed;
  fixed.fixed = 2;
  EXPECT_EQ(fixed.For(critical), 2);

  engine::PriorityRule mapped;
  mapped.from_label_set = true;
  mapped.from_label = "severity";
  mapped.map = {{"critical", 1}, {"warning", 3}};
  mapped.fallback = 4;
  EXPECT_EQ(mapped.For(critical), 1);
  EXPECT_EQ(mapped.For(info), 4);
  EXPECT_EQ(mapped.For(none), 4);

  symbols.Release(critical);
  symbols.Release(info);
  symbols.Release(none);
}

// The rule files come to a Config through its rule_files; api.tokens_file is taken from the config's directory.
TEST_F(RuleLoaderTest, ConfigLoadsRulesAndApiTokensFile) {
  fs::create_directories(dir_ / "rules");
  Write("rules/a.yaml", "correlations:\n  - {name: c, policy: p}\n");
  Write("rules/b.yaml",
        "policies:\n  - {name: p, steps: [{notify: [r]}]}\n"
        "receivers:\n  - {name: r, type: webhook, url: 'http://127.0.0.1:9/'}\n");
  std::string path = Write("c.yaml", "rule_files: [rules/*.yaml]\napi:\n  tokens_file: secrets/tokens\n");
  Result<Config> c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->api_tokens_file, (dir_ / "secrets/tokens").string());
  ASSERT_EQ(c->rules.correlations.size(), 1u);
  EXPECT_EQ(c->rules.correlations[0].policy, "p");
  ASSERT_EQ(c->receivers.size(), 1u);
  EXPECT_EQ(c->receivers[0].type, "webhook");

  path = Write("c.yaml", "api:\n  tokens_file: /etc/incidentd/tokens\n");
  c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->api_tokens_file, "/etc/incidentd/tokens");
  c = LoadConfig(Write("c.yaml", "listen: 127.0.0.1:1\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->api_tokens_file, "");

  c = LoadConfig(Write("c.yaml", "api:\n  token_file: x\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), path + ":2:3: unknown key 'token_file' in api");
  c = LoadConfig(Write("c.yaml", "api:\n  tokens_file: [x]\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), path + ":2:16: api.tokens_file: must be a string");
  // A reference error in a rule file fails the config.
  Write("c.yaml", "rule_files: [rules/*.yaml]\n");
  Write("rules/b.yaml", "");
  c = LoadConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), Path("rules/a.yaml") + ":2:23: correlations[0].policy: undefined policy 'p'");
}

}  // namespace
}  // namespace incidentd::config
