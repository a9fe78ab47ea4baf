// StateStore::Load: recovery, reading every column family back into a fresh engine and the outbox's lists.
// state_store.h documents the class.
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <memory>
#include <tuple>

#include "store/codec.h"
#include "store/families.h"
#include "store/state_store.h"

namespace incidentd::store {

Status StateStore::Load(engine::Engine& engine, Time now, RecoveredOutbox* outbox, RecoveryStats* stats) {
  rocksdb::DB& db = *h_->db;
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2 << 20;
  ro.fill_cache = false;
  auto bad = [&](Family f, std::string_view key, std::string_view what) {
    return Status::Invalid("store: " + options_.dir + ": " + kFamilyNames[f] + " record " + Hex(key) + ": " +
                           std::string(what) + "; refusing to start with part of the state");
  };
  auto iterator = [&](Family f) {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, h_->cf[f]));
    it->SeekToFirst();
    return it;
  };

  // Incidents, with their members and timelines: three iterators walking the same key order.
  {
    auto inc_it = iterator(kIncidents);
    auto mem_it = iterator(kMembers);
    auto tl_it = iterator(kTimeline);
    for (; inc_it->Valid(); inc_it->Next()) {
      engine::IncidentKey key;
      if (!ParseIncidentKey(inc_it->key().ToStringView(), &key) || inc_it->key().size() != 16) {
        return bad(kIncidents, inc_it->key().ToStringView(), "bad key");
      }
      auto inc = std::make_unique<Incident>();
      if (!DecodeIncident(inc_it->value().ToStringView(), key, inc.get())) {
        return bad(kIncidents, inc_it->key().ToStringView(), "malformed value");
      }
      inc->id = engine::Incidents::IdText(key.hi, key.lo);
      // Members of incidents before this one have no incident: left over from a forget cut short; skipped.
      for (; mem_it->Valid(); mem_it->Next()) {
        engine::IncidentKey mk;
        std::string_view k = mem_it->key().ToStringView();
        if (k.size() != 24 || !ParseIncidentKey(k, &mk)) return bad(kMembers, k, "bad key");
        if (mk > key) break;
        if (mk < key) continue;
        IncidentMember m;
        if (!DecodeMember(mem_it->value().ToStringView(), &m)) return bad(kMembers, k, "malformed value");
        Fingerprint fp;
        ParseAlertKey(k.substr(16), &fp);
        inc->members.emplace(fp, m);
        if (m.status == AlertStatus::kFiring) {
          ++inc->firing;
          ++inc->firing_by_priority[m.priority - 1];
          if (m.acknowledged) ++inc->firing_acknowledged;
        }
        ++stats->members;
      }
      std::vector<std::string> details{""};
      for (; tl_it->Valid(); tl_it->Next()) {
        engine::IncidentKey tk;
        std::string_view k = tl_it->key().ToStringView();
        if (k.size() != 24 || !ParseIncidentKey(k, &tk)) return bad(kTimeline, k, "bad key");
        if (tk > key) break;
        if (tk < key) continue;
        TimelineEntry e;
        if (!DecodeTimelineEntry(tl_it->value().ToStringView(), &e, &details)) {
          return bad(kTimeline, k, "malformed value");
        }
        inc->timeline.push_back(e);
        ++stats->timeline;
      }
      if (inc->timeline.size() > Incident::kTimelineLimit) {
        return bad(kIncidents, inc_it->key().ToStringView(), "more timeline entries than the limit");
      }
      Status s = engine.RestoreIncident(std::move(inc), details, now);
      if (!s.ok()) return bad(kIncidents, inc_it->key().ToStringView(), s.message());
      ++stats->incidents;
    }
    for (auto* it : {inc_it.get(), mem_it.get(), tl_it.get()}) {
      if (!it->status().ok()) return Status::Unavailable("store: reading incidents: " + it->status().ToString());
    }
  }

  // Alerts.
  {
    auto it = iterator(kAlerts);
    DecodedAlert d;
    for (; it->Valid(); it->Next()) {
      Fingerprint fp;
      std::string_view k = it->key().ToStringView();
      if (!ParseAlertKey(k, &fp)) return bad(kAlerts, k, "bad key");
      d = DecodedAlert();
      if (!DecodeAlert(it->value().ToStringView(), fp, &d)) return bad(kAlerts, k, "malformed value");
      Status s = engine.RestoreAlert(d.alert, d.labels, d.annotations, d.generator_url, d.memberships, now);
      if (!s.ok()) return bad(kAlerts, k, s.message());
      ++stats->alerts;
    }
    if (!it->status().ok()) return Status::Unavailable("store: reading alerts: " + it->status().ToString());
  }

  // Silences.
  {
    auto it = iterator(kSilences);
    for (; it->Valid(); it->Next()) {
      engine::Silence silence;
      std::string_view k = it->key().ToStringView();
      if (!DecodeSilence(it->value().ToStringView(), k, &silence)) return bad(kSilences, k, "malformed value");
      Status s = engine.RestoreSilence(std::move(silence));
      if (!s.ok()) return bad(kSilences, k, s.message());
      ++stats->silences;
    }
    if (!it->status().ok()) return Status::Unavailable("store: reading silences: " + it->status().ToString());
  }

  // The outbox: decided and unfinished, in decision order per incident.
  {
    auto it = iterator(kOutbox);
    for (; it->Valid(); it->Next()) {
      Notification n;
      if (!DecodeNotification(it->value().ToStringView(), &n)) {
        return bad(kOutbox, it->key().ToStringView(), "malformed value");
      }
      outbox->pending.push_back(std::move(n));
    }
    if (!it->status().ok()) return Status::Unavailable("store: reading the outbox: " + it->status().ToString());
    std::sort(outbox->pending.begin(), outbox->pending.end(), [](const Notification& a, const Notification& b) {
      return std::tie(a.incident_id, a.seq, a.receiver) < std::tie(b.incident_id, b.seq, b.receiver);
    });
    stats->pending = outbox->pending.size();
  }

  // The notification log within its retention.
  {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, h_->cf[kLog]));
    const std::string from = TimeKey(now - options_.log_retention);
    for (it->Seek(from); it->Valid(); it->Next()) {
      notify::DeliveryRecord r;
      if (!DecodeDeliveryRecord(it->value().ToStringView(), &r)) {
        return bad(kLog, it->key().ToStringView(), "malformed value");
      }
      outbox->finished.push_back(std::move(r));
    }
    if (!it->status().ok()) return Status::Unavailable("store: reading the log: " + it->status().ToString());
    stats->finished = outbox->finished.size();
  }
  return Status::Ok();
}

}  // namespace incidentd::store
