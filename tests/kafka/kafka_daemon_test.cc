// The real binary (build/incidentd, as a child process) consuming from the mock cluster (tests/kafka/mock_kafka, a
// process of its own on 127.0.0.1), fed by kcat and by a librdkafka producer: alerts on a topic become incidents, a
// poison message goes to the dead-letter topic, a kill -9 and restart resumes without applying anything twice, two
// instances in one group split the partitions and one takes over when the other stops, and a broker that goes down
// and comes back loses nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/daemon_fixture.h"
#include "integration/process.h"
#include "integration/test_client.h"
#include "kafka/kafka_harness.h"

namespace incidentd::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

// One incidentd, its config written for the mock cluster.
class Instance {
 public:
  Instance(const fs::path& dir, const std::string& bootstrap, const std::string& extra_kafka = "") : dir_(dir) {
    fs::create_directories(dir);
    std::ofstream(dir / "rules.yaml") << "correlations:\n  - name: svc\n    group_by: [service]\n";
    std::ofstream(dir / "c.yaml") << "listen: 127.0.0.1:0\ndata_dir: data\nrule_files: [rules.yaml]\n"
                                  << "resolve_timeout: 1h\n"
                                  << "kafka:\n  brokers: " << bootstrap << "\n  group_id: incidentd-test\n"
                                  << "  dead_letter_topic: dead\n"
                                  << "  topics:\n    - {name: alerts, format: prometheus}\n"
                                  << "  properties:\n    session.timeout.ms: '6000'\n"
                                  << "    heartbeat.interval.ms: '500'\n"
                                  << "    statistics.interval.ms: '500'\n"
                                  << extra_kafka;
    Start();
  }
  void Start() {
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"--config", (dir_ / "c.yaml").string(), "--log-level", "info"});
    std::optional<std::string> port =
        process_->WaitForStderr(R"(incidentd listening on 127\.0\.0\.1:(\d+))", seconds(15));
    ASSERT_TRUE(port.has_value()) << process_->err();
    port_ = static_cast<uint16_t>(std::stoi(*port));
  }
  Process& process() { return *process_; }
  uint16_t port() const { return port_; }

  // The id labels of the alerts the API lists.
  std::set<std::string> Ids() {
    std::set<std::string> out;
    TestClient c(port_);
    JsonDoc d(c.Get("/api/v2/alerts").body);
    if (!d.ok()) return out;
    for (simdjson::dom::element a : d.root().get_array()) out.insert(JsonStr(a["labels"]["id"]));
    return out;
  }
  // The value of a metric line (the whole series name with its labels), or -1.
  double Metric(const std::string& series) {
    TestClient c(port_);
    const std::string text = c.Get("/metrics").body;
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }
  // Incidents per service.
  std::map<std::string, int> IncidentsByService() {
    std::map<std::string, int> out;
    TestClient c(port_);
    JsonDoc d(c.Get("/api/v1/incidents?limit=100000").body);
    if (!d.ok()) return out;
    for (simdjson::dom::element inc : d.root().get_array()) ++out[JsonStr(inc["group_labels"]["service"])];
    return out;
  }
  // Waits, reading the daemon's output, until `done` holds; at most `within`.
  bool WaitFor(const std::function<bool()>& done, milliseconds within = seconds(30)) {
    return process_->PumpUntil(done, within);
  }
  bool WaitForIds(size_t n, milliseconds within = seconds(30)) {
    return WaitFor([&] { return Ids().size() >= n; }, within);
  }

 private:
  fs::path dir_;
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
};

std::string Alert(const std::string& id, const std::string& service) {
  return R"({"labels":{"alertname":"KafkaE2E","service":")" + service + R"(","id":")" + id + R"("}})";
}

// kcat lines "key<TAB>value": keyed by service, so one service's alerts share a partition.
std::vector<std::string> Lines(const std::string& prefix, int n, int services) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    const std::string service = prefix + "svc" + std::to_string(i % services);
    out.push_back(service + "\t" + Alert(prefix + std::to_string(i), service));
  }
  return out;
}

class KafkaDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("incidentd-kafka-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(KafkaDaemonTest, AlertsOnATopicBecomeIncidentsAndAPoisonMessageGoesToTheDeadLetterTopic) {
  MockKafka kafka({"alerts:4", "dead:1"});
  Instance d(dir_ / "a", kafka.bootstrap());
  // kcat, an independent client: 60 alerts of 6 services, one per message; then an array of two in one message.
  ASSERT_TRUE(KcatProduce(kafka.bootstrap(), "alerts", Lines("", 60, 6)));
  ASSERT_TRUE(KcatProduce(kafka.bootstrap(), "alerts",
                          {"svc0\t[" + Alert("pair-1", "svc0") + "," + Alert("pair-2", "svc0") + "]"}));
  ASSERT_TRUE(KcatProduce(kafka.bootstrap(), "alerts", {"svc1\t{\"labels\": not json"}));
  ASSERT_TRUE(KcatProduce(kafka.bootstrap(), "alerts", {"svc1\t" + Alert("last", "svc1")}));
  ASSERT_TRUE(d.WaitForIds(63)) << d.Ids().size() << "\n" << d.process().err();
  EXPECT_EQ(d.Ids().size(), 63u);

  std::map<std::string, int> incidents = d.IncidentsByService();
  EXPECT_EQ(incidents.size(), 6u);
  for (const auto& [service, n] : incidents) EXPECT_EQ(n, 1) << service;

  EXPECT_EQ(d.Metric(R"(incidentd_kafka_messages_total{topic="alerts"})"), 63);
  EXPECT_EQ(d.Metric(R"(incidentd_kafka_decode_errors_total{topic="alerts"})"), 1);
  EXPECT_EQ(d.Metric(R"(incidentd_alerts_accepted_total{source="kafka",format="prometheus"})"), 63);
  EXPECT_EQ(d.Metric(R"(incidentd_alerts_rejected_total{source="kafka",format="prometheus",reason="invalid"})"), 1);
  ASSERT_TRUE(d.WaitFor([&] { return d.Metric(R"(incidentd_kafka_dead_letters_total{topic="alerts"})") == 1; }));
  std::vector<std::string> dead = KcatConsume(kafka.bootstrap(), "dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].find("incidentd-error=body: malformed JSON"), std::string::npos) << dead[0];
  EXPECT_NE(dead[0].find("incidentd-topic=alerts"), std::string::npos) << dead[0];
  EXPECT_NE(dead[0].find("{\"labels\": not json"), std::string::npos) << dead[0];
  // Lag from librdkafka's statistics: nothing left to read once the offsets are committed.
  ASSERT_TRUE(d.WaitFor([&] {
    double lag = 0;
    for (int p = 0; p < 4; ++p) {
      lag += std::max(
          0.0, d.Metric(R"(incidentd_kafka_consumer_lag{topic="alerts",partition=")" + std::to_string(p) + "\"}"));
    }
    return lag == 0 && d.Metric(R"(incidentd_kafka_consumer_lag{topic="alerts",partition="0"})") >= 0;
  }));
  EXPECT_EQ(d.Metric("incidentd_kafka_paused"), 0);

  d.process().Signal(SIGTERM);
  EXPECT_EQ(d.process().Wait(seconds(20)), 0) << d.process().err();
  EXPECT_NE(d.process().err().find("kafka: stopping: committed"), std::string::npos) << d.process().err();
}

// Nothing is committed while it runs (the commit interval is an hour), so after the kill the group's offsets are at
// the start and every message comes again: the store's positions show them applied, and they are skipped.
TEST_F(KafkaDaemonTest, AKilledInstanceResumesWithoutLossOrDoubleIncidents) {
  MockKafka kafka({"alerts:4", "dead:1"});
  Instance d(dir_ / "a", kafka.bootstrap(), "    auto.commit.interval.ms: '3600000'\n");
  ASSERT_TRUE(KcatProduce(kafka.bootstrap(), "alerts", Lines("first", 100, 10)));
  ASSERT_TRUE(d.WaitForIds(100)) << d.Ids().size();
  // The API shows what the engine applied, maybe before its tick is written. An alert posted over HTTP is answered
  // once its tick is written, and ticks are written in order: after its 200, the 100 messages' ticks are durable.
  ASSERT_EQ(TestClient(d.port()).Post("/api/v2/alerts", "[" + Alert("barrier", "barrier") + "]").status, 200u);
  d.process().Signal(SIGKILL);
  ASSERT_EQ(d.process().Wait(seconds(10)), 128 + SIGKILL);

  ASSERT_TRUE(KcatProduce(kafka.bootstrap(), "alerts", Lines("second", 50, 5)));
  d.Start();
  ASSERT_TRUE(d.WaitForIds(151)) << d.Ids().size() << "\n" << d.process().err();
  EXPECT_EQ(d.Ids().size(), 151u);
  EXPECT_EQ(d.Metric(R"(incidentd_kafka_messages_total{topic="alerts"})"), 150);
  EXPECT_EQ(d.Metric(R"(incidentd_kafka_skipped_total{topic="alerts"})"), 100);
  std::map<std::string, int> incidents = d.IncidentsByService();
  EXPECT_EQ(incidents.size(), 16u);  // 15 services, and the barrier's
  for (const auto& [service, n] : incidents) EXPECT_EQ(n, 1) << service;
  d.process().Signal(SIGTERM);
  EXPECT_EQ(d.process().Wait(seconds(20)), 0) << d.process().err();
}

// kill -9 three times while messages keep coming (each kill once a further share of them is applied), restarting on
// the same data_dir: every alert produced is there in the end, each service has one incident, and no alert was applied
// twice (each incident holds each of its alerts once, and the alerts were all new).
TEST_F(KafkaDaemonTest, KilledRepeatedlyUnderLoadItLosesNothingAndAppliesNothingTwice) {
  MockKafka kafka({"alerts:6", "dead:1"});
  Instance d(dir_ / "a", kafka.bootstrap(), "    auto.commit.interval.ms: '200'\n");
  constexpr int kMessages = 3000, kServices = 20;
  std::atomic<int> produced{0};
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    Producer p(kafka.bootstrap());
    for (const std::string& line : Lines("m", kMessages, kServices)) {
      if (stop.load()) return;
      const size_t tab = line.find('\t');
      p.Produce("alerts", line.substr(0, tab), line.substr(tab + 1));
      // Paced, so the kills fall while messages still arrive: a bounded wait on nothing, 1 ms a message.
      if (++produced % 100 == 0) p.Flush(milliseconds(100));
    }
    EXPECT_TRUE(p.Flush(seconds(60)));
  });
  // The producer ends on every path out of the test, a failed assertion too.
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } joiner{stop, producer};
  for (int k = 1; k <= 3; ++k) {
    // The alerts the API lists: recovered ones count, so each kill comes after more were applied.
    const size_t at = 400 * static_cast<size_t>(k);
    ASSERT_TRUE(d.WaitFor([&] { return d.Ids().size() >= at; }, seconds(60))) << "kill " << k;
    d.process().Signal(SIGKILL);
    ASSERT_EQ(d.process().Wait(seconds(10)), 128 + SIGKILL);
    d.Start();
  }
  producer.join();
  ASSERT_TRUE(d.WaitForIds(kMessages, seconds(60))) << d.Ids().size() << "\n" << d.process().err();
  EXPECT_EQ(d.Ids().size(), static_cast<size_t>(kMessages));
  std::map<std::string, int> incidents = d.IncidentsByService();
  EXPECT_EQ(incidents.size(), static_cast<size_t>(kServices));
  for (const auto& [service, n] : incidents) EXPECT_EQ(n, 1) << service;
  // Each alert was new once: a second application would have been a refresh, counted apart.
  TestClient c(d.port());
  JsonDoc listed(c.Get("/api/v1/incidents?limit=1000&alerts_limit=1").body);
  ASSERT_TRUE(listed.ok());
  uint64_t members = 0;
  for (simdjson::dom::element inc : listed.root().get_array()) members += uint64_t(inc["counts"]["alerts"]);
  EXPECT_EQ(members, static_cast<uint64_t>(kMessages));
  d.process().Signal(SIGTERM);
  EXPECT_EQ(d.process().Wait(seconds(20)), 0) << d.process().err();
}

// Eager rebalancing (librdkafka's default) and cooperative-sticky (incremental assign and unassign).
class KafkaGroupTest : public KafkaDaemonTest, public ::testing::WithParamInterface<std::string> {};
INSTANTIATE_TEST_SUITE_P(Protocols, KafkaGroupTest, ::testing::Values("range,roundrobin", "cooperative-sticky"),
                         [](const auto& info) { return info.param == "cooperative-sticky" ? "Cooperative" : "Eager"; });

TEST_P(KafkaGroupTest, TwoInstancesInAGroupSplitThePartitionsAndOneTakesOverWhenTheOtherStops) {
  MockKafka kafka({"alerts:6", "dead:1"});
  const std::string strategy = "    partition.assignment.strategy: " + GetParam() + "\n";
  Instance a(dir_ / "a", kafka.bootstrap(), strategy);
  Instance b(dir_ / "b", kafka.bootstrap(), strategy);
  // Both have joined once each holds partitions.
  auto assigned = [](Instance& i) { return i.Metric("incidentd_kafka_assigned_partitions"); };
  ASSERT_TRUE(
      a.WaitFor([&] { return assigned(a) > 0 && assigned(b) > 0 && assigned(a) + assigned(b) == 6; }, seconds(40)))
      << assigned(a) << " + " << assigned(b);

  ASSERT_TRUE(KcatProduce(kafka.bootstrap(), "alerts", Lines("first", 200, 20)));
  ASSERT_TRUE(a.WaitFor([&] { return a.Ids().size() + b.Ids().size() >= 200; }));
  std::set<std::string> in_a = a.Ids(), in_b = b.Ids();
  EXPECT_FALSE(in_a.empty());
  EXPECT_FALSE(in_b.empty());
  for (const std::string& id : in_a) EXPECT_FALSE(in_b.contains(id)) << id << " applied by both";
  EXPECT_EQ(in_a.size() + in_b.size(), 200u);

  // a leaves the group (committing what it applied); b takes every partition and reads on from a's offsets.
  a.process().Signal(SIGTERM);
  ASSERT_EQ(a.process().Wait(seconds(20)), 0) << a.process().err();
  ASSERT_TRUE(b.WaitFor([&] { return assigned(b) == 6; }, seconds(40)));
  ASSERT_TRUE(KcatProduce(kafka.bootstrap(), "alerts", Lines("second", 200, 20)));
  ASSERT_TRUE(b.WaitFor([&] { return b.Ids().size() >= in_b.size() + 200; }));
  std::set<std::string> after = b.Ids();
  for (int i = 0; i < 200; ++i) EXPECT_TRUE(after.contains("second" + std::to_string(i))) << i;
  // None of a's first alerts was read again by b: a committed them on leaving.
  for (const std::string& id : in_a) EXPECT_FALSE(after.contains(id)) << id << " read again after a left";
  b.process().Signal(SIGTERM);
  EXPECT_EQ(b.process().Wait(seconds(20)), 0) << b.process().err();
}

TEST_F(KafkaDaemonTest, ABrokerThatGoesDownAndComesBackLosesNothing) {
  MockKafka kafka({"alerts:6", "dead:1"}, 3);
  Instance d(dir_ / "a", kafka.bootstrap());
  Producer producer(kafka.bootstrap());
  auto produce = [&](const std::string& prefix, int n) {
    for (const std::string& line : Lines(prefix, n, 12)) {
      const size_t tab = line.find('\t');
      producer.Produce("alerts", line.substr(0, tab), line.substr(tab + 1));
    }
  };
  produce("before", 500);
  ASSERT_TRUE(producer.Flush(seconds(30)));
  ASSERT_TRUE(d.WaitForIds(500)) << d.Ids().size();

  ASSERT_TRUE(kafka.Command("down 1"));
  produce("during", 500);
  // The partitions led by the other brokers go on meanwhile.
  ASSERT_TRUE(d.WaitFor([&] { return d.Ids().size() > 500; })) << d.Ids().size();
  ASSERT_TRUE(kafka.Command("up 1"));
  produce("after", 500);
  ASSERT_TRUE(producer.Flush(seconds(60)));
  ASSERT_TRUE(d.WaitForIds(1500, seconds(60))) << d.Ids().size() << "\n" << d.process().err();
  std::set<std::string> ids = d.Ids();
  for (const char* prefix : {"before", "during", "after"}) {
    for (int i = 0; i < 500; ++i) EXPECT_TRUE(ids.contains(prefix + std::to_string(i))) << prefix << i;
  }
  d.process().Signal(SIGTERM);
  EXPECT_EQ(d.process().Wait(seconds(20)), 0) << d.process().err();
}

}  // namespace
}  // namespace incidentd::testing
