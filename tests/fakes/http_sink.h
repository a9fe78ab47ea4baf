// HttpSink: a real HTTP/1.1 server on 127.0.0.1 for tests: the far end of pagers, webhooks and proxies.
//
// It binds port 0 and serves on its own io_context thread, with keep-alive, plain or TLS (given a PEM certificate
// chain and key). It records every request in arrival order and answers from a script: queued responses in order,
// then the default (200, empty body). A scripted response may wait before answering or close the connection without
// answering. It counts connections (accepted, open, requests in flight at once) so tests can see keep-alive and
// concurrency, and can close idle connections as a server's keep-alive timeout would. Tests wait with
// WaitForRequests and WaitForOpenConnections, which have deadlines; nothing here sleeps.
//
// Thread rule: every method is safe from any thread. The destructor stops the server (Stop).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "incidentd/http_message.h"

namespace incidentd::testing {

struct SinkRequest {
  std::string method;
  std::string target;  // as sent: origin-form "/path?q", or absolute-form "http://host/path" when used as a proxy
  HttpHeaders headers;
  std::string body;
  std::chrono::steady_clock::time_point arrived;
  uint64_t connection = 0;  // which connection carried it: 1 for the first one accepted, and so on

  // The first header named `name` (case-insensitive); empty when absent.
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (boost::beast::iequals(k, name)) return v;
    }
    return {};
  }
};

// How the sink answers one request: SinkResponse(429, "slow down").Header("Retry-After", "30").Delay(50ms).
struct SinkResponse {
  SinkResponse(int s = 200, std::string b = "") : status(s), body(std::move(b)) {}  // NOLINT: implicit from a status
  // Closes the connection instead of answering.
  static SinkResponse CloseWithoutAnswer() {
    SinkResponse r;
    r.close_without_answer = true;
    return r;
  }
  SinkResponse& Header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  SinkResponse& Delay(std::chrono::milliseconds d) {
    delay = d;
    return *this;
  }

  int status;
  HttpHeaders headers;  // "Connection: close" closes the connection after answering
  std::string body;
  std::chrono::milliseconds delay{0};  // wait this long before answering
  bool close_without_answer = false;
};

struct SinkTls {
  std::string cert_chain_pem;  // the server certificate first, then intermediates
  std::string key_pem;
};

class HttpSink {
 public:
  explicit HttpSink(std::optional<SinkTls> tls = std::nullopt)
      : tls_context_(boost::asio::ssl::context::tls_server), acceptor_(io_), tls_(tls.has_value()) {
    namespace net = boost::asio;
    if (tls) {
      tls_context_.use_certificate_chain(net::buffer(tls->cert_chain_pem));
      tls_context_.use_private_key(net::buffer(tls->key_pem), net::ssl::context::pem);
    }
    net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HttpSink() { Stop(); }
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT", or https:// in TLS mode.
  std::string url() const { return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_); }

  // The answer once the script is used up. Default: 200 with an empty body.
  void SetDefault(SinkResponse response) {
    std::lock_guard lock(mu_);
    default_ = std::move(response);
  }
  // Queues the answer to a coming request; queued answers are used in order, one per request.
  void Enqueue(SinkResponse response) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(response));
  }

  // True once at least `n` requests have arrived; false if the deadline came first.
  bool WaitForRequests(size_t n, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return requests_.size() >= n; });
  }
  std::vector<SinkRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  // Connections accepted so far.
  size_t connections() const { return connections_.load(); }
  // True once exactly `n` connections are open; false if the deadline came first.
  bool WaitForOpenConnections(size_t n, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return open_ == n; });
  }
  // The most requests that were read and not yet answered at the same time.
  size_t max_in_flight() const {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }

  // Closes every connection as soon as it waits for its next request, as a server's keep-alive timeout does: those
  // waiting already are closed when this returns, one still answering right after its answer is written.
  void CloseIdleConnections() {
    if (stopped_.load()) return;
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      ForEachSession([](Session& s) {
        s.close_when_idle = true;
        if (s.idle) s.Close();
      });
      done.set_value();
    });
    done.get_future().wait();
  }

  // Closes the listener and every connection and joins the thread. Idempotent.
  void Stop() {
    if (stopped_.exchange(true)) return;
    boost::asio::post(io_, [this] {
      boost::beast::error_code ignored;
      acceptor_.close(ignored);
      ForEachSession([](Session& s) { s.Close(); });
      io_.stop();
    });
    thread_.join();
  }

 private:
  struct Session {
    virtual ~Session() = default;
    virtual void Close() = 0;
    bool idle = false;             // waiting for the next request
    bool close_when_idle = false;  // close instead of waiting for the next request
  };

  template <class Stream>
  class Connection : public Session, public std::enable_shared_from_this<Connection<Stream>> {
   public:
    static constexpr bool kTls = !std::is_same_v<Stream, boost::asio::ip::tcp::socket>;

    Connection(HttpSink& sink, boost::asio::ip::tcp::socket socket, uint64_t id)
        : sink_(sink), stream_(MakeStream(sink, std::move(socket))), timer_(sink.io_), id_(id) {}

    void Start() {
      if constexpr (kTls) {
        stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                [self = this->shared_from_this()](boost::beast::error_code ec) {
                                  if (ec) return self->Close();
                                  self->Read();
                                });
      } else {
        Read();
      }
    }

    void Close() override {
      if (!closed_) sink_.Closed();
      closed_ = true;
      boost::beast::error_code ignored;
      timer_.cancel();
      boost::beast::get_lowest_layer(stream_).close(ignored);
    }

   private:
    static Stream MakeStream(HttpSink& sink, boost::asio::ip::tcp::socket socket) {
      if constexpr (kTls) {
        return Stream(std::move(socket), sink.tls_context_);
      } else {
        return socket;
      }
    }

    void Read() {
      if (close_when_idle) return Close();
      parser_.emplace();
      parser_->body_limit(64 << 20);
      idle = true;
      boost::beast::http::async_read(stream_, buffer_, *parser_,
                                     [self = this->shared_from_this()](boost::beast::error_code ec, size_t) {
                                       self->idle = false;
                                       if (ec) return self->Close();
                                       self->OnRequest();
                                     });
    }

    void OnRequest() {
      auto& req = parser_->get();
      SinkRequest r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      r.body = std::move(req.body());
      r.arrived = std::chrono::steady_clock::now();
      r.connection = id_;
      keep_alive_ = req.keep_alive();
      SinkResponse answer = sink_.Record(std::move(r));
      if (answer.close_without_answer) {
        sink_.Answered();
        return Close();
      }
      if (answer.delay.count() == 0) return Write(std::move(answer));
      timer_.expires_after(answer.delay);
      timer_.async_wait(
          [self = this->shared_from_this(), answer = std::move(answer)](boost::beast::error_code ec) mutable {
            if (ec) return self->sink_.Answered();
            self->Write(std::move(answer));
          });
    }

    void Write(SinkResponse answer) {
      namespace http = boost::beast::http;
      res_ = {};
      res_.version(11);
      res_.result(static_cast<unsigned>(answer.status));
      res_.keep_alive(keep_alive_);
      for (auto& [k, v] : answer.headers) res_.set(k, v);
      res_.body() = std::move(answer.body);
      res_.prepare_payload();
      http::async_write(stream_, res_, [self = this->shared_from_this()](boost::beast::error_code ec, size_t) {
        self->sink_.Answered();
        if (ec || !self->res_.keep_alive()) return self->Close();
        self->Read();
      });
    }

    HttpSink& sink_;
    Stream stream_;
    boost::asio::steady_timer timer_;
    const uint64_t id_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    boost::beast::http::response<boost::beast::http::string_body> res_;
    bool keep_alive_ = true;
    bool closed_ = false;
  };

  void Accept() {
    acceptor_.async_accept([this](boost::beast::error_code ec, boost::asio::ip::tcp::socket socket) {
      if (ec) return;  // closed by Stop
      socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
      uint64_t id = ++connections_;
      {
        std::lock_guard lock(mu_);
        ++open_;
      }
      std::shared_ptr<Session> session;
      if (tls_) {
        auto c = std::make_shared<Connection<boost::beast::ssl_stream<boost::asio::ip::tcp::socket>>>(
            *this, std::move(socket), id);
        c->Start();
        session = c;
      } else {
        auto c = std::make_shared<Connection<boost::asio::ip::tcp::socket>>(*this, std::move(socket), id);
        c->Start();
        session = c;
      }
      sessions_.remove_if([](const std::weak_ptr<Session>& w) { return w.expired(); });
      sessions_.push_back(session);
      Accept();
    });
  }

  // On the io thread.
  template <class F>
  void ForEachSession(F f) {
    for (auto& weak : sessions_) {
      if (auto s = weak.lock()) f(*s);
    }
  }

  SinkResponse Record(SinkRequest r) {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    cv_.notify_all();
    if (script_.empty()) return default_;
    SinkResponse next = std::move(script_.front());
    script_.pop_front();
    return next;
  }

  void Answered() {
    std::lock_guard lock(mu_);
    --in_flight_;
  }

  void Closed() {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_all();
  }

  boost::asio::ssl::context tls_context_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const bool tls_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  std::atomic<size_t> connections_{0};
  std::list<std::weak_ptr<Session>> sessions_;  // on the io thread

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SinkRequest> requests_;
  std::deque<SinkResponse> script_;
  SinkResponse default_;
  size_t open_ = 0;  // connections accepted and not closed yet
  size_t in_flight_ = 0;
  size_t max_in_flight_ = 0;
};

}  // namespace incidentd::testing
