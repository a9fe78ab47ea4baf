#include "engine/alert_store.h"

#include <algorithm>

namespace incidentd::engine {
namespace {

bool SameLabels(const LabelSet& set, std::span<const Label> labels) { return set.Equals(labels); }

// a + d, saturating at Time::max() instead of overflowing (ends far in the future are valid input).
Time AddSaturating(Time a, Duration d) { return a > Time::max() - d ? Time::max() : a + d; }

// PagerDuty acknowledge/resolve events name an alert by its dedup key and carry none of its content.
bool IdentityOnly(const AlertBatch& batch, const AlertInput& in) {
  return batch.format() == AlertFormat::kPagerDuty && in.action != AlertAction::kFire;
}

}  // namespace

AlertStore::~AlertStore() {
  for (auto& [fp, e] : alerts_) {
    symbols_.Release(e.alert.labels);
    symbols_.Release(e.alert.annotations);
    symbols_.Release(e.alert.generator_url);
  }
}

const Alert* AlertStore::Find(Fingerprint fp) const {
  auto it = alerts_.find(fp);
  return it == alerts_.end() ? nullptr : &it->second.alert;
}

Alert* AlertStore::FindMutable(Fingerprint fp) {
  auto it = alerts_.find(fp);
  return it == alerts_.end() ? nullptr : &it->second.alert;
}

void AlertStore::SetStatus(Alert& a, AlertStatus s) {
  if (a.status == s) return;
  if (s == AlertStatus::kFiring) {
    ++firing_;
  } else {
    --firing_;
  }
  a.status = s;
}

void AlertStore::SetContent(Alert& a, const AlertBatch& batch, const AlertInput& input, bool key_of_labels) {
  if (IdentityOnly(batch, input) && !a.labels.empty()) return;
  auto labels = batch.labels(input);
  const bool known = !a.labels.empty();
  // Same fingerprint of labels, same labels: a 64-bit collision is as unlikely here as in Alertmanager, which
  // relies on the same.
  const bool same = known && key_of_labels && a.fingerprint_of_labels;
  a.fingerprint_of_labels = key_of_labels;
  if (!same && !SameLabels(a.labels, labels)) {
    LabelSet fresh = symbols_.Build(labels);
    symbols_.Release(a.labels);
    a.labels = std::move(fresh);
    content_changed_ = known;
  }
  // Most refreshes change nothing: the digest says so without touching the stored strings (a cache miss each).
  if (same && a.content_digest == input.content_digest) return;
  a.content_digest = input.content_digest;
  auto annotations = batch.annotations(input);
  if (!SameLabels(a.annotations, annotations)) {
    LabelSet fresh = symbols_.Build(annotations);
    symbols_.Release(a.annotations);
    a.annotations = std::move(fresh);
    content_changed_ = known;
  }
  if (a.generator_url.view() != input.generator_url) {
    content_changed_ = known;
    Symbol fresh = input.generator_url.empty() ? Symbol() : symbols_.Intern(input.generator_url);
    symbols_.Release(a.generator_url);
    a.generator_url = fresh;
  }
}

AlertStore::Entry& AlertStore::Insert(const AlertBatch& batch, const AlertInput& input, Fingerprint key,
                                      bool key_of_labels, Time now) {
  Entry& e = alerts_[key];
  e.alert.fingerprint = key;
  e.alert.format = batch.format();
  e.alert.first_seen = now;
  e.alert.status = AlertStatus::kResolved;  // SetStatus below counts the firing ones
  SetContent(e.alert, batch, input, key_of_labels);
  return e;
}

AlertChange AlertStore::Apply(const AlertBatch& batch, const AlertInput& in, Time now,
                              const Fingerprint* key_override) {
  content_changed_ = false;
  const Fingerprint key = key_override ? *key_override : in.fingerprint;
  const bool key_of_labels = key_override ? false : in.fingerprint_of_labels;
  auto it = alerts_.find(key);
  const bool known = it != alerts_.end();
  if (!known && IdentityOnly(batch, in)) return AlertChange::kIgnored;  // a key never triggered here
  if (in.action == AlertAction::kAcknowledge) {
    if (!known || it->second.alert.status != AlertStatus::kFiring) return AlertChange::kIgnored;
    Alert& a = it->second.alert;
    a.updated_at = now;
    ++a.duplicates;
    if (a.acknowledged) return AlertChange::kRefreshed;
    a.acknowledged = true;
    return AlertChange::kAcknowledged;
  }

  // Alertmanager's rules: a missing startsAt is now (or endsAt, if only that was sent); a missing endsAt is
  // now + resolve_timeout; an endsAt at or before now means resolved.
  Time ends = kZeroTime;
  bool resolves = in.action == AlertAction::kResolve;
  switch (in.ends_kind) {
    case EndsAtKind::kGiven:
      ends = in.ends_at == kZeroTime ? now : in.ends_at;
      resolves = resolves || ends <= now;
      break;
    case EndsAtKind::kTimeout:
      ends = AddSaturating(now, in.resolve_timeout.count() > 0 ? in.resolve_timeout : options_.resolve_timeout);
      break;
    case EndsAtKind::kNever:
      ends = resolves ? now : kZeroTime;
      break;
  }
  Time starts =
      in.starts_at != kZeroTime ? in.starts_at : (in.ends_kind == EndsAtKind::kGiven && resolves ? ends : now);
  // A resolution is dated no later than when it arrived, so the retention runs from a real time.
  if (resolves && (ends == kZeroTime || ends > now)) ends = now;

  AlertChange change;
  Entry* e;
  if (!known) {
    e = &Insert(batch, in, key, key_of_labels, now);
    e->alert.starts_at = starts;
    change = resolves ? AlertChange::kNewResolved : AlertChange::kNew;
  } else {
    e = &it->second;
    Alert& a = e->alert;
    ++a.duplicates;
    SetContent(a, batch, in, key_of_labels);
    if (a.status == AlertStatus::kResolved && !resolves) {
      // Fires again after it was resolved: a new episode starts.
      a.starts_at = starts;
      a.acknowledged = false;
      change = AlertChange::kRefired;
    } else {
      if (a.status == AlertStatus::kFiring && starts < a.starts_at) a.starts_at = starts;
      change = (a.status == AlertStatus::kFiring && resolves) ? AlertChange::kResolved : AlertChange::kRefreshed;
    }
  }
  Alert& a = e->alert;
  a.updated_at = now;
  if (resolves && a.status == AlertStatus::kResolved && change == AlertChange::kRefreshed) {
    // Re-sent resolved alert: keep the first resolution time unless the sender moved it later.
    a.ends_at = std::max(a.ends_at, ends);
    a.ends_kind = in.ends_kind;
  } else if (change == AlertChange::kRefreshed && !resolves && a.ends_kind == EndsAtKind::kGiven && a.ends_at > ends) {
    // Alertmanager's merge: an end the sender gave explicitly rules while it is the latest, so a refresh without
    // endsAt (another Prometheus of an HA pair, another sender) does not pull it in.
  } else {
    a.ends_at = ends;
    a.ends_kind = in.ends_kind;
  }
  SetStatus(a, resolves ? AlertStatus::kResolved : AlertStatus::kFiring);
  Schedule(*e);
  return change;
}

std::optional<Time> AlertStore::Deadline(const Alert& a) const {
  if (a.status == AlertStatus::kResolved) return AddSaturating(a.ends_at, options_.resolved_retention);
  if (a.ends_kind == EndsAtKind::kNever) return std::nullopt;
  return a.ends_at;
}

void AlertStore::Schedule(Entry& e) {
  // One live timer per alert: a refresh that moves the end later leaves the timer where it is; when it fires it
  // re-arms at the new end. So a steady stream of refreshes costs no heap work.
  std::optional<Time> d = Deadline(e.alert);
  if (d && *d < e.scheduled) {
    e.scheduled = *d;
    timers_.push({*d, e.alert.fingerprint});
  }
}

void AlertStore::Erase(Fingerprint fp) {
  auto it = alerts_.find(fp);
  Alert& a = it->second.alert;
  SetStatus(a, AlertStatus::kResolved);
  symbols_.Release(a.labels);
  symbols_.Release(a.annotations);
  symbols_.Release(a.generator_url);
  alerts_.erase(it);
}

void AlertStore::Forget(Fingerprint fp, Time now) {
  auto it = alerts_.find(fp);
  if (it == alerts_.end()) return;
  Entry& e = it->second;
  if (e.alert.status == AlertStatus::kResolved && AddSaturating(e.alert.ends_at, options_.resolved_retention) <= now) {
    Erase(fp);
    return;
  }
  Schedule(e);
}

void AlertStore::Advance(Time now, std::vector<Fingerprint>* resolved, const std::function<bool(const Alert&)>& keep) {
  while (!timers_.empty() && timers_.top().at <= now) {
    Timer t = timers_.top();
    timers_.pop();
    auto it = alerts_.find(t.fp);
    if (it == alerts_.end() || it->second.scheduled != t.at) continue;  // stale: erased or re-armed earlier
    Entry& e = it->second;
    e.scheduled = Time::max();
    Alert& a = e.alert;
    std::optional<Time> d = Deadline(a);
    if (d && *d <= now) {
      if (a.status == AlertStatus::kFiring) {
        SetStatus(a, AlertStatus::kResolved);
        if (resolved) resolved->push_back(a.fingerprint);
      } else {
        if (!keep || !keep(a)) Erase(t.fp);  // a kept alert waits for Forget, with no timer
        continue;
      }
    }
    Schedule(e);
  }
}

std::optional<Time> AlertStore::NextDeadline() {
  // Drop stale timers so the deadline is real.
  while (!timers_.empty()) {
    const Timer& t = timers_.top();
    auto it = alerts_.find(t.fp);
    if (it != alerts_.end() && it->second.scheduled == t.at) return t.at;
    timers_.pop();
  }
  return std::nullopt;
}

}  // namespace incidentd::engine
