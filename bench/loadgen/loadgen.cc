// incidentd-loadgen: HTTP load generator for incidentd's alert ingestion endpoints. See --help.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "alerts.h"
#include "connection.h"
#include "options.h"
#include "stats.h"

namespace incidentd::bench {
namespace {

namespace asio = boost::asio;

double ClientCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// utime + stime of a process from /proc/PID/stat (fields 14 and 15), in seconds.
std::optional<double> ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  const size_t paren = line.rfind(')');  // the command name may contain spaces and parentheses
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(paren + 1));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  if (!fields) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void BenchGenerator(const BodyGenerator& generator, size_t batch) {
  BodyGenerator::Scratch scratch;
  uint64_t seq = 0;
  uint64_t bytes = 0;
  uint64_t checksum = 0;
  const double cpu0 = ClientCpuSeconds();
  const auto t0 = Clock::now();
  const auto until = t0 + std::chrono::seconds(2);
  while (Clock::now() < until) {
    for (int i = 0; i < 64; ++i) {
      const BodyParts body = generator.Build(seq, batch, &scratch);
      // Touch every piece once, as the kernel's copy would, so zero-copy modes are not measured as free.
      for (const auto& part : body.parts) {
        for (size_t i = 0; i < part.size(); i += 64) checksum += static_cast<unsigned char>(part[i]);
      }
      seq += batch;
      bytes += body.size;
    }
  }
  const double secs = Seconds(Clock::now() - t0);
  std::printf("generation: %.0f alerts/s, %.0f requests/s, %.1f MB/s of body at batch %zu (%.2f s, cpu %.2f s)\n",
              static_cast<double>(seq) / secs, static_cast<double>(seq / batch) / secs,
              static_cast<double>(bytes) / secs / 1e6, batch, secs, ClientCpuSeconds() - cpu0);
  if (checksum == 1) std::printf("\n");  // keeps the reads above from being optimized away
}

int Run(const Options& options, const Target& target) {
  GeneratorConfig config;
  config.format = options.format;
  config.mode = options.mode;
  config.pool = options.pool;
  config.seed = options.seed;
  const BodyGenerator generator(config);

  std::printf("incidentd-loadgen: POST http://%s%s format=%s mode=%s batch=%zu connections=%zu threads=%d rate=%s\n",
              target.host_header.c_str(), target.path.c_str(), FormatName(options.format), ModeName(options.mode),
              options.batch, options.connections, options.threads,
              options.rate > 0 ? std::to_string(static_cast<uint64_t>(options.rate)).c_str() : "max");
  std::printf("alert size: avg %.1f bytes (min %zu, max %zu) over %zu pre-rendered %s\n", generator.AverageAlertBytes(),
              generator.MinAlertBytes(), generator.MaxAlertBytes(), generator.NumTemplates(),
              options.mode == Mode::kKnown ? "pool alerts" : "templates");
  std::fflush(stdout);

  if (!options.dump_body.empty()) {
    BodyGenerator::Scratch scratch;
    const BodyParts body = generator.Build(0, options.batch, &scratch);
    std::ofstream out(options.dump_body, std::ios::binary);
    for (const auto& part : body.parts) out << part;
    if (!out) {
      std::fprintf(stderr, "incidentd-loadgen: error: cannot write %s\n", options.dump_body.c_str());
      return 1;
    }
    std::printf("wrote %zu bytes (%zu alerts) to %s\n", body.size, options.batch, options.dump_body.c_str());
    return 0;
  }
  if (options.bench_gen) {
    BenchGenerator(generator, options.batch);
    return 0;
  }
  if (options.server_pid != 0 && !ProcessCpuSeconds(options.server_pid)) {
    std::fprintf(stderr, "incidentd-loadgen: error: cannot read /proc/%d/stat\n", options.server_pid);
    return 2;
  }

  RunState run;
  run.generator = &generator;
  run.target = target;
  run.header_prefix = "POST " + target.path + " HTTP/1.1\r\nHost: " + target.host_header +
                      "\r\nUser-Agent: incidentd-loadgen\r\nContent-Type: application/json\r\nContent-Length: ";
  run.batch = options.batch;
  run.max_alerts = options.count == 0 ? UINT64_MAX : options.count;
  run.connections = options.connections;
  // Each request carries `batch` alerts, so each connection owes one request every connections*batch/rate seconds.
  run.interval_ns =
      options.rate > 0 ? static_cast<double>(options.connections * options.batch) * 1e9 / options.rate : 0;

  const size_t num_threads = static_cast<size_t>(options.threads);
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<std::unique_ptr<Stats>> stats;
  for (size_t t = 0; t < num_threads; ++t) {
    ios.push_back(std::make_unique<asio::io_context>(1));
    stats.push_back(std::make_unique<Stats>());
  }
  // Declared after ios so sockets are destroyed before their io_context.
  std::vector<std::unique_ptr<Connection>> connections;
  for (size_t i = 0; i < options.connections; ++i) {
    connections.push_back(std::make_unique<Connection>(*ios[i % num_threads], run, *stats[i % num_threads], i));
  }

  using std::chrono::duration_cast;
  using std::chrono::nanoseconds;
  run.start = Clock::now();
  run.warmup_end = run.start + duration_cast<nanoseconds>(std::chrono::duration<double>(options.warmup));
  run.run_end = run.warmup_end + duration_cast<nanoseconds>(std::chrono::duration<double>(options.duration));
  const auto hard_end = run.run_end + duration_cast<nanoseconds>(std::chrono::duration<double>(options.drain_timeout));

  for (size_t i = 0; i < connections.size(); ++i) {
    asio::post(*ios[i % num_threads], [c = connections[i].get()] { c->Start(); });
  }
  std::atomic<size_t> running{num_threads};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < num_threads; ++t) {
    threads.emplace_back([&, t] {
      try {
        ios[t]->run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "incidentd-loadgen: io thread %zu: %s\n", t, e.what());
      }
      running.fetch_sub(1);
      run.Notify();
    });
  }

  // Control loop: snapshot CPU at the window start, wake sleeping connections once the run must stop, and cut
  // in-flight requests that outlive the drain timeout.
  double client_cpu0 = 0;
  std::optional<double> server_cpu0;
  bool window_started = false;
  bool stop_sent = false;
  bool timed_out = false;
  {
    std::unique_lock<std::mutex> lock(run.mu);
    for (;;) {
      const auto now = Clock::now();
      if (!window_started && (now >= run.warmup_end || running.load() == 0)) {
        window_started = true;
        client_cpu0 = ClientCpuSeconds();
        if (options.server_pid != 0) server_cpu0 = ProcessCpuSeconds(options.server_pid);
      }
      if (running.load() == 0) break;
      if (!stop_sent && (run.stop.load() || now >= run.run_end)) {
        stop_sent = true;
        run.stop.store(true);
        for (size_t i = 0; i < connections.size(); ++i) {
          asio::post(*ios[i % num_threads], [c = connections[i].get()] { c->Abort(); });
        }
      }
      if (now >= hard_end) {
        timed_out = true;
        for (auto& io : ios) io->stop();
        break;
      }
      const auto next = !window_started ? run.warmup_end : !stop_sent ? run.run_end : hard_end;
      run.cv.wait_until(lock, std::min(next, now + std::chrono::milliseconds(100)));
    }
  }
  for (auto& th : threads) th.join();
  const double client_cpu = ClientCpuSeconds() - client_cpu0;
  std::optional<double> server_cpu;
  if (server_cpu0) {
    if (const auto after = ProcessCpuSeconds(options.server_pid)) server_cpu = *after - *server_cpu0;
  }

  Stats total;
  for (const auto& s : stats) total.Merge(*s);
  size_t unfinished = 0;
  if (timed_out) {
    for (const auto& c : connections) unfinished += c->in_flight() ? 1 : 0;
  }

  const double seconds = total.requests > 0 ? Seconds(total.last_completion - run.warmup_end) : 0.0;
  auto per_s = [seconds](uint64_t n) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; };
  uint64_t ok_2xx = 0;
  uint64_t non_2xx = 0;
  std::string status_json;
  std::string status_human;
  for (size_t code = 0; code < total.status.size(); ++code) {
    const uint64_t n = total.status[code];
    if (n == 0) continue;
    (code >= 200 && code < 300 ? ok_2xx : non_2xx) += n;
    status_json += (status_json.empty() ? "\"" : ",\"") + std::to_string(code) + "\":" + std::to_string(n);
    status_human += " " + std::to_string(code) + "=" + std::to_string(n);
  }
  const uint64_t backpressure = total.status[503];
  const LatencyHistogram& h = total.latency;
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  const double p50 = us(h.Quantile(0.50)), p90 = us(h.Quantile(0.90)), p99 = us(h.Quantile(0.99));
  const double max_us = us(h.Max()), mean_us = h.Mean() / 1000.0;

  std::printf("---\n");
  std::printf("measured window: %.3f s (after %.1f s warmup%s)\n", seconds, options.warmup,
              timed_out ? ", drain timed out" : "");
  std::printf("requests: %llu (%.1f/s)   alerts: %llu, accepted %llu (%.1f alerts/s)\n",
              static_cast<unsigned long long>(total.requests), per_s(total.requests),
              static_cast<unsigned long long>(total.alerts), static_cast<unsigned long long>(total.accepted_alerts),
              per_s(total.accepted_alerts));
  std::printf("status:%s   (2xx %llu, non-2xx %llu, of which 503 backpressure %llu)\n",
              status_human.empty() ? " none" : status_human.c_str(), static_cast<unsigned long long>(ok_2xx),
              static_cast<unsigned long long>(non_2xx), static_cast<unsigned long long>(backpressure));
  std::printf("errors: %llu request errors, %llu connect errors, %llu reconnects, %zu unfinished\n",
              static_cast<unsigned long long>(total.errors), static_cast<unsigned long long>(total.connect_errors),
              static_cast<unsigned long long>(total.reconnects), unfinished);
  if (options.rate > 0) {
    std::printf("schedule: %llu requests missed their send slot%s\n",
                static_cast<unsigned long long>(total.missed_requests),
                total.missed_requests > 0 ? " (target rate not reached)" : "");
  }
  std::printf("latency us: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f\n", p50, p90, p99, max_us, mean_us);
  std::printf("total incl. warmup: %llu requests, %llu alerts\n", static_cast<unsigned long long>(total.total_requests),
              static_cast<unsigned long long>(total.total_alerts));
  std::printf("client cpu: %.3f s", client_cpu);
  if (total.alerts > 0) std::printf(" (%.3f us/alert)", client_cpu * 1e6 / static_cast<double>(total.alerts));
  std::printf("\n");
  if (server_cpu) {
    std::printf("server cpu: %.3f s", *server_cpu);
    if (total.accepted_alerts > 0) {
      std::printf(" (%.3f us/alert)", *server_cpu * 1e6 / static_cast<double>(total.accepted_alerts));
    }
    std::printf("\n");
  }
  if (total.requests == 0 && total.total_requests > 0) {
    std::printf("warning: every response belonged to the warmup; lower --warmup or raise --count/--duration\n");
  }

  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "RESULT {\"format\":\"%s\",\"mode\":\"%s\",\"batch\":%zu,\"connections\":%zu,\"threads\":%d,"
                "\"rate_target\":%.0f,\"avg_alert_bytes\":%.1f,\"requests\":%llu,\"alerts\":%llu,"
                "\"accepted_alerts\":%llu,\"seconds\":%.6f,\"alerts_per_s\":%.1f,\"requests_per_s\":%.1f,"
                "\"sent_alerts_per_s\":%.1f,",
                FormatName(options.format), ModeName(options.mode), options.batch, options.connections, options.threads,
                options.rate, generator.AverageAlertBytes(), static_cast<unsigned long long>(total.requests),
                static_cast<unsigned long long>(total.alerts), static_cast<unsigned long long>(total.accepted_alerts),
                seconds, per_s(total.accepted_alerts), per_s(total.requests), per_s(total.alerts));
  std::string result = buf;
  result += "\"status\":{" + status_json + "},";
  std::snprintf(
      buf, sizeof(buf),
      "\"backpressure_503\":%llu,\"non_2xx\":%llu,\"errors\":%llu,\"connect_errors\":%llu,"
      "\"reconnects\":%llu,\"missed_requests\":%llu,\"unfinished\":%zu,\"latency_p50_us\":%.1f,\"latency_p90_us\":%.1f,"
      "\"latency_p99_us\":%.1f,\"latency_max_us\":%.1f,\"latency_mean_us\":%.1f,\"client_cpu_seconds\":%.3f",
      static_cast<unsigned long long>(backpressure), static_cast<unsigned long long>(non_2xx),
      static_cast<unsigned long long>(total.errors), static_cast<unsigned long long>(total.connect_errors),
      static_cast<unsigned long long>(total.reconnects), static_cast<unsigned long long>(total.missed_requests),
      unfinished, p50, p90, p99, max_us, mean_us, client_cpu);
  result += buf;
  if (server_cpu) {
    const double per_alert =
        total.accepted_alerts > 0 ? *server_cpu * 1e6 / static_cast<double>(total.accepted_alerts) : 0.0;
    std::snprintf(buf, sizeof(buf), ",\"server_cpu_seconds\":%.3f,\"server_cpu_us_per_alert\":%.4f", *server_cpu,
                  per_alert);
    result += buf;
  }
  result += "}";
  std::printf("%s\n", result.c_str());
  return total.requests > 0 ? 0 : 1;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) {
  using namespace incidentd::bench;
  Options options;
  std::string error;
  if (!ParseOptions(argc, argv, &options, &error)) {
    std::fprintf(stderr, "incidentd-loadgen: error: %s\n", error.c_str());
    return 2;
  }
  if (options.help) {
    PrintUsage(stdout);
    return 0;
  }
  if (options.format == Format::kPagerDuty) {
    if (options.batch_set && options.batch != 1) {
      std::fprintf(stderr, "incidentd-loadgen: note: --format pagerduty sends one event per request, using batch 1\n");
    }
    options.batch = 1;
  }
  if (options.url.empty()) {
    options.url = options.format == Format::kPrometheus ? "http://127.0.0.1:9093/api/v2/alerts"
                                                        : "http://127.0.0.1:9093/v2/enqueue";
  }
  Target target;
  if (!ResolveLoopbackUrl(options.url, options.format, &target, &error)) {
    std::fprintf(stderr, "incidentd-loadgen: error: %s\n", error.c_str());
    return 2;
  }
  return Run(options, target);
}
