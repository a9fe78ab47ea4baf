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
#include "incidentd/incident.h"
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

// Distinct values of one label among firing alerts: "at least `count` distinct `label` values".
struct DistinctCount {
  std::string label;  // empty: no such condition
  uint32_t count = 0;
};

// When an incident is declared major. Any condition that holds declares it; a major incident stays major.
struct MajorRule {
  bool set = false;                      // false: no conditions (the rule falls back to the global `major:`)
  Priority priority = 0;                 // the incident's priority is this or more urgent; 0: no such condition
  uint32_t min_alerts = 0;               // firing alerts, its symptoms' included; 0: no such condition
  DistinctCount min_distinct;            // distinct label values among those alerts
  std::string policy;                    // the escalation policy a major incident uses; empty: keeps its own
  Priority raise_to = kHighestPriority;  // a major incident's priority is at least this. Default: P1

  bool any() const { return priority != 0 || min_alerts != 0 || !min_distinct.label.empty(); }
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
  // Threshold: the group's incident is held (listed, never paged) until this many alerts, or alerts with this many
  // distinct values of a label, have fired within `window` of each other. 0 / empty: no threshold.
  uint32_t min_alerts = 0;
  DistinctCount min_distinct;
  Duration window = std::chrono::minutes(5);
  MajorRule major;     // overrides RuleSet::major when set
  std::string origin;  // "file:line" of the rule, for logs and the API

  bool has_threshold() const { return min_alerts > 0 || !min_distinct.label.empty(); }
  // Toward the threshold: the held alerts (oldest first) that fired within `window` before `newest`, the edge
  // included, or the distinct values among them for min_distinct.
  uint32_t ThresholdCount(const std::vector<HeldAlert>& held, Time newest) const;
};

// Which services depend on which: an alert on a service whose dependency has an open incident joins it as a symptom.
struct Topology {
  struct Service {
    std::string name;
    std::vector<uint32_t> depends_on;  // indexes into services; the graph has no cycle (the loader checks)
  };
  std::string label = "service";               // the label naming an alert's service
  Duration window = std::chrono::minutes(10);  // how long after it opens an incident attracts symptoms
  // How long a symptom that still fires when its root resolves waits for its own recovery before it is released and
  // pages on its own.
  Duration release_after = std::chrono::minutes(5);
  std::vector<Service> services;  // empty: no topology

  bool empty() const { return services.empty(); }
};

// An alert that changes state (resolves, fires again) more than `changes` times within `window` is flapping until
// it has not changed for `quiet`. changes == 0: no flap detection.
struct FlappingRule {
  uint32_t changes = 0;
  Duration window = std::chrono::minutes(10);
  Duration quiet = std::chrono::minutes(15);
};

// A correlation key (a rule's group) whose incidents recur `recurrences` times within `within` is a problem.
// recurrences == 0: no problem tracking.
struct ProblemsRule {
  uint32_t recurrences = 0;
  Duration within = std::chrono::hours(24 * 7);
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
  Topology topology;
  MajorRule major;  // for every rule that sets none of its own
  FlappingRule flapping;
  ProblemsRule problems;

  const Policy* FindPolicy(std::string_view name) const;
  // The correlation rule of that name, looked for at `hint` first (where it was when last used); null if none.
  const CorrelationRule* FindCorrelation(std::string_view name, uint32_t hint) const;
};

}  // namespace incidentd::engine
