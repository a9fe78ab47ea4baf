// The HTTP server's contract on real sockets: bad input, limits, timeouts, keep-alive, pipelining, chunked bodies.
#include <gtest/gtest.h>

#include "integration/daemon_fixture.h"

namespace incidentd::testing {
namespace {

namespace http = boost::beast::http;
using std::chrono::milliseconds;

simdjson::dom::element Parse(simdjson::dom::parser& p, const std::string& body) {
  simdjson::dom::element e;
  EXPECT_EQ(p.parse(body).get(e), simdjson::SUCCESS) << body;
  return e;
}

// Each bad request gets a 4xx whose JSON names the field, the alert's index and the reason, and changes nothing.
TEST_F(DaemonTest, BadInputIsRefusedWholeWithPreciseErrors) {
  StartWith("limits: {max_labels: 3, max_label_value_bytes: 16}\n");
  TestClient c = Client();
  struct Case {
    std::string body;
    int64_t index;
    std::string field;
    std::string reason_part;
  };
  const std::vector<Case> cases = {
      {R"([{"labels":{"alertname":"ok"}},{"labels":{"alertname":"A", "bad-name":"x"}}])", 1, "labels.bad-name",
       "invalid label name"},
      {R"([{"labels":{}}])", 0, "labels", "at least one label pair required"},
      {R"([{"annotations":{}}])", 0, "labels", ""},
      {R"([{"labels":{"alertname":5}}])", 0, "labels.alertname", "string"},
      {R"([{"labels":{"alertname":"a"},"startsAt":"yesterday"}])", 0, "startsAt", ""},
      {R"([{"labels":{"alertname":"a"},"startsAt":"2026-01-02T00:00:00Z","endsAt":"2026-01-01T00:00:00Z"}])", 0,
       "endsAt", "start time must be before end time"},
      {R"([{"labels":{"a":"1","b":"2","c":"3","d":"4"}}])", 0, "labels", ""},
      {R"([{"labels":{"alertname":"aaaaaaaaaaaaaaaaaaaaaaaaa"}}])", 0, "labels.alertname", ""},
      {"[{\"labels\":{\"alertname\":\"a\xff\"}}]", 0, "labels.alertname", "UTF-8"},
      {R"({"labels":{"alertname":"a"}})", -1, "", "array"},
      {R"([{"labels":{"alertname":"a"}})", -1, "", ""},
  };
  simdjson::dom::parser p;
  for (const Case& k : cases) {
    HttpResult r = c.Post("/api/v2/alerts", k.body);
    ASSERT_EQ(r.status, 400u) << k.body;
    simdjson::dom::element e = Parse(p, r.body);
    simdjson::dom::element first = e["errors"].at(0);
    EXPECT_EQ(int64_t(first["index"]), k.index) << k.body << " -> " << r.body;
    if (!k.field.empty()) {
      EXPECT_EQ(std::string_view(first["field"]), k.field) << k.body << " -> " << r.body;
    }
    EXPECT_NE(std::string_view(first["reason"]).find(k.reason_part), std::string_view::npos) << r.body;
    EXPECT_FALSE(std::string_view(e["error"]).empty());
  }
  // The first alert of the first case was valid, but its batch was refused whole.
  EXPECT_EQ(Alerts(c).get_array().size(), 0u);
  HttpResult m = c.Get("/metrics");
  EXPECT_NE(m.body.find("incidentd_alerts_rejected_total{source=\"http\",format=\"prometheus\",reason=\"invalid\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("incidentd_http_requests_total{handler=\"alerts_post\",code=\"400\"} 11"), std::string::npos)
      << m.body;
}

TEST_F(DaemonTest, WrongContentTypeIs415) {
  StartWith();
  TestClient c = Client();
  HttpResult r = c.Post("/api/v2/alerts", R"([{"labels":{"a":"b"}}])", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 415u);
  EXPECT_NE(r.body.find("Content-Type must be application/json"), std::string::npos);
  EXPECT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"a":"b"}}])", "application/json; charset=utf-8").status, 200u);
}

TEST_F(DaemonTest, WrongPathAndMethod) {
  StartWith();
  TestClient c = Client();
  HttpResult r = c.Get("/nope");
  EXPECT_EQ(r.status, 404u);
  r = c.Send(http::verb::delete_, "/api/v2/alerts");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(std::string(r.headers["Allow"]), "POST, GET");
  EXPECT_EQ(c.Get("/healthz").status, 200u);  // still serving on the same connection
  EXPECT_EQ(c.Get("/readyz").status, 200u);
}

TEST_F(DaemonTest, HugeBodyIs413BeforeItIsRead) {
  StartWith("http: {max_body_bytes: 64KiB}\n");
  TestClient c = Client();
  // Only the header is sent: the limit is checked against Content-Length, nothing waits for the body.
  c.WriteRaw(TestClient::PostHeader(10000000));
  HttpResult r = c.Read();
  EXPECT_EQ(r.status, 413u);
  EXPECT_FALSE(r.keep_alive);
  // A body just under the limit passes.
  TestClient c2 = Client();
  std::string body = "[";
  while (body.size() < 60000) body += R"({"labels":{"alertname":"x"}},)";
  body.back() = ']';
  EXPECT_EQ(c2.Post("/api/v2/alerts", body).status, 200u);
  EXPECT_NE(c2.Get("/metrics").body.find("incidentd_http_requests_total{handler=\"none\",code=\"413\"} 1\n"),
            std::string::npos);
}

TEST_F(DaemonTest, HeaderTooLargeIs431) {
  StartWith("http: {max_header_bytes: 2KiB}\n");
  TestClient c = Client();
  c.WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(c.Read().status, 431u);
}

TEST_F(DaemonTest, MalformedRequestLineIs400AndServerKeepsServing) {
  StartWith();
  TestClient c = Client();
  c.WriteRaw("BLAH\x01 / HTTP/9\r\n\r\n");
  EXPECT_EQ(c.Read().status, 400u);
  EXPECT_EQ(Client().Get("/healthz").status, 200u);
}

TEST_F(DaemonTest, SlowHeaderIsCutOffByHeaderTimeout) {
  StartWith("http: {header_timeout: 200ms, idle_timeout: 10s}\n");
  TestClient c = Client();
  c.WriteRaw("POST /api/v2/alerts HTTP/1.1\r\nHost: x\r\n");  // and then nothing
  EXPECT_TRUE(c.ClosedWithin(milliseconds(5000)));
}

TEST_F(DaemonTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  StartWith("http: {idle_timeout: 200ms}\n");
  TestClient c = Client();
  EXPECT_EQ(c.Get("/healthz").status, 200u);
  EXPECT_TRUE(c.ClosedWithin(milliseconds(5000)));
}

TEST_F(DaemonTest, SlowBodyIsCutOffByBodyTimeout) {
  StartWith("http: {body_timeout: 200ms}\n");
  TestClient c = Client();
  c.WriteRaw(TestClient::PostHeader(100) + "[");
  EXPECT_TRUE(c.ClosedWithin(milliseconds(5000)));
}

TEST_F(DaemonTest, Http10AndEarlyRefusalOfExpectContinue) {
  StartWith();
  TestClient c = Client();
  c.WriteRaw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  HttpResult r = c.Read();
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(std::string(r.headers[boost::beast::http::field::connection]), "keep-alive");
  // A path nobody serves is refused before the client uploads the body it announced.
  TestClient c2 = Client();
  c2.WriteRaw(
      "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
      "Content-Length: 1000000\r\n\r\n");
  r = c2.Read();
  EXPECT_EQ(r.status, 404u);
  EXPECT_FALSE(r.keep_alive);
  // An empty batch is fine, and answered as Alertmanager does: 200, no body.
  r = c.Post("/api/v2/alerts", "[]");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "");
}

TEST_F(DaemonTest, PipelinedRequestsAreAnsweredInOrder) {
  StartWith();
  TestClient c = Client();
  std::string body = R"([{"labels":{"alertname":"P"}}])";
  std::string post = TestClient::PostHeader(body.size()) + body;
  c.WriteRaw(post + "GET /api/v2/alerts HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.Read().status, 200u);
  HttpResult list = c.Read();
  EXPECT_EQ(list.status, 200u);
  EXPECT_NE(list.body.find("\"alertname\":\"P\""), std::string::npos);
  EXPECT_EQ(c.Read().status, 404u);
}

TEST_F(DaemonTest, ChunkedBodyAndExpectContinue) {
  StartWith();
  TestClient c = Client();
  std::string body = R"([{"labels":{"alertname":"Chunked"}}])";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  c.WriteRaw(
      "POST /api/v2/alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
  EXPECT_EQ(c.Read().status, 200u);

  std::string body2 = R"([{"labels":{"alertname":"Continued"}}])";
  c.WriteRaw(TestClient::PostHeader(body2.size(), "Expect: 100-continue\r\n"));
  EXPECT_EQ(c.Read().status, 100u);
  c.WriteRaw(body2);
  EXPECT_EQ(c.Read().status, 200u);
  EXPECT_EQ(Alerts(c).get_array().size(), 2u);
}

TEST_F(DaemonTest, ManyConnectionsAtOnce) {
  StartWith();
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 50; ++i) clients.push_back(std::make_unique<TestClient>(port()));
  for (int i = 0; i < 50; ++i) {
    std::string body = R"([{"labels":{"alertname":"C)" + std::to_string(i) + R"("}}])";
    ASSERT_EQ(clients[i]->Post("/api/v2/alerts", body).status, 200u);
  }
  EXPECT_EQ(Alerts(*clients[0]).get_array().size(), 50u);
}

TEST_F(DaemonTest, MetricsExposition) {
  StartWith();
  TestClient c = Client();
  c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"M"}}])");
  HttpResult m = c.Get("/metrics");
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (const char* want :
       {"incidentd_alerts_accepted_total{source=\"http\",format=\"prometheus\"} 1\n",
        "incidentd_http_request_duration_seconds_bucket{handler=\"alerts_post\",le=\"+Inf\"} 1\n",
        "incidentd_alerts_active 1\n", "incidentd_engine_queue_alerts 0\n", "incidentd_build_info{version=\""}) {
    EXPECT_NE(m.body.find(want), std::string::npos) << want;
  }
}

}  // namespace
}  // namespace incidentd::testing
