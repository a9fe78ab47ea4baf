#include "notify/http_connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>

#include <array>
#include <charconv>
#include <cstring>

namespace incidentd::notify {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kReadBuffer = 16 * 1024;
constexpr uint32_t kMaxHeaderBytes = 64 * 1024;

Status ShutDownError() { return Status(StatusCode::kFailedPrecondition, "HTTP client shut down"); }

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::strchr("!#$%&'*+-.^_`|~", c) == nullptr) return false;
  }
  return true;
}

// Headers the client writes itself; the caller's copies are dropped.
bool IsReserved(std::string_view name) {
  for (std::string_view r : {"host", "content-length", "user-agent", "connection", "transfer-encoding"}) {
    if (beast::iequals(name, r)) return true;
  }
  return false;
}

// EOF or reset: what a stale keep-alive connection looks like.
bool PeerClosed(beast::error_code ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted || ec == ssl::error::stream_truncated;
}

// host_name_verification, which also records a name mismatch as the verify result, so the error can say so.
struct VerifyHostName {
  ssl::host_name_verification check;
  bool operator()(bool preverified, ssl::verify_context& ctx) const {
    if (check(preverified, ctx)) return true;
    if (preverified) X509_STORE_CTX_set_error(ctx.native_handle(), X509_V_ERR_HOSTNAME_MISMATCH);
    return false;
  }
};

}  // namespace

Status ValidateRequest(const HttpRequest& request) {
  if (!IsToken(request.method)) return Status::Invalid("the HTTP method is not a token");
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) return Status::Invalid("a request header name is not a token");
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Status::Invalid("request header " + name + " holds CR, LF or NUL");
    }
  }
  return Status::Ok();
}

HttpConnection::HttpConnection(std::shared_ptr<HttpPool> pool, OriginPool& origin_pool)
    : pool_(std::move(pool)),
      origin_pool_(origin_pool),
      origin_(origin_pool.origin),
      strand_(net::make_strand(pool_->io())),
      resolver_(strand_),
      socket_(strand_),
      timer_(strand_) {
  buffer_.reserve(kReadBuffer);
}

void HttpConnection::Start(std::unique_ptr<HttpCall> call) {
  net::post(strand_, [self = shared_from_this(), call = std::move(call)]() mutable { self->Begin(std::move(call)); });
}

void HttpConnection::Abort() {
  net::post(strand_, [self = shared_from_this()] {
    self->aborted_ = true;
    ++self->timer_generation_;
    self->timer_.cancel();
    if (self->resolving_) return self->AbandonResolve();
    self->CloseTransport();
  });
}

void HttpConnection::AbandonResolve() {
  ++resolve_generation_;
  resolving_ = false;
  OnError(Step::kResolve, net::error::operation_aborted);
}

void HttpConnection::Begin(std::unique_ptr<HttpCall> call) {
  call_ = std::move(call);
  timed_out_ = false;
  if (aborted_ || pool_->shut_down()) return Fail(ShutDownError());
  ArmTimer(call_->deadline);
  if (open_) return WriteRequest();
  Connect();
}

void HttpConnection::Connect() {
  tls_.reset();
  socket_ = tcp::socket(strand_);
  buffer_.clear();
  served_ = 0;
  open_ = true;
  const std::string& host = origin_.proxy != nullptr ? origin_.proxy->host : origin_.host;
  const std::string& port = origin_.proxy != nullptr ? origin_.proxy->port : origin_.port;
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(host, ec);
  if (!ec) {
    uint16_t port_number = 0;
    std::from_chars(port.data(), port.data() + port.size(), port_number);
    socket_.async_connect(tcp::endpoint(address, port_number),
                          [self = shared_from_this()](beast::error_code ec) { self->OnConnected(ec); });
    return;
  }
  // Asio resolves on a helper thread and cannot interrupt getaddrinfo, so a timeout or Abort does not wait for the
  // answer: it bumps the generation, and the late answer is dropped.
  resolving_ = true;
  resolver_.async_resolve(host, port,
                          [self = shared_from_this(), generation = resolve_generation_](
                              beast::error_code ec, const tcp::resolver::results_type& results) {
                            if (generation == self->resolve_generation_) self->OnResolved(ec, results);
                          });
}

void HttpConnection::OnResolved(beast::error_code ec, const tcp::resolver::results_type& results) {
  resolving_ = false;
  if (ec || timed_out_ || aborted_) return OnError(Step::kResolve, ec);
  net::async_connect(socket_, results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
    self->OnConnected(ec);
  });
}

void HttpConnection::OnConnected(beast::error_code ec) {
  if (ec || timed_out_ || aborted_) return OnError(Step::kConnect, ec);
  socket_.set_option(tcp::no_delay(true), ec);
  if (origin_.proxy != nullptr && origin_.tls) return WriteConnect();
  if (origin_.tls) return Handshake();
  WriteRequest();
}

void HttpConnection::WriteConnect() {
  head_.clear();
  head_.append("CONNECT ").append(origin_.host_port).append(" HTTP/1.1\r\nHost: ").append(origin_.host_port);
  if (!origin_.proxy->authorization.empty()) {
    head_.append("\r\nProxy-Authorization: ").append(origin_.proxy->authorization);
  }
  head_.append("\r\n\r\n");
  net::async_write(socket_, net::buffer(head_), [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec || self->timed_out_ || self->aborted_) return self->OnError(Step::kProxy, ec);
    self->connect_parser_.emplace();
    http::async_read_header(self->socket_, self->buffer_, *self->connect_parser_,
                            [self](beast::error_code ec, size_t) { self->OnConnectAnswer(ec); });
  });
}

void HttpConnection::OnConnectAnswer(beast::error_code ec) {
  if (ec || timed_out_ || aborted_) return OnError(Step::kProxy, ec);
  unsigned status = connect_parser_->get().result_int();
  connect_parser_.reset();
  if (status / 100 != 2) {
    return Fail(Status::Unavailable("proxy " + origin_.proxy->HostPort() + " answered CONNECT to " + origin_.host_port +
                                    " with HTTP " + std::to_string(status)));
  }
  buffer_.clear();  // a TLS server speaks second: nothing of it can be here yet
  Handshake();
}

void HttpConnection::Handshake() {
  tls_.emplace(std::move(socket_), pool_->tls_context());
  beast::error_code ec;
  if (!origin_.ip_literal && SSL_set_tlsext_host_name(tls_->native_handle(), origin_.host.c_str()) != 1) {
    ec = beast::error_code(static_cast<int>(ERR_get_error()), net::error::get_ssl_category());
  }
  if (!ec) tls_->set_verify_mode(ssl::verify_peer, ec);
  if (!ec) tls_->set_verify_callback(VerifyHostName{ssl::host_name_verification(origin_.host)}, ec);
  if (ec) return OnError(Step::kTls, ec);
  tls_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
    if (ec || self->timed_out_ || self->aborted_) return self->OnError(Step::kTls, ec);
    self->WriteRequest();
  });
}

void HttpConnection::BuildHead() {
  const HttpRequest& request = call_->request;
  bool absolute_form = origin_.proxy != nullptr && !origin_.tls;
  head_.clear();
  head_.append(request.method).append(" ");
  if (absolute_form) head_.append("http://").append(origin_.host_header);
  head_.append(call_->target).append(" HTTP/1.1\r\nHost: ").append(origin_.host_header);
  head_.append("\r\nUser-Agent: ").append(pool_->options().user_agent).append("\r\n");
  if (absolute_form && !origin_.proxy->authorization.empty()) {
    head_.append("Proxy-Authorization: ").append(origin_.proxy->authorization).append("\r\n");
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsReserved(name)) head_.append(name).append(": ").append(value).append("\r\n");
  }
  const std::string& m = request.method;
  if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof(digits), request.body.size()).ptr;
    head_.append("Content-Length: ").append(digits, end).append("\r\n");
  }
  head_.append("\r\n");
}

void HttpConnection::WriteRequest() {
  BuildHead();
  std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(call_->request.body)};
  WithStream([&](auto& stream) {
    net::async_write(stream, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || self->timed_out_ || self->aborted_) return self->OnError(Step::kWrite, ec);
      self->ReadResponse();
    });
  });
}

void HttpConnection::ReadResponse() {
  parser_.emplace();
  parser_->header_limit(kMaxHeaderBytes);
  parser_->body_limit(boost::none);  // CappedBody cuts instead of failing
  parser_->get().body().limit = pool_->options().max_response_bytes;
  if (call_->request.method == "HEAD") parser_->skip(true);
  WithStream([&](auto& stream) {
    http::async_read(stream, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  });
}

void HttpConnection::OnRead(beast::error_code ec) {
  auto& message = parser_->get();
  bool cut = message.body().cut;
  if (aborted_ || (ec && !cut)) return OnError(Step::kRead, ec);
  unsigned status = message.result_int();
  if (!ec && status >= 100 && status < 200 && status != 101) {  // an interim answer: the real one follows
    if (timed_out_) return OnError(Step::kRead, ec);
    return ReadResponse();
  }
  // A response read in full before the timer closed the transport still counts.
  HttpResponse response;
  response.status = static_cast<int>(status);
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body().data);
  bool reusable = !ec && parser_->keep_alive() && !timed_out_;
  parser_.reset();
  Finish(std::move(response), reusable);
}

void HttpConnection::OnError(Step step, beast::error_code ec) {
  if (aborted_) return Fail(ShutDownError());
  if (timed_out_) return Fail(TimeoutError(call_->request.timeout, origin_.where));
  bool nothing_back = step == Step::kWrite || (step == Step::kRead && !parser_->got_some() && buffer_.size() == 0);
  if (served_ > 0 && nothing_back && !call_->retried && PeerClosed(ec)) {
    // The peer closed this pooled connection while it was idle: send the call again on a fresh one.
    call_->retried = true;
    CloseTransport();
    return Connect();
  }
  Fail(Status::Unavailable(Describe(step, ec)));
}

void HttpConnection::Fail(Status status) {
  CloseTransport();
  Finish(std::move(status), false);
}

void HttpConnection::Finish(Result<HttpResponse> result, bool reusable) {
  ++timer_generation_;
  timer_.cancel();
  if (reusable) {
    ++served_;
  } else {
    CloseTransport();
  }
  std::unique_ptr<HttpCall> done = std::move(call_);
  HttpPool::Next next = pool_->Finished(*this, origin_pool_, reusable);
  if (next.call) {
    Begin(std::move(next.call));
  } else if (next.keep) {
    ArmTimer(std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(pool_->options().idle_timeout));
  } else {
    CloseTransport();
  }
  pool_->Complete(*done, std::move(result));
}

void HttpConnection::ArmTimer(SteadyTime at) {
  uint64_t generation = ++timer_generation_;
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    if (!ec && generation == self->timer_generation_) self->OnTimer();
  });
}

void HttpConnection::OnTimer() {
  if (call_) {
    // The pending step fails on the closed transport and reports the timeout.
    timed_out_ = true;
    if (resolving_) return AbandonResolve();
    CloseTransport();
  } else if (pool_->RemoveIdle(*this, origin_pool_)) {
    CloseTransport();
  }
}

void HttpConnection::CloseTransport() {
  open_ = false;
  beast::error_code ignored;
  resolver_.cancel();
  if (tls_) {
    tls_->next_layer().close(ignored);
  } else {
    socket_.close(ignored);
  }
}

std::string HttpConnection::Describe(Step step, beast::error_code ec) {
  const Proxy* proxy = origin_.proxy;
  std::string peer = proxy != nullptr ? "proxy " + proxy->HostPort() : origin_.host_port;
  switch (step) {
    case Step::kResolve:
      return "resolve " + (proxy != nullptr ? "proxy " + proxy->host : origin_.host) + ": " + ec.message();
    case Step::kConnect:
      return "connect to " + peer + ": " + ec.message();
    case Step::kProxy:
      if (ec == http::error::end_of_stream) return peer + " closed the connection before answering CONNECT";
      return peer + ": " + ec.message();
    case Step::kTls: {
      std::string reason = ec.message();
      if (ec.category() == net::error::get_ssl_category()) {
        const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
        reason = r != nullptr ? r : "TLS error";
      }
      long verify = tls_ ? SSL_get_verify_result(tls_->native_handle()) : X509_V_OK;
      if (verify != X509_V_OK) reason.append(": ").append(X509_verify_cert_error_string(verify));
      return "TLS handshake with " + origin_.host_port + ": " + reason;
    }
    case Step::kWrite:
      return "send to " + origin_.where + ": " + ec.message();
    case Step::kRead:
      if (ec == http::error::end_of_stream) return origin_.where + " closed the connection without answering";
      if (ec == http::error::partial_message) {
        return origin_.where + " closed the connection in the middle of the response";
      }
      if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
        return "bad HTTP response from " + origin_.where + ": " + ec.message();
      }
      return "read from " + origin_.where + ": " + ec.message();
  }
  return ec.message();
}

}  // namespace incidentd::notify
