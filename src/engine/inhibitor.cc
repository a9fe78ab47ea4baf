#include "engine/inhibitor.h"

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/container/small_vector.hpp>

namespace incidentd::engine {
namespace {

constexpr std::string_view kAlertname = "alertname";

// The key of an alert's `equal` values: FNV-1a over the values in the rule's `equal` order, each followed by byte
// 0xff (as label.h does for fingerprints), so a missing label hashes as "". Two different value tuples that collide
// would let one mute the other; that is as unlikely as two alerts sharing a fingerprint, which everything already
// assumes never happens, so buckets do not store the values to compare.
uint64_t EqualKey(const std::vector<std::string>& equal, const LabelSet& labels) {
  uint64_t h = Fingerprint::kOffset;
  auto byte = [&h](unsigned char b) { h = (h ^ b) * Fingerprint::kPrime; };
  for (const std::string& name : equal) {
    for (unsigned char c : labels.Get(name)) byte(c);
    byte(0xff);
  }
  return h;
}

// The value X of the first `alertname="X"` matcher, if any: only alerts named X can match these matchers.
const std::string* RequiredAlertname(const std::vector<Matcher>& matchers) {
  for (const Matcher& m : matchers) {
    if (m.type() == MatchType::kEqual && m.name() == kAlertname) return &m.value();
  }
  return nullptr;
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

}  // namespace

// Per rule: hash of the `equal` values -> the firing sources with those values, sorted by fingerprint so the
// answer does not depend on arrival order. Most buckets hold one alert.
struct Inhibitor::Index {
  struct Entry {
    Fingerprint fp;
    bool matches_target;  // the source matches the rule's target side too (for the two-sided exclusion)
  };
  using Bucket = boost::container::small_vector<Entry, 1>;
  boost::unordered_flat_map<uint64_t, Bucket> by_equal;
};

// Pre-selection of rules by one side's matchers: a rule with an `alertname="X"` matcher on that side can match only
// alerts named X (a missing alertname is "", which the map handles like any other value). The full matchers still
// decide; this only skips rules that cannot match.
struct Inhibitor::Selector {
  boost::unordered_flat_map<std::string, std::vector<uint32_t>, StringHash, std::equal_to<>> by_alertname;
  std::vector<uint32_t> rest;  // rules without such a matcher
  // Every list ascending, so a merge visits rules in order.

  Selector(const std::vector<InhibitRule>& rules, std::vector<Matcher> InhibitRule::*side) {
    for (uint32_t i = 0; i < rules.size(); ++i) {
      if (const std::string* name = RequiredAlertname(rules[i].*side)) {
        by_alertname[*name].push_back(i);
      } else {
        rest.push_back(i);
      }
    }
  }

  // Calls fn(rule index) for the candidate rules of an alert with this alertname, in rule order, until fn returns
  // true. Returns whether it did.
  template <typename Fn>
  bool ForEach(std::string_view alertname, Fn&& fn) const {
    static const std::vector<uint32_t> kNone;
    auto it = by_alertname.find(alertname);
    const std::vector<uint32_t>& named = it == by_alertname.end() ? kNone : it->second;
    size_t a = 0;
    size_t b = 0;
    while (a < named.size() || b < rest.size()) {
      uint32_t i = (b == rest.size() || (a < named.size() && named[a] < rest[b])) ? named[a++] : rest[b++];
      if (fn(i)) return true;
    }
    return false;
  }
};

Inhibitor::Inhibitor(std::vector<InhibitRule> rules)
    : rules_(std::move(rules)),
      index_(rules_.size()),
      by_target_(std::make_unique<const Selector>(rules_, &InhibitRule::target_matchers)),
      by_source_(std::make_unique<const Selector>(rules_, &InhibitRule::source_matchers)) {}

Inhibitor::~Inhibitor() = default;
Inhibitor::Inhibitor(Inhibitor&&) noexcept = default;
Inhibitor& Inhibitor::operator=(Inhibitor&&) noexcept = default;

void Inhibitor::OnFiring(Fingerprint fp, const LabelSet& labels) {
  by_source_->ForEach(labels.Get(kAlertname), [&](uint32_t i) {
    const InhibitRule& rule = rules_[i];
    if (!MatchesAll(rule.source_matchers, labels)) return false;
    Index::Bucket& bucket = index_[i].by_equal[EqualKey(rule.equal, labels)];
    auto it = std::lower_bound(bucket.begin(), bucket.end(), fp,
                               [](const Index::Entry& e, Fingerprint f) { return e.fp < f; });
    if (it != bucket.end() && it->fp == fp) return false;  // already a source of this rule
    bucket.insert(it, Index::Entry{fp, MatchesAll(rule.target_matchers, labels)});
    ++sources_;
    return false;
  });
}

void Inhibitor::OnResolved(Fingerprint fp, const LabelSet& labels) {
  by_source_->ForEach(labels.Get(kAlertname), [&](uint32_t i) {
    const InhibitRule& rule = rules_[i];
    auto& by_equal = index_[i].by_equal;
    if (by_equal.empty() || !MatchesAll(rule.source_matchers, labels)) return false;
    auto found = by_equal.find(EqualKey(rule.equal, labels));
    if (found == by_equal.end()) return false;
    Index::Bucket& bucket = found->second;
    auto it = std::lower_bound(bucket.begin(), bucket.end(), fp,
                               [](const Index::Entry& e, Fingerprint f) { return e.fp < f; });
    if (it == bucket.end() || it->fp != fp) return false;
    bucket.erase(it);
    --sources_;
    if (bucket.empty()) by_equal.erase(found);
    return false;
  });
}

std::optional<Fingerprint> Inhibitor::InhibitedBy(Fingerprint fp, const LabelSet& labels) const {
  std::optional<Fingerprint> by;
  by_target_->ForEach(labels.Get(kAlertname), [&](uint32_t i) {
    const InhibitRule& rule = rules_[i];
    const auto& by_equal = index_[i].by_equal;
    if (by_equal.empty() || !MatchesAll(rule.target_matchers, labels)) return false;
    auto found = by_equal.find(EqualKey(rule.equal, labels));
    if (found == by_equal.end()) return false;
    // Alertmanager's two-sided exclusion: an alert matching both sides is muted only by a source that does not.
    const bool two_sided = MatchesAll(rule.source_matchers, labels);
    for (const Index::Entry& e : found->second) {
      if (e.fp != fp && !(two_sided && e.matches_target)) {
        by = e.fp;
        return true;
      }
    }
    return false;
  });
  return by;
}

const std::vector<InhibitRule>& Inhibitor::rules() const { return rules_; }

size_t Inhibitor::sources() const { return sources_; }

}  // namespace incidentd::engine
