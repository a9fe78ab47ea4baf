// One keep-alive HTTP/1.1 client connection with at most one request in flight.
//
// HTTP is hand-rolled (request = one writev of header + body, response parser that only extracts the status and
// skips the body) because Beast's generic parser and allocations would cost more than generating the alerts.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "alerts.h"
#include "options.h"
#include "stats.h"

namespace incidentd::bench {

// Shared by all connections; everything but the atomics is immutable once the io threads run.
struct RunState {
  const BodyGenerator* generator = nullptr;
  Target target;
  std::string header_prefix;  // request line and fixed headers, up to and including "Content-Length: "
  size_t batch = 1;
  uint64_t max_alerts = UINT64_MAX;
  size_t connections = 1;
  double interval_ns = 0;  // per-connection gap between intended sends; 0 = closed loop
  Clock::time_point start, warmup_end, run_end;
  std::atomic<uint64_t> next_seq{0};  // run-wide alert sequence: bounds --count and numbers "new" alerts
  std::atomic<bool> stop{false};
  std::atomic<bool> count_exhausted{false};
  // Wakes the control thread (which otherwise sleeps until its next deadline) on stop and on io-thread exit.
  std::mutex mu;
  std::condition_variable cv;

  void Notify() {
    std::lock_guard<std::mutex> lock(mu);
    cv.notify_all();
  }
  void RequestStop() {
    if (!stop.exchange(true)) Notify();
  }
};

class Connection {
 public:
  Connection(boost::asio::io_context& io, RunState& run, Stats& stats, size_t index);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Both must run on the connection's io thread (post them).
  void Start();
  void Abort();  // wakes a connection that sleeps on its schedule or connect backoff so it notices run.stop

  bool in_flight() const { return in_flight_; }

 private:
  enum class Phase { kHeaders, kBody, kChunkSize, kChunkData, kChunkCrlf, kTrailer, kUntilClose };

  void Connect();
  void OnConnect(const boost::system::error_code& ec);
  void Next();
  void Send(Clock::time_point intended);
  void OnWrite(const boost::system::error_code& ec);
  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  int Parse();  // 1 = response complete, 0 = need more bytes, -1 = malformed
  bool ParseHead(std::string_view head);
  void Complete();
  void Fail(const char* what, const std::string& detail);
  void Finish();
  bool Stopping() const;

  RunState& run_;
  Stats& stats_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  double offset_ns_;   // staggers open-loop schedules across connections
  uint64_t slot_ = 0;  // next open-loop slot
  uint64_t slots_sent_ = 0;
  bool connected_once_ = false;
  bool finished_ = false;

  // Current request.
  std::string header_;
  BodyGenerator::Scratch scratch_;
  BodyParts body_;
  Clock::time_point intended_;
  size_t alerts_ = 0;
  bool in_flight_ = false;

  // Response parsing.
  std::vector<char> rbuf_;
  size_t rbeg_ = 0;
  size_t rend_ = 0;
  Phase phase_ = Phase::kHeaders;
  int status_ = 0;
  uint64_t remaining_ = 0;
  bool close_after_ = false;
};

}  // namespace incidentd::bench
