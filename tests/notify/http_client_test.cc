// The HTTP client's contract on real loopback sockets: round trip, keep-alive, the per-origin cap, timeouts, stale
// pooled connections, limits, TLS verification, proxies, secrets kept out of errors, and Shutdown.
#include "notify/http_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <future>
#include <thread>

#include "fakes/http_sink.h"
#include "notify/proxy.h"
#include "notify/tls_test_util.h"

namespace incidentd::notify {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using incidentd::testing::HttpSink;
using incidentd::testing::Pki;
using incidentd::testing::SinkRequest;
using incidentd::testing::SinkResponse;
using std::chrono::milliseconds;
using std::chrono::seconds;
using tcp = net::ip::tcp;

std::chrono::steady_clock::time_point In(std::chrono::steady_clock::duration d) {
  return std::chrono::steady_clock::now() + d;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

HttpRequest Post(std::string url, std::string body = "{}", Duration timeout = seconds(10)) {
  HttpRequest r;
  r.url = std::move(url);
  r.body = std::move(body);
  r.timeout = timeout;
  return r;
}

// Answers as they come, from any thread.
class Collector {
 public:
  HttpClient::Callback Callback() {
    return [this](Result<HttpResponse> r) {
      std::lock_guard lock(mu_);
      results_.push_back(std::move(r));
      cv_.notify_all();
    };
  }
  bool WaitFor(size_t n, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return results_.size() >= n; });
  }
  std::vector<Result<HttpResponse>> results() {
    std::lock_guard lock(mu_);
    return results_;
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return results_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Result<HttpResponse>> results_;
};

// Sets the proxy variables for one test, clearing their upper-case twins, and restores them after.
class ScopedProxyEnv {
 public:
  ScopedProxyEnv(std::string http_proxy, std::string https_proxy, std::string no_proxy) {
    const std::array<std::pair<const char*, std::string>, 6> vars = {{{"http_proxy", http_proxy},
                                                                      {"https_proxy", https_proxy},
                                                                      {"no_proxy", no_proxy},
                                                                      {"HTTP_PROXY", ""},
                                                                      {"HTTPS_PROXY", ""},
                                                                      {"NO_PROXY", ""}}};
    for (const auto& [name, value] : vars) {
      const char* old = getenv(name);
      saved_.emplace_back(name, old != nullptr ? std::optional<std::string>(old) : std::nullopt);
      if (value.empty()) {
        unsetenv(name);
      } else {
        setenv(name, value.c_str(), 1);
      }
    }
  }
  ~ScopedProxyEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// A CONNECT-only proxy on 127.0.0.1. It records each request line and Proxy-Authorization, answers `status`, and on
// 200 relays bytes both ways until either side closes.
class ConnectProxy {
 public:
  explicit ConnectProxy(unsigned status = 200)
      : acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}), status_(status) {
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ConnectProxy() {
    net::post(io_, [this] { io_.stop(); });
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }
  std::vector<std::string> authorizations() {
    std::lock_guard lock(mu_);
    return authorizations_;
  }

 private:
  struct Tunnel : std::enable_shared_from_this<Tunnel> {
    explicit Tunnel(tcp::socket s) : client(std::move(s)), upstream(client.get_executor()) {}
    void Pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
      from.async_read_some(
          net::buffer(buf), [self = shared_from_this(), &from, &to, &buf](beast::error_code ec, size_t n) {
            if (ec) return self->Close();
            net::async_write(to, net::buffer(buf.data(), n), [self, &from, &to, &buf](beast::error_code ec, size_t) {
              if (ec) return self->Close();
              self->Pump(from, to, buf);
            });
          });
    }
    void Close() {
      beast::error_code ignored;
      client.close(ignored);
      upstream.close(ignored);
    }
    tcp::socket client;
    tcp::socket upstream;
    beast::flat_buffer buffer;
    beast::http::request_parser<beast::http::empty_body> parser;
    std::array<char, 16384> up{}, down{};
  };

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto t = std::make_shared<Tunnel>(std::move(socket));
      beast::http::async_read_header(t->client, t->buffer, t->parser, [this, t](beast::error_code ec, size_t) {
        if (ec) return t->Close();
        auto& req = t->parser.get();
        std::string target(req.target());
        {
          std::lock_guard lock(mu_);
          lines_.push_back(std::string(req.method_string()) + " " + target + " HTTP/1.1");
          authorizations_.push_back(std::string(req[beast::http::field::proxy_authorization]));
        }
        if (status_ != 200 || req.method() != beast::http::verb::connect) {
          auto answer = std::make_shared<std::string>("HTTP/1.1 " + std::to_string(status_) +
                                                      " No\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
          net::async_write(t->client, net::buffer(*answer), [t, answer](beast::error_code, size_t) { t->Close(); });
          return;
        }
        size_t colon = target.rfind(':');
        auto resolver = std::make_shared<tcp::resolver>(io_);
        resolver->async_resolve(
            target.substr(0, colon), target.substr(colon + 1),
            [t, resolver](beast::error_code ec, const tcp::resolver::results_type& results) {
              if (ec) return t->Close();
              net::async_connect(t->upstream, results, [t](beast::error_code ec, const tcp::endpoint&) {
                if (ec) return t->Close();
                static const std::string kOk = "HTTP/1.1 200 Connection established\r\n\r\n";
                net::async_write(t->client, net::buffer(kOk), [t](beast::error_code ec, size_t) {
                  if (ec) return t->Close();
                  t->Pump(t->client, t->upstream, t->up);
                  t->Pump(t->upstream, t->client, t->down);
                });
              });
            });
      });
      Accept();
    });
  }

  net::io_context io_;
  tcp::acceptor acceptor_;
  const unsigned status_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<std::string> authorizations_;
};

class HttpClientTest : public ::testing::Test {
 protected:
  HttpClientTest() : work_(net::make_work_guard(io_)) {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~HttpClientTest() override { Drain(); }

  // Lets the io threads finish every handler left and return. Clients must be gone by then.
  void Drain() {
    work_.reset();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  HttpClientOptions Options() {
    HttpClientOptions o;
    o.proxy_from_environment = false;
    o.user_agent = "incidentd-test";
    return o;
  }

  Result<HttpResponse> Call(HttpClient& client, HttpRequest request) {
    auto done = std::make_shared<std::promise<Result<HttpResponse>>>();
    auto answer = done->get_future();
    client.Send(std::move(request), [done](Result<HttpResponse> r) { done->set_value(std::move(r)); });
    if (answer.wait_for(seconds(20)) != std::future_status::ready) return Status::Internal("test: no answer in 20s");
    return answer.get();
  }

  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

TEST(ParseUrlTest, GoodUrls) {
  struct Case {
    std::string url, scheme, host, port, target;
  };
  const std::vector<Case> cases = {
      {"http://example.com", "http", "example.com", "80", "/"},
      {"https://Events.PagerDuty.com/v2/enqueue", "https", "events.pagerduty.com", "443", "/v2/enqueue"},
      {"HTTP://127.0.0.1:8080?a=b", "http", "127.0.0.1", "8080", "/?a=b"},
      {"https://[::1]:8443/x?y=z#frag", "https", "::1", "8443", "/x?y=z"},
      {"http://[2001:db8::7]/", "http", "2001:db8::7", "80", "/"},
      {"http://host:0080/p", "http", "host", "80", "/p"},
  };
  for (const Case& c : cases) {
    Result<Url> u = ParseUrl(c.url);
    ASSERT_TRUE(u.ok()) << c.url << ": " << u.status().message();
    EXPECT_EQ(u->scheme, c.scheme) << c.url;
    EXPECT_EQ(u->host, c.host) << c.url;
    EXPECT_EQ(u->port, c.port) << c.url;
    EXPECT_EQ(u->target, c.target) << c.url;
  }
}

TEST(ParseUrlTest, BadUrlsAreRefusedWithoutEchoingThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ftp://secret.example/SECRET", "scheme"},
      {"secret.example/SECRET", "no scheme"},
      {"http:///SECRET", "no host"},
      {"http://host:0/SECRET", "bad port"},
      {"http://host:65536/SECRET", "bad port"},
      {"http://host:http/SECRET", "bad port"},
      {"http://host:/SECRET", "bad port"},
      {"http://host:-1/SECRET", "bad port"},
      {"http://[::1/SECRET", "unclosed"},
      {"http://[zz::1]:80/SECRET", "IPv6"},
      {"http://::1:80/SECRET", "brackets"},
      {"http://user:SECRET@host/", "user:password"},
      {"http://host/SECRET path", "space"},
      {"http://ho st/SECRET", "bad character"},
  };
  for (const auto& [url, problem] : cases) {
    Result<Url> u = ParseUrl(url);
    ASSERT_FALSE(u.ok()) << url;
    EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_TRUE(Contains(u.status().message(), problem)) << url << " -> " << u.status().message();
    EXPECT_FALSE(Contains(u.status().message(), "SECRET")) << u.status().message();
  }
}

TEST(ProxySettingsTest, NoProxyMatching) {
  ProxySettings s = ProxySettings::Parse("http://proxy:3128", "", " Example.com, .corp.internal ,10.0.0.1,[::1]:80");
  struct Case {
    std::string host;
    bool bypass;
  };
  for (const Case& c : std::vector<Case>{{"example.com", true},
                                         {"api.example.com", true},
                                         {"badexample.com", false},
                                         {"corp.internal", true},
                                         {"a.b.corp.internal", true},
                                         {"10.0.0.1", true},
                                         {"10.0.0.10", false},
                                         {"::1", true},
                                         {"pagerduty.com", false}}) {
    EXPECT_EQ(s.Bypass(c.host), c.bypass) << c.host;
    Result<const Proxy*> p = s.For("http", c.host);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p == nullptr, c.bypass) << c.host;
  }
  EXPECT_TRUE(ProxySettings::Parse("http://proxy:3128", "", "*").Bypass("anything.example"));
  // No https_proxy: https goes direct.
  EXPECT_EQ(*s.For("https", "pagerduty.com"), nullptr);
}

TEST(ProxySettingsTest, ProxyUrls) {
  ProxySettings s = ProxySettings::Parse("proxy.local", "http://us%65r:p%40ss@[::1]:8080/", "");
  const Proxy* http = *s.For("http", "x");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->HostPort(), "proxy.local:1080");
  EXPECT_EQ(http->authorization, "");
  const Proxy* https = *s.For("https", "x");
  ASSERT_NE(https, nullptr);
  EXPECT_EQ(https->HostPort(), "[::1]:8080");
  EXPECT_EQ(https->authorization, "Basic dXNlcjpwQHNz");  // user:p@ss

  for (std::string bad : {"socks5://u:SECRET@h:1", "http://u:SECRET@h:99999", "http://u:SECRET%zz@h:1"}) {
    Result<const Proxy*> p = ProxySettings::Parse("", bad, "").For("https", "x");
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(p.status().message(), "https_proxy")) << p.status().message();
    EXPECT_FALSE(Contains(p.status().message(), "SECRET")) << p.status().message();
  }
}

TEST_F(HttpClientTest, PostRoundTrip) {
  HttpSink sink;
  sink.Enqueue(SinkResponse(202, "accepted").Header("X-Answer", "yes"));
  HttpClient client(io_, Options());
  HttpRequest req = Post(sink.url() + "/v2/enqueue?x=1", R"({"a":1})");
  req.headers = {{"Content-Type", "application/json"}, {"X-Token", "abc"}, {"Host", "ignored.example"}};
  Result<HttpResponse> r = Call(client, req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "accepted");
  EXPECT_EQ(r->Header("x-answer"), "yes");

  ASSERT_EQ(sink.count(), 1u);
  SinkRequest got = sink.requests()[0];
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/v2/enqueue?x=1");
  EXPECT_EQ(got.body, R"({"a":1})");
  EXPECT_EQ(got.Header("Host"), "127.0.0.1:" + std::to_string(sink.port()));
  EXPECT_EQ(got.Header("User-Agent"), "incidentd-test");
  EXPECT_EQ(got.Header("Content-Length"), "7");
  EXPECT_EQ(got.Header("Content-Type"), "application/json");
  EXPECT_EQ(got.Header("X-Token"), "abc");

  // No Content-Type unless the caller gives one.
  HttpRequest get = Post(sink.url(), "");
  get.method = "GET";
  ASSERT_TRUE(Call(client, get).ok());
  got = sink.requests()[1];
  EXPECT_EQ(got.method, "GET");
  EXPECT_EQ(got.target, "/");
  EXPECT_EQ(got.Header("Content-Type"), "");
}

TEST_F(HttpClientTest, SequentialRequestsShareOneConnection) {
  HttpSink sink;
  HttpClient client(io_, Options());
  for (int i = 0; i < 20; ++i) {
    Result<HttpResponse> r = Call(client, Post(sink.url() + "/n", std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  EXPECT_EQ(sink.count(), 20u);
  EXPECT_EQ(sink.connections(), 1u);
}

TEST_F(HttpClientTest, IdleConnectionsCloseAfterIdleTimeout) {
  HttpSink sink;
  HttpClientOptions o = Options();
  o.idle_timeout = milliseconds(100);
  HttpClient client(io_, o);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Call(client, Post(sink.url())).ok());
  ASSERT_TRUE(sink.WaitForOpenConnections(0, In(seconds(5))));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(100));
  ASSERT_TRUE(Call(client, Post(sink.url())).ok());
  EXPECT_EQ(sink.connections(), 2u);
}

TEST_F(HttpClientTest, ConcurrencyIsCappedPerOriginAndExtraRequestsQueue) {
  HttpSink sink;
  sink.SetDefault(SinkResponse(200).Delay(milliseconds(20)));
  HttpClientOptions o = Options();
  o.max_connections_per_origin = 2;
  Collector answers;
  HttpClient client(io_, o);
  for (int i = 0; i < 8; ++i) client.Send(Post(sink.url() + "/q", std::to_string(i)), answers.Callback());
  ASSERT_TRUE(answers.WaitFor(8, In(seconds(10))));
  for (auto& r : answers.results()) EXPECT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(sink.connections(), 2u);
  EXPECT_EQ(sink.max_in_flight(), 2u);
  // FIFO: the bodies arrive in the order sent, give or take the two connections racing.
  std::vector<SinkRequest> got = sink.requests();
  ASSERT_EQ(got.size(), 8u);
  for (size_t i = 2; i < got.size(); ++i) EXPECT_GE(std::stoi(got[i].body) + 2, static_cast<int>(i));
}

TEST_F(HttpClientTest, TimeoutFailsTheCallAndDropsTheConnection) {
  HttpSink sink;
  sink.Enqueue(SinkResponse(200).Delay(seconds(5)));
  HttpClient client(io_, Options());
  auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> r = Call(client, Post(sink.url() + "/slow", "{}", milliseconds(200)));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "timeout after 200ms (127.0.0.1:" + std::to_string(sink.port()) + ")");
  EXPECT_GE(took, milliseconds(200));
  EXPECT_LT(took, seconds(2));
  // The next call does not reuse the connection that timed out.
  ASSERT_TRUE(Call(client, Post(sink.url())).ok());
  EXPECT_EQ(sink.connections(), 2u);
}

TEST_F(HttpClientTest, TimeoutCountsTheTimeSpentQueued) {
  HttpSink sink;
  sink.Enqueue(SinkResponse(200).Delay(milliseconds(800)));
  HttpClientOptions o = Options();
  o.max_connections_per_origin = 1;
  Collector slow;
  HttpClient client(io_, o);
  client.Send(Post(sink.url() + "/slow"), slow.Callback());
  ASSERT_TRUE(sink.WaitForRequests(1, In(seconds(5))));
  auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> r = Call(client, Post(sink.url() + "/queued", "{}", milliseconds(100)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(700));  // not held up by the slow call
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "timeout after 100ms")) << r.status().message();
  ASSERT_TRUE(slow.WaitFor(1, In(seconds(5))));
  EXPECT_TRUE(slow.results()[0].ok());
  EXPECT_EQ(sink.count(), 1u);  // the queued call was never sent
}

TEST_F(HttpClientTest, ConnectionRefused) {
  uint16_t port;
  {
    net::io_context io;
    tcp::acceptor a(io, {net::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  HttpClient client(io_, Options());
  Result<HttpResponse> r = Call(client, Post("http://127.0.0.1:" + std::to_string(port) + "/x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  EXPECT_TRUE(r.status().retryable());
}

TEST_F(HttpClientTest, PeerClosingWithoutAnsweringIsAnError) {
  HttpSink sink;
  sink.Enqueue(SinkResponse::CloseWithoutAnswer());
  HttpClient client(io_, Options());
  Result<HttpResponse> r = Call(client, Post(sink.url()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(r.status().message(), "closed the connection without answering")) << r.status().message();
  EXPECT_EQ(sink.count(), 1u);  // a fresh connection is not retried
}

TEST_F(HttpClientTest, StalePooledConnectionIsReplacedTransparently) {
  HttpSink sink;
  HttpClient client(io_, Options());
  ASSERT_TRUE(Call(client, Post(sink.url() + "/1")).ok());
  sink.CloseIdleConnections();  // the server's keep-alive timeout, while the client holds the connection
  Result<HttpResponse> r = Call(client, Post(sink.url() + "/2"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(sink.count(), 2u);
  EXPECT_EQ(sink.connections(), 2u);
}

TEST_F(HttpClientTest, ErrorStatusesAreResponses) {
  HttpSink sink;
  sink.Enqueue(SinkResponse(429, "slow down").Header("Retry-After", "30"));
  sink.Enqueue(503);
  HttpClient client(io_, Options());
  Result<HttpResponse> r = Call(client, Post(sink.url()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->Header("retry-after"), "30");
  EXPECT_EQ(r->body, "slow down");
  r = Call(client, Post(sink.url()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(sink.connections(), 1u);
}

TEST_F(HttpClientTest, LongBodiesAreCutAndTheirConnectionClosed) {
  HttpSink sink;
  sink.Enqueue(SinkResponse(200, std::string(10, 'a')));
  sink.Enqueue(SinkResponse(500, std::string(100000, 'b')));
  HttpClientOptions o = Options();
  o.max_response_bytes = 10;
  HttpClient client(io_, o);
  Result<HttpResponse> r = Call(client, Post(sink.url()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, std::string(10, 'a'));
  r = Call(client, Post(sink.url()));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, std::string(10, 'b'));
  EXPECT_EQ(sink.connections(), 1u);  // a body at the limit keeps the connection
  ASSERT_TRUE(Call(client, Post(sink.url())).ok());
  EXPECT_EQ(sink.connections(), 2u);  // a cut one does not
}

TEST_F(HttpClientTest, HttpsWithTheTestCa) {
  HttpSink sink(Pki().localhost);
  HttpClientOptions o = Options();
  o.ca_file = Pki().ca_file;
  HttpClient client(io_, o);
  Result<HttpResponse> r = Call(client, Post(sink.url() + "/tls", "hello"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  r = Call(client, Post("https://localhost:" + std::to_string(sink.port()) + "/by-name"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(sink.count(), 2u);
  EXPECT_EQ(sink.requests()[0].body, "hello");
  EXPECT_EQ(sink.requests()[1].Header("Host"), "localhost:" + std::to_string(sink.port()));
}

TEST_F(HttpClientTest, HttpsFailsWithoutTrustingTheCa) {
  HttpSink sink(Pki().localhost);
  HttpClient client(io_, Options());
  Result<HttpResponse> r = Call(client, Post(sink.url() + "/tls"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(r.status().message(), "TLS handshake with 127.0.0.1:" + std::to_string(sink.port())));
  EXPECT_TRUE(Contains(r.status().message(), "certificate verify failed")) << r.status().message();
  EXPECT_EQ(sink.count(), 0u);
}

TEST_F(HttpClientTest, HttpsFailsWhenTheNameDoesNotMatch) {
  HttpSink sink(Pki().other_name);
  HttpClientOptions o = Options();
  o.ca_file = Pki().ca_file;
  HttpClient client(io_, o);
  Result<HttpResponse> r = Call(client, Post(sink.url()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(r.status().message(), "certificate verify failed")) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "hostname mismatch")) << r.status().message();
}

TEST_F(HttpClientTest, BadCaFileFailsHttpsCalls) {
  HttpClientOptions o = Options();
  o.ca_file = "/nonexistent/ca.pem";
  HttpClient client(io_, o);
  Result<HttpResponse> r = Call(client, Post("https://127.0.0.1:1/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "ca_file")) << r.status().message();
}

TEST_F(HttpClientTest, HttpsGoesThroughAConnectTunnel) {
  HttpSink sink(Pki().localhost);
  ConnectProxy proxy;
  ScopedProxyEnv env("", "http://user:p%40ss@127.0.0.1:" + std::to_string(proxy.port()), "");
  HttpClientOptions o = Options();
  o.proxy_from_environment = true;
  o.ca_file = Pki().ca_file;
  HttpClient client(io_, o);
  std::string origin = "localhost:" + std::to_string(sink.port());
  for (int i = 0; i < 3; ++i) {
    Result<HttpResponse> r = Call(client, Post("https://" + origin + "/through"));
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  EXPECT_EQ(proxy.lines(), std::vector<std::string>{"CONNECT " + origin + " HTTP/1.1"});  // one tunnel, kept alive
  EXPECT_EQ(proxy.authorizations(), std::vector<std::string>{"Basic dXNlcjpwQHNz"});
  ASSERT_EQ(sink.count(), 3u);
  EXPECT_EQ(sink.requests()[0].target, "/through");
  EXPECT_EQ(sink.requests()[0].Header("Proxy-Authorization"), "");  // the credentials stay with the proxy
}

TEST_F(HttpClientTest, ProxyRefusingConnectIsUnavailable) {
  ConnectProxy proxy(407);
  ScopedProxyEnv env("", "http://127.0.0.1:" + std::to_string(proxy.port()), "");
  HttpClientOptions o = Options();
  o.proxy_from_environment = true;
  HttpClient client(io_, o);
  Result<HttpResponse> r = Call(client, Post("https://pd.example.com/v2/enqueue?token=SECRET"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                                      " answered CONNECT to pd.example.com:443 with HTTP 407");
}

TEST_F(HttpClientTest, HttpGoesToTheProxyInAbsoluteForm) {
  HttpSink proxy;  // a plain HTTP proxy sees absolute-form requests; the sink answers them itself
  ScopedProxyEnv env("http://bob:pw@127.0.0.1:" + std::to_string(proxy.port()), "", "");
  HttpClientOptions o = Options();
  o.proxy_from_environment = true;
  HttpClient client(io_, o);
  Result<HttpResponse> r = Call(client, Post("http://target.example:8080/a?b=1"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  r = Call(client, Post("http://target.example/c"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(proxy.count(), 2u);
  std::vector<SinkRequest> got = proxy.requests();
  EXPECT_EQ(got[0].target, "http://target.example:8080/a?b=1");
  EXPECT_EQ(got[0].Header("Host"), "target.example:8080");
  EXPECT_EQ(got[0].Header("Proxy-Authorization"), "Basic Ym9iOnB3");
  EXPECT_EQ(got[1].target, "http://target.example/c");
  EXPECT_EQ(got[1].Header("Host"), "target.example");
}

TEST_F(HttpClientTest, NoProxyBypassesTheProxy) {
  HttpSink proxy;
  HttpSink target;
  ScopedProxyEnv env("http://127.0.0.1:" + std::to_string(proxy.port()), "", "example.com,localhost");
  HttpClientOptions o = Options();
  o.proxy_from_environment = true;
  HttpClient client(io_, o);
  Result<HttpResponse> r = Call(client, Post("http://localhost:" + std::to_string(target.port()) + "/direct"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(target.count(), 1u);
  EXPECT_EQ(proxy.count(), 0u);
  ASSERT_TRUE(Call(client, Post("http://other.example/proxied")).ok());
  EXPECT_EQ(proxy.count(), 1u);
}

TEST_F(HttpClientTest, ErrorsNeverShowTheRequestsSecrets) {
  HttpSink slow;
  slow.SetDefault(SinkResponse(200).Delay(seconds(5)));
  HttpSink tls(Pki().localhost);
  uint16_t closed_port;
  {
    net::io_context io;
    tcp::acceptor a(io, {net::ip::make_address("127.0.0.1"), 0});
    closed_port = a.local_endpoint().port();
  }
  HttpClient client(io_, Options());
  const std::string path = "/SECRET/enqueue?routing_key=SECRET";
  for (std::string url : {"http://127.0.0.1:" + std::to_string(closed_port) + path, slow.url() + path, tls.url() + path,
                          "http://no-such-host.invalid" + path, "gopher://x" + path}) {
    HttpRequest req = Post(url, R"({"routing_key":"SECRET"})", milliseconds(300));
    req.headers = {{"Authorization", "Token SECRET"}};
    Result<HttpResponse> r = Call(client, req);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_FALSE(Contains(r.status().message(), "SECRET")) << r.status().message();
  }
  HttpRequest injected = Post(slow.url());
  injected.headers = {{"X-Key", "SECRET\r\nX-Evil: 1"}};
  Result<HttpResponse> r = Call(client, injected);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Contains(r.status().message(), "SECRET")) << r.status().message();
}

TEST_F(HttpClientTest, ShutdownFailsQueuedAndInFlightCalls) {
  HttpSink sink;
  sink.SetDefault(SinkResponse(200).Delay(seconds(30)));
  HttpClientOptions o = Options();
  o.max_connections_per_origin = 1;
  Collector answers;
  HttpClient client(io_, o);
  for (int i = 0; i < 3; ++i) client.Send(Post(sink.url()), answers.Callback());
  ASSERT_TRUE(sink.WaitForRequests(1, In(seconds(5))));
  client.Shutdown();
  ASSERT_EQ(answers.size(), 3u);  // answered before Shutdown returned
  for (auto& r : answers.results()) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  }
  client.Send(Post(sink.url()), answers.Callback());
  ASSERT_TRUE(answers.WaitFor(4, In(seconds(5))));
  EXPECT_EQ(answers.results()[3].status().code(), StatusCode::kFailedPrecondition);
  client.Shutdown();  // idempotent
  EXPECT_EQ(answers.size(), 4u);
}

TEST_F(HttpClientTest, NoCallbackRunsAfterTheClientIsGone) {
  HttpSink sink;
  sink.SetDefault(SinkResponse(200).Delay(milliseconds(50)));
  std::atomic<bool> destroyed{false};
  std::atomic<int> calls{0}, late{0};
  {
    HttpClientOptions o = Options();
    o.max_connections_per_origin = 2;
    HttpClient client(io_, o);
    for (int i = 0; i < 50; ++i) {
      client.Send(Post(sink.url()), [&](Result<HttpResponse>) {
        if (destroyed.load()) ++late;
        ++calls;
      });
    }
    ASSERT_TRUE(sink.WaitForRequests(1, In(seconds(5))));
  }
  destroyed = true;
  EXPECT_EQ(calls.load(), 50);  // every call answered, by the destructor at the latest
  Drain();                      // every handler left in the io_context runs
  EXPECT_EQ(late.load(), 0);
  EXPECT_EQ(calls.load(), 50);
}

TEST_F(HttpClientTest, DestroyingTheClientInsideItsCallbackIsSafe) {
  HttpSink sink;
  auto client = std::make_unique<HttpClient>(io_, Options());
  std::promise<void> done;
  client->Send(Post(sink.url()), [&](Result<HttpResponse> r) {
    EXPECT_TRUE(r.ok());
    client.reset();
    done.set_value();
  });
  ASSERT_EQ(done.get_future().wait_for(seconds(10)), std::future_status::ready);
}

}  // namespace
}  // namespace incidentd::notify
