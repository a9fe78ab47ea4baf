// StateStore: incidentd's durable state in RocksDB under data_dir/state, and its recovery.
//
// What is kept, one column family each: alerts (by fingerprint), incidents (by id), their members and timelines
// (under the incident's id), silences (by id), the outbox (notifications decided and not yet finished, by key) and
// the notification log (finished deliveries, by finish time). "meta" holds the format version and the sources'
// positions (the last offset applied from each Kafka partition, written with the tick that applied it). Values are
// versioned (store/codec.h).
//
// Writes:
// - Prepare, on the engine's thread at the end of each tick, encodes everything the tick changed (the engine names it
//   in EngineChanges) and the notifications it decided into one WriteBatch. An unchanged re-send of a known alert
//   changes nothing, so it writes nothing.
// - Write, on the engine loop's writer thread, writes prepared batches in tick order, the last one synced when `sync`
//   is on: the ticks that piled up during one fsync share the next. Only after it returns are the ticks' answers
//   released and their notifications enqueued, so the engine works on the next tick while the disk syncs.
// - A failed Write changes nothing the caller relies on: the same batches are written again, in order, before any
//   later one (each record is a whole object, so writing one twice is harmless). Their senders are answered 503.
// - Commit is Prepare and Write in one call (tests, benchmarks).
// - Finished (the outbox's journal) deletes a delivered, failed or skipped notification from the outbox and adds it
//   to the log, without waiting for the disk: a process crash keeps it (it is in the operating system's cache), and
//   the next synced Commit makes it durable. The log is trimmed to log_retention.
//
// Recover loads all of it into a fresh engine and returns the outbox's part; a record it cannot read stops the start
// with its column family and key, never a silent start from empty.
//
// Thread rule: Recover, Prepare and Commit on the engine's thread; Write on one thread at a time (the engine loop's
// writer); Finished from any thread (the outbox's lock serializes it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/changes.h"
#include "engine/engine.h"
#include "incidentd/notification.h"
#include "incidentd/status.h"
#include "notify/outbox.h"
#include "observability/metrics.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace incidentd::store {

// Where the store's writes go: RocksDB, or a test's wrapper around it that fails on demand.
class WriteTarget {
 public:
  virtual ~WriteTarget() = default;
  virtual Status Write(rocksdb::WriteBatch* batch, bool sync) = 0;
};
using WrapWrites = std::function<std::unique_ptr<WriteTarget>(std::unique_ptr<WriteTarget>)>;

struct StoreOptions {
  std::string dir;                                  // the RocksDB directory (data_dir/state)
  bool sync = true;                                 // fsync each Commit (storage.sync)
  Duration log_retention = std::chrono::hours(24);  // finished notifications kept (notify.log_retention)
  WrapWrites wrap;                                  // tests only: wraps the write target
};

struct RecoveredOutbox {
  std::vector<Notification> pending;             // in decision order per incident
  std::vector<notify::DeliveryRecord> finished;  // within log_retention
};

struct RecoveryStats {
  size_t alerts = 0, incidents = 0, members = 0, timeline = 0, silences = 0;
  size_t pending = 0, finished = 0;
  double seconds = 0;
};

// A source's stream ("kafka/<group>/<topic>/<partition>") -> the last offset applied from it.
using Positions = std::map<std::string, int64_t, std::less<>>;

class StateStore final : public notify::OutboxJournal {
 public:
  // Opens (creating if missing) the store. Errors say what failed and where: another process holding the store, a
  // format this incidentd does not know, a damaged file.
  static Result<std::unique_ptr<StateStore>> Open(StoreOptions options, observability::Registry* metrics);
  ~StateStore() override;
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Loads the stored state into `engine` (fresh, with its rules) as of `now`, and starts tracking its changes: from
  // then on the engine writes into the store's EngineChanges, so the store must outlive the engine (or the engine's
  // TrackChanges(nullptr) come first).
  Status Recover(engine::Engine& engine, Time now, RecoveredOutbox* outbox, RecoveryStats* stats);
  // One tick's write, encoded.
  class Prepared {
   public:
    Prepared();
    ~Prepared();
    rocksdb::WriteBatch* batch() { return batch_.get(); }
    size_t bytes() const;

   private:
    std::unique_ptr<rocksdb::WriteBatch> batch_;
  };
  // Engine thread: encodes what the engine changed since the last Prepare, and `decided`. Null when there is
  // nothing to write.
  std::unique_ptr<Prepared> Prepare(const engine::Engine& engine, const std::vector<Notification>& decided, Time now);
  // Adds the positions of the batches a prepared write (and the ticks before it that wrote nothing) applied.
  void AddPositions(Prepared& write, const Positions& positions);
  // The positions written so far; an unreadable one is an error naming its key.
  Result<Positions> ReadPositions() const;
  // Writes `writes` in order, the last one synced (storage.sync). Unavailable when a write failed: then write the
  // same ones again, first, before any later one.
  Status Write(const std::vector<Prepared*>& writes);
  // Prepare and Write.
  Status Commit(const engine::Engine& engine, const std::vector<Notification>& decided, Time now);
  void Finished(const notify::DeliveryRecord& r) override;

  // Bytes of the store's files on disk (tables and write-ahead log).
  uint64_t DiskBytes() const;
  const std::string& dir() const { return options_.dir; }

 private:
  struct Handles;
  struct TimelineMark {
    uint64_t stored = 0;   // entries written (ordinals below this are on disk or were dropped)
    uint64_t dropped = 0;  // timeline_dropped when last written
  };
  StateStore(StoreOptions options, observability::Registry* metrics);
  Status Build(rocksdb::WriteBatch* batch, const engine::Engine& engine, const std::vector<Notification>& decided,
               Time now);
  Status Load(engine::Engine& engine, Time now, RecoveredOutbox* outbox, RecoveryStats* stats);

  StoreOptions options_;
  std::unique_ptr<Handles> h_;
  std::unique_ptr<WriteTarget> target_;
  engine::EngineChanges changes_;
  struct KeyHash {
    size_t operator()(const engine::IncidentKey& k) const { return std::hash<uint64_t>()(k.hi * 31 + k.lo); }
  };
  boost::unordered_flat_map<engine::IncidentKey, TimelineMark, KeyHash> marks_;
  Time log_trimmed_at_{};  // the epoch: the first Commit trims
  std::string scratch_;

  observability::Counter* commits_ = nullptr;
  observability::Counter* commit_errors_ = nullptr;
  observability::Counter* bytes_written_ = nullptr;
  observability::Counter* journal_errors_ = nullptr;
  observability::Histogram* commit_seconds_ = nullptr;
};

}  // namespace incidentd::store
