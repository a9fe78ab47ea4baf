// A blocking HTTP/1.1 client for tests, on a real loopback socket. Each call waits at most a bounded time.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace incidentd::testing {

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  boost::beast::http::fields headers;
  bool keep_alive = false;
};

class TestClient {
 public:
  explicit TestClient(uint16_t port) : stream_(ioc_) {
    stream_.expires_after(std::chrono::seconds(10));
    stream_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  HttpResult Send(boost::beast::http::verb method, const std::string& target, const std::string& body = "",
                  const std::string& content_type = "application/json",
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    if (method == http::verb::post || !body.empty()) req.prepare_payload();
    stream_.expires_after(std::chrono::seconds(10));
    http::write(stream_, req);
    return Read();
  }
  HttpResult Post(const std::string& target, const std::string& body, const std::string& ct = "application/json") {
    return Send(boost::beast::http::verb::post, target, body, ct);
  }
  HttpResult Get(const std::string& target) { return Send(boost::beast::http::verb::get, target, "", ""); }

  HttpResult Read() {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256 << 20);
    stream_.expires_after(std::chrono::seconds(10));
    http::read(stream_, buffer_, parser);
    auto& res = parser.get();
    HttpResult r;
    r.status = res.result_int();
    r.body = res.body();
    r.content_type = std::string(res[http::field::content_type]);
    r.headers = res.base();
    r.keep_alive = res.keep_alive();
    return r;
  }

  // The header of a POST of `length` JSON bytes to /api/v2/alerts, with `extra` header lines ("Name: v\r\n").
  static std::string PostHeader(size_t length, const std::string& extra = "") {
    return "POST /api/v2/alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra +
           "Content-Length: " + std::to_string(length) + "\r\n\r\n";
  }

  // Raw bytes, for malformed and partial requests.
  void WriteRaw(const std::string& bytes) {
    stream_.expires_after(std::chrono::seconds(10));
    boost::asio::write(stream_, boost::asio::buffer(bytes));
  }
  // True when the server closes the connection within `within`.
  bool ClosedWithin(std::chrono::milliseconds within) {
    stream_.expires_after(within);
    char c;
    boost::beast::error_code ec;
    for (;;) {
      stream_.read_some(boost::asio::buffer(&c, 1), ec);
      if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) return true;
      if (ec) return false;  // timeout: still open
    }
  }

 private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace incidentd::testing
