// Engine throughput and memory at scale. The target: with 100 correlation rules, 100 inhibition rules and 1 M active
// alerts, at least 2 M alert updates/s on one core, and at most 200 bytes of engine memory per active alert beyond its
// interned strings. Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true and read the medians.
//
// The shape. Rule i < 100 correlates alertname="Alert{i}" by [cluster, service]; a last catch-all rule groups the
// rest by [alertname]. Inhibit rule i: a critical Alert{i} mutes every warning in its cluster. An alert has 8 labels
// (alertname among 110: Alert0..Alert99 and Other0..Other9; cluster among 20; service among 500, each in 2 clusters;
// a unique instance; severity, a quarter critical; job; team; env), 3 annotations (a unique description) and a
// generator URL: about 590 bytes as Prometheus JSON. So about 100 k incidents of 10 alerts, plus 10 of about 9 k.
//
// Time. Every alert is re-sent once a minute (Prometheus' resend delay), so the simulated clock moves 60 µs per alert:
// 6 ms per batch of 100. The refresh benchmark cycles through all 1 M alerts in that order, so none times out and the
// engine stays in its steady state: its group timers (the incidents' 5-minute flushes, which check every member's
// mute state) and the alerts' resolve timers (re-armed every 5 minutes) run inside the timed Advance calls.
//
// Timed: Apply + Advance + TakeNotifications per batch, as the engine loop runs a tick. Batches are built before the
// timed loop, all of them, so the engine reads them from memory as it would a batch decoded on another thread, not from
// the cache that just built them. Rates are per second of the benchmark thread's CPU time, so other load on the shared
// machine counts only through the caches and memory bandwidth it takes.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "engine/engine.h"
#include "engine/matcher.h"
#include "engine/rules.h"
#include "incidentd/alert_batch.h"

namespace incidentd::engine {
namespace {

constexpr size_t kActiveAlerts = 1'000'000;
constexpr size_t kRules = 100;
constexpr size_t kNames = 110;  // Alert0..Alert99 have a rule each; Other0..Other9 fall to the catch-all
constexpr size_t kClusters = 20;
constexpr size_t kServices = 500;
constexpr size_t kNewPerEngine = 200'000;  // BM_EngineNewAlerts starts a fresh engine after this many
constexpr Duration kPerAlert = std::chrono::microseconds(60);  // 1 M alerts re-sent every 60 s
// The steady state repeats every 5 minutes (resolve_timeout and group_interval): this many updates.
constexpr size_t kPeriod = std::chrono::minutes(5) / kPerAlert;
const Time kT0 = FromUnixNanos(1'780'000'000'000'000'000LL);

constexpr const char* kJobs[] = {"node-exporter", "kube-state-metrics", "blackbox", "app", "postgres-exporter"};

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The strings alerts share, made once.
struct Vocabulary {
  std::vector<std::string> names, clusters, services, teams, runbooks, generator_urls;  // generator: cluster x name

  Vocabulary() {
    for (size_t n = 0; n < kNames; ++n) {
      names.push_back(n < kRules ? "Alert" + std::to_string(n) : "Other" + std::to_string(n - kRules));
      runbooks.push_back("https://runbooks.example.net/alerts/" + names.back());
    }
    char buf[160];
    for (size_t c = 0; c < kClusters; ++c) {
      std::snprintf(buf, sizeof buf, "k8s-%s-%02zu", c < 16 ? "prod" : "staging", c);
      clusters.push_back(buf);
    }
    for (size_t s = 0; s < kServices; ++s) services.push_back("svc-" + std::to_string(s));
    for (size_t t = 0; t < 50; ++t) teams.push_back("team-" + std::to_string(t));
    for (size_t c = 0; c < kClusters; ++c) {
      for (size_t n = 0; n < kNames; ++n) {
        std::snprintf(
            buf, sizeof buf,
            "http://prometheus.%s.example.net:9090/graph?g0.expr=ALERTS%%7Balertname%%3D%%22%s%%22%%7D&g0.tab=1",
            clusters[c].c_str(), names[n].c_str());
        generator_urls.push_back(buf);
      }
    }
  }
};

const Vocabulary& Words() {
  static const Vocabulary* v = new Vocabulary();
  return *v;
}

// Writes text into a fixed buffer (snprintf cost as much as the engine's work on the alert).
class Writer {
 public:
  Writer(char* begin, size_t size) : begin_(begin), p_(begin), end_(begin + size) {}
  Writer& operator<<(std::string_view s) {
    if (s.size() > static_cast<size_t>(end_ - p_)) std::abort();
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
    return *this;
  }
  Writer& operator<<(size_t v) {
    std::to_chars_result r = std::to_chars(p_, end_, v);
    if (r.ec != std::errc()) std::abort();
    p_ = r.ptr;
    return *this;
  }
  std::string_view view() const { return {begin_, static_cast<size_t>(p_ - begin_)}; }

 private:
  char* begin_;
  char* p_;
  char* end_;
};

// Alert j of the benchmark, as text: labels sorted by name, annotations likewise. Not copyable: the labels point into
// its buffers.
struct AlertText {
  char instance[80];
  char description[200];
  char summary[80];
  std::array<Label, 8> labels;
  std::array<Label, 3> annotations;
  std::string_view generator_url;

  AlertText(const AlertText&) = delete;
  AlertText& operator=(const AlertText&) = delete;
  explicit AlertText(size_t j) {
    const Vocabulary& w = Words();
    const size_t n = j % kNames;
    const size_t s = (j / kNames) % kServices;
    const size_t c = (s + (kClusters / 2) * ((j / (kNames * kServices)) % 2)) % kClusters;  // 2 clusters per service
    const bool critical = Mix(j) % 4 == 0;
    const std::string& cluster = w.clusters[c];
    const std::string& name = w.names[n];
    const std::string_view host =
        (Writer(instance, sizeof instance) << "host-" << (1'000'000 + j) << "." << cluster << ".example.net:9100")
            .view();
    labels = {{{"alertname", name},
               {"cluster", cluster},
               {"env", c < 16 ? "prod" : "staging"},
               {"instance", host},
               {"job", kJobs[n % std::size(kJobs)]},
               {"service", w.services[s]},
               {"severity", critical ? "critical" : "warning"},
               {"team", w.teams[s % w.teams.size()]}}};
    annotations = {
        {{"description",
          (Writer(description, sizeof description) << name << " on " << host << ": " << (50 + j % 50) << "." << (j % 10)
                                                   << "% for 10 minutes (" << (critical ? "paging" : "ticket") << ").")
              .view()},
         {"runbook_url", w.runbooks[n]},
         {"summary", (Writer(summary, sizeof summary) << name << " is firing for " << w.services[s]).view()}}};
    generator_url = w.generator_urls[c * kNames + n];
  }

  // The size of this alert in Prometheus' JSON (what the decoders read), for the record.
  size_t JsonSize() const {
    size_t size = std::string_view(R"({"labels":{},"annotations":{},"startsAt":"2026-01-02T15:04:05.123Z",)"
                                   R"("generatorURL":""})")
                      .size();
    for (const Label& l : labels) size += l.name.size() + l.value.size() + 6;  // "n":"v",
    for (const Label& l : annotations) size += l.name.size() + l.value.size() + 6;
    return size + generator_url.size() - 2;  // no comma after the last of each object
  }
};

// Alerts first..first+count-1 (modulo kActiveAlerts), built the way a decoder builds them.
AlertBatch BuildBatch(size_t first, size_t count) {
  AlertBatch b(AlertFormat::kPrometheus, count * 600);
  for (size_t k = 0; k < count; ++k) {
    const AlertText t((first + k) % kActiveAlerts);
    AlertInput& in = b.Begin();
    in.starts_at = kT0;
    in.generator_url = b.Store(t.generator_url);
    for (const Label& l : t.labels) b.AddLabel(l.name, l.value);
    for (const Label& l : t.annotations) b.AddAnnotation(l.name, l.value);
    b.Finish(/*labels_sorted=*/true);
  }
  b.Seal();
  return b;
}

// Alerts first.. in batches of batch_size, count alerts in all.
std::vector<AlertBatch> BuildChunk(size_t first, size_t count, size_t batch_size) {
  std::vector<AlertBatch> out;
  out.reserve(count / batch_size + 1);
  for (size_t k = 0; k < count; k += batch_size) out.push_back(BuildBatch(first + k, batch_size));
  return out;
}

std::vector<Matcher> Matchers(const std::string& text) {
  Result<std::vector<Matcher>> m = Matcher::ParseList(text);
  if (!m.ok()) std::abort();
  return std::move(*m);
}

RuleSet MakeRules() {
  RuleSet rules;
  PriorityRule by_severity;
  by_severity.from_label_set = true;
  by_severity.from_label = "severity";
  by_severity.map = {{"critical", 1}, {"warning", 3}};
  for (size_t i = 0; i < kRules; ++i) {
    CorrelationRule r;
    r.name = "alert-" + std::to_string(i);
    r.match = Matchers("alertname=\"Alert" + std::to_string(i) + "\"");
    r.group_by = {"cluster", "service"};
    r.priority = by_severity;
    r.policy = "default";
    r.origin = "engine_bench.cc:" + std::to_string(i);
    rules.correlations.push_back(std::move(r));
  }
  CorrelationRule catch_all;
  catch_all.name = "catch-all";
  catch_all.group_by = {"alertname"};
  catch_all.priority = by_severity;
  catch_all.policy = "default";
  rules.correlations.push_back(std::move(catch_all));
  for (size_t i = 0; i < kRules; ++i) {
    InhibitRule r;
    r.source_matchers = Matchers("alertname=\"Alert" + std::to_string(i) + "\",severity=\"critical\"");
    r.target_matchers = Matchers("severity=\"warning\"");
    r.equal = {"cluster"};
    rules.inhibit.push_back(std::move(r));
  }
  rules.policies.push_back(Policy{"default", {EscalationStep{{"oncall"}}}, 0, {}});
  rules.receivers.push_back(ReceiverRef{"oncall", "webhook"});
  return rules;
}

// Bytes the heap holds for the program: small blocks plus mmapped large ones.
size_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// glibc's chunk for a block from malloc: its usable size plus the size word.
size_t ChunkBytes(const void* p) { return malloc_usable_size(const_cast<void*>(p)) + sizeof(size_t); }

// This thread's CPU time.
Duration ThreadCpu() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// One tick for one batch, as the engine loop runs it.
BatchResult Tick(Engine& engine, const AlertBatch& batch, Time now) {
  BatchResult r = engine.Apply(batch, now);
  engine.Advance(now);
  std::vector<Notification> sent = engine.TakeNotifications();
  benchmark::DoNotOptimize(sent.data());
  return r;
}

struct LoadFigures {
  size_t heap_bytes = 0;  // the engine's heap after the load
  double seconds = 0;     // CPU time in Apply + Advance
  size_t incidents = 0;
};

// Applies alerts 0..kActiveAlerts-1 as new alerts in batches of 1000, 60 µs of simulated time per alert.
LoadFigures Load(std::unique_ptr<Engine>* engine, RuleSet rules, Time* now) {
  LoadFigures f;
  Words();  // shared by every alert: not the engine's
  const size_t before = HeapInUse();
  *engine = std::make_unique<Engine>(EngineOptions{}, std::move(rules));
  Duration applying{};
  for (size_t j = 0; j < kActiveAlerts; j += 1000) {
    const AlertBatch batch = BuildBatch(j, 1000);
    const Duration start = ThreadCpu();
    const BatchResult r = Tick(**engine, batch, *now);
    applying += ThreadCpu() - start;
    if (r.new_alerts != 1000) std::abort();
    *now += kPerAlert * 1000;
  }
  f.heap_bytes = HeapInUse() - before;
  f.seconds = std::chrono::duration<double>(applying).count();
  f.incidents = (*engine)->incidents().size();
  return f;
}

// The shared engine: 1 M active alerts under the 200 rules, loaded once.
struct Fixture {
  std::unique_ptr<Engine> engine;
  Time now = kT0;
  size_t next = 0;  // the next alert to re-send
  LoadFigures load;
};

// Never destroyed: tearing down 1 M alerts at exit would only cost time.
Fixture& Loaded() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
    fx->load = Load(&fx->engine, MakeRules(), &fx->now);
    return fx;
  }();
  return *f;
}

struct MemoryFigures {
  double total = 0;         // the engine's heap per active alert
  double interned = 0;      // the interned strings' share: entries, malloc overhead and the table
  double symbols = 0;       // distinct strings per alert
  double payload = 0;       // their bytes per alert
  double label_arrays = 0;  // the LabelSet arrays (labels and annotations), malloc overhead included
  double store_only = 0;    // the same alerts in an engine without rules
  double load_rate = 0;     // new alerts/s while loading (Apply + Advance)
  double incidents = 0;
  double json_bytes = 0;  // an alert's size as Prometheus JSON, on average
};

MemoryFigures MeasureMemory() {
  MemoryFigures m;
  Fixture& f = Loaded();
  const Engine& e = *f.engine;
  const double n = static_cast<double>(e.alerts().size());
  m.total = static_cast<double>(f.load.heap_bytes) / n;
  m.load_rate = n / f.load.seconds;
  m.incidents = static_cast<double>(f.load.incidents);

  // The distinct strings the alerts point to, and the label arrays.
  boost::unordered_flat_set<const Symbol::Entry*> strings;
  strings.reserve(e.alerts().symbols().size());
  size_t arrays = 0;
  e.alerts().ForEach([&](const Alert& a) {
    for (const LabelSet* set : {&a.labels, &a.annotations}) {
      if (set->empty()) continue;
      arrays += ChunkBytes(set->labels().data());
      for (const InternedLabel& l : set->labels()) {
        strings.insert(l.name.entry());
        strings.insert(l.value.entry());
      }
    }
    if (a.generator_url.entry()) strings.insert(a.generator_url.entry());
  });
  if (strings.size() != e.alerts().symbols().size()) std::abort();
  m.label_arrays = static_cast<double>(arrays) / n;
  m.symbols = static_cast<double>(strings.size()) / n;
  m.payload = static_cast<double>(e.alerts().symbols().bytes()) / n;
  // What the interned strings cost: the same strings interned into a table of their own, measured the same way.
  {
    const size_t before = HeapInUse();
    SymbolTable replica;
    for (const Symbol::Entry* s : strings) replica.Intern({s->data, s->size});
    m.interned = static_cast<double>(HeapInUse() - before) / n;
  }
  strings = {};

  size_t json = 0;
  for (size_t j = 0; j < kActiveAlerts; j += 997) json += AlertText(j).JsonSize();
  m.json_bytes = static_cast<double>(json) / static_cast<double>((kActiveAlerts + 996) / 997);

  // The alert store's share: the same load into an engine without rules (no incidents, no inhibition index).
  {
    std::unique_ptr<Engine> bare;
    Time now = kT0;
    LoadFigures g = Load(&bare, RuleSet{}, &now);
    m.store_only = static_cast<double>(g.heap_bytes) / static_cast<double>(bare->alerts().size());
  }
  return m;
}

// Memory per active alert after loading the 1 M alerts; the figures are counters (bytes per alert).
void BM_EngineMemory(benchmark::State& state) {
  static const MemoryFigures m = MeasureMemory();
  for (auto _ : state) benchmark::DoNotOptimize(m);
  state.counters["total_B"] = m.total;
  state.counters["interned_B"] = m.interned;
  // The simpler estimate: payload plus a Symbol::Entry header and 16 bytes of malloc overhead per string.
  state.counters["interned_est_B"] = m.payload + m.symbols * static_cast<double>(sizeof(Symbol::Entry) + 16);
  state.counters["beyond_interned_B"] = m.total - m.interned;
  state.counters["label_arrays_B"] = m.label_arrays;
  state.counters["store_only_B"] = m.store_only;
  state.counters["symbols"] = m.symbols;
  state.counters["payload_B"] = m.payload;
  state.counters["json_B"] = m.json_bytes;
  state.counters["incidents"] = m.incidents;
  state.counters["load_alerts/s"] = m.load_rate;
}
BENCHMARK(BM_EngineMemory)->Iterations(1)->Repetitions(1);

// Steady re-sending of known alerts: every alert once a minute, in batches of state.range(0).
void BM_EngineRefresh(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  Fixture& f = Loaded();
  // All 1 M alerts, built once per batch size (about 0.9 GB): a repetition re-sends each of them 5 times.
  static std::vector<AlertBatch> all;
  static size_t all_batch = 0, first = 0, pos = 0;
  if (all_batch != batch_size) {
    all.clear();
    first = f.next;
    all = BuildChunk(first, kActiveAlerts, batch_size);
    all_batch = batch_size;
    pos = 0;
  }
  uint64_t applied = 0, refreshed = 0;
  for (auto _ : state) {
    refreshed += Tick(*f.engine, all[pos], f.now).refreshed;
    pos = pos + 1 == all.size() ? 0 : pos + 1;
    f.now += kPerAlert * batch_size;
    applied += batch_size;
  }
  f.next = (first + pos * batch_size) % kActiveAlerts;
  state.SetItemsProcessed(static_cast<int64_t>(applied));
  // Both must stay 0 and 1 M: an alert that was not a plain refresh means the steady state was lost.
  state.counters["not_refreshed"] = static_cast<double>(applied - refreshed);
  state.counters["firing"] = static_cast<double>(f.engine->alerts().firing());
}
// One repetition is one period of the steady state: 5 minutes of simulated time, 5 M updates.
BENCHMARK(BM_EngineRefresh)->Arg(100)->Iterations(kPeriod / 100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EngineRefresh)->Arg(1000)->Iterations(kPeriod / 1000)->Unit(benchmark::kMicrosecond);

// New alerts into a fresh engine with the same rules: each goes through interning, the inhibition index and
// correlation (most join an incident, one in ten opens one). Each repetition starts a fresh engine, untimed.
void BM_EngineNewAlerts(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  static std::vector<AlertBatch> chunk;
  static size_t chunk_batch = 0;
  static std::unique_ptr<Engine> engine;
  static Time now = kT0;
  if (chunk_batch != batch_size) {
    engine.reset();
    chunk.clear();
    chunk = BuildChunk(0, kNewPerEngine, batch_size);
    chunk_batch = batch_size;
  }
  size_t pos = chunk.size();  // a fresh engine at the first iteration
  uint64_t applied = 0, added = 0;
  for (auto _ : state) {
    if (pos == chunk.size()) {
      state.PauseTiming();
      engine.reset();
      engine = std::make_unique<Engine>(EngineOptions{}, MakeRules());
      now = kT0;
      pos = 0;
      state.ResumeTiming();
    }
    added += Tick(*engine, chunk[pos++], now).new_alerts;
    now += kPerAlert * batch_size;
    applied += batch_size;
  }
  state.SetItemsProcessed(static_cast<int64_t>(applied));
  state.counters["not_new"] = static_cast<double>(applied - added);
}
// One repetition is one engine's life: 0 to 200 k alerts.
BENCHMARK(BM_EngineNewAlerts)->Arg(100)->Iterations(kNewPerEngine / 100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EngineNewAlerts)->Arg(1000)->Iterations(kNewPerEngine / 1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace incidentd::engine

BENCHMARK_MAIN();
