// Inhibitor: Alertmanager's inhibition, indexed.
//
// A firing alert matching a rule's source matchers mutes every alert matching its target matchers that has the same
// values (a missing label counts as "") for all of the rule's `equal` labels. An alert that matches both sides of a
// rule is muted only by a source that does not match the target side too (Alertmanager's two-sided exclusion).
//
// The index: per rule, the firing source alerts keyed by a hash of their `equal` values, kept current by OnFiring /
// OnResolved. A query costs, per rule whose target matchers match, one hash lookup. Rules are pre-selected, on each
// side, by one of their equality matchers (`alertname="…"` if they have one, else their first `name="…"`): a query
// looks up the alert's value of each such label name (typically 1–3 names) and evaluates only the rules indexed
// under it, plus the rules without any equality matcher, so 100 rules over a million alerts cost little per alert
// (an alert no rule's index value fits does no per-rule work at all). The engine calls the On*
// hooks on every firing/resolved transition and InhibitedBy when it needs an alert's mute state (at notification time
// and for the API), as Alertmanager evaluates it lazily.
//
// Thread rule: single-threaded (the engine's). Holds no pointers into the alerts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/rules.h"
#include "incidentd/label.h"
#include "incidentd/label_set.h"

namespace incidentd::engine {

class Inhibitor {
 public:
  explicit Inhibitor(std::vector<InhibitRule> rules);
  ~Inhibitor();
  Inhibitor(Inhibitor&&) noexcept;
  Inhibitor& operator=(Inhibitor&&) noexcept;

  // `fp` with `labels` is firing now (new or fired again). Calling it twice for the same alert without OnResolved in
  // between is allowed and changes nothing.
  void OnFiring(Fingerprint fp, const LabelSet& labels);
  // `fp` with `labels` (as passed to OnFiring) is no longer firing. Unknown alerts are ignored.
  void OnResolved(Fingerprint fp, const LabelSet& labels);

  // The first firing source (rules in order) that mutes an alert with these labels, if any.
  std::optional<Fingerprint> InhibitedBy(Fingerprint fp, const LabelSet& labels) const;

  const std::vector<InhibitRule>& rules() const;
  size_t sources() const;  // (rule, source alert) pairs indexed

 private:
  // Implementation-defined; see inhibitor.cc.
  struct Index;     // one per rule: its firing sources by their `equal` values
  struct Selector;  // the rules worth evaluating for an alert, on one side of the rules
  std::vector<InhibitRule> rules_;
  std::vector<Index> index_;  // parallel to rules_
  std::unique_ptr<const Selector> by_target_;
  std::unique_ptr<const Selector> by_source_;
  size_t sources_ = 0;
};

}  // namespace incidentd::engine
