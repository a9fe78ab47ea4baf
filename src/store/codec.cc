#include "store/codec.h"

#include <cstring>

namespace incidentd::store {
namespace {

// Appends to a string.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(*out) { out_.clear(); }
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Fixed64(uint64_t v) {
    char b[8];
    std::memcpy(b, &v, 8);  // little-endian hosts only (x86-64, arm64): checked below
    out_.append(b, 8);
  }
  void At(Time t) { Fixed64(static_cast<uint64_t>(t.time_since_epoch().count())); }
  void Str(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }
  void Pairs(const StringPairs& p) {
    Varint(p.size());
    for (const auto& [k, v] : p) {
      Str(k);
      Str(v);
    }
  }
  void Labels(const LabelSet& set) {
    Varint(set.size());
    for (const InternedLabel& l : set.labels()) {
      Str(l.name.view());
      Str(l.value.view());
    }
  }

 private:
  std::string& out_;
};
static_assert(std::endian::native == std::endian::little, "the store's fixed-width values are little-endian");

// Reads a value; every call checks the bounds, and ok() says whether all of them held.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool Done() const { return ok_ && in_.empty(); }
  // Nothing left to read: an optional trailing section is absent (a record written before it existed).
  bool AtEnd() const { return in_.empty(); }
  uint8_t U8() {
    if (in_.empty()) return Fail();
    uint8_t v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      const uint8_t b = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  uint64_t Fixed64() {
    if (in_.size() < 8) return Fail();
    uint64_t v;
    std::memcpy(&v, in_.data(), 8);
    in_.remove_prefix(8);
    return v;
  }
  Time At() { return Time(Duration(static_cast<int64_t>(Fixed64()))); }
  std::string_view Str() {
    const uint64_t n = Varint();
    if (!ok_ || n > in_.size()) {
      Fail();
      return {};
    }
    std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  // A count of items each at least `min_bytes` long: bounded by what is left, so a corrupt count cannot allocate.
  size_t Count(size_t min_bytes) {
    const uint64_t n = Varint();
    if (!ok_ || n > in_.size() / std::max<size_t>(min_bytes, 1)) return Fail();
    return static_cast<size_t>(n);
  }
  void Pairs(StringPairs* p) {
    const size_t n = Count(2);
    p->reserve(n);
    for (size_t i = 0; i < n && ok_; ++i) {
      std::string_view k = Str();
      std::string_view v = Str();
      p->emplace_back(k, v);
    }
  }
  void Labels(std::vector<Label>* out) {
    const size_t n = Count(2);
    out->reserve(n);
    for (size_t i = 0; i < n && ok_; ++i) {
      std::string_view k = Str();
      std::string_view v = Str();
      out->push_back(Label{k, v});
    }
  }
  template <typename E>
  E Enum(uint8_t max) {
    const uint8_t v = U8();
    if (v > max) Fail();
    return static_cast<E>(v);
  }
  bool Version() { return U8() == kFormat && ok_; }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

void PutBE64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (i * 8)));
}

uint64_t GetBE64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

constexpr uint8_t kMaxState = static_cast<uint8_t>(IncidentState::kHeld);
constexpr uint8_t kMaxTimelineKind = static_cast<uint8_t>(TimelineKind::kProblem);
constexpr uint8_t kMaxStatus = static_cast<uint8_t>(AlertStatus::kResolved);

}  // namespace

std::string AlertKey(Fingerprint fp) {
  std::string k;
  PutBE64(&k, fp.value());
  return k;
}

bool ParseAlertKey(std::string_view key, Fingerprint* fp) {
  if (key.size() != 8) return false;
  *fp = Fingerprint(GetBE64(key));
  return true;
}

std::string IncidentKeyBytes(engine::IncidentKey k) {
  std::string out;
  out.reserve(24);
  PutBE64(&out, k.hi);
  PutBE64(&out, k.lo);
  return out;
}

bool ParseIncidentKey(std::string_view key, engine::IncidentKey* k) {
  if (key.size() < 16) return false;
  k->hi = GetBE64(key);
  k->lo = GetBE64(key.substr(8));
  return true;
}

std::string MemberKeyBytes(engine::IncidentKey k, Fingerprint fp) {
  std::string out = IncidentKeyBytes(k);
  PutBE64(&out, fp.value());
  return out;
}

std::string TimelineKey(engine::IncidentKey k, uint64_t ordinal) {
  std::string out = IncidentKeyBytes(k);
  PutBE64(&out, ordinal);
  return out;
}

std::string TimeKey(Time t) {
  std::string out;
  // Times before the epoch do not occur here; the sign bit flipped keeps the order right if they did.
  PutBE64(&out, static_cast<uint64_t>(t.time_since_epoch().count()) ^ (uint64_t{1} << 63));
  return out;
}

std::string LogKey(Time finished_at, std::string_view notification_key) {
  std::string out = TimeKey(finished_at);
  out.append(notification_key);
  return out;
}

void EncodeAlert(const Alert& a, const std::vector<engine::IncidentKey>& memberships, std::string* out) {
  Writer w(out);
  w.U8(kFormat);
  w.Varint(a.duplicates);
  w.Fixed64(a.content_digest);
  w.At(a.starts_at);
  w.At(a.ends_at);
  w.At(a.updated_at);
  w.At(a.first_seen);
  w.U8(static_cast<uint8_t>(a.status));
  w.U8(static_cast<uint8_t>(a.format));
  w.U8(static_cast<uint8_t>(a.ends_kind));
  w.U8(static_cast<uint8_t>((a.acknowledged ? 1 : 0) | (a.fingerprint_of_labels ? 2 : 0)));
  w.Labels(a.labels);
  w.Labels(a.annotations);
  w.Str(a.generator_url.view());
  w.Varint(memberships.size());
  for (const engine::IncidentKey& k : memberships) {
    w.Fixed64(k.hi);
    w.Fixed64(k.lo);
  }
}

bool DecodeAlert(std::string_view value, Fingerprint fp, DecodedAlert* out) {
  Reader r(value);
  if (!r.Version()) return false;
  Alert& a = out->alert;
  a.fingerprint = fp;
  a.duplicates = static_cast<uint32_t>(r.Varint());
  a.content_digest = r.Fixed64();
  a.starts_at = r.At();
  a.ends_at = r.At();
  a.updated_at = r.At();
  a.first_seen = r.At();
  a.status = r.Enum<AlertStatus>(kMaxStatus);
  a.format = r.Enum<AlertFormat>(static_cast<uint8_t>(AlertFormat::kGeneric));
  a.ends_kind = r.Enum<EndsAtKind>(static_cast<uint8_t>(EndsAtKind::kNever));
  const uint8_t flags = r.Enum<uint8_t>(3);
  a.acknowledged = (flags & 1) != 0;
  a.fingerprint_of_labels = (flags & 2) != 0;
  r.Labels(&out->labels);
  r.Labels(&out->annotations);
  out->generator_url = r.Str();
  const size_t n = r.Count(16);
  out->memberships.resize(n);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    out->memberships[i].hi = r.Fixed64();
    out->memberships[i].lo = r.Fixed64();
  }
  return r.Done();
}

void EncodeIncident(const Incident& inc, std::string* out) {
  Writer w(out);
  w.U8(kFormat);
  w.Str(inc.rule);
  w.Fixed64(inc.group_key);
  w.U8(static_cast<uint8_t>(inc.state));
  w.U8(inc.priority);
  w.Str(inc.title);
  w.Pairs(inc.group_labels);
  w.Str(inc.policy);
  w.Varint(inc.timeline_dropped);
  w.At(inc.created_at);
  w.At(inc.updated_at);
  w.At(inc.acknowledged_at);
  w.At(inc.resolved_at);
  w.Str(inc.acknowledged_by);
  w.Str(inc.resolved_by);
  w.Varint(inc.reopened);
  w.Varint(inc.notifications);
  w.U8(static_cast<uint8_t>((inc.paged ? 1 : 0) | (inc.suppressed_noted ? 2 : 0) | (inc.no_policy_noted ? 4 : 0)));
  w.Fixed64(inc.notified_digest);
  w.At(inc.last_notified_at);
  w.At(inc.flush_at);
  w.At(inc.drop_at);
  w.Varint(inc.paged_receivers.size());
  for (const std::string& r : inc.paged_receivers) w.Str(r);
  w.Varint(inc.step);
  w.At(inc.escalate_at);
  w.Varint(inc.notify_seq);
  // The correlation section, appended after the fields of the first format: a record without it is older.
  w.At(inc.triggered_at);
  w.U8(static_cast<uint8_t>(inc.major ? 1 : 0));
  w.Str(inc.symptom_of);
  w.Varint(inc.symptoms.size());
  for (const std::string& s : inc.symptoms) w.Str(s);
  w.Str(inc.problem);
  w.Varint(inc.held.size());
  for (const HeldAlert& h : inc.held) {
    w.At(h.at);
    w.Fixed64(h.fingerprint.value());
    w.Fixed64(h.value);
  }
}

bool DecodeIncident(std::string_view value, engine::IncidentKey key, Incident* inc) {
  Reader r(value);
  if (!r.Version()) return false;
  inc->id_hi = key.hi;
  inc->id_lo = key.lo;
  inc->rule = r.Str();
  inc->group_key = r.Fixed64();
  inc->state = r.Enum<IncidentState>(kMaxState);
  inc->priority = r.U8();
  if (inc->priority < 1 || inc->priority > 5) return false;
  inc->title = r.Str();
  r.Pairs(&inc->group_labels);
  inc->policy = r.Str();
  inc->timeline_dropped = r.Varint();
  inc->created_at = r.At();
  inc->updated_at = r.At();
  inc->acknowledged_at = r.At();
  inc->resolved_at = r.At();
  inc->acknowledged_by = r.Str();
  inc->resolved_by = r.Str();
  inc->reopened = static_cast<uint32_t>(r.Varint());
  inc->notifications = static_cast<uint32_t>(r.Varint());
  const uint8_t flags = r.Enum<uint8_t>(7);
  inc->paged = (flags & 1) != 0;
  inc->suppressed_noted = (flags & 2) != 0;
  inc->no_policy_noted = (flags & 4) != 0;
  inc->notified_digest = r.Fixed64();
  inc->last_notified_at = r.At();
  inc->flush_at = r.At();
  inc->drop_at = r.At();
  const size_t n = r.Count(1);
  for (size_t i = 0; i < n && r.ok(); ++i) inc->paged_receivers.emplace_back(r.Str());
  inc->step = static_cast<uint32_t>(r.Varint());
  inc->escalate_at = r.At();
  inc->notify_seq = static_cast<uint32_t>(r.Varint());
  if (r.AtEnd()) {
    // Written before the correlation section: when it last triggered is not known; its creation stands in.
    inc->triggered_at = inc->created_at;
    return r.ok();
  }
  inc->triggered_at = r.At();
  inc->major = r.Enum<uint8_t>(1) != 0;
  inc->symptom_of = r.Str();
  const size_t symptoms = r.Count(1);
  for (size_t i = 0; i < symptoms && r.ok(); ++i) inc->symptoms.emplace_back(r.Str());
  inc->problem = r.Str();
  const size_t held = r.Count(24);
  inc->held.reserve(held);
  for (size_t i = 0; i < held && r.ok(); ++i) {
    HeldAlert h;
    h.at = r.At();
    h.fingerprint = Fingerprint(r.Fixed64());
    h.value = r.Fixed64();
    inc->held.push_back(h);
  }
  return r.Done();
}

void EncodeMember(const IncidentMember& m, std::string* out) {
  Writer w(out);
  w.U8(kFormat);
  w.U8(m.priority);
  w.U8(static_cast<uint8_t>(m.status));
  w.U8(m.acknowledged ? 1 : 0);
  w.U8(m.flapping ? 1 : 0);  // appended after the first format's fields: a record without it is older
}

bool DecodeMember(std::string_view value, IncidentMember* m) {
  Reader r(value);
  if (!r.Version()) return false;
  m->priority = r.U8();
  m->status = r.Enum<AlertStatus>(kMaxStatus);
  m->acknowledged = r.Enum<uint8_t>(1) != 0;
  m->flapping = !r.AtEnd() && r.Enum<uint8_t>(1) != 0;
  return r.Done() && m->priority >= 1 && m->priority <= 5;
}

void EncodeTimelineEntry(const TimelineEntry& e, std::string_view detail, std::string* out) {
  Writer w(out);
  w.U8(kFormat);
  w.At(e.at);
  w.Fixed64(e.fingerprint.value());
  w.U8(static_cast<uint8_t>(e.kind));
  w.Str(detail);
}

bool DecodeTimelineEntry(std::string_view value, TimelineEntry* e, std::vector<std::string>* details) {
  Reader r(value);
  if (!r.Version()) return false;
  e->at = r.At();
  e->fingerprint = Fingerprint(r.Fixed64());
  e->kind = r.Enum<TimelineKind>(kMaxTimelineKind);
  std::string_view detail = r.Str();
  if (detail.empty()) {
    e->detail = 0;
  } else {
    e->detail = static_cast<uint32_t>(details->size());
    details->emplace_back(detail);
  }
  return r.Done();
}

std::string PositionKey(std::string_view stream) { return "position/" + std::string(stream); }

void EncodePosition(int64_t offset, std::string* out) {
  Writer w(out);
  w.U8(kFormat);
  w.Varint(static_cast<uint64_t>(offset));
}

bool DecodePosition(std::string_view value, int64_t* offset) {
  Reader r(value);
  if (!r.Version()) return false;
  *offset = static_cast<int64_t>(r.Varint());
  return r.Done();
}

void EncodeSilence(const engine::Silence& s, std::string* out) {
  Writer w(out);
  w.U8(kFormat);
  w.Varint(s.matchers.size());
  for (const engine::Matcher& m : s.matchers) {
    w.Str(m.name());
    w.U8(static_cast<uint8_t>(m.type()));
    w.Str(m.value());
  }
  w.At(s.starts_at);
  w.At(s.ends_at);
  w.At(s.updated_at);
  w.Str(s.created_by);
  w.Str(s.comment);
}

bool DecodeSilence(std::string_view value, std::string_view id, engine::Silence* s) {
  Reader r(value);
  if (!r.Version()) return false;
  s->id = std::string(id);
  const size_t n = r.Count(3);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    std::string name(r.Str());
    auto type = r.Enum<engine::MatchType>(static_cast<uint8_t>(engine::MatchType::kNotRegexp));
    std::string v(r.Str());
    if (!r.ok()) return false;
    Result<engine::Matcher> m = engine::Matcher::Make(std::move(name), type, std::move(v));
    if (!m.ok()) return false;
    s->matchers.push_back(std::move(*m));
  }
  s->starts_at = r.At();
  s->ends_at = r.At();
  s->updated_at = r.At();
  s->created_by = r.Str();
  s->comment = r.Str();
  return r.Done();
}

void EncodeNotification(const Notification& n, std::string* out) {
  Writer w(out);
  w.U8(kFormat);
  w.At(n.at);
  w.Str(n.incident_id);
  w.Str(n.receiver);
  w.U8(static_cast<uint8_t>(n.event));
  w.U8(n.inform ? 1 : 0);
  w.U8(static_cast<uint8_t>(n.state));
  w.U8(n.priority);
  w.Str(n.title);
  w.Varint(n.seq);
  w.Varint(n.step);
  w.U8(n.incident ? 1 : 0);
  if (!n.incident) return;
  const IncidentSnapshot& s = *n.incident;
  w.Str(s.id);
  w.Str(s.rule);
  w.Str(s.title);
  w.Str(s.policy);
  w.U8(static_cast<uint8_t>(s.state));
  w.U8(s.priority);
  w.Pairs(s.group_labels);
  w.At(s.created_at);
  w.At(s.acknowledged_at);
  w.At(s.resolved_at);
  w.Str(s.acknowledged_by);
  w.Str(s.resolved_by);
  w.Varint(s.alerts_firing);
  w.Varint(s.alerts_total);
  w.Varint(s.alerts.size());
  for (const AlertSnapshot& a : s.alerts) {
    w.Fixed64(a.fingerprint.value());
    w.U8(static_cast<uint8_t>(a.status));
    w.At(a.starts_at);
    w.At(a.ends_at);
    w.Pairs(a.labels);
    w.Pairs(a.annotations);
    w.Str(a.generator_url);
  }
}

bool DecodeNotification(std::string_view value, Notification* n) {
  Reader r(value);
  if (!r.Version()) return false;
  n->at = r.At();
  n->incident_id = r.Str();
  n->receiver = r.Str();
  n->event = r.Enum<NotifyEvent>(kNotifyEvents - 1);
  n->inform = r.Enum<uint8_t>(1) != 0;
  n->state = r.Enum<IncidentState>(kMaxState);
  n->priority = r.U8();
  if (n->priority < 1 || n->priority > 5) return false;
  n->title = r.Str();
  n->seq = static_cast<uint32_t>(r.Varint());
  n->step = static_cast<uint32_t>(r.Varint());
  if (r.Enum<uint8_t>(1) == 0) return r.Done();
  auto s = std::make_shared<IncidentSnapshot>();
  s->id = r.Str();
  s->rule = r.Str();
  s->title = r.Str();
  s->policy = r.Str();
  s->state = r.Enum<IncidentState>(kMaxState);
  s->priority = r.U8();
  if (s->priority < 1 || s->priority > 5) return false;
  r.Pairs(&s->group_labels);
  s->created_at = r.At();
  s->acknowledged_at = r.At();
  s->resolved_at = r.At();
  s->acknowledged_by = r.Str();
  s->resolved_by = r.Str();
  s->alerts_firing = static_cast<uint32_t>(r.Varint());
  s->alerts_total = static_cast<uint32_t>(r.Varint());
  const size_t count = r.Count(27);
  s->alerts.resize(count);
  for (size_t i = 0; i < count && r.ok(); ++i) {
    AlertSnapshot& a = s->alerts[i];
    a.fingerprint = Fingerprint(r.Fixed64());
    a.status = r.Enum<AlertStatus>(kMaxStatus);
    a.starts_at = r.At();
    a.ends_at = r.At();
    r.Pairs(&a.labels);
    r.Pairs(&a.annotations);
    a.generator_url = r.Str();
  }
  n->incident = std::move(s);
  return r.Done();
}

void EncodeDeliveryRecord(const notify::DeliveryRecord& d, std::string* out) {
  Writer w(out);
  w.U8(kFormat);
  w.Str(d.key);
  w.Str(d.incident_id);
  w.Str(d.receiver);
  w.U8(static_cast<uint8_t>(d.event));
  w.U8(d.inform ? 1 : 0);
  w.Varint(d.seq);
  w.Varint(d.step);
  w.U8(static_cast<uint8_t>(d.state));
  w.Varint(d.attempts);
  w.At(d.decided_at);
  w.At(d.last_attempt_at);
  w.At(d.finished_at);
  w.Varint(static_cast<uint64_t>(d.last_status));
  w.Str(d.last_error);
}

bool DecodeDeliveryRecord(std::string_view value, notify::DeliveryRecord* d) {
  Reader r(value);
  if (!r.Version()) return false;
  d->key = r.Str();
  d->incident_id = r.Str();
  d->receiver = r.Str();
  d->event = r.Enum<NotifyEvent>(kNotifyEvents - 1);
  d->inform = r.Enum<uint8_t>(1) != 0;
  d->seq = static_cast<uint32_t>(r.Varint());
  d->step = static_cast<uint32_t>(r.Varint());
  d->state = r.Enum<notify::DeliveryState>(static_cast<uint8_t>(notify::DeliveryState::kSkipped));
  d->attempts = static_cast<uint32_t>(r.Varint());
  d->decided_at = r.At();
  d->last_attempt_at = r.At();
  d->finished_at = r.At();
  d->last_status = static_cast<int>(r.Varint());
  d->last_error = r.Str();
  return r.Done();
}

}  // namespace incidentd::store
