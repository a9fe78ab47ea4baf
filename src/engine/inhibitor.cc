#include "engine/inhibitor.h"

#include <algorithm>
#include <array>
#include <functional>
#include <span>
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

// Where, in one side's matchers, the equality matcher the rule is pre-selected by sits: its first `alertname="X"`, else
// its first `name="X"` on any label; -1 when it has none. Only alerts whose value of that label is X (a missing label
// counts as "", so `name=""` selects alerts without it) can match the side.
int IndexMatcher(const std::vector<Matcher>& matchers) {
  int first = -1;
  for (size_t j = 0; j < matchers.size(); ++j) {
    if (matchers[j].type() != MatchType::kEqual) continue;
    if (matchers[j].name() == kAlertname) return static_cast<int>(j);
    if (first < 0) first = static_cast<int>(j);
  }
  return first;
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

// Pre-selection of rules by one side's matchers: each rule with an equality matcher on that side is listed under that
// matcher's label name and value (see IndexMatcher), the others in `always`. An alert's candidates are the rules listed
// under its value of each indexed label name (a missing label is "", which the maps handle like any other value), and
// the `always` ones; every rule is in one list at most, so merging them visits each candidate once. The remaining
// matchers still decide; this only skips rules that cannot match.
//
// Single-threaded, as the Inhibitor: a query uses the mutable scratch below, sized up front so queries never allocate.
struct Inhibitor::Selector {
  using List = std::span<const uint32_t>;
  struct Name {
    std::string name;
    boost::unordered_flat_map<std::string, std::vector<uint32_t>, StringHash, std::equal_to<>> by_value;
  };
  std::vector<Name> names;       // the distinct indexed label names; typically 1 to 3
  std::vector<uint32_t> always;  // rules without an equality matcher on this side
  std::vector<int> skip;         // per rule: its IndexMatcher, which the lookup has already checked
  // Every list ascending, so a merge visits rules in order.

  static constexpr size_t kMaxMerge = 4;  // more candidate lists than this are sorted instead of merged
  mutable std::vector<List> lists;        // one per name, plus `always`
  mutable std::vector<uint32_t> sorted;   // capacity: every rule

  Selector(const std::vector<InhibitRule>& rules, std::vector<Matcher> InhibitRule::*side) : skip(rules.size()) {
    for (uint32_t i = 0; i < rules.size(); ++i) {
      const std::vector<Matcher>& matchers = rules[i].*side;
      skip[i] = IndexMatcher(matchers);
      if (skip[i] < 0) {
        always.push_back(i);
        continue;
      }
      const Matcher& m = matchers[skip[i]];
      auto it = std::find_if(names.begin(), names.end(), [&m](const Name& n) { return n.name == m.name(); });
      if (it == names.end()) it = names.insert(names.end(), Name{m.name(), {}});
      it->by_value[m.value()].push_back(i);
    }
    lists.resize(names.size() + 1);
    sorted.reserve(rules.size());
  }

  // Whether rule i's matchers on this side (`matchers`) match, for a candidate ForEach gave: all but the index one.
  bool Matches(uint32_t i, const std::vector<Matcher>& matchers, const LabelSet& labels) const {
    for (size_t j = 0; j < matchers.size(); ++j) {
      if (static_cast<int>(j) != skip[i] && !matchers[j].Matches(labels.Get(matchers[j].name()))) return false;
    }
    return true;
  }

  // Calls fn(rule index) for the candidate rules of an alert with these labels, in rule order, until fn returns true.
  // Returns whether it did. fn must not call ForEach on this selector (the scratch is shared).
  template <typename Fn>
  bool ForEach(const LabelSet& labels, Fn&& fn) const {
    size_t k = 0;
    for (const Name& n : names) {
      auto it = n.by_value.find(labels.Get(n.name));
      if (it != n.by_value.end()) lists[k++] = it->second;
    }
    if (!always.empty()) lists[k++] = always;
    if (k == 1) {
      for (uint32_t i : lists[0]) {
        if (fn(i)) return true;
      }
      return false;
    }
    if (k <= kMaxMerge) {  // 0, or a few lists: merge by their heads
      std::array<size_t, kMaxMerge> pos{};
      for (;;) {
        size_t best = k;
        for (size_t j = 0; j < k; ++j) {
          if (pos[j] < lists[j].size() && (best == k || lists[j][pos[j]] < lists[best][pos[best]])) best = j;
        }
        if (best == k) return false;
        if (fn(lists[best][pos[best]++])) return true;
      }
    }
    sorted.clear();
    for (size_t j = 0; j < k; ++j) sorted.insert(sorted.end(), lists[j].begin(), lists[j].end());
    std::sort(sorted.begin(), sorted.end());
    for (uint32_t i : sorted) {
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
  by_source_->ForEach(labels, [&](uint32_t i) {
    const InhibitRule& rule = rules_[i];
    if (!by_source_->Matches(i, rule.source_matchers, labels)) return false;
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
  by_source_->ForEach(labels, [&](uint32_t i) {
    const InhibitRule& rule = rules_[i];
    auto& by_equal = index_[i].by_equal;
    if (by_equal.empty() || !by_source_->Matches(i, rule.source_matchers, labels)) return false;
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
  by_target_->ForEach(labels, [&](uint32_t i) {
    const InhibitRule& rule = rules_[i];
    const auto& by_equal = index_[i].by_equal;
    if (by_equal.empty() || !by_target_->Matches(i, rule.target_matchers, labels)) return false;
    auto found = by_equal.find(EqualKey(rule.equal, labels));
    if (found == by_equal.end()) return false;
    // Alertmanager's two-sided exclusion: an alert matching both sides is muted only by a source that does not.
    // Whether this alert matches the source side too matters only for sources matching both, so it is checked then.
    int two_sided = -1;  // not checked yet
    for (const Index::Entry& e : found->second) {
      if (e.fp == fp) continue;
      if (e.matches_target) {
        if (two_sided < 0) two_sided = MatchesAll(rule.source_matchers, labels);
        if (two_sided) continue;
      }
      by = e.fp;
      return true;
    }
    return false;
  });
  return by;
}

const std::vector<InhibitRule>& Inhibitor::rules() const { return rules_; }

size_t Inhibitor::sources() const { return sources_; }

}  // namespace incidentd::engine
