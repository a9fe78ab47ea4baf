#include "engine/inhibitor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace incidentd::engine {
namespace {

struct TestAlert {
  Fingerprint fp;
  LabelSet labels;
};

// Builds alerts from "name=value,name=value" and gives their label references back at the end.
class Alerts {
 public:
  Alerts() = default;
  Alerts(const Alerts&) = delete;
  Alerts& operator=(const Alerts&) = delete;
  ~Alerts() {
    for (TestAlert& a : alerts_) table_.Release(a.labels);
  }

  const TestAlert& Add(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> owned;
    while (!text.empty()) {
      size_t comma = text.find(',');
      std::string_view label = text.substr(0, comma);
      size_t eq = label.find('=');
      owned.emplace_back(label.substr(0, eq), label.substr(eq + 1));
      text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
    std::sort(owned.begin(), owned.end());
    std::vector<Label> labels;
    for (const auto& [name, value] : owned) labels.push_back({name, value});
    alerts_.push_back({Fingerprint::Of(labels), table_.Build(labels)});
    return alerts_.back();
  }
  const std::deque<TestAlert>& all() const { return alerts_; }

 private:
  SymbolTable table_;
  std::deque<TestAlert> alerts_;  // stable references
};

struct RuleSpec {
  const char* source;
  const char* target;
  std::vector<std::string> equal;
};

InhibitRule MakeRule(const RuleSpec& spec) {
  InhibitRule r;
  Result<std::vector<Matcher>> source = Matcher::ParseList(spec.source);
  Result<std::vector<Matcher>> target = Matcher::ParseList(spec.target);
  EXPECT_TRUE(source.ok() && target.ok()) << spec.source << " / " << spec.target;
  if (source.ok()) r.source_matchers = std::move(*source);
  if (target.ok()) r.target_matchers = std::move(*target);
  r.equal = spec.equal;
  return r;
}

std::vector<InhibitRule> MakeRules(const std::vector<RuleSpec>& specs) {
  std::vector<InhibitRule> rules;
  for (const RuleSpec& s : specs) rules.push_back(MakeRule(s));
  return rules;
}

TEST(InhibitorTest, MutesLikeAlertmanager) {
  const std::vector<RuleSpec> crit_mutes_warn = {{R"(severity="critical")", R"(severity="warning")", {"cluster"}}};
  const std::vector<RuleSpec> two_sided = {{R"(src="1")", R"(tgt="1")", {}}};
  struct Case {
    const char* name;
    std::vector<RuleSpec> rules;
    std::vector<const char*> firing;    // OnFiring in this order (repeats allowed)
    std::vector<const char*> resolved;  // then OnResolved in this order
    const char* query;
    const char* want;  // the labels of the muting alert; nullptr: not muted
  };
  const Case cases[] = {
      {"critical mutes warning in its cluster",
       crit_mutes_warn,
       {"alertname=Down,severity=critical,cluster=c1"},
       {},
       "alertname=Slow,severity=warning,cluster=c1",
       "alertname=Down,severity=critical,cluster=c1"},
      {"other cluster not muted",
       crit_mutes_warn,
       {"alertname=Down,severity=critical,cluster=c1"},
       {},
       "alertname=Slow,severity=warning,cluster=c2",
       nullptr},
      {"missing equal label on both sides is equal",
       crit_mutes_warn,
       {"alertname=Down,severity=critical"},
       {},
       "alertname=Slow,severity=warning",
       "alertname=Down,severity=critical"},
      {"missing equal label on one side only",
       crit_mutes_warn,
       {"alertname=Down,severity=critical"},
       {},
       "alertname=Slow,severity=warning,cluster=c1",
       nullptr},
      {"target matchers do not match",
       crit_mutes_warn,
       {"alertname=Down,severity=critical,cluster=c1"},
       {},
       "alertname=Slow,severity=info,cluster=c1",
       nullptr},
      {"resolved source stops muting",
       crit_mutes_warn,
       {"alertname=Down,severity=critical,cluster=c1"},
       {"alertname=Down,severity=critical,cluster=c1"},
       "alertname=Slow,severity=warning,cluster=c1",
       nullptr},
      {"one of two sources resolved",
       crit_mutes_warn,
       {"alertname=Down,severity=critical,cluster=c1", "alertname=Lost,severity=critical,cluster=c1"},
       {"alertname=Down,severity=critical,cluster=c1"},
       "alertname=Slow,severity=warning,cluster=c1",
       "alertname=Lost,severity=critical,cluster=c1"},
      {"resolving an unknown alert changes nothing",
       crit_mutes_warn,
       {"alertname=Down,severity=critical,cluster=c1"},
       {"alertname=Other,severity=critical,cluster=c1", "alertname=Slow,severity=warning,cluster=c1"},
       "alertname=Slow,severity=warning,cluster=c1",
       "alertname=Down,severity=critical,cluster=c1"},
      {"fired twice, resolved once",
       crit_mutes_warn,
       {"alertname=Down,severity=critical,cluster=c1", "alertname=Down,severity=critical,cluster=c1"},
       {"alertname=Down,severity=critical,cluster=c1"},
       "alertname=Slow,severity=warning,cluster=c1",
       nullptr},
      {"two-sided: both sides not muted by both sides",
       two_sided,
       {"alertname=Y,src=1,tgt=1"},
       {},
       "alertname=X,src=1,tgt=1",
       nullptr},
      {"two-sided: both sides muted by a pure source",
       two_sided,
       {"alertname=Y,src=1,tgt=1", "alertname=Z,src=1"},
       {},
       "alertname=X,src=1,tgt=1",
       "alertname=Z,src=1"},
      {"two-sided: pure target muted by both sides",
       two_sided,
       {"alertname=Y,src=1,tgt=1"},
       {},
       "alertname=W,tgt=1",
       "alertname=Y,src=1,tgt=1"},
      {"an alert does not inhibit itself",
       two_sided,
       {"alertname=X,src=1,tgt=1"},
       {},
       "alertname=X,src=1,tgt=1",
       nullptr},
      {"regex source and negative regex target",
       {{R"(severity=~"crit.*|page")", R"(severity!~"crit.*|page", team=~"db|web")", {"cluster"}}},
       {"alertname=Down,severity=page,cluster=c1"},
       {},
       "alertname=Slow,severity=warning,team=web,cluster=c1",
       "alertname=Down,severity=page,cluster=c1"},
      {"regex is anchored",
       {{R"(severity=~"crit.*|page")", R"(severity!~"crit.*|page", team=~"db|web")", {"cluster"}}},
       {"alertname=Down,severity=pager,cluster=c1"},
       {},
       "alertname=Slow,severity=warning,team=web,cluster=c1",
       nullptr},
      {"negative regex target excludes",
       {{R"(severity=~"crit.*|page")", R"(severity!~"crit.*|page", team=~"db|web")", {"cluster"}}},
       {"alertname=Down,severity=critical,cluster=c1"},
       {},
       "alertname=Slow,severity=critical2,team=db,cluster=c1",
       nullptr},
      {"first rule wins",
       {{R"(alertname="A")", R"(severity="warning")", {"cluster"}}, {R"(alertname="B")", R"(severity="warning")", {}}},
       {"alertname=B,cluster=c1", "alertname=A,cluster=c1"},
       {},
       "alertname=Slow,severity=warning,cluster=c1",
       "alertname=A,cluster=c1"},
      {"later rule when the first has no equal source",
       {{R"(alertname="A")", R"(severity="warning")", {"cluster"}}, {R"(alertname="B")", R"(severity="warning")", {}}},
       {"alertname=B,cluster=c1", "alertname=A,cluster=c1"},
       {},
       "alertname=Slow,severity=warning,cluster=c2",
       "alertname=B,cluster=c1"},
      {"alertname pre-selection keeps rule order",
       {{R"(severity="critical")", R"(alertname="Slow")", {}},
        {R"(alertname="B")", R"(severity="warning")", {}},
        {R"(alertname="C")", R"(alertname="Slow")", {}}},
       {"alertname=C", "alertname=B", "alertname=A,severity=critical"},
       {},
       "alertname=Slow,severity=warning",
       "alertname=A,severity=critical"},
      {"target alertname pre-selection skips other names",
       {{R"(severity="critical")", R"(alertname="Slow")", {}}},
       {"alertname=A,severity=critical"},
       {},
       "alertname=Fast,severity=warning",
       nullptr},
      {"alertname equal to empty selects alerts without one",
       {{R"(alertname="", severity="critical")", R"(alertname="")", {}}},
       {"severity=critical,cluster=c1"},
       {},
       "severity=warning",
       "severity=critical,cluster=c1"},
      {"another label's equality matcher pre-selects",
       {{R"(severity="critical")", R"(team="db")", {}}},
       {"alertname=A,severity=critical"},
       {},
       "alertname=X,team=db",
       "alertname=A,severity=critical"},
      {"another label's equality matcher skips other values",
       {{R"(severity="critical")", R"(team="db")", {}}},
       {"alertname=A,severity=critical"},
       {},
       "alertname=X,team=web",
       nullptr},
      {"the index matcher need not come first",
       {{R"(severity="critical")", R"(severity!="critical", team="db", zone=~"z[12]")", {}}},
       {"alertname=A,severity=critical"},
       {},
       "alertname=X,team=db,zone=z3",
       nullptr},
      {"target label equal to empty selects alerts without it",
       {{R"(severity="critical")", R"(team="")", {}}},
       {"alertname=A,severity=critical"},
       {},
       "alertname=X,severity=warning",
       "alertname=A,severity=critical"},
      {"target label equal to empty skips alerts with it",
       {{R"(severity="critical")", R"(team="")", {}}},
       {"alertname=A,severity=critical"},
       {},
       "alertname=X,severity=warning,team=db",
       nullptr},
      {"source label equal to empty selects sources without it",
       {{R"(team="", severity="critical")", R"(severity="warning")", {}}},
       {"alertname=A,severity=critical,team=db", "alertname=B,severity=critical"},
       {},
       "alertname=X,severity=warning",
       "alertname=B,severity=critical"},
      {"critical does not match a warning rule",
       crit_mutes_warn,
       {"alertname=Down,severity=critical,cluster=c1"},
       {},
       "alertname=Lost,severity=critical,cluster=c1",
       nullptr},
      {"pre-selection over many label names keeps rule order",
       {{R"(alertname="S0")", R"(alertname="Other")", {}},
        {R"(alertname="S1")", R"(job="j")", {}},
        {R"(alertname="S2")", R"(zone="z1")", {}},
        {R"(alertname="S3")", R"(cluster="c1")", {}},
        {R"(alertname="S4")", R"(team="db")", {}},
        {R"(alertname="S5")", R"(severity=~"warn.*")", {}},
        {R"(alertname="S6")", R"(alertname="Q")", {}}},
       {"alertname=S6", "alertname=S5", "alertname=S4", "alertname=S3", "alertname=S2", "alertname=S0"},
       {},
       "alertname=Q,severity=warning,job=j,zone=z1,cluster=c1,team=db",
       "alertname=S2"},
      {"pre-selection over a few label names keeps rule order",
       {{R"(alertname="S0")", R"(alertname="Q")", {}},
        {R"(alertname="S1")", R"(severity=~"warn.*")", {}},
        {R"(alertname="S2")", R"(zone="z1")", {}}},
       {"alertname=S2", "alertname=S1"},
       {},
       "alertname=Q,severity=warning,zone=z1",
       "alertname=S1"},
      {"equal on several labels",
       {{R"(severity="critical")", R"(severity="warning")", {"cluster", "namespace"}}},
       {"alertname=A,severity=critical,cluster=c1,namespace=n2",
        "alertname=B,severity=critical,cluster=c1,namespace=n1"},
       {},
       "alertname=Slow,severity=warning,cluster=c1,namespace=n1",
       "alertname=B,severity=critical,cluster=c1,namespace=n1"},
      {"equal values are compared one by one, not concatenated",
       {{R"(severity="critical")", R"(severity="warning")", {"a", "b"}}},
       {"alertname=A,severity=critical,a=x,b=yz"},
       {},
       "alertname=Slow,severity=warning,a=xy,b=z",
       nullptr},
      {"no rules", {}, {"alertname=A,severity=critical"}, {}, "alertname=Slow,severity=warning", nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Alerts alerts;
    Inhibitor inhibitor(MakeRules(c.rules));
    for (const char* f : c.firing) {
      const TestAlert& a = alerts.Add(f);
      inhibitor.OnFiring(a.fp, a.labels);
    }
    for (const char* r : c.resolved) {
      const TestAlert& a = alerts.Add(r);
      inhibitor.OnResolved(a.fp, a.labels);
    }
    const TestAlert& q = alerts.Add(c.query);
    std::optional<Fingerprint> got = inhibitor.InhibitedBy(q.fp, q.labels);
    if (c.want == nullptr) {
      EXPECT_FALSE(got.has_value()) << "muted by " << got->ToString();
    } else {
      const TestAlert& w = alerts.Add(c.want);
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(*got, w.fp) << got->ToString() << " want " << w.fp.ToString();
    }
  }
}

TEST(InhibitorTest, SameFingerprintNeverMutesItself) {
  // The fingerprint decides, even when the labels given for the query would match only the target side.
  Alerts alerts;
  Inhibitor inhibitor(MakeRules({{R"(severity="critical")", R"(severity="warning")", {}}}));
  const TestAlert& source = alerts.Add("alertname=A,severity=critical");
  const TestAlert& target = alerts.Add("alertname=A,severity=warning");
  inhibitor.OnFiring(source.fp, source.labels);
  EXPECT_FALSE(inhibitor.InhibitedBy(source.fp, target.labels).has_value());
  EXPECT_EQ(inhibitor.InhibitedBy(target.fp, target.labels), source.fp);
}

TEST(InhibitorTest, TiesGoToTheLowestFingerprint) {
  Alerts alerts;
  std::vector<Fingerprint> sources;
  Inhibitor inhibitor(MakeRules({{R"(severity="critical")", R"(severity="warning")", {"cluster"}}}));
  for (int i = 0; i < 20; ++i) {
    const TestAlert& a = alerts.Add("alertname=A" + std::to_string(i) + ",severity=critical,cluster=c1");
    inhibitor.OnFiring(a.fp, a.labels);
    sources.push_back(a.fp);
  }
  const TestAlert& q = alerts.Add("alertname=Slow,severity=warning,cluster=c1");
  EXPECT_EQ(inhibitor.InhibitedBy(q.fp, q.labels), *std::min_element(sources.begin(), sources.end()));
}

TEST(InhibitorTest, CountsSourcesOncePerRule) {
  Alerts alerts;
  Inhibitor inhibitor(MakeRules({{R"(severity="critical")", R"(severity="warning")", {"cluster"}},
                                 {R"(alertname="Down")", R"(severity="info")", {}},
                                 {R"(alertname="Other")", R"(severity="info")", {}}}));
  EXPECT_EQ(inhibitor.rules().size(), 3u);
  EXPECT_EQ(inhibitor.rules()[1].source_matchers[0].value(), "Down");
  const TestAlert& a = alerts.Add("alertname=Down,severity=critical,cluster=c1");
  const TestAlert& w = alerts.Add("alertname=Slow,severity=warning,cluster=c1");
  EXPECT_EQ(inhibitor.sources(), 0u);
  inhibitor.OnFiring(a.fp, a.labels);
  EXPECT_EQ(inhibitor.sources(), 2u);  // rules 0 and 1
  inhibitor.OnFiring(a.fp, a.labels);
  EXPECT_EQ(inhibitor.sources(), 2u);
  inhibitor.OnFiring(w.fp, w.labels);  // a source of no rule
  EXPECT_EQ(inhibitor.sources(), 2u);
  inhibitor.OnResolved(a.fp, a.labels);
  EXPECT_EQ(inhibitor.sources(), 0u);
  inhibitor.OnResolved(a.fp, a.labels);
  EXPECT_EQ(inhibitor.sources(), 0u);
  EXPECT_FALSE(inhibitor.InhibitedBy(w.fp, w.labels).has_value());
}

TEST(InhibitorTest, MovedInhibitorKeepsItsIndex) {
  Alerts alerts;
  Inhibitor first(MakeRules({{R"(severity="critical")", R"(severity="warning")", {}}}));
  const TestAlert& a = alerts.Add("alertname=Down,severity=critical");
  const TestAlert& w = alerts.Add("alertname=Slow,severity=warning");
  first.OnFiring(a.fp, a.labels);
  Inhibitor second(std::move(first));
  EXPECT_EQ(second.InhibitedBy(w.fp, w.labels), a.fp);
  Inhibitor third(std::vector<InhibitRule>{});
  third = std::move(second);
  EXPECT_EQ(third.InhibitedBy(w.fp, w.labels), a.fp);
  EXPECT_EQ(third.sources(), 1u);
}

// Alertmanager's algorithm, directly: per rule, the list of firing alerts matching its source matchers (its
// scache), scanned in fingerprint order for one with the same `equal` values.
class Reference {
 public:
  explicit Reference(const std::vector<InhibitRule>& rules) : rules_(rules), sources_(rules.size()) {}

  void SetFiring(const std::vector<const TestAlert*>& firing) {
    for (size_t r = 0; r < rules_.size(); ++r) {
      sources_[r].clear();
      for (const TestAlert* a : firing) {
        if (MatchesAll(rules_[r].source_matchers, a->labels)) sources_[r].push_back(a);
      }
      std::sort(sources_[r].begin(), sources_[r].end(),
                [](const TestAlert* x, const TestAlert* y) { return x->fp < y->fp; });
    }
  }
  size_t sources() const {
    size_t n = 0;
    for (const auto& s : sources_) n += s.size();
    return n;
  }

  std::optional<Fingerprint> Mutes(const TestAlert& q) const {
    for (size_t r = 0; r < rules_.size(); ++r) {
      const InhibitRule& rule = rules_[r];
      if (!MatchesAll(rule.target_matchers, q.labels)) continue;
      const bool two_sided = MatchesAll(rule.source_matchers, q.labels);
      for (const TestAlert* a : sources_[r]) {
        if (a->fp == q.fp) continue;
        bool equal = true;
        for (const std::string& n : rule.equal) equal = equal && a->labels.Get(n) == q.labels.Get(n);
        if (!equal) continue;
        if (two_sided && MatchesAll(rule.target_matchers, a->labels)) continue;
        return a->fp;
      }
    }
    return std::nullopt;
  }

 private:
  const std::vector<InhibitRule>& rules_;
  std::vector<std::vector<const TestAlert*>> sources_;
};

TEST(InhibitorTest, AgreesWithAlertmanagerOnManyRulesAndAlerts) {
  constexpr int kRules = 100;
  constexpr int kAlerts = 10000;
  const std::vector<std::vector<std::string>> equals = {{}, {"cluster"}, {"cluster", "namespace"}, {"namespace"}};
  std::vector<RuleSpec> specs;
  std::vector<std::string> texts;  // RuleSpec holds pointers
  texts.reserve(2 * kRules);
  for (int i = 0; i < kRules; ++i) {
    std::string a = "A" + std::to_string(i);
    std::string next = "A" + std::to_string((i + 1) % kRules);
    // Rules pre-selected by alertname, by another label, by `name=""` (alerts without the label), and not at all.
    std::string source;
    if (i % 7 == 3) {
      source = R"(severity="critical", zone=~"z[01]")";  // by severity
    } else if (i % 7 == 5) {
      source = R"(zone=~"z[0-2]", severity=~"critical|warning")";  // no equality matcher: always a candidate
    } else if (i % 7 == 6 && i % 2 == 0) {
      source = R"(severity!="info", team="")";  // by team=""
    } else if (i % 7 == 1 && i % 2 == 0) {
      source = R"(alertname=~"A1.*", zone="z1", severity="critical")";  // by zone, the first equality matcher
    } else {
      source = R"(alertname=")" + a + R"(", severity=~"critical|warning")";
    }
    std::string target;
    if (i % 10 == 5) {
      target = R"(severity="info")";  // by severity
    } else if (i % 10 == 7) {
      // By alertname, though another equality matcher comes first; critical and warning a match both sides.
      target =
          (i / 10) % 2 == 0 ? R"(severity=~".+", alertname=")" + a + R"(")" : R"(zone="z0", alertname=")" + a + R"(")";
    } else if (i % 10 == 1) {
      target = R"(namespace="", severity!="critical")";  // by namespace="": alerts without a namespace
    } else if (i % 10 == 3) {
      target = R"(team=~"t[01]", zone!="z4")";  // no equality matcher: always a candidate
    } else if (i % 10 == 9) {
      // By zone, team or cluster: with alertname, severity and namespace, six names, so up to seven candidate lists.
      const char* by[] = {R"(severity=~"warning|info", zone="z2")",
                          R"(severity!="critical", team="t1", zone=~"z[0-3]")", R"(cluster="c0", team!="t0")"};
      target = by[(i / 10) % 3];
    } else {
      target = R"(alertname=")" + next + R"(", severity!="critical")";
    }
    texts.push_back(std::move(source));
    texts.push_back(std::move(target));
  }
  for (int i = 0; i < kRules; ++i) {
    specs.push_back({texts[2 * i].c_str(), texts[2 * i + 1].c_str(), equals[i % equals.size()]});
  }
  const std::vector<InhibitRule> rules = MakeRules(specs);

  std::mt19937_64 rng(20240611);
  auto pick = [&rng](uint64_t n) { return rng() % n; };
  const char* severities[] = {"critical", "warning", "warning", "info"};
  Alerts alerts;
  for (int i = 0; i < kAlerts; ++i) {
    std::string text = "alertname=A" + std::to_string(pick(kRules)) + ",id=" + std::to_string(i) +
                       ",severity=" + severities[pick(4)] + ",zone=z" + std::to_string(pick(5));
    if (pick(6) != 0) text += ",cluster=c" + std::to_string(pick(5));
    if (pick(4) != 0) text += ",namespace=n" + std::to_string(pick(3));
    if (pick(3) != 0) text += ",team=t" + std::to_string(pick(2));
    alerts.Add(text);
  }

  Inhibitor inhibitor(rules);
  Reference reference(rules);
  std::vector<bool> firing(kAlerts, false);
  auto check = [&](const char* phase) {
    SCOPED_TRACE(phase);
    std::vector<const TestAlert*> live;
    for (int i = 0; i < kAlerts; ++i) {
      if (firing[i]) live.push_back(&alerts.all()[i]);
    }
    reference.SetFiring(live);
    EXPECT_EQ(inhibitor.sources(), reference.sources());
    int muted = 0;
    int mismatches = 0;
    for (const TestAlert& q : alerts.all()) {
      std::optional<Fingerprint> want = reference.Mutes(q);
      std::optional<Fingerprint> got = inhibitor.InhibitedBy(q.fp, q.labels);
      muted += want.has_value();
      if (got != want && ++mismatches <= 5) {
        ADD_FAILURE() << q.fp.ToString() << ": got " << (got ? got->ToString() : "none") << ", want "
                      << (want ? want->ToString() : "none");
      }
    }
    EXPECT_EQ(mismatches, 0);
    // The data must exercise both answers.
    EXPECT_GT(muted, kAlerts / 20);
    EXPECT_LT(muted, kAlerts - kAlerts / 20);
  };

  for (int i = 0; i < kAlerts; ++i) {
    const TestAlert& a = alerts.all()[i];
    inhibitor.OnFiring(a.fp, a.labels);
    if (pick(10) == 0) inhibitor.OnFiring(a.fp, a.labels);  // fired again
    firing[i] = true;
  }
  check("all firing");

  for (int i = 0; i < kAlerts; ++i) {
    if (pick(3) != 0) continue;
    const TestAlert& a = alerts.all()[i];
    inhibitor.OnResolved(a.fp, a.labels);
    if (pick(10) == 0) inhibitor.OnResolved(a.fp, a.labels);  // resolved again: ignored
    firing[i] = false;
  }
  check("a third resolved");

  for (int i = 0; i < kAlerts; ++i) {
    const TestAlert& a = alerts.all()[i];
    if (firing[i] ? pick(2) == 0 : pick(2) != 0) {
      if (firing[i]) {
        inhibitor.OnResolved(a.fp, a.labels);
      } else {
        inhibitor.OnFiring(a.fp, a.labels);
      }
      firing[i] = !firing[i];
    }
  }
  check("churn");
}

}  // namespace
}  // namespace incidentd::engine
