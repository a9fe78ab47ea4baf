#include "alerts.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string_view>

namespace incidentd::bench {
namespace {

// Distinct bodies cycled through in "new" mode; uniqueness comes from the key, this only adds content variety.
constexpr size_t kNewModeTemplates = 4096;
constexpr uint64_t kSeqMask = (uint64_t{1} << 40) - 1;
// Alphabet Kubernetes uses for generated name suffixes; 27^15 > 2^64 so 15 digits hold any key.
constexpr std::string_view kPodAlphabet = "bcdfghjklmnpqrstvwxz2456789";

struct AlertKind {
  const char* name;
  const char* severity;
  const char* job;
  int port;
  const char* expr;
  const char* summary;      // {instance} {service} {namespace} are substituted
  const char* description;  // plus {value}
  double lo, hi;            // range for {value}
};

constexpr AlertKind kKinds[] = {
    {"HighCPUUsage", "warning", "node-exporter", 9100, "instance:node_cpu_utilisation:rate5m > 0.9", "High CPU usage",
     "CPU at {value}% for 10m.", 90, 100},
    {"HighMemoryUsage", "warning", "node-exporter", 9100, "instance:node_memory_utilisation:ratio > 0.9",
     "Memory almost full", "{value}% memory free.", 0.5, 10},
    {"DiskSpaceLow", "critical", "node-exporter", 9100, "node:filesystem_avail:ratio < 0.05", "Disk almost full",
     "{value}% left on /.", 0.1, 5},
    {"InstanceDown", "critical", "node-exporter", 9100, "up == 0", "{instance} is down", "Down for {value} minutes.", 5,
     60},
    {"HighLoadAverage", "warning", "node-exporter", 9100, "instance:node_load1_per_cpu:ratio > 2", "High load average",
     "Load per core {value}.", 2, 8},
    {"NetworkReceiveErrors", "warning", "node-exporter", 9100, "rate(node_network_receive_errs_total[5m]) > 1",
     "Network receive errors", "{value} errors/s.", 1, 50},
    {"DiskIOSaturation", "warning", "node-exporter", 9100, "rate(node_disk_io_time_seconds_total[5m]) > 0.9",
     "Disk IO saturated", "Disk busy {value}%.", 90, 100},
    {"KubePodCrashLooping", "critical", "kube-state-metrics", 8080,
     "increase(kube_pod_container_status_restarts_total[15m])>3", "{service} is crash looping",
     "Restarted {value} times in 15m.", 3, 40},
    {"KubePodNotReady", "warning", "kube-state-metrics", 8080, "kube_pod_status_ready{condition=\"false\"} == 1",
     "{service} pod not ready", "Not ready for {value} minutes.", 15, 120},
    {"KubeDeploymentReplicasMismatch", "warning", "kube-state-metrics", 8080,
     "kube_deployment_status_replicas_unavailable > 0", "{service} replicas mismatch", "{value} replicas unavailable.",
     1, 6},
    {"KubeContainerOOMKilled", "warning", "kube-state-metrics", 8080,
     "increase(kube_pod_container_oom_events_total[1h]) > 0", "{service} OOMKilled", "OOMKilled {value} times in 1h.",
     1, 5},
    {"HighRequestLatency", "warning", "app", 8080, "service:http_latency_seconds:p99 > 0.5",
     "High latency on {service}", "p99 latency is {value}s.", 0.5, 5},
    {"HighErrorRate", "critical", "app", 8080, "service:http_errors:ratio_rate5m > 0.05", "High 5xx rate on {service}",
     "{value}% of requests fail.", 5, 40},
    {"TargetDown", "warning", "prometheus", 9090, "up{job=\"app\"} == 0", "{service} targets down", "{value}% down.",
     10, 100},
    {"CertificateExpiringSoon", "warning", "blackbox", 9115, "probe_ssl_earliest_cert_expiry - time() < 1209600",
     "{service} cert expiring", "Expires in {value} days.", 1, 14},
    {"PostgresReplicationLag", "critical", "postgres-exporter", 9187, "pg_replication_lag_seconds > 30",
     "Replication lag", "Replica {value}s behind.", 30, 600},
    {"RedisMemoryHigh", "warning", "redis-exporter", 9121, "redis:memory_used:ratio > 0.9", "Redis memory high",
     "{value}% of maxmemory.", 90, 100},
    {"KafkaConsumerLag", "warning", "kafka-exporter", 9308, "kafka_consumergroup_lag_sum > 10000",
     "Consumer lag on {service}", "Lagging {value} messages.", 10000, 900000},
    {"NTPClockSkew", "warning", "node-exporter", 9100, "abs(node_timex_offset_seconds) > 0.05", "Clock skew",
     "Clock off by {value}s.", 0.05, 2},
    {"HostOutOfInodes", "warning", "node-exporter", 9100, "node:filesystem_files_free:ratio < 0.05", "Out of inodes",
     "{value}% inodes left.", 0.1, 5},
};

struct Cluster {
  const char* name;
  const char* region;
};
constexpr Cluster kClusters[] = {{"prod-eu-1", "eu-west-1"},
                                 {"prod-eu-2", "eu-central-1"},
                                 {"prod-us-1", "us-east-1"},
                                 {"prod-us-2", "us-west-2"},
                                 {"prod-ap-1", "ap-south-1"}};

struct Service {
  const char* name_space;
  const char* service;
  const char* team;
};
constexpr Service kServices[] = {
    {"payments", "payments-api", "payments"}, {"checkout", "checkout-web", "checkout"},
    {"search", "search-indexer", "search"},   {"identity", "auth-service", "identity"},
    {"platform", "ingress-nginx", "sre"},     {"data", "kafka-broker", "data-platform"},
    {"data", "postgres-main", "dba"},         {"cache", "redis-sessions", "sre"},
    {"catalog", "catalog-api", "catalog"},    {"notifications", "email-sender", "growth"},
    {"billing", "invoice-worker", "billing"}, {"monitoring", "prometheus", "observability"},
};

// Like Go's url.QueryEscape, which Prometheus uses for generatorURL.
std::string UrlEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Substitute(std::string text, std::string_view var, std::string_view value) {
  for (size_t pos = text.find(var); pos != std::string::npos; pos = text.find(var, pos + value.size())) {
    text.replace(pos, var.size(), value);
  }
  return text;
}

std::string Rfc3339Millis(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[80];  // sized for the compiler's worst case of every int field
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm_utc.tm_year + 1900, tm_utc.tm_mon + 1,
                tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

// Appends `"name":"value"` (plus a leading comma unless first). Inputs never need JSON escaping.
void Field(std::string* out, std::string_view name, std::string_view value, bool first = false) {
  if (!first) out->push_back(',');
  out->push_back('"');
  out->append(name);
  out->append("\":\"");
  out->append(value);
  out->push_back('"');
}

// Appends `"name":"<prefix>-KEY"` and records where KEY goes.
void KeyField(AlertTemplate* t, std::string_view name, std::string_view prefix, uint64_t key) {
  t->text.append(",\"");
  t->text.append(name);
  t->text.append("\":\"");
  t->text.append(prefix);
  t->text.push_back('-');
  t->key_offsets[t->num_key_offsets++] = static_cast<uint32_t>(t->text.size());
  char buf[kKeyWidth];
  EncodeKey(key, buf);
  t->text.append(buf, kKeyWidth);
  t->text.push_back('"');
}

AlertTemplate Render(Format format, std::mt19937_64& rng, uint64_t key, std::chrono::system_clock::time_point now) {
  auto pick = [&rng](size_t n) { return static_cast<size_t>(rng() % n); };
  const AlertKind& kind = kKinds[pick(std::size(kKinds))];
  const Cluster& cluster = kClusters[pick(std::size(kClusters))];
  const Service& svc = kServices[pick(std::size(kServices))];
  const std::string instance =
      "host-" + std::to_string(1 + pick(4000)) + ".prod.example.net:" + std::to_string(kind.port);
  const double value = kind.lo + (kind.hi - kind.lo) * std::uniform_real_distribution<double>(0, 1)(rng);
  char value_buf[32];
  std::snprintf(value_buf, sizeof(value_buf), value >= 1000 ? "%.0f" : "%.1f", value);
  // A slice of warnings escalates so severity is not a pure function of alertname.
  const char* severity = (std::string_view(kind.severity) == "warning" && pick(10) == 0) ? "critical" : kind.severity;
  auto fill = [&](const char* tmpl) {
    std::string s = Substitute(tmpl, "{instance}", instance);
    s = Substitute(std::move(s), "{service}", svc.service);
    s = Substitute(std::move(s), "{namespace}", svc.name_space);
    return Substitute(std::move(s), "{value}", value_buf);
  };
  const std::string starts_at = Rfc3339Millis(now - std::chrono::milliseconds(pick(3600 * 1000)));
  const std::string generator_url =
      "http://prometheus.example.net:9090/graph?g0.expr=" + UrlEncode(kind.expr) + "&g0.tab=1";
  const std::string runbook = std::string("https://runbooks.example.net/") + kind.name;

  AlertTemplate t;
  std::string& s = t.text;
  if (format == Format::kPrometheus) {
    s.append("{\"labels\":{");
    Field(&s, "alertname", kind.name, /*first=*/true);
    Field(&s, "severity", severity);
    Field(&s, "instance", instance);
    Field(&s, "job", kind.job);
    Field(&s, "cluster", cluster.name);
    Field(&s, "region", cluster.region);
    Field(&s, "namespace", svc.name_space);
    Field(&s, "service", svc.service);
    Field(&s, "team", svc.team);
    KeyField(&t, "pod", svc.service, key);
    s.append("},\"annotations\":{");
    Field(&s, "summary", fill(kind.summary), /*first=*/true);
    Field(&s, "description", fill(kind.description));
    Field(&s, "runbook_url", runbook);
    s.append("}");
    Field(&s, "startsAt", starts_at);
    Field(&s, "generatorURL", generator_url);
    s.append("}");
  } else {
    // PagerDuty Events API v2 "trigger" event as Alertmanager's pagerduty receiver would send it.
    char routing_key[33];
    std::snprintf(routing_key, sizeof(routing_key), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    s.append("{");
    Field(&s, "routing_key", routing_key, /*first=*/true);
    Field(&s, "event_action", "trigger");
    KeyField(&t, "dedup_key", kind.name, key);
    s.append(",\"payload\":{");
    Field(&s, "summary", fill(kind.summary), /*first=*/true);
    Field(&s, "source", instance);
    Field(&s, "severity", severity);
    Field(&s, "timestamp", starts_at);
    Field(&s, "component", svc.service);
    Field(&s, "group", cluster.name);
    Field(&s, "class", kind.name);
    s.append(",\"custom_details\":{");
    Field(&s, "job", kind.job, /*first=*/true);
    Field(&s, "region", cluster.region);
    Field(&s, "namespace", svc.name_space);
    Field(&s, "team", svc.team);
    KeyField(&t, "pod", svc.service, key);
    Field(&s, "description", fill(kind.description));
    Field(&s, "runbook_url", runbook);
    s.append("}}");
    Field(&s, "client", "Prometheus");
    Field(&s, "client_url", generator_url);
    s.append("}");
  }
  return t;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void EncodeKey(uint64_t key, char* out) {
  constexpr uint64_t kBase = kPodAlphabet.size();
  // 15 digits, least significant last; the dash sits where Kubernetes puts it (replicaset hash - pod suffix).
  char digits[15];
  for (int i = 14; i >= 0; --i) {
    digits[i] = kPodAlphabet[key % kBase];
    key /= kBase;
  }
  std::memcpy(out, digits, 10);
  out[10] = '-';
  std::memcpy(out + 11, digits + 10, 5);
}

BodyGenerator::BodyGenerator(const GeneratorConfig& config) : config_(config) {
  std::mt19937_64 rng(SplitMix64(config.seed));
  // Bit 23 of the nonce separates the key spaces: known keys are stable per seed, new keys never repeat them.
  uint64_t nonce;
  if (config.mode == Mode::kKnown) {
    nonce = SplitMix64(config.seed ^ 0x6b6e6f776eULL) & 0x7fffff;
  } else {
    uint64_t r = config.run_nonce;
    if (r == 0) r = (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}() ^ SplitMix64(config.seed);
    nonce = (SplitMix64(r) & 0x7fffff) | 0x800000;
  }
  key_base_ = nonce << 40;

  num_templates_ = config.mode == Mode::kKnown ? std::max<size_t>(config.pool, 1) : kNewModeTemplates;
  const auto now = std::chrono::system_clock::now();
  if (config.mode == Mode::kNew) templates_.reserve(num_templates_);
  if (config.mode == Mode::kKnown) pool_start_.reserve(num_templates_ + 1);
  for (size_t i = 0; i < num_templates_; ++i) {
    AlertTemplate t = Render(config.format, rng, key_base_ | i, now);
    const size_t len = t.text.size();
    total_bytes_ += len;
    min_bytes_ = i == 0 ? len : std::min(min_bytes_, len);
    max_bytes_ = std::max(max_bytes_, len);
    if (config.mode == Mode::kKnown) {
      pool_start_.push_back(pool_text_.size());
      pool_text_.append(t.text);
      pool_text_.push_back(',');
    } else {
      templates_.push_back(std::move(t));
    }
  }
  if (config.mode == Mode::kKnown) pool_start_.push_back(pool_text_.size());
}

double BodyGenerator::AverageAlertBytes() const {
  return num_templates_ == 0 ? 0.0 : static_cast<double>(total_bytes_) / static_cast<double>(num_templates_);
}

// Materializes alerts [seq, seq + count) into scratch->text, recording where their keys sit.
void BodyGenerator::CopyAlerts(uint64_t seq, size_t count, Scratch* scratch) const {
  const bool array = config_.format == Format::kPrometheus;
  std::string& body = scratch->text;
  body.clear();
  body.reserve(count * (max_bytes_ + 1) + 2);
  scratch->key_offsets.clear();
  if (array) body.push_back('[');
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) body.push_back(',');
    const uint64_t s = seq + i;
    if (config_.mode == Mode::kKnown) {
      const size_t k = s % num_templates_;
      body.append(pool_text_, pool_start_[k], pool_start_[k + 1] - pool_start_[k] - 1);
      continue;
    }
    const AlertTemplate& t = templates_[s % num_templates_];
    for (uint32_t k = 0; k < t.num_key_offsets; ++k) {
      scratch->key_offsets.push_back(static_cast<uint32_t>(body.size() + t.key_offsets[k]));
    }
    body.append(t.text);
  }
  if (array) body.push_back(']');
  scratch->count = count;
}

BodyParts BodyGenerator::Build(uint64_t seq, size_t count, Scratch* scratch) const {
  BodyParts out;
  if (config_.mode == Mode::kKnown) {
    const size_t first = seq % num_templates_;
    if (count <= num_templates_) {
      // Up to two contiguous slices of the pool (two when the batch wraps around its end).
      const size_t head = std::min(count, num_templates_ - first);
      const size_t tail = count - head;
      const bool array = config_.format == Format::kPrometheus;
      const std::string_view pool = pool_text_;
      auto slice = [&](size_t from, size_t n, bool last) {
        return pool.substr(pool_start_[from], pool_start_[from + n] - pool_start_[from] - (last ? 1 : 0));
      };
      size_t p = 0;
      if (array) out.parts[p++] = "[";
      out.parts[p++] = slice(first, head, tail == 0);
      if (tail > 0) out.parts[p++] = slice(0, tail, true);
      if (array) out.parts[p++] = "]";
      for (const auto& part : out.parts) out.size += part.size();
      return out;
    }
    CopyAlerts(seq, count, scratch);  // batch larger than the pool: repeats, so copy
  } else {
    // Keys are rewritten in place on every request; templates are re-copied every kRecopyEvery uses so the
    // content keeps rotating through the whole template set.
    constexpr uint64_t kRecopyEvery = 8;
    if (scratch->count != count || scratch->uses++ % kRecopyEvery == 0) CopyAlerts(seq, count, scratch);
    const size_t per_alert = scratch->key_offsets.size() / count;
    const uint32_t* offset = scratch->key_offsets.data();
    char key[kKeyWidth];
    for (size_t i = 0; i < count; ++i) {
      EncodeKey(key_base_ | ((seq + i) & kSeqMask), key);
      for (size_t k = 0; k < per_alert; ++k) std::memcpy(scratch->text.data() + *offset++, key, kKeyWidth);
    }
  }
  out.parts[0] = scratch->text;
  out.size = scratch->text.size();
  return out;
}

}  // namespace incidentd::bench
