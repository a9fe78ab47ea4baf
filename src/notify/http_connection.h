// HttpConnection: one connection slot of an origin pool (http_pool.h), running one call at a time on its strand.
//
// A call: connect when not connected (resolve unless the host is an IP literal; through a proxy, a CONNECT tunnel
// for https or absolute-form requests for http; then TLS for https), write the request, read the response. One timer
// per connection covers the whole call up to its deadline: when it fires the transport is closed, the pending step
// fails and the call fails with a timeout. Between calls the same timer closes the connection after idle_timeout.
//
// A connection reused from the pool that fails as if the peer had closed it (EOF or reset before any response byte)
// reconnects and sends the call again, once. A response cut at max_response_bytes, one without keep-alive and any
// failure close the transport; the slot then reconnects for the next queued call or leaves the pool.
//
// Thread rule: Start and Abort from any thread; everything else runs on the strand.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "notify/http_pool.h"

namespace incidentd::notify {

// A response body kept up to `limit` bytes: the read stops with error::body_limit at the first byte beyond, and
// `cut` says so.
struct CappedBody {
  struct value_type {
    std::string data;
    size_t limit = 0;
    bool cut = false;
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      if (length) body_.data.reserve(static_cast<size_t>(std::min<std::uint64_t>(*length, body_.limit)));
      ec = {};
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      size_t n = boost::beast::buffer_bytes(buffers);
      size_t at = body_.data.size();
      size_t take = std::min(n, body_.limit - at);
      body_.data.resize(at + take);
      boost::asio::buffer_copy(boost::asio::buffer(body_.data.data() + at, take), buffers);
      ec = {};
      if (take < n) {
        body_.cut = true;
        ec = boost::beast::http::error::body_limit;
      }
      return take;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// kInvalidArgument when the method or a header cannot go on the wire as given (not a token, CR or LF in a value);
// the message never quotes them.
Status ValidateRequest(const HttpRequest& request);

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(std::shared_ptr<HttpPool> pool, OriginPool& origin_pool);

  // Runs `call` here. REQUIRES: the pool handed this connection the call (it was new, idle or just finished).
  void Start(std::unique_ptr<HttpCall> call);
  // Closes the transport; a call in flight fails (Shutdown has answered it already).
  void Abort();

 private:
  enum class Step { kResolve, kConnect, kProxy, kTls, kWrite, kRead };
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  template <class F>
  void WithStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  void Begin(std::unique_ptr<HttpCall> call);
  void Connect();
  void OnResolved(boost::beast::error_code ec, const boost::asio::ip::tcp::resolver::results_type& results);
  void AbandonResolve();  // fails the call now, while the resolver is still busy
  void OnConnected(boost::beast::error_code ec);
  void WriteConnect();
  void OnConnectAnswer(boost::beast::error_code ec);
  void Handshake();
  void WriteRequest();
  void ReadResponse();
  void OnRead(boost::beast::error_code ec);
  void OnError(Step step, boost::beast::error_code ec);
  void Fail(Status status);
  void Finish(Result<HttpResponse> result, bool reusable);
  void ArmTimer(SteadyTime at);
  void OnTimer();
  void CloseTransport();
  std::string Describe(Step step, boost::beast::error_code ec);
  void BuildHead();

  const std::shared_ptr<HttpPool> pool_;
  OriginPool& origin_pool_;
  const Origin& origin_;
  Strand strand_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;                                        // plain, or before TLS
  std::optional<boost::beast::ssl_stream<boost::asio::ip::tcp::socket>> tls_;  // owns the socket once TLS starts
  boost::asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  std::string head_;  // the request line and headers, reused
  std::optional<boost::beast::http::response_parser<CappedBody>> parser_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::empty_body>> connect_parser_;
  std::unique_ptr<HttpCall> call_;
  uint64_t timer_generation_ = 0;    // a timer completion for an older generation is stale
  uint64_t resolve_generation_ = 0;  // likewise for a resolver answer
  bool resolving_ = false;
  unsigned served_ = 0;  // calls answered on the current transport
  bool open_ = false;    // the transport is up and may carry the next request
  bool timed_out_ = false;
  bool aborted_ = false;
};

}  // namespace incidentd::notify
