// KafkaSource against the mock cluster, with a scripted AlertSink in place of the engine loop (the edge of this unit):
// it refuses batches (a full queue), answers them "not durable" (a failing store), or holds their answers, so that
// pausing, seeking back, skipping what the store applied and committing only what is durable can be seen.
#include "sources/kafka/kafka_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "decode/factory.h"
#include "kafka/kafka_harness.h"

namespace incidentd::kafka {
namespace {

using incidentd::testing::MockKafka;
using incidentd::testing::Producer;
using std::chrono::milliseconds;
using std::chrono::seconds;

// What the source handed on, and the answers it gets.
class ScriptedSink : public AlertSink {
 public:
  struct Submitted {
    std::string stream;
    int64_t offset;
    std::string id;  // the alert's id label
  };
  // Refuse the nth call of Submit (1-based)?
  std::function<bool(size_t n)> refuse = [](size_t) { return false; };
  // The answer for a batch; ok unless set.
  std::function<Status(const Submitted&)> answer = [](const Submitted&) { return Status::Ok(); };
  bool hold = false;  // keep the answers until Release

  bool Submit(AlertBatch&& batch, Done done) override {
    std::unique_lock lock(mu_);
    if (refuse(++calls_)) {
      ++refused_;
      return false;
    }
    Submitted s{std::string(batch.position_stream()), batch.position_offset(), ""};
    for (const Label& l : batch.labels(batch.alerts().at(0))) {
      if (l.name == "id") s.id = std::string(l.value);
    }
    submitted_.push_back(s);
    cv_.notify_all();
    if (hold) {
      held_.emplace_back(std::move(done), s);
      return true;
    }
    lock.unlock();
    done(BatchReceipt{answer(s)});
    return true;
  }
  // Answers the first `n` held batches.
  void Release(size_t n) {
    std::vector<std::pair<Done, Submitted>> now;
    {
      std::lock_guard lock(mu_);
      n = std::min(n, held_.size());
      now.assign(std::make_move_iterator(held_.begin()), std::make_move_iterator(held_.begin() + n));
      held_.erase(held_.begin(), held_.begin() + static_cast<long>(n));
    }
    for (auto& [done, s] : now) done(BatchReceipt{answer(s)});
  }
  // Waits until `done(submitted)` holds, at most `within`.
  bool WaitFor(const std::function<bool(const std::vector<Submitted>&)>& done, milliseconds within) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, within, [&] { return done(submitted_); });
  }
  std::vector<Submitted> submitted() {
    std::lock_guard lock(mu_);
    return submitted_;
  }
  size_t refused() {
    std::lock_guard lock(mu_);
    return refused_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t calls_ = 0, refused_ = 0;
  std::vector<Submitted> submitted_;
  std::vector<std::pair<Done, Submitted>> held_;
};

// Waits until `done()` holds, asking it again every 20 ms (for what nothing announces, such as the group's committed
// offsets); at most `within`.
bool Eventually(const std::function<bool()>& done, milliseconds within) {
  std::mutex mu;
  std::condition_variable never;  // nothing notifies it: a bounded wait between questions
  const auto deadline = std::chrono::steady_clock::now() + within;
  std::unique_lock lock(mu);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    never.wait_for(lock, milliseconds(20));
  }
  return true;
}

std::string AlertJson(const std::string& id) { return R"({"labels":{"alertname":"KafkaTest","id":")" + id + R"("}})"; }

std::set<std::string> Ids(const std::vector<ScriptedSink::Submitted>& s) {
  std::set<std::string> out;
  for (const auto& x : s) out.insert(x.id);
  return out;
}

// The group's committed offset of a partition, read with a consumer handle of the same group that does not join it.
int64_t Committed(const std::string& bootstrap, const std::string& group, const std::string& topic, int32_t partition) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
  int64_t offset = -2;
  if (rd_kafka_committed(rk, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) offset = list->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return offset;  // RD_KAFKA_OFFSET_INVALID (-1001): nothing committed
}

class KafkaSourceTest : public ::testing::Test {
 protected:
  KafkaSourceTest() : kafka_({"t:2"}) {}

  std::unique_ptr<KafkaSource> Make(std::map<std::string, int64_t, std::less<>> applied = {},
                                    std::function<void(std::function<void()>)> decode_executor = {}) {
    KafkaSourceOptions o;
    o.brokers = {kafka_.bootstrap()};
    o.group_id = "g-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    group_ = o.group_id;
    o.properties = {
        {"auto.commit.interval.ms", "100"}, {"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    o.applied = std::move(applied);
    o.decode_executor = std::move(decode_executor);
    std::vector<KafkaTopic> topics;
    topics.push_back({"t", decode::MakeDecoder(AlertFormat::kPrometheus, decode::Limits(), true)});
    Result<std::unique_ptr<KafkaSource>> s = KafkaSource::Create(std::move(o), std::move(topics), sink_, metrics_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (!s.ok()) return nullptr;
    EXPECT_TRUE((*s)->Start().ok());
    return std::move(*s);
  }
  // n alerts with ids prefix0..prefix(n-1), all to `partition`.
  void Produce(const std::string& prefix, int n, int32_t partition) {
    Producer p(kafka_.bootstrap());
    for (int i = 0; i < n; ++i) p.Produce("t", "", AlertJson(prefix + std::to_string(i)), partition);
    ASSERT_TRUE(p.Flush(seconds(20)));
  }
  uint64_t Count(const std::string& name, const observability::MetricLabels& labels = {}) {
    return metrics_.GetCounter(name, "", labels).value();
  }

  MockKafka kafka_;
  ScriptedSink sink_;
  observability::Registry metrics_;
  std::string group_;
};

// Each partition's batches were handed on in order, from offset 0, without a gap or a repeat.
void ExpectInOrder(const std::vector<ScriptedSink::Submitted>& got) {
  std::map<std::string, int64_t> next;
  for (const auto& s : got) {
    EXPECT_EQ(s.offset, next[s.stream]) << s.stream;
    next[s.stream] = s.offset + 1;
  }
}

TEST_F(KafkaSourceTest, AFullEnginePausesTheConsumerAndNothingIsSkippedOrHandedOnTwice) {
  std::atomic<bool> full{true};
  sink_.refuse = [&](size_t) { return full.load(); };
  Produce("a", 100, 0);
  Produce("b", 100, 1);
  auto source = Make();
  const observability::Gauge& paused = metrics_.GetGauge("incidentd_kafka_paused", "");
  ASSERT_TRUE(Eventually([&] { return paused.value() == 1; }, seconds(30)));
  EXPECT_TRUE(sink_.submitted().empty());
  full = false;
  ASSERT_TRUE(sink_.WaitFor([](const auto& s) { return s.size() >= 200; }, seconds(30)))
      << sink_.submitted().size() << " handed on";
  ASSERT_TRUE(Eventually([&] { return paused.value() == 0; }, seconds(10)));
  source->Stop();
  std::vector<ScriptedSink::Submitted> got = sink_.submitted();
  EXPECT_EQ(got.size(), 200u);
  EXPECT_EQ(Ids(got).size(), 200u);
  ExpectInOrder(got);
  EXPECT_GT(sink_.refused(), 0u);
  EXPECT_GE(Count("incidentd_kafka_pauses_total"), 1u);
  EXPECT_EQ(Count("incidentd_kafka_messages_total", {{"topic", "t"}}), 200u);
  EXPECT_EQ(Committed(kafka_.bootstrap(), group_, "t", 0), 100);
  EXPECT_EQ(Committed(kafka_.bootstrap(), group_, "t", 1), 100);
}

// With a second thread to decode on, a round's messages are decoded half there, and still handed on in order, each
// with its own alert.
TEST_F(KafkaSourceTest, ARoundDecodedOnTwoThreadsKeepsItsOrder) {
  Produce("a", 3000, 0);
  Produce("b", 3000, 1);
  std::atomic<size_t> shared{0};
  std::vector<std::thread> helpers;
  std::mutex helpers_mu;
  auto executor = [&](std::function<void()> task) {
    ++shared;
    std::lock_guard lock(helpers_mu);
    helpers.emplace_back(std::move(task));
  };
  auto source = Make({}, executor);
  ASSERT_TRUE(sink_.WaitFor([](const auto& s) { return s.size() >= 6000; }, seconds(30)));
  source->Stop();
  for (std::thread& t : helpers) t.join();
  const std::vector<ScriptedSink::Submitted> got = sink_.submitted();
  EXPECT_EQ(got.size(), 6000u);
  ExpectInOrder(got);
  for (const auto& s : got) {
    EXPECT_EQ(s.id, (s.stream == "kafka/t/0" ? "a" : "b") + std::to_string(s.offset)) << s.stream << " " << s.offset;
  }
  EXPECT_GT(shared.load(), 0u);  // some rounds were large enough to share
}

// A queue full for a moment (two of every three offers refused) is waited out without pausing.
TEST_F(KafkaSourceTest, ABrieflyFullEngineIsWaitedOutWithoutPausing) {
  sink_.refuse = [](size_t n) { return n % 3 != 0; };
  Produce("a", 100, 0);
  auto source = Make();
  ASSERT_TRUE(sink_.WaitFor([](const auto& s) { return s.size() >= 100; }, seconds(30)));
  source->Stop();
  EXPECT_EQ(sink_.submitted().size(), 100u);
  ExpectInOrder(sink_.submitted());
  EXPECT_GE(sink_.refused(), 200u);
  EXPECT_EQ(Count("incidentd_kafka_pauses_total"), 0u);
}

TEST_F(KafkaSourceTest, ABatchTheStoreDidNotMakeDurableIsReadAgain) {
  bool failed_once = false;
  sink_.answer = [&](const ScriptedSink::Submitted& s) {
    if (s.stream == "kafka/t/0" && s.offset == 5 && !failed_once) {
      failed_once = true;
      return Status::Unavailable("store: disk full");
    }
    return Status::Ok();
  };
  Produce("a", 20, 0);
  auto source = Make();
  // The twenty, and offset 5 once more (with whatever followed it before the seek).
  ASSERT_TRUE(sink_.WaitFor(
      [](const auto& s) {
        size_t fives = 0;
        for (const auto& x : s) fives += x.offset == 5;
        return fives == 2 && Ids(s).size() == 20 && s.back().offset == 19;
      },
      seconds(30)));
  ASSERT_TRUE(Eventually([&] { return Committed(kafka_.bootstrap(), group_, "t", 0) == 20; }, seconds(10)));
  source->Stop();
  EXPECT_GE(Count("incidentd_kafka_seeks_total"), 1u);
  // After the seek, offset 5 onwards came again in order.
  std::vector<ScriptedSink::Submitted> got = sink_.submitted();
  size_t second = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].offset == 5) second = i;
  }
  for (size_t i = second; i < got.size(); ++i) EXPECT_EQ(got[i].offset, static_cast<int64_t>(5 + i - second));
}

TEST_F(KafkaSourceTest, OnlyDurableOffsetsAreCommitted) {
  sink_.hold = true;
  Produce("a", 10, 0);
  auto source = Make();
  ASSERT_TRUE(sink_.WaitFor([](const auto& s) { return s.size() == 10; }, seconds(30)));
  EXPECT_EQ(Committed(kafka_.bootstrap(), group_, "t", 0), RD_KAFKA_OFFSET_INVALID);
  sink_.Release(4);
  // The first four are durable: the group's offset reaches 4 and stays there while the rest are not.
  ASSERT_TRUE(Eventually([&] { return Committed(kafka_.bootstrap(), group_, "t", 0) == 4; }, seconds(10)));
  EXPECT_EQ(Committed(kafka_.bootstrap(), group_, "t", 0), 4);
  sink_.Release(6);
  ASSERT_TRUE(Eventually([&] { return Committed(kafka_.bootstrap(), group_, "t", 0) == 10; }, seconds(10)));
  source->Stop();
  // Released partitions show no lag of this instance's.
  EXPECT_EQ(metrics_.GetGauge("incidentd_kafka_consumer_lag", "", {{"topic", "t"}, {"partition", "0"}}).value(), -1);
}

TEST_F(KafkaSourceTest, MessagesTheStoreAlreadyAppliedAreSkipped) {
  Produce("a", 10, 0);
  Produce("b", 3, 1);
  // The store holds offset 4 of partition 0 as applied (and a position past the end of partition 1, from a topic
  // that was since re-created: it is dropped, and partition 1 is read whole).
  auto source = Make({{"kafka/t/0", 4}, {"kafka/t/1", 50}});
  ASSERT_TRUE(sink_.WaitFor([](const auto& s) { return s.size() == 8; }, seconds(30))) << sink_.submitted().size();
  ASSERT_TRUE(Eventually([&] { return Committed(kafka_.bootstrap(), group_, "t", 0) == 10; }, seconds(10)));
  source->Stop();
  std::set<std::string> want;
  for (int i = 5; i < 10; ++i) want.insert("a" + std::to_string(i));
  for (int i = 0; i < 3; ++i) want.insert("b" + std::to_string(i));
  EXPECT_EQ(Ids(sink_.submitted()), want);
  EXPECT_EQ(Count("incidentd_kafka_skipped_total", {{"topic", "t"}}), 5u);
}

TEST_F(KafkaSourceTest, APoisonMessageIsCountedAndItsPartitionGoesOn) {
  Producer p(kafka_.bootstrap());
  p.Produce("t", "", AlertJson("before"), 0);
  p.Produce("t", "", "{not json", 0);
  p.Produce("t", "", R"([{"labels":{}}])", 0);  // an alert without labels
  p.Produce("t", "", "", 0);                    // empty
  p.Produce("t", "", AlertJson("after"), 0);
  ASSERT_TRUE(p.Flush(seconds(20)));
  auto source = Make();
  ASSERT_TRUE(sink_.WaitFor([](const auto& s) { return s.size() == 2; }, seconds(30)));
  ASSERT_TRUE(Eventually([&] { return Committed(kafka_.bootstrap(), group_, "t", 0) == 5; }, seconds(10)));
  source->Stop();
  EXPECT_EQ(Ids(sink_.submitted()), (std::set<std::string>{"before", "after"}));
  EXPECT_EQ(Count("incidentd_kafka_decode_errors_total", {{"topic", "t"}}), 3u);
}

TEST(KafkaSourceCheckTest, PropertiesLibrdkafkaRefusesAreNamedWithoutTheirValues) {
  KafkaSourceOptions o;
  o.brokers = {"127.0.0.1:1"};
  o.group_id = "g";
  o.properties = {{"session.timeout.ms", "6000"}};
  EXPECT_TRUE(KafkaSource::Check(o).ok());
  o.properties = {{"security.protocol", "HUNTER2"}};
  Status s = KafkaSource::Check(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "kafka.properties: security.protocol: librdkafka refuses its value");
  o.properties = {{"no.such.thing", "x"}};
  EXPECT_EQ(KafkaSource::Check(o).message(), "kafka.properties: no.such.thing: not a librdkafka property");
}

}  // namespace
}  // namespace incidentd::kafka
