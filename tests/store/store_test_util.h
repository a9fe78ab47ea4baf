// Helpers for the state store's tests: a temporary directory, ticks that commit what the engine did, direct access
// to the RocksDB underneath (to plant records and count what is left), and a dump of what the API would show of an
// engine, so that an engine recovered from the store is compared with the one that wrote it.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_util.h"
#include "store/state_store.h"

namespace incidentd::store {

using engine::Batch;
using engine::Events;
using engine::hours;
using engine::In;
using engine::kT0;
using engine::minutes;
using engine::seconds;

// A directory under /tmp, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/incidentd-store-test-XXXXXX";
    const char* made = mkdtemp(tmpl);
    EXPECT_NE(made, nullptr) << "mkdtemp failed";
    path_ = made != nullptr ? made : "/tmp/incidentd-store-test-failed";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Where the daemon would keep its store: data_dir/state.
  std::string state() const { return path_ + "/state"; }

 private:
  std::string path_;
};

inline StoreOptions Options(const TempDir& dir) {
  StoreOptions o;
  o.dir = dir.state();
  return o;
}

// Opens the store and recovers it into `engine` as of `now`, failing the test (and returning null) on an error.
inline std::unique_ptr<StateStore> OpenAndRecover(const StoreOptions& options, engine::Engine& engine, Time now,
                                                  RecoveredOutbox* outbox = nullptr, RecoveryStats* stats = nullptr,
                                                  observability::Registry* metrics = nullptr) {
  Result<std::unique_ptr<StateStore>> opened = StateStore::Open(options, metrics);
  if (!opened.ok()) {
    ADD_FAILURE() << "Open: " << opened.status().message();
    return nullptr;
  }
  RecoveredOutbox unused_outbox;
  RecoveryStats unused_stats;
  Status s = (*opened)->Recover(engine, now, outbox ? outbox : &unused_outbox, stats ? stats : &unused_stats);
  if (!s.ok()) {
    ADD_FAILURE() << "Recover: " << s.message();
    return nullptr;
  }
  return std::move(*opened);
}

// Closes the store an engine writes to. The engine stops naming its changes first: they would go to a store that
// is gone.
inline void Close(engine::Engine& engine, std::unique_ptr<StateStore>& store) {
  engine.TrackChanges(nullptr);
  store.reset();
}

// One engine tick as the engine loop runs it: timers due before now at their own times, the batch, Advance(now),
// then the Commit of what the tick changed and decided. Returns the notifications decided.
inline std::vector<Notification> Tick(engine::Engine& e, StateStore& store, Time now,
                                      const AlertBatch* batch = nullptr) {
  e.AdvanceBefore(now);
  if (batch != nullptr) e.Apply(*batch, now);
  e.Advance(now);
  std::vector<Notification> decided = e.TakeNotifications();
  Status s = store.Commit(e, decided, now);
  EXPECT_TRUE(s.ok()) << s.message();
  return decided;
}
inline std::vector<Notification> Tick(engine::Engine& e, StateStore& store, Time now, const AlertBatch& batch) {
  return Tick(e, store, now, &batch);
}

// Commits what commands (acknowledge, resolve, silences) changed since the last tick.
inline std::vector<Notification> CommitCommands(engine::Engine& e, StateStore& store, Time now) {
  std::vector<Notification> decided = e.TakeNotifications();
  Status s = store.Commit(e, decided, now);
  EXPECT_TRUE(s.ok()) << s.message();
  return decided;
}

// An alert with labels, annotations and a generator URL (engine_test_util's Batch has a fixed annotation).
struct Full {
  engine::Labels labels;
  engine::Labels annotations;
  std::string generator_url;
  EndsAtKind ends = EndsAtKind::kGiven;
  Time ends_at = kT0 + hours(24);
};

inline AlertBatch FullBatch(const std::vector<Full>& alerts) {
  AlertBatch b(AlertFormat::kPrometheus);
  for (const Full& f : alerts) {
    AlertInput& a = b.Begin();
    a.ends_kind = f.ends;
    a.ends_at = f.ends_at;
    a.generator_url = b.Store(f.generator_url);
    for (const auto& [n, v] : f.labels) b.AddLabel(n, v);
    for (const auto& [n, v] : f.annotations) b.AddAnnotation(n, v);
    b.Finish(true);
  }
  b.Seal();
  return b;
}

inline engine::Silence MakeSilence(std::string_view matcher, Time starts, Time ends, std::string comment = "c") {
  engine::Silence s;
  s.matchers = {engine::M(matcher)};
  s.starts_at = starts;
  s.ends_at = ends;
  s.created_by = "ops";
  s.comment = std::move(comment);
  return s;
}

// A time as an offset from kT0 in milliseconds, or "zero" / "never".
inline std::string T(Time t) {
  if (t == kZeroTime) return "zero";
  if (t == Time::max()) return "never";
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t - kT0).count()) + "ms";
}

template <typename Set>
std::string Pairs(const Set& set) {
  std::string out = "{";
  for (const auto& l : set.labels()) out += std::string(l.name.view()) + "=" + std::string(l.value.view()) + ",";
  return out + "}";
}

// What the API shows of an engine: alerts, incidents with their members and timelines, silences; one line each,
// in id order, so that two engines compare with EXPECT_EQ and a difference reads as a diff.
inline std::string Describe(const engine::Engine& e) {
  std::string out;
  std::vector<const Alert*> alerts;
  e.alerts().ForEach([&](const Alert& a) { alerts.push_back(&a); });
  std::sort(alerts.begin(), alerts.end(),
            [](const Alert* a, const Alert* b) { return a->fingerprint < b->fingerprint; });
  for (const Alert* a : alerts) {
    out += "alert " + a->fingerprint.ToString() + " " + Pairs(a->labels) + " annotations " + Pairs(a->annotations) +
           " " + std::string(StatusName(a->status)) + " starts " + T(a->starts_at) + " ends " + T(a->ends_at) +
           " ends_kind " + std::to_string(static_cast<int>(a->ends_kind)) + " updated " + T(a->updated_at) +
           " first_seen " + T(a->first_seen) + " url '" + std::string(a->generator_url.view()) + "' acked " +
           std::to_string(a->acknowledged) + " in [";
    for (const engine::IncidentKey& k : e.MembershipsOf(*a)) out += engine::Incidents::IdText(k.hi, k.lo) + " ";
    const engine::MuteState mute = e.MuteStateOf(*a);
    out += "] silenced by [";
    for (std::string_view id : mute.silenced_by) out += std::string(id) + " ";
    out += "] inhibited by " + (mute.inhibited_by ? mute.inhibited_by->ToString() : std::string("-")) + "\n";
  }
  for (const Incident* inc : engine::All(e)) {
    out += "incident " + inc->id + " rule " + inc->rule + " " + std::string(IncidentStateName(inc->state)) + " P" +
           std::to_string(inc->priority) + " '" + inc->title + "' policy " + inc->policy + " group {";
    for (const auto& [n, v] : inc->group_labels) out += n + "=" + v + ",";
    out += "} created " + T(inc->created_at) + " updated " + T(inc->updated_at) + " acked " + T(inc->acknowledged_at) +
           " by '" + inc->acknowledged_by + "' resolved " + T(inc->resolved_at) + " by '" + inc->resolved_by +
           "' firing " + std::to_string(inc->firing) + " reopened " + std::to_string(inc->reopened) +
           " notifications " + std::to_string(inc->notifications) + " paged " + std::to_string(inc->paged) + " step " +
           std::to_string(inc->step) + " escalate " + T(inc->escalate_at) + " flush " + T(inc->flush_at) + " drop " +
           T(inc->drop_at) + " seq " + std::to_string(inc->notify_seq) + " paged_receivers [";
    for (const std::string& r : inc->paged_receivers) out += r + " ";
    out += "] dropped " + std::to_string(inc->timeline_dropped) + " triggered " + T(inc->triggered_at) + " major " +
           std::to_string(inc->major) + " symptom_of '" + inc->symptom_of + "' symptoms [";
    for (const std::string& id : inc->symptoms) out += id + " ";
    out += "] problem '" + inc->problem + "' flapping " + std::to_string(inc->flapping) + " held [";
    for (const HeldAlert& h : inc->held) out += T(h.at) + " " + h.fingerprint.ToString() + " ";
    out += "]\n";
    std::vector<std::pair<Fingerprint, IncidentMember>> members(inc->members.begin(), inc->members.end());
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [fp, m] : members) {
      out += "  member " + fp.ToString() + " " + std::string(StatusName(m.status)) + " P" + std::to_string(m.priority) +
             " acked " + std::to_string(m.acknowledged) + " flapping " + std::to_string(m.flapping) + "\n";
    }
    for (const TimelineEntry& t : inc->timeline) {
      out += "  " + T(t.at) + " " + std::string(TimelineKindName(t.kind)) + " " +
             (t.fingerprint == Fingerprint() ? std::string("-") : t.fingerprint.ToString()) + " '" +
             std::string(e.incidents().Detail(t)) + "'\n";
    }
  }
  e.silences().ForEach([&](const engine::Silence& s) {
    out += "silence " + s.id + " [";
    for (const engine::Matcher& m : s.matchers) out += m.ToString() + " ";
    out += "] " + T(s.starts_at) + ".." + T(s.ends_at) + " updated " + T(s.updated_at) + " by " + s.created_by + " '" +
           s.comment + "'\n";
  });
  return out;
}

// Direct access to the store's RocksDB, for what the store's API does not show. REQUIRES: the store is closed.
class RawDb {
 public:
  // Opens (creating if missing) the database in `dir` with every column family it has.
  explicit RawDb(const std::string& dir) {
    std::vector<std::string> names;
    if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok()) names = {"default"};
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DBOptions o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(o, dir, families, &handles_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
  }
  ~RawDb() {
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    if (db_) db_->Close();
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  bool ok() const { return db_ != nullptr; }

  // The column family, created when missing.
  rocksdb::ColumnFamilyHandle* Family(const std::string& name) {
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      if (h->GetName() == name) return h;
    }
    rocksdb::ColumnFamilyHandle* h = nullptr;
    rocksdb::Status s = db_->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), name, &h);
    EXPECT_TRUE(s.ok()) << s.ToString();
    handles_.push_back(h);
    return h;
  }

  void Put(const std::string& family, std::string_view key, std::string_view value) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    rocksdb::Status s = db_->Put(wo, Family(family), key, value);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  // The keys of every column family but "default" (the meta record), by family.
  std::map<std::string, std::vector<std::string>> Keys() {
    std::map<std::string, std::vector<std::string>> out;
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      if (h->GetName() == "default") continue;
      std::vector<std::string>& keys = out[h->GetName()];
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), h));
      for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
    }
    return out;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace incidentd::store
