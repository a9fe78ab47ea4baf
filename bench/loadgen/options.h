// Command-line options of incidentd-loadgen and the loopback-only target check.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "alerts.h"

namespace incidentd::bench {

struct Options {
  std::string url;  // empty: the default for `format`
  size_t connections = 4;
  int threads = 1;
  size_t batch = 100;
  bool batch_set = false;
  Mode mode = Mode::kNew;
  size_t pool = 10000;
  double rate = 0;  // alerts/s over all connections, 0 = closed loop as fast as possible
  double duration = 10;
  uint64_t count = 0;  // 0 = unbounded
  double warmup = 1;
  Format format = Format::kPrometheus;
  uint64_t seed = 1;
  int server_pid = 0;
  double drain_timeout = 5;
  std::string dump_body;
  bool bench_gen = false;
  bool help = false;
};

struct Target {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string host_header;  // as written in the URL, e.g. "127.0.0.1:9093"
  std::string path;
};

// Returns false with a message in *error on bad usage.
bool ParseOptions(int argc, char** argv, Options* options, std::string* error);

void PrintUsage(std::FILE* out);

// Parses an http:// URL and accepts it only if the host is 127.x.x.x, ::1 or localhost, so a benchmark can never
// be pointed at a shared or production endpoint by accident.
bool ResolveLoopbackUrl(const std::string& url, Format format, Target* target, std::string* error);

const char* FormatName(Format format);
const char* ModeName(Mode mode);

}  // namespace incidentd::bench
