#include "options.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace incidentd::bench {
namespace {

constexpr const char* kPrometheusPath = "/api/v2/alerts";
constexpr const char* kPagerDutyPath = "/v2/enqueue";

bool ParseUint(std::string_view s, uint64_t lo, uint64_t hi, uint64_t* out) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool ParseDouble(const std::string& s, double lo, double hi, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

const char* FormatName(Format format) { return format == Format::kPrometheus ? "prometheus" : "pagerduty"; }
const char* ModeName(Mode mode) { return mode == Mode::kNew ? "new" : "known"; }

void PrintUsage(std::FILE* out) {
  std::fputs(
      "Usage: incidentd-loadgen [options]\n"
      "\n"
      "Load generator for incidentd: POSTs synthetic monitoring alerts over HTTP/1.1 keep-alive connections and\n"
      "reports throughput, status codes, latency percentiles and CPU cost. Targets loopback addresses only.\n"
      "\n"
      "Target and payload:\n"
      "  --url URL            http://HOST[:PORT][/PATH]. HOST must be 127.x.x.x, ::1 (as [::1]) or localhost;\n"
      "                       anything else is refused. Default http://127.0.0.1:9093/api/v2/alerts\n"
      "                       (pagerduty: http://127.0.0.1:9093/v2/enqueue). An empty path or \"/\" uses that\n"
      "                       format's default path.\n"
      "  --format F           prometheus (default): body is a JSON array of Alertmanager postableAlert objects\n"
      "                       (~590 bytes each; the average is printed at start). pagerduty: one PagerDuty Events v2\n"
      "                       trigger event per request (forces --batch 1).\n"
      "  --batch B            alerts per request, 1..100000 (typical: 1, 10, 100, 1000). Default 100.\n"
      "  --mode M             new (default): every alert has a label set never sent before (unique pod label from a\n"
      "                       run-wide counter plus a random per-run nonce, so repeated runs stay new).\n"
      "                       known: cycle round-robin over a fixed pool of --pool distinct alerts (deterministic for "
      "a\n"
      "                       given --seed), so the server sees re-sends of alerts it already knows.\n"
      "  --pool P             distinct alerts in known mode, 1..10000000. Default 10000.\n"
      "  --seed S             seed for alert content (and the known-mode pool). Default 1.\n"
      "\n"
      "Load shape:\n"
      "  --connections N      concurrent keep-alive connections, each with at most one request in flight. Default 4.\n"
      "  --threads T          io threads; connections are spread round-robin over them. Default 1.\n"
      "  --rate R             target alerts/s over all connections. 0 (default) = closed loop, as fast as possible.\n"
      "                       With a rate each connection follows an open-loop schedule and latency is measured from\n"
      "                       the intended send time (no coordinated omission).\n"
      "\n"
      "Run bounds (the program always stops by itself):\n"
      "  --duration SECONDS   length of the measured window after warmup. Default 10.\n"
      "  --count N            send at most N alerts in total, warmup included (0 = no limit). Default 0.\n"
      "  --warmup SECONDS     initial period excluded from the statistics (responses and errors that arrive during it\n"
      "                       are not counted; connection setup happens here). Default 1. Use 0 with small --count.\n"
      "  --drain-timeout S    after the window ends, wait at most S seconds for in-flight responses. Default 5.\n"
      "\n"
      "Measurement:\n"
      "  --server-pid PID     read /proc/PID/stat utime+stime at the start and end of the measured window and report\n"
      "                       server_cpu_seconds and server_cpu_us_per_alert.\n"
      "\n"
      "Utilities (no network):\n"
      "  --dump-body FILE     write the body of the first request to FILE and exit.\n"
      "  --bench-gen          measure body generation speed on one core for ~2 s and exit.\n"
      "  --help               show this help.\n"
      "\n"
      "Output: a human-readable summary, then one line \"RESULT {json}\" with the run's settings and, for the\n"
      "measured window: requests (responses received), alerts (alerts in them), accepted_alerts (in 2xx responses),\n"
      "seconds (warmup end to last response), alerts_per_s (accepted alerts/s), requests_per_s, sent_alerts_per_s,\n"
      "status (counts by code), backpressure_503, non_2xx, errors (socket/protocol failures of a request),\n"
      "latency_p50_us/p90_us/p99_us/max_us/mean_us (microseconds, ~1% precision, from the intended send time),\n"
      "client_cpu_seconds (getrusage user+sys); over the whole run: connect_errors, reconnects, missed_requests\n"
      "(open loop: sends that fell behind schedule), unfinished (cut off by the drain timeout); with --server-pid\n"
      "also server_cpu_seconds and server_cpu_us_per_alert (per accepted alert).\n"
      "Exit status: 0 if any response arrived in the window, 1 if none did, 2 on bad usage.\n",
      out);
}

bool ParseOptions(int argc, char** argv, Options* o, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      has_value = true;
    }
    if (arg == "--help" || arg == "-h") {
      o->help = true;
      return true;
    }
    if (arg == "--bench-gen") {
      o->bench_gen = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "missing value for " + arg;
        return false;
      }
      value = argv[++i];
    }
    uint64_t u = 0;
    bool ok = true;
    if (arg == "--url") {
      o->url = value;
    } else if (arg == "--connections") {
      ok = ParseUint(value, 1, 100000, &u);
      o->connections = u;
    } else if (arg == "--threads") {
      ok = ParseUint(value, 1, 1024, &u);
      o->threads = static_cast<int>(u);
    } else if (arg == "--batch") {
      ok = ParseUint(value, 1, 100000, &u);
      o->batch = u;
      o->batch_set = true;
    } else if (arg == "--pool") {
      ok = ParseUint(value, 1, 10000000, &u);
      o->pool = u;
    } else if (arg == "--count") {
      ok = ParseUint(value, 0, UINT64_MAX, &o->count);
    } else if (arg == "--seed") {
      ok = ParseUint(value, 0, UINT64_MAX, &o->seed);
    } else if (arg == "--server-pid") {
      ok = ParseUint(value, 1, 1u << 30, &u);
      o->server_pid = static_cast<int>(u);
    } else if (arg == "--rate") {
      ok = ParseDouble(value, 0, 1e12, &o->rate);
    } else if (arg == "--duration") {
      ok = ParseDouble(value, 0.001, 1e7, &o->duration);
    } else if (arg == "--warmup") {
      ok = ParseDouble(value, 0, 1e7, &o->warmup);
    } else if (arg == "--drain-timeout") {
      ok = ParseDouble(value, 0, 3600, &o->drain_timeout);
    } else if (arg == "--mode") {
      ok = value == "new" || value == "known";
      o->mode = value == "known" ? Mode::kKnown : Mode::kNew;
    } else if (arg == "--format") {
      ok = value == "prometheus" || value == "pagerduty";
      o->format = value == "pagerduty" ? Format::kPagerDuty : Format::kPrometheus;
    } else if (arg == "--dump-body") {
      o->dump_body = value;
    } else {
      *error = "unknown option " + arg + " (see --help)";
      return false;
    }
    if (!ok) {
      *error = "invalid value '" + value + "' for " + arg + " (see --help)";
      return false;
    }
  }
  return true;
}

bool ResolveLoopbackUrl(const std::string& url, Format format, Target* target, std::string* error) {
  namespace ip = boost::asio::ip;
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    *error = "URL must start with http:// (TLS is not supported): " + url;
    return false;
  }
  const size_t auth_begin = kScheme.size();
  const size_t path_begin = url.find('/', auth_begin);
  const std::string authority =
      url.substr(auth_begin, path_begin == std::string::npos ? std::string::npos : path_begin - auth_begin);
  target->path = path_begin == std::string::npos ? "/" : url.substr(path_begin);
  if (target->path == "/") target->path = format == Format::kPrometheus ? kPrometheusPath : kPagerDutyPath;

  std::string host;
  std::string port_str;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) {
      *error = "bad IPv6 literal in URL: " + url;
      return false;
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        *error = "bad authority in URL: " + url;
        return false;
      }
      port_str = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) port_str = authority.substr(colon + 1);
  }
  uint64_t port = 80;
  if (!port_str.empty() && !ParseUint(port_str, 1, 65535, &port)) {
    *error = "bad port '" + port_str + "' in URL: " + url;
    return false;
  }

  std::string lower = host;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ip::address address;
  if (lower == "localhost") {
    address = ip::address_v4::loopback();  // not resolved: /etc/hosts must not be able to redirect the load
  } else {
    boost::system::error_code ec;
    address = ip::make_address(host, ec);
    if (ec || !address.is_loopback()) {
      *error = "refusing to send load to '" + host +
               "': only loopback targets are allowed (127.x.x.x, ::1 or localhost; names are not resolved)";
      return false;
    }
  }
  target->endpoint = ip::tcp::endpoint(address, static_cast<uint16_t>(port));
  target->host_header = authority;
  return true;
}

}  // namespace incidentd::bench
