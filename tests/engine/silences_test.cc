#include "engine/silences.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace incidentd::engine {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::nanoseconds;

const Time kT0 = FromUnixNanos(1'780'000'000'000'000'000LL);

std::vector<Matcher> Ms(std::string_view text) {
  Result<std::vector<Matcher>> m = Matcher::ParseList(text);
  EXPECT_TRUE(m.ok()) << text << ": " << m.status().message();
  return m.ok() ? *m : std::vector<Matcher>{};
}

Silence Make(std::string_view matchers, Time starts_at, Time ends_at, std::string id = "") {
  Silence s;
  s.id = std::move(id);
  s.matchers = Ms(matchers);
  s.starts_at = starts_at;
  s.ends_at = ends_at;
  s.created_by = "me";
  s.comment = "c";
  return s;
}

std::vector<std::string> Strings(const std::vector<Matcher>& ms) {
  std::vector<std::string> out;
  for (const Matcher& m : ms) out.push_back(m.ToString());
  return out;
}

TEST(SilencesTest, StateAtEachBoundary) {
  Silence s = Make(R"(job="api")", kT0, kT0 + hours(1));
  struct Case {
    Time now;
    SilenceState want;
  };
  const Case cases[] = {
      {kT0 - nanoseconds(1), SilenceState::kPending},
      {kT0, SilenceState::kActive},
      {kT0 + hours(1) - nanoseconds(1), SilenceState::kActive},
      {kT0 + hours(1), SilenceState::kExpired},
      {kT0 + hours(2), SilenceState::kExpired},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(StateAt(s, c.now), c.want) << ToUnixNanos(c.now) - ToUnixNanos(kT0);
  }
  EXPECT_EQ(SilenceStateName(SilenceState::kPending), "pending");
  EXPECT_EQ(SilenceStateName(SilenceState::kActive), "active");
  EXPECT_EQ(SilenceStateName(SilenceState::kExpired), "expired");
}

TEST(SilencesTest, UpsertValidates) {
  struct Case {
    const char* name;
    const char* matchers;
    Time starts_at;
    Time ends_at;
    const char* id;
    StatusCode code;
    const char* want;  // nullptr: accepted
  };
  const Time now = kT0;
  const Case cases[] = {
      {"no matchers", "", now, now + hours(1), "", StatusCode::kInvalidArgument,
       "matchers: at least one matcher is required"},
      {"only empty equal", R"(team="")", now, now + hours(1), "", StatusCode::kInvalidArgument,
       "matchers: at least one matcher must not match the empty string"},
      {"only dot-star", R"(job=~".*")", now, now + hours(1), "", StatusCode::kInvalidArgument,
       "matchers: at least one matcher must not match the empty string"},
      {"negative matches empty", R"(team="", job!="x")", now, now + hours(1), "", StatusCode::kInvalidArgument,
       "matchers: at least one matcher must not match the empty string"},
      {"ends at start", R"(job="api")", now + hours(1), now + hours(1), "", StatusCode::kInvalidArgument,
       "endsAt: must be after startsAt"},
      {"ends before start", R"(job="api")", now + hours(2), now + hours(1), "", StatusCode::kInvalidArgument,
       "endsAt: must be after startsAt"},
      {"ends in the past", R"(job="api")", now - hours(2), now - nanoseconds(1), "", StatusCode::kInvalidArgument,
       "endsAt: must not be in the past"},
      {"unknown id", R"(job="api")", now, now + hours(1), "nope", StatusCode::kNotFound, "silence nope not found"},
      {"one empty one not", R"(team="", job="api")", now, now + hours(1), "", StatusCode::kOk, nullptr},
      {"negative regex not matching empty", R"(job!~"")", now, now + hours(1), "", StatusCode::kOk, nullptr},
      {"ends exactly now", R"(job="api")", now - hours(1), now, "", StatusCode::kOk, nullptr},
  };
  for (const Case& c : cases) {
    Silences silences;
    Result<std::string> id = silences.Upsert(Make(c.matchers, c.starts_at, c.ends_at, c.id), "new", now);
    if (c.want == nullptr) {
      EXPECT_TRUE(id.ok()) << c.name << ": " << id.status().message();
      EXPECT_EQ(silences.size(), 1u) << c.name;
      continue;
    }
    ASSERT_FALSE(id.ok()) << c.name;
    EXPECT_EQ(id.status().code(), c.code) << c.name;
    EXPECT_EQ(id.status().message(), c.want) << c.name;
    EXPECT_EQ(silences.size(), 0u) << c.name;
  }
}

TEST(SilencesTest, NewSilenceStartsNoEarlierThanNow) {
  Silences silences;
  Result<std::string> a = silences.Upsert(Make(R"(job="a")", kT0 - hours(1), kT0 + hours(1)), "a", kT0);
  Result<std::string> b = silences.Upsert(Make(R"(job="b")", kT0 + hours(1), kT0 + hours(2)), "b", kT0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, "a");
  const Silence* sa = silences.Find("a");
  const Silence* sb = silences.Find("b");
  ASSERT_TRUE(sa && sb);
  EXPECT_EQ(sa->starts_at, kT0);
  EXPECT_EQ(sa->updated_at, kT0);
  EXPECT_EQ(sb->starts_at, kT0 + hours(1));
  EXPECT_EQ(sa->created_by, "me");
  EXPECT_EQ(silences.Find("c"), nullptr);
}

TEST(SilencesTest, UpdateInPlaceOrExpireAndReplace) {
  // The existing silence "old" is {job="api"} from kT0+1h to kT0+3h, created at kT0.
  const Time start = kT0 + hours(1);
  const Time end = kT0 + hours(3);
  struct Case {
    const char* name;
    Time now;
    const char* matchers;
    Time starts_at;
    Time ends_at;
    bool in_place;
    // What the stored silence (in place) or the new one (replaced) holds.
    Time want_start;
    Time want_end;
    // The old one when replaced.
    Time old_start;
    Time old_end;
    Time old_updated;
  };
  const Time pending = kT0 + minutes(30);
  const Time active = kT0 + hours(2);
  const Time expired = kT0 + hours(4);
  const Case cases[] = {
      {"pending, later times",
       pending,
       R"(job="api")",
       start + hours(1),
       end + hours(1),
       true,
       start + hours(1),
       end + hours(1),
       {},
       {},
       {}},
      {"pending, start in the past moves to now", pending, R"(job="api")", kT0, end, true, pending, end, {}, {}, {}},
      {"pending, start now", pending, R"(job="api")", pending, end, true, pending, end, {}, {}, {}},
      {"pending, matcher value changed", pending, R"(job="web")", start, end, false, start, end, pending, pending,
       pending},
      {"pending, matcher type changed", pending, R"(job=~"api")", start, end, false, start, end, pending, pending,
       pending},
      {"active, end extended", active, R"(job="api")", start, end + hours(5), true, start, end + hours(5), {}, {}, {}},
      {"active, end shortened to now", active, R"(job="api")", start, active, true, start, active, {}, {}, {}},
      {"active, start moved earlier", active, R"(job="api")", kT0, end, false, active, end, start, active, active},
      {"active, start moved later", active, R"(job="api")", active + minutes(30), end, false, active + minutes(30), end,
       start, active, active},
      {"active, matcher added", active, R"(job="api", env="prod")", start, end, false, active, end, start, active,
       active},
      {"expired, same matchers", expired, R"(job="api")", start, expired + hours(1), false, expired, expired + hours(1),
       start, end, kT0},
  };
  for (const Case& c : cases) {
    Silences silences;
    ASSERT_TRUE(silences.Upsert(Make(R"(job="api")", start, end), "old", kT0).ok());
    Silence update = Make(c.matchers, c.starts_at, c.ends_at, "old");
    update.comment = "changed";
    Result<std::string> id = silences.Upsert(update, "new", c.now);
    ASSERT_TRUE(id.ok()) << c.name << ": " << id.status().message();
    EXPECT_EQ(*id, c.in_place ? "old" : "new") << c.name;
    EXPECT_EQ(silences.size(), c.in_place ? 1u : 2u) << c.name;
    const Silence* s = silences.Find(*id);
    ASSERT_NE(s, nullptr) << c.name;
    EXPECT_EQ(s->starts_at, c.want_start) << c.name;
    EXPECT_EQ(s->ends_at, c.want_end) << c.name;
    EXPECT_EQ(s->updated_at, c.now) << c.name;
    EXPECT_EQ(s->comment, "changed") << c.name;
    EXPECT_EQ(Strings(s->matchers), Strings(Ms(c.matchers))) << c.name;
    if (c.in_place) continue;
    const Silence* old = silences.Find("old");
    ASSERT_NE(old, nullptr) << c.name;
    EXPECT_EQ(old->starts_at, c.old_start) << c.name;
    EXPECT_EQ(old->ends_at, c.old_end) << c.name;
    EXPECT_EQ(old->updated_at, c.old_updated) << c.name;
    EXPECT_EQ(old->comment, "c") << c.name;
    EXPECT_EQ(StateAt(*old, c.now), SilenceState::kExpired) << c.name;
  }
}

TEST(SilencesTest, MatcherOrderMattersForUpdates) {
  Silences silences;
  ASSERT_TRUE(silences.Upsert(Make(R"(a="1", b="2")", kT0, kT0 + hours(1)), "old", kT0).ok());
  Result<std::string> id = silences.Upsert(Make(R"(b="2", a="1")", kT0, kT0 + hours(2), "old"), "new", kT0);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "new");
}

TEST(SilencesTest, FailedUpsertChangesNothing) {
  Silences silences;
  ASSERT_TRUE(silences.Upsert(Make(R"(job="api")", kT0, kT0 + hours(1)), "a", kT0).ok());
  ASSERT_TRUE(silences.Upsert(Make(R"(job="web")", kT0, kT0 + hours(1)), "b", kT0).ok());
  const Time now = kT0 + minutes(1);
  // Replacing "a" with the id "b" already taken: refused before "a" is expired.
  Result<std::string> id = silences.Upsert(Make(R"(job="db")", kT0, kT0 + hours(1), "a"), "b", now);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(silences.Find("a")->ends_at, kT0 + hours(1));
  id = silences.Upsert(Make(R"(job="db")", kT0, kT0 + hours(1), "a"), "", now);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(silences.Find("a")->ends_at, kT0 + hours(1));
  id = silences.Upsert(Make(R"(job="api")", kT0, kT0, "a"), "c", now);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(silences.Find("a")->updated_at, kT0);
  EXPECT_EQ(silences.size(), 2u);
}

TEST(SilencesTest, Expire) {
  struct Case {
    const char* name;
    const char* id;
    Time now;
    StatusCode code;
    const char* message;
    Time want_start;
    Time want_end;
  };
  const Time start = kT0 + hours(1);
  const Time end = kT0 + hours(2);
  const Case cases[] = {
      {"unknown", "nope", kT0, StatusCode::kNotFound, "silence nope not found", start, end},
      {"pending", "s", kT0 + minutes(1), StatusCode::kOk, "", kT0 + minutes(1), kT0 + minutes(1)},
      {"active at its start", "s", start, StatusCode::kOk, "", start, start},
      {"active", "s", start + minutes(1), StatusCode::kOk, "", start, start + minutes(1)},
      {"expired at its end", "s", end, StatusCode::kInvalidArgument, "silence already expired", start, end},
      {"expired", "s", end + hours(1), StatusCode::kInvalidArgument, "silence already expired", start, end},
  };
  for (const Case& c : cases) {
    Silences silences;
    ASSERT_TRUE(silences.Upsert(Make(R"(job="api")", start, end), "s", kT0).ok());
    Status st = silences.Expire(c.id, c.now);
    EXPECT_EQ(st.code(), c.code) << c.name;
    EXPECT_EQ(st.message(), c.message) << c.name;
    const Silence* s = silences.Find("s");
    EXPECT_EQ(s->starts_at, c.want_start) << c.name;
    EXPECT_EQ(s->ends_at, c.want_end) << c.name;
    EXPECT_EQ(s->updated_at, st.ok() ? c.now : kT0) << c.name;
    if (st.code() != StatusCode::kNotFound) {
      EXPECT_EQ(StateAt(*s, c.now), SilenceState::kExpired) << c.name;
    }
  }
}

class MutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add("1-api", R"(job="api")", kT0, kT0 + hours(1));
    Add("2-regex", R"(job=~"api|web", env!="prod")", kT0, kT0 + hours(1));
    Add("3-not-db", R"(job!~"db.*", severity="page")", kT0, kT0 + hours(1));
    Add("4-pending", R"(job="api")", kT0 + hours(1), kT0 + hours(2));
    Add("5-expired", R"(job="api")", kT0 - hours(1), kT0 + minutes(1));
    ASSERT_TRUE(silences_.Expire("5-expired", kT0 + nanoseconds(1)).ok());
  }
  void Add(const char* id, const char* matchers, Time start, Time end) {
    ASSERT_TRUE(silences_.Upsert(Make(matchers, start, end), id, kT0 - hours(1)).ok()) << id;
  }
  std::vector<std::string> Mutes(std::vector<Label> labels, Time now) {
    std::sort(labels.begin(), labels.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
    LabelSet set = symbols_.Build(labels);
    std::vector<std::string_view> ids = {"pre"};
    silences_.Mutes(set, now, &ids);
    EXPECT_EQ(silences_.Muted(set, now), ids.size() > 1);
    symbols_.Release(set);
    EXPECT_EQ(ids.front(), "pre");  // appended, not replaced
    return std::vector<std::string>(ids.begin() + 1, ids.end());
  }

  SymbolTable symbols_;
  Silences silences_;
};

TEST_F(MutesTest, ActiveSilencesOnly) {
  using V = std::vector<std::string>;
  const Time now = kT0 + minutes(10);
  EXPECT_EQ(Mutes({{"job", "api"}}, now), (V{"1-api", "2-regex"}));
  EXPECT_EQ(Mutes({{"job", "api"}, {"env", "prod"}}, now), (V{"1-api"}));
  EXPECT_EQ(Mutes({{"job", "web"}, {"env", "dev"}}, now), (V{"2-regex"}));
  EXPECT_EQ(Mutes({{"job", "web-2"}}, now), (V{}));  // regexes are anchored
  EXPECT_EQ(Mutes({{"job", "web"}, {"severity", "page"}}, now), (V{"2-regex", "3-not-db"}));
  EXPECT_EQ(Mutes({{"job", "db-1"}, {"severity", "page"}}, now), (V{}));
  EXPECT_EQ(Mutes({{"severity", "page"}}, now), (V{"3-not-db"}));  // no job: "" is not db.*
  EXPECT_EQ(Mutes({{"alertname", "X"}}, now), (V{}));
  // Just before kT0 only "5-expired" was active; "4-pending" starts at kT0+1h.
  EXPECT_EQ(Mutes({{"job", "api"}}, kT0 - nanoseconds(1)), (V{"5-expired"}));
  EXPECT_EQ(Mutes({{"job", "api"}}, kT0 + hours(1)), (V{"4-pending"}));
  EXPECT_EQ(Mutes({{"job", "api"}}, kT0 + hours(2)), (V{}));
  EXPECT_EQ(silences_.active(now), 3u);
  EXPECT_EQ(silences_.active(kT0 + hours(1)), 1u);
}

TEST(SilencesTest, ForEachInIdOrder) {
  Silences silences;
  for (const char* id : {"c", "a", "b"}) {
    ASSERT_TRUE(silences.Upsert(Make(R"(job="api")", kT0, kT0 + hours(1)), id, kT0).ok());
  }
  std::string order;
  silences.ForEach([&](const Silence& s) { order += s.id; });
  EXPECT_EQ(order, "abc");
}

TEST(SilencesTest, CollectAfterRetention) {
  struct Case {
    Duration after_end;  // now - endsAt of the expired silence
    size_t want;         // silences left of {expired, active}
  };
  const Duration retention = hours(120);
  const Case cases[] = {
      {Duration(0), 2},
      {retention - nanoseconds(1), 2},
      {retention, 1},
      {retention + hours(1), 1},
  };
  for (const Case& c : cases) {
    Silences silences(SilencesOptions{retention});
    const Time end = kT0 + hours(1);
    ASSERT_TRUE(silences.Upsert(Make(R"(job="a")", kT0, end), "expired", kT0).ok());
    ASSERT_TRUE(silences.Upsert(Make(R"(job="b")", kT0, end + hours(1000)), "active", kT0).ok());
    silences.Collect(end + c.after_end);
    EXPECT_EQ(silences.size(), c.want) << c.after_end.count();
    EXPECT_NE(silences.Find("active"), nullptr);
  }
  Silences short_lived(SilencesOptions{minutes(5)});
  ASSERT_TRUE(short_lived.Upsert(Make(R"(job="a")", kT0, kT0 + hours(1)), "s", kT0).ok());
  ASSERT_TRUE(short_lived.Expire("s", kT0 + minutes(1)).ok());
  short_lived.Collect(kT0 + minutes(5));
  EXPECT_EQ(short_lived.size(), 1u);
  short_lived.Collect(kT0 + minutes(6));
  EXPECT_EQ(short_lived.size(), 0u);
}

}  // namespace
}  // namespace incidentd::engine
