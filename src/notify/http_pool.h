// HttpPool: the state behind an HttpClient (http_client.h), shared with its connections.
//
// Calls are grouped by origin (scheme, host, port, whether through a proxy). An origin has at most
// `max_connections_per_origin` connections; a call takes an idle one (the most recently used), else opens one, else
// waits in the origin's FIFO queue. A connection that finishes a call takes the next queued call of its origin; with
// none it goes idle (when reusable) or closes. A queued call that reaches its deadline fails with a timeout.
//
// Every call not yet answered is on one list, so that Shutdown can answer them all at once; Complete and Shutdown
// take a call's callback under the mutex, so exactly one of them runs it.
//
// Thread rule: all of it is guarded by one mutex, held only for a few pointer moves; callbacks run without it.
// A connection's own state lives on its strand (http_connection.h).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "notify/http_client.h"
#include "notify/proxy.h"

namespace incidentd::notify {

class HttpPool;
class HttpConnection;
using SteadyTime = std::chrono::steady_clock::time_point;

// One Send: the request and where its answer goes. Owned by whoever holds it (a queue, a connection, a posted
// handler); the links and `done` belong to the pool's mutex.
struct HttpCall {
  ~HttpCall();  // unlinks a call that was never answered (its handler was dropped with the io_context)

  HttpRequest request;
  std::string target;  // the request-target: path and query
  SteadyTime deadline;
  bool retried = false;  // already sent again on a fresh connection after a stale pooled one failed

  HttpClient::Callback done;
  HttpPool* owner = nullptr;
  HttpCall* prev = nullptr;
  HttpCall* next = nullptr;
  std::atomic<bool> linked{false};  // written under the mutex; read without it only by the destructor
};

// Where a connection goes. Immutable.
struct Origin {
  bool tls = false;
  std::string host;              // lower-case, IPv6 without brackets
  std::string port;              // never empty
  bool ip_literal = false;       // no SNI for an IP address
  std::string host_port;         // "host:port" (IPv6 in brackets), for CONNECT and Host
  std::string host_header;       // the Host header: host_port without a default port
  std::string where;             // for messages: host_port, and " through proxy host:port" when proxied
  const Proxy* proxy = nullptr;  // null: a direct connection
};

// One origin's connections and waiting calls, guarded by the pool's mutex but for `origin` (immutable) and
// `queue_timer` (on its own strand).
struct OriginPool {
  OriginPool(boost::asio::io_context& io, Origin o);

  const Origin origin;
  std::vector<std::shared_ptr<HttpConnection>> connections;  // every open one: connecting, busy or idle
  std::vector<HttpConnection*> idle;                         // most recently used last
  std::deque<std::unique_ptr<HttpCall>> queue;
  boost::asio::steady_timer queue_timer;
  SteadyTime queue_timer_at = SteadyTime::max();  // the earliest deadline the timer is (being) set to
};

// kUnavailable "timeout after 10s (<where>)"; `where` is an Origin's.
Status TimeoutError(Duration timeout, const std::string& where);

class HttpPool : public std::enable_shared_from_this<HttpPool> {
 public:
  HttpPool(boost::asio::io_context& io, HttpClientOptions options);
  virtual ~HttpPool();
  HttpPool(const HttpPool&) = delete;
  HttpPool& operator=(const HttpPool&) = delete;

  void Send(HttpRequest request, HttpClient::Callback done);
  void Shutdown();
  // Returns once no callback runs on another thread (one running on this thread, which is inside it, is left).
  void WaitForCallbacks();

  boost::asio::io_context& io() { return io_; }
  const HttpClientOptions& options() const { return options_; }
  boost::asio::ssl::context& tls_context() { return tls_; }
  bool shut_down() const { return shut_down_.load(std::memory_order_acquire); }

  // What a connection does after a call.
  struct Next {
    std::unique_ptr<HttpCall> call;  // run this one (reconnecting first when the connection was not reusable)
    bool keep = false;               // without a call: stay open as idle; false: close, the pool has let go
  };
  // REQUIRES: on the connection's strand. Queued calls past their deadline are failed on the way.
  Next Finished(HttpConnection& connection, OriginPool& pool, bool reusable);
  // The connection's idle timer fired: true when it was still idle and the pool let go of it (close it then);
  // false when a call took it meanwhile.
  bool RemoveIdle(HttpConnection& connection, OriginPool& pool);
  // Answers `call` on this thread unless Shutdown did already. Call it once per call, holding no lock.
  void Complete(HttpCall& call, Result<HttpResponse> result);
  void Unlink(HttpCall& call);

 private:
  OriginPool& PoolFor(const Url& url, const Proxy* proxy);   // REQUIRES: mu_ held
  void Fail(std::unique_ptr<HttpCall> call, Status status);  // answers on an io thread, later
  void ArmQueueTimer(OriginPool& pool);
  void Link(HttpCall& call);          // REQUIRES: mu_ held
  void UnlinkLocked(HttpCall& call);  // REQUIRES: mu_ held
  void Run(HttpClient::Callback& done, Result<HttpResponse> result);

  boost::asio::io_context& io_;
  const HttpClientOptions options_;
  const ProxySettings proxies_;
  boost::asio::ssl::context tls_;
  Status tls_error_;  // loading ca_file failed: https calls fail with this

  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> shut_down_{false};
  std::unordered_map<std::string, std::unique_ptr<OriginPool>> pools_;
  HttpCall* calls_ = nullptr;  // calls not yet answered
  int running_ = 0;            // callbacks running right now
};

}  // namespace incidentd::notify
