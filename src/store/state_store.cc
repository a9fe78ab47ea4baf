#include "store/state_store.h"

#include <rocksdb/db.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <tuple>

#include "store/codec.h"
#include "store/families.h"

namespace incidentd::store {
namespace {

engine::IncidentKey Next(engine::IncidentKey k) { return {k.lo == UINT64_MAX ? k.hi + 1 : k.hi, k.lo + 1}; }

class RocksTarget final : public WriteTarget {
 public:
  explicit RocksTarget(rocksdb::DB* db) : db_(db) {}
  Status Write(rocksdb::WriteBatch* batch, bool sync) override {
    // After a failed write RocksDB refuses writes until it is resumed (a full disk that has room again, say).
    if (failed_.load(std::memory_order_relaxed)) db_->Resume();
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    rocksdb::Status s = db_->Write(wo, batch);
    failed_.store(!s.ok(), std::memory_order_relaxed);
    if (!s.ok()) return Status::Unavailable("store: write failed: " + s.ToString());
    return Status::Ok();
  }

 private:
  rocksdb::DB* db_;
  std::atomic<bool> failed_{false};
};

}  // namespace

StateStore::StateStore(StoreOptions options, observability::Registry* metrics)
    : options_(std::move(options)), h_(std::make_unique<Handles>()) {
  static observability::Registry unused;
  observability::Registry& m = metrics ? *metrics : unused;
  commits_ = &m.GetCounter("incidentd_store_commits_total", "Engine ticks written to the state store.");
  commit_errors_ = &m.GetCounter("incidentd_store_commit_errors_total",
                                 "Tick writes that failed (their senders were answered 503).");
  bytes_written_ =
      &m.GetCounter("incidentd_store_written_bytes_total", "Bytes of the tick writes (before compression).");
  journal_errors_ = &m.GetCounter("incidentd_store_journal_errors_total",
                                  "Finished notifications the store could not record (they may be sent again).");
  commit_seconds_ = &m.GetHistogram("incidentd_store_commit_seconds", "How long a tick's synced write took.", {},
                                    observability::LatencyBuckets());
}

StateStore::~StateStore() = default;

Result<std::unique_ptr<StateStore>> StateStore::Open(StoreOptions options, observability::Registry* metrics) {
  std::unique_ptr<StateStore> s(new StateStore(std::move(options), metrics));
  const std::string& dir = s->options_.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("store: cannot create " + dir + ": " + ec.message());

  rocksdb::Options o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.paranoid_checks = true;
  o.IncreaseParallelism(2);
  o.max_background_jobs = 2;
  o.keep_log_file_num = 3;
  o.max_total_wal_size = 256 << 20;
  o.allow_concurrent_memtable_write = false;  // the vector memtable
  // A torn last record (a crash in the middle of a write) is cut; damage anywhere else stops the start, where
  // point-in-time recovery would silently drop every later, acknowledged write.
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  rocksdb::ColumnFamilyOptions cfo;
  cfo.write_buffer_size = 64 << 20;
  // The store is written all the time and read only at start: a vector memtable appends in O(1) and sorts once, at
  // flush, where the default skip list pays a search of a large table for every key (the ingest's top cost). It
  // needs writes one at a time, which the writer thread gives (Finished writes are rare and small).
  cfo.memtable_factory.reset(new rocksdb::VectorRepFactory());
  cfo.compression = rocksdb::kLZ4Compression;
  cfo.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 << 10;
  cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (size_t i = 0; i < kFamilies; ++i) families.emplace_back(kFamilyNames[i], cfo);
  rocksdb::DB* db = nullptr;
  rocksdb::DBOptions dbo(o);
  rocksdb::Status st = rocksdb::DB::Open(dbo, dir, families, &s->h_->cf, &db);
  if (!st.ok()) {
    std::string hint;
    if (st.IsIOError() && st.ToString().find("lock") != std::string::npos) {
      hint = " (is another incidentd running with this data_dir?)";
    }
    return Status::Unavailable("store: cannot open " + dir + ": " + st.ToString() + hint);
  }
  s->h_->db.reset(db);

  std::string format;
  st = db->Get(rocksdb::ReadOptions(), s->h_->cf[kMeta], kFormatKey, &format);
  if (st.IsNotFound()) {
    // A new store, or one from before the format key: only an empty one may be taken as new.
    for (size_t i = 1; i < kFamilies; ++i) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), s->h_->cf[i]));
      it->SeekToFirst();
      if (it->Valid()) {
        return Status::Invalid("store: " + dir + " has data but no format version; refusing to guess its layout");
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    st = db->Put(wo, s->h_->cf[kMeta], kFormatKey, std::to_string(kFormat));
    if (!st.ok()) return Status::Unavailable("store: cannot initialize " + dir + ": " + st.ToString());
  } else if (!st.ok()) {
    return Status::Unavailable("store: cannot read " + dir + ": " + st.ToString());
  } else if (format != std::to_string(kFormat)) {
    return Status::Invalid("store: " + dir + " has format " + format + "; this incidentd reads format " +
                           std::to_string(kFormat));
  }
  s->target_ = std::make_unique<RocksTarget>(db);
  if (s->options_.wrap) s->target_ = s->options_.wrap(std::move(s->target_));
  return s;
}

uint64_t StateStore::DiskBytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(options_.dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

Status StateStore::Recover(engine::Engine& engine, Time now, RecoveredOutbox* outbox, RecoveryStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  Status s = Load(engine, now, outbox, stats);
  if (!s.ok()) return s;
  engine.FinishRestore(now);
  engine.incidents().ForEach([&](const Incident& inc) {
    marks_[{inc.id_hi, inc.id_lo}] = TimelineMark{inc.timeline.size() + inc.timeline_dropped, inc.timeline_dropped};
  });
  engine.TrackChanges(&changes_);
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

Status StateStore::Build(rocksdb::WriteBatch* batch, const engine::Engine& engine,
                         const std::vector<Notification>& decided, Time now) {
  auto& cf = h_->cf;
  auto check = [](const rocksdb::Status& s) { return s.ok(); };
  bool ok = true;

  std::sort(changes_.alerts.begin(), changes_.alerts.end());
  changes_.alerts.erase(std::unique(changes_.alerts.begin(), changes_.alerts.end()), changes_.alerts.end());
  for (Fingerprint fp : changes_.alerts) {
    const std::string key = AlertKey(fp);
    if (const Alert* a = engine.alerts().Find(fp)) {
      EncodeAlert(*a, engine.MembershipsOf(*a), &scratch_);
      ok &= check(batch->Put(cf[kAlerts], key, scratch_));
    } else {
      ok &= check(batch->Delete(cf[kAlerts], key));
    }
  }

  std::sort(changes_.incidents.begin(), changes_.incidents.end());
  changes_.incidents.erase(std::unique(changes_.incidents.begin(), changes_.incidents.end()), changes_.incidents.end());
  for (const engine::IncidentKey& k : changes_.incidents) {
    const std::string key = IncidentKeyBytes(k);
    const Incident* inc = engine.incidents().Find(k);
    if (inc == nullptr) {  // forgotten: it goes with its members and timeline
      const std::string end = IncidentKeyBytes(Next(k));
      ok &= check(batch->Delete(cf[kIncidents], key));
      ok &= check(batch->DeleteRange(cf[kMembers], key, end));
      ok &= check(batch->DeleteRange(cf[kTimeline], key, end));
      marks_.erase(k);
      continue;
    }
    EncodeIncident(*inc, &scratch_);
    ok &= check(batch->Put(cf[kIncidents], key, scratch_));
    // The timeline: entries are numbered by their position in the whole history. Entry i of the kept ones is number
    // i in the first half and i + timeline_dropped after it (Trim drops from the middle).
    TimelineMark mark;
    auto it = marks_.find(k);
    if (it != marks_.end()) mark = it->second;
    constexpr uint64_t kHalf = Incident::kTimelineLimit / 2;
    if (inc->timeline_dropped > mark.dropped) {
      ok &= check(batch->DeleteRange(cf[kTimeline], TimelineKey(k, kHalf + mark.dropped),
                                     TimelineKey(k, kHalf + inc->timeline_dropped)));
    }
    const uint64_t total = inc->timeline.size() + inc->timeline_dropped;
    for (uint64_t i = inc->timeline.size(); i-- > 0;) {
      const uint64_t ordinal = i < kHalf ? i : i + inc->timeline_dropped;
      if (ordinal < mark.stored) break;
      const TimelineEntry& e = inc->timeline[i];
      EncodeTimelineEntry(e, engine.incidents().Detail(e), &scratch_);
      ok &= check(batch->Put(cf[kTimeline], TimelineKey(k, ordinal), scratch_));
    }
    // Set now, not when the write succeeds: a failed write is written again before any later one.
    marks_[k] = TimelineMark{total, inc->timeline_dropped};
  }

  std::sort(changes_.members.begin(), changes_.members.end());
  changes_.members.erase(std::unique(changes_.members.begin(), changes_.members.end()), changes_.members.end());
  const Incident* inc = nullptr;
  engine::IncidentKey inc_key{UINT64_MAX, UINT64_MAX};
  for (const engine::MemberKey& m : changes_.members) {
    if (m.incident != inc_key) {
      inc_key = m.incident;
      inc = engine.incidents().Find(inc_key);
    }
    if (inc == nullptr) continue;  // forgotten: its range is deleted above
    auto it = inc->members.find(m.fingerprint);
    const std::string key = MemberKeyBytes(m.incident, m.fingerprint);
    if (it == inc->members.end()) {
      ok &= check(batch->Delete(cf[kMembers], key));
    } else {
      EncodeMember(it->second, &scratch_);
      ok &= check(batch->Put(cf[kMembers], key, scratch_));
    }
  }

  std::sort(changes_.silences.begin(), changes_.silences.end());
  changes_.silences.erase(std::unique(changes_.silences.begin(), changes_.silences.end()), changes_.silences.end());
  for (const std::string& id : changes_.silences) {
    if (const engine::Silence* s = engine.silences().Find(id)) {
      EncodeSilence(*s, &scratch_);
      ok &= check(batch->Put(cf[kSilences], id, scratch_));
    } else {
      ok &= check(batch->Delete(cf[kSilences], id));
    }
  }

  for (const Notification& n : decided) {
    EncodeNotification(n, &scratch_);
    ok &= check(batch->Put(cf[kOutbox], n.Key(), scratch_));
  }

  if (now - log_trimmed_at_ >= kLogTrimEvery) {
    ok &= check(batch->DeleteRange(cf[kLog], TimeKey(kZeroTime), TimeKey(now - options_.log_retention)));
  }
  if (!ok) return Status::Internal("store: building the tick's write failed");
  return Status::Ok();
}

StateStore::Prepared::Prepared() : batch_(std::make_unique<rocksdb::WriteBatch>()) {}
StateStore::Prepared::~Prepared() = default;
size_t StateStore::Prepared::bytes() const { return batch_->GetDataSize(); }

std::unique_ptr<StateStore::Prepared> StateStore::Prepare(const engine::Engine& engine,
                                                          const std::vector<Notification>& decided, Time now) {
  const bool trim = now - log_trimmed_at_ >= kLogTrimEvery;
  if (changes_.empty() && decided.empty() && !trim) return nullptr;
  auto p = std::make_unique<Prepared>();
  Status s = Build(p->batch(), engine, decided, now);
  if (!s.ok()) std::abort();  // WriteBatch's Put and Delete fail only for sizes beyond 4 GB
  if (trim) log_trimmed_at_ = now;
  changes_.clear();
  return p;
}

void StateStore::AddPositions(Prepared& write, const Positions& positions) {
  for (const auto& [stream, offset] : positions) {
    EncodePosition(offset, &scratch_);
    write.batch()->Put(h_->cf[kMeta], PositionKey(stream), scratch_);
  }
}

Result<Positions> StateStore::ReadPositions() const {
  Positions out;
  const std::string prefix = PositionKey("");
  std::unique_ptr<rocksdb::Iterator> it(h_->db->NewIterator(rocksdb::ReadOptions(), h_->cf[kMeta]));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    int64_t offset;
    if (!DecodePosition(std::string_view(it->value().data(), it->value().size()), &offset)) {
      return Status::Invalid("store: " + options_.dir + ": damaged record in meta, key " + it->key().ToString());
    }
    out.emplace(it->key().ToString().substr(prefix.size()), offset);
  }
  if (!it->status().ok())
    return Status::Unavailable("store: cannot read " + options_.dir + ": " + it->status().ToString());
  return out;
}

Status StateStore::Write(const std::vector<Prepared*>& writes) {
  const auto start = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (size_t i = 0; i < writes.size(); ++i) {
    // One fsync for the group: syncing the log's last record syncs the ones before it.
    Status s = target_->Write(writes[i]->batch(), options_.sync && i + 1 == writes.size());
    if (!s.ok()) {
      commit_errors_->Inc();
      return s;
    }
    bytes += writes[i]->bytes();
  }
  commits_->Inc();
  bytes_written_->Inc(bytes);
  commit_seconds_->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return Status::Ok();
}

Status StateStore::Commit(const engine::Engine& engine, const std::vector<Notification>& decided, Time now) {
  std::unique_ptr<Prepared> p = Prepare(engine, decided, now);
  if (p == nullptr) return Status::Ok();
  return Write({p.get()});
}

void StateStore::Finished(const notify::DeliveryRecord& r) {
  rocksdb::WriteBatch batch;
  std::string value;
  EncodeDeliveryRecord(r, &value);
  batch.Delete(h_->cf[kOutbox], r.key);
  batch.Put(h_->cf[kLog], LogKey(r.finished_at, r.key), value);
  Status s = target_->Write(&batch, false);
  if (!s.ok()) {
    journal_errors_->Inc();
    spdlog::warn("store: cannot record notification {} as {}: {}", r.key, notify::DeliveryStateName(r.state),
                 s.message());
  }
}

}  // namespace incidentd::store
