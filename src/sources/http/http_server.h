// HttpServer: the Beast listener and its connections.
//
// One acceptor; one session per connection on its own strand; `io_threads` threads run the io_context (the caller
// runs them). Per connection: keep-alive, one request at a time (a pipelined request waits in the buffer), a header
// size limit (431), a body size limit (413, checked against Content-Length before anything is read), an idle timeout
// while waiting for a request, a header timeout from its first byte and a body timeout, so a slow client cannot
// hold a connection. Bodies are read in one go into a reused per-connection buffer with simdjson's padding, since a
// Beast flat_buffer would read them 512 bytes at a time. `Expect: 100-continue` is answered; chunked bodies work.
//
// Stop: closes the acceptor and idle connections; a connection in the middle of a request finishes it (its answer
// says Connection: close) and closes. WaitForConnections tells when all are gone.
//
// Thread rule: Start/Stop/port from any thread; handlers run on the connection's strand and may answer from any
// thread. The Router must outlive the io_context (connections still queued in it refer to the router).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "incidentd/clock.h"
#include "incidentd/status.h"
#include "sources/http/router.h"

namespace incidentd::http {

struct ServerOptions {
  uint64_t max_body_bytes = 16 << 20;
  uint64_t max_header_bytes = 16 << 10;
  Duration header_timeout = std::chrono::seconds(10);
  Duration body_timeout = std::chrono::seconds(30);
  Duration idle_timeout = std::chrono::seconds(120);
};

class Session;

// What connections share with the server; they hold it, so it outlives the server object while they drain.
struct ServerShared {
  const Router* router;
  ServerOptions options;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, std::weak_ptr<Session>> sessions;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, const Router& router, ServerOptions options);
  ~HttpServer();

  // Binds and listens on host:port (port 0: any free port) and starts accepting.
  Status Start(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  void Stop();
  // True once no connection is left, false if the deadline came first.
  bool WaitForConnections(std::chrono::steady_clock::time_point deadline);
  bool stopping() const { return shared_->stopping.load(std::memory_order_relaxed); }

 private:
  void Accept();

  boost::asio::io_context& ioc_;
  std::shared_ptr<ServerShared> shared_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_timer_;  // backs off accepting after an error (EMFILE)
  std::chrono::milliseconds accept_backoff_{0};
  static constexpr std::chrono::milliseconds kMinAcceptBackoff{50};
  uint16_t port_ = 0;
  uint64_t next_id_ = 1;  // on the acceptor's strand
};

}  // namespace incidentd::http
