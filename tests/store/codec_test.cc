// The state store's keys and values: every record kind decodes to what was encoded, keys sort as the ids they hold,
// a record written before its trailing section existed decodes with defaults, and a value that is cut short, carries
// another version, has trailing bytes or claims a huge count is refused without allocating for it.
#include "store/codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "store/store_test_util.h"

namespace incidentd::store {
namespace {

StringPairs ToPairs(const std::vector<Label>& labels) {
  StringPairs out;
  for (const Label& l : labels) out.emplace_back(l.name, l.value);
  return out;
}

// Bytes of a value written by hand, to plant what the encoder never writes.
struct Raw {
  std::string bytes;
  Raw& U8(uint8_t v) {
    bytes.push_back(static_cast<char>(v));
    return *this;
  }
  Raw& Varint(uint64_t v) {
    while (v >= 0x80) {
      bytes.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    bytes.push_back(static_cast<char>(v));
    return *this;
  }
  Raw& Zeros(size_t n) {
    bytes.append(n, '\0');
    return *this;
  }
  Raw& Fixed64(uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(v >> (i * 8)));
    return *this;
  }
  Raw& At(Time t) { return Fixed64(static_cast<uint64_t>(t.time_since_epoch().count())); }
  Raw& Str(std::string_view s) {
    Varint(s.size());
    bytes.append(s);
    return *this;
  }
};

const Alert& OnlyAlert(const engine::Engine& e) {
  const Alert* found = nullptr;
  e.alerts().ForEach([&](const Alert& a) { found = &a; });
  EXPECT_NE(found, nullptr);
  return *found;
}

TEST(CodecTest, AlertRoundTripsWithItsContentTimesAndMemberships) {
  engine::Engine e({}, {});
  const Full full{{{"alertname", "Down"}, {"cluster", "eu1"}},
                  {{"runbook", "https://runbooks/down"}, {"summary", "db down"}},
                  "http://prom:9090/graph?g0.expr=up",
                  EndsAtKind::kGiven,
                  kT0 + hours(1)};
  e.Apply(FullBatch({full}), kT0);
  e.Apply(FullBatch({full}), kT0 + seconds(10));  // a duplicate
  e.Apply(Batch({In{full.labels, AlertAction::kAcknowledge}}), kT0 + seconds(20));
  const Alert& a = OnlyAlert(e);
  ASSERT_TRUE(a.acknowledged);
  const std::vector<engine::IncidentKey> memberships{{7, 8}, {1, UINT64_MAX}};

  std::string value;
  EncodeAlert(a, memberships, &value);
  DecodedAlert d;
  ASSERT_TRUE(DecodeAlert(value, a.fingerprint, &d));
  EXPECT_EQ(d.alert.fingerprint, a.fingerprint);
  EXPECT_EQ(d.alert.duplicates, 2u);
  EXPECT_EQ(d.alert.content_digest, a.content_digest);
  EXPECT_EQ(d.alert.starts_at, kT0);
  EXPECT_EQ(d.alert.ends_at, kT0 + hours(1));
  EXPECT_EQ(d.alert.updated_at, kT0 + seconds(20));
  EXPECT_EQ(d.alert.first_seen, kT0);
  EXPECT_EQ(d.alert.status, AlertStatus::kFiring);
  EXPECT_EQ(d.alert.format, AlertFormat::kPrometheus);
  EXPECT_EQ(d.alert.ends_kind, EndsAtKind::kGiven);
  EXPECT_TRUE(d.alert.acknowledged);
  EXPECT_TRUE(d.alert.fingerprint_of_labels);
  EXPECT_EQ(ToPairs(d.labels), (StringPairs{{"alertname", "Down"}, {"cluster", "eu1"}}));
  EXPECT_EQ(ToPairs(d.annotations), (StringPairs{{"runbook", "https://runbooks/down"}, {"summary", "db down"}}));
  EXPECT_EQ(d.generator_url, "http://prom:9090/graph?g0.expr=up");
  EXPECT_EQ(d.memberships, memberships);
}

TEST(CodecTest, ResolvedAlertWithoutUrlOrMembershipsRoundTrips) {
  engine::Engine e({}, {});
  e.Apply(Batch({engine::Resolved({{"alertname", "Gone"}}, kT0 - seconds(5))}), kT0);
  const Alert& a = OnlyAlert(e);
  std::string value;
  EncodeAlert(a, {}, &value);
  DecodedAlert d;
  ASSERT_TRUE(DecodeAlert(value, a.fingerprint, &d));
  EXPECT_EQ(d.alert.status, AlertStatus::kResolved);
  EXPECT_EQ(d.alert.ends_at, kT0 - seconds(5));
  EXPECT_EQ(d.generator_url, "");
  EXPECT_TRUE(d.memberships.empty());
}

Incident FullIncident() {
  Incident inc;
  inc.id_hi = 0x0123456789abcdefULL;
  inc.id_lo = 0xfedcba9876543210ULL;
  inc.rule = "db";
  inc.group_key = 0xdeadbeefcafef00dULL;
  inc.state = IncidentState::kAcknowledged;
  inc.priority = 2;
  inc.title = "Down in eu1";
  inc.group_labels = {{"cluster", "eu1"}, {"team", "storage"}};
  inc.policy = "oncall";
  inc.timeline_dropped = 123456;
  inc.created_at = kT0;
  inc.updated_at = kT0 + seconds(90);
  inc.acknowledged_at = kT0 + seconds(60);
  inc.resolved_at = kZeroTime;
  inc.acknowledged_by = "alice";
  inc.resolved_by = "";
  inc.reopened = 3;
  inc.notifications = 17;
  inc.paged = true;
  inc.suppressed_noted = false;
  inc.no_policy_noted = true;
  inc.notified_digest = 0x1122334455667788ULL;
  inc.last_notified_at = kT0 + seconds(30);
  inc.flush_at = kT0 + minutes(5);
  inc.drop_at = Time::max();
  inc.paged_receivers = {"pd-a", "pd-b"};
  inc.step = 4;
  inc.escalate_at = kT0 + minutes(15);
  inc.notify_seq = 12;
  inc.triggered_at = kT0 + seconds(45);
  inc.major = true;
  inc.symptom_of = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  inc.symptoms = {"01ARZ3NDEKTSV4RRFFQ69G5FB0", "01ARZ3NDEKTSV4RRFFQ69G5FB1"};
  inc.problem = "01ARZ3NDEKTSV4RRFFQ69G5FB2";
  inc.flapping = 2;  // derived from the members: not stored
  inc.held = {HeldAlert{kT0, Fingerprint(11), 0}, HeldAlert{kT0 + seconds(5), Fingerprint(12), 0xabcdef0123456789ULL}};
  return inc;
}

TEST(CodecTest, IncidentRoundTripsEveryStoredField) {
  const Incident in = FullIncident();
  std::string value;
  EncodeIncident(in, &value);
  Incident out;
  ASSERT_TRUE(DecodeIncident(value, {in.id_hi, in.id_lo}, &out));
  EXPECT_EQ(out.id_hi, in.id_hi);
  EXPECT_EQ(out.id_lo, in.id_lo);
  EXPECT_EQ(out.rule, "db");
  EXPECT_EQ(out.group_key, in.group_key);
  EXPECT_EQ(out.state, IncidentState::kAcknowledged);
  EXPECT_EQ(out.priority, 2);
  EXPECT_EQ(out.title, "Down in eu1");
  EXPECT_EQ(out.group_labels, in.group_labels);
  EXPECT_EQ(out.policy, "oncall");
  EXPECT_EQ(out.timeline_dropped, 123456u);
  EXPECT_EQ(out.created_at, in.created_at);
  EXPECT_EQ(out.updated_at, in.updated_at);
  EXPECT_EQ(out.acknowledged_at, in.acknowledged_at);
  EXPECT_EQ(out.resolved_at, kZeroTime);
  EXPECT_EQ(out.acknowledged_by, "alice");
  EXPECT_EQ(out.resolved_by, "");
  EXPECT_EQ(out.reopened, 3u);
  EXPECT_EQ(out.notifications, 17u);
  EXPECT_TRUE(out.paged);
  EXPECT_FALSE(out.suppressed_noted);
  EXPECT_TRUE(out.no_policy_noted);
  EXPECT_EQ(out.notified_digest, in.notified_digest);
  EXPECT_EQ(out.last_notified_at, in.last_notified_at);
  EXPECT_EQ(out.flush_at, in.flush_at);
  EXPECT_EQ(out.drop_at, Time::max());
  EXPECT_EQ(out.paged_receivers, in.paged_receivers);
  EXPECT_EQ(out.step, 4u);
  EXPECT_EQ(out.escalate_at, in.escalate_at);
  EXPECT_EQ(out.notify_seq, 12u);
  EXPECT_EQ(out.triggered_at, in.triggered_at);
  EXPECT_TRUE(out.major);
  EXPECT_EQ(out.symptom_of, in.symptom_of);
  EXPECT_EQ(out.symptoms, in.symptoms);
  EXPECT_EQ(out.problem, in.problem);
  EXPECT_EQ(out.flapping, 0u);  // recovery counts it from the members
  ASSERT_EQ(out.held.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(out.held[i].at, in.held[i].at) << i;
    EXPECT_EQ(out.held[i].fingerprint, in.held[i].fingerprint) << i;
    EXPECT_EQ(out.held[i].value, in.held[i].value) << i;
  }
}

TEST(CodecTest, HeldIncidentWithoutCorrelationRoundTrips) {
  Incident in = FullIncident();
  in.state = IncidentState::kHeld;
  in.major = false;
  in.symptom_of.clear();
  in.symptoms.clear();
  in.problem.clear();
  in.held.clear();
  std::string value;
  EncodeIncident(in, &value);
  Incident out;
  ASSERT_TRUE(DecodeIncident(value, {in.id_hi, in.id_lo}, &out));
  EXPECT_EQ(out.state, IncidentState::kHeld);
  EXPECT_EQ(out.triggered_at, in.triggered_at);
  EXPECT_FALSE(out.major);
  EXPECT_EQ(out.symptom_of, "");
  EXPECT_TRUE(out.symptoms.empty());
  EXPECT_EQ(out.problem, "");
  EXPECT_TRUE(out.held.empty());
}

// An incident record as incidentd wrote it before the correlation fields (triggered_at .. held): the fields
// EncodeIncident still writes first, laid out by hand so that a change to them shows here.
std::string IncidentBeforeCorrelation(const Incident& inc) {
  Raw r;
  r.U8(kFormat).Str(inc.rule).Fixed64(inc.group_key).U8(static_cast<uint8_t>(inc.state)).U8(inc.priority);
  r.Str(inc.title).Varint(inc.group_labels.size());
  for (const auto& [n, v] : inc.group_labels) r.Str(n).Str(v);
  r.Str(inc.policy).Varint(inc.timeline_dropped);
  r.At(inc.created_at).At(inc.updated_at).At(inc.acknowledged_at).At(inc.resolved_at);
  r.Str(inc.acknowledged_by).Str(inc.resolved_by).Varint(inc.reopened).Varint(inc.notifications);
  r.U8(static_cast<uint8_t>((inc.paged ? 1 : 0) | (inc.suppressed_noted ? 2 : 0) | (inc.no_policy_noted ? 4 : 0)));
  r.Fixed64(inc.notified_digest).At(inc.last_notified_at).At(inc.flush_at).At(inc.drop_at);
  r.Varint(inc.paged_receivers.size());
  for (const std::string& p : inc.paged_receivers) r.Str(p);
  r.Varint(inc.step).At(inc.escalate_at).Varint(inc.notify_seq);
  return r.bytes;
}

TEST(CodecTest, IncidentWrittenBeforeTheCorrelationFieldsDecodesWithDefaults) {
  const Incident in = FullIncident();
  const std::string old = IncidentBeforeCorrelation(in);
  std::string value;
  EncodeIncident(in, &value);
  ASSERT_GT(value.size(), old.size());
  EXPECT_EQ(value.substr(0, old.size()), old);  // the new fields only append

  Incident out;
  ASSERT_TRUE(DecodeIncident(old, {in.id_hi, in.id_lo}, &out));
  EXPECT_EQ(out.rule, "db");
  EXPECT_EQ(out.state, IncidentState::kAcknowledged);
  EXPECT_EQ(out.group_labels, in.group_labels);
  EXPECT_EQ(out.paged_receivers, in.paged_receivers);
  EXPECT_EQ(out.escalate_at, in.escalate_at);
  EXPECT_EQ(out.notify_seq, 12u);
  EXPECT_EQ(out.triggered_at, in.created_at);  // unknown: its creation
  EXPECT_FALSE(out.major);
  EXPECT_EQ(out.symptom_of, "");
  EXPECT_TRUE(out.symptoms.empty());
  EXPECT_EQ(out.problem, "");
  EXPECT_TRUE(out.held.empty());
}

// The correlation section is all there or absent: flags beyond major, a count beyond what is
// left, or bytes after it are refused. (Cut short and trailing bytes: EveryKindRefuses... below.)
TEST(CodecTest, ABadCorrelationSectionIsRefused) {
  const Incident in = FullIncident();
  const std::string old = IncidentBeforeCorrelation(in);
  auto decodes = [&](const Raw& section) {
    Incident out;
    return DecodeIncident(old + section.bytes, {1, 2}, &out);
  };
  // triggered_at, flags, symptom_of, symptoms, problem, held.
  auto section = [](uint8_t flags) { return Raw().At(kT0).U8(flags).Str("").Varint(0).Str(""); };
  EXPECT_TRUE(decodes(section(1).Varint(0)));
  EXPECT_FALSE(decodes(section(2).Varint(0)));                                // an unknown flag
  EXPECT_FALSE(decodes(section(0).Varint(2).At(kT0).Fixed64(1).Fixed64(2)));  // two held alerts, one there
  EXPECT_FALSE(decodes(section(0).Varint(0).U8(0)));                          // a byte after the section
  EXPECT_FALSE(decodes(Raw().At(kT0)));                                       // the section's start only
  Incident out;
  EXPECT_FALSE(DecodeIncident(old + section(0).Varint(1'000'000).Zeros(64).bytes, {1, 2}, &out));
  EXPECT_LT(out.held.capacity(), 64u);
}

TEST(CodecTest, IncidentStateHeldIsTheLastKnown) {
  Incident in = FullIncident();
  const size_t state_at = 1 + 1 + in.rule.size() + 8;  // version, rule, group key
  std::string value;
  EncodeIncident(in, &value);
  ASSERT_EQ(value[state_at], static_cast<char>(IncidentState::kAcknowledged));
  Incident out;
  value[state_at] = static_cast<char>(IncidentState::kHeld);
  ASSERT_TRUE(DecodeIncident(value, {1, 2}, &out));
  EXPECT_EQ(out.state, IncidentState::kHeld);
  value[state_at] = static_cast<char>(static_cast<uint8_t>(IncidentState::kHeld) + 1);
  out = Incident();
  EXPECT_FALSE(DecodeIncident(value, {1, 2}, &out));
}

TEST(CodecTest, MemberRoundTrips) {
  for (const IncidentMember m :
       {IncidentMember{1, AlertStatus::kFiring, true, false}, IncidentMember{5, AlertStatus::kResolved, false, true},
        IncidentMember{2, AlertStatus::kFiring, false, true}}) {
    std::string value;
    EncodeMember(m, &value);
    IncidentMember out{3, AlertStatus::kFiring, false, !m.flapping};
    ASSERT_TRUE(DecodeMember(value, &out));
    EXPECT_EQ(out.priority, m.priority);
    EXPECT_EQ(out.status, m.status);
    EXPECT_EQ(out.acknowledged, m.acknowledged);
    EXPECT_EQ(out.flapping, m.flapping);
  }
}

TEST(CodecTest, MemberWrittenBeforeFlappingDecodesAsNotFlapping) {
  // Version, priority, status, acknowledged: the record before the flapping byte.
  const std::string old = Raw().U8(kFormat).U8(2).U8(static_cast<uint8_t>(AlertStatus::kFiring)).U8(1).bytes;
  std::string value;
  EncodeMember(IncidentMember{2, AlertStatus::kFiring, true, true}, &value);
  EXPECT_EQ(value.substr(0, old.size()), old);
  IncidentMember out{3, AlertStatus::kResolved, false, true};
  ASSERT_TRUE(DecodeMember(old, &out));
  EXPECT_EQ(out.priority, 2);
  EXPECT_EQ(out.status, AlertStatus::kFiring);
  EXPECT_TRUE(out.acknowledged);
  EXPECT_FALSE(out.flapping);
  EXPECT_FALSE(DecodeMember(old + '\x02', &out));  // flapping is 0 or 1
}

TEST(CodecTest, TimelineEntryRoundTripsItsDetailText) {
  std::vector<std::string> details{""};
  const TimelineEntry with{kT0 + seconds(3), Fingerprint(42), 9, TimelineKind::kNotified};
  const TimelineEntry without{kT0, Fingerprint(7), 0, TimelineKind::kEscalationDone};
  std::string value;

  EncodeTimelineEntry(with, "triggered -> pd-a", &value);
  TimelineEntry out;
  ASSERT_TRUE(DecodeTimelineEntry(value, &out, &details));
  EXPECT_EQ(out.at, with.at);
  EXPECT_EQ(out.fingerprint, Fingerprint(42));
  EXPECT_EQ(out.kind, TimelineKind::kNotified);
  ASSERT_EQ(out.detail, 1u);
  EXPECT_EQ(details[1], "triggered -> pd-a");

  EncodeTimelineEntry(without, "", &value);
  ASSERT_TRUE(DecodeTimelineEntry(value, &out, &details));
  EXPECT_EQ(out.kind, TimelineKind::kEscalationDone);
  EXPECT_EQ(out.detail, 0u);  // no text: the shared empty detail
  EXPECT_EQ(details.size(), 2u);
}

TEST(CodecTest, TimelineKindsUpToProblemDecodeAndNoFurther) {
  std::vector<std::string> details{""};
  for (TimelineKind k : {TimelineKind::kHeld, TimelineKind::kThresholdReached, TimelineKind::kMajor,
                         TimelineKind::kSymptomOf, TimelineKind::kSymptomAdded, TimelineKind::kReleased,
                         TimelineKind::kFlapping, TimelineKind::kStable, TimelineKind::kProblem}) {
    std::string value;
    EncodeTimelineEntry(TimelineEntry{kT0, Fingerprint(5), 0, k}, "d", &value);
    TimelineEntry out;
    ASSERT_TRUE(DecodeTimelineEntry(value, &out, &details)) << TimelineKindName(k);
    EXPECT_EQ(out.kind, k);
    EXPECT_EQ(out.fingerprint, Fingerprint(5));
  }
  std::string value;
  EncodeTimelineEntry(TimelineEntry{kT0, Fingerprint(5), 0, TimelineKind::kProblem}, "", &value);
  value[1 + 8 + 8] = static_cast<char>(static_cast<uint8_t>(TimelineKind::kProblem) + 1);  // after version, at, fp
  TimelineEntry out;
  EXPECT_FALSE(DecodeTimelineEntry(value, &out, &details));
}

TEST(CodecTest, SilenceRoundTripsEveryMatcherType) {
  engine::Silence s;
  s.matchers = {engine::M("a=\"1\""), engine::M("b!=\"2\""), engine::M("c=~\"x.*\""), engine::M("d!~\"y|z\"")};
  s.starts_at = kT0;
  s.ends_at = kT0 + hours(2);
  s.updated_at = kT0 + seconds(1);
  s.created_by = "ops";
  s.comment = "maintenance";
  std::string value;
  EncodeSilence(s, &value);
  engine::Silence out;
  ASSERT_TRUE(DecodeSilence(value, "s-1", &out));
  EXPECT_EQ(out.id, "s-1");
  ASSERT_EQ(out.matchers.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(out.matchers[i].ToString(), s.matchers[i].ToString());
  EXPECT_TRUE(out.matchers[2].Matches("xyz"));
  EXPECT_EQ(out.starts_at, s.starts_at);
  EXPECT_EQ(out.ends_at, s.ends_at);
  EXPECT_EQ(out.updated_at, s.updated_at);
  EXPECT_EQ(out.created_by, "ops");
  EXPECT_EQ(out.comment, "maintenance");
}

Notification FullNotification() {
  Notification n;
  n.at = kT0 + seconds(30);
  n.incident_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  n.receiver = "pd-a";
  n.event = NotifyEvent::kEscalated;
  n.inform = true;
  n.state = IncidentState::kTriggered;
  n.priority = 1;
  n.title = "Down in eu1";
  n.seq = 300;
  n.step = 2;
  auto snap = std::make_shared<IncidentSnapshot>();
  snap->id = n.incident_id;
  snap->rule = "db";
  snap->title = n.title;
  snap->policy = "oncall";
  snap->state = IncidentState::kAcknowledged;
  snap->priority = 1;
  snap->group_labels = {{"cluster", "eu1"}};
  snap->created_at = kT0;
  snap->acknowledged_at = kT0 + seconds(20);
  snap->resolved_at = kZeroTime;
  snap->acknowledged_by = "bob";
  snap->resolved_by = "";
  snap->alerts_firing = 1;
  snap->alerts_total = 250;
  AlertSnapshot a;
  a.fingerprint = Fingerprint(99);
  a.status = AlertStatus::kResolved;
  a.starts_at = kT0 - hours(1);
  a.ends_at = kT0;
  a.labels = {{"alertname", "Down"}, {"cluster", "eu1"}};
  a.annotations = {{"summary", "db down"}};
  a.generator_url = "http://prom";
  snap->alerts = {a, AlertSnapshot{}};
  n.incident = std::move(snap);
  return n;
}

TEST(CodecTest, NotificationRoundTripsWithTheSnapshotItRenders) {
  const Notification n = FullNotification();
  std::string value;
  EncodeNotification(n, &value);
  Notification out;
  ASSERT_TRUE(DecodeNotification(value, &out));
  EXPECT_EQ(out.at, n.at);
  EXPECT_EQ(out.incident_id, n.incident_id);
  EXPECT_EQ(out.receiver, "pd-a");
  EXPECT_EQ(out.event, NotifyEvent::kEscalated);
  EXPECT_TRUE(out.inform);
  EXPECT_EQ(out.state, IncidentState::kTriggered);
  EXPECT_EQ(out.priority, 1);
  EXPECT_EQ(out.title, n.title);
  EXPECT_EQ(out.seq, 300u);
  EXPECT_EQ(out.step, 2u);
  EXPECT_EQ(out.Key(), n.Key());
  ASSERT_NE(out.incident, nullptr);
  const IncidentSnapshot& s = *out.incident;
  const IncidentSnapshot& w = *n.incident;
  EXPECT_EQ(s.id, w.id);
  EXPECT_EQ(s.rule, "db");
  EXPECT_EQ(s.title, w.title);
  EXPECT_EQ(s.policy, "oncall");
  EXPECT_EQ(s.state, IncidentState::kAcknowledged);
  EXPECT_EQ(s.priority, 1);
  EXPECT_EQ(s.group_labels, w.group_labels);
  EXPECT_EQ(s.created_at, w.created_at);
  EXPECT_EQ(s.acknowledged_at, w.acknowledged_at);
  EXPECT_EQ(s.resolved_at, kZeroTime);
  EXPECT_EQ(s.acknowledged_by, "bob");
  EXPECT_EQ(s.resolved_by, "");
  EXPECT_EQ(s.alerts_firing, 1u);
  EXPECT_EQ(s.alerts_total, 250u);
  ASSERT_EQ(s.alerts.size(), 2u);
  EXPECT_EQ(s.alerts[0].fingerprint, Fingerprint(99));
  EXPECT_EQ(s.alerts[0].status, AlertStatus::kResolved);
  EXPECT_EQ(s.alerts[0].starts_at, w.alerts[0].starts_at);
  EXPECT_EQ(s.alerts[0].ends_at, kT0);
  EXPECT_EQ(s.alerts[0].labels, w.alerts[0].labels);
  EXPECT_EQ(s.alerts[0].annotations, w.alerts[0].annotations);
  EXPECT_EQ(s.alerts[0].generator_url, "http://prom");
  EXPECT_EQ(s.alerts[1].ends_at, kZeroTime);
  EXPECT_TRUE(s.alerts[1].labels.empty());
}

TEST(CodecTest, NotificationWithoutSnapshotRoundTrips) {
  Notification n = FullNotification();
  n.incident.reset();
  std::string value;
  EncodeNotification(n, &value);
  Notification out;
  ASSERT_TRUE(DecodeNotification(value, &out));
  EXPECT_EQ(out.Key(), n.Key());
  EXPECT_EQ(out.incident, nullptr);
}

notify::DeliveryRecord FullRecord() {
  notify::DeliveryRecord r;
  r.key = "01ARZ3NDEKTSV4RRFFQ69G5FAV/3/pd-a";
  r.incident_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  r.receiver = "pd-a";
  r.event = NotifyEvent::kResolved;
  r.inform = false;
  r.seq = 3;
  r.step = 1;
  r.state = notify::DeliveryState::kFailed;
  r.attempts = 7;
  r.decided_at = kT0;
  r.last_attempt_at = kT0 + seconds(40);
  r.finished_at = kT0 + seconds(41);
  r.last_status = 400;
  r.last_error = "bad request: invalid routing key";
  return r;
}

TEST(CodecTest, DeliveryRecordRoundTrips) {
  const notify::DeliveryRecord r = FullRecord();
  std::string value;
  EncodeDeliveryRecord(r, &value);
  notify::DeliveryRecord out;
  ASSERT_TRUE(DecodeDeliveryRecord(value, &out));
  EXPECT_EQ(out.key, r.key);
  EXPECT_EQ(out.incident_id, r.incident_id);
  EXPECT_EQ(out.receiver, "pd-a");
  EXPECT_EQ(out.event, NotifyEvent::kResolved);
  EXPECT_FALSE(out.inform);
  EXPECT_EQ(out.seq, 3u);
  EXPECT_EQ(out.step, 1u);
  EXPECT_EQ(out.state, notify::DeliveryState::kFailed);
  EXPECT_EQ(out.attempts, 7u);
  EXPECT_EQ(out.decided_at, r.decided_at);
  EXPECT_EQ(out.last_attempt_at, r.last_attempt_at);
  EXPECT_EQ(out.finished_at, r.finished_at);
  EXPECT_EQ(out.last_status, 400);
  EXPECT_EQ(out.last_error, r.last_error);
}

// One valid value of each record kind, with its decoder.
struct Kind {
  std::string name;
  std::string value;
  std::function<bool(std::string_view)> decode;
  size_t older_size = std::string::npos;  // a shorter value that is whole: the record before its trailing section
};

std::vector<Kind> EveryKind() {
  std::vector<Kind> kinds;
  std::string v;
  {
    engine::Engine e({}, {});
    e.Apply(FullBatch({Full{{{"alertname", "Down"}}, {{"summary", "s"}}, "http://prom"}}), kT0);
    EncodeAlert(OnlyAlert(e), {{1, 2}}, &v);
    kinds.push_back({"alert", v, [](std::string_view s) {
                       DecodedAlert d;
                       return DecodeAlert(s, Fingerprint(1), &d);
                     }});
  }
  EncodeIncident(FullIncident(), &v);
  kinds.push_back({"incident", v,
                   [](std::string_view s) {
                     Incident inc;
                     return DecodeIncident(s, {1, 2}, &inc);
                   },
                   IncidentBeforeCorrelation(FullIncident()).size()});
  EncodeMember(IncidentMember{2, AlertStatus::kResolved, false, true}, &v);
  kinds.push_back({"member", v,
                   [](std::string_view s) {
                     IncidentMember m;
                     return DecodeMember(s, &m);
                   },
                   v.size() - 1});
  EncodeTimelineEntry(TimelineEntry{kT0, Fingerprint(3), 1, TimelineKind::kPriority}, "P3 -> P1", &v);
  kinds.push_back({"timeline entry", v, [](std::string_view s) {
                     TimelineEntry e;
                     std::vector<std::string> details{""};
                     return DecodeTimelineEntry(s, &e, &details);
                   }});
  engine::Silence silence = MakeSilence("cluster=\"eu1\"", kT0, kT0 + hours(1));
  EncodeSilence(silence, &v);
  kinds.push_back({"silence", v, [](std::string_view s) {
                     engine::Silence out;
                     return DecodeSilence(s, "id", &out);
                   }});
  EncodeNotification(FullNotification(), &v);
  kinds.push_back({"notification", v, [](std::string_view s) {
                     Notification n;
                     return DecodeNotification(s, &n);
                   }});
  EncodeDeliveryRecord(FullRecord(), &v);
  kinds.push_back({"delivery record", v, [](std::string_view s) {
                     notify::DeliveryRecord r;
                     return DecodeDeliveryRecord(s, &r);
                   }});
  return kinds;
}

TEST(CodecTest, EveryKindRefusesATruncatedValue) {
  for (const Kind& k : EveryKind()) {
    ASSERT_TRUE(k.decode(k.value)) << k.name;
    for (size_t n = 0; n < k.value.size(); ++n) {
      if (n == k.older_size) {
        EXPECT_TRUE(k.decode(std::string_view(k.value).substr(0, n))) << k.name << " without its trailing section";
        continue;
      }
      EXPECT_FALSE(k.decode(std::string_view(k.value).substr(0, n))) << k.name << " cut to " << n << " bytes";
    }
  }
}

TEST(CodecTest, EveryKindRefusesAnotherFormatVersion) {
  for (const Kind& k : EveryKind()) {
    for (uint8_t version : {uint8_t{0}, uint8_t{kFormat + 1}, uint8_t{255}}) {
      std::string v = k.value;
      v[0] = static_cast<char>(version);
      EXPECT_FALSE(k.decode(v)) << k.name << " with version " << int{version};
    }
  }
}

TEST(CodecTest, EveryKindRefusesTrailingBytes) {
  for (const Kind& k : EveryKind()) EXPECT_FALSE(k.decode(k.value + '\0')) << k.name;
}

TEST(CodecTest, AnEnumOutOfRangeIsRefused) {
  std::string v;
  EncodeMember(IncidentMember{2, AlertStatus::kFiring, false}, &v);
  v[2] = 2;  // the status: firing or resolved only
  IncidentMember m;
  EXPECT_FALSE(DecodeMember(v, &m));
  EncodeMember(IncidentMember{2, AlertStatus::kFiring, false}, &v);
  v[1] = 6;  // P6
  EXPECT_FALSE(DecodeMember(v, &m));
}

// A count far beyond what the rest of the value could hold is refused before anything is reserved for it: the
// vectors the decoder fills stay small (a million labels would be 32 MB), and a count of 2^40 snapshot alerts, which
// would be a terabyte, throws nothing.
TEST(CodecTest, AHugeCountIsRefusedWithoutAllocatingForIt) {
  constexpr uint64_t kMillion = 1'000'000;
  // An alert: version, duplicates, digest, four times, status, format, ends kind, flags, then the label count ...
  auto alert_head = [] { return Raw().U8(kFormat).Varint(0).Zeros(8 + 4 * 8).U8(0).U8(0).U8(0).U8(0); };
  DecodedAlert d;
  EXPECT_FALSE(DecodeAlert(alert_head().Varint(kMillion).Zeros(64).bytes, Fingerprint(1), &d));
  EXPECT_LT(d.labels.capacity(), 64u);
  // ... or no labels, a huge annotation count ...
  d = DecodedAlert();
  EXPECT_FALSE(DecodeAlert(alert_head().Varint(0).Varint(kMillion).Zeros(64).bytes, Fingerprint(1), &d));
  EXPECT_LT(d.annotations.capacity(), 64u);
  // ... or no labels, annotations or URL, then a huge memberships count.
  d = DecodedAlert();
  EXPECT_FALSE(
      DecodeAlert(alert_head().Varint(0).Varint(0).Varint(0).Varint(kMillion).Zeros(64).bytes, Fingerprint(1), &d));
  EXPECT_LT(d.memberships.capacity(), 64u);

  // An incident's group labels: after its rule, group key, state, priority and title.
  Incident inc;
  EXPECT_FALSE(
      DecodeIncident(Raw().U8(kFormat).Varint(0).Zeros(8).U8(0).U8(3).Varint(0).Varint(kMillion).bytes, {1, 2}, &inc));
  EXPECT_LT(inc.group_labels.capacity(), 64u);

  // A notification with a snapshot: its alerts count after the snapshot's fixed part.
  Raw n = Raw().U8(kFormat).Zeros(8).Varint(1).U8('i').Varint(1).U8('r').U8(0).U8(0).U8(0).U8(3);
  n.Varint(0).Varint(1).Varint(0).U8(1);                            // title, seq, step, has a snapshot
  n.Varint(0).Varint(0).Varint(0).Varint(0).U8(0).U8(3).Varint(0);  // id, rule, title, policy, state, P, groups
  n.Zeros(3 * 8).Varint(0).Varint(0).Varint(0).Varint(0).Varint(uint64_t{1} << 40);  // times .. alerts count
  Notification out;
  bool decoded = true;
  EXPECT_NO_THROW(decoded = DecodeNotification(n.bytes, &out));
  EXPECT_FALSE(decoded);

  engine::Silence s;
  EXPECT_NO_THROW(decoded = DecodeSilence(Raw().U8(kFormat).Varint(uint64_t{1} << 62).bytes, "id", &s));
  EXPECT_FALSE(decoded);
}

TEST(CodecTest, KeysSortAsTheIdsTheyHold) {
  // Big-endian: RocksDB's byte order is the numeric order, so an incident's members and timeline follow its id.
  EXPECT_LT(IncidentKeyBytes({1, UINT64_MAX}), IncidentKeyBytes({2, 0}));
  EXPECT_LT(IncidentKeyBytes({2, 255}), IncidentKeyBytes({2, 256}));
  EXPECT_LT(TimelineKey({1, 1}, 9), TimelineKey({1, 1}, 10));
  EXPECT_LT(TimelineKey({1, 1}, 255), TimelineKey({1, 1}, 256));
  EXPECT_LT(TimelineKey({1, 1}, UINT64_MAX - 1), TimelineKey({1, 2}, 0));
  EXPECT_EQ(MemberKeyBytes({1, 2}, Fingerprint(3)).substr(0, 16), IncidentKeyBytes({1, 2}));
  EXPECT_EQ(MemberKeyBytes({1, 2}, Fingerprint(3)).size(), 24u);
  EXPECT_LT(TimeKey(kT0 + seconds(9)), TimeKey(kT0 + seconds(10)));
  EXPECT_LT(TimeKey(kZeroTime), TimeKey(kT0));
  EXPECT_EQ(LogKey(kT0, "a/1/pd"), TimeKey(kT0) + "a/1/pd");

  engine::IncidentKey k;
  ASSERT_TRUE(ParseIncidentKey(MemberKeyBytes({5, 6}, Fingerprint(7)), &k));
  EXPECT_EQ(k, (engine::IncidentKey{5, 6}));
  EXPECT_FALSE(ParseIncidentKey("short", &k));
  Fingerprint fp;
  ASSERT_TRUE(ParseAlertKey(AlertKey(Fingerprint(0x0102030405060708ULL)), &fp));
  EXPECT_EQ(fp, Fingerprint(0x0102030405060708ULL));
  EXPECT_FALSE(ParseAlertKey("1234567", &fp));
}

}  // namespace
}  // namespace incidentd::store
