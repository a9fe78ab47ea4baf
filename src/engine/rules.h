// RuleSet: what the rule files say, as the engine uses it — dedup, correlation rules, inhibition rules, escalation
// policies and the names of the receivers. Plain values; config/rule_loader.h builds one from the rule files and
// checks every reference, so the engine can trust a RuleSet it is given (names resolve, indexes are in range).
//
// docs/configuration.md documents the YAML form of every field here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/matcher.h"
#include "incidentd/clock.h"
#include "incidentd/label_set.h"

namespace incidentd::engine {

// P1 (most urgent) .. P5. Stored as its number.
using Priority = uint8_t;
inline constexpr Priority kHighestPriority = 1;
inline constexpr Priority kLowestPriority = 5;
// "P1".."P5".
std::string PriorityName(Priority p);

// A rule's priority: fixed, or taken from a label through a map.
struct PriorityRule {
  bool from_label_set = false;  // false: `fixed` applies
  Priority fixed = 3;           // Default: P3
  std::string from_label;
  std::vector<std::pair<std::string, Priority>> map;  // label value -> priority
  Priority fallback = 3;                              // `default:` when the label is missing or not in the map

  Priority For(const LabelSet& labels) const;
};

// A title like "{{ alertname }} in {{ cluster }}": literal text and label references.
struct TitleTemplate {
  struct Part {
    bool label = false;  // true: text is a label name
    std::string text;
  };
  std::vector<Part> parts;  // empty: the default title (the group labels as name=value, comma-separated)

  // Renders with lookup(label name) -> value (empty when missing).
  template <typename Lookup>
  std::string Render(Lookup&& lookup) const {
    std::string out;
    for (const Part& p : parts) out += p.label ? std::string(lookup(p.text)) : p.text;
    return out;
  }
};

struct CorrelationRule {
  std::string name;                   // unique across all rule files
  std::vector<Matcher> match;         // all must hold; empty matches every alert
  std::vector<std::string> group_by;  // label names, sorted and unique
  bool group_by_all = false;          // `group_by: [...]`: every label, one group per distinct label set
  Duration group_wait = std::chrono::seconds(30);
  Duration group_interval = std::chrono::minutes(5);
  Duration repeat_interval = std::chrono::hours(4);
  Duration reopen_window = std::chrono::minutes(5);  // 0: a resolved incident never reopens
  PriorityRule priority;
  TitleTemplate title;
  std::string policy;  // escalation policy name; empty: none (the incident pages no one)
  bool continue_matching = false;
  std::string origin;  // "file:line" of the rule, for logs and the API
};

// Alertmanager's inhibit_rules entry: a firing source alert mutes the target alerts that have the same values
// (a missing label counts as "") for every `equal` label. An alert matching both sides is not muted by an alert
// that also matches both.
struct InhibitRule {
  std::vector<Matcher> source_matchers;
  std::vector<Matcher> target_matchers;
  std::vector<std::string> equal;  // sorted, unique
  std::string origin;              // "file:line"
};

struct EscalationStep {
  std::vector<std::string> notify;                 // receiver names
  Duration ack_timeout = std::chrono::minutes(5);  // before the next step
};

struct Policy {
  std::string name;
  std::vector<EscalationStep> steps;  // at least one
  int repeat = 0;                     // times the steps run again while unacknowledged
  std::vector<std::string> inform;    // receivers told of state changes, never paged
};

// A receiver as the engine sees it: a name to address notifications to. Its type and settings belong to the pagers.
struct ReceiverRef {
  std::string name;
  std::string type;  // pagerduty, opsgenie, webhook, slack
};

struct RuleSet {
  std::vector<std::string> dedup_ignore_labels;  // sorted, unique; left out of the fingerprint
  std::vector<CorrelationRule> correlations;     // in file order, files in path order
  std::vector<InhibitRule> inhibit;
  std::vector<Policy> policies;
  std::vector<ReceiverRef> receivers;

  const Policy* FindPolicy(std::string_view name) const;
};

}  // namespace incidentd::engine
