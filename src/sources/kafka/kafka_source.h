// KafkaSource: the configured topics, consumed as one member of a Kafka consumer group (librdkafka's high-level
// consumer), each message decoded by its topic's format and handed to the engine as one batch.
//
// - At least once, applied once: a message's offset is stored for commit only after the tick that applied it is
//   durable (the batch's `done`, which the engine loop calls once the tick is written); librdkafka commits the stored
//   offsets every auto.commit.interval.ms. Each batch carries its position ("kafka/<topic>/<partition>", offset),
//   which the tick writes to the state store with its changes, so after a crash the messages between the group's
//   committed offset and the stored position are skipped, not applied twice (`applied`, read from the store at
//   start). A stored position past the partition's end (the topic was re-created) is dropped with a warning.
// - Backpressure: when the engine refuses a batch (its queue is full), the batch is held and offered again every
//   millisecond, and nothing more is read. A refusal that lasts 50 ms pauses every assigned partition, and the batch
//   is offered every 10 ms from then; once it is taken the partitions resume, and librdkafka fetches from the
//   message after the last one delivered, so nothing is skipped. (A pause drops what librdkafka had fetched ahead,
//   so a blip of a full queue is waited out rather than paused for.)
// - Rebalance: on revoke, the revoked partitions' held batches are dropped (their next owner reads them), the
//   source waits (up to revoke_timeout) until their batches in flight are durable, commits their offsets
//   synchronously and lets them go. Commits the broker rejects during a rebalance mean redelivery, which the engine
//   absorbs: a re-sent alert changes nothing.
// - A batch answered "not durable" (the store failed) makes its partition seek back to it, so it is read and applied
//   again; nothing past it is committed before it.
// - Poison: a message that does not decode is counted, logged (at most one line a second per topic), produced to
//   `dead_letter_topic` when set (the original key and value, with the error and origin in headers), and its offset
//   moves on.
// - Metrics: incidentd_kafka_* (docs/api.md), consumer lag from librdkafka's statistics.
//
// Thread rule: Start and Stop from one thread. One poll thread runs librdkafka's callbacks (rebalance, statistics,
// commits, errors) and decodes, half of a large round on `decode_executor` (it waits for that half); batches finish
// on the engine loop's writer thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "decode/decoder.h"
#include "incidentd/alert_sink.h"
#include "incidentd/status.h"
#include "observability/metrics.h"
#include "sources/kafka/offset_tracker.h"

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_message_s rd_kafka_message_t;
typedef struct rd_kafka_topic_partition_list_s rd_kafka_topic_partition_list_t;

namespace incidentd::kafka {

struct KafkaTopic {
  std::string name;
  std::unique_ptr<decode::Decoder> decoder;
};

struct KafkaSourceOptions {
  std::vector<std::string> brokers;  // host:port
  std::string group_id;
  std::string dead_letter_topic;  // empty: none
  // librdkafka settings, applied after incidentd's defaults (so session.timeout.ms, auto.offset.reset, … may be
  // changed); REQUIRES: none of config::kOwnedKafkaProperties. The dead-letter producer takes those about reaching
  // the brokers (security.*, sasl.*, ssl.*, socket.*, broker.*, client.*, …), not the consumer's.
  std::vector<std::pair<std::string, std::string>> properties;
  // Stream ("kafka/<topic>/<partition>") -> the last offset applied, as the state store holds it.
  std::map<std::string, int64_t, std::less<>> applied;
  std::chrono::milliseconds revoke_timeout{10000};  // waiting for the revoked partitions' batches in flight
  // Runs a task on another thread (the daemon's I/O threads): a large round of messages is decoded half there, half
  // on the poll thread. Unset: all on the poll thread.
  std::function<void(std::function<void()>)> decode_executor;
};

class KafkaSource {
 public:
  // Builds the consumer (and the dead-letter producer); a property librdkafka refuses is an error naming it.
  static Result<std::unique_ptr<KafkaSource>> Create(KafkaSourceOptions options, std::vector<KafkaTopic> topics,
                                                     AlertSink& sink, observability::Registry& metrics);
  // What Create would refuse in these options, without connecting anywhere (check-config).
  static Status Check(const KafkaSourceOptions& options);
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Subscribes and starts the poll thread.
  Status Start();
  // Stops reading, waits (up to revoke_timeout) for the batches in flight, commits, leaves the group. The engine
  // loop must still be running, so that the batches in flight finish.
  void Stop();

  // The state store's name for a partition's position.
  static std::string StreamName(const std::string& topic, int32_t partition);

 private:
  struct Partition;
  struct Held;
  struct Metrics;
  KafkaSource(KafkaSourceOptions options, std::vector<KafkaTopic> topics, AlertSink& sink,
              observability::Registry& metrics);

  void Run();
  // A message of the round being handled: settled at once (null `m`), or to be decoded.
  struct Message {
    rd_kafka_message_t* m = nullptr;
    int topic = -1;
    size_t slot = 0;
    uint64_t generation = 0;
    decode::DecodeOutcome outcome;
  };
  // Handles the messages read in one round, in order.
  void HandleRound();
  // Counts and takes the message; settles what needs no decoding (errors, skipped, empty); leaves w.m set otherwise.
  void Prepare(Message& w);
  // A decoded message becomes a held batch, or a poison message.
  void Settle(Message& w);
  void Poison(Partition& p, size_t slot, rd_kafka_message_t* m, const std::string& error);
  // Offers the held batches (those read and not yet taken by the engine) in order, as one; true when none is left,
  // and then the partitions resume if they were paused.
  bool OfferHeld();
  void SetPaused(bool paused);
  // Engine loop's writer (or the poll thread for poison): the batch at `offset` is durable, or not (`status`).
  void Finished(size_t slot, uint64_t generation, int64_t offset, const Status& status);
  // Seeks the partitions whose batches were answered "not durable" back to the first of them.
  void SeekBackFailed();
  // Hands the offsets that moved to librdkafka's offset store, for the next commit.
  void StoreOffsets();
  void Rebalance(int err, rd_kafka_topic_partition_list_t* partitions);
  void Assign(rd_kafka_topic_partition_list_t* partitions);
  // Drops the held batches of `slots`, waits for their batches in flight, commits their offsets synchronously.
  void Release(const std::vector<size_t>& slots, const char* why);
  size_t SlotOf(int topic, int32_t partition);
  int TopicOf(const char* name) const;
  void Stats(std::string_view json);
  void SetLag(const std::string& topic, int32_t partition, double lag);
  void LogRateLimited(int topic, const std::string& line);

  KafkaSourceOptions options_;
  std::vector<KafkaTopic> topics_;
  AlertSink& sink_;
  observability::Registry& registry_;
  std::unique_ptr<Metrics> metrics_;
  rd_kafka_t* consumer_ = nullptr;
  rd_kafka_t* producer_ = nullptr;  // dead letters
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  // Guards partitions_ (the vector and each Partition's tracker, generation and failure) against the writer thread.
  std::mutex mu_;
  std::condition_variable finished_;
  std::vector<std::unique_ptr<Partition>> partitions_;  // by slot; never shrinks
  bool failures_ = false;                               // some partition has a failed batch
  bool closed_ = false;                                 // stopped: late completions are ignored

  // Poll thread only.
  std::map<std::pair<int, int32_t>, size_t> slots_;
  std::deque<Held> held_;
  std::vector<AlertBatch> batches_;  // OfferHeld's hand-over
  std::vector<AlertSink::Done> dones_;
  std::chrono::steady_clock::time_point held_since_;  // since when the engine has taken none of what is held
  bool paused_ = false;
  std::vector<Message> round_;
  std::vector<std::chrono::steady_clock::time_point> logged_;  // per topic, then the client's own errors
  std::vector<size_t> suppressed_;                             // likewise
};

}  // namespace incidentd::kafka
