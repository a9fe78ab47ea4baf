// Decoder throughput. The target: at least 4 M alerts/s per core for the Prometheus format on a realistic ~500-byte
// alert. Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true and read the medians.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "decode/factory.h"
#include "incidentd/label.h"

namespace incidentd::decode {
namespace {

struct Kind {
  const char* name;
  const char* severity;
  const char* job;
  const char* summary;
  const char* description;
};

constexpr Kind kKinds[] = {
    {"HighCPUUsage", "warning", "node-exporter", "High CPU usage on host",
     "CPU usage is 93.5% for more than 10 minutes."},
    {"DiskSpaceLow", "critical", "node-exporter", "Root filesystem almost full", "Only 3.2% space left on /."},
    {"KubePodCrashLooping", "critical", "kube-state-metrics", "Pod is crash looping",
     "Container restarted 7 times in 15m."},
    {"HighRequestLatency", "warning", "app", "High p99 latency", "p99 latency is 1.7s over 5m."},
};
constexpr const char* kClusters[][2] = {{"prod-eu-1", "eu-west-1"}, {"prod-us-1", "us-east-1"}};
constexpr const char* kServices[][3] = {
    {"payments", "payments-api", "payments"}, {"search", "search-indexer", "search"}, {"data", "kafka-broker", "data"}};

// One alert in Prometheus' shape, about 560 bytes; `i` varies the content. Label and annotation keys are sorted, as
// Prometheus sends them (Go's JSON encoder sorts map keys); `shuffled` lists the labels in another order.
std::string PromAlert(size_t i, const char* extra_fields = "", bool shuffled = false) {
  const Kind& k = kKinds[i % std::size(kKinds)];
  const auto& c = kClusters[i % std::size(kClusters)];
  const auto& s = kServices[i % std::size(kServices)];
  char instance[64];
  std::snprintf(instance, sizeof instance, "host-%zu.prod.example.net:9100", 1000 + i % 4000);
  char labels[1024];
  if (shuffled) {
    std::snprintf(labels, sizeof labels,
                  "\"alertname\":\"%s\",\"severity\":\"%s\",\"instance\":\"%s\",\"job\":\"%s\",\"cluster\":\"%s\","
                  "\"region\":\"%s\",\"namespace\":\"%s\",\"service\":\"%s\",\"team\":\"%s\"",
                  k.name, k.severity, instance, k.job, c[0], c[1], s[0], s[1], s[2]);
  } else {
    std::snprintf(labels, sizeof labels,
                  "\"alertname\":\"%s\",\"cluster\":\"%s\",\"instance\":\"%s\",\"job\":\"%s\",\"namespace\":\"%s\","
                  "\"region\":\"%s\",\"service\":\"%s\",\"severity\":\"%s\",\"team\":\"%s\"",
                  k.name, c[0], instance, k.job, s[0], c[1], s[1], k.severity, s[2]);
  }
  char buf[2048];
  int n = std::snprintf(
      buf, sizeof buf,
      "{%s\"labels\":{%s},"
      "\"annotations\":{\"description\":\"%s\",\"runbook_url\":\"https://runbooks.example.net/alerts/%s\","
      "\"summary\":\"%s\"},"
      "\"startsAt\":\"2026-01-02T15:04:%02zu.123Z\","
      "\"generatorURL\":\"http://prometheus.example.net:9090/"
      "graph?g0.expr=up%%7Bjob%%3D%%22%s%%22%%7D+%%3D%%3D+0&g0.tab=1\"}",
      extra_fields, labels, k.description, k.name, k.summary, i % 60, k.job);
  return std::string(buf, static_cast<size_t>(n));
}

std::string PromBody(size_t count, bool shuffled = false) {
  std::string body = "[";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) body.push_back(',');
    body += PromAlert(i, "", shuffled);
  }
  body.push_back(']');
  return body;
}

std::string WebhookBody(size_t count) {
  std::string body =
      "{\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"HighCPUUsage\\\"}\",\"truncatedAlerts\":0,"
      "\"status\":\"firing\",\"receiver\":\"incidentd\",\"groupLabels\":{\"alertname\":\"HighCPUUsage\"},"
      "\"commonLabels\":{\"job\":\"node-exporter\"},\"commonAnnotations\":{},\"externalURL\":\"http://am:9093\","
      "\"alerts\":[";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) body.push_back(',');
    body += PromAlert(i, "\"status\":\"firing\",\"fingerprint\":\"c508c62a1b2f3e4d\",");
  }
  body += "]}";
  return body;
}

const char kPagerDutyEvent[] =
    R"({"routing_key":"0123456789abcdef0123456789abcdef","event_action":"trigger","dedup_key":"HighCPUUsage-7d9f8b6c5x-b2k9q",)"
    R"("payload":{"summary":"High CPU usage on host-1234.prod.example.net:9100","source":"host-1234.prod.example.net:9100",)"
    R"("severity":"warning","timestamp":"2026-01-02T15:04:05.123Z","component":"payments-api","group":"prod-eu-1",)"
    R"("class":"HighCPUUsage","custom_details":{"job":"node-exporter","region":"eu-west-1","namespace":"payments",)"
    R"("team":"payments","description":"CPU usage is 93.5% for more than 10 minutes.",)"
    R"("runbook_url":"https://runbooks.example.net/alerts/HighCPUUsage"}},"client":"Prometheus",)"
    R"("client_url":"http://prometheus.example.net:9090/graph?g0.expr=up&g0.tab=1"})";

GenericMapping GrafanaLikeMapping() {
  GenericMapping m;
  m.name = "grafana";
  m.alerts = "/alerts";
  m.labels_from = "/labels";
  m.annotations_from = "/annotations";
  m.static_labels = {{"source", "grafana"}};
  m.status = "/status";
  m.starts_at = "/startsAt";
  m.ends_at = "/endsAt";
  m.generator_url = "/generatorURL";
  return m;
}

void Run(benchmark::State& state, const Decoder& decoder, const std::string& text, size_t alerts) {
  simdjson::padded_string body(text);
  DecodeOutcome first = decoder.Decode(body);
  if (!first.ok() || first.batch.size() != alerts) {
    state.SkipWithError(("decode failed: " + first.Summary()).c_str());
    return;
  }
  for (auto _ : state) {
    DecodeOutcome out = decoder.Decode(body);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * alerts));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["bytes_per_alert"] = static_cast<double>(text.size()) / static_cast<double>(alerts);
}

void BM_Prometheus(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Run(state, *MakeDecoder(AlertFormat::kPrometheus, Limits()), PromBody(n), n);
}
BENCHMARK(BM_Prometheus)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

// Labels not in byte order: the fingerprint is computed after AlertBatch sorts them.
void BM_PrometheusUnsortedLabels(benchmark::State& state) {
  Run(state, *MakeDecoder(AlertFormat::kPrometheus, Limits()), PromBody(100, /*shuffled=*/true), 100);
}
BENCHMARK(BM_PrometheusUnsortedLabels);

// Reference points for the Prometheus target, on the same body: what simdjson alone costs, so the decoder's own
// share is visible. Stage1: indexing the body (UTF-8 validation included). Walk: stage 1 plus visiting every field
// and unescaping every string, storing nothing.
void BM_ReferenceStage1(benchmark::State& state) {
  const std::string text = PromBody(100);
  simdjson::padded_string body(text);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    simdjson::ondemand::document doc;
    benchmark::DoNotOptimize(parser.iterate(body).get(doc));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 100));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ReferenceStage1);

size_t WalkValue(simdjson::ondemand::value v) {
  size_t n = 0;
  simdjson::ondemand::object obj;
  std::string_view s;
  if (v.get_object().get(obj) == simdjson::SUCCESS) {
    for (auto field : obj) n += WalkValue(field.value());
  } else if (v.get_string().get(s) == simdjson::SUCCESS) {
    n += s.size();
  }
  return n;
}

void BM_ReferenceWalk(benchmark::State& state) {
  const std::string text = PromBody(100);
  simdjson::padded_string body(text);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    size_t n = 0;
    simdjson::ondemand::document doc;
    simdjson::ondemand::array alerts;
    if (parser.iterate(body).get(doc) != simdjson::SUCCESS || doc.get_array().get(alerts) != simdjson::SUCCESS) {
      state.SkipWithError("parse failed");
      return;
    }
    for (auto alert : alerts) n += WalkValue(alert.value_unsafe());
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 100));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ReferenceWalk);

// Alertmanager's fingerprint of the benchmark alert's nine labels: a serial multiply chain, one step per byte.
void BM_ReferenceFingerprint(benchmark::State& state) {
  const Label labels[] = {
      {"alertname", "HighCPUUsage"}, {"cluster", "prod-eu-1"},  {"instance", "host-1000.prod.example.net:9100"},
      {"job", "node-exporter"},      {"namespace", "payments"}, {"region", "eu-west-1"},
      {"service", "payments-api"},   {"severity", "warning"},   {"team", "payments"}};
  for (auto _ : state) benchmark::DoNotOptimize(Fingerprint::Of(labels));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ReferenceFingerprint);

void BM_AlertmanagerWebhook(benchmark::State& state) {
  Run(state, *MakeDecoder(AlertFormat::kAlertmanagerWebhook, Limits()), WebhookBody(100), 100);
}
BENCHMARK(BM_AlertmanagerWebhook);

void BM_PagerDuty(benchmark::State& state) {
  Run(state, *MakeDecoder(AlertFormat::kPagerDuty, Limits()), kPagerDutyEvent, 1);
}
BENCHMARK(BM_PagerDuty);

void BM_Generic(benchmark::State& state) {
  Run(state, *MakeGenericDecoder(GrafanaLikeMapping(), Limits()), WebhookBody(100), 100);
}
BENCHMARK(BM_Generic);

}  // namespace
}  // namespace incidentd::decode

BENCHMARK_MAIN();
