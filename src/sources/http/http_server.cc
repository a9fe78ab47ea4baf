#include "sources/http/http_server.h"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstring>
#include <optional>

namespace incidentd::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
constexpr size_t kReadChunk = 16 * 1024;     // each connection's header buffer; see the class comment
constexpr size_t kPadding = 64;              // simdjson::SIMDJSON_PADDING
constexpr size_t kKeepBodyBuffer = 1 << 20;  // a connection keeps a body buffer up to this size between requests
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

std::chrono::steady_clock::duration Steady(Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}
}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<ServerShared> shared, tcp::socket&& socket, uint64_t id)
      : shared_(std::move(shared)), stream_(std::move(socket)), id_(id) {
    buffer_.reserve(kReadChunk);
  }
  ~Session() {
    std::lock_guard lock(shared_->mu);
    shared_->sessions.erase(id_);
    shared_->cv.notify_all();
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
  }

  // On Stop: a connection waiting for a request closes now; one inside a request closes after answering.
  void CloseIfIdle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->stream_.socket().close();
    });
  }

 private:
  void WaitForRequest() {
    if (shared_->stopping.load(std::memory_order_relaxed)) return Close();
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    idle_ = true;
    stream_.expires_after(Steady(shared_->options.idle_timeout));
    stream_.async_read_some(buffer_.prepare(kReadChunk), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->idle_ = false;
      if (ec) return self->Close();
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    stream_.expires_after(Steady(shared_->options.header_timeout));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    started_ = std::chrono::steady_clock::now();
    metrics_ = nullptr;
    if (ec == bhttp::error::body_limit) {
      return Fail(413, "request body larger than http.max_body_bytes (" +
                           std::to_string(shared_->options.max_body_bytes) + " bytes)");
    }
    if (ec == bhttp::error::header_limit) return Fail(431, "request header larger than http.max_header_bytes");
    if (ec == beast::error::timeout || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted) {
      return Close();
    }
    if (ec) return Fail(400, "malformed HTTP request: " + ec.message());
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    if (version_ >= 11 && beast::iequals(req[bhttp::field::expect], "100-continue")) {
      // A request that no route takes is refused before the client sends its body.
      Request probe;
      probe.method = req.method();
      std::string_view target(req.target().data(), req.target().size());
      probe.path = target.substr(0, target.find('?'));
      Router::Match m = shared_->router->Route(probe);
      if (m.handler == nullptr) {
        keep_alive_ = false;
        metrics_ = m.metrics;
        return Write(std::move(m.error));
      }
      // curl and others wait for this before sending a large body.
      net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReserveBody(size_t n) {
    if (body_cap_ < n + kPadding) {
      body_cap_ = n + kPadding;
      body_ = std::make_unique_for_overwrite<char[]>(body_cap_);
    }
  }

  void ReadBody() {
    stream_.expires_after(Steady(shared_->options.body_timeout));
    if (parser_->chunked()) {
      chunked_.emplace(std::move(*parser_));
      chunked_->body_limit(shared_->options.max_body_bytes);
      bhttp::async_read(stream_, buffer_, *chunked_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec == bhttp::error::body_limit) return self->Fail(413, "request body larger than http.max_body_bytes");
        if (ec) return self->Close();
        const std::string& b = self->chunked_->get().body();
        self->ReserveBody(b.size());
        std::memcpy(self->body_.get(), b.data(), b.size());
        self->body_len_ = b.size();
        self->Dispatch(self->chunked_->get().base());
      });
      return;
    }
    size_t n = static_cast<size_t>(parser_->content_length().value_or(0));
    ReserveBody(n);
    body_len_ = n;
    size_t have = std::min(n, buffer_.size());
    net::buffer_copy(net::buffer(body_.get(), have), buffer_.data());
    buffer_.consume(have);
    if (have == n) return Dispatch(parser_->get().base());
    net::async_read(stream_, net::buffer(body_.get() + have, n - have),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) return self->Close();
                      self->Dispatch(self->parser_->get().base());
                    });
  }

  void Dispatch(const bhttp::fields& header_fields) {
    stream_.expires_never();  // the engine answers; a tick must not time the connection out
    const auto& h = static_cast<const bhttp::request_header<>&>(header_fields);
    request_ = Request{};
    request_.method = h.method();
    std::string_view target(h.target().data(), h.target().size());
    size_t q = target.find('?');
    request_.path = target.substr(0, q);
    if (q != std::string_view::npos) request_.query = target.substr(q + 1);
    auto ct = h[bhttp::field::content_type];
    request_.content_type = std::string_view(ct.data(), ct.size());
    request_.body = std::string_view(body_.get(), body_len_);
    request_.body_capacity = body_cap_;
    request_.headers = &header_fields;
    Router::Match m = shared_->router->Route(request_);
    metrics_ = m.metrics;
    if (m.handler == nullptr) return Write(std::move(m.error));
    // The answer may come from another thread (the engine's); it is brought back onto this connection's strand.
    (*m.handler)(request_, [self = shared_from_this()](Response r) {
      net::dispatch(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->Write(std::move(r)); });
    });
  }

  void Fail(unsigned status, const std::string& message) {
    keep_alive_ = false;
    metrics_ = shared_->router->unrouted();
    Write(ErrorResponse(status, message));
  }

  void Write(Response r) {
    if (metrics_ != nullptr) {
      metrics_->Record(r.status, std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    }
    if (shared_->stopping.load(std::memory_order_relaxed)) keep_alive_ = false;
    res_ = {};
    res_.version(version_);  // an HTTP/1.0 client gets a 1.0 answer, with Connection: keep-alive if it asked for it
    res_.result(r.status);
    res_.set(bhttp::field::server, "incidentd");
    if (!r.body.empty() || r.status >= 200) res_.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res_.set(k, v);
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive_);
    res_.prepare_payload();
    stream_.expires_after(Steady(shared_->options.body_timeout));
    bhttp::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->chunked_.reset();
      if (self->body_cap_ > kKeepBodyBuffer) {
        self->body_.reset();
        self->body_cap_ = 0;
      }
      if (ec || !self->keep_alive_) return self->Close();
      self->WaitForRequest();
    });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  std::shared_ptr<ServerShared> shared_;
  beast::tcp_stream stream_;
  const uint64_t id_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::empty_body>> parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> chunked_;
  std::unique_ptr<char[]> body_;
  size_t body_cap_ = 0;
  size_t body_len_ = 0;
  Request request_;
  bhttp::response<bhttp::string_body> res_;
  RouteMetrics* metrics_ = nullptr;
  std::chrono::steady_clock::time_point started_;
  bool keep_alive_ = true;
  bool idle_ = false;
  unsigned version_ = 11;
};

HttpServer::HttpServer(net::io_context& ioc, const Router& router, ServerOptions options)
    : ioc_(ioc),
      shared_(std::make_shared<ServerShared>()),
      acceptor_(net::make_strand(ioc)),
      accept_timer_(acceptor_.get_executor()) {
  shared_->router = &router;
  shared_->options = options;
}

HttpServer::~HttpServer() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

Status HttpServer::Start(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return Status::Invalid("listen: '" + host + "' is not an IP address");
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
  net::dispatch(acceptor_.get_executor(), [this] { Accept(); });
  return Status::Ok();
}

void HttpServer::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec && !shared_->stopping.load()) {
      socket.set_option(tcp::no_delay(true), ec);
      auto s = std::make_shared<Session>(shared_, std::move(socket), next_id_);
      {
        std::lock_guard lock(shared_->mu);
        shared_->sessions.emplace(next_id_++, s);
      }
      s->Start();
      accept_backoff_ = std::chrono::milliseconds(0);
    } else if (ec) {
      // Out of file descriptors, most likely: the connection stays in the backlog, so accepting again at once would
      // spin. Wait, longer each time up to a second, and say so once per wait.
      accept_backoff_ = std::min<std::chrono::milliseconds>(std::max(accept_backoff_ * 2, kMinAcceptBackoff),
                                                            std::chrono::seconds(1));
      spdlog::warn("accept: {}; retrying in {} ms", ec.message(), accept_backoff_.count());
      accept_timer_.expires_after(accept_backoff_);
      accept_timer_.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) Accept();
      });
      return;
    }
    Accept();
  });
}

void HttpServer::Stop() {
  if (shared_->stopping.exchange(true)) return;
  net::dispatch(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_timer_.cancel();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(shared_->mu);
    for (auto& [id, weak] : shared_->sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  // Outside the lock: dropping the last reference to a session takes the lock in its destructor.
  for (auto& s : live) s->CloseIfIdle();
}

bool HttpServer::WaitForConnections(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(shared_->mu);
  return shared_->cv.wait_until(lock, deadline, [&] { return shared_->sessions.empty(); });
}

}  // namespace incidentd::http
