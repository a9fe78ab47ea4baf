// AlertStore: the engine's alerts, keyed by fingerprint, with Alertmanager's merge rules and the timers that resolve
// alerts whose end passed and forget resolved ones after a retention.
//
// Apply merges one decoded alert: a new fingerprint is added; a known one is refreshed (its end moves, annotations
// are replaced, duplicates counted), resolved, re-fired or acknowledged. Advance(now) fires due timers. All times come
// from the caller: the store reads no clock.
//
// Thread rule: single-threaded (the engine's thread).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "incidentd/alert.h"
#include "incidentd/alert_batch.h"
#include "incidentd/label_set.h"

namespace incidentd::engine {

struct AlertStoreOptions {
  Duration resolve_timeout = std::chrono::minutes(5);      // for alerts sent without an end
  Duration resolved_retention = std::chrono::minutes(15);  // how long a resolved alert is still tracked
};

// What Apply did to the store; the engine's later stages react to these.
enum class AlertChange : uint8_t {
  kNew,           // a new fingerprint, firing
  kNewResolved,   // a new fingerprint that arrived already resolved
  kRefreshed,     // known and unchanged in state (firing stays firing, resolved stays resolved)
  kResolved,      // was firing, now resolved
  kRefired,       // was resolved, fires again
  kAcknowledged,  // a firing alert was acknowledged by its sender
  kIgnored,       // acknowledge/resolve for an alert never seen, or acknowledge of a resolved one
};

class AlertStore {
 public:
  explicit AlertStore(AlertStoreOptions options) : options_(options) {}
  AlertStore(const AlertStore&) = delete;
  AlertStore& operator=(const AlertStore&) = delete;
  ~AlertStore();

  // `key`, when given, replaces the input's fingerprint as the alert's identity (dedup.ignore_labels); the labels
  // are then compared, not trusted to follow from the key.
  AlertChange Apply(const AlertBatch& batch, const AlertInput& input, Time now, const Fingerprint* key = nullptr);
  // Whether the last Apply changed a known alert's labels, annotations or generator URL.
  bool content_changed() const { return content_changed_; }
  // Resolves firing alerts whose end is at or before now and drops resolved ones past retention, except those
  // `keep` holds on to (they stay until Forget). Appends the fingerprints it resolved to `resolved` when given.
  void Advance(Time now, std::vector<Fingerprint>* resolved = nullptr,
               const std::function<bool(const Alert&)>& keep = {});
  // Lets a kept alert go: dropped now if resolved past retention, else when its retention ends.
  void Forget(Fingerprint fp, Time now);
  // The earliest time Advance has work to do, if any.
  std::optional<Time> NextDeadline();

  const Alert* Find(Fingerprint fp) const;
  Alert* FindMutable(Fingerprint fp);
  size_t size() const { return alerts_.size(); }
  size_t firing() const { return firing_; }
  const SymbolTable& symbols() const { return symbols_; }

  // Calls fn(const Alert&) for every alert, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [fp, e] : alerts_) fn(e.alert);
  }

 private:
  struct Entry {
    Alert alert;
    Time scheduled = Time::max();  // the time of this alert's live timer, Time::max() if none
  };
  struct Timer {
    Time at;
    Fingerprint fp;
    bool operator>(const Timer& o) const { return at > o.at; }
  };

  Entry& Insert(const AlertBatch& batch, const AlertInput& input, Fingerprint key, bool key_of_labels, Time now);
  void SetContent(Alert& a, const AlertBatch& batch, const AlertInput& input, bool key_of_labels);
  std::optional<Time> Deadline(const Alert& a) const;
  void Schedule(Entry& e);
  void SetStatus(Alert& a, AlertStatus s);
  void Erase(Fingerprint fp);

  AlertStoreOptions options_;
  SymbolTable symbols_;
  // Open addressing, entries inline: one cache miss per lookup instead of a node chase. Entries move on rehash, so
  // nothing keeps pointers into it across calls.
  boost::unordered_flat_map<Fingerprint, Entry, FingerprintHash> alerts_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  size_t firing_ = 0;
  bool content_changed_ = false;
};

}  // namespace incidentd::engine
