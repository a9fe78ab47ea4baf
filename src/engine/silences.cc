#include "engine/silences.h"

#include <algorithm>

namespace incidentd::engine {
namespace {

bool SameMatchers(const std::vector<Matcher>& a, const std::vector<Matcher>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].ToString() != b[i].ToString()) return false;
  }
  return true;
}

// Alertmanager's canUpdate: may `prev` become `next` without rewriting history? `given_start` is the startsAt as the
// caller sent it; next.starts_at has already been moved to now if it was earlier.
bool CanUpdate(const Silence& prev, const Silence& next, Time given_start, Time now) {
  if (!SameMatchers(prev.matchers, next.matchers)) return false;
  switch (StateAt(prev, now)) {
    case SilenceState::kPending:
      return next.starts_at >= now;
    case SilenceState::kActive:
      return given_start == prev.starts_at && next.ends_at >= now;
    case SilenceState::kExpired:
      return false;
  }
  return false;
}

// Ends `s` at `now`. REQUIRES: s is not expired at `now`.
void ExpireAt(Silence& s, Time now) {
  if (StateAt(s, now) == SilenceState::kPending) s.starts_at = now;
  s.ends_at = now;
  s.updated_at = now;
}

}  // namespace

std::string_view SilenceStateName(SilenceState s) {
  switch (s) {
    case SilenceState::kPending:
      return "pending";
    case SilenceState::kActive:
      return "active";
    case SilenceState::kExpired:
      return "expired";
  }
  return "unknown";
}

SilenceState StateAt(const Silence& s, Time now) {
  if (now < s.starts_at) return SilenceState::kPending;
  if (now < s.ends_at) return SilenceState::kActive;
  return SilenceState::kExpired;
}

std::vector<Silence>::iterator Silences::LowerBound(std::string_view id) {
  return std::lower_bound(silences_.begin(), silences_.end(), id,
                          [](const Silence& s, std::string_view key) { return s.id < key; });
}

std::vector<Silence>::const_iterator Silences::LowerBound(std::string_view id) const {
  return std::lower_bound(silences_.begin(), silences_.end(), id,
                          [](const Silence& s, std::string_view key) { return s.id < key; });
}

Silence* Silences::FindMutable(std::string_view id) {
  auto it = LowerBound(id);
  return it != silences_.end() && it->id == id ? &*it : nullptr;
}

const Silence* Silences::Find(std::string_view id) const {
  auto it = LowerBound(id);
  return it != silences_.end() && it->id == id ? &*it : nullptr;
}

Result<std::string> Silences::Upsert(Silence s, const std::string& new_id, Time now) {
  if (s.matchers.empty()) return Status::Invalid("matchers: at least one matcher is required");
  if (std::all_of(s.matchers.begin(), s.matchers.end(), [](const Matcher& m) { return m.Matches(""); })) {
    return Status::Invalid("matchers: at least one matcher must not match the empty string");
  }
  if (s.ends_at <= s.starts_at) return Status::Invalid("endsAt: must be after startsAt");
  if (s.ends_at < now) return Status::Invalid("endsAt: must not be in the past");

  Silence* prev = nullptr;
  if (!s.id.empty()) {
    prev = FindMutable(s.id);
    if (prev == nullptr) return Status::NotFound("silence " + s.id + " not found");
  }
  const Time given_start = s.starts_at;
  if (s.starts_at < now) s.starts_at = now;
  s.updated_at = now;

  if (prev != nullptr && CanUpdate(*prev, s, given_start, now)) {
    // An active silence keeps its start, which is in the past and so must not move to now.
    if (StateAt(*prev, now) == SilenceState::kActive) s.starts_at = prev->starts_at;
    *prev = std::move(s);
    return prev->id;
  }

  // A new silence, or one replacing `prev`. Check the new id before changing anything.
  if (new_id.empty()) return Status::Invalid("silence id: a new silence needs an id");
  auto at = LowerBound(new_id);
  if (at != silences_.end() && at->id == new_id) {
    return Status(StatusCode::kAlreadyExists, "silence " + new_id + " already exists");
  }
  if (prev != nullptr && StateAt(*prev, now) != SilenceState::kExpired) ExpireAt(*prev, now);
  s.id = new_id;
  silences_.insert(at, std::move(s));
  return new_id;
}

Status Silences::Expire(std::string_view id, Time now) {
  Silence* s = FindMutable(id);
  if (s == nullptr) return Status::NotFound("silence " + std::string(id) + " not found");
  if (StateAt(*s, now) == SilenceState::kExpired) return Status::Invalid("silence already expired");
  ExpireAt(*s, now);
  return Status::Ok();
}

void Silences::Mutes(const LabelSet& labels, Time now, std::vector<std::string_view>* ids) const {
  // silences_ is in id order, so the ids come out sorted.
  for (const Silence& s : silences_) {
    if (StateAt(s, now) == SilenceState::kActive && MatchesAll(s.matchers, labels)) ids->push_back(s.id);
  }
}

bool Silences::Muted(const LabelSet& labels, Time now) const {
  return std::any_of(silences_.begin(), silences_.end(), [&](const Silence& s) {
    return StateAt(s, now) == SilenceState::kActive && MatchesAll(s.matchers, labels);
  });
}

void Silences::ForEach(const std::function<void(const Silence&)>& fn) const {
  for (const Silence& s : silences_) fn(s);
}

void Silences::Collect(Time now, std::vector<std::string>* dropped) {
  const Time cutoff = now - options_.retention;
  std::erase_if(silences_, [&](const Silence& s) {
    if (s.ends_at > cutoff) return false;
    if (dropped != nullptr) dropped->push_back(s.id);
    return true;
  });
}

bool Silences::Restore(Silence s) {
  auto at = LowerBound(s.id);
  if (at != silences_.end() && at->id == s.id) return false;
  silences_.insert(at, std::move(s));
  return true;
}

size_t Silences::size() const { return silences_.size(); }

size_t Silences::active(Time now) const {
  return static_cast<size_t>(std::count_if(silences_.begin(), silences_.end(),
                                           [&](const Silence& s) { return StateAt(s, now) == SilenceState::kActive; }));
}

}  // namespace incidentd::engine
