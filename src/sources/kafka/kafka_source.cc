#include "sources/kafka/kafka_source.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <latch>

#include "sources/kafka/consumer_lag.h"

namespace incidentd::kafka {
namespace {

using Steady = std::chrono::steady_clock;

// How long a refused batch is offered again before the partitions are paused.
constexpr auto kPauseAfter = std::chrono::milliseconds(50);
// Messages read in one round before they are handed to the engine.
constexpr size_t kMaxRound = 1000;
// A round is decoded on two threads from this many messages on; below, the hand-over costs more than it saves.
constexpr size_t kShareFrom = 64;

// A list of partitions, freed with it.
struct PartitionList {
  explicit PartitionList(int size = 8) : list(rd_kafka_topic_partition_list_new(size)) {}
  ~PartitionList() { rd_kafka_topic_partition_list_destroy(list); }
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  void Add(const std::string& topic, int32_t partition, int64_t offset) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = offset;
  }
  rd_kafka_topic_partition_list_t* list;
};

// The properties the dead-letter producer takes too: how to reach and trust the brokers, not how to consume.
bool ForProducer(const std::string& name) {
  for (const char* prefix : {"security.", "sasl.", "ssl.", "socket.", "broker.", "client.", "reconnect.", "metadata.",
                             "api.version", "connections.", "debug", "log_level", "topic.metadata."}) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

// incidentd's defaults, then the operator's properties. Errors name the property, never its value.
Status Configure(rd_kafka_conf_t* conf, const KafkaSourceOptions& o, bool consumer) {
  std::string brokers;
  for (const std::string& b : o.brokers) brokers += (brokers.empty() ? "" : ",") + b;
  std::vector<std::pair<std::string, std::string>> settings = {
      {"bootstrap.servers", brokers},
      {"client.id", "incidentd"},
  };
  if (consumer) {
    settings.insert(settings.end(), {
                                        {"group.id", o.group_id},
                                        {"enable.auto.commit", "true"},
                                        {"enable.auto.offset.store", "false"},
                                        {"auto.offset.reset", "earliest"},
                                        {"enable.partition.eof", "false"},
                                        {"statistics.interval.ms", "5000"},
                                        // librdkafka 2.0 stops fetching a partition for about a second once its
                                        // queue passes either threshold (100000 messages, 64 MiB by default): a
                                        // consumer that applies slower than the brokers send then idles half the
                                        // time. Larger thresholds keep the fetches going.
                                        {"queued.min.messages", "1000000"},
                                        {"queued.max.messages.kbytes", "131072"},
                                    });
  } else {
    settings.insert(settings.end(), {{"linger.ms", "20"}});
  }
  for (const auto& [name, value] : o.properties) {
    if (consumer || ForProducer(name)) settings.emplace_back(name, value);
  }
  char err[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      // librdkafka's message may quote the value; say only which property it refused.
      const bool unknown = std::strstr(err, "No such configuration property") != nullptr;
      return Status::Invalid("kafka.properties: " + name + ": " +
                             (unknown ? "not a librdkafka property" : "librdkafka refuses its value"));
    }
  }
  return Status::Ok();
}

void LogFromLibrdkafka(const rd_kafka_t*, int level, const char* facility, const char* message) {
  const spdlog::level::level_enum l = level <= 3   ? spdlog::level::err
                                      : level == 4 ? spdlog::level::warn
                                      : level <= 6 ? spdlog::level::info
                                                   : spdlog::level::debug;
  spdlog::log(l, "kafka: {}: {}", facility, message);
}

}  // namespace

// A partition this instance has been assigned at some point, by slot.
struct KafkaSource::Partition {
  int topic = 0;
  int32_t partition = 0;
  std::string stream;       // StreamName
  int64_t applied = -1;     // the last offset the store says was applied; at or below it: skipped
  OffsetTracker tracker;    // guarded by mu_
  uint64_t generation = 0;  // bumped on assign, revoke and seek: a finish of an older generation is stale
  int64_t failed_at = -1;   // guarded by mu_: the first offset answered "not durable"
  int64_t stored = -1;      // poll thread: the offset last given to the offset store
  bool assigned = false;
};

// A batch the engine refused, offered again in order.
struct KafkaSource::Held {
  size_t slot;
  uint64_t generation;
  int64_t offset;
  AlertBatch batch;
};

struct KafkaSource::Metrics {
  struct PerTopic {
    observability::Counter* messages;
    observability::Counter* decode_errors;
    observability::Counter* skipped;
    observability::Counter* dead_letters;
    // The alert counters HTTP keeps too, with source="kafka".
    observability::Counter* alerts_received;
    observability::Counter* alerts_accepted;
    observability::Counter* alerts_invalid;
  };
  std::vector<PerTopic> topics;
  observability::Counter* dead_letter_errors;
  observability::Counter* errors;
  observability::Counter* commits;
  observability::Counter* commit_errors;
  observability::Counter* seeks;
  observability::Counter* pauses;
  observability::Counter* assigned_total;
  observability::Counter* revoked_total;
  observability::Gauge* paused;
  observability::Gauge* assigned;
};

std::string KafkaSource::StreamName(const std::string& topic, int32_t partition) {
  return "kafka/" + topic + "/" + std::to_string(partition);
}

Status KafkaSource::Check(const KafkaSourceOptions& options) {
  for (bool consumer : {true, false}) {
    if (!consumer && options.dead_letter_topic.empty()) continue;
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    Status s = Configure(conf, options, consumer);
    rd_kafka_conf_destroy(conf);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

KafkaSource::KafkaSource(KafkaSourceOptions options, std::vector<KafkaTopic> topics, AlertSink& sink,
                         observability::Registry& metrics)
    : options_(std::move(options)),
      topics_(std::move(topics)),
      sink_(sink),
      registry_(metrics),
      metrics_(std::make_unique<Metrics>()),
      logged_(topics_.size() + 1),
      suppressed_(topics_.size() + 1) {
  Metrics& m = *metrics_;
  for (const KafkaTopic& t : topics_) {
    const observability::MetricLabels l{{"topic", t.name}};
    const observability::MetricLabels alerts{{"source", "kafka"}, {"format", t.decoder->name()}};
    observability::MetricLabels invalid = alerts;
    invalid.emplace_back("reason", "invalid");
    m.topics.push_back({
        &metrics.GetCounter("incidentd_kafka_messages_total", "Kafka messages consumed.", l),
        &metrics.GetCounter("incidentd_kafka_decode_errors_total",
                            "Kafka messages that did not decode (poison); their offsets moved on.", l),
        &metrics.GetCounter("incidentd_kafka_skipped_total",
                            "Kafka messages skipped because the state store shows them applied before a restart.", l),
        &metrics.GetCounter("incidentd_kafka_dead_letters_total", "Poison messages produced to the dead-letter topic.",
                            l),
        &metrics.GetCounter("incidentd_alerts_received_total",
                            "Alerts received in requests and messages, valid or not.", alerts),
        &metrics.GetCounter("incidentd_alerts_accepted_total", "Alerts applied by the engine.", alerts),
        &metrics.GetCounter("incidentd_alerts_rejected_total",
                            "Alerts refused, with the reason: invalid (the whole request was refused for bad input) "
                            "or backpressure (the engine queue was full).",
                            invalid),
    });
  }
  m.dead_letter_errors = &metrics.GetCounter("incidentd_kafka_dead_letter_errors_total",
                                             "Poison messages that could not be produced to the dead-letter topic.");
  m.errors = &metrics.GetCounter("incidentd_kafka_errors_total", "Errors librdkafka reported (brokers down, …).");
  m.commits = &metrics.GetCounter("incidentd_kafka_commits_total", "Offset commits the brokers accepted.");
  m.commit_errors = &metrics.GetCounter("incidentd_kafka_commit_errors_total", "Offset commits that failed.");
  m.seeks = &metrics.GetCounter("incidentd_kafka_seeks_total",
                                "Partitions read again from a batch the state store did not make durable.");
  m.pauses = &metrics.GetCounter("incidentd_kafka_pauses_total", "Times the partitions were paused (engine full).");
  m.assigned_total = &metrics.GetCounter("incidentd_kafka_partitions_assigned_total", "Partitions assigned.");
  m.revoked_total = &metrics.GetCounter("incidentd_kafka_partitions_revoked_total", "Partitions revoked.");
  m.paused = &metrics.GetGauge("incidentd_kafka_paused", "1 while consumption is paused because the engine is full.");
  m.assigned = &metrics.GetGauge("incidentd_kafka_assigned_partitions", "Partitions assigned to this instance.");
}

Result<std::unique_ptr<KafkaSource>> KafkaSource::Create(KafkaSourceOptions options, std::vector<KafkaTopic> topics,
                                                         AlertSink& sink, observability::Registry& metrics) {
  std::unique_ptr<KafkaSource> s(new KafkaSource(std::move(options), std::move(topics), sink, metrics));
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Status st = Configure(conf, s->options_, true);
  if (!st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st;
  }
  rd_kafka_conf_set_opaque(conf, s.get());
  rd_kafka_conf_set_log_cb(conf, LogFromLibrdkafka);
  rd_kafka_conf_set_rebalance_cb(
      conf, [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
        static_cast<KafkaSource*>(opaque)->Rebalance(err, partitions);
      });
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaSource*>(opaque);
    self->metrics_->errors->Inc();
    const auto e = static_cast<rd_kafka_resp_err_t>(err);
    if (e == RD_KAFKA_RESP_ERR__FATAL) {
      spdlog::critical("kafka: fatal consumer error: {}", reason);
    } else {
      self->LogRateLimited(-1, std::string("kafka: ") + rd_kafka_err2name(e) + ": " + reason);
    }
  });
  rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t len, void* opaque) {
    static_cast<KafkaSource*>(opaque)->Stats(std::string_view(json, len));
    return 0;  // librdkafka frees json
  });
  rd_kafka_conf_set_offset_commit_cb(
      conf, [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets, void* opaque) {
        auto* self = static_cast<KafkaSource*>(opaque);
        if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;  // nothing was stored to commit
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          self->metrics_->commit_errors->Inc();
          self->LogRateLimited(-1, std::string("kafka: offset commit failed: ") + rd_kafka_err2str(err));
          return;
        }
        self->metrics_->commits->Inc();
      });
  s->consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (s->consumer_ == nullptr) return Status::Invalid(std::string("kafka: cannot create the consumer: ") + err);
  rd_kafka_poll_set_consumer(s->consumer_);

  if (!s->options_.dead_letter_topic.empty()) {
    rd_kafka_conf_t* pconf = rd_kafka_conf_new();
    st = Configure(pconf, s->options_, false);
    if (!st.ok()) {
      rd_kafka_conf_destroy(pconf);
      return st;
    }
    rd_kafka_conf_set_opaque(pconf, s.get());
    rd_kafka_conf_set_log_cb(pconf, LogFromLibrdkafka);
    rd_kafka_conf_set_dr_msg_cb(pconf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
      auto* self = static_cast<KafkaSource*>(opaque);
      auto* origin = static_cast<Held*>(m->_private);
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        self->metrics_->dead_letter_errors->Inc();
        self->LogRateLimited(-1, std::string("kafka: a poison message could not go to the dead-letter topic: ") +
                                     rd_kafka_err2str(m->err));
      } else {
        self->metrics_->topics[static_cast<size_t>(self->partitions_[origin->slot]->topic)].dead_letters->Inc();
      }
      // Either way its offset moves on: the message was counted and logged.
      self->Finished(origin->slot, origin->generation, origin->offset, Status::Ok());
      delete origin;
    });
    s->producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof err);
    if (s->producer_ == nullptr) return Status::Invalid(std::string("kafka: cannot create the producer: ") + err);
  }
  return s;
}

KafkaSource::~KafkaSource() {
  Stop();
  if (producer_ != nullptr) rd_kafka_destroy(producer_);
  if (consumer_ != nullptr) rd_kafka_destroy(consumer_);
}

Status KafkaSource::Start() {
  PartitionList topics(static_cast<int>(topics_.size()));
  for (const KafkaTopic& t : topics_) topics.Add(t.name, RD_KAFKA_PARTITION_UA, RD_KAFKA_OFFSET_INVALID);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer_, topics.list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Invalid(std::string("kafka: subscribe: ") + rd_kafka_err2str(e));
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void KafkaSource::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

int KafkaSource::TopicOf(const char* name) const {
  for (size_t i = 0; i < topics_.size(); ++i) {
    if (topics_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

size_t KafkaSource::SlotOf(int topic, int32_t partition) {
  auto [it, added] = slots_.try_emplace({topic, partition}, partitions_.size());
  if (added) {
    auto p = std::make_unique<Partition>();
    p->topic = topic;
    p->partition = partition;
    p->stream = StreamName(topics_[static_cast<size_t>(topic)].name, partition);
    if (auto a = options_.applied.find(p->stream); a != options_.applied.end()) p->applied = a->second;
    std::lock_guard lock(mu_);
    partitions_.push_back(std::move(p));
  }
  return it->second;
}

void KafkaSource::Run() {
  while (!stopping_.load(std::memory_order_relaxed)) {
    SeekBackFailed();
    const bool waiting = !held_.empty() && !OfferHeld();
    if (waiting && !paused_) {
      // A full queue is usually drained by the engine's next tick: offer again for a moment before pausing, which
      // costs a fetch round trip to undo. Nothing is polled meanwhile, so the held batches stay few.
      if (Steady::now() - held_since_ < kPauseAfter) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      SetPaused(true);
    }
    StoreOffsets();
    // While batches are held, look again soon; otherwise the poll wakes for the next message. What one round reads
    // is handed to the engine at once, which wakes it once for all of it.
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, waiting ? 10 : 100);
    const bool was_empty = held_.empty();
    while (m != nullptr) {
      round_.push_back({m});
      if (round_.size() == kMaxRound || stopping_.load(std::memory_order_relaxed)) break;
      m = rd_kafka_consumer_poll(consumer_, 0);
    }
    HandleRound();
    if (was_empty && !held_.empty()) {
      held_since_ = Steady::now();
      OfferHeld();
    }
    if (producer_ != nullptr) rd_kafka_poll(producer_, 0);
  }

  // Stop: nothing new is read; what was handed on gets its time to be durable and is committed; then the group is
  // left (which revokes, with nothing left in flight).
  std::vector<size_t> all;
  for (size_t i = 0; i < slots_.size(); ++i) all.push_back(i);
  if (producer_ != nullptr) rd_kafka_flush(producer_, 5000);
  Release(all, "stopping");
  rd_kafka_consumer_close(consumer_);
  std::lock_guard lock(mu_);
  closed_ = true;
}

void KafkaSource::HandleRound() {
  if (round_.empty()) return;
  // In order: what needs no decoding is settled here; the rest is decoded, on two threads when there is a second one
  // and enough to share; then, in order again, each becomes a held batch or a poison message.
  for (Message& w : round_) Prepare(w);
  size_t decode = 0;
  for (const Message& w : round_) decode += w.m != nullptr;
  auto decode_range = [this](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      Message& w = round_[i];
      if (w.m == nullptr) continue;
      // A padded copy per thread: simdjson reads up to SIMDJSON_PADDING bytes past the end.
      thread_local std::string buffer;
      buffer.reserve(w.m->len + simdjson::SIMDJSON_PADDING);
      buffer.assign(static_cast<const char*>(w.m->payload), w.m->len);
      w.outcome = topics_[static_cast<size_t>(w.topic)].decoder->Decode(
          simdjson::padded_string_view(buffer.data(), w.m->len, buffer.capacity()));
    }
  };
  if (options_.decode_executor && decode >= kShareFrom) {
    const size_t half = round_.size() / 2;
    std::latch other(1);
    options_.decode_executor([&] {
      decode_range(half, round_.size());
      other.count_down();
    });
    decode_range(0, half);
    other.wait();
  } else {
    decode_range(0, round_.size());
  }
  for (Message& w : round_) {
    if (w.m != nullptr) Settle(w);
  }
  round_.clear();
}

void KafkaSource::Prepare(Message& w) {
  rd_kafka_message_t* m = w.m;
  w.m = nullptr;  // settled here unless it needs decoding
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      metrics_->errors->Inc();
      LogRateLimited(-1, std::string("kafka: consume: ") + rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
    return;
  }
  const int topic = TopicOf(rd_kafka_topic_name(m->rkt));
  if (topic < 0) {
    rd_kafka_message_destroy(m);
    return;
  }
  const Metrics::PerTopic& tm = metrics_->topics[static_cast<size_t>(topic)];
  tm.messages->Inc();
  const size_t slot = SlotOf(topic, m->partition);
  Partition& p = *partitions_[slot];
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    generation = p.generation;
    p.tracker.Take(m->offset);
  }
  if (m->offset <= p.applied) {
    int64_t low = -1, high = -1;
    rd_kafka_get_watermark_offsets(consumer_, topics_[static_cast<size_t>(topic)].name.c_str(), m->partition, &low,
                                   &high);
    if (high >= 0 && p.applied >= high) {
      spdlog::warn(
          "kafka: {}: the state store says offset {} was applied, but the partition ends at {}: the topic was "
          "re-created? Reading it from {}",
          p.stream, p.applied, high, m->offset);
      p.applied = -1;
    } else {
      tm.skipped->Inc();
      Finished(slot, generation, m->offset, Status::Ok());
      rd_kafka_message_destroy(m);
      return;
    }
  }
  if (m->payload == nullptr || m->len == 0) {
    Poison(p, slot, m, "empty message");
    return;
  }
  w = Message{m, topic, slot, generation, {}};
}

void KafkaSource::Settle(Message& w) {
  const Metrics::PerTopic& tm = metrics_->topics[static_cast<size_t>(w.topic)];
  Partition& p = *partitions_[w.slot];
  decode::DecodeOutcome& outcome = w.outcome;
  tm.alerts_received->Inc(std::max<size_t>(outcome.batch.size(), 1));
  if (!outcome.ok()) {
    tm.alerts_invalid->Inc(std::max<size_t>(outcome.batch.size(), 1));
    Poison(p, w.slot, w.m, outcome.Summary());
    return;
  }
  outcome.batch.set_position(p.stream, w.m->offset);
  held_.push_back(Held{w.slot, w.generation, w.m->offset, std::move(outcome.batch)});
  rd_kafka_message_destroy(w.m);
}

void KafkaSource::Poison(Partition& p, size_t slot, rd_kafka_message_t* m, const std::string& error) {
  const Metrics::PerTopic& tm = metrics_->topics[static_cast<size_t>(p.topic)];
  tm.decode_errors->Inc();
  LogRateLimited(p.topic, "kafka: " + p.stream + " offset " + std::to_string(m->offset) + ": " + error);
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    generation = p.generation;
  }
  if (producer_ != nullptr) {
    const std::string& topic = topics_[static_cast<size_t>(p.topic)].name;
    const std::string partition = std::to_string(p.partition), offset = std::to_string(m->offset);
    auto* origin = new Held{slot, generation, m->offset, AlertBatch()};
    rd_kafka_resp_err_t e = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(options_.dead_letter_topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
        RD_KAFKA_V_HEADER("incidentd-error", error.data(), static_cast<ssize_t>(error.size())),
        RD_KAFKA_V_HEADER("incidentd-topic", topic.data(), static_cast<ssize_t>(topic.size())),
        RD_KAFKA_V_HEADER("incidentd-partition", partition.data(), static_cast<ssize_t>(partition.size())),
        RD_KAFKA_V_HEADER("incidentd-offset", offset.data(), static_cast<ssize_t>(offset.size())),
        RD_KAFKA_V_OPAQUE(origin), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_message_destroy(m);
      return;  // finished by the delivery report
    }
    delete origin;
    metrics_->dead_letter_errors->Inc();
    LogRateLimited(p.topic, std::string("kafka: cannot produce to the dead-letter topic: ") + rd_kafka_err2str(e));
  }
  const int64_t offset = m->offset;
  rd_kafka_message_destroy(m);
  Finished(slot, generation, offset, Status::Ok());
}

bool KafkaSource::OfferHeld() {
  {
    // What a revoke or a seek made stale is not handed on.
    std::lock_guard lock(mu_);
    std::erase_if(held_, [&](const Held& h) { return partitions_[h.slot]->generation != h.generation; });
  }
  if (!held_.empty()) {
    batches_.clear();
    dones_.clear();
    for (Held& h : held_) {
      observability::Counter* accepted =
          metrics_->topics[static_cast<size_t>(partitions_[h.slot]->topic)].alerts_accepted;
      dones_.push_back([this, slot = h.slot, generation = h.generation, offset = h.offset, accepted,
                        n = h.batch.size()](const BatchReceipt& r) {
        if (r.status.ok()) accepted->Inc(n);
        Finished(slot, generation, offset, r.status);
      });
      batches_.push_back(std::move(h.batch));
    }
    const size_t taken = sink_.SubmitMany(batches_, dones_);
    for (size_t i = taken; i < held_.size(); ++i) held_[i].batch = std::move(batches_[i]);
    held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(taken));
    // The engine is taking them: only a refusal without progress pauses.
    if (taken > 0) held_since_ = Steady::now();
    if (!held_.empty()) return false;
  }
  if (paused_) SetPaused(false);
  return true;
}

void KafkaSource::SetPaused(bool paused) {
  rd_kafka_topic_partition_list_t* assignment = nullptr;
  if (rd_kafka_assignment(consumer_, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR && assignment != nullptr) {
    if (paused) {
      rd_kafka_pause_partitions(consumer_, assignment);
    } else {
      rd_kafka_resume_partitions(consumer_, assignment);
    }
    rd_kafka_topic_partition_list_destroy(assignment);
  }
  paused_ = paused;
  metrics_->paused->Set(paused ? 1 : 0);
  if (paused) {
    metrics_->pauses->Inc();
    spdlog::debug("kafka: the engine is full; partitions paused");
  }
}

void KafkaSource::Finished(size_t slot, uint64_t generation, int64_t offset, const Status& status) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    Partition& p = *partitions_[slot];
    if (p.generation != generation) return;
    if (!status.ok()) {
      if (p.failed_at < 0 || offset < p.failed_at) p.failed_at = offset;
      failures_ = true;
    } else {
      p.tracker.Finish(offset);
    }
  }
  finished_.notify_all();
}

void KafkaSource::SeekBackFailed() {
  PartitionList seek;
  {
    std::lock_guard lock(mu_);
    if (!failures_) return;
    failures_ = false;
    for (auto& p : partitions_) {
      if (p->failed_at < 0) continue;
      if (p->assigned) seek.Add(topics_[static_cast<size_t>(p->topic)].name, p->partition, p->failed_at);
      // What was handed on after it is read again; its finishes are stale.
      ++p->generation;
      p->tracker.Reset();
      p->failed_at = -1;
    }
  }
  if (seek.list->cnt == 0) return;
  metrics_->seeks->Inc(static_cast<uint64_t>(seek.list->cnt));
  spdlog::warn("kafka: {} partitions read again from a batch the state store did not make durable", seek.list->cnt);
  if (rd_kafka_error_t* e = rd_kafka_seek_partitions(consumer_, seek.list, 5000)) {
    spdlog::error("kafka: seek: {}", rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
  }
}

void KafkaSource::StoreOffsets() {
  PartitionList store;
  {
    std::lock_guard lock(mu_);
    for (auto& p : partitions_) {
      const int64_t commit = p->tracker.commit();
      if (!p->assigned || commit <= p->stored) continue;
      store.Add(topics_[static_cast<size_t>(p->topic)].name, p->partition, commit);
      p->stored = commit;
    }
  }
  if (store.list->cnt > 0) rd_kafka_offsets_store(consumer_, store.list);
}

void KafkaSource::Rebalance(int err, rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(consumer_), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    Assign(partitions);
    rd_kafka_error_t* e = nullptr;
    if (cooperative) {
      e = rd_kafka_incremental_assign(consumer_, partitions);
    } else {
      rd_kafka_assign(consumer_, partitions);
    }
    if (e != nullptr) {
      spdlog::error("kafka: assign: {}", rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    }
    // Paused for the engine: the new partitions wait too.
    if (paused_) rd_kafka_pause_partitions(consumer_, partitions);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    std::vector<size_t> slots;
    for (int i = 0; i < partitions->cnt; ++i) {
      const int topic = TopicOf(partitions->elems[i].topic);
      if (topic >= 0) slots.push_back(SlotOf(topic, partitions->elems[i].partition));
    }
    metrics_->revoked_total->Inc(static_cast<uint64_t>(partitions->cnt));
    Release(slots, "revoked");
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(consumer_, partitions)) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(consumer_, nullptr);
    }
  } else {
    spdlog::error("kafka: rebalance: {}", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)));
    rd_kafka_assign(consumer_, nullptr);
  }
  rd_kafka_topic_partition_list_t* assignment = nullptr;
  if (rd_kafka_assignment(consumer_, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR && assignment != nullptr) {
    metrics_->assigned->Set(assignment->cnt);
    rd_kafka_topic_partition_list_destroy(assignment);
  }
}

void KafkaSource::Assign(rd_kafka_topic_partition_list_t* partitions) {
  std::string names;
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions->elems[i];
    const int topic = TopicOf(tp.topic);
    if (topic < 0) continue;
    Partition& p = *partitions_[SlotOf(topic, tp.partition)];
    std::lock_guard lock(mu_);
    p.assigned = true;
    ++p.generation;
    // What this instance finished in an earlier assignment may be behind what another has committed since.
    p.tracker = OffsetTracker();
    p.failed_at = -1;
    p.stored = -1;
    names += (names.empty() ? "" : " ") + p.stream;
  }
  metrics_->assigned_total->Inc(static_cast<uint64_t>(partitions->cnt));
  spdlog::info("kafka: assigned {} partitions: {}", partitions->cnt, names);
}

void KafkaSource::Release(const std::vector<size_t>& slots, const char* why) {
  // Held batches of these partitions were never handed on: the next reader gets them.
  std::vector<bool> releasing(partitions_.size());
  for (size_t s : slots) releasing[s] = true;
  std::unique_lock lock(mu_);
  for (auto it = held_.begin(); it != held_.end();) {
    if (releasing[it->slot]) {
      partitions_[it->slot]->tracker.ForgetFrom(it->offset);
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  auto in_flight = [&] {
    size_t n = 0;
    for (size_t s : slots) n += partitions_[s]->tracker.in_flight();
    return n;
  };
  if (!finished_.wait_for(lock, options_.revoke_timeout, [&] { return in_flight() == 0; })) {
    spdlog::warn("kafka: {}: {} messages still not durable after {} ms; their next reader reads them again", why,
                 in_flight(), options_.revoke_timeout.count());
  }
  PartitionList commit;
  std::string names;
  for (size_t s : slots) {
    Partition& p = *partitions_[s];
    if (p.assigned && p.tracker.commit() >= 0) {
      commit.Add(topics_[static_cast<size_t>(p.topic)].name, p.partition, p.tracker.commit());
      names += (names.empty() ? "" : " ") + p.stream + "@" + std::to_string(p.tracker.commit());
    }
    p.assigned = false;
    ++p.generation;
    p.tracker.Reset();
    p.failed_at = -1;
  }
  lock.unlock();
  // A partition that went elsewhere has no lag here, until librdkafka's statistics say otherwise.
  for (size_t s : slots)
    SetLag(topics_[static_cast<size_t>(partitions_[s]->topic)].name, partitions_[s]->partition, -1);
  if (commit.list->cnt > 0) {
    rd_kafka_resp_err_t e = rd_kafka_commit(consumer_, commit.list, 0);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::info("kafka: {}: committed {}", why, names);
    } else {
      // A commit refused during a rebalance means these messages are read again; re-sent alerts change nothing.
      spdlog::warn("kafka: {}: commit of {} failed: {}", why, names, rd_kafka_err2str(e));
    }
  }
}

void KafkaSource::Stats(std::string_view json) {
  for (const PartitionLag& l : ParseConsumerLag(json)) {
    if (TopicOf(l.topic.c_str()) >= 0) SetLag(l.topic, l.partition, static_cast<double>(l.lag));
  }
}

void KafkaSource::SetLag(const std::string& topic, int32_t partition, double lag) {
  registry_
      .GetGauge("incidentd_kafka_consumer_lag",
                "Messages between this instance's committed offset and the end of the partition (-1: not known or "
                "not assigned here), from librdkafka's statistics.",
                {{"topic", topic}, {"partition", std::to_string(partition)}})
      .Set(lag);
}

void KafkaSource::LogRateLimited(int topic, const std::string& line) {
  // One clock per topic, and one for the client's own errors (-1), so that one kind never hides the other.
  const size_t i = topic < 0 ? topics_.size() : static_cast<size_t>(topic);
  const Steady::time_point now = Steady::now();
  if (now - logged_[i] < std::chrono::seconds(1)) {
    ++suppressed_[i];
    return;
  }
  if (suppressed_[i] > 0) {
    spdlog::warn("{} ({} more like it in the last second not logged)", line, suppressed_[i]);
  } else {
    spdlog::warn("{}", line);
  }
  logged_[i] = now;
  suppressed_[i] = 0;
}

}  // namespace incidentd::kafka
