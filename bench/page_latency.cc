// page_latency: the time from an alert's POST to the page reaching its receiver, through the real daemon. See --help.
//
// It starts the daemon binary (--incidentd) as a child process with a config it writes to a temporary directory:
// listen on a free 127.0.0.1 port, one correlation rule grouping by [alertname, group] with group_wait 0s whose
// policy pages one webhook receiver, and that receiver's url is a sink in this process (Beast, 127.0.0.1, port 0,
// its own thread, answering 202). Once /readyz answers 200 it POSTs --alerts alerts to /api/v2/alerts, one every
// --interval-ms on one keep-alive connection, each with a `group` label never used before (so each opens an incident
// and pages at once), and matches each page to its alert by that label, read from the webhook's body.
//
// With --target alertmanager the same probe measures Prometheus Alertmanager (--alertmanager, 0.25 as Debian ships
// it) instead: started with --config.file and --storage.path in the temporary directory, --web.listen-address on a
// free 127.0.0.1 port and --cluster.listen-address= (no clustering), ready once /-/ready answers 200. Its route groups
// by [alertname, group] with group_wait 0s, group_interval 5m and repeat_interval 4h; a child route for
// bench="page-latency" goes to one webhook receiver (send_resolved false) at the same sink, and everything else to a
// receiver with no integrations, as the daemon's rule matches only the probes. Both accept the same POST to
// /api/v2/alerts and both send the Alertmanager webhook payload (version 4), in which the probe's `group` label is
// found.
//
// With --load-rate, known alerts (a fixed pool re-sent round-robin, in batches of --load-batch, on --load-connections
// connections, open loop) are posted meanwhile; they match no correlation rule (no Alertmanager route with a
// receiver), so they load ingestion and deduplication, not the outbox.
//
// Bounded: at most --alerts probes and --max-seconds of measuring; the child is started with PR_SET_PDEATHSIG and is
// stopped (SIGTERM, then SIGKILL after 30 s) by its PID; the temporary directory is removed.
//
// Output: a summary, then one line "RESULT {json}" whose "target" names the daemon measured. Exit status 0 when every
// probe's page arrived.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "bench_args.h"
#include "child_process.h"
#include "fast_sink.h"

namespace incidentd::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::string target = "incidentd";  // or "alertmanager"
  std::string incidentd = "build/incidentd";
  std::string alertmanager = "prometheus-alertmanager";
  size_t alerts = 2000;
  double interval_ms = 10;
  size_t warmup = 20;  // first probes, not counted (the daemon's and the outbox's connections open then)
  double max_seconds = 60;
  double load_rate = 0;  // alerts/s; 0: idle
  size_t load_connections = 2;
  size_t load_batch = 100;
  size_t load_pool = 10000;
  bool help = false;
};

void PrintUsage(std::FILE* out) {
  std::fputs(
      "Usage: page_latency [--target incidentd|alertmanager] [--incidentd PATH] [--alertmanager PATH] [options]\n"
      "\n"
      "Starts the target daemon on a free 127.0.0.1 port with a generated config, POSTs alerts that each open an\n"
      "incident (Alertmanager: an aggregation group) paging a webhook at once (group_wait 0s), and reports the time\n"
      "from each POST to its page reaching this program's sink.\n"
      "\n"
      "  --target T              incidentd, or alertmanager (Prometheus Alertmanager 0.25: a route grouping by\n"
      "                          [alertname, group], group_wait 0s, group_interval 5m, repeat_interval 4h, one\n"
      "                          webhook receiver; no clustering). Default incidentd.\n"
      "  --incidentd PATH        the daemon binary for --target incidentd. Default build/incidentd.\n"
      "  --alertmanager PATH     the Alertmanager binary for --target alertmanager, a path or a name on PATH.\n"
      "                          Default prometheus-alertmanager (Debian's package of that name).\n"
      "  --alerts N              probe alerts, 1..1000000. Default 2000.\n"
      "  --interval-ms MS        one probe every MS milliseconds (sent after the previous answer), 0.1..10000.\n"
      "                          Default 10.\n"
      "  --warmup N              first probes left out of the figures. Default 20.\n"
      "  --max-seconds S         stop sending probes after S seconds, and wait at most 5 s more for pages.\n"
      "                          Default 60.\n"
      "  --load-rate R           background known alerts per second (0: none). Default 0.\n"
      "  --load-connections C    connections carrying them, 1..64. Default 2.\n"
      "  --load-batch B          alerts per request, 1..10000. Default 100.\n"
      "  --load-pool P           distinct background alerts, re-sent round-robin, B..1000000. Default 10000.\n"
      "\n"
      "Output: a summary, then \"RESULT {json}\": target, probes (counted), received, p50_us/p90_us/p99_us/max_us/\n"
      "mean_us (POST sent to page received), post_p50_us/post_p99_us (the probe's own request round trip),\n"
      "load_alerts_per_s (background alerts answered 2xx per second while probing), load_errors (non-2xx or failed\n"
      "background requests), daemon_cpu_s (the child's user+system CPU while probing), daemon_delivery_mean_us (the\n"
      "mean of the daemon's own histogram: for incidentd incidentd_notification_delivery_seconds, engine decision to\n"
      "the receiver's answer; for Alertmanager alertmanager_notification_latency_seconds, the webhook call alone;\n"
      "-1 when it has no observations).\n",
      out);
}

bool ParseOptions(int argc, char** argv, Options* o, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg, value;
    if (!NextArg(argc, argv, &i, &arg, &value, error)) return false;
    if (arg == "--help") {
      o->help = true;
      return true;
    }
    char* end = nullptr;
    const double d = std::strtod(value.c_str(), &end);
    const bool number = !value.empty() && end != nullptr && *end == '\0' && std::isfinite(d);
    auto in = [&](double lo, double hi) { return number && d >= lo && d <= hi; };
    bool ok = true;
    if (arg == "--target") {
      ok = value == "incidentd" || value == "alertmanager";
      o->target = value;
    } else if (arg == "--incidentd") {
      o->incidentd = value;
    } else if (arg == "--alertmanager") {
      o->alertmanager = value;
    } else if (arg == "--alerts") {
      ok = in(1, 1e6);
      o->alerts = static_cast<size_t>(d);
    } else if (arg == "--interval-ms") {
      ok = in(0.1, 10000);
      o->interval_ms = d;
    } else if (arg == "--warmup") {
      ok = in(0, 1e6);
      o->warmup = static_cast<size_t>(d);
    } else if (arg == "--max-seconds") {
      ok = in(1, 3600);
      o->max_seconds = d;
    } else if (arg == "--load-rate") {
      ok = in(0, 1e8);
      o->load_rate = d;
    } else if (arg == "--load-connections") {
      ok = in(1, 64);
      o->load_connections = static_cast<size_t>(d);
    } else if (arg == "--load-batch") {
      ok = in(1, 10000);
      o->load_batch = static_cast<size_t>(d);
    } else if (arg == "--load-pool") {
      ok = in(1, 1e6);
      o->load_pool = static_cast<size_t>(d);
    } else {
      *error = "unknown option " + arg;
      return false;
    }
    if (!ok) {
      *error = "bad value for " + arg + ": " + value;
      return false;
    }
  }
  if (o->load_pool < o->load_batch) o->load_pool = o->load_batch;
  return true;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

// utime + stime of a process from /proc/PID/stat (fields 14 and 15), in seconds; -1 when unreadable.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return -1;
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(line.substr(paren + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A free loopback port: bound, read and released (another process could take it in between; the daemon then fails
// to start and the run says so).
uint16_t FreePort() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// The receiver: keeps, per probe, when its first page arrived. A probe is recognised by its `group` label,
// "pl-<nonce>-<index>", found as "group":"pl-<nonce>-<index>" in the body: both targets send the Alertmanager
// webhook payload (version 4), whose groupLabels, commonLabels and alerts[].labels carry it.
class Sink {
 public:
  Sink(std::string marker, size_t probes)
      : marker_(std::move(marker)), arrivals_(probes), sink_(1, [this](std::string_view body) { Record(body); }) {}

  uint16_t port() const { return sink_.port(); }
  // Steady-clock nanoseconds of probe i's first page; 0 while none arrived.
  int64_t arrival(size_t i) const { return arrivals_[i].load(std::memory_order_acquire); }
  uint64_t pages() const { return pages_.load(); }
  uint64_t unmatched() const { return unmatched_.load(); }

  // The probe index in the first "group" label of `body` whose value is marker + index; nullopt when none is.
  // JSON whitespace around the colon is allowed; escapes are not expected (the values are plain ASCII).
  static std::optional<size_t> ProbeIndex(std::string_view body, std::string_view marker, size_t probes) {
    static constexpr std::string_view kKey = "\"group\"";
    for (size_t p = body.find(kKey); p != std::string_view::npos; p = body.find(kKey, p + 1)) {
      std::string_view rest = body.substr(p + kKey.size());
      auto skip_space = [&rest] {
        while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r')) {
          rest.remove_prefix(1);
        }
      };
      skip_space();
      if (rest.empty() || rest[0] != ':') continue;
      rest.remove_prefix(1);
      skip_space();
      if (rest.empty() || rest[0] != '"') continue;
      rest.remove_prefix(1);
      if (rest.substr(0, marker.size()) != marker) continue;
      rest.remove_prefix(marker.size());
      size_t index = 0;
      auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
      if (ec == std::errc() && end < rest.data() + rest.size() && *end == '"' && index < probes) return index;
    }
    return std::nullopt;
  }

 private:
  void Record(std::string_view body) {
    const int64_t at = NowNanos();
    pages_.fetch_add(1);
    if (const std::optional<size_t> index = ProbeIndex(body, marker_, arrivals_.size())) {
      int64_t none = 0;
      arrivals_[*index].compare_exchange_strong(none, at, std::memory_order_acq_rel);
      return;
    }
    unmatched_.fetch_add(1);
  }

  std::string marker_;
  std::vector<std::atomic<int64_t>> arrivals_;
  std::atomic<uint64_t> pages_{0};
  std::atomic<uint64_t> unmatched_{0};
  FastSink sink_;  // last: its threads stop before the members Record uses go
};

// One keep-alive HTTP/1.1 connection used from one thread; every call is bounded by its timeout.
class Client {
 public:
  explicit Client(tcp::endpoint endpoint) : endpoint_(endpoint), stream_(io_) {}

  // status 0 and *error set on failure. *sent_at: steady nanoseconds just before the request's first byte is written.
  // *answer (when not null): the response's body.
  int Call(http::verb verb, const std::string& target, std::string body, std::chrono::milliseconds timeout,
           int64_t* sent_at, std::string* error, std::string* answer = nullptr) {
    beast::error_code ec;
    if (!connected_) {
      stream_.expires_after(timeout);
      stream_.async_connect(endpoint_, [&](beast::error_code e) { ec = e; });
      Run();
      if (ec) return Failed("connect: " + ec.message(), error);
      stream_.socket().set_option(tcp::no_delay(true));
      connected_ = true;
    }
    http::request<http::string_body> request(verb, target, 11);
    request.set(http::field::host, "127.0.0.1:" + std::to_string(endpoint_.port()));
    if (verb == http::verb::post) request.set(http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
    http::response<http::string_body> response;
    stream_.expires_after(timeout);
    if (sent_at != nullptr) *sent_at = NowNanos();
    http::async_write(stream_, request, [&](beast::error_code e, size_t) {
      ec = e;
      if (!e) http::async_read(stream_, buffer_, response, [&](beast::error_code e2, size_t) { ec = e2; });
    });
    Run();
    if (ec) return Failed(ec.message(), error);
    if (!response.keep_alive()) Close();
    if (answer != nullptr) *answer = std::move(response.body());
    return static_cast<int>(response.result_int());
  }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }
  int Failed(std::string message, std::string* error) {
    *error = std::move(message);
    Close();
    return 0;
  }
  void Close() {
    beast::error_code ignored;
    stream_.socket().close(ignored);  // async_connect opens it again
    buffer_.clear();
    connected_ = false;
  }

  tcp::endpoint endpoint_;
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

std::string ProbeBody(const std::string& marker, size_t i) {
  const std::string n = std::to_string(i);
  return R"([{"labels":{"alertname":"PageLatencyProbe","bench":"page-latency","group":")" + marker + n +
         R"(","cluster":"prod-eu-1","env":"production","instance":"10.0.)" + std::to_string(i % 250) +
         R"(.7:9100","job":"node-exporter","namespace":"monitoring","service":"probe-)" + n +
         R"(","severity":"critical","team":"sre"},"annotations":{"summary":"Probe )" + n +
         R"( is firing","description":"A page latency probe: one new incident per alert, paged at once."},)"
         R"("generatorURL":"http://prometheus-0:9090/graph?g0.expr=up%7Bjob%3D%22node-exporter%22%7D+%3D%3D+0"}])";
}

// Background alert k of the pool: ten labels, two annotations, about 560 bytes; never matches the probe rule.
std::string BackgroundAlert(size_t k) {
  static constexpr const char* kNames[] = {"HighCPUUsage", "DiskSpaceLow",  "InstanceDown",    "HighMemoryUsage",
                                           "TargetDown",   "HighErrorRate", "KubePodNotReady", "NTPClockSkew"};
  const std::string host = "node-" + std::to_string(k);
  return R"({"labels":{"alertname":")" + std::string(kNames[k % 8]) + R"(","cluster":"prod-us-)" +
         std::to_string(k % 5) + R"(","env":"production","instance":")" + host +
         R"(:9100","job":"node-exporter","namespace":"kube-system","pod":"node-exporter-)" + std::to_string(k) +
         R"(","service":"node-exporter","severity":"warning","team":"platform"},"annotations":{"summary":"Host )" +
         host +
         R"( needs attention","description":"Raised by the background load of page_latency; re-sent )"
         R"(unchanged round-robin, so the daemon sees it as a known alert."},"startsAt":"2026-01-01T00:00:00Z",)"
         R"("generatorURL":"http://prometheus-0:9090/graph?g0.expr=node_load1+%3E+4"})";
}

// Background load: `connections` keep-alive connections, each sending its pre-rendered requests on an open-loop
// schedule (a request late on its schedule goes at once; the rate is then what the daemon allows).
class Load {
 public:
  Load(const Options& o, tcp::endpoint endpoint) : endpoint_(endpoint) {
    std::vector<std::string> bodies;
    for (size_t start = 0; start + o.load_batch <= o.load_pool; start += o.load_batch) {
      std::string body = "[";
      for (size_t k = start; k < start + o.load_batch; ++k) {
        if (k > start) body += ',';
        body += BackgroundAlert(k);
      }
      body += ']';
      requests_.push_back("POST /api/v2/alerts HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(endpoint.port()) +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n" + body);
    }
    batch_ = o.load_batch;
    interval_ = std::chrono::nanoseconds(
        static_cast<int64_t>(1e9 * static_cast<double>(o.load_connections * o.load_batch) / o.load_rate));
    for (size_t c = 0; c < o.load_connections; ++c) connections_.push_back(std::make_shared<Connection>(*this, c));
  }
  ~Load() { Stop(); }

  void Start() {
    for (auto& c : connections_) c->Start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void Stop() {
    stopping_.store(true);
    for (auto& c : connections_) asio::post(c->socket.get_executor(), [c] { c->Close(); });
    if (thread_.joinable()) thread_.join();
  }
  uint64_t ok_alerts() const { return ok_alerts_.load(); }
  uint64_t errors() const { return errors_.load(); }

 private:
  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(Load& l, size_t i) : load(l), index(i), socket(l.io_), timer(l.io_) {}
    void Start() {
      next = SteadyClock::now() +
             load.interval_ * static_cast<int64_t>(index) / static_cast<int64_t>(load.connections_.size());
      socket.async_connect(load.endpoint_, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->Fail();
        self->socket.set_option(tcp::no_delay(true), ec);
        self->Wait();
      });
    }
    void Wait() {
      if (load.stopping_.load()) return;
      timer.expires_at(next);
      timer.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->Send();
      });
    }
    void Send() {
      if (load.stopping_.load()) return;
      const std::string& r = load.requests_[(sent++ * load.connections_.size() + index) % load.requests_.size()];
      asio::async_write(socket, asio::buffer(r), [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->Fail();
        self->response = {};
        http::async_read(self->socket, self->buffer, self->response, [self](beast::error_code ec, size_t) {
          if (ec) return self->Fail();
          if (self->response.result_int() / 100 == 2) {
            self->load.ok_alerts_.fetch_add(self->load.batch_);
          } else {
            self->load.errors_.fetch_add(1);
          }
          self->next = std::max(self->next + self->load.interval_, SteadyClock::now() - self->load.interval_);
          self->Wait();
        });
      });
    }
    void Fail() {
      if (!load.stopping_.load()) load.errors_.fetch_add(1);
      Close();
    }
    void Close() {
      beast::error_code ignored;
      timer.cancel();
      socket.close(ignored);
    }
    Load& load;
    size_t index;
    tcp::socket socket;
    asio::steady_timer timer;
    SteadyClock::time_point next;
    uint64_t sent = 0;
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
  };

  tcp::endpoint endpoint_;
  asio::io_context io_;
  std::vector<std::string> requests_;
  size_t batch_ = 0;
  SteadyClock::duration interval_{};
  std::vector<std::shared_ptr<Connection>> connections_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> ok_alerts_{0};
  std::atomic<uint64_t> errors_{0};
  std::thread thread_;
};

struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "page_latency.XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
  fs::path path;
};

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// The mean of a histogram's observations over all its series in a Prometheus text exposition, in seconds; -1 when
// it has none.
double HistogramMean(std::string_view text, std::string_view name) {
  double sum = 0, count = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, name.size()) != name) continue;
    const std::string_view rest = line.substr(name.size());
    const bool is_sum = rest.substr(0, 4) == "_sum";
    if (!is_sum && rest.substr(0, 6) != "_count") continue;
    const size_t space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    const double v = std::strtod(std::string(line.substr(space + 1)).c_str(), nullptr);
    (is_sum ? sum : count) += v;
  }
  return count > 0 ? sum / count : -1;
}

// Whether `program` can be executed as execvp would find it: a path as given, or a bare name searched on PATH.
bool IsExecutable(const std::string& program) {
  if (program.empty()) return false;
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* env = std::getenv("PATH");
  std::string_view dirs = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  for (;;) {
    const size_t colon = dirs.find(':');
    const std::string_view d = dirs.substr(0, colon);
    const std::string candidate = (d.empty() ? std::string(".") : std::string(d)) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) return false;
    dirs.remove_prefix(colon + 1);
  }
}

// How to start one target daemon and ask it.
struct Target {
  std::vector<std::string> args;   // the child's command line
  std::string ready_path;          // answers 200 once it takes alerts
  std::string delivery_histogram;  // its own notification histogram in /metrics
  std::string delivery_span;       // what that histogram times, for the summary
};

// Writes the target's config into `dir`: listen on 127.0.0.1:`port`, group the probes (bench="page-latency") by
// [alertname, group] with group_wait 0s and page the webhook at 127.0.0.1:`sink_port` once per group.
Target PrepareTarget(const Options& o, const fs::path& dir, uint16_t port, uint16_t sink_port) {
  const std::string hook = "http://127.0.0.1:" + std::to_string(sink_port) + "/hook";
  if (o.target == "alertmanager") {
    // Alertmanager 0.25 takes group_wait 0s (a new group is flushed at once). Alerts other than the probes take the
    // root route to a receiver with no integrations, as they match no rule in the daemon's config.
    std::ofstream config(dir / "alertmanager.yml");
    config << "route:\n"
              "  receiver: none\n"
              "  group_by: [alertname, group]\n"
              "  group_wait: 0s\n"
              "  group_interval: 5m\n"
              "  repeat_interval: 4h\n"
              "  routes:\n"
              "    - receiver: sink\n"
              "      matchers: ['bench=\"page-latency\"']\n"
              "receivers:\n"
              "  - name: none\n"
              "  - name: sink\n"
              "    webhook_configs:\n"
              "      - url: "
           << hook << "\n"
           << "        send_resolved: false\n";
    return {{o.alertmanager, "--config.file=" + (dir / "alertmanager.yml").string(),
             "--storage.path=" + (dir / "data").string(), "--web.listen-address=127.0.0.1:" + std::to_string(port),
             "--cluster.listen-address=", "--log.level=warn"},
            "/-/ready",
            "alertmanager_notification_latency_seconds",
            "of the webhook call alone"};
  }
  std::ofstream rules(dir / "rules.yaml");
  rules << "correlations:\n"
           "  - name: page-latency\n"
           "    match: ['bench=\"page-latency\"']\n"
           "    group_by: [alertname, group]\n"
           "    group_wait: 0s\n"
           "    policy: page\n"
           "policies:\n"
           "  - name: page\n"
           "    steps:\n"
           "      - notify: [sink]\n"
           "receivers:\n"
           "  - name: sink\n"
           "    type: webhook\n"
           "    url: "
        << hook << "\n";
  std::ofstream config(dir / "incidentd.yaml");
  config << "listen: 127.0.0.1:" << port << "\n"
         << "data_dir: " << (dir / "data").string() << "\n"
         << "rule_files: [" << (dir / "rules.yaml").string() << "]\n"
         << "log_level: warn\n";
  return {{o.incidentd, "--config", (dir / "incidentd.yaml").string()},
          "/readyz",
          "incidentd_notification_delivery_seconds",
          "from decision to the receiver's answer"};
}

void PrintLogTail(const fs::path& log) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (size_t i = lines.size() > 20 ? lines.size() - 20 : 0; i < lines.size(); ++i) {
    std::fprintf(stderr, "  daemon: %s\n", lines[i].c_str());
  }
}

int Main(int argc, char** argv) {
  Options o;
  std::string error;
  if (!ParseOptions(argc, argv, &o, &error)) {
    std::fprintf(stderr, "page_latency: %s (--help for usage)\n", error.c_str());
    return 2;
  }
  if (o.help) {
    PrintUsage(stdout);
    return 0;
  }
  const bool alertmanager = o.target == "alertmanager";
  const std::string& binary = alertmanager ? o.alertmanager : o.incidentd;
  if (!IsExecutable(binary)) {
    std::fprintf(stderr, "page_latency: %s is not an executable (--%s)%s\n", binary.c_str(),
                 alertmanager ? "alertmanager" : "incidentd",
                 alertmanager ? "; on Debian: apt-get install prometheus-alertmanager" : "");
    return 2;
  }
  TempDir dir;
  if (dir.path.empty()) {
    std::fprintf(stderr, "page_latency: cannot create a temporary directory\n");
    return 2;
  }
  const std::string marker = "pl-" + std::to_string(std::random_device{}() % 1000000) + "-";
  const size_t total = o.warmup + o.alerts;
  Sink sink(marker, total);
  const uint16_t port = FreePort();

  const Target target = PrepareTarget(o, dir.path, port, sink.port());
  const fs::path log = dir.path / "daemon.log";
  Child child(target.args, log.string());
  if (child.pid() <= 0) {
    std::fprintf(stderr, "page_latency: fork failed\n");
    return 1;
  }
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);

  // Ready: /readyz (Alertmanager: /-/ready) answers 200, within 15 s.
  {
    Client probe(endpoint);
    const auto deadline = SteadyClock::now() + std::chrono::seconds(15);
    for (;;) {
      std::string e;
      if (probe.Call(http::verb::get, target.ready_path, "", std::chrono::milliseconds(500), nullptr, &e) == 200) break;
      if (!child.Running() || SteadyClock::now() > deadline) {
        std::fprintf(stderr, "page_latency: the daemon did not become ready (%s); its log:\n", e.c_str());
        PrintLogTail(log);
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::unique_ptr<Load> load;
  if (o.load_rate > 0) {
    load = std::make_unique<Load>(o, endpoint);
    load->Start();
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the pool is known before probing starts
  }
  std::printf(
      "page_latency: %s pid %d on 127.0.0.1:%u, sink on 127.0.0.1:%u, %zu probes (+%zu warm-up) every "
      "%.1f ms, background load %.0f alerts/s\n",
      o.target.c_str(), static_cast<int>(child.pid()), port, sink.port(), o.alerts, o.warmup, o.interval_ms,
      o.load_rate);
  std::fflush(stdout);

  Client poster(endpoint);
  std::vector<int64_t> sent(total, 0);
  std::vector<double> post_us;
  size_t post_errors = 0;
  const auto interval = std::chrono::nanoseconds(static_cast<int64_t>(o.interval_ms * 1e6));
  const auto start = SteadyClock::now();
  const auto stop_sending =
      start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(o.max_seconds));
  double daemon_cpu0 = 0;
  uint64_t load0 = 0;
  SteadyClock::time_point measure_start = start;
  size_t probes = 0;
  for (size_t i = 0; i < total && SteadyClock::now() < stop_sending; ++i) {
    if (i == o.warmup) {
      daemon_cpu0 = ProcessCpuSeconds(child.pid());
      load0 = load ? load->ok_alerts() : 0;
      measure_start = SteadyClock::now();
    }
    std::this_thread::sleep_until(start + interval * static_cast<int64_t>(i));
    std::string e;
    const int status =
        poster.Call(http::verb::post, "/api/v2/alerts", ProbeBody(marker, i), std::chrono::seconds(5), &sent[i], &e);
    if (status / 100 != 2) {
      ++post_errors;
      sent[i] = 0;
      if (!child.Running()) break;
      continue;
    }
    probes = i + 1;
    if (i >= o.warmup) post_us.push_back(static_cast<double>(NowNanos() - sent[i]) / 1e3);
  }
  const auto sending_end = SteadyClock::now();
  const double daemon_cpu = ProcessCpuSeconds(child.pid()) - daemon_cpu0;
  const uint64_t load_alerts = load ? load->ok_alerts() - load0 : 0;
  const uint64_t load_errors = load ? load->errors() : 0;

  // The last pages: at most 5 s more.
  const auto wait_end = sending_end + std::chrono::seconds(5);
  auto missing = [&] {
    size_t m = 0;
    for (size_t i = o.warmup; i < probes; ++i) m += sent[i] != 0 && sink.arrival(i) == 0;
    return m;
  };
  while (missing() > 0 && SteadyClock::now() < wait_end) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (load) load->Stop();
  // The daemon's own view (every probe, warm-up included): incidentd from the engine's decision to the receiver's
  // answer; Alertmanager the webhook call alone.
  double delivery_mean_us = -1;
  {
    std::string e, metrics;
    if (poster.Call(http::verb::get, "/metrics", "", std::chrono::seconds(5), nullptr, &e, &metrics) == 200) {
      const double mean = HistogramMean(metrics, target.delivery_histogram);
      if (mean >= 0) delivery_mean_us = mean * 1e6;
    }
  }

  std::vector<double> latency_us;
  size_t counted = 0;
  for (size_t i = o.warmup; i < probes; ++i) {
    if (sent[i] == 0) continue;
    ++counted;
    if (const int64_t at = sink.arrival(i); at != 0) latency_us.push_back(static_cast<double>(at - sent[i]) / 1e3);
  }
  std::sort(latency_us.begin(), latency_us.end());
  std::sort(post_us.begin(), post_us.end());
  double mean = 0;
  for (double v : latency_us) mean += v;
  if (!latency_us.empty()) mean /= static_cast<double>(latency_us.size());
  const double window = std::chrono::duration<double>(sending_end - measure_start).count();
  const double load_per_s = window > 0 ? static_cast<double>(load_alerts) / window : 0;

  std::printf(
      "%zu of %zu pages received (%llu pages in all, %llu unmatched, %zu POST errors); POST to page: "
      "p50 %.0f µs, p90 %.0f µs, p99 %.0f µs, max %.0f µs; the POST's answer: p50 %.0f µs, p99 %.0f µs; "
      "background %.0f alerts/s (%llu errors); daemon CPU %.2f s over %.1f s; the daemon's own mean %s %.0f µs\n",
      latency_us.size(), counted, static_cast<unsigned long long>(sink.pages()),
      static_cast<unsigned long long>(sink.unmatched()), post_errors, Percentile(latency_us, 0.5),
      Percentile(latency_us, 0.9), Percentile(latency_us, 0.99), latency_us.empty() ? 0 : latency_us.back(),
      Percentile(post_us, 0.5), Percentile(post_us, 0.99), load_per_s, static_cast<unsigned long long>(load_errors),
      daemon_cpu, window, target.delivery_span.c_str(), delivery_mean_us);
  std::printf(
      "RESULT {\"target\":\"%s\",\"probes\":%zu,\"received\":%zu,\"p50_us\":%.0f,\"p90_us\":%.0f,"
      "\"p99_us\":%.0f,\"max_us\":%.0f,\"mean_us\":%.0f,\"post_p50_us\":%.0f,\"post_p99_us\":%.0f,"
      "\"post_errors\":%zu,\"load_rate\":%.0f,"
      "\"load_alerts_per_s\":%.0f,\"load_errors\":%llu,\"daemon_cpu_s\":%.3f,\"seconds\":%.3f,"
      "\"daemon_delivery_mean_us\":%.0f}\n",
      o.target.c_str(), counted, latency_us.size(), Percentile(latency_us, 0.5), Percentile(latency_us, 0.9),
      Percentile(latency_us, 0.99), latency_us.empty() ? 0 : latency_us.back(), mean, Percentile(post_us, 0.5),
      Percentile(post_us, 0.99), post_errors, o.load_rate, load_per_s, static_cast<unsigned long long>(load_errors),
      daemon_cpu, window, delivery_mean_us);
  std::fflush(stdout);
  const bool complete = counted > 0 && latency_us.size() == counted;
  if (!complete) {
    std::fprintf(stderr, "page_latency: pages missing; the daemon's log:\n");
    PrintLogTail(log);
  }
  child.Stop(SIGTERM);
  return complete ? 0 : 1;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) { return incidentd::bench::Main(argc, argv); }
