// notify_bench: how fast the outbox delivers notifications to a receiver on loopback. See --help.
//
// It builds what the daemon builds — real pagers (pagers::MakePager), an HttpClient and an Outbox on one io_context
// run by --threads threads — points the receiver at a sink in this process (a minimal Beast keep-alive server on
// 127.0.0.1, port 0, with its own threads, answering 202 at once and keeping nothing), enqueues --count
// notifications spread over --incidents incidents, and times until the outbox is empty (Outbox::depth() == 0).
// One incident is one lane, sent one request at a time: that run shows a request's round trip.
//
// The reference modes split the cost: `client` sends the same number of pre-rendered requests through the
// HttpClient alone (at most --max-in-flight at once), `render` only renders them on one thread.
//
// Output: a summary, then one line "RESULT {json}". Exit status 0 when every notification was delivered in time.
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bench_args.h"
#include "fast_sink.h"
#include "incidentd/clock.h"
#include "incidentd/notification.h"
#include "notify/http_client.h"
#include "notify/outbox.h"
#include "observability/metrics.h"
#include "pagers/pager.h"

namespace incidentd::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::string mode = "outbox";  // outbox | client | render
  std::string receiver_type = "webhook";
  size_t count = 20000;
  size_t incidents = 1000;
  int threads = 2;       // the io_context's threads (the daemon's default io_threads)
  int sink_threads = 1;  // the sink's own threads
  size_t max_in_flight = 512;
  size_t connections = 16;  // HttpClient max_connections_per_origin (notify.max_connections_per_host)
  size_t chunk = 100;       // notifications per Outbox::Enqueue call
  double max_seconds = 60;
  bool help = false;
};

void PrintUsage(std::FILE* out) {
  std::fputs(
      "Usage: notify_bench [options]\n"
      "\n"
      "Delivers notifications through the real pagers, HttpClient and Outbox to a sink on 127.0.0.1 in this\n"
      "process, and reports notifications/s and CPU time per notification.\n"
      "\n"
      "  --mode M             outbox (default): Outbox::Enqueue, timed until depth() == 0.\n"
      "                       client: the same requests, pre-rendered, through HttpClient::Send alone, at most\n"
      "                       --max-in-flight at once. render: Pager::Render only, on one thread, no network.\n"
      "  --receiver-type T    webhook (default) or pagerduty (its rate limit is set to 0: no limit).\n"
      "  --count N            notifications, 1..10000000. Default 20000.\n"
      "  --incidents M        incidents they are spread over (notification i is for incident i % M), 1..N.\n"
      "                       One incident is one lane: its notifications go one at a time. Default 1000.\n"
      "  --threads T          threads running the outbox's io_context, 1..64. Default 2.\n"
      "  --sink-threads S     threads of the sink, 1..64. Default 1.\n"
      "  --max-in-flight K    OutboxOptions::max_in_flight, 1..100000. Default 512.\n"
      "  --connections C      HttpClient connections to the sink, 1..1024. Default 16.\n"
      "  --chunk K            notifications per Enqueue call, 1..N. Default 100.\n"
      "  --max-seconds S      give up after S seconds (exit 1). Default 60.\n"
      "\n"
      "Output: a summary, then \"RESULT {json}\": notifications, seconds (first Enqueue to depth() == 0),\n"
      "per_s, enqueue_seconds, process_cpu_us_per_notification (getrusage, the whole process), io_cpu_us (the\n"
      "io_context's threads: pagers, outbox, client), sink_cpu_us (the sink's threads), delivered, dead_letters.\n",
      out);
}

bool ParseSize(std::string_view s, size_t lo, size_t hi, size_t* out) {
  size_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool ParseOptions(int argc, char** argv, Options* o, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg, value;
    if (!NextArg(argc, argv, &i, &arg, &value, error)) return false;
    if (arg == "--help") {
      o->help = true;
      return true;
    }
    size_t u = 0;
    bool ok = true;
    if (arg == "--mode") {
      o->mode = value;
      ok = value == "outbox" || value == "client" || value == "render";
    } else if (arg == "--receiver-type") {
      o->receiver_type = value;
      ok = value == "webhook" || value == "pagerduty";
    } else if (arg == "--count") {
      ok = ParseSize(value, 1, 10000000, &o->count);
    } else if (arg == "--incidents") {
      ok = ParseSize(value, 1, 10000000, &o->incidents);
    } else if (arg == "--threads") {
      ok = ParseSize(value, 1, 64, &u);
      o->threads = static_cast<int>(u);
    } else if (arg == "--sink-threads") {
      ok = ParseSize(value, 1, 64, &u);
      o->sink_threads = static_cast<int>(u);
    } else if (arg == "--max-in-flight") {
      ok = ParseSize(value, 1, 100000, &o->max_in_flight);
    } else if (arg == "--connections") {
      ok = ParseSize(value, 1, 1024, &o->connections);
    } else if (arg == "--chunk") {
      ok = ParseSize(value, 1, 10000000, &o->chunk);
    } else if (arg == "--max-seconds") {
      char* end = nullptr;
      o->max_seconds = std::strtod(value.c_str(), &end);
      ok = end != nullptr && *end == '\0' && o->max_seconds > 0 && o->max_seconds <= 3600;
    } else {
      *error = "unknown option " + arg;
      return false;
    }
    if (!ok) {
      *error = "bad value for " + arg + ": " + value;
      return false;
    }
  }
  if (o->incidents > o->count) o->incidents = o->count;
  return true;
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// CPU time of another thread of this process.
double ThreadCpuSeconds(std::thread& t) {
  clockid_t id;
  timespec ts{};
  if (pthread_getcpuclockid(t.native_handle(), &id) != 0 || clock_gettime(id, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double ThreadsCpuSeconds(std::vector<std::thread>& threads) {
  double sum = 0;
  for (auto& t : threads) sum += ThreadCpuSeconds(t);
  return sum;
}

// The receiver: a FastSink counting the requests it answered.
class Sink {
 public:
  explicit Sink(int threads)
      : sink_(threads, [this](std::string_view) { requests_.fetch_add(1, std::memory_order_relaxed); }) {}
  uint16_t port() const { return sink_.port(); }
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  double CpuSeconds() { return ThreadsCpuSeconds(sink_.threads()); }

 private:
  std::atomic<uint64_t> requests_{0};
  FastSink sink_;
};

// A realistic incident: 3 firing alerts of 10 labels and 2 annotations each, grouped by cluster and service.
std::shared_ptr<const IncidentSnapshot> MakeIncident(size_t i, Time now) {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  auto s = std::make_shared<IncidentSnapshot>();
  s->id = "01KB7Q2M3N";  // a ULID's time part, then 16 characters from i
  uint64_t v = i * 0x9E3779B97F4A7C15ULL + 1;
  for (int k = 0; k < 16; ++k, v >>= 5) s->id.push_back(kCrockford[v & 31]);
  const std::string cluster = "prod-eu-" + std::to_string(i % 7 + 1);
  const std::string service = "payments-api-" + std::to_string(i);
  s->rule = "kubernetes-workloads";
  s->title = service + " degraded in " + cluster;
  s->policy = "payments-oncall";
  s->state = IncidentState::kTriggered;
  s->priority = 2;
  s->group_labels = {{"cluster", cluster}, {"service", service}};
  s->created_at = now - std::chrono::minutes(3);
  s->alerts_firing = 3;
  s->alerts_total = 3;
  static constexpr const char* kAlertnames[] = {"HighErrorRate", "HighRequestLatency", "KubePodCrashLooping"};
  for (int a = 0; a < 3; ++a) {
    AlertSnapshot alert;
    alert.fingerprint = Fingerprint(v ^ (static_cast<uint64_t>(a + 1) * 0xff51afd7ed558ccdULL));
    alert.status = AlertStatus::kFiring;
    alert.starts_at = now - std::chrono::minutes(3 + a);
    const std::string pod = service + "-7d9f8b6c5" + std::to_string(a) + "-b2k9q";
    alert.labels = {
        {"alertname", kAlertnames[a]},
        {"cluster", cluster},
        {"env", "production"},
        {"instance", "10.4." + std::to_string(i % 250) + "." + std::to_string(10 + a) + ":8080"},
        {"job", "app"},
        {"namespace", "payments"},
        {"pod", pod},
        {"service", service},
        {"severity", a == 0 ? "critical" : "warning"},
        {"team", "payments"},
    };
    alert.annotations = {
        {"description", "The p99 latency of " + service + " in " + cluster + " has been above 500 ms for 10 minutes; " +
                            "pod " + pod + " restarted 4 times."},
        {"summary", std::string(kAlertnames[a]) + " on " + service},
    };
    alert.generator_url =
        "http://prometheus-0.prometheus.monitoring.svc:9090/graph?g0.expr=service%3Ahttp_errors%3Aratio_rate5m+%3E+0.05"
        "&g0.tab=1";
    s->alerts.push_back(std::move(alert));
  }
  return s;
}

std::vector<Notification> MakeNotifications(const Options& o, Time now) {
  std::vector<std::shared_ptr<const IncidentSnapshot>> incidents;
  incidents.reserve(o.incidents);
  for (size_t i = 0; i < o.incidents; ++i) incidents.push_back(MakeIncident(i, now));
  std::vector<Notification> list;
  list.reserve(o.count);
  for (size_t i = 0; i < o.count; ++i) {
    const auto& s = incidents[i % o.incidents];
    const uint32_t seq = static_cast<uint32_t>(i / o.incidents) + 1;
    Notification n;
    n.at = now;
    n.incident_id = s->id;
    n.receiver = "bench";
    n.event = seq == 1 ? NotifyEvent::kTriggered : NotifyEvent::kUpdated;
    n.state = s->state;
    n.priority = s->priority;
    n.title = s->title;
    n.seq = seq;
    n.step = 0;
    n.incident = s;
    list.push_back(std::move(n));
  }
  return list;
}

Result<std::unique_ptr<pagers::Pager>> MakeBenchPager(const Options& o, uint16_t port) {
  config::ReceiverConfig rc;
  rc.name = "bench";
  rc.type = o.receiver_type;
  rc.origin = "notify_bench:0";
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  if (o.receiver_type == "pagerduty") {
    rc.settings = {
        {"url", base + "/v2/enqueue"}, {"routing_key", "R0123456789ABCDEF0123456789ABCDE"}, {"rate_limit", "0"}};
  } else {
    rc.settings = {{"url", base + "/hooks/incidentd"}};
  }
  pagers::PagerContext context;
  context.external_url = "http://127.0.0.1:9093";
  return pagers::MakePager(rc, context);
}

struct Measure {
  double seconds = 0;
  double enqueue_seconds = 0;
  double process_cpu = 0;
  double io_cpu = 0;
  double sink_cpu = 0;
  uint64_t delivered = 0;
  size_t dead_letters = 0;
  bool timed_out = false;
};

// Renders every notification on this thread.
Measure RunRender(const Options& o, const pagers::Pager& pager, const std::vector<Notification>& list) {
  Measure m;
  size_t bytes = 0;
  const double cpu0 = ProcessCpuSeconds();
  const auto t0 = SteadyClock::now();
  for (const Notification& n : list) {
    std::optional<HttpRequest> r = pager.Render(n);
    if (r) bytes += r->body.size();
  }
  m.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  m.process_cpu = ProcessCpuSeconds() - cpu0;
  m.io_cpu = m.process_cpu;
  m.delivered = list.size();
  std::printf("rendered %zu requests, %.0f bytes of body on average\n", list.size(),
              static_cast<double>(bytes) / static_cast<double>(list.size()));
  return m;
}

// Sends every notification's request through the HttpClient alone, at most max_in_flight at once.
Measure RunClient(const Options& o, const pagers::Pager& pager, const std::vector<Notification>& list, Sink& sink) {
  std::vector<HttpRequest> requests;
  requests.reserve(list.size());
  for (const Notification& n : list) requests.push_back(*pager.Render(n));

  asio::io_context io(o.threads);
  auto work = asio::make_work_guard(io);
  notify::HttpClientOptions ho;
  ho.max_connections_per_origin = o.connections;
  ho.proxy_from_environment = false;
  notify::HttpClient client(io, ho);
  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i) threads.emplace_back([&io] { io.run(); });

  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<size_t> failed{0};
  std::function<void()> send_next = [&] {
    const size_t i = next.fetch_add(1);
    if (i >= requests.size()) return;
    client.Send(std::move(requests[i]), [&](Result<HttpResponse> r) {
      if (!r.ok() || r->status / 100 != 2) failed.fetch_add(1);
      done.fetch_add(1);
      send_next();
    });
  };

  Measure m;
  const auto deadline = SteadyClock::now() +
                        std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(o.max_seconds));
  const double cpu0 = ProcessCpuSeconds();
  const double io0 = ThreadsCpuSeconds(threads);
  const double sink0 = sink.CpuSeconds();
  const auto t0 = SteadyClock::now();
  for (size_t k = 0; k < std::min(o.max_in_flight, requests.size()); ++k) send_next();
  m.enqueue_seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  while (done.load() < requests.size()) {
    if (SteadyClock::now() > deadline) {
      m.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto t1 = SteadyClock::now();
  m.seconds = std::chrono::duration<double>(t1 - t0).count();
  m.process_cpu = ProcessCpuSeconds() - cpu0;
  m.io_cpu = ThreadsCpuSeconds(threads) - io0;
  m.sink_cpu = sink.CpuSeconds() - sink0;
  m.delivered = done.load() - failed.load();
  m.dead_letters = failed.load();

  next.store(requests.size());  // a timed-out run sends nothing more
  client.Shutdown();
  work.reset();
  io.stop();
  for (auto& t : threads) t.join();
  return m;
}

Measure RunOutbox(const Options& o, std::unique_ptr<pagers::Pager> pager, std::vector<Notification> list, Sink& sink) {
  asio::io_context io(o.threads);
  auto work = asio::make_work_guard(io);
  SystemClock clock;
  observability::Registry metrics;  // the outbox's series, as the daemon registers them
  notify::HttpClientOptions ho;
  ho.max_connections_per_origin = o.connections;
  ho.proxy_from_environment = false;
  notify::HttpClient client(io, ho);
  notify::OutboxOptions oo;
  oo.max_in_flight = o.max_in_flight;
  oo.seed = 1;
  std::vector<std::unique_ptr<pagers::Pager>> pagers;
  pagers.push_back(std::move(pager));
  notify::Outbox outbox(io, clock, client, std::move(pagers), oo, &metrics);
  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i) threads.emplace_back([&io] { io.run(); });

  // The chunks are cut before the clock starts; Enqueue takes them by value.
  std::vector<std::vector<Notification>> chunks;
  for (size_t i = 0; i < list.size(); i += o.chunk) {
    const size_t end = std::min(list.size(), i + o.chunk);
    chunks.emplace_back(std::make_move_iterator(list.begin() + static_cast<std::ptrdiff_t>(i)),
                        std::make_move_iterator(list.begin() + static_cast<std::ptrdiff_t>(end)));
  }
  const uint64_t sink0_requests = sink.requests();

  Measure m;
  const auto deadline = SteadyClock::now() +
                        std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(o.max_seconds));
  const double cpu0 = ProcessCpuSeconds();
  const double io0 = ThreadsCpuSeconds(threads);
  const double sink0 = sink.CpuSeconds();
  const auto t0 = SteadyClock::now();
  for (auto& chunk : chunks) outbox.Enqueue(std::move(chunk));
  m.enqueue_seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  m.timed_out = !outbox.WaitUntilEmpty(deadline);
  const auto t1 = SteadyClock::now();
  m.seconds = std::chrono::duration<double>(t1 - t0).count();
  m.process_cpu = ProcessCpuSeconds() - cpu0;
  m.io_cpu = ThreadsCpuSeconds(threads) - io0;
  m.sink_cpu = sink.CpuSeconds() - sink0;
  m.dead_letters = outbox.dead_letters();
  m.delivered = sink.requests() - sink0_requests;

  // The daemon's order: stop the outbox, fail what the client still has, then stop the threads.
  outbox.Stop();
  client.Shutdown();
  work.reset();
  io.stop();
  for (auto& t : threads) t.join();
  return m;
}

int Main(int argc, char** argv) {
  Options o;
  std::string error;
  if (!ParseOptions(argc, argv, &o, &error)) {
    std::fprintf(stderr, "notify_bench: %s (--help for usage)\n", error.c_str());
    return 2;
  }
  if (o.help) {
    PrintUsage(stdout);
    return 0;
  }
  std::unique_ptr<Sink> sink;
  if (o.mode != "render") sink = std::make_unique<Sink>(o.sink_threads);
  Result<std::unique_ptr<pagers::Pager>> pager = MakeBenchPager(o, sink ? sink->port() : 9);
  if (!pager.ok()) {
    std::fprintf(stderr, "notify_bench: %s\n", pager.status().message().c_str());
    return 2;
  }
  SystemClock clock;
  std::vector<Notification> list = MakeNotifications(o, clock.Now());
  std::printf(
      "notify_bench: mode=%s receiver=%s count=%zu incidents=%zu threads=%d sink_threads=%d "
      "max_in_flight=%zu connections=%zu\n",
      o.mode.c_str(), o.receiver_type.c_str(), o.count, o.incidents, o.threads, o.sink_threads, o.max_in_flight,
      o.connections);
  std::fflush(stdout);

  Measure m;
  if (o.mode == "render") {
    m = RunRender(o, **pager, list);
  } else if (o.mode == "client") {
    m = RunClient(o, **pager, list, *sink);
  } else {
    m = RunOutbox(o, std::move(*pager), std::move(list), *sink);
  }
  const double n = static_cast<double>(o.count);
  const double per_s = m.delivered > 0 ? static_cast<double>(m.delivered) / m.seconds : 0;
  std::printf(
      "%llu of %zu delivered in %.3f s (enqueue %.3f s): %.0f notifications/s; CPU per notification: "
      "%.1f µs process, %.1f µs io threads, %.1f µs sink%s\n",
      static_cast<unsigned long long>(m.delivered), o.count, m.seconds, m.enqueue_seconds, per_s,
      m.process_cpu / n * 1e6, m.io_cpu / n * 1e6, m.sink_cpu / n * 1e6, m.timed_out ? " (TIMED OUT)" : "");
  std::printf(
      "RESULT {\"mode\":\"%s\",\"receiver_type\":\"%s\",\"notifications\":%zu,\"incidents\":%zu,\"threads\":%d,"
      "\"seconds\":%.6f,\"per_s\":%.1f,\"enqueue_seconds\":%.6f,\"process_cpu_us_per_notification\":%.2f,"
      "\"io_cpu_us\":%.2f,\"sink_cpu_us\":%.2f,\"delivered\":%llu,\"dead_letters\":%zu,\"timed_out\":%s}\n",
      o.mode.c_str(), o.receiver_type.c_str(), o.count, o.incidents, o.threads, m.seconds, per_s, m.enqueue_seconds,
      m.process_cpu / n * 1e6, m.io_cpu / n * 1e6, m.sink_cpu / n * 1e6, static_cast<unsigned long long>(m.delivered),
      m.dead_letters, m.timed_out ? "true" : "false");
  return !m.timed_out && m.delivered == o.count && m.dead_letters == 0 ? 0 : 1;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) { return incidentd::bench::Main(argc, argv); }
