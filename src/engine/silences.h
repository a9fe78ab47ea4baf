// Silences: time-bounded matchers that mute alerts, with Alertmanager's semantics.
//
// A silence is pending before startsAt, active from startsAt until endsAt, then expired. An alert is silenced while
// an active silence's matchers all match its labels. Silenced alerts are still tracked and grouped; they only page
// no one. Upsert follows Alertmanager's update rules: a silence is changed in place when it can be (a pending one, or
// an active one whose matchers and start stay the same), otherwise the old one is expired and a new one is created.
// Expired silences are kept for `retention`, then dropped.
//
// Ids are chosen by the caller (the API makes UUIDs), so the set itself stays deterministic.
//
// Thread rule: single-threaded (the engine's).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/matcher.h"
#include "incidentd/clock.h"
#include "incidentd/label_set.h"
#include "incidentd/status.h"

namespace incidentd::engine {

struct Silence {
  std::string id;
  std::vector<Matcher> matchers;
  Time starts_at{};
  Time ends_at{};
  Time updated_at{};
  std::string created_by;
  std::string comment;
};

enum class SilenceState : uint8_t { kPending, kActive, kExpired };
std::string_view SilenceStateName(SilenceState s);  // "pending", "active", "expired"
SilenceState StateAt(const Silence& s, Time now);

struct SilencesOptions {
  Duration retention = std::chrono::hours(120);  // expired silences are kept this long (Alertmanager's default)
};

class Silences {
 public:
  explicit Silences(SilencesOptions options = {}) : options_(options) {}

  // Creates or updates a silence. `s.id` empty: a new silence with id `new_id`. `s.id` set: the silence with that id
  // is updated in place when Alertmanager would, else expired and replaced by a new one with id `new_id`.
  // Returns the id the silence now has. Errors, which change nothing: NotFound for an unknown `s.id`; Invalid, naming
  // the field, for no matchers, matchers that all match the empty string, endsAt not after startsAt, or endsAt in the
  // past. A startsAt in the past is moved to now, as Alertmanager does.
  Result<std::string> Upsert(Silence s, const std::string& new_id, Time now);
  // Ends the silence now. NotFound when unknown; Invalid when already expired.
  Status Expire(std::string_view id, Time now);

  const Silence* Find(std::string_view id) const;
  // Appends the ids of the active silences whose matchers all match `labels`, sorted.
  void Mutes(const LabelSet& labels, Time now, std::vector<std::string_view>* ids) const;
  bool Muted(const LabelSet& labels, Time now) const;
  // Calls fn(const Silence&) for every silence held, in id order.
  void ForEach(const std::function<void(const Silence&)>& fn) const;
  // Drops silences expired for longer than the retention, appending their ids to `dropped` when given.
  void Collect(Time now, std::vector<std::string>* dropped = nullptr);
  // Recovery: puts back a silence as the state store kept it. False when its id is already here.
  bool Restore(Silence s);
  size_t size() const;
  size_t active(Time now) const;

 private:
  // The position of `id` in silences_, or where it would be inserted.
  std::vector<Silence>::iterator LowerBound(std::string_view id);
  std::vector<Silence>::const_iterator LowerBound(std::string_view id) const;
  Silence* FindMutable(std::string_view id);

  SilencesOptions options_;
  std::vector<Silence> silences_;  // sorted by id
};

}  // namespace incidentd::engine
