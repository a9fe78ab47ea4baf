// FastSink: the benchmarks' receiver. HTTP/1.1 keep-alive on 127.0.0.1, port 0, answering every request 202 with an
// empty body as soon as it is read, on its own threads. Unlike the tests' HttpSink it keeps nothing: each request's
// body goes to a callback (which must be thread-safe when there are several threads) and is dropped.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

namespace incidentd::bench {

class FastSink {
 public:
  using OnRequest = std::function<void(std::string_view body)>;

  FastSink(int threads, OnRequest on_request) : on_request_(std::move(on_request)), io_(threads), acceptor_(io_) {
    namespace asio = boost::asio;
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~FastSink() {
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  FastSink(const FastSink&) = delete;
  FastSink& operator=(const FastSink&) = delete;

  uint16_t port() const { return port_; }
  // Its threads, for their CPU time.
  std::vector<std::thread>& threads() { return threads_; }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(boost::asio::ip::tcp::socket s, FastSink& k) : socket(std::move(s)), sink(k) {}
    void Read() {
      request = {};
      boost::beast::http::async_read(
          socket, buffer, request, [self = shared_from_this()](boost::beast::error_code ec, size_t) {
            if (ec) return;
            self->sink.on_request_(self->request.body());
            static constexpr std::string_view kAnswer = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
            const bool keep = self->request.keep_alive();
            boost::asio::async_write(self->socket, boost::asio::buffer(kAnswer.data(), kAnswer.size()),
                                     [self, keep](boost::beast::error_code ec, size_t) {
                                       if (!ec && keep) self->Read();
                                     });
          });
    }
    boost::asio::ip::tcp::socket socket;
    FastSink& sink;
    boost::beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> request;
  };

  void Accept() {
    acceptor_.async_accept(boost::asio::make_strand(io_),
                           [this](boost::beast::error_code ec, boost::asio::ip::tcp::socket socket) {
                             if (ec) return;
                             socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
                             std::make_shared<Session>(std::move(socket), *this)->Read();
                             Accept();
                           });
  }

  OnRequest on_request_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace incidentd::bench
