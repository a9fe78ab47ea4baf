#include "api/silences_api.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace incidentd::api {
namespace {

using engine::Matcher;
using engine::MatchType;
using engine::Silence;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;

const Time kT0 = FromUnixNanos(1'780'000'000'000'000'000LL);  // 2026-05-28T20:26:40Z

std::vector<Matcher> Ms(std::string_view text) {
  Result<std::vector<Matcher>> m = Matcher::ParseList(text);
  EXPECT_TRUE(m.ok()) << text << ": " << m.status().message();
  return m.ok() ? *m : std::vector<Matcher>{};
}

std::vector<std::string> Strings(const std::vector<Matcher>& ms) {
  std::vector<std::string> out;
  for (const Matcher& m : ms) out.push_back(m.ToString());
  return out;
}

// The "id" of each object in a RenderSilences answer, in order.
std::vector<std::string> Ids(const std::string& json) {
  std::vector<std::string> out;
  const std::string key = R"({"id":")";
  for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
    size_t begin = at + key.size();
    out.push_back(json.substr(begin, json.find('"', begin) - begin));
  }
  return out;
}

TEST(SilencesApiTest, ParsesTheBodyAlertmanagersUiSends) {
  // The shape the Alertmanager UI and amtool post: id null for a new silence, times with milliseconds.
  const char* body = R"({
    "matchers": [
      {"name": "service", "value": "rancher", "isRegex": false, "isEqual": true},
      {"name": "alertname", "value": "Target.*", "isRegex": true, "isEqual": false}
    ],
    "startsAt": "2026-05-28T20:26:40.656Z",
    "endsAt": "2026-05-28T22:26:40.656+02:00",
    "createdBy": "Casey",
    "comment": "false positive \u00e9",
    "id": null,
    "status": {"state": "active"}
  })";
  Result<Silence> s = ParsePostableSilence(body);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->id, "");
  EXPECT_EQ(Strings(s->matchers), (std::vector<std::string>{R"(service="rancher")", R"(alertname!~"Target.*")"}));
  EXPECT_EQ(s->starts_at, kT0 + milliseconds(656));
  EXPECT_EQ(s->ends_at, kT0 + milliseconds(656));  // +02:00
  EXPECT_EQ(s->created_by, "Casey");
  EXPECT_EQ(s->comment, "false positive \xc3\xa9");
  EXPECT_EQ(s->updated_at, Time{});
}

TEST(SilencesApiTest, MatcherFlagsGiveTheType) {
  struct Case {
    const char* flags;
    MatchType want;
  };
  const Case cases[] = {
      {R"("isRegex": false, "isEqual": true)", MatchType::kEqual},
      {R"("isRegex": false, "isEqual": false)", MatchType::kNotEqual},
      {R"("isRegex": true, "isEqual": true)", MatchType::kRegexp},
      {R"("isRegex": true, "isEqual": false)", MatchType::kNotRegexp},
      {R"("isRegex": false)", MatchType::kEqual},  // isEqual defaults to true
      {R"("isRegex": true, "isEqual": null)", MatchType::kRegexp},
  };
  for (const Case& c : cases) {
    std::string body = std::string(R"({"id": "x", "matchers": [{"name": "a", "value": "b", )") + c.flags +
                       R"(}], "startsAt": "2026-05-28T20:26:40Z", "endsAt": "2026-05-28T21:26:40Z",
                           "createdBy": "", "comment": ""})";
    Result<Silence> s = ParsePostableSilence(body);
    ASSERT_TRUE(s.ok()) << c.flags << ": " << s.status().message();
    EXPECT_EQ(s->id, "x");
    ASSERT_EQ(s->matchers.size(), 1u);
    EXPECT_EQ(s->matchers[0].type(), c.want) << c.flags;
  }
}

TEST(SilencesApiTest, ErrorsNameTheField) {
  const std::string times = R"("startsAt": "2026-05-28T20:26:40Z", "endsAt": "2026-05-28T21:26:40Z")";
  const std::string people = R"("createdBy": "me", "comment": "c")";
  const std::string one = R"("matchers": [{"name": "job", "value": "api", "isRegex": false}])";
  struct Case {
    std::string body;
    const char* want;
  };
  const Case cases[] = {
      {"[]", "silence: must be a JSON object"},
      {R"({"id": 5, )" + one + ", " + times + ", " + people + "}", "id: must be a string"},
      {"{" + times + ", " + people + "}", "matchers: required"},
      {R"({"matchers": null, )" + times + ", " + people + "}", "matchers: required"},
      {R"({"matchers": {}, )" + times + ", " + people + "}", "matchers: must be an array"},
      {R"({"matchers": [1], )" + times + ", " + people + "}", "matchers[0]: must be an object"},
      {R"({"matchers": [{"name": "a", "value": "1", "isRegex": false}, {"name": "b", "isRegex": false}], )" + times +
           ", " + people + "}",
       "matchers[1].value: required"},
      {R"({"matchers": [{"value": "1", "isRegex": false}], )" + times + ", " + people + "}",
       "matchers[0].name: required"},
      {R"({"matchers": [{"name": "a", "value": 1, "isRegex": false}], )" + times + ", " + people + "}",
       "matchers[0].value: must be a string"},
      {R"({"matchers": [{"name": "a", "value": "1"}], )" + times + ", " + people + "}",
       "matchers[0].isRegex: required"},
      {R"({"matchers": [{"name": "a", "value": "1", "isRegex": "false"}], )" + times + ", " + people + "}",
       "matchers[0].isRegex: must be a boolean"},
      {R"({"matchers": [{"name": "a", "value": "1", "isRegex": false, "isEqual": 1}], )" + times + ", " + people + "}",
       "matchers[0].isEqual: must be a boolean"},
      {R"({"matchers": [{"name": "a-b", "value": "1", "isRegex": false}], )" + times + ", " + people + "}",
       "matchers[0].name: invalid label name 'a-b'"},
      {R"({"matchers": [{"name": "a", "value": "(", "isRegex": true}], )" + times + ", " + people + "}",
       "matchers[0].value: invalid regex: missing ): ("},
      {"{" + one + R"(, "endsAt": "2026-05-28T21:26:40Z", )" + people + "}", "startsAt: required"},
      {"{" + one + R"(, "startsAt": "yesterday", "endsAt": "2026-05-28T21:26:40Z", )" + people + "}",
       "startsAt: not an RFC 3339 time"},
      {"{" + one + R"(, "startsAt": 1780000000, "endsAt": "2026-05-28T21:26:40Z", )" + people + "}",
       "startsAt: must be a string"},
      {"{" + one + R"(, "startsAt": "2026-05-28T20:26:40Z", )" + people + "}", "endsAt: required"},
      {"{" + one + R"(, "startsAt": "2026-05-28T20:26:40Z", "endsAt": "2026-02-30T00:00:00Z", )" + people + "}",
       "endsAt: not an RFC 3339 time"},
      {"{" + one + ", " + times + R"(, "comment": "c"})", "createdBy: required"},
      {"{" + one + ", " + times + R"(, "createdBy": "me"})", "comment: required"},
      {"{" + one + ", " + times + R"(, "createdBy": ["me"], "comment": "c"})", "createdBy: must be a string"},
  };
  for (const Case& c : cases) {
    Result<Silence> s = ParsePostableSilence(c.body);
    ASSERT_FALSE(s.ok()) << c.body;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(s.status().message(), c.want) << c.body;
  }
  for (const char* bad : {"", "{", R"({"matchers": [})", "{} {}", "\"\xff\""}) {
    Result<Silence> s = ParsePostableSilence(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(s.status().message().starts_with("malformed JSON: ")) << s.status().message();
  }
}

Silence Example() {
  Silence s;
  s.id = "7b4f0f8e-1a2b-4c3d-8e4f-000000000001";
  s.matchers = Ms(R"(job="api", env!="prod", path=~"/a\d+", team!~"db|\"x\"")");
  s.starts_at = kT0 + milliseconds(123) + microseconds(456);
  s.ends_at = kT0 + hours(1);
  s.updated_at = kT0;
  s.created_by = "me";
  s.comment = "a \"quoted\"\nline";
  return s;
}

TEST(SilencesApiTest, RendersAGettableSilence) {
  EXPECT_EQ(RenderSilence(Example(), kT0 + minutes(1)),
            R"({"id":"7b4f0f8e-1a2b-4c3d-8e4f-000000000001","status":{"state":"active"},)"
            R"("updatedAt":"2026-05-28T20:26:40.000Z","comment":"a \"quoted\"\nline","createdBy":"me",)"
            R"("endsAt":"2026-05-28T21:26:40.000Z","matchers":[)"
            R"({"isEqual":true,"isRegex":false,"name":"job","value":"api"},)"
            R"({"isEqual":false,"isRegex":false,"name":"env","value":"prod"},)"
            R"({"isEqual":true,"isRegex":true,"name":"path","value":"/a\\d+"},)"
            R"({"isEqual":false,"isRegex":true,"name":"team","value":"db|\"x\""}],)"
            R"("startsAt":"2026-05-28T20:26:40.123Z"})");
  EXPECT_NE(RenderSilence(Example(), kT0).find(R"("state":"pending")"), std::string::npos);
  EXPECT_NE(RenderSilence(Example(), kT0 + hours(1)).find(R"("state":"expired")"), std::string::npos);
}

TEST(SilencesApiTest, RenderedSilenceParsesBack) {
  Silence in = Example();
  Result<Silence> out = ParsePostableSilence(RenderSilence(in, kT0));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->id, in.id);
  EXPECT_EQ(Strings(out->matchers), Strings(in.matchers));
  EXPECT_EQ(out->starts_at, kT0 + milliseconds(123));  // printed to the millisecond
  EXPECT_EQ(out->ends_at, in.ends_at);
  EXPECT_EQ(out->created_by, in.created_by);
  EXPECT_EQ(out->comment, in.comment);
}

TEST(SilencesApiTest, ListsInAlertmanagersOrder) {
  const Time now = kT0 + hours(10);
  engine::Silences silences;
  struct Add {
    const char* id;
    Time created;
    Time starts_at;
    Time ends_at;
  };
  const Add adds[] = {
      {"active-late", now, now, now + hours(3)},
      {"active-early", now, now, now + hours(1)},
      {"active-tie-b", now, now, now + hours(2)},
      {"active-tie-a", now, now, now + hours(2)},
      {"pending-late", now, now + hours(2), now + hours(9)},
      {"pending-early", now, now + hours(1), now + hours(9)},
      {"expired-long-ago", kT0, kT0, kT0 + hours(1)},
      {"expired-recently", kT0, kT0, kT0 + hours(9)},
  };
  for (const Add& a : adds) {
    Silence s;
    s.matchers = Ms(R"(job="api")");
    s.starts_at = a.starts_at;
    s.ends_at = a.ends_at;
    ASSERT_TRUE(silences.Upsert(s, a.id, a.created).ok()) << a.id;
  }
  std::string json = RenderSilences(silences, {}, now);
  EXPECT_EQ(Ids(json),
            (std::vector<std::string>{"active-early", "active-tie-a", "active-tie-b", "active-late", "pending-early",
                                      "pending-late", "expired-recently", "expired-long-ago"}));
  EXPECT_EQ(json.front(), '[');
  EXPECT_EQ(json.back(), ']');
  EXPECT_EQ(RenderSilences(engine::Silences(), {}, now), "[]");
}

TEST(SilencesApiTest, FilterKeepsSilencesWrittenWithEachMatcher) {
  engine::Silences silences;
  struct Add {
    const char* id;
    const char* matchers;
  };
  const Add adds[] = {
      {"eq", R"(job="api", env="prod")"},       {"eq-other-env", R"(job="api", env="dev")"}, {"regex", R"(job=~"api")"},
      {"not-equal", R"(job!="api", team="x")"},  // job!="api" alone would match the empty string
      {"other-value", R"(job="api2")"},
  };
  for (const Add& a : adds) {
    Silence s;
    s.matchers = Ms(a.matchers);
    s.starts_at = kT0;
    s.ends_at = kT0 + hours(1);
    ASSERT_TRUE(silences.Upsert(s, a.id, kT0).ok()) << a.id;
  }
  struct Case {
    const char* query;
    std::vector<std::string> want;  // ids, all active and ending together, so in id order
  };
  const Case cases[] = {
      {"", {"eq", "eq-other-env", "not-equal", "other-value", "regex"}},
      {"filter=job%3D%22api%22", {"eq", "eq-other-env"}},
      {"filter=job=api&filter=env=prod", {"eq"}},
      {"filter=%7Bjob%3D%22api%22%2Cenv%3D%22prod%22%7D", {"eq"}},
      {"filter=job%3D~%22api%22", {"regex"}},
      {"filter=job!%3Dapi", {"not-equal"}},
      {"filter=job%3D~%22api.*%22", {}},  // not how any silence was written
      {"filter=team%3D%22%22", {}},
      {"silenced=false&filter=env%3Ddev", {"eq-other-env"}},
  };
  for (const Case& c : cases) {
    Result<std::vector<Matcher>> filter = ParseSilencesQuery(c.query);
    ASSERT_TRUE(filter.ok()) << c.query << ": " << filter.status().message();
    EXPECT_EQ(Ids(RenderSilences(silences, *filter, kT0)), c.want) << c.query;
  }
}

TEST(SilencesApiTest, BadFilterIsAnError) {
  for (const char* q : {"filter=job~x", "filter=%zz", "filter=%7Bjob%3D%22x%22"}) {
    Result<std::vector<Matcher>> f = ParseSilencesQuery(q);
    ASSERT_FALSE(f.ok()) << q;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(f.status().message().starts_with("query parameter filter: ")) << f.status().message();
  }
}

bool LooksLikeUuidV4(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-')) return false;
    if (!dash && !((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return false;
  }
  return id[14] == '4' && std::string_view("89ab").find(id[19]) != std::string_view::npos;
}

TEST(SilencesApiTest, NewSilenceIdsAreDistinctUuidV4s) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(NewSilenceId());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& list : ids) {
    for (const std::string& id : list) {
      EXPECT_TRUE(LooksLikeUuidV4(id)) << id;
      all.insert(id);
    }
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace incidentd::api
