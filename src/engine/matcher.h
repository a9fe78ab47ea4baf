// Matcher: one label matcher in Alertmanager's syntax — name="value", name!="value", name=~"regex", name!~"regex".
//
// Regexes are RE2 and fully anchored, as in Alertmanager: `job=~"api|web"` matches "api" but not "api-2". A label an
// alert does not have matches as the empty string, so `team=""` selects alerts without a team label.
//
// Thread rule: immutable after Parse; Matches is safe for concurrent use.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "incidentd/label_set.h"
#include "incidentd/status.h"

namespace re2 {
class RE2;
}

namespace incidentd::engine {

enum class MatchType { kEqual, kNotEqual, kRegexp, kNotRegexp };

class Matcher {
 public:
  // Parses `name="value"` (also name=value without quotes, as Alertmanager accepts). Errors say what is wrong and
  // where: "matcher 'job~x': expected one of =, !=, =~, !~ after the label name".
  static Result<Matcher> Parse(std::string_view text);
  // Parses a list: `{a="1",b=~"2"}` or `a="1", b=~"2"`.
  static Result<std::vector<Matcher>> ParseList(std::string_view text);
  // Builds a matcher from its parts (the JSON form of silences); errors name a bad label name or regex.
  static Result<Matcher> Make(std::string name, MatchType type, std::string value);

  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  MatchType type() const { return type_; }
  bool Matches(std::string_view value) const;
  // The matcher as Alertmanager prints it: name="value" with escapes.
  std::string ToString() const;

 private:
  Status Compile();

  std::string name_;
  std::string value_;
  MatchType type_ = MatchType::kEqual;
  std::shared_ptr<const re2::RE2> re_;  // for the regex types
};

// True when every matcher matches the set's labels.
bool MatchesAll(std::span<const Matcher> matchers, const LabelSet& labels);

}  // namespace incidentd::engine
