#include "engine/matcher.h"

#include <gtest/gtest.h>

namespace incidentd::engine {
namespace {

TEST(MatcherTest, MatchesLikeAlertmanager) {
  struct Case {
    const char* matcher;
    const char* value;  // nullptr: the label is absent
    bool want;
  };
  const Case cases[] = {
      {R"(job="api")", "api", true},
      {R"(job="api")", "api-2", false},
      {R"(job!="api")", "web", true},
      {R"(job!="api")", nullptr, true},
      {R"(job=~"api|web")", "web", true},
      {R"(job=~"api|web")", "api-2", false},  // fully anchored
      {R"(job=~"api.*")", "api-2", true},
      {R"(job!~"api.*")", "api-2", false},
      {R"(team="")", nullptr, true},  // absent matches the empty string
      {R"(team="")", "sre", false},
      {R"(team=~".+")", nullptr, false},
      {"job=api", "api", true},  // unquoted
      {R"( job = "a \"b\" c" )", "a \"b\" c", true},
      {R"(path=~"/a\d+")", "/a12", true},
  };
  for (const Case& c : cases) {
    Result<Matcher> m = Matcher::Parse(c.matcher);
    ASSERT_TRUE(m.ok()) << c.matcher << ": " << m.status().message();
    SymbolTable symbols;
    std::vector<Label> labels = {{"alertname", "X"}};
    if (c.value != nullptr) labels.push_back({m->name(), c.value});
    std::sort(labels.begin(), labels.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
    LabelSet set = symbols.Build(labels);
    EXPECT_EQ(MatchesAll(std::span<const Matcher>(&*m, 1), set), c.want)
        << c.matcher << " on " << (c.value ? c.value : "(absent)");
    symbols.Release(set);
  }
}

TEST(MatcherTest, ErrorsSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {R"(="x")", "matcher '=\"x\"': expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)"},
      {R"(job~"x")", "matcher 'job~\"x\"': expected one of =, !=, =~, !~ after the label name"},
      {R"(job="x)", "matcher 'job=\"x': unterminated quoted value"},
      {R"(job="x"y)", "matcher 'job=\"x\"y': unexpected text after the quoted value"},
      {R"(job=~"(")", "matcher 'job=~\"(\"': invalid regex: missing ): ("},
  };
  for (const Case& c : cases) {
    Result<Matcher> m = Matcher::Parse(c.text);
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_EQ(m.status().message(), c.want);
  }
}

TEST(MatcherTest, ParsesListsAndPrintsBack) {
  Result<std::vector<Matcher>> l = Matcher::ParseList(R"({alertname="Up", job=~"a,b", team!=""})");
  ASSERT_TRUE(l.ok()) << l.status().message();
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[1].value(), "a,b");
  EXPECT_EQ((*l)[1].type(), MatchType::kRegexp);
  EXPECT_EQ((*l)[0].ToString(), R"(alertname="Up")");
  EXPECT_EQ(Matcher::Parse(R"(a="q\"\\")")->ToString(), R"(a="q\"\\")");
  EXPECT_FALSE(Matcher::ParseList(R"({a="1")").ok());
}

}  // namespace
}  // namespace incidentd::engine
