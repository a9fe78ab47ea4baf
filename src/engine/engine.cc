#include "engine/engine.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace incidentd::engine {
namespace {

// The fingerprint of the labels without the ignored names (both sorted).
Fingerprint FingerprintWithout(std::span<const Label> labels, const std::vector<std::string>& ignored) {
  FingerprintBuilder b;
  for (const Label& l : labels) {
    if (!std::binary_search(ignored.begin(), ignored.end(), l.name)) b.Add(l.name, l.value);
  }
  return b.Finish();
}

}  // namespace

Engine::Engine(EngineOptions options, RuleSet rules)
    : rules_(std::move(rules)),
      alerts_(options.alerts),
      incidents_(options.incidents),
      silences_(options.silences),
      inhibitor_(rules_.inhibit) {
  IndexRules();
  incidents_.SetLabelLookup([this](Fingerprint fp) -> const LabelSet* {
    const Alert* a = alerts_.Find(fp);
    return a ? &a->labels : nullptr;
  });
  incidents_.SetRules(rules_);
}

void Engine::IndexRules() {
  rules_by_alertname_.clear();
  rules_any_.clear();
  for (uint32_t i = 0; i < rules_.correlations.size(); ++i) {
    const Matcher* by_name = nullptr;
    for (const Matcher& m : rules_.correlations[i].match) {
      if (m.name() == "alertname" && m.type() == MatchType::kEqual) by_name = &m;
    }
    if (by_name) {
      rules_by_alertname_[by_name->value()].push_back(i);
    } else {
      rules_any_.push_back(i);
    }
  }
}

void Engine::SetRules(RuleSet rules) {
  rules_ = std::move(rules);
  IndexRules();
  incidents_.SetRules(rules_);
  inhibitor_ = Inhibitor(rules_.inhibit);
  alerts_.ForEach([&](const Alert& a) {
    if (a.status == AlertStatus::kFiring) inhibitor_.OnFiring(a.fingerprint, a.labels);
  });
  ++mute_changes_;
}

void Engine::InhibitFiring(Fingerprint fp, const LabelSet& labels) {
  if (rules_.inhibit.empty()) return;
  const size_t before = inhibitor_.sources();
  inhibitor_.OnFiring(fp, labels);
  if (inhibitor_.sources() != before) ++mute_changes_;  // it is a source: what it mutes changed
}

void Engine::InhibitResolved(Fingerprint fp, const LabelSet& labels) {
  if (rules_.inhibit.empty()) return;
  const size_t before = inhibitor_.sources();
  inhibitor_.OnResolved(fp, labels);
  if (inhibitor_.sources() != before) ++mute_changes_;
}

uint64_t Engine::MuteVersion(Time now) const {
  // Within one count of changes, the number of silence boundaries passed only grows: the pair is unique.
  uint64_t boundaries = 0;
  silences_.ForEach([&](const Silence& s) { boundaries += (s.starts_at <= now) + (s.ends_at <= now); });
  return (mute_changes_ << 32) + boundaries;
}

template <typename Fn>
void Engine::ForEachMembership(const Alert& a, Fn&& fn) {
  if (a.incident != kNoIncident) fn(a.incident);
  auto it = extra_incidents_.find(a.fingerprint);
  if (it != extra_incidents_.end()) {
    for (uint32_t slot : it->second) fn(slot);
  }
}

void Engine::Correlate(Fingerprint fp, Time now) {
  Alert* a = alerts_.FindMutable(fp);
  // A flapping alert whose memberships change (the rules were reloaded) must not leave the incidents it is no longer
  // in flagged: they would wait for it for ever.
  std::vector<uint32_t> before;
  if (flaps_.Flapping(fp)) ForEachMembership(*a, [&](uint32_t slot) { before.push_back(slot); });
  uint32_t primary = kNoIncident;
  std::vector<uint32_t> extra;
  // Candidates in rule order: those keyed by this alertname merged with those that match any alertname.
  static const std::vector<uint32_t> kNone;
  auto named = rules_by_alertname_.find(a->labels.Get("alertname"));
  const std::vector<uint32_t>& by_name = named == rules_by_alertname_.end() ? kNone : named->second;
  size_t i = 0, j = 0;
  while (i < by_name.size() || j < rules_any_.size()) {
    uint32_t r;
    if (j >= rules_any_.size() || (i < by_name.size() && by_name[i] < rules_any_[j])) {
      r = by_name[i++];
    } else {
      r = rules_any_[j++];
    }
    const CorrelationRule& rule = rules_.correlations[r];
    if (!MatchesAll(rule.match, a->labels)) continue;
    uint32_t slot = incidents_.Join(rule, Incidents::GroupKey(rule, a->labels), *a, now);
    if (primary == kNoIncident) {
      primary = slot;
    } else {
      extra.push_back(slot);
    }
    if (!rule.continue_matching) break;
  }
  if (primary != kNoIncident) a->incident = primary;
  if (!extra.empty()) {
    extra_incidents_[fp] = std::move(extra);
  } else if (primary != kNoIncident) {
    extra_incidents_.erase(fp);
  }
  if (!flaps_.Flapping(fp)) return;
  std::vector<uint32_t> after;
  ForEachMembership(*a, [&](uint32_t slot) { after.push_back(slot); });
  for (uint32_t slot : before) {
    if (std::find(after.begin(), after.end(), slot) == after.end()) {
      incidents_.MemberFlapping(slot, fp, false, now, "moved to another incident");
    }
  }
  for (uint32_t slot : after) incidents_.MemberFlapping(slot, fp, true, now);
}

void Engine::StateChanged(Fingerprint fp, Time now) {
  if (!flaps_.Changed(rules_.flapping, fp, now)) return;
  const Alert* a = alerts_.Find(fp);
  if (a == nullptr) return;
  const std::string detail = "more than " + std::to_string(rules_.flapping.changes) + " changes within " +
                             FormatDuration(rules_.flapping.window);
  ForEachMembership(*a, [&](uint32_t slot) { incidents_.MemberFlapping(slot, fp, true, now, detail); });
}

void Engine::OnResolved(Fingerprint fp, Time now) {
  const Alert* a = alerts_.Find(fp);
  InhibitResolved(fp, a->labels);
  ForEachMembership(*a, [&](uint32_t slot) { incidents_.AlertResolved(slot, fp, now); });
}

BatchResult Engine::Apply(const AlertBatch& batch, Time now) {
  if (!batch.sealed()) std::abort();  // a decoder forgot Seal: fingerprints would be wrong
  now_ = now;
  BatchResult r;
  const bool rekey = !rules_.dedup_ignore_labels.empty();
  const std::vector<AlertInput>& inputs = batch.alerts();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const AlertInput& in = inputs[i];
    // A re-send is a lookup in a table much larger than the caches: start the next alerts' misses now.
    if (!rekey) alerts_.Prefetch(batch, i);
    Fingerprint key = in.fingerprint;
    const Fingerprint* override = nullptr;
    bool relabel_firing = false;
    if (rekey && in.fingerprint_of_labels) {
      key = FingerprintWithout(batch.labels(in), rules_.dedup_ignore_labels);
      override = &key;
      // The stored labels may change under the same key: the inhibitor must forget the old ones first. An unchanged
      // re-send says so by its digest, without a comparison of the labels.
      const Alert* old = rules_.inhibit.empty() ? nullptr : alerts_.Find(key);
      if (old && old->status == AlertStatus::kFiring && old->content_digest != AlertStore::StoredDigest(in, false) &&
          !old->labels.Equals(batch.labels(in))) {
        InhibitResolved(key, old->labels);
        relabel_firing = true;
      }
    }
    const AlertChange change = alerts_.Apply(batch, in, now, override);
    switch (change) {
      case AlertChange::kNew:
        ++r.new_alerts;
        InhibitFiring(key, alerts_.Find(key)->labels);
        Correlate(key, now);
        break;
      case AlertChange::kNewResolved:
        ++r.new_alerts;
        break;
      case AlertChange::kRefreshed: {
        ++r.refreshed;
        // The common case, an unchanged re-send, costs nothing more here.
        if (!relabel_firing && !alerts_.content_changed()) break;
        const Alert* a = alerts_.Find(key);
        if (a == nullptr) break;
        if (relabel_firing && a->status == AlertStatus::kFiring) InhibitFiring(key, a->labels);
        if (alerts_.content_changed()) {
          ForEachMembership(*a, [&](uint32_t slot) { incidents_.AlertRefreshed(slot, key, now); });
        }
        break;
      }
      case AlertChange::kResolved:
        ++r.resolved;
        OnResolved(key, now);
        StateChanged(key, now);
        break;
      case AlertChange::kRefired:
        ++r.refired;
        InhibitFiring(key, alerts_.Find(key)->labels);
        Correlate(key, now);
        StateChanged(key, now);
        break;
      case AlertChange::kAcknowledged: {
        ++r.acknowledged;
        const Alert* a = alerts_.Find(key);
        ForEachMembership(*a, [&](uint32_t slot) { incidents_.AlertAcknowledged(slot, key, now); });
        break;
      }
      case AlertChange::kIgnored:
        ++r.ignored;
        break;
    }
  }
  counters_.alerts_new += r.new_alerts;
  counters_.alerts_refreshed += r.refreshed + r.acknowledged;
  counters_.alerts_resolved += r.resolved;
  counters_.alerts_refired += r.refired;
  counters_.alerts_ignored += r.ignored;
  return r;
}

bool Engine::Keep(const Alert& a) const {
  return a.incident != kNoIncident || extra_incidents_.contains(a.fingerprint);
}

void Engine::Forget(uint32_t slot, Fingerprint fp, Time now) {
  Alert* a = alerts_.FindMutable(fp);
  if (a == nullptr) return;
  if (changes_ != nullptr) changes_->alerts.push_back(fp);  // its memberships change
  if (a->incident == slot) a->incident = kNoIncident;
  auto it = extra_incidents_.find(fp);
  if (it != extra_incidents_.end()) {
    std::erase(it->second, slot);
    if (it->second.empty()) extra_incidents_.erase(it);
  }
  if (!Keep(*a)) alerts_.Forget(fp, now);
}

bool Engine::Muted(Fingerprint fp) const {
  const Alert* a = alerts_.Find(fp);
  if (a == nullptr) return false;
  return silences_.Muted(a->labels, now_) || inhibitor_.InhibitedBy(fp, a->labels).has_value();
}

MuteState Engine::MuteStateOf(const Alert& a) const {
  MuteState s;
  if (a.status != AlertStatus::kFiring) return s;
  silences_.Mutes(a.labels, now_, &s.silenced_by);
  s.inhibited_by = inhibitor_.InhibitedBy(a.fingerprint, a.labels);
  return s;
}

void Engine::Advance(Time now) {
  now_ = now;
  resolved_scratch_.clear();
  alerts_.Advance(now, &resolved_scratch_, [this](const Alert& a) { return Keep(a); });
  for (Fingerprint fp : resolved_scratch_) {
    OnResolved(fp, now);
    StateChanged(fp, now);
  }
  counters_.alerts_resolved += resolved_scratch_.size();
  if (rules_.flapping.changes > 0 || flaps_.tracked() > 0) {
    resolved_scratch_.clear();
    flaps_.Advance(now, &resolved_scratch_);
    for (Fingerprint fp : resolved_scratch_) {
      if (const Alert* a = alerts_.Find(fp)) {
        ForEachMembership(*a, [&](uint32_t slot) { incidents_.MemberFlapping(slot, fp, false, now); });
      }
    }
  }
  const size_t decided = notifications_.size();
  incidents_.Settle(now, rules_, &notifications_);
  incidents_.Advance(
      now, rules_, [this](Fingerprint fp) { return Muted(fp); }, MuteVersion(now), &notifications_,
      [this, now](uint32_t slot, Fingerprint fp) { Forget(slot, fp, now); });
  Snapshot(decided);
  const size_t silences = silences_.size();
  silences_.Collect(now, changes_ != nullptr ? &changes_->silences : nullptr);
  if (silences_.size() != silences) ++mute_changes_;
}

void Engine::AdvanceBefore(Time t) {
  for (std::optional<Time> d = NextDeadline(); d && *d < t; d = NextDeadline()) Advance(*d);
}

std::optional<Time> Engine::NextDeadline() {
  std::optional<Time> next;
  for (std::optional<Time> t : {alerts_.NextDeadline(), incidents_.NextDeadline(), flaps_.NextDeadline()}) {
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

Status Engine::Acknowledge(std::string_view incident_id, std::string_view by, Time now) {
  now_ = std::max(now_, now);
  const size_t decided = notifications_.size();
  Status s = incidents_.Acknowledge(incident_id, by, now, rules_, &notifications_);
  Snapshot(decided);
  return s;
}

Status Engine::Resolve(std::string_view incident_id, std::string_view by, Time now) {
  now_ = std::max(now_, now);
  const size_t decided = notifications_.size();
  Status s = incidents_.Resolve(incident_id, by, now, rules_, &notifications_);
  Snapshot(decided);
  return s;
}

// Each decision's notifications share one snapshot of their incident, taken when it was decided. A notification
// whose incident was forgotten in the same Advance (impossible today: resolved incidents are kept for the
// retention) would keep a snapshot without alerts.
void Engine::Snapshot(size_t from) {
  std::shared_ptr<const IncidentSnapshot> last;
  for (size_t i = from; i < notifications_.size(); ++i) {
    Notification& n = notifications_[i];
    if (last && last->id == n.incident_id && i > from && notifications_[i - 1].seq == n.seq) {
      n.incident = last;
      continue;
    }
    last = MakeSnapshot(n.incident_id);
    n.incident = last;
  }
}

std::shared_ptr<const IncidentSnapshot> Engine::MakeSnapshot(std::string_view incident_id) const {
  auto snap = std::make_shared<IncidentSnapshot>();
  snap->id = std::string(incident_id);
  const Incident* inc = incidents_.Find(incident_id);
  if (inc == nullptr) return snap;
  snap->rule = inc->rule;
  snap->title = inc->title;
  snap->policy = inc->policy;
  snap->state = inc->state;
  snap->priority = inc->priority;
  snap->group_labels = inc->group_labels;
  snap->created_at = inc->created_at;
  snap->acknowledged_at = inc->acknowledged_at;
  snap->resolved_at = inc->resolved_at;
  snap->acknowledged_by = inc->acknowledged_by;
  snap->resolved_by = inc->resolved_by;
  snap->alerts_firing = inc->firing;
  snap->alerts_total = static_cast<uint32_t>(inc->members.size());
  // Firing alerts first, then resolved ones, each by fingerprint: the first kMaxAlerts of that order.
  std::vector<std::pair<bool, Fingerprint>> order;
  order.reserve(inc->members.size());
  for (const auto& [fp, m] : inc->members) order.emplace_back(m.status != AlertStatus::kFiring, fp);
  const size_t keep = std::min(order.size(), IncidentSnapshot::kMaxAlerts);
  std::partial_sort(order.begin(), order.begin() + keep, order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.value() < b.second.value();
  });
  snap->alerts.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    const Alert* a = alerts_.Find(order[i].second);
    if (a == nullptr) continue;
    AlertSnapshot& s = snap->alerts.emplace_back();
    s.fingerprint = a->fingerprint;
    s.status = a->status;
    s.starts_at = a->starts_at;
    s.ends_at = a->status == AlertStatus::kResolved || a->ends_kind != EndsAtKind::kNever ? a->ends_at : kZeroTime;
    for (const InternedLabel& l : a->labels.labels()) s.labels.emplace_back(l.name.view(), l.value.view());
    for (const InternedLabel& l : a->annotations.labels()) s.annotations.emplace_back(l.name.view(), l.value.view());
    s.generator_url = std::string(a->generator_url.view());
  }
  return snap;
}

Result<std::string> Engine::UpsertSilence(Silence silence, const std::string& new_id, Time now) {
  now_ = std::max(now_, now);
  // Times go out with millisecond precision; a client that posts a silence back unchanged must match it exactly,
  // or an edit of an active silence would replace it instead.
  const std::string silence_id = silence.id;
  Result<std::string> r =
      silences_.Upsert(std::move(silence), new_id, std::chrono::floor<std::chrono::milliseconds>(now));
  if (r.ok()) {
    ++mute_changes_;
    if (changes_ != nullptr) {
      changes_->silences.push_back(*r);
      if (!silence_id.empty() && silence_id != *r) changes_->silences.push_back(silence_id);  // expired, replaced
    }
  }
  return r;
}

Status Engine::ExpireSilence(std::string_view id, Time now) {
  now_ = std::max(now_, now);
  Status s = silences_.Expire(id, now);
  if (s.ok()) {
    ++mute_changes_;
    if (changes_ != nullptr) changes_->silences.emplace_back(id);
  }
  return s;
}

std::vector<Notification> Engine::TakeNotifications() {
  counters_.notifications += notifications_.size();
  return std::exchange(notifications_, {});
}

void Engine::TrackChanges(EngineChanges* out) {
  changes_ = out;
  alerts_.TrackChanges(out != nullptr ? &out->alerts : nullptr);
  incidents_.TrackChanges(out);
}

std::vector<IncidentKey> Engine::MembershipsOf(const Alert& a) const {
  std::vector<IncidentKey> out;
  auto add = [&](uint32_t slot) {
    if (const Incident* inc = incidents_.AtSlot(slot)) out.push_back({inc->id_hi, inc->id_lo});
  };
  if (a.incident != kNoIncident) add(a.incident);
  auto it = extra_incidents_.find(a.fingerprint);
  if (it != extra_incidents_.end()) {
    for (uint32_t slot : it->second) add(slot);
  }
  return out;
}

Status Engine::RestoreIncident(std::unique_ptr<Incident> inc, const std::vector<std::string>& details, Time now) {
  return incidents_.Restore(std::move(inc), details, now);
}

Status Engine::RestoreAlert(const Alert& a, std::span<const Label> labels, std::span<const Label> annotations,
                            std::string_view generator_url, std::span<const IncidentKey> memberships, Time now) {
  if (!alerts_.Restore(a, labels, annotations, generator_url, now)) {
    return Status::Invalid("alert " + a.fingerprint.ToString() + " is stored twice");
  }
  Alert* stored = alerts_.FindMutable(a.fingerprint);
  std::vector<uint32_t> extra;
  for (const IncidentKey& k : memberships) {
    const uint32_t slot = incidents_.SlotOf(k);
    if (slot == kNoIncident) continue;  // forgotten in the same tick as it was written: nothing to keep it for
    if (stored->incident == kNoIncident) {
      stored->incident = slot;
    } else {
      extra.push_back(slot);
    }
  }
  if (!extra.empty()) extra_incidents_[a.fingerprint] = std::move(extra);
  if (stored->status == AlertStatus::kFiring) InhibitFiring(a.fingerprint, stored->labels);
  return Status::Ok();
}

Status Engine::RestoreSilence(Silence s) {
  std::string id = s.id;
  if (!silences_.Restore(std::move(s))) return Status::Invalid("silence " + id + " is stored twice");
  return Status::Ok();
}

void Engine::FinishRestore(Time now) {
  now_ = now;
  ++mute_changes_;
  incidents_.FinishRestore(now, rules_);
  // A flapping alert's history is not stored: its quiet period starts again now.
  incidents_.ForEach([&](const Incident& inc) {
    for (const auto& [fp, m] : inc.members) {
      if (m.flapping && !flaps_.Flapping(fp)) flaps_.RestoreFlapping(rules_.flapping, fp, now);
    }
  });
}

}  // namespace incidentd::engine
