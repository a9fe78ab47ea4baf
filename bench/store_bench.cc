// store_bench: the durable state store (store::StateStore) without HTTP. See --help and bench/README.md ("Durable
// state").
//
// Commands, each bounded in count (and so in time), each writing only under --dir:
// - fsync: the disk's own cost of a synced write: --count appends of 4 KiB to a new file, each followed by fdatasync
//   (what RocksDB does to its write-ahead log on a synced write), then the same with fsync.
// - ingest: an engine whose changes the store tracks, as the daemon runs it: Open on an empty --dir, Recover, then
//   per tick Apply a batch of --tick new alerts, Advance, TakeNotifications, Commit (Prepare and Write on this one
//   thread). Batches are built before the timed loop. Reports alerts/s over the ticks' wall time, and how the time and
//   the thread's CPU split between the engine (Apply, Advance), encoding the changes (Commit minus its write: the
//   daemon's engine thread does it) and the RocksDB write (WAL append, memtable inserts and, with --sync on,
//   fdatasync: the daemon's writer thread), the write measured by wrapping the store's target (StoreOptions::wrap).
// - build: --alerts new alerts in ticks of --tick into an empty --dir, then closes it: the data set for restarts.
// - recover: copies --from to --dir (removing --dir first), syncs the copy and, with --cold, evicts its pages from the
//   page cache (posix_fadvise DONTNEED: no root needed, other files untouched); then times Open and Recover into a
//   fresh engine with the same rules, and reports RSS and DiskBytes after it. Without --from it recovers --dir as it
//   is (a second start of the same directory).
// - compact: opens --dir with RocksDB's own API (the store offers no compaction call), flushes and compacts every
//   column family to its bottom level, and reports the files' bytes per family before and after; then DiskBytes
//   through a StateStore opened on it.
// - evict: syncs the files under --dir and evicts them from the page cache (for a cold daemon start).
//
// The alerts: 10 labels (alertname among 110, cluster among 20, env, group, a unique instance, job, namespace,
// service among 500, severity, team) and 3 annotations (a unique description, a runbook URL, a summary) plus a
// generator URL: about 600 bytes as Prometheus JSON. One correlation rule groups them by `group`, alert j in group
// j % --incidents, so every tick touches as many incidents as it has alerts (up to --incidents): the worst case for
// incident writes. The rule has no policy, so nothing is paged and the outbox stays empty. Simulated time moves
// 60 µs per alert (each alert re-sent once a minute, as in engine_bench), starting at the wall clock's now.
//
// Output: a summary, then one line "RESULT {json}".
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/table.h>

#include "bench_args.h"
#include "engine/engine.h"
#include "engine/rules.h"
#include "incidentd/alert_batch.h"
#include "store/state_store.h"

namespace incidentd::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

constexpr size_t kNames = 110;
constexpr size_t kClusters = 20;
constexpr size_t kServices = 500;
constexpr Duration kPerAlert = std::chrono::microseconds(60);
constexpr const char* kJobs[] = {"node-exporter", "kube-state-metrics", "blackbox", "app", "postgres-exporter"};

struct Options {
  std::string command;
  std::string dir;
  std::string from;
  size_t count = 200;         // fsync: writes
  size_t alerts = 200'000;    // ingest, build
  size_t tick = 100;          // alerts per tick
  size_t incidents = 10'000;  // groups
  bool sync = true;
  bool cold = false;
  bool detail = false;  // ingest: RocksDB's perf context
  bool rules = true;
  bool help = false;
};

void PrintUsage(std::FILE* out) {
  std::fputs(
      "Usage: store_bench COMMAND --dir DIR [options]\n"
      "\n"
      "  fsync    --dir DIR [--count N]         N 4 KiB appends, each fdatasync'd, then each fsync'd. Default 200.\n"
      "  ingest   --dir DIR [--tick N] [--alerts A] [--sync on|off] [--rules group|none] [--incidents G] [--detail]\n"
      "           A new alerts (default 200000) through engine + StateStore in ticks of N (default 100) into an\n"
      "           empty DIR; --rules none: no correlation (only alert records are written, as in a daemon without\n"
      "           rules). Default sync on, rules group, 10000 incidents. --detail: the write's WAL and memtable\n"
      "           times from RocksDB's perf context, which slows the memtable inserts.\n"
      "  build    --dir DIR [--alerts A] [--tick N] [--incidents G] [--sync on|off]\n"
      "           A alerts in ticks of N into an empty DIR, then close it. For 1 M: --alerts 1000000 --tick 10000.\n"
      "  recover  --dir DIR [--from BASE] [--cold] [--rules group|none]\n"
      "           With --from: DIR is removed and BASE copied to it (and, with --cold, evicted from the page\n"
      "           cache). Then Open + Recover into a fresh engine with the rules it was built with, timed.\n"
      "  compact  --dir DIR                     flush and compact every column family (RocksDB's API); sizes.\n"
      "  evict    --dir DIR                     sync DIR's files and drop them from the page cache.\n"
      "\n"
      "DIR is the RocksDB directory itself (a daemon's data_dir/state). Output: a summary, then \"RESULT {json}\".\n",
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
    if (std::string_view(argv[i]) == "--cold" || std::string_view(argv[i]) == "--detail") {
      (std::string_view(argv[i]) == "--cold" ? o->cold : o->detail) = true;
      continue;
    }
    std::string arg, value;
    if (!NextArg(argc, argv, &i, &arg, &value, error)) return false;
    if (arg == "--help") {
      o->help = true;
      return true;
    }
    size_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    const bool number = ec == std::errc() && end == value.data() + value.size();
    bool ok = true;
    if (arg == "--dir") {
      o->dir = value;
    } else if (arg == "--from") {
      o->from = value;
    } else if (arg == "--count") {
      ok = number && n >= 1 && n <= 100'000;
      o->count = n;
    } else if (arg == "--alerts") {
      ok = number && n >= 1 && n <= 10'000'000;
      o->alerts = n;
    } else if (arg == "--tick") {
      ok = number && n >= 1 && n <= 100'000;
      o->tick = n;
    } else if (arg == "--incidents") {
      ok = number && n >= 1 && n <= 10'000'000;
      o->incidents = n;
    } else if (arg == "--sync") {
      ok = value == "on" || value == "off";
      o->sync = value == "on";
    } else if (arg == "--rules") {
      ok = value == "group" || value == "none";
      o->rules = value == "group";
    } else {
      *error = "unknown option " + arg;
      return false;
    }
    if (!ok) {
      *error = "invalid value '" + value + "' for " + arg;
      return false;
    }
  }
  if (o->dir.empty()) {
    *error = "--dir is required";
    return false;
  }
  return true;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "store_bench: %s\n", what.c_str());
  std::exit(1);
}

double Seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

// This thread's CPU time: unlike the wall time, it leaves out the time other processes on the shared machine take.
Steady::duration ThreadCpu() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

double ProcessCpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// VmRSS or VmHWM of this process, in bytes.
uint64_t ProcStatus(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0 && line.size() > field.size() && line[field.size()] == ':') {
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10) * 1024;
    }
  }
  return 0;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

// --- the alerts ---

struct Vocabulary {
  std::vector<std::string> names, clusters, services, teams, runbooks, generator_urls;
  Vocabulary() {
    char buf[200];
    for (size_t n = 0; n < kNames; ++n) {
      names.push_back("KubeAlert" + std::to_string(n));
      runbooks.push_back("https://runbooks.example.net/alerts/" + names.back());
    }
    for (size_t c = 0; c < kClusters; ++c) {
      std::snprintf(buf, sizeof buf, "k8s-%s-%02zu", c < 16 ? "prod" : "staging", c);
      clusters.push_back(buf);
    }
    for (size_t s = 0; s < kServices; ++s) services.push_back("svc-" + std::to_string(s));
    for (size_t t = 0; t < 50; ++t) teams.push_back("team-" + std::to_string(t));
    for (size_t c = 0; c < kClusters; ++c) {
      for (size_t n = 0; n < kNames; ++n) {
        std::snprintf(buf, sizeof buf,
                      "http://prometheus.%s.example.net:9090/graph?g0.expr=ALERTS%%7Balertname%%3D%%22%s%%22%%7D",
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

// Alert j into b, labels in name order.
void AddAlert(AlertBatch& b, size_t j, size_t incidents, Time now) {
  const Vocabulary& w = Words();
  const size_t n = j % kNames;
  const size_t s = (j / kNames) % kServices;
  const size_t c = (s * 7 + j / (kNames * kServices)) % kClusters;
  const bool critical = (j * 0x9e3779b97f4a7c15ULL) >> 62 == 0;
  char instance[96], group[32], description[256], summary[96];
  std::snprintf(instance, sizeof instance, "10.%zu.%zu.%zu:9100", (j >> 16) & 255, (j >> 8) & 255, j & 255);
  std::snprintf(group, sizeof group, "g%06zu", j % incidents);
  std::snprintf(description, sizeof description, "%s on %s: error ratio %zu.%zu%% for 10 minutes (%s)",
                w.names[n].c_str(), instance, 50 + j % 50, j % 10, critical ? "paging" : "ticket");
  std::snprintf(summary, sizeof summary, "%s is firing for %s in %s", w.names[n].c_str(), w.services[s].c_str(),
                w.clusters[c].c_str());
  AlertInput& in = b.Begin();
  in.starts_at = now;
  in.generator_url = b.Store(w.generator_urls[c * kNames + n]);
  b.AddLabel("alertname", w.names[n]);
  b.AddLabel("cluster", w.clusters[c]);
  b.AddLabel("env", c < 16 ? "prod" : "staging");
  b.AddLabel("group", group);
  b.AddLabel("instance", instance);
  b.AddLabel("job", kJobs[n % std::size(kJobs)]);
  b.AddLabel("namespace", "ns-" + std::to_string(s % 40));
  b.AddLabel("service", w.services[s]);
  b.AddLabel("severity", critical ? "critical" : "warning");
  b.AddLabel("team", w.teams[s % w.teams.size()]);
  b.AddAnnotation("description", description);
  b.AddAnnotation("runbook_url", w.runbooks[n]);
  b.AddAnnotation("summary", summary);
  b.Finish(/*labels_sorted=*/true);
}

AlertBatch BuildBatch(size_t first, size_t count, size_t incidents, Time now) {
  AlertBatch b(AlertFormat::kPrometheus, count * 640);
  for (size_t k = 0; k < count; ++k) AddAlert(b, first + k, incidents, now);
  b.Seal();
  return b;
}

// The size of the batch's alerts as Prometheus JSON, on average (for the record).
double JsonBytesPerAlert(const AlertBatch& b) {
  size_t total = 0;
  for (const AlertInput& a : b.alerts()) {
    size_t size = std::string_view(R"({"labels":{},"annotations":{},"startsAt":"2026-01-02T15:04:05.123Z",)"
                                   R"("generatorURL":""})")
                      .size() +
                  a.generator_url.size();
    for (const Label& l : b.labels(a)) size += l.name.size() + l.value.size() + 6;
    for (const Label& l : b.annotations(a)) size += l.name.size() + l.value.size() + 6;
    total += size - 2;
  }
  return static_cast<double>(total) / static_cast<double>(b.size());
}

engine::RuleSet MakeRules(bool correlate) {
  engine::RuleSet rules;
  if (!correlate) return rules;
  engine::CorrelationRule r;
  r.name = "by-group";
  r.group_by = {"group"};
  r.origin = "store_bench.cc";
  rules.correlations.push_back(std::move(r));
  return rules;
}

// --- the store ---

// Times the store's writes (RocksDB's Write: WAL append, memtable inserts, fdatasync when synced), and with `detail`,
// from RocksDB's perf context, how much of it was the WAL (its append and sync) and the memtables. The perf context
// costs time of its own (a thread-local access per key comparison: 10 % of an ingest's samples), so it is optional.
class TimedTarget final : public store::WriteTarget {
 public:
  struct Totals {
    Steady::duration write{}, write_cpu{};
    uint64_t wal_ns = 0, memtable_ns = 0, writes = 0, bytes = 0;
  };
  TimedTarget(std::unique_ptr<store::WriteTarget> inner, Totals* totals, bool detail)
      : inner_(std::move(inner)), t_(totals), detail_(detail) {}
  Status Write(rocksdb::WriteBatch* batch, bool sync) override {
    if (detail_) {
      rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableTimeExceptForMutex);
      rocksdb::get_perf_context()->Reset();
    }
    const auto start = Steady::now();
    const auto cpu = ThreadCpu();
    Status s = inner_->Write(batch, sync);
    t_->write += Steady::now() - start;
    t_->write_cpu += ThreadCpu() - cpu;
    if (detail_) {
      t_->wal_ns += rocksdb::get_perf_context()->write_wal_time;
      t_->memtable_ns += rocksdb::get_perf_context()->write_memtable_time;
      rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    }
    ++t_->writes;
    t_->bytes += batch->GetDataSize();
    return s;
  }

 private:
  std::unique_ptr<store::WriteTarget> inner_;
  Totals* t_;
  bool detail_;
};

std::unique_ptr<store::StateStore> OpenStore(const std::string& dir, bool sync, TimedTarget::Totals* totals,
                                             bool detail = false) {
  store::StoreOptions so;
  so.dir = dir;
  so.sync = sync;
  if (totals) {
    so.wrap = [totals, detail](std::unique_ptr<store::WriteTarget> inner) -> std::unique_ptr<store::WriteTarget> {
      return std::make_unique<TimedTarget>(std::move(inner), totals, detail);
    };
  }
  Result<std::unique_ptr<store::StateStore>> s = store::StateStore::Open(so, nullptr);
  if (!s.ok()) Die(s.status().message());
  return std::move(*s);
}

void RequireEmpty(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) Die(dir + " is not empty: ingest and build start from nothing");
}

Time WallNow() {
  return Time(std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch()));
}

// --- commands ---

int RunFsync(const Options& o) {
  fs::create_directories(o.dir);
  const std::string path = o.dir + "/fsync-probe";
  std::vector<char> page(4096, 'x');
  auto measure = [&](bool data_only) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) Die("cannot create " + path);
    std::vector<double> us;
    for (size_t i = 0; i < o.count; ++i) {
      const auto start = Steady::now();
      if (::write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size())) Die("write failed");
      if ((data_only ? ::fdatasync(fd) : ::fsync(fd)) != 0) Die("sync failed");
      us.push_back(Seconds(Steady::now() - start) * 1e6);
    }
    ::close(fd);
    return us;
  };
  const std::vector<double> fdatasync_us = measure(true);
  const std::vector<double> fsync_us = measure(false);
  fs::remove(path);
  std::printf("%zu appends of 4 KiB, each synced:\n", o.count);
  std::printf("  fdatasync: p50 %.0f µs, p90 %.0f µs, p99 %.0f µs\n", Percentile(fdatasync_us, 0.5),
              Percentile(fdatasync_us, 0.9), Percentile(fdatasync_us, 0.99));
  std::printf("  fsync:     p50 %.0f µs, p90 %.0f µs, p99 %.0f µs\n", Percentile(fsync_us, 0.5),
              Percentile(fsync_us, 0.9), Percentile(fsync_us, 0.99));
  std::printf(
      "RESULT {\"count\":%zu,\"fdatasync_p50_us\":%.0f,\"fdatasync_p99_us\":%.0f,\"fsync_p50_us\":%.0f,"
      "\"fsync_p99_us\":%.0f}\n",
      o.count, Percentile(fdatasync_us, 0.5), Percentile(fdatasync_us, 0.99), Percentile(fsync_us, 0.5),
      Percentile(fsync_us, 0.99));
  return 0;
}

struct LoadFigures {
  size_t alerts = 0, ticks = 0;
  Steady::duration total{}, engine{}, commit{};  // wall time
  Steady::duration engine_cpu{}, commit_cpu{};   // the thread's CPU time
  std::vector<double> commit_us;                 // per tick
  double cpu_seconds = 0;
  double json_bytes = 0;
};

// Feeds o.alerts new alerts to `engine`, one tick of o.tick at a time, committing each. With `prebuild`, every batch
// is built before the first tick (ingest); otherwise each just before its tick, untimed (build: 1 M at once would
// double the memory).
LoadFigures Load(const Options& o, engine::Engine& engine, store::StateStore& st, Time* now, bool prebuild) {
  LoadFigures f;
  std::vector<AlertBatch> batches;
  if (prebuild) {
    for (size_t j = 0; j < o.alerts; j += o.tick) {
      batches.push_back(BuildBatch(j, std::min(o.tick, o.alerts - j), o.incidents, *now));
    }
  }
  const double cpu_start = ProcessCpuSeconds();
  for (size_t j = 0, t = 0; j < o.alerts; j += o.tick, ++t) {
    AlertBatch built;
    if (!prebuild) built = BuildBatch(j, std::min(o.tick, o.alerts - j), o.incidents, *now);
    const AlertBatch& batch = prebuild ? batches[t] : built;
    if (t == 0) f.json_bytes = JsonBytesPerAlert(batch);
    const auto start = Steady::now();
    const auto cpu0 = ThreadCpu();
    const engine::BatchResult r = engine.Apply(batch, *now);
    engine.Advance(*now);
    const std::vector<Notification> decided = engine.TakeNotifications();
    const auto applied = Steady::now();
    const auto cpu1 = ThreadCpu();
    const Status s = st.Commit(engine, decided, *now);
    const auto committed = Steady::now();
    const auto cpu2 = ThreadCpu();
    f.engine_cpu += cpu1 - cpu0;
    f.commit_cpu += cpu2 - cpu1;
    if (!s.ok()) Die(s.message());
    if (r.new_alerts != batch.size()) Die("an alert of the benchmark was not new");
    f.engine += applied - start;
    f.commit += committed - applied;
    f.commit_us.push_back(Seconds(committed - applied) * 1e6);
    f.alerts += batch.size();
    ++f.ticks;
    *now += kPerAlert * batch.size();
    if (prebuild) batches[t] = AlertBatch();  // freed as the daemon frees a batch after its tick
  }
  f.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  f.total = f.engine + f.commit;
  return f;
}

int RunIngest(const Options& o) {
  RequireEmpty(o.dir);
  TimedTarget::Totals writes;
  std::unique_ptr<store::StateStore> st = OpenStore(o.dir, o.sync, &writes, o.detail);
  engine::Engine engine(engine::EngineOptions{}, MakeRules(o.rules));
  Time now = WallNow();
  store::RecoveredOutbox outbox;
  store::RecoveryStats stats;
  if (Status s = st->Recover(engine, now, &outbox, &stats); !s.ok()) Die(s.message());
  writes = {};
  const LoadFigures f = Load(o, engine, *st, &now, /*prebuild=*/true);
  const double total = Seconds(f.total), n = static_cast<double>(f.alerts);
  const double write = Seconds(writes.write);
  const double encode = Seconds(f.commit) - write;
  std::printf("%zu new alerts (%.0f B as JSON), ticks of %zu, sync %s, rules %s: %zu incidents\n", f.alerts,
              f.json_bytes, o.tick, o.sync ? "on" : "off", o.rules ? "group" : "none", engine.incidents().size());
  std::printf("  %.0f alerts/s over the ticks' wall time (%.2f s); process CPU %.2f µs/alert\n", n / total, total,
              f.cpu_seconds / n * 1e6);
  std::printf("  engine (Apply + Advance) %.2f µs/alert, %.0f %%\n", Seconds(f.engine) / n * 1e6,
              100 * Seconds(f.engine) / total);
  std::printf("  Commit %.2f µs/alert, %.0f %%: encoding %.2f µs, RocksDB Write %.2f µs", Seconds(f.commit) / n * 1e6,
              100 * Seconds(f.commit) / total, encode / n * 1e6, write / n * 1e6);
  if (o.detail) {
    std::printf(" (WAL %.2f, memtables %.2f)", static_cast<double>(writes.wal_ns) / n / 1e3,
                static_cast<double>(writes.memtable_ns) / n / 1e3);
  }
  std::printf("\n");
  const double write_cpu = Seconds(writes.write_cpu), encode_cpu = Seconds(f.commit_cpu) - write_cpu;
  std::printf("  CPU per alert: engine %.2f µs, Commit %.2f µs = encoding %.2f + RocksDB Write %.2f\n",
              Seconds(f.engine_cpu) / n * 1e6, Seconds(f.commit_cpu) / n * 1e6, encode_cpu / n * 1e6,
              write_cpu / n * 1e6);
  std::printf(
      "  the daemon's split: engine thread (engine + encoding) %.2f µs, writer thread (Write) %.2f µs: at most "
      "%.0f alerts/s if each had a core and nothing waited for the disk\n",
      (Seconds(f.engine_cpu) + encode_cpu) / n * 1e6, write_cpu / n * 1e6,
      n / std::max(Seconds(f.engine_cpu) + encode_cpu, write_cpu));
  std::printf("  Commit per tick: p50 %.0f µs, p99 %.0f µs; %.0f B written per alert\n", Percentile(f.commit_us, 0.5),
              Percentile(f.commit_us, 0.99), static_cast<double>(writes.bytes) / n);
  std::printf(
      "RESULT "
      "{\"tick\":%zu,\"sync\":%s,\"rules\":\"%s\",\"alerts\":%zu,\"alerts_per_s\":%.0f,\"cpu_us_per_alert\":%.2f,"
      "\"engine_us_per_alert\":%.2f,\"commit_us_per_alert\":%.2f,\"encode_us_per_alert\":%.2f,"
      "\"write_us_per_alert\":%.2f,\"wal_us_per_alert\":%.2f,\"memtable_us_per_alert\":%.2f,\"commit_share\":%.3f,"
      "\"commit_p50_us\":%.0f,\"commit_p99_us\":%.0f,\"bytes_per_alert\":%.0f,\"json_bytes\":%.0f,"
      "\"engine_cpu_us_per_alert\":%.2f,\"commit_cpu_us_per_alert\":%.2f,\"encode_cpu_us_per_alert\":%.2f,"
      "\"write_cpu_us_per_alert\":%.2f}\n",
      o.tick, o.sync ? "true" : "false", o.rules ? "group" : "none", f.alerts, n / total, f.cpu_seconds / n * 1e6,
      Seconds(f.engine) / n * 1e6, Seconds(f.commit) / n * 1e6, encode / n * 1e6, write / n * 1e6,
      static_cast<double>(writes.wal_ns) / n / 1e3, static_cast<double>(writes.memtable_ns) / n / 1e3,
      Seconds(f.commit) / total, Percentile(f.commit_us, 0.5), Percentile(f.commit_us, 0.99),
      static_cast<double>(writes.bytes) / n, f.json_bytes, Seconds(f.engine_cpu) / n * 1e6,
      Seconds(f.commit_cpu) / n * 1e6, encode_cpu / n * 1e6, write_cpu / n * 1e6);
  return 0;
}

int RunBuild(const Options& o) {
  RequireEmpty(o.dir);
  std::unique_ptr<store::StateStore> st = OpenStore(o.dir, o.sync, nullptr);
  engine::Engine engine(engine::EngineOptions{}, MakeRules(o.rules));
  Time now = WallNow();
  store::RecoveredOutbox outbox;
  store::RecoveryStats stats;
  if (Status s = st->Recover(engine, now, &outbox, &stats); !s.ok()) Die(s.message());
  const auto start = Steady::now();
  const LoadFigures f = Load(o, engine, *st, &now, /*prebuild=*/false);
  const double wall = Seconds(Steady::now() - start);
  const uint64_t disk = st->DiskBytes();
  const uint64_t rss = ProcStatus("VmRSS");
  const size_t alerts = engine.alerts().size(), firing = engine.alerts().firing(),
               incidents = engine.incidents().size();
  engine.TrackChanges(nullptr);  // the engine writes into the store's EngineChanges: not after the store is gone
  const auto close_start = Steady::now();
  st.reset();
  const double close = Seconds(Steady::now() - close_start);
  std::printf("built %zu alerts (%zu firing, %.0f B as JSON) in %zu incidents, ticks of %zu, in %.1f s\n", alerts,
              firing, f.json_bytes, incidents, o.tick, wall);
  std::printf("  DiskBytes right after the load: %.1f MB, %.0f B per alert; RSS %.0f MB; closed in %.2f s\n",
              static_cast<double>(disk) / 1e6, static_cast<double>(disk) / static_cast<double>(alerts),
              static_cast<double>(rss) / 1e6, close);
  std::printf(
      "RESULT {\"alerts\":%zu,\"firing\":%zu,\"incidents\":%zu,\"seconds\":%.1f,\"disk_bytes\":%lu,"
      "\"disk_bytes_per_alert\":%.0f,\"rss_bytes\":%lu,\"close_seconds\":%.2f}\n",
      alerts, firing, incidents, wall, static_cast<unsigned long>(disk),
      static_cast<double>(disk) / static_cast<double>(alerts), static_cast<unsigned long>(rss), close);
  return 0;
}

// Calls fn(path) for every regular file under dir.
template <typename Fn>
void ForEachFile(const std::string& dir, Fn&& fn) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) fn(e.path().string());
  }
}

// Bytes of dir's files in the page cache (mincore).
uint64_t ResidentBytes(const std::string& dir) {
  uint64_t resident = 0;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  ForEachFile(dir, [&](const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
      const size_t size = static_cast<size_t>(st.st_size);
      void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (p != MAP_FAILED) {
        std::vector<unsigned char> v((size + page - 1) / page);
        if (mincore(p, size, v.data()) == 0) {
          for (unsigned char c : v) resident += (c & 1) ? page : 0;
        }
        munmap(p, size);
      }
    }
    ::close(fd);
  });
  return resident;
}

// Writes dir's files back and, if evict, drops them from the page cache.
void SyncFiles(const std::string& dir, bool evict) {
  ForEachFile(dir, [&](const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) Die("cannot open " + path);
    if (::fsync(fd) != 0) Die("cannot sync " + path);
    if (evict) ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  });
}

int RunEvict(const Options& o) {
  const uint64_t before = ResidentBytes(o.dir);
  SyncFiles(o.dir, /*evict=*/true);
  const uint64_t after = ResidentBytes(o.dir);
  std::printf("page cache: %.1f MB of %s before, %.1f MB after\n", static_cast<double>(before) / 1e6, o.dir.c_str(),
              static_cast<double>(after) / 1e6);
  std::printf("RESULT {\"resident_before\":%lu,\"resident_after\":%lu}\n", static_cast<unsigned long>(before),
              static_cast<unsigned long>(after));
  return 0;
}

int RunRecover(const Options& o) {
  if (!o.from.empty()) {
    fs::remove_all(o.dir);
    fs::create_directories(fs::path(o.dir).parent_path());
    fs::copy(o.from, o.dir, fs::copy_options::recursive);
  }
  SyncFiles(o.dir, o.cold);
  const uint64_t resident = ResidentBytes(o.dir);
  uint64_t wal = 0, files = 0;
  ForEachFile(o.dir, [&](const std::string& p) {
    files += fs::file_size(p);
    if (p.ends_with(".log")) wal += fs::file_size(p);
  });
  const uint64_t rss_before = ProcStatus("VmRSS");
  const double cpu_start = ProcessCpuSeconds();
  const auto start = Steady::now();
  std::unique_ptr<store::StateStore> st = OpenStore(o.dir, true, nullptr);
  const auto opened = Steady::now();
  engine::Engine engine(engine::EngineOptions{}, MakeRules(o.rules));
  store::RecoveredOutbox outbox;
  store::RecoveryStats stats;
  if (Status s = st->Recover(engine, WallNow(), &outbox, &stats); !s.ok()) Die(s.message());
  const auto recovered = Steady::now();
  const double cpu = ProcessCpuSeconds() - cpu_start;
  const uint64_t rss = ProcStatus("VmRSS"), hwm = ProcStatus("VmHWM");
  const struct mallinfo2 mi = mallinfo2();
  const uint64_t disk = st->DiskBytes();
  const double open_s = Seconds(opened - start), recover_s = Seconds(recovered - opened);
  std::printf("%s start: %.1f MB of files (%.1f MB write-ahead log), %.1f MB of them in the page cache\n",
              o.cold ? "cold" : "warm", static_cast<double>(files) / 1e6, static_cast<double>(wal) / 1e6,
              static_cast<double>(resident) / 1e6);
  std::printf(
      "  Open %.2f s + Recover %.2f s = %.2f s (CPU %.2f s): %zu alerts, %zu incidents, %zu members, %zu "
      "timeline entries\n",
      open_s, recover_s, open_s + recover_s, cpu, stats.alerts, stats.incidents, stats.members, stats.timeline);
  std::printf(
      "  RSS after %.0f MB (%.0f B per alert; peak %.0f MB), heap %.0f MB; DiskBytes after %.1f MB (%.0f B per "
      "alert)\n",
      static_cast<double>(rss) / 1e6, static_cast<double>(rss - rss_before) / static_cast<double>(stats.alerts),
      static_cast<double>(hwm) / 1e6, static_cast<double>(mi.uordblks + mi.hblkhd) / 1e6,
      static_cast<double>(disk) / 1e6, static_cast<double>(disk) / static_cast<double>(stats.alerts));
  std::printf(
      "RESULT {\"cold\":%s,\"files_bytes\":%lu,\"wal_bytes\":%lu,\"resident_bytes\":%lu,\"open_s\":%.3f,"
      "\"recover_s\":%.3f,\"total_s\":%.3f,\"cpu_s\":%.3f,\"alerts\":%zu,\"incidents\":%zu,\"rss_bytes\":%lu,"
      "\"hwm_bytes\":%lu,\"disk_bytes\":%lu}\n",
      o.cold ? "true" : "false", static_cast<unsigned long>(files), static_cast<unsigned long>(wal),
      static_cast<unsigned long>(resident), open_s, recover_s, open_s + recover_s, cpu, stats.alerts, stats.incidents,
      static_cast<unsigned long>(rss), static_cast<unsigned long>(hwm), static_cast<unsigned long>(disk));
  std::fflush(stdout);
  std::_Exit(0);  // tearing down 1 M alerts would only cost time
}

// The store's RocksDB options as far as compaction's output depends on them (state_store.cc, StateStore::Open).
rocksdb::ColumnFamilyOptions StoreLikeFamilyOptions() {
  rocksdb::ColumnFamilyOptions cfo;
  cfo.write_buffer_size = 64 << 20;
  cfo.compression = rocksdb::kLZ4Compression;
  cfo.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 << 10;
  cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cfo;
}

int RunCompact(const Options& o) {
  rocksdb::DBOptions dbo;
  dbo.max_background_jobs = 2;
  std::vector<std::string> names;
  rocksdb::Status st = rocksdb::DB::ListColumnFamilies(dbo, o.dir, &names);
  if (!st.ok()) Die(st.ToString());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& n : names) families.emplace_back(n, StoreLikeFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  st = rocksdb::DB::Open(dbo, o.dir, families, &handles, &raw);
  if (!st.ok()) Die(st.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  auto sizes = [&](const char* when) {
    std::printf("%s:", when);
    for (size_t i = 0; i < handles.size(); ++i) {
      uint64_t sst = 0, keys = 0;
      db->GetIntProperty(handles[i], "rocksdb.total-sst-files-size", &sst);
      db->GetIntProperty(handles[i], "rocksdb.estimate-num-keys", &keys);
      std::printf(" %s %.1f MB (%lu keys)", names[i].c_str(), static_cast<double>(sst) / 1e6,
                  static_cast<unsigned long>(keys));
    }
    std::printf("\n");
  };
  sizes("opened (write-ahead log replayed)");
  const auto start = Steady::now();
  rocksdb::CompactRangeOptions cro;
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    if (st = db->Flush(rocksdb::FlushOptions(), h); !st.ok()) Die(st.ToString());
    if (st = db->CompactRange(cro, h, nullptr, nullptr); !st.ok()) Die(st.ToString());
  }
  std::printf("flushed and compacted in %.1f s\n", Seconds(Steady::now() - start));
  sizes("compacted");
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
  db->Close();
  db.reset();
  std::unique_ptr<store::StateStore> s = OpenStore(o.dir, true, nullptr);
  const uint64_t disk = s->DiskBytes();
  std::printf("DiskBytes after compaction: %.1f MB\nRESULT {\"disk_bytes\":%lu}\n", static_cast<double>(disk) / 1e6,
              static_cast<unsigned long>(disk));
  return 0;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) {
  using namespace incidentd::bench;
  Options o;
  std::string error;
  if (!ParseOptions(argc, argv, &o, &error)) {
    std::fprintf(stderr, "store_bench: %s\n\n", error.c_str());
    PrintUsage(stderr);
    return 2;
  }
  if (o.help) {
    PrintUsage(stdout);
    return 0;
  }
  if (o.command == "fsync") return RunFsync(o);
  if (o.command == "ingest") return RunIngest(o);
  if (o.command == "build") return RunBuild(o);
  if (o.command == "recover") return RunRecover(o);
  if (o.command == "compact") return RunCompact(o);
  if (o.command == "evict") return RunEvict(o);
  std::fprintf(stderr, "store_bench: unknown command %s\n\n", o.command.c_str());
  PrintUsage(stderr);
  return 2;
}
