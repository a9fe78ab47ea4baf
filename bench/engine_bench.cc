// Engine throughput and memory at scale. The target: with 100 correlation rules, 100 inhibition rules and 1 M active
// alerts, at least 2 M alert updates/s on one core, and at most 200 bytes of engine memory per active alert beyond its
// interned strings. Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true and read the medians.
// A second target, for correlation beyond the group (BM_EngineCorrelated, at the end): with a topology of 1,000
// services, thresholds, major incidents, flap detection and problems on, at least 1 M alert updates/s on one core.
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

#include <algorithm>
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
#include "engine/topology_index.h"
#include "incidentd/alert_batch.h"

namespace incidentd::engine {
namespace {

constexpr size_t kActiveAlerts = 1'000'000;
constexpr size_t kRules = 100;
constexpr size_t kNames = 110;  // Alert0..Alert99 have a rule each; Other0..Other9 fall to the catch-all
constexpr size_t kClusters = 20;
constexpr size_t kServices = 500;
constexpr size_t kWideServices = 1000;     // BM_EngineCorrelated spreads the same alerts over this many
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
    for (size_t s = 0; s < kWideServices; ++s) services.push_back("svc-" + std::to_string(s));
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
// its buffers. `services`: how many services the alerts are spread over (kServices, or kWideServices for
// BM_EngineCorrelated); each service runs in 2 clusters either way.
struct AlertText {
  char instance[80];
  char description[200];
  char summary[80];
  std::array<Label, 8> labels;
  std::array<Label, 3> annotations;
  std::string_view generator_url;

  AlertText(const AlertText&) = delete;
  AlertText& operator=(const AlertText&) = delete;
  explicit AlertText(size_t j, size_t services = kServices) {
    const Vocabulary& w = Words();
    const size_t n = j % kNames;
    const size_t s = (j / kNames) % services;
    const size_t c = (s + (kClusters / 2) * ((j / (kNames * services)) % 2)) % kClusters;  // 2 clusters per service
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

// Adds alert j to b the way a decoder builds it. A resolved alert is sent as Prometheus sends one, with an end at or
// before its arrival; here the end is left to the engine ("now"), since the batches are re-sent at later times.
void AddAlert(AlertBatch& b, size_t j, size_t services, bool resolved = false) {
  const AlertText t(j, services);
  AlertInput& in = b.Begin();
  in.starts_at = kT0;
  if (resolved) in.ends_kind = EndsAtKind::kGiven;
  in.generator_url = b.Store(t.generator_url);
  for (const Label& l : t.labels) b.AddLabel(l.name, l.value);
  for (const Label& l : t.annotations) b.AddAnnotation(l.name, l.value);
  b.Finish(/*labels_sorted=*/true);
}

// Alerts first..first+count-1 (modulo kActiveAlerts), built the way a decoder builds them.
AlertBatch BuildBatch(size_t first, size_t count, size_t services = kServices) {
  AlertBatch b(AlertFormat::kPrometheus, count * 600);
  for (size_t k = 0; k < count; ++k) AddAlert(b, (first + k) % kActiveAlerts, services);
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
LoadFigures Load(std::unique_ptr<Engine>* engine, RuleSet rules, Time* now, size_t services = kServices) {
  LoadFigures f;
  Words();  // shared by every alert: not the engine's
  const size_t before = HeapInUse();
  *engine = std::make_unique<Engine>(EngineOptions{}, std::move(rules));
  Duration applying{};
  for (size_t j = 0; j < kActiveAlerts; j += 1000) {
    const AlertBatch batch = BuildBatch(j, 1000, services);
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

// ---- Correlation beyond the group: BM_EngineCorrelated ----
//
// The same 1 M alerts, spread over 1,000 services (each in 2 clusters: about 200 k incidents of 5 alerts, and the 10
// catch-all ones of about 9 k), under MakeRules() plus every feature of correlation beyond the group: a topology of
// the 1,000 services, thresholds, a global major rule, flap detection and problems. Each alert is still sent once a
// minute (a pass: 1 M updates, 60 s of simulated time), firing or resolved, but a deterministic 5 % of them follow a
// schedule that repeats every kCycle passes, so about 1 % of the updates change an alert's state:
// - blinkers (4 % of the rest): resolved for one pass in ten, so they resolve and fire again a minute later;
// - flappers (0.3 %): resolved every other pass for 8 passes (8 changes in 7 minutes: flapping from the 7th), then
//   firing for 22 (stable again 15 minutes after the last change);
// - cascades: 10 groups, each a root service and 5 of its dependents, whose alerts of 20 of the 100 rules (10 of
//   them with thresholds) go down together for 6 passes in 10 and fire again, the root first in each pass. The
//   dependents' new incidents become symptoms of the root service's oldest attractive incident (one of its first
//   new ones, or a threshold one once triggered), which becomes major (5-6 services); the dependents recover a pass
//   before the root, so their incidents resolve with it; each new incident of a key recurs every 10 minutes, so the
//   keys are problems.
// The groups are chosen so that no group's services depend on another group's root.

constexpr size_t kPlatform = 10;  // svc-0..svc-9: every other service depends on one of them
constexpr size_t kCascadeGroups = 10;
constexpr size_t kCascadeDependents = 5;
constexpr size_t kCycle = 30;             // passes after which the schedule repeats
constexpr size_t kCascadeCycle = 10;      // passes; kCycle is a multiple
constexpr size_t kAllFiring = kCycle;     // the variant of a pass in which every alert fires
constexpr size_t kQuietPasses = 11;       // all-firing passes after the load: its incidents leave the topology window
constexpr size_t kWarmUpPasses = kCycle;  // churn passes before the first timed one

enum class Churn : uint8_t { kSteady, kBlink, kFlap, kRoot, kSymptom };

// Which alerts change state and when: alert j's state in each variant of a pass (pass number % kCycle, or
// kAllFiring).
struct ChurnPlan {
  std::vector<Churn> kind;                    // per alert
  std::vector<uint8_t> phase;                 // per alert: the pass its schedule starts at (a cascade: its group)
  std::vector<uint32_t> churning;             // the alerts that are not kSteady, in order
  std::vector<std::vector<uint32_t>> groups;  // cascades: the root service, then its dependents
  std::array<size_t, kCycle> firing_after{};  // alerts firing once a variant's pass is done

  bool Firing(size_t j, size_t variant) const {
    if (variant == kAllFiring) return true;
    switch (kind[j]) {
      case Churn::kSteady:
        return true;
      case Churn::kBlink:
        return variant % kCascadeCycle != phase[j];
      case Churn::kFlap: {
        const size_t o = (variant + kCycle - phase[j]) % kCycle;
        return o >= 8 || o % 2 == 1;
      }
      case Churn::kRoot:
        return (variant + kCascadeCycle - phase[j]) % kCascadeCycle >= 6;
      case Churn::kSymptom: {
        const size_t o = (variant + kCascadeCycle - phase[j]) % kCascadeCycle;
        return o >= 6 && o != 9;
      }
    }
    return true;
  }
};

// svc-1..svc-9 depend on svc-0; every later service depends on 0-2 services among the 100 before it (platform ones
// excluded), then on one platform service: 1-3 dependencies, nearest first, chosen by Mix.
Topology MakeTopology() {
  Topology t;
  t.label = "service";
  for (uint32_t s = 0; s < kWideServices; ++s) {
    Topology::Service svc;
    svc.name = Words().services[s];
    if (s > 0 && s < kPlatform) svc.depends_on = {0};
    if (s >= kPlatform) {
      const size_t local = Mix(s * 8 + 1) % 3;
      const uint32_t lo = std::max<uint32_t>(kPlatform, s > 100 ? s - 100 : 0);
      for (uint64_t a = 0; svc.depends_on.size() < std::min<size_t>(local, s - lo); ++a) {
        const uint32_t d = lo + static_cast<uint32_t>(Mix((uint64_t{s} << 16) + a) % (s - lo));
        if (std::find(svc.depends_on.begin(), svc.depends_on.end(), d) == svc.depends_on.end())
          svc.depends_on.push_back(d);
      }
      svc.depends_on.push_back(static_cast<uint32_t>(Mix(s * 8 + 7) % kPlatform));
    }
    t.services.push_back(std::move(svc));
  }
  return t;
}

RuleSet MakeCorrelatedRules() {
  RuleSet rules = MakeRules();
  for (size_t i = 0; i < kRules; i += 10) {  // every 10th rule: an incident pages once 3 alerts fired within 5m
    rules.correlations[i].min_alerts = 3;
    rules.correlations[i].window = std::chrono::minutes(5);
  }
  rules.topology = MakeTopology();
  rules.major.set = true;
  rules.major.min_distinct = {"service", 5};
  rules.major.policy = "commander";
  rules.policies.push_back(Policy{"commander", {EscalationStep{{"commander"}}}, 0, {}});
  rules.receivers.push_back(ReceiverRef{"commander", "webhook"});
  rules.flapping = FlappingRule{6, std::chrono::minutes(10), std::chrono::minutes(15)};
  rules.problems = ProblemsRule{3, std::chrono::hours(24 * 7)};
  return rules;
}

// Cascade groups: a root (from svc-20 on) and the first kCascadeDependents services that depend on it, nearest
// first, such that no group's service depends on another group's root.
std::vector<std::vector<uint32_t>> CascadeGroups(const Topology& topology) {
  const TopologyIndex index(topology);
  std::vector<std::vector<uint32_t>> groups;
  std::vector<bool> used(topology.services.size());
  auto depends_on = [&](uint32_t service, uint32_t root) {
    const std::vector<uint32_t>& d = index.DependenciesOf(service);
    return std::find(d.begin(), d.end(), root) != d.end();
  };
  for (uint32_t root = 20; root < topology.services.size() && groups.size() < kCascadeGroups; ++root) {
    if (used[root]) continue;
    std::vector<uint32_t> group{root};
    for (uint32_t d : index.DependentsOf(root)) {
      if (!used[d] && group.size() <= kCascadeDependents) group.push_back(d);
    }
    if (group.size() <= kCascadeDependents) continue;
    bool apart = true;
    for (const std::vector<uint32_t>& other : groups) {
      for (uint32_t s : group) apart = apart && !depends_on(s, other[0]);
      for (uint32_t s : other) apart = apart && !depends_on(s, root);
    }
    if (!apart) continue;
    for (uint32_t s : group) used[s] = true;
    groups.push_back(std::move(group));
  }
  if (groups.size() != kCascadeGroups) std::abort();
  return groups;
}

ChurnPlan MakePlan(const Topology& topology) {
  ChurnPlan p;
  p.kind.assign(kActiveAlerts, Churn::kSteady);
  p.phase.assign(kActiveAlerts, 0);
  p.groups = CascadeGroups(topology);
  std::vector<int> group_of(kWideServices, -1);
  for (size_t g = 0; g < p.groups.size(); ++g) {
    for (uint32_t s : p.groups[g]) group_of[s] = static_cast<int>(g);
  }
  for (size_t j = 0; j < kActiveAlerts; ++j) {
    const size_t n = j % kNames;
    const size_t s = (j / kNames) % kWideServices;  // as AlertText(j, kWideServices)
    if (group_of[s] >= 0 && n < kRules && n % 10 < 2) {
      const auto g = static_cast<size_t>(group_of[s]);
      p.kind[j] = s == p.groups[g][0] ? Churn::kRoot : Churn::kSymptom;
      p.phase[j] = static_cast<uint8_t>(g % kCascadeCycle);
      continue;
    }
    const uint64_t h = Mix(j ^ 0x9e3779b97f4a7c15ULL);
    if (h % 1000 < 3) {
      p.kind[j] = Churn::kFlap;
      p.phase[j] = static_cast<uint8_t>((h >> 32) % kCycle);
    } else if (h % 1000 < 43) {
      p.kind[j] = Churn::kBlink;
      p.phase[j] = static_cast<uint8_t>((h >> 32) % kCascadeCycle);
    }
  }
  for (size_t j = 0; j < kActiveAlerts; ++j) {
    if (p.kind[j] != Churn::kSteady) p.churning.push_back(static_cast<uint32_t>(j));
  }
  for (size_t v = 0; v < kCycle; ++v) {
    p.firing_after[v] = kActiveAlerts - p.churning.size();
    for (uint32_t j : p.churning) p.firing_after[v] += p.Firing(j, v);
  }
  return p;
}

// One pass in batches of batch_size: per tick, the alerts that never change (the same every pass) and the churning
// ones of the same positions in each variant, so that 30 minutes of schedule cost 1 M + 31 x 5 % of alerts in memory.
struct PassBatches {
  size_t batch_size = 0;
  std::vector<AlertBatch> steady;              // [tick]
  std::vector<std::vector<AlertBatch>> churn;  // [variant][tick], kAllFiring included
  std::vector<std::vector<uint32_t>> changes;  // [variant][tick]: state changes against the pass before
  size_t ticks() const { return steady.size(); }
};

void BuildPass(const ChurnPlan& plan, size_t batch_size, PassBatches* out) {
  *out = PassBatches{};
  out->batch_size = batch_size;
  const size_t ticks = kActiveAlerts / batch_size;
  out->steady.reserve(ticks);
  out->churn.resize(kCycle + 1);
  out->changes.resize(kCycle);
  for (auto& c : out->churn) c.reserve(ticks);
  for (auto& c : out->changes) c.reserve(ticks);
  auto churning = plan.churning.begin();
  for (size_t t = 0; t < ticks; ++t) {
    const size_t first = t * batch_size, end = first + batch_size;
    auto last = churning;
    while (last != plan.churning.end() && *last < end) ++last;
    AlertBatch steady(AlertFormat::kPrometheus, batch_size * 600);
    for (size_t j = first; j < end; ++j) {
      if (plan.kind[j] == Churn::kSteady) AddAlert(steady, j, kWideServices);
    }
    steady.Seal();
    out->steady.push_back(std::move(steady));
    for (size_t v = 0; v <= kCycle; ++v) {
      AlertBatch b(AlertFormat::kPrometheus, static_cast<size_t>(last - churning) * 600);
      uint32_t changes = 0;
      for (auto it = churning; it != last; ++it) {
        const bool firing = plan.Firing(*it, v);
        AddAlert(b, *it, kWideServices, /*resolved=*/!firing);
        if (v < kCycle) changes += firing != plan.Firing(*it, (v + kCycle - 1) % kCycle);
      }
      b.Seal();
      out->churn[v].push_back(std::move(b));
      if (v < kCycle) out->changes[v].push_back(changes);
    }
    churning = last;
  }
}

// A tick with a pass's two batches for the same positions.
BatchResult Tick(Engine& engine, const AlertBatch& steady, const AlertBatch& churn, Time now) {
  BatchResult r = engine.Apply(steady, now);
  if (!churn.empty()) {
    const BatchResult c = engine.Apply(churn, now);
    r.new_alerts += c.new_alerts;
    r.refreshed += c.refreshed;
    r.resolved += c.resolved;
    r.refired += c.refired;
  }
  engine.Advance(now);
  std::vector<Notification> sent = engine.TakeNotifications();
  benchmark::DoNotOptimize(sent.data());
  return r;
}

struct CorrelatedFixture {
  std::unique_ptr<Engine> engine;
  ChurnPlan plan;
  PassBatches batches;
  Time now = kT0;
  size_t passes = 0;  // churn passes done; the next one's variant is passes % kCycle
};

void RunPass(CorrelatedFixture& f, size_t variant) {
  const PassBatches& b = f.batches;
  for (size_t t = 0; t < b.ticks(); ++t) {
    Tick(*f.engine, b.steady[t], b.churn[variant][t], f.now);
    f.now += kPerAlert * b.batch_size;
  }
}

// Loaded once, then warmed up (untimed) at the first batch size: kQuietPasses all-firing passes, then a whole cycle
// of churn, after which every flapper has flapped and settled once and every cascade key has recurred into a problem.
// The load runs without the topology, which SetRules adds after it: a million alerts firing within one simulated
// minute would otherwise be one cascade, every incident a symptom of a few roots.
CorrelatedFixture& CorrelatedAt(size_t batch_size) {
  static CorrelatedFixture* f = nullptr;
  if (f == nullptr) {
    f = new CorrelatedFixture();
    RuleSet rules = MakeCorrelatedRules();
    f->plan = MakePlan(rules.topology);
    RuleSet without_topology = rules;
    without_topology.topology = {};
    Load(&f->engine, std::move(without_topology), &f->now, kWideServices);
    f->engine->SetRules(std::move(rules));
    BuildPass(f->plan, batch_size, &f->batches);
    for (size_t i = 0; i < kQuietPasses; ++i) RunPass(*f, kAllFiring);
    for (size_t i = 0; i < kWarmUpPasses; ++i) RunPass(*f, f->passes++ % kCycle);
  }
  if (f->batches.batch_size != batch_size) {
    f->batches = {};
    BuildPass(f->plan, batch_size, &f->batches);
  }
  return *f;
}

// What correlation did since `from` (its timeline entries, by kind), and its state now.
struct Census {
  std::array<uint64_t, static_cast<size_t>(TimelineKind::kProblem) + 1> since{};
  uint64_t majors = 0, symptoms_open = 0, flapping_members = 0, incidents = 0;
  // Symptoms attached since `from` to incidents opened more than the topology window before: not part of a cascade,
  // but old incidents that never paged (all their alerts inhibited) on a new root's dependents.
  uint64_t old_symptoms = 0;

  uint64_t operator[](TimelineKind k) const { return since[static_cast<size_t>(k)]; }
};

Census TakeCensus(const Engine& e, Time from) {
  Census c;
  e.incidents().ForEach([&](const Incident& inc) {
    ++c.incidents;
    c.majors += inc.major;
    c.flapping_members += inc.flapping;
    c.symptoms_open += !inc.symptom_of.empty() && inc.state != IncidentState::kResolved;
    for (const TimelineEntry& t : inc.timeline) {
      if (t.at < from) continue;
      ++c.since[static_cast<size_t>(t.kind)];
      c.old_symptoms += t.kind == TimelineKind::kSymptomOf && t.at - inc.created_at > e.rules().topology.window;
    }
  });
  return c;
}

// The steady state with correlation beyond the group: every alert once a minute, in ticks of state.range(0) alerts.
void BM_EngineCorrelated(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  CorrelatedFixture& f = CorrelatedAt(batch_size);
  const PassBatches& b = f.batches;
  const Time from = f.now;
  const EngineCounters before = f.engine->counters();
  size_t tick = 0, variant = f.passes % kCycle;
  uint64_t applied = 0, unchanged = 0, changed = 0, expected_changes = 0, other = 0;
  for (auto _ : state) {
    const BatchResult r = Tick(*f.engine, b.steady[tick], b.churn[variant][tick], f.now);
    unchanged += r.refreshed;
    changed += r.resolved + r.refired;
    other += r.new_alerts + r.acknowledged + r.ignored;
    expected_changes += b.changes[variant][tick];
    f.now += kPerAlert * batch_size;
    applied += batch_size;
    if (++tick == b.ticks()) {
      tick = 0;
      variant = ++f.passes % kCycle;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(applied));
  if (tick != 0) std::abort();  // a repetition is whole passes

  // Untimed: what happened, from the engine's state.
  const Census c = TakeCensus(*f.engine, from);
  const EngineCounters& after = f.engine->counters();
  const size_t firing = f.engine->alerts().firing();
  const size_t expected_firing = f.plan.firing_after[(f.passes + kCycle - 1) % kCycle];
  state.counters["changes_%"] = 100.0 * static_cast<double>(changed) / static_cast<double>(applied);
  // Must be 0: an update that was not the refresh or state change the schedule says means the steady state was lost.
  auto gap = [](uint64_t x, uint64_t y) { return static_cast<double>(x > y ? x - y : y - x); };
  state.counters["lost"] = gap(unchanged + changed, applied) + static_cast<double>(other) +
                           gap(changed, expected_changes) + gap(firing, expected_firing);
  state.counters["opened"] = static_cast<double>(c[TimelineKind::kOpened]);
  state.counters["held"] = static_cast<double>(c[TimelineKind::kHeld]);
  state.counters["threshold"] = static_cast<double>(c[TimelineKind::kThresholdReached]);
  state.counters["symptoms"] = static_cast<double>(c[TimelineKind::kSymptomOf]);
  state.counters["old_symptoms"] = static_cast<double>(c.old_symptoms);
  state.counters["released"] = static_cast<double>(c[TimelineKind::kReleased]);
  state.counters["majors"] = static_cast<double>(c[TimelineKind::kMajor]);
  state.counters["flapping"] = static_cast<double>(c[TimelineKind::kFlapping]);
  state.counters["stable"] = static_cast<double>(c[TimelineKind::kStable]);
  state.counters["problem_links"] = static_cast<double>(c[TimelineKind::kProblem]);
  state.counters["reopened"] = static_cast<double>(c[TimelineKind::kReopened]);
  state.counters["notifications"] = static_cast<double>(after.notifications - before.notifications);
  state.counters["problems"] = static_cast<double>(f.engine->problems().size());
  state.counters["flapping_now"] = static_cast<double>(c.flapping_members);
  state.counters["symptoms_now"] = static_cast<double>(c.symptoms_open);
  state.counters["majors_now"] = static_cast<double>(c.majors);
  state.counters["incidents"] = static_cast<double>(c.incidents);
  state.counters["firing"] = static_cast<double>(firing);
  std::string lost;
  if (other != 0 || unchanged + changed != applied) lost += " updates that were neither refreshes nor state changes;";
  if (changed != expected_changes) lost += " state changes differ from the schedule;";
  if (firing != expected_firing) lost += " firing alerts differ from the schedule;";
  if (c[TimelineKind::kHeld] == 0 || c[TimelineKind::kThresholdReached] == 0) lost += " no threshold;";
  if (c[TimelineKind::kSymptomOf] == 0) lost += " no symptom;";
  if (c[TimelineKind::kMajor] == 0) lost += " no major incident;";
  if (c[TimelineKind::kFlapping] == 0 || c[TimelineKind::kStable] == 0) lost += " no flapping;";
  if (c[TimelineKind::kProblem] == 0 || f.engine->problems().size() == 0) lost += " no problem;";
  if (!lost.empty()) state.SkipWithError(("steady state lost:" + lost).c_str());
}
// One repetition is a whole cascade cycle: 10 passes (10 minutes of simulated time, 10 M updates), every group
// down and up once, a third of the flappers' cycle; 3 repetitions are the whole schedule.
constexpr size_t kCorrelatedUpdates = kCascadeCycle * kActiveAlerts;
BENCHMARK(BM_EngineCorrelated)->Arg(100)->Iterations(kCorrelatedUpdates / 100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EngineCorrelated)->Arg(1000)->Iterations(kCorrelatedUpdates / 1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace incidentd::engine

BENCHMARK_MAIN();
