#include "api/silences_api.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>

#include "model/json_writer.h"
#include "model/query_string.h"
#include "model/rfc3339.h"

namespace incidentd::api {
namespace {

using engine::MatchType;
using simdjson::dom::element;
using simdjson::dom::object;

Status FieldError(const std::string& path, std::string_view what) {
  return Status::Invalid(path + ": " + std::string(what));
}

// The member `key` of `obj`, or nullopt when it is missing or null (Go decodes both to a nil pointer).
std::optional<element> Member(object obj, std::string_view key) {
  element e;
  if (obj.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  return e;
}

Status RequiredString(object obj, std::string_view key, const std::string& path, std::string* out) {
  std::optional<element> e = Member(obj, key);
  if (!e) return FieldError(path, "required");
  std::string_view v;
  if (e->get_string().get(v) != simdjson::SUCCESS) return FieldError(path, "must be a string");
  out->assign(v);
  return Status::Ok();
}

Status RequiredTime(object obj, std::string_view key, Time* out) {
  std::string text;
  Status st = RequiredString(obj, key, std::string(key), &text);
  if (!st.ok()) return st;
  std::optional<Time> t = ParseRfc3339(text);
  if (!t) return FieldError(std::string(key), "not an RFC 3339 time");
  *out = *t;
  return Status::Ok();
}

// `isRegex` is required, `isEqual` defaults to true (Alertmanager's matcher model).
Status BoolField(object obj, std::string_view key, const std::string& path, std::optional<bool> fallback, bool* out) {
  std::optional<element> e = Member(obj, key);
  if (!e) {
    if (!fallback) return FieldError(path, "required");
    *out = *fallback;
    return Status::Ok();
  }
  if (e->get_bool().get(*out) != simdjson::SUCCESS) return FieldError(path, "must be a boolean");
  return Status::Ok();
}

Result<engine::Matcher> ParseMatcher(element e, size_t index) {
  const std::string path = "matchers[" + std::to_string(index) + "]";
  object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return FieldError(path, "must be an object");
  std::string name;
  std::string value;
  bool is_regex = false;
  bool is_equal = true;
  Status st = RequiredString(obj, "name", path + ".name", &name);
  if (st.ok()) st = RequiredString(obj, "value", path + ".value", &value);
  if (st.ok()) st = BoolField(obj, "isRegex", path + ".isRegex", std::nullopt, &is_regex);
  if (st.ok()) st = BoolField(obj, "isEqual", path + ".isEqual", true, &is_equal);
  if (!st.ok()) return st;
  // The name first, alone (an equality matcher compiles nothing), so that an error names the part that is wrong.
  Result<engine::Matcher> named = engine::Matcher::Make(name, MatchType::kEqual, "");
  if (!named.ok()) return FieldError(path + ".name", named.status().message());
  MatchType type = is_regex ? (is_equal ? MatchType::kRegexp : MatchType::kNotRegexp)
                            : (is_equal ? MatchType::kEqual : MatchType::kNotEqual);
  Result<engine::Matcher> m = engine::Matcher::Make(std::move(name), type, std::move(value));
  if (!m.ok()) return FieldError(path + ".value", m.status().message());
  return m;
}

void WriteMatcher(JsonWriter& w, const engine::Matcher& m) {
  const bool is_regex = m.type() == MatchType::kRegexp || m.type() == MatchType::kNotRegexp;
  const bool is_equal = m.type() == MatchType::kEqual || m.type() == MatchType::kRegexp;
  w.BeginObject();
  w.Key("isEqual").Bool(is_equal);
  w.Key("isRegex").Bool(is_regex);
  w.Field("name", m.name());
  w.Field("value", m.value());
  w.EndObject();
}

void WriteSilence(JsonWriter& w, const engine::Silence& s, engine::SilenceState state) {
  w.BeginObject();
  w.Field("id", s.id);
  w.Key("status").BeginObject().Field("state", engine::SilenceStateName(state)).EndObject();
  w.Key("updatedAt").TimeMillis(s.updated_at);
  w.Field("comment", s.comment);
  w.Field("createdBy", s.created_by);
  w.Key("endsAt").TimeMillis(s.ends_at);
  w.Key("matchers").BeginArray();
  for (const engine::Matcher& m : s.matchers) WriteMatcher(w, m);
  w.EndArray();
  w.Key("startsAt").TimeMillis(s.starts_at);
  w.EndObject();
}

// Alertmanager's CheckSilenceMatchesFilterLabels.
bool MatchesFilter(const engine::Silence& s, const std::vector<engine::Matcher>& filter) {
  for (const engine::Matcher& f : filter) {
    bool found = std::any_of(s.matchers.begin(), s.matchers.end(), [&](const engine::Matcher& m) {
      return m.name() == f.name() && m.type() == f.type() && m.value() == f.value();
    });
    if (!found) return false;
  }
  return true;
}

int StateRank(engine::SilenceState s) {
  switch (s) {
    case engine::SilenceState::kActive:
      return 0;
    case engine::SilenceState::kPending:
      return 1;
    case engine::SilenceState::kExpired:
      return 2;
  }
  return 3;
}

}  // namespace

Result<engine::Silence> ParsePostableSilence(std::string_view body) {
  simdjson::dom::parser parser;  // silences are posted rarely; a parser per call keeps no memory between them
  simdjson::padded_string padded(body);
  element root;
  if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    return Status::Invalid(std::string("malformed JSON: ") + simdjson::error_message(error));
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return Status::Invalid("silence: must be a JSON object");

  engine::Silence s;
  if (std::optional<element> id = Member(obj, "id")) {
    std::string_view v;
    if (id->get_string().get(v) != simdjson::SUCCESS) return FieldError("id", "must be a string");
    s.id.assign(v);
  }
  std::optional<element> matchers = Member(obj, "matchers");
  if (!matchers) return FieldError("matchers", "required");
  simdjson::dom::array list;
  if (matchers->get_array().get(list) != simdjson::SUCCESS) return FieldError("matchers", "must be an array");
  size_t index = 0;
  for (element e : list) {
    Result<engine::Matcher> m = ParseMatcher(e, index++);
    if (!m.ok()) return m.status();
    s.matchers.push_back(std::move(*m));
  }
  Status st = RequiredTime(obj, "startsAt", &s.starts_at);
  if (st.ok()) st = RequiredTime(obj, "endsAt", &s.ends_at);
  if (st.ok()) st = RequiredString(obj, "createdBy", "createdBy", &s.created_by);
  if (st.ok()) st = RequiredString(obj, "comment", "comment", &s.comment);
  if (!st.ok()) return st;
  return s;
}

std::string RenderSilence(const engine::Silence& s, Time now) {
  std::string out;
  out.reserve(300 + s.matchers.size() * 80 + s.comment.size());
  JsonWriter w(out);
  WriteSilence(w, s, engine::StateAt(s, now));
  return out;
}

Result<std::vector<engine::Matcher>> ParseSilencesQuery(std::string_view query) {
  std::vector<engine::Matcher> filter;
  for (std::string_view raw : QueryParams(query, "filter")) {
    std::string text;
    if (!PercentDecode(raw, &text)) return Status::Invalid("query parameter filter: malformed percent-encoding");
    Result<std::vector<engine::Matcher>> m = engine::Matcher::ParseList(text);
    if (!m.ok()) return Status::Invalid("query parameter filter: " + m.status().message());
    for (auto& one : *m) filter.push_back(std::move(one));
  }
  return filter;
}

std::string RenderSilences(const engine::Silences& silences, const std::vector<engine::Matcher>& filter, Time now) {
  struct Entry {
    const engine::Silence* silence;
    engine::SilenceState state;
  };
  std::vector<Entry> list;
  list.reserve(silences.size());
  silences.ForEach([&](const engine::Silence& s) {
    if (MatchesFilter(s, filter)) list.push_back({&s, engine::StateAt(s, now)});
  });
  // api/v2 SortSilences; ties, which Go's sort.Slice leaves unspecified, go by id.
  std::sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) {
    if (a.state != b.state) return StateRank(a.state) < StateRank(b.state);
    const engine::Silence& x = *a.silence;
    const engine::Silence& y = *b.silence;
    switch (a.state) {
      case engine::SilenceState::kActive:
        if (x.ends_at != y.ends_at) return x.ends_at < y.ends_at;
        break;
      case engine::SilenceState::kPending:
        if (x.starts_at != y.starts_at) return x.starts_at < y.starts_at;
        break;
      case engine::SilenceState::kExpired:
        if (x.ends_at != y.ends_at) return x.ends_at > y.ends_at;
        break;
    }
    return x.id < y.id;
  });
  std::string out;
  out.reserve(list.size() * 400 + 2);
  JsonWriter w(out);
  w.BeginArray();
  for (const Entry& e : list) WriteSilence(w, *e.silence, e.state);
  w.EndArray();
  return out;
}

std::string NewSilenceId() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seed{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seed);
  }();
  uint64_t hi = gen();
  uint64_t lo = gen();
  hi = (hi & ~uint64_t{0xF000}) | uint64_t{0x4000};              // version 4: byte 6's high nibble
  lo = (lo & ~(uint64_t{0xC0} << 56)) | (uint64_t{0x80} << 56);  // variant 10: byte 8's top bits
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  auto append = [&](uint64_t v, int first_nibble, int nibbles) {
    for (int i = first_nibble; i > first_nibble - nibbles; --i) out.push_back(kHex[(v >> (i * 4)) & 0xF]);
  };
  append(hi, 15, 8);
  out.push_back('-');
  append(hi, 7, 4);
  out.push_back('-');
  append(hi, 3, 4);
  out.push_back('-');
  append(lo, 15, 4);
  out.push_back('-');
  append(lo, 11, 12);
  return out;
}

}  // namespace incidentd::api
