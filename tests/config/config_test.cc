#include "config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/duration.h"

namespace incidentd::config {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("incidentd-config-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(ConfigTest, DefaultsAndRelativePaths) {
  Write("rules/a.yaml", "correlations: []\n");
  Write("rules/b.yaml", "{}\n");
  std::string path = Write("c.yaml", "data_dir: data\nrule_files: [rules/*.yaml, missing/*.yaml]\n");
  Result<Config> c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen, "127.0.0.1:9093");
  EXPECT_EQ(c->resolve_timeout, std::chrono::minutes(5));
  EXPECT_EQ(c->data_dir, (dir_ / "data").string());
  ASSERT_EQ(c->rule_paths.size(), 2u);
  EXPECT_EQ(c->rule_paths[0], (dir_ / "rules/a.yaml").string());
  EXPECT_EQ(c->http.max_body_bytes, 16u << 20);
}

TEST_F(ConfigTest, ReadsEverySection) {
  std::string path = Write("c.yaml", R"(listen: "[::1]:0"
log_level: debug
resolve_timeout: 1m30s
http: {io_threads: 4, max_body_bytes: 1MiB, header_timeout: 2s, idle_timeout: 1m}
engine: {queue_capacity: 1000, resolved_retention: 1h}
limits: {max_labels: 8, max_alerts_per_request: 50}
generic_webhooks:
  - name: grafana
    alerts: /alerts
    labels_from: /labels
    annotations: {summary: /annotations/summary}
    status: /status
    resolved_values: [resolved, ok]
    resolve_timeout: 0s
)");
  Result<Config> c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->http.io_threads, 4);
  EXPECT_EQ(c->http.max_body_bytes, 1u << 20);
  EXPECT_EQ(c->resolve_timeout, std::chrono::seconds(90));
  EXPECT_EQ(c->engine.queue_capacity, 1000u);
  EXPECT_EQ(c->limits.max_labels, 8u);
  ASSERT_EQ(c->generic_webhooks.size(), 1u);
  EXPECT_EQ(c->generic_webhooks[0].resolved_values.size(), 2u);
  EXPECT_TRUE(c->generic_webhooks[0].resolve_timeout_set);
}

// Every error names the file, the line and the column of the offending node.
TEST_F(ConfigTest, ErrorsCarryFileLineColumn) {
  struct Case {
    std::string text;
    std::string want;  // the message after "file:"
  };
  const Case cases[] = {
      {"listen: x\n", "1:9: listen: 'x' is not host:port"},
      {"lisen: 127.0.0.1:1\n", "1:1: unknown key 'lisen' in the config"},
      {"resolve_timeout: 5\n", "1:18: resolve_timeout: not a duration (use forms like 30s, 5m, 1h30m)"},
      {"http:\n  io_threads: many\n", "2:15: http.io_threads: must be an integer"},
      {"http:\n  io_threads: 0\n", "2:15: http.io_threads: must be between 1 and 64"},
      {"http:\n  max_body_bytes: 10XB\n",
       "2:19: http.max_body_bytes: not a byte size (use forms like 65536, 64KiB, 16MiB)"},
      {"log_level: loud\n", "1:12: log_level: must be one of trace, debug, info, warn, error, critical, off"},
      {"rule_files: rules/*.yaml\n", "1:13: rule_files: must be a list of strings"},
      {"generic_webhooks:\n  - name: Bad Name\n    labels_from: /l\n",
       "2:11: generic_webhooks[0].name: use only a-z, 0-9, '_' and '-'"},
      {"generic_webhooks:\n  - name: g\n    labels: {alertname: title}\n",
       "3:25: generic_webhooks[0].labels.alertname: not a JSON pointer (RFC 6901: /a/b with ~0 and ~1 escapes)"},
      {"generic_webhooks:\n  - name: g\n    labels: {bad-name: /x}\n",
       "3:14: generic_webhooks[0].labels: invalid label name 'bad-name'"},
      {"generic_webhooks:\n  - name: g\n",
       "2:5: generic_webhooks[0]: needs labels or labels_from (an alert is identified by its labels)"},
      {"generic_webhooks:\n  - {name: g, labels_from: /l}\n  - {name: g, labels_from: /l}\n",
       "3:12: generic_webhooks[1].name: duplicate 'g'"},
      {"listen: [unclosed\n", "2:1: end of sequence flow not found"},
  };
  for (const Case& c : cases) {
    std::string path = Write("bad.yaml", c.text);
    Result<Config> r = LoadConfig(path);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().message(), path + ":" + c.want) << c.text;
  }
}

TEST_F(ConfigTest, Kafka) {
  Write("kafka-password", "s3cret\n");
  std::string path = Write("c.yaml", R"(generic_webhooks:
  - {name: zabbix, labels_from: /labels}
kafka:
  brokers: [k1:9092, k2:9092]
  group_id: ops
  dead_letter_topic: alerts-dead
  topics:
    - name: alerts
    - name: zbx
      format: generic:zabbix
  properties:
    security.protocol: SASL_SSL
    sasl.password_file: kafka-password
)");
  Result<Config> c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const KafkaConfig& k = c->kafka;
  EXPECT_TRUE(k.enabled());
  EXPECT_EQ(k.brokers, (std::vector<std::string>{"k1:9092", "k2:9092"}));
  EXPECT_EQ(k.group_id, "ops");
  EXPECT_EQ(k.dead_letter_topic, "alerts-dead");
  ASSERT_EQ(k.topics.size(), 2u);
  EXPECT_EQ(k.topics[0].format, "prometheus");  // the default
  EXPECT_EQ(k.topics[1].format, "generic:zabbix");
  // The password file was read into sasl.password.
  using Props = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(k.properties, (Props{{"security.protocol", "SASL_SSL"}, {"sasl.password", "s3cret"}}));

  // librdkafka's comma-separated form too; no kafka section: no consumer.
  c = LoadConfig(Write("c2.yaml", "kafka:\n  brokers: 'a:1, b:2'\n  topics: [{name: t}]\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->kafka.brokers, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(c->kafka.group_id, "incidentd");
  c = LoadConfig(Write("c3.yaml", "{}\n"));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->kafka.enabled());
}

TEST_F(ConfigTest, KafkaErrors) {
  struct Case {
    std::string text;
    std::string want;  // after "file:"
  };
  const Case cases[] = {
      {"kafka:\n  topics: [{name: t}]\n", "2:3: kafka.brokers: required when kafka.topics is set"},
      {"kafka:\n  brokers: [k1]\n  topics: [{name: t}]\n", "2:12: kafka.brokers: 'k1' must be host:port"},
      {"kafka:\n  brokers: [k:1]\n  topics: []\n", "3:11: kafka.topics: must be a non-empty list"},
      {"kafka:\n  brokers: [k:1]\n  topics: [{format: prometheus}]\n", "3:12: kafka.topics[0].name: required"},
      {"kafka:\n  brokers: [k:1]\n  topics: [{name: t, format: xml}]\n",
       "3:30: kafka.topics[0].format: must be prometheus, alertmanager-webhook, pagerduty or generic:NAME, not 'xml'"},
      {"kafka:\n  brokers: [k:1]\n  topics: [{name: t}, {name: t}]\n", "3:30: kafka.topics[1].name: duplicate 't'"},
      {"kafka:\n  brokers: [k:1]\n  topics: [{name: t, partitions: 3}]\n",
       "3:22: unknown key 'partitions' in kafka.topics[0]"},
      {"kafka:\n  brokers: [k:1]\n  topics: [{name: t}]\n  properties: {group.id: other}\n",
       "4:26: kafka.properties: group.id is set by incidentd (use kafka.brokers and kafka.group_id; offsets are "
       "committed once applied)"},
      {"kafka:\n  brokers: [k:1]\n  topics: [{name: t}]\n  dead_letter_topic: t\n",
       "4:22: kafka.dead_letter_topic: 't' is also consumed"},
      {"kafka:\n  brokers: [k:1]\n  topics: [{name: t, format: 'generic:nope'}]\n",
       "3:12: kafka.topics: format generic:nope: no generic_webhooks entry named 'nope'"},
      {"kafka:\n  brokers: [k:1]\n  topics: [{name: t}]\n  properties: {sasl.password_file: missing}\n",
       "4:15: kafka.properties: sasl.password_file: cannot read "},
  };
  for (const Case& c : cases) {
    std::string path = Write("bad.yaml", c.text);
    Result<Config> r = LoadConfig(path);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_TRUE(r.status().message().starts_with(path + ":" + c.want)) << r.status().message();
  }
}

TEST_F(ConfigTest, RuleFileErrorsNameTheRuleFile) {
  std::string rule = Write("rules/r.yaml", "correlations:\n  - name: [\n");
  std::string path = Write("c.yaml", "rule_files: [rules/*.yaml]\n");
  Result<Config> r = LoadConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().message().starts_with(rule + ":3:1: ")) << r.status().message();
  Write("rules/r.yaml", "- a list\n");
  r = LoadConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), rule + ":1:1: a rule file must be a mapping");
}

TEST_F(ConfigTest, MissingFile) {
  Result<Config> r = LoadConfig((dir_ / "nope.yaml").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), (dir_ / "nope.yaml").string() + ": cannot read the file");
}

TEST(DurationTest, ParsesPrometheusDurations) {
  EXPECT_EQ(ParseDuration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(ParseDuration("5m"), std::chrono::minutes(5));
  EXPECT_EQ(ParseDuration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(ParseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(ParseDuration("1m30s500ms"), std::chrono::milliseconds(90500));
  EXPECT_EQ(ParseDuration("2d"), std::chrono::hours(48));
  EXPECT_EQ(ParseDuration("0s"), Duration(0));
  for (const char* bad : {"", "5", "m", "-5m", "5x", "30s5m", "1.5h", "5m5m", "ms"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
  EXPECT_EQ(FormatDuration(std::chrono::minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(Duration(0)), "0s");
  EXPECT_EQ(ParseBytes("16MiB"), 16u << 20);
  EXPECT_EQ(ParseBytes("1000"), 1000u);
  EXPECT_FALSE(ParseBytes("1.5MiB").has_value());
}

TEST(ListenTest, Parses) {
  std::string host;
  uint16_t port;
  ASSERT_TRUE(ParseListen("127.0.0.1:9093", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9093);
  ASSERT_TRUE(ParseListen("[::1]:0", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(ParseListen("127.0.0.1:99999", &host, &port).ok());
  EXPECT_FALSE(ParseListen("127.0.0.1", &host, &port).ok());
}

}  // namespace
}  // namespace incidentd::config
