#include "engine/matcher.h"

#include <re2/re2.h>

namespace incidentd::engine {
namespace {

bool NameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

Status Error(std::string_view text, const std::string& what) {
  return Status::Invalid("matcher '" + std::string(text) + "': " + what);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<Matcher> Matcher::Parse(std::string_view text) {
  std::string_view s = Trim(text);
  size_t i = 0;
  while (i < s.size() && NameChar(s[i], i == 0)) ++i;
  if (i == 0) return Error(text, "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)");
  Matcher m;
  m.name_ = std::string(s.substr(0, i));
  s.remove_prefix(i);
  s = Trim(s);
  if (s.starts_with("=~")) {
    m.type_ = MatchType::kRegexp;
  } else if (s.starts_with("!~")) {
    m.type_ = MatchType::kNotRegexp;
  } else if (s.starts_with("!=")) {
    m.type_ = MatchType::kNotEqual;
  } else if (s.starts_with("=")) {
    m.type_ = MatchType::kEqual;
  } else {
    return Error(text, "expected one of =, !=, =~, !~ after the label name");
  }
  s.remove_prefix(m.type_ == MatchType::kEqual ? 1 : 2);
  s = Trim(s);
  if (!s.empty() && s.front() == '"') {
    std::string v;
    size_t j = 1;
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] != '\\') {
        v.push_back(s[j]);
        continue;
      }
      if (++j >= s.size()) break;
      switch (s[j]) {
        case 'n':
          v.push_back('\n');
          break;
        case '"':
        case '\\':
          v.push_back(s[j]);
          break;
        default:  // kept as written, so regex escapes like \d survive
          v.push_back('\\');
          v.push_back(s[j]);
      }
    }
    if (j >= s.size()) return Error(text, "unterminated quoted value");
    if (!Trim(s.substr(j + 1)).empty()) return Error(text, "unexpected text after the quoted value");
    m.value_ = std::move(v);
  } else {
    m.value_ = std::string(s);
  }
  Status st = m.Compile();
  if (!st.ok()) return Error(text, st.message());
  return m;
}

Status Matcher::Compile() {
  if (type_ != MatchType::kRegexp && type_ != MatchType::kNotRegexp) return Status::Ok();
  RE2::Options options;
  options.set_log_errors(false);
  // Matches uses RE2::FullMatch, which anchors at both ends: Alertmanager's ^(?:…)$ without rewriting the pattern.
  auto re = std::make_shared<const RE2>(value_, options);
  if (!re->ok()) return Status::Invalid("invalid regex: " + re->error());
  re_ = std::move(re);
  return Status::Ok();
}

Result<Matcher> Matcher::Make(std::string name, MatchType type, std::string value) {
  if (name.empty() || !NameChar(name[0], true)) return Status::Invalid("invalid label name '" + name + "'");
  for (char c : name) {
    if (!NameChar(c, false)) return Status::Invalid("invalid label name '" + name + "'");
  }
  Matcher m;
  m.name_ = std::move(name);
  m.type_ = type;
  m.value_ = std::move(value);
  Status st = m.Compile();
  if (!st.ok()) return st;
  return m;
}

Result<std::vector<Matcher>> Matcher::ParseList(std::string_view text) {
  std::string_view s = Trim(text);
  if (s.starts_with("{")) {
    if (!s.ends_with("}")) return Error(text, "missing closing '}'");
    s = Trim(s.substr(1, s.size() - 2));
  }
  std::vector<Matcher> out;
  while (!s.empty()) {
    // Split at the next comma outside quotes.
    size_t end = 0;
    bool quoted = false;
    for (; end < s.size(); ++end) {
      if (s[end] == '\\' && quoted) {
        ++end;
      } else if (s[end] == '"') {
        quoted = !quoted;
      } else if (s[end] == ',' && !quoted) {
        break;
      }
    }
    Result<Matcher> m = Parse(s.substr(0, end));
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
    s = end < s.size() ? Trim(s.substr(end + 1)) : std::string_view();
  }
  return out;
}

bool Matcher::Matches(std::string_view value) const {
  switch (type_) {
    case MatchType::kEqual:
      return value == value_;
    case MatchType::kNotEqual:
      return value != value_;
    case MatchType::kRegexp:
      return RE2::FullMatch(value, *re_);
    case MatchType::kNotRegexp:
      return !RE2::FullMatch(value, *re_);
  }
  return false;
}

std::string Matcher::ToString() const {
  static constexpr const char* kOps[] = {"=", "!=", "=~", "!~"};
  std::string out = name_ + kOps[static_cast<int>(type_)] + "\"";
  for (char c : value_) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

bool MatchesAll(std::span<const Matcher> matchers, const LabelSet& labels) {
  for (const Matcher& m : matchers) {
    if (!m.Matches(labels.Get(m.name()))) return false;
  }
  return true;
}

}  // namespace incidentd::engine
