#include "engine/alert_store.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace incidentd::engine {

// A ring bucket's timers, in blocks of 2 KiB: no vector doubling, and drained blocks are reused.
struct AlertStore::Block {
  static constexpr uint32_t kCapacity = 254;
  Block* next;
  uint32_t count;
  RingTimer timers[kCapacity];
};

namespace {

// Memory per alert is the point of these layouts; LabelSet is another owner's, so check only while it is 16 bytes.
static_assert(sizeof(LabelSet) != 16 || sizeof(Alert) == 96, "Alert: padding crept in");

constexpr int64_t kNanosPerSecond = 1'000'000'000;

bool SameLabels(const LabelSet& set, std::span<const Label> labels) { return set.Equals(labels); }

// a + d, saturating at Time::max() instead of overflowing (ends far in the future are valid input).
Time AddSaturating(Time a, Duration d) { return a > Time::max() - d ? Time::max() : a + d; }

// PagerDuty acknowledge/resolve events name an alert by its dedup key and carry none of its content.
bool IdentityOnly(const AlertBatch& batch, const AlertInput& in) {
  return batch.format() == AlertFormat::kPagerDuty && in.action != AlertAction::kFire;
}

void CountDuplicate(Alert& a) {
  if (a.duplicates != UINT32_MAX) ++a.duplicates;
}

// The second a time falls in, rounding down, and the nanoseconds into it.
int64_t SecondOf(Time t) {
  const int64_t ns = ToUnixNanos(t);
  return ns / kNanosPerSecond - (ns % kNanosPerSecond < 0 ? 1 : 0);
}
uint32_t NanosOf(Time t, int64_t second) {
  return static_cast<uint32_t>(static_cast<uint64_t>(ToUnixNanos(t)) - static_cast<uint64_t>(second) * kNanosPerSecond);
}
Time TimeOf(int64_t second, uint32_t nanos) {
  // In unsigned arithmetic: second * 10^9 alone may be below the range of Time when the sum is not.
  return FromUnixNanos(static_cast<int64_t>(static_cast<uint64_t>(second) * kNanosPerSecond + nanos));
}
size_t Bucket(int64_t second, size_t ring_size) { return static_cast<size_t>(second) & (ring_size - 1); }

// Heap orders (std::push_heap keeps the greatest first, so these put the earliest first), and the order timers fire in.
struct DueEarlier {
  template <typename T>
  bool operator()(const T& a, const T& b) const {
    return a.at != b.at ? a.at < b.at : a.fp < b.fp;
  }
};
struct DueLater {
  template <typename T>
  bool operator()(const T& a, const T& b) const {
    return a.at != b.at ? a.at > b.at : a.fp > b.fp;
  }
};
struct FarLater {
  template <typename T>
  bool operator()(const T& a, const T& b) const {
    return a.at > b.at;
  }
};

}  // namespace

AlertStore::AlertStore(AlertStoreOptions options) : options_(options) {
  static_assert(sizeof(LabelSet) != 16 || sizeof(Entry) == 104, "Entry: padding crept in");
  static_assert(sizeof(Block) == 2048);
}

AlertStore::~AlertStore() {
  for (uint32_t slot = 0; slot < used_; ++slot) {
    Entry& e = At(slot);
    if (e.scheduled == kFree) continue;
    symbols_.Release(e.alert.labels);
    symbols_.Release(e.alert.annotations);
    symbols_.Release(e.alert.generator_url);
  }
  for (Block* head : ring_) {
    while (head) delete std::exchange(head, head->next);
  }
  while (spare_blocks_) delete std::exchange(spare_blocks_, spare_blocks_->next);
}

const Alert* AlertStore::Find(Fingerprint fp) const {
  const uint32_t slot = FindSlot(fp);
  return slot == kNoSlot ? nullptr : &At(slot).alert;
}

Alert* AlertStore::FindMutable(Fingerprint fp) {
  const uint32_t slot = FindSlot(fp);
  return slot == kNoSlot ? nullptr : &At(slot).alert;
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

uint64_t AlertStore::StoredDigest(const AlertInput& in, bool key_of_labels) {
  if (key_of_labels || !in.fingerprint_of_labels) return in.content_digest;
  uint64_t x = in.fingerprint.value();  // the hash of all its labels, mixed (splitmix64's finalizer) into the digest
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return in.content_digest ^ x ^ (x >> 31);
}

void AlertStore::SetContent(Alert& a, const AlertBatch& batch, const AlertInput& input, bool key_of_labels) {
  if (IdentityOnly(batch, input) && !a.labels.empty()) return;
  const bool known = !a.labels.empty();
  const uint64_t digest = StoredDigest(input, key_of_labels);
  // Keyed without some labels (dedup.ignore_labels): the digest covers all the labels too, so an unchanged re-send
  // is recognised without comparing them.
  if (known && !key_of_labels && input.fingerprint_of_labels && a.content_digest == digest) return;
  auto labels = batch.labels(input);
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
  if (same && a.content_digest == digest) return;
  a.content_digest = digest;
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

// A free slot: a dropped alert's, or the next one, in a new chunk when the last is full.
uint32_t AlertStore::NewSlot() {
  if (!free_.empty()) {
    const uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  if (used_ == kNoSlot) std::abort();  // 4 G alerts
  const uint32_t slot = used_++;
  if ((slot >> kChunkBits) == chunks_.size()) chunks_.push_back(std::make_unique<Entry[]>(kChunkMask + 1));
  return slot;
}

uint32_t AlertStore::Insert(const AlertBatch& batch, const AlertInput& input, Fingerprint key, bool key_of_labels,
                            Time now) {
  const uint32_t slot = NewSlot();
  IndexInsert(key, slot);
  ++size_;
  Entry& e = At(slot);
  e.scheduled = kNoTimer;
  Alert& a = e.alert;
  a.fingerprint = key;
  a.format = batch.format();
  a.first_seen = now;
  a.status = AlertStatus::kResolved;  // SetStatus below counts the firing ones
  SetContent(a, batch, input, key_of_labels);
  return slot;
}

AlertChange AlertStore::Apply(const AlertBatch& batch, const AlertInput& in, Time now,
                              const Fingerprint* key_override) {
  content_changed_ = false;
  const Fingerprint key = key_override ? *key_override : in.fingerprint;
  const bool key_of_labels = key_override ? false : in.fingerprint_of_labels;
  uint32_t slot = FindSlot(key);
  const bool known = slot != kNoSlot;
  if (!known && IdentityOnly(batch, in)) return AlertChange::kIgnored;  // a key never triggered here
  if (in.action == AlertAction::kAcknowledge) {
    if (!known || At(slot).alert.status != AlertStatus::kFiring) return AlertChange::kIgnored;
    Alert& a = At(slot).alert;
    a.updated_at = now;
    CountDuplicate(a);
    if (a.acknowledged) return AlertChange::kRefreshed;
    a.acknowledged = true;
    if (changes_ != nullptr) changes_->push_back(key);
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
  if (!known) {
    slot = Insert(batch, in, key, key_of_labels, now);
    At(slot).alert.starts_at = starts;
    change = resolves ? AlertChange::kNewResolved : AlertChange::kNew;
  } else {
    Alert& a = At(slot).alert;
    CountDuplicate(a);
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
  Alert& a = At(slot).alert;
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
  Schedule(slot, now);
  if (changes_ != nullptr && (change != AlertChange::kRefreshed || content_changed_)) changes_->push_back(key);
  return change;
}

std::optional<Time> AlertStore::Deadline(const Alert& a) const {
  if (a.status == AlertStatus::kResolved) return AddSaturating(a.ends_at, options_.resolved_retention);
  if (a.ends_kind == EndsAtKind::kNever) return std::nullopt;
  return a.ends_at;
}

void AlertStore::Schedule(uint32_t slot, Time now, Time not_before) {
  // One live timer per alert: a refresh that moves the end later leaves the timer where it is; when it fires it
  // re-arms at the new end. So a steady stream of refreshes costs no timer work.
  Entry& e = At(slot);
  std::optional<Time> d = Deadline(e.alert);
  if (!d || *d >= e.scheduled) return;
  // kFree marks a free slot; no deadline of a real alert is that early.
  e.scheduled = std::max(*d, not_before);
  if (next_valid_ && (!next_deadline_ || e.scheduled < *next_deadline_)) next_deadline_ = e.scheduled;
  if (NoTimers()) horizon_ = SecondOf(now);  // with no timers, any horizon is consistent: start from now
  Arm(e.scheduled, slot);
}

void AlertStore::Arm(Time at, uint32_t slot) {
  const int64_t second = SecondOf(at);
  if (second <= horizon_) {
    due_late_.push_back(DueTimer{at, At(slot).alert.fingerprint, slot});
    std::push_heap(due_late_.begin(), due_late_.end(), DueLater());
  } else if (second - horizon_ <= kRingSeconds) {
    if (ring_.empty()) ring_.assign(kRingSeconds, nullptr);
    Block*& head = ring_[Bucket(second, kRingSeconds)];
    if (head == nullptr || head->count == Block::kCapacity) {
      Block* b = spare_blocks_ ? std::exchange(spare_blocks_, spare_blocks_->next) : new Block;
      b->next = head;
      b->count = 0;
      head = b;
    }
    head->timers[head->count++] = RingTimer{NanosOf(at, second), slot};
    ++ring_count_;
  } else {
    far_.push_back(FarTimer{at, slot});
    std::push_heap(far_.begin(), far_.end(), FarLater());
  }
}

void AlertStore::MoveBucket(int64_t second) {
  Block*& head = ring_[Bucket(second, kRingSeconds)];
  if (head == nullptr) return;
  // Everything in due_ is earlier than this bucket (buckets come in order): the bucket goes after it, sorted.
  due_.erase(due_.begin(), due_.begin() + static_cast<ptrdiff_t>(due_next_));
  due_next_ = 0;
  const size_t first = due_.size();
  while (head) {
    Block* b = std::exchange(head, head->next);
    for (uint32_t k = 0; k < b->count; ++k) {
      // Each timer reads its entry (is it live? its fingerprint): fetch a few ahead.
      if (k + 8 < b->count) __builtin_prefetch(&At(b->timers[k + 8].slot));
      const Time at = TimeOf(second, b->timers[k].nanos);
      const uint32_t slot = b->timers[k].slot;
      const Entry& e = At(slot);
      if (e.scheduled == at) due_.push_back(DueTimer{at, e.alert.fingerprint, slot});  // else stale
    }
    ring_count_ -= b->count;
    b->next = spare_blocks_;
    spare_blocks_ = b;
  }
  std::sort(due_.begin() + static_cast<ptrdiff_t>(first), due_.end(), DueEarlier());
}

const AlertStore::DueTimer* AlertStore::FrontDue() const {
  const DueTimer* sorted = due_next_ < due_.size() ? &due_[due_next_] : nullptr;
  if (due_late_.empty()) return sorted;
  return sorted && DueEarlier()(*sorted, due_late_.front()) ? sorted : &due_late_.front();
}

void AlertStore::PopDue() {
  if (due_next_ < due_.size() && (due_late_.empty() || DueEarlier()(due_[due_next_], due_late_.front()))) {
    if (++due_next_ == due_.size()) {
      due_.clear();
      due_next_ = 0;
    }
    return;
  }
  std::pop_heap(due_late_.begin(), due_late_.end(), DueLater());
  due_late_.pop_back();
}

void AlertStore::MoveHorizon(int64_t second) {
  if (second <= horizon_) return;
  // Every bucket up to the new horizon becomes due; past kRingSeconds that is all of them.
  const int64_t last = std::min(second, horizon_ + kRingSeconds);
  for (int64_t s = horizon_ + 1; s <= last && ring_count_ > 0; ++s) MoveBucket(s);
  horizon_ = second;
  while (!far_.empty() && SecondOf(far_.front().at) - horizon_ <= kRingSeconds) {
    std::pop_heap(far_.begin(), far_.end(), FarLater());
    const FarTimer t = far_.back();
    far_.pop_back();
    if (At(t.slot).scheduled == t.at) Arm(t.at, t.slot);
  }
}

void AlertStore::Erase(uint32_t slot) {
  Entry& e = At(slot);
  if (next_valid_ && next_deadline_ == e.scheduled) next_valid_ = false;
  Alert& a = e.alert;
  if (changes_ != nullptr) changes_->push_back(a.fingerprint);
  SetStatus(a, AlertStatus::kResolved);
  symbols_.Release(a.labels);
  symbols_.Release(a.annotations);
  symbols_.Release(a.generator_url);
  IndexErase(a.fingerprint, slot);
  a = Alert();
  e.scheduled = kFree;  // its timers, if any, are stale now
  free_.push_back(slot);
  --size_;
}

void AlertStore::Forget(Fingerprint fp, Time now) {
  const uint32_t slot = FindSlot(fp);
  if (slot == kNoSlot) return;
  const Alert& a = At(slot).alert;
  if (a.status == AlertStatus::kResolved && AddSaturating(a.ends_at, options_.resolved_retention) <= now) {
    Erase(slot);
    return;
  }
  Schedule(slot, now);
}

bool AlertStore::Restore(const Alert& from, std::span<const Label> labels, std::span<const Label> annotations,
                         std::string_view generator_url, Time now) {
  if (FindSlot(from.fingerprint) != kNoSlot) return false;
  const uint32_t slot = NewSlot();
  IndexInsert(from.fingerprint, slot);
  ++size_;
  Entry& e = At(slot);
  e.scheduled = kNoTimer;
  Alert& a = e.alert;
  a.duplicates = from.duplicates;
  a.fingerprint = from.fingerprint;
  a.content_digest = from.content_digest;
  a.starts_at = from.starts_at;
  a.ends_at = from.ends_at;
  a.updated_at = from.updated_at;
  a.format = from.format;
  a.ends_kind = from.ends_kind;
  a.acknowledged = from.acknowledged;
  a.fingerprint_of_labels = from.fingerprint_of_labels;
  a.first_seen = from.first_seen;
  a.labels = symbols_.Build(labels);
  a.annotations = symbols_.Build(annotations);
  a.generator_url = generator_url.empty() ? Symbol() : symbols_.Intern(generator_url);
  a.status = AlertStatus::kResolved;
  SetStatus(a, from.status);
  if (a.status == AlertStatus::kFiring && a.ends_kind != EndsAtKind::kNever && a.ends_at < now) {
    a.ends_at = AddSaturating(now, options_.resolve_timeout);
  }
  Schedule(slot, now);
  return true;
}

void AlertStore::Advance(Time now, std::vector<Fingerprint>* resolved, const std::function<bool(const Alert&)>& keep) {
  // The cached deadline stays right unless a timer fires: that one is the earliest.
  if (next_valid_ && next_deadline_ && *next_deadline_ <= now) next_valid_ = false;
  MoveHorizon(SecondOf(now));
  for (const DueTimer* front; (front = FrontDue()) != nullptr && front->at <= now;) {
    const DueTimer t = *front;
    PopDue();
    if (due_next_ + 4 < due_.size()) {
      const char* ahead = reinterpret_cast<const char*>(&At(due_[due_next_ + 4].slot));
      __builtin_prefetch(ahead, 1);
      __builtin_prefetch(ahead + sizeof(Time) + 63, 1);
    }
    Entry& e = At(t.slot);
    if (e.scheduled != t.at) continue;  // stale: erased or re-armed earlier
    e.scheduled = kNoTimer;
    Alert& a = e.alert;
    // A deadline that moved later since the timer was armed waits for its own turn, even if it has passed too, so
    // that alerts resolve and drop in order of their deadlines.
    std::optional<Time> d = Deadline(a);
    if (d && *d <= t.at) {
      if (a.status == AlertStatus::kFiring) {
        SetStatus(a, AlertStatus::kResolved);
        if (resolved) resolved->push_back(a.fingerprint);
        if (changes_ != nullptr) changes_->push_back(a.fingerprint);
        // Dropped by a later Advance at the earliest, so the caller sees every alert it resolved here.
        Schedule(t.slot, now, now + Duration(1));
        continue;
      } else {
        if (!keep || !keep(a)) Erase(t.slot);  // a kept alert waits for Forget, with no timer
        continue;
      }
    }
    Schedule(t.slot, now);
  }
}

std::optional<Time> AlertStore::NextDeadline() {
  if (next_valid_) return next_deadline_;
  for (;;) {
    // Drop stale timers so the deadline is real.
    const DueTimer* front = FrontDue();
    while (front && At(front->slot).scheduled != front->at) {
      PopDue();
      front = FrontDue();
    }
    if (front) {
      next_deadline_ = front->at;
      break;
    }
    if (ring_count_ == 0 && far_.empty()) {
      next_deadline_.reset();
      break;
    }
    // Bring the next second that has timers in: work Advance would do when it gets there.
    MoveHorizon(ring_count_ > 0 ? horizon_ + 1 : SecondOf(far_.front().at));
  }
  next_valid_ = true;
  return next_deadline_;
}

}  // namespace incidentd::engine
