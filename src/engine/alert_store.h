// AlertStore: the engine's alerts, keyed by fingerprint, with Alertmanager's merge rules and the timers that resolve
// alerts whose end passed and forget resolved ones after a retention.
//
// Apply merges one decoded alert: a new fingerprint is added; a known one is refreshed (its end moves, annotations
// are replaced, duplicates counted), resolved, re-fired or acknowledged. Advance(now) fires due timers, at exactly
// their time, in order of (time, fingerprint). All times come from the caller: the store reads no clock.
//
// An Alert stays at one address from when it is added until it is dropped (Advance or Forget): pointers from Find
// stay valid across other calls until then.
//
// Thread rule: single-threaded (the engine's thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

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
  explicit AlertStore(AlertStoreOptions options);
  AlertStore(const AlertStore&) = delete;
  AlertStore& operator=(const AlertStore&) = delete;
  ~AlertStore();

  // `key`, when given, replaces the input's fingerprint as the alert's identity (dedup.ignore_labels); the labels
  // are then compared, not trusted to follow from the key.
  AlertChange Apply(const AlertBatch& batch, const AlertInput& input, Time now, const Fingerprint* key = nullptr);
  // A hint, with no effect on results: call it before applying batch.alerts()[i] (i in order, from 0) and the
  // store fetches the alerts a few places further on into the cache, so that their memory latencies overlap.
  void Prefetch(const AlertBatch& batch, size_t i) const;
  // The content digest an alert keeps (Alert::content_digest): AlertInput's, with the hash of all the labels mixed in
  // when the key is not that hash but the input carries it (dedup.ignore_labels).
  static uint64_t StoredDigest(const AlertInput& in, bool key_of_labels);
  // Whether the last Apply changed a known alert's labels, annotations or generator URL.
  bool content_changed() const { return content_changed_; }
  // Resolves firing alerts whose end is at or before now and drops resolved ones past retention, except those
  // `keep` holds on to (they stay until Forget). Appends the fingerprints it resolved to `resolved` when given.
  void Advance(Time now, std::vector<Fingerprint>* resolved = nullptr,
               const std::function<bool(const Alert&)>& keep = {});
  // Lets a kept alert go: dropped now if resolved past retention, else when its retention ends.
  void Forget(Fingerprint fp, Time now);
  // Recovery: puts back an alert as the state store kept it (`a` without its label sets, which come as labels,
  // annotations and url) and arms its timer. A firing alert whose end has passed gets resolve_timeout from now: its
  // stored end is that of its last change (unchanged re-sends are not written), so its sender may well have moved it
  // later. False, changing nothing, when its fingerprint is already here.
  bool Restore(const Alert& a, std::span<const Label> labels, std::span<const Label> annotations,
               std::string_view generator_url, Time now);
  // Appends the fingerprint of every alert added, changed (other than an unchanged re-send), resolved or dropped to
  // `out` from now on; null stops it.
  void TrackChanges(std::vector<Fingerprint>* out) { changes_ = out; }
  // The earliest time Advance has work to do, if any.
  std::optional<Time> NextDeadline();

  const Alert* Find(Fingerprint fp) const;
  Alert* FindMutable(Fingerprint fp);
  size_t size() const { return size_; }
  size_t firing() const { return firing_; }
  const SymbolTable& symbols() const { return symbols_; }

  // Calls fn(const Alert&) for every alert, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (uint32_t slot = 0; slot < used_; ++slot) {
      const Entry& e = At(slot);
      if (e.scheduled != kFree) fn(e.alert);
    }
  }

 private:
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  static constexpr Time kFree = Time::min();     // Entry::scheduled of a free slot
  static constexpr Time kNoTimer = Time::max();  // Entry::scheduled of an alert without a timer
  static constexpr uint32_t kChunkBits = 10;     // 1024 entries (104 KiB) per chunk
  static constexpr uint32_t kChunkMask = (1u << kChunkBits) - 1;

  struct Entry {
    Time scheduled = kFree;  // the time of this alert's live timer, kNoTimer if none, kFree if the slot is free
    Alert alert;
  };

  // Timers live in three places by their second, relative to `horizon_` (a second Advance has reached, or beyond):
  // those at or before it are due: whole buckets, each sorted by (time, fingerprint) as it arrives, in `due_`, and
  // the few armed there directly (a deadline already past) in the min-heap `due_late_`; those within the next
  // kRingSeconds are in `ring_`, one unsorted bucket per second, 8 bytes a timer; later ones are in the min-heap
  // `far_`. So arming is O(1) in the common case, and a timer is sorted once, when Advance reaches its second. A
  // timer whose time is not its entry's `scheduled` any more is stale (re-armed earlier, or dropped) and skipped.
  static constexpr int64_t kRingSeconds = 4096;
  struct RingTimer {
    uint32_t nanos;  // within the bucket's second
    uint32_t slot;
  };
  struct Block;  // a bucket is a list of blocks of RingTimers
  struct DueTimer {
    Time at;
    Fingerprint fp;
    uint32_t slot;
  };
  struct FarTimer {
    Time at;
    uint32_t slot;
  };

  Entry& At(uint32_t slot) { return chunks_[slot >> kChunkBits][slot & kChunkMask]; }
  const Entry& At(uint32_t slot) const { return chunks_[slot >> kChunkBits][slot & kChunkMask]; }
  uint32_t FindSlot(Fingerprint fp) const;
  void IndexInsert(Fingerprint fp, uint32_t slot);
  void IndexErase(Fingerprint fp, uint32_t slot);
  void Rehash(size_t capacity);

  uint32_t NewSlot();
  uint32_t Insert(const AlertBatch& batch, const AlertInput& input, Fingerprint key, bool key_of_labels, Time now);
  void SetContent(Alert& a, const AlertBatch& batch, const AlertInput& input, bool key_of_labels);
  std::optional<Time> Deadline(const Alert& a) const;
  // Arms the alert's timer at its deadline, but no earlier than not_before.
  void Schedule(uint32_t slot, Time now, Time not_before = kFree + Duration(1));
  void SetStatus(Alert& a, AlertStatus s);
  void Erase(uint32_t slot);

  void Arm(Time at, uint32_t slot);
  void MoveBucket(int64_t second);
  void MoveHorizon(int64_t second);
  const DueTimer* FrontDue() const;
  void PopDue();
  bool NoTimers() const { return FrontDue() == nullptr && ring_count_ == 0 && far_.empty(); }

  AlertStoreOptions options_;
  SymbolTable symbols_;

  // The alerts: fixed-size chunks of entries, never moved; freed slots are reused first.
  std::vector<std::unique_ptr<Entry[]>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t used_ = 0;  // slots ever handed out: [0, used_) are live or in free_
  size_t size_ = 0;

  // Fingerprint -> slot: open addressing with linear probing, at most 80 % full. A cell is 8 bytes: a 32-bit hash of
  // the fingerprint (it gives the home cell, and as a tag it spares reading other alerts' entries) and the slot + 1;
  // 0 is empty. Entries stay where they are when the table grows.
  std::vector<uint64_t> cells_;

  std::vector<DueTimer> due_;  // [due_next_, end) are pending, in firing order
  size_t due_next_ = 0;
  std::vector<DueTimer> due_late_;
  std::vector<Block*> ring_;  // kRingSeconds buckets, by second modulo kRingSeconds; allocated on first use
  std::vector<FarTimer> far_;
  Block* spare_blocks_ = nullptr;
  size_t ring_count_ = 0;              // timers in ring_
  int64_t horizon_ = 0;                // a second
  std::optional<Time> next_deadline_;  // cached; valid while next_valid_
  bool next_valid_ = false;

  size_t firing_ = 0;
  bool content_changed_ = false;
  std::vector<Fingerprint>* changes_ = nullptr;
};

}  // namespace incidentd::engine
