// HttpClient: sends HTTP/1.1 requests asynchronously on an io_context, over plain TCP or TLS (OpenSSL through
// Boost.Beast), keeping connections alive in a pool per origin.
//
// - An origin is (scheme, host, port, whether through a proxy). It gets at most `max_connections_per_origin`
//   connections; further requests wait in a FIFO queue. An idle connection closes after `idle_timeout`. A pooled
//   connection found closed by the peer when reused (EOF or reset before any byte of the response) is replaced by a
//   fresh one and the request sent again, once, without the caller seeing it.
// - TLS verifies the peer's certificate chain against the system's trust store (plus `ca_file` when set) and its
//   host name; SNI is sent for host names (not for IP literals). There is no switch to turn verification off.
// - Proxies come from the environment like curl reads them (proxy.h has the details): `https_proxy`/`HTTPS_PROXY`
//   for https:// URLs (a CONNECT tunnel, TLS inside it end to end), `http_proxy`/`HTTP_PROXY` for http:// URLs
//   (absolute-form requests), and `no_proxy`/`NO_PROXY` (comma-separated host names, domain suffixes, `*`). Proxy
//   URLs are http://host:port, optionally with user:password (sent as Proxy-Authorization: Basic). They are read
//   once, by the constructor.
// - Each request has its own timeout covering the time queued, resolve, connect, TLS, write and read; a connection
//   that times out is closed, not reused.
// - The client writes Host, User-Agent and Content-Length (Content-Type only when the caller gives one); a body
//   longer than `max_response_bytes` is cut, and its connection is closed.
// - Errors say what failed (resolve, connect, TLS, timeout, protocol, proxy) and where (the origin), never the
//   request's path, query string, headers or body: they may hold secrets.
//
// Thread rule: Send and Shutdown may be called from any thread. Callbacks run on the io_context's threads, except
// that Shutdown (and so the destructor) runs the callbacks of the requests it fails on its own thread before it
// returns. Once the destructor has returned no callback runs any more. REQUIRES: the io_context outlives the client
// and keeps being run until then (a client may be destroyed inside one of its own callbacks).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "incidentd/http_message.h"
#include "incidentd/status.h"

namespace incidentd::notify {

struct HttpClientOptions {
  std::string ca_file;  // PEM trust anchors added to the system's; empty: the system's only. If it cannot be loaded,
                        // https requests fail with kInvalidArgument naming it.
  size_t max_connections_per_origin = 16;
  Duration idle_timeout = std::chrono::seconds(30);  // a pooled keep-alive connection is closed after this
  size_t max_response_bytes = 1 << 20;               // longer bodies are cut (the status still counts)
  std::string user_agent = "incidentd";
  bool proxy_from_environment = true;  // false: ignore the *_proxy variables (tests)
};

class HttpClient {
 public:
  // The response, or an error: kUnavailable for network trouble (resolve, connect, reset, TLS handshake, timeout,
  // proxy, stale connection that failed again), kInvalidArgument for a request that cannot be sent (bad URL,
  // unsupported scheme, a method or header with characters HTTP cannot carry, a malformed proxy variable, an
  // unloadable ca_file), kFailedPrecondition after Shutdown. HTTP error statuses (4xx, 5xx) are responses, not
  // errors. Called exactly once per Send.
  using Callback = std::function<void(Result<HttpResponse>)>;

  HttpClient(boost::asio::io_context& io, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void Send(HttpRequest request, Callback done);
  // Fails queued and in-flight requests with kFailedPrecondition, running their callbacks on this thread before it
  // returns, and closes the pool. Later Sends fail the same way. Idempotent.
  void Shutdown();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// A parsed absolute http(s) URL.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-case, without brackets for IPv6
  std::string port;    // explicit (without leading zeros) or the scheme's default
  std::string target;  // path and query, "/" at least; no fragment
};
// kInvalidArgument names the problem, never the URL (it may hold a token). User info (user:password@) is refused.
Result<Url> ParseUrl(std::string_view url);

}  // namespace incidentd::notify
