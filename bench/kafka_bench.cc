// kafka_bench: Kafka ingestion from librdkafka's mock cluster (tests/kafka/mock_kafka), beside a bare librdkafka
// consumer of the same messages. See --help and bench/README.md ("Kafka"); bench/run_kafka.sh runs it.
//
// Commands, each bounded in count and in time (--timeout), each printing a summary and one line "RESULT {json}":
// - produce: --messages messages to --topic with a librdkafka producer (linger, large batches, no compression, no
//   per-message flush), each a JSON array of --per-message alerts in the Prometheus /api/v2/alerts shape, keyed by
//   the service of its alerts. Alert i of the stream is alert (i mod --distinct): --distinct = messages × per-message
//   gives alerts never seen before, a small --distinct re-sends known ones. Then it checks with the brokers that every
//   partition still starts at offset 0: the mock cluster keeps only the newest ~5 MiB of a partition, and a message
//   dropped before it is read would make the consumers wait for it in vain.
// - raw: a bare librdkafka high-level consumer (a new group, auto.offset.reset earliest, librdkafka's defaults
//   otherwise) reads --messages messages and touches every cache line of each payload. The rate is from the first
//   message to the last: the group join (about 3 s on the mock cluster) is left out.
// - incidentd: starts the daemon (--incidentd) with a config in --dir (a new group id, a fresh data_dir,
//   storage.sync true, log_level warn, a `kafka` section on --topic), polls its GET /metrics (every 5 ms until the
//   first message is consumed, then every --poll-ms, 50 by default: a poll costs the daemon about 1.2 ms of CPU) until
//   incidentd_alerts_accepted_total{source="kafka",...} reaches messages × per-message, and stops it with SIGTERM by
//   its PID. The rate is from the first poll that sees incidentd_kafka_messages_total > 0 to the one that sees every
//   alert accepted; the daemon's CPU (utime + stime from /proc/PID/stat) is taken at the same two polls. --perf FILE
//   records the daemon with `perf record -e cpu-clock -g` (this VM has no hardware counters) over that window.
//
// The alerts: 7 labels (alertname among 20 kinds, service among 4096, a unique instance, job, severity, team,
// cluster among 5), a summary and a description, startsAt and generatorURL: about 500 bytes as JSON.
// bench/loadgen's generator has 12 services, so keyed by service its messages would land on at most 12 partitions,
// which the mock cluster's 5 MiB per partition cannot hold; this one spreads 4096 services. The alerts of one message
// share a service (as a producer keying by service would batch them), and everything about alert j is a function of
// j, so a re-sent alert is byte for byte the same.
#include <arpa/inet.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_args.h"
#include "child_process.h"

namespace incidentd::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

struct Options {
  std::string command;
  std::string bootstrap;
  std::string topic;
  uint64_t messages = 0;
  uint64_t distinct = 0;  // 0: messages × per_message
  uint64_t per_message = 1;
  std::string incidentd;
  std::string dir;
  std::string perf;
  uint64_t timeout_s = 120;
  uint64_t poll_ms = 50;
  int broker_pid = 0;  // the mock cluster's process: its CPU over the same window
  bool help = false;
};

void PrintUsage(std::FILE* out) {
  std::fputs(
      "Usage: kafka_bench COMMAND --bootstrap HOST:PORT,... --topic T --messages N [options]\n"
      "\n"
      "  produce   [--per-message K] [--distinct D]   N messages of K alerts (default 1); alert i is alert i mod D\n"
      "            (default D = N*K: every alert new). Checks that no partition dropped a message.\n"
      "  raw                                          read N messages with a bare librdkafka consumer.\n"
      "  incidentd --incidentd BIN --dir DIR [--per-message K] [--poll-ms MS] [--perf FILE]\n"
      "            run BIN on the topic (config and data_dir in DIR) until it has accepted N*K alerts, polling its\n"
      "            /metrics every MS ms (default 50) once the first message is consumed.\n"
      "\n"
      "  --timeout S     every command gives up after S seconds (default 120, at most 600).\n"
      "  --broker-pid P  raw, incidentd: also report the CPU of process P (the mock cluster) over the window.\n"
      "Output: a summary, then \"RESULT {json}\". Everything is meant for 127.0.0.1 (the mock cluster).\n",
      out);
}

bool ParseOptions(int argc, char** argv, Options* o, std::string* error) {
  if (argc < 2) {
    *error = "missing command";
    return false;
  }
  o->command = argv[1];
  if (o->command == "--help" || o->command == "-h") {
    o->help = true;
    return true;
  }
  for (int i = 2; i < argc; ++i) {
    std::string arg, value;
    if (!NextArg(argc, argv, &i, &arg, &value, error)) return false;
    if (arg == "--help") {
      o->help = true;
      return true;
    }
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    const bool number = ec == std::errc() && end == value.data() + value.size();
    bool ok = true;
    if (arg == "--bootstrap") {
      o->bootstrap = value;
    } else if (arg == "--topic") {
      o->topic = value;
    } else if (arg == "--messages") {
      ok = number && n >= 1 && n <= 100'000'000;
      o->messages = n;
    } else if (arg == "--distinct") {
      ok = number && n >= 1;
      o->distinct = n;
    } else if (arg == "--per-message") {
      ok = number && n >= 1 && n <= 10'000;
      o->per_message = n;
    } else if (arg == "--incidentd") {
      o->incidentd = value;
    } else if (arg == "--dir") {
      o->dir = value;
    } else if (arg == "--perf") {
      o->perf = value;
    } else if (arg == "--broker-pid") {
      ok = number && n >= 1 && n <= 4'194'304;
      o->broker_pid = static_cast<int>(n);
    } else if (arg == "--poll-ms") {
      ok = number && n >= 1 && n <= 1000;
      o->poll_ms = n;
    } else if (arg == "--timeout") {
      ok = number && n >= 1 && n <= 600;
      o->timeout_s = n;
    } else {
      *error = "unknown option " + arg;
      return false;
    }
    if (!ok) {
      *error = "invalid value '" + value + "' for " + arg;
      return false;
    }
  }
  if (o->bootstrap.empty() || o->topic.empty() || o->messages == 0) {
    *error = "--bootstrap, --topic and --messages are required";
    return false;
  }
  if (o->command == "incidentd" && (o->incidentd.empty() || o->dir.empty())) {
    *error = "incidentd needs --incidentd and --dir";
    return false;
  }
  return true;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "kafka_bench: %s\n", what.c_str());
  std::exit(1);
}

double Seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

double ProcessCpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// utime + stime of a process, in seconds.
double ProcCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const size_t paren = stat.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {  // field 3 is the state; utime is 14, stime 15
    if (i == 14) utime = std::strtoull(f.c_str(), nullptr, 10);
    if (i == 15) {
      stime = std::strtoull(f.c_str(), nullptr, 10);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string RandomSuffix() {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(SplitMix64((uint64_t{std::random_device{}()} << 32) ^
                                                           std::random_device{}() ^ static_cast<uint64_t>(getpid()))));
  return buf;
}

// ---- The alerts ----

struct AlertKind {
  const char* name;
  const char* severity;
  const char* job;
  int port;
  const char* expr_escaped;  // as Prometheus puts it in generatorURL
  const char* summary;       // then " on INSTANCE"
  const char* description;   // %s: the value
};

constexpr AlertKind kKinds[] = {
    {"HighCPUUsage", "warning", "node-exporter", 9100, "instance%3Anode_cpu_utilisation%3Arate5m+%3E+0.9",
     "High CPU usage", "CPU at %s%% for 10m"},
    {"HighMemoryUsage", "warning", "node-exporter", 9100, "instance%3Anode_memory_utilisation%3Aratio+%3E+0.9",
     "Memory almost full", "%s%% of memory free"},
    {"DiskSpaceLow", "critical", "node-exporter", 9100, "node%3Afilesystem_avail%3Aratio+%3C+0.05", "Disk almost full",
     "%s%% left on /"},
    {"InstanceDown", "critical", "node-exporter", 9100, "up+%3D%3D+0", "Instance down", "Down for %s minutes"},
    {"HighLoadAverage", "warning", "node-exporter", 9100, "instance%3Anode_load1_per_cpu%3Aratio+%3E+2",
     "High load average", "Load per core %s"},
    {"NetworkReceiveErrors", "warning", "node-exporter", 9100,
     "rate%28node_network_receive_errs_total%5B5m%5D%29+%3E+1", "Network receive errors", "%s errors/s"},
    {"KubePodCrashLooping", "critical", "kube-state-metrics", 8080,
     "increase%28kube_pod_container_status_restarts_total%5B15m%5D%29+%3E+3", "Pod crash looping",
     "Restarted %s times in 15m"},
    {"KubePodNotReady", "warning", "kube-state-metrics", 8080,
     "kube_pod_status_ready%7Bcondition%3D%22false%22%7D+%3D%3D+1", "Pod not ready", "Not ready for %s minutes"},
    {"KubeContainerOOMKilled", "warning", "kube-state-metrics", 8080,
     "increase%28kube_pod_container_oom_events_total%5B1h%5D%29+%3E+0", "Container OOMKilled",
     "OOMKilled %s times in 1h"},
    {"HighRequestLatency", "warning", "app", 8080, "service%3Ahttp_latency_seconds%3Ap99+%3E+0.5",
     "High request latency", "p99 latency is %ss"},
    {"HighErrorRate", "critical", "app", 8080, "service%3Ahttp_errors%3Aratio_rate5m+%3E+0.05", "High 5xx rate",
     "%s%% of requests fail"},
    {"TargetDown", "warning", "prometheus", 9090, "up%7Bjob%3D%22app%22%7D+%3D%3D+0", "Targets down",
     "%s%% of targets down"},
    {"CertificateExpiringSoon", "warning", "blackbox", 9115, "probe_ssl_earliest_cert_expiry+-+time%28%29+%3C+1209600",
     "Certificate expiring", "Expires in %s days"},
    {"PostgresReplicationLag", "critical", "postgres-exporter", 9187, "pg_replication_lag_seconds+%3E+30",
     "Replication lag", "Replica %ss behind"},
    {"RedisMemoryHigh", "warning", "redis-exporter", 9121, "redis%3Amemory_used%3Aratio+%3E+0.9", "Redis memory high",
     "%s%% of maxmemory used"},
    {"KafkaConsumerLag", "warning", "kafka-exporter", 9308, "kafka_consumergroup_lag_sum+%3E+10000", "Consumer lag",
     "Lagging %s messages"},
    {"NTPClockSkew", "warning", "node-exporter", 9100, "abs%28node_timex_offset_seconds%29+%3E+0.05", "Clock skew",
     "Clock off by %ss"},
    {"HostOutOfInodes", "warning", "node-exporter", 9100, "node%3Afilesystem_files_free%3Aratio+%3C+0.05",
     "Out of inodes", "%s%% of inodes left"},
    {"DiskIOSaturation", "warning", "node-exporter", 9100, "rate%28node_disk_io_time_seconds_total%5B5m%5D%29+%3E+0.9",
     "Disk IO saturated", "Disk busy %s%%"},
    {"HighGCPause", "warning", "app", 8080, "jvm_gc_pause_seconds%3Ap99+%3E+1", "Long GC pauses", "p99 GC pause %ss"},
};

constexpr const char* kClusters[] = {"prod-eu-1", "prod-eu-2", "prod-us-1", "prod-us-2", "prod-ap-1"};

struct ServiceBase {
  const char* name;
  const char* team;
};
constexpr ServiceBase kBases[] = {
    {"payments-api", "payments"},       {"checkout-web", "checkout"},    {"search-indexer", "search"},
    {"auth-service", "identity"},       {"ingress-nginx", "sre"},        {"kafka-broker", "data-platform"},
    {"postgres-main", "dba"},           {"redis-sessions", "sre"},       {"catalog-api", "catalog"},
    {"email-sender", "growth"},         {"invoice-worker", "billing"},   {"prometheus", "observability"},
    {"recommendations", "ml-platform"}, {"inventory-sync", "logistics"}, {"pricing-engine", "pricing"},
    {"media-transcoder", "media"},
};
constexpr uint64_t kServices = 4096;  // kBases × 256 numbered deployments

class AlertGenerator {
 public:
  explicit AlertGenerator(uint64_t per_message) : per_message_(per_message) {
    // startsAt within the hour before now; the date part is the same for every alert of a run.
    base_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch() - std::chrono::hours(1))
                   .count();
  }

  // The service of alert j: the same for the alerts of one message, per_message_ of them in a row.
  uint64_t ServiceOf(uint64_t j) const { return SplitMix64((j / per_message_) ^ 0x5e41c3) % kServices; }
  std::string ServiceName(uint64_t s) const {
    return std::string(kBases[s % std::size(kBases)].name) + "-" + std::to_string(s / std::size(kBases));
  }

  // Appends alert j as a Prometheus /api/v2/alerts object.
  void Append(uint64_t j, std::string* out) const {
    const uint64_t h = SplitMix64(j);
    const AlertKind& kind = kKinds[h % std::size(kKinds)];
    const uint64_t s = ServiceOf(j);
    const ServiceBase& base = kBases[s % std::size(kBases)];
    const char* cluster = kClusters[(h >> 8) % std::size(kClusters)];
    // The instance makes alert j unique (24 bits of j: --distinct is limited to 2^24).
    char instance[32];
    std::snprintf(instance, sizeof instance, "10.%u.%u.%u:%d", static_cast<unsigned>((j >> 16) & 255),
                  static_cast<unsigned>((j >> 8) & 255), static_cast<unsigned>(j & 255), kind.port);
    const char* severity =
        std::string_view(kind.severity) == "warning" && (h >> 16) % 10 == 0 ? "critical" : kind.severity;
    char value[16];
    std::snprintf(value, sizeof value, "%.1f", static_cast<double>((h >> 20) % 1000) / 10.0 + 1);
    char description[96];
    std::snprintf(description, sizeof description, kind.description, value);
    const int64_t ms = base_ms_ + static_cast<int64_t>((h >> 32) % 3'600'000);
    const time_t secs = static_cast<time_t>(ms / 1000);
    tm t;
    gmtime_r(&secs, &t);
    char starts_at[80];  // sized for the compiler's worst case of every int field
    std::snprintf(starts_at, sizeof starts_at, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
                  t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(ms % 1000));
    const std::string service = ServiceName(s);

    std::string& o = *out;
    o += R"({"labels":{"alertname":")";
    o += kind.name;
    o += R"(","service":")";
    o += service;
    o += R"(","instance":")";
    o += instance;
    o += R"(","job":")";
    o += kind.job;
    o += R"(","severity":")";
    o += severity;
    o += R"(","team":")";
    o += base.team;
    o += R"(","cluster":")";
    o += cluster;
    o += R"("},"annotations":{"summary":")";
    o += kind.summary;
    o += " on ";
    o += instance;
    o += R"(","description":")";
    o += description;
    o += " on ";
    o += instance;
    o += " (";
    o += service;
    o += " in ";
    o += cluster;
    o += R"()."},"startsAt":")";
    o += starts_at;
    o += R"(","generatorURL":"http://prometheus.)";
    o += cluster;
    o += R"(.example.net:9090/graph?g0.expr=)";
    o += kind.expr_escaped;
    o += R"(&g0.tab=1"})";
  }

 private:
  uint64_t per_message_;
  int64_t base_ms_;
};

// ---- librdkafka helpers ----

void Set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    Die(std::string(name) + ": " + err);
  }
}

int PartitionCount(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int n = -1;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(rkt);
  return n;
}

// ---- produce ----

struct ProduceState {
  uint64_t delivered = 0;
  uint64_t failed = 0;
  std::string first_error;
  std::vector<uint64_t> partition_bytes;
};

int RunProduce(const Options& o) {
  const uint64_t alerts = o.messages * o.per_message;
  const uint64_t distinct = o.distinct == 0 ? alerts : o.distinct;
  if (distinct > (uint64_t{1} << 24)) Die("--distinct (or messages × per-message) is limited to 2^24");
  ProduceState state;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Set(conf, "bootstrap.servers", o.bootstrap);
  Set(conf, "linger.ms", "50");
  Set(conf, "batch.num.messages", "10000");
  Set(conf, "batch.size", "1000000");
  Set(conf, "queue.buffering.max.messages", "1000000");
  Set(conf, "queue.buffering.max.kbytes", "1048576");
  Set(conf, "compression.type", "none");
  Set(conf, "message.timeout.ms", std::to_string(o.timeout_s * 1000));
  Set(conf, "log_level", "3");
  rd_kafka_conf_set_opaque(conf, &state);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* s = static_cast<ProduceState*>(opaque);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (s->failed++ == 0) s->first_error = rd_kafka_err2str(m->err);
      return;
    }
    ++s->delivered;
    if (m->partition >= 0 && static_cast<size_t>(m->partition) < s->partition_bytes.size()) {
      s->partition_bytes[static_cast<size_t>(m->partition)] += m->len + m->key_len;
    }
  });
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) Die(err);
  const int partitions = PartitionCount(rk, o.topic);
  if (partitions <= 0) Die("no metadata for topic " + o.topic);
  state.partition_bytes.assign(static_cast<size_t>(partitions), 0);

  AlertGenerator gen(o.per_message);
  const auto deadline = Steady::now() + std::chrono::seconds(o.timeout_s);
  std::string value, key;
  uint64_t value_bytes = 0;
  const auto t0 = Steady::now();
  for (uint64_t m = 0; m < o.messages; ++m) {
    value.clear();
    value.push_back('[');
    for (uint64_t k = 0; k < o.per_message; ++k) {
      if (k > 0) value.push_back(',');
      gen.Append((m * o.per_message + k) % distinct, &value);
    }
    value.push_back(']');
    key = gen.ServiceName(gen.ServiceOf((m * o.per_message) % distinct));
    value_bytes += value.size();
    for (;;) {
      const rd_kafka_resp_err_t e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) Die(std::string("produce: ") + rd_kafka_err2str(e));
      if (Steady::now() > deadline) Die("produce: timed out with the local queue full");
      rd_kafka_poll(rk, 10);  // deliveries drain the queue
    }
    if (m % 1024 == 0) rd_kafka_poll(rk, 0);
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
  const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, static_cast<int>(std::max<int64_t>(left.count(), 1000)));
  const double seconds = Seconds(Steady::now() - t0);
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) Die("flush timed out");

  // Every partition must still start at 0 (the topic is new), and together hold every message.
  uint64_t dropped = 0, held = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = -1, high = -1;
    if (rd_kafka_query_watermark_offsets(rk, o.topic.c_str(), p, &low, &high, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Die("cannot read the offsets of partition " + std::to_string(p));
    }
    dropped += static_cast<uint64_t>(low);
    held += static_cast<uint64_t>(high - low);
  }
  const uint64_t max_partition = *std::max_element(state.partition_bytes.begin(), state.partition_bytes.end());
  const size_t used = static_cast<size_t>(
      std::count_if(state.partition_bytes.begin(), state.partition_bytes.end(), [](uint64_t b) { return b > 0; }));
  rd_kafka_destroy(rk);

  std::printf(
      "kafka_bench produce: %llu messages of %llu alerts (%llu distinct) to %s, %.2f s; %.0f bytes a message, "
      "%.0f an alert; %zu of %d partitions used, the fullest %.2f MiB; %llu delivered, %llu failed%s%s; "
      "%llu messages held by the brokers, %llu dropped\n",
      static_cast<unsigned long long>(o.messages), static_cast<unsigned long long>(o.per_message),
      static_cast<unsigned long long>(distinct), o.topic.c_str(), seconds,
      static_cast<double>(value_bytes) / static_cast<double>(o.messages),
      static_cast<double>(value_bytes) / static_cast<double>(alerts), used, partitions,
      static_cast<double>(max_partition) / 1048576.0, static_cast<unsigned long long>(state.delivered),
      static_cast<unsigned long long>(state.failed), state.failed > 0 ? ": " : "", state.first_error.c_str(),
      static_cast<unsigned long long>(held), static_cast<unsigned long long>(dropped));
  std::printf(
      "RESULT {\"messages\":%llu,\"alerts\":%llu,\"distinct\":%llu,\"seconds\":%.3f,\"messages_per_s\":%.0f,"
      "\"mb_per_s\":%.1f,\"message_bytes\":%.0f,\"alert_bytes\":%.0f,\"partitions\":%d,\"partitions_used\":%zu,"
      "\"max_partition_mib\":%.2f,\"failed\":%llu,\"dropped\":%llu}\n",
      static_cast<unsigned long long>(o.messages), static_cast<unsigned long long>(alerts),
      static_cast<unsigned long long>(distinct), seconds, static_cast<double>(o.messages) / seconds,
      static_cast<double>(value_bytes) / seconds / 1e6,
      static_cast<double>(value_bytes) / static_cast<double>(o.messages),
      static_cast<double>(value_bytes) / static_cast<double>(alerts), partitions, used,
      static_cast<double>(max_partition) / 1048576.0, static_cast<unsigned long long>(state.failed),
      static_cast<unsigned long long>(dropped));
  return state.failed == 0 && dropped == 0 && held == o.messages && state.delivered == o.messages ? 0 : 1;
}

// ---- raw ----

int RunRaw(const Options& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Set(conf, "bootstrap.servers", o.bootstrap);
  Set(conf, "group.id", "kafka-bench-raw-" + RandomSuffix());
  Set(conf, "auto.offset.reset", "earliest");
  Set(conf, "enable.auto.commit", "false");
  Set(conf, "enable.partition.eof", "false");
  Set(conf, "log_level", "3");
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) Die(err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, o.topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Die(std::string("subscribe: ") + rd_kafka_err2str(e));
  }
  rd_kafka_topic_partition_list_destroy(topics);

  const auto start = Steady::now();
  const auto deadline = start + std::chrono::seconds(o.timeout_s);
  uint64_t count = 0, bytes = 0, errors = 0, touched = 0;
  Steady::time_point first{}, last{};
  double cpu_first = 0, cpu_last = 0, broker_first = 0, broker_last = 0;
  while (count < o.messages && Steady::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (errors++ == 0) std::fprintf(stderr, "kafka_bench raw: %s\n", rd_kafka_message_errstr(m));
    } else {
      if (count == 0) {
        first = Steady::now();
        cpu_first = ProcessCpuSeconds();
        if (o.broker_pid > 0) broker_first = ProcCpuSeconds(o.broker_pid);
      }
      // One byte of every cache line, as a decoder would bring each into the cache.
      const auto* p = static_cast<const unsigned char*>(m->payload);
      for (size_t i = 0; i < m->len; i += 64) touched += p[i];
      if (m->len > 0) touched += p[m->len - 1];
      bytes += m->len;
      if (++count == o.messages) {
        last = Steady::now();
        cpu_last = ProcessCpuSeconds();
        if (o.broker_pid > 0) broker_last = ProcCpuSeconds(o.broker_pid);
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (count < o.messages) {
    Die("raw: read " + std::to_string(count) + " of " + std::to_string(o.messages) + " messages in " +
        std::to_string(o.timeout_s) + " s");
  }
  const double seconds = Seconds(last - first);
  const double rate = static_cast<double>(count - 1) / seconds;
  const double mb = static_cast<double>(bytes) / seconds / 1e6;
  const double broker_cores = (broker_last - broker_first) / seconds;
  std::printf(
      "kafka_bench raw: %llu messages (%.1f MB) in %.3f s from the first (%.2f s after subscribing): %.0f "
      "messages/s, %.1f MB/s, %.2f µs of CPU a message; the brokers' process %.2f cores (checksum %llu)\n",
      static_cast<unsigned long long>(count), static_cast<double>(bytes) / 1e6, seconds, Seconds(first - start), rate,
      mb, (cpu_last - cpu_first) * 1e6 / static_cast<double>(count), broker_cores,
      static_cast<unsigned long long>(touched % 1000));
  std::printf(
      "RESULT {\"messages\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"join_s\":%.2f,\"messages_per_s\":%.0f,"
      "\"mb_per_s\":%.1f,\"cpu_us_per_message\":%.3f,\"broker_cores\":%.2f,\"errors\":%llu}\n",
      static_cast<unsigned long long>(count), static_cast<unsigned long long>(bytes), seconds, Seconds(first - start),
      rate, mb, (cpu_last - cpu_first) * 1e6 / static_cast<double>(count), broker_cores,
      static_cast<unsigned long long>(errors));
  return 0;
}

// ---- incidentd ----

uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

// GET `path` on 127.0.0.1:port (HTTP/1.1, Connection: close): the body, or empty on any failure.
std::string HttpGet(uint16_t port, const char* path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string request =
        std::string("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[65536];
      for (;;) {
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        response.append(buf, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  if (!response.starts_with("HTTP/1.1 200")) return {};
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : response.substr(body + 4);
}

// The value of the series `series` (name and labels, as exposed) in a metrics text, or -1.
double Metric(std::string_view text, std::string_view series) {
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(at, nl - at);
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::strtod(std::string(line.substr(series.size() + 1)).c_str(), nullptr);
    }
    at = nl + 1;
  }
  return -1;
}

void PrintLogTail(const fs::path& log) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  for (size_t i = lines.size() > 20 ? lines.size() - 20 : 0; i < lines.size(); ++i) {
    std::fprintf(stderr, "  %s\n", lines[i].c_str());
  }
}

int RunIncidentd(const Options& o) {
  const uint64_t alerts = o.messages * o.per_message;
  const fs::path dir = fs::absolute(o.dir);
  std::error_code ec;
  fs::remove_all(dir / "data", ec);  // a fresh state per run
  fs::create_directories(dir, ec);
  const uint16_t port = FreePort();
  if (port == 0) Die("no free port");
  const std::string group = "incidentd-bench-" + RandomSuffix();
  {
    std::ofstream config(dir / "incidentd.yaml");
    config << "listen: 127.0.0.1:" << port << "\n"
           << "data_dir: " << (dir / "data").string() << "\n"
           << "log_level: warn\n"
           << "storage:\n  sync: true\n"
           << "kafka:\n  brokers: \"" << o.bootstrap << "\"\n  group_id: " << group << "\n"
           << "  topics:\n    - {name: " << o.topic << ", format: prometheus}\n";
  }
  const fs::path log = dir / "daemon.log";
  const auto start = Steady::now();
  const auto deadline = start + std::chrono::seconds(o.timeout_s);
  Child daemon({o.incidentd, "--config", (dir / "incidentd.yaml").string()}, log.string());
  if (daemon.pid() <= 0) Die("fork failed");

  const std::string accepted_series = R"(incidentd_alerts_accepted_total{source="kafka",format="prometheus"})";
  const std::string messages_series = "incidentd_kafka_messages_total{topic=\"" + o.topic + "\"}";
  std::unique_ptr<Child> perf;
  // std::exit runs no destructors: the children are stopped here, by their PIDs.
  auto fail = [&](const std::string& what) {
    if (perf) perf->Stop(SIGINT);
    daemon.Stop(SIGTERM);
    std::fprintf(stderr, "kafka_bench incidentd: %s; the daemon's log:\n", what.c_str());
    PrintLogTail(log);
    std::exit(1);
  };

  // Up: /metrics answers (the consumer starts with the daemon).
  std::string text;
  while ((text = HttpGet(port, "/metrics")).empty()) {
    if (!daemon.Running()) fail("the daemon ended (" + daemon.exit() + ")");
    if (Steady::now() > deadline) fail("no /metrics before the timeout");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double up_s = Seconds(Steady::now() - start);

  if (!o.perf.empty()) {
    perf = std::make_unique<Child>(std::vector<std::string>{"perf", "record", "-e", "cpu-clock", "-g", "-p",
                                                            std::to_string(daemon.pid()), "-o", o.perf},
                                   (dir / "perf.log").string());
  }

  // The first message consumed: polled often, since the window starts here.
  while (Metric(text = HttpGet(port, "/metrics"), messages_series) <= 0) {
    if (!daemon.Running()) fail("the daemon ended (" + daemon.exit() + ")");
    if (Steady::now() > deadline) fail("no message consumed before the timeout");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto first = Steady::now();
  const double cpu_first = ProcCpuSeconds(daemon.pid());
  const double broker_first = o.broker_pid > 0 ? ProcCpuSeconds(o.broker_pid) : 0;
  const double accepted_first = std::max(0.0, Metric(text, accepted_series));

  double accepted = 0;
  while ((accepted = Metric(text = HttpGet(port, "/metrics"), accepted_series)) < static_cast<double>(alerts)) {
    if (!daemon.Running()) fail("the daemon ended (" + daemon.exit() + ")");
    if (Steady::now() > deadline) {
      fail("accepted " + std::to_string(static_cast<uint64_t>(std::max(accepted, 0.0))) + " of " +
           std::to_string(alerts) + " alerts before the timeout");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(o.poll_ms));
  }
  const auto last = Steady::now();
  const double cpu_last = ProcCpuSeconds(daemon.pid());
  const double broker_last = o.broker_pid > 0 ? ProcCpuSeconds(o.broker_pid) : 0;
  if (perf) perf->Stop(SIGINT);

  const double messages = Metric(text, messages_series);
  const double ticks = Metric(text, "incidentd_engine_ticks_total");
  const double commits = Metric(text, "incidentd_store_commits_total");
  const double pauses = Metric(text, "incidentd_kafka_pauses_total");
  const double decode_errors = Metric(text, "incidentd_kafka_decode_errors_total{topic=\"" + o.topic + "\"}");
  const double stop_s = daemon.Stop(SIGTERM);

  const double seconds = Seconds(last - first);
  const double rate = static_cast<double>(alerts) / seconds;
  const double cpu_us = (cpu_last - cpu_first) * 1e6 / static_cast<double>(alerts);
  const double broker_cores = (broker_last - broker_first) / seconds;
  std::printf(
      "kafka_bench incidentd: %llu alerts in %llu messages accepted in %.3f s from the first message (%.2f s after "
      "the start, /metrics up after %.2f s): %.0f alerts/s, %.0f messages/s; daemon CPU %.2f s, %.2f µs an alert, "
      "%.2f cores; the brokers' process %.2f cores; "
      "%.0f engine ticks, %.0f store commits, %.0f pauses, %.0f decode errors, %.0f alerts already accepted at the "
      "first poll; stopped in %.2f s\n",
      static_cast<unsigned long long>(alerts), static_cast<unsigned long long>(o.messages), seconds,
      Seconds(first - start), up_s, rate, static_cast<double>(o.messages) / seconds, cpu_last - cpu_first, cpu_us,
      (cpu_last - cpu_first) / seconds, broker_cores, ticks, commits, pauses, decode_errors, accepted_first, stop_s);
  std::printf(
      "RESULT {\"alerts\":%llu,\"messages\":%.0f,\"seconds\":%.3f,\"join_s\":%.2f,\"alerts_per_s\":%.0f,"
      "\"messages_per_s\":%.0f,\"cpu_s\":%.2f,\"cpu_us_per_alert\":%.3f,\"cores\":%.2f,\"broker_cores\":%.2f,"
      "\"ticks\":%.0f,\"commits\":%.0f,"
      "\"pauses\":%.0f,\"decode_errors\":%.0f}\n",
      static_cast<unsigned long long>(alerts), messages, seconds, Seconds(first - start), rate,
      static_cast<double>(o.messages) / seconds, cpu_last - cpu_first, cpu_us, (cpu_last - cpu_first) / seconds,
      broker_cores, ticks, commits, pauses, decode_errors);
  return 0;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) {
  using namespace incidentd::bench;
  Options o;
  std::string error;
  if (!ParseOptions(argc, argv, &o, &error)) {
    std::fprintf(stderr, "kafka_bench: %s\n\n", error.c_str());
    PrintUsage(stderr);
    return 2;
  }
  if (o.help) {
    PrintUsage(stdout);
    return 0;
  }
  if (o.command == "produce") return RunProduce(o);
  if (o.command == "raw") return RunRaw(o);
  if (o.command == "incidentd") return RunIncidentd(o);
  std::fprintf(stderr, "kafka_bench: unknown command %s\n\n", o.command.c_str());
  PrintUsage(stderr);
  return 2;
}
