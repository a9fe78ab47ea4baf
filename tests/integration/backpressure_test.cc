// Backpressure: a full engine queue refuses at once and HTTP answers 503 with Retry-After; nothing is half-applied.
#include <gtest/gtest.h>

#include <future>

#include "decode/factory.h"
#include "engine/engine.h"
#include "fakes/fake_clock.h"
#include "server/engine_loop.h"
#include "sources/http/intake_handler.h"

namespace incidentd::testing {
namespace {

AlertBatch Batch(int n, int offset = 0) {
  AlertBatch b;
  for (int i = 0; i < n; ++i) {
    b.Begin();
    b.AddLabel("alertname", "A" + std::to_string(offset + i));
    b.Finish();
  }
  b.Seal();
  return b;
}

// The engine thread is held inside a read, so the queue fills deterministically.
class HeldLoop {
 public:
  explicit HeldLoop(size_t capacity) : loop_(engine_, clock_, capacity) {
    loop_.Start();
    entered_ = std::make_shared<std::promise<void>>();
    loop_.Read([this, release = release_.get_future().share(), entered = entered_](const engine::Engine&) {
      entered->set_value();
      release.wait();
    });
    entered_->get_future().wait();
  }
  ~HeldLoop() {
    Release();
    loop_.Stop();
  }
  void Release() {
    if (!released_) release_.set_value();
    released_ = true;
  }
  server::EngineLoop& loop() { return loop_; }
  const engine::Engine& engine() const { return engine_; }

 private:
  FakeClock clock_;
  engine::Engine engine_{engine::EngineOptions{}};
  server::EngineLoop loop_;
  std::promise<void> release_;
  std::shared_ptr<std::promise<void>> entered_;
  bool released_ = false;
};

TEST(BackpressureTest, QueueIsBoundedInAlerts) {
  HeldLoop held(100);
  std::atomic<int> done{0};
  EXPECT_TRUE(held.loop().Submit(Batch(60), [&](const BatchReceipt&) { ++done; }));
  EXPECT_TRUE(held.loop().Submit(Batch(40, 60), [&](const BatchReceipt&) { ++done; }));
  EXPECT_EQ(held.loop().queued_alerts(), 100u);
  EXPECT_FALSE(held.loop().Submit(Batch(1, 100), [&](const BatchReceipt&) { ++done; }));
  held.Release();
  held.loop().Stop();  // drains what was queued
  EXPECT_EQ(done.load(), 2);
  EXPECT_EQ(held.engine().alerts().size(), 100u);
  EXPECT_EQ(held.loop().queued_alerts(), 0u);
}

TEST(BackpressureTest, OversizedBatchIsTakenWhenTheQueueIsEmpty) {
  HeldLoop held(10);
  EXPECT_TRUE(held.loop().Submit(Batch(50), [](const BatchReceipt&) {}));
  EXPECT_FALSE(held.loop().Submit(Batch(1, 50), [](const BatchReceipt&) {}));
}

TEST(BackpressureTest, HttpAnswers503WithRetryAfter) {
  HeldLoop held(1);
  observability::Registry metrics;
  http::IntakeHandler handler(decode::MakeDecoder(AlertFormat::kPrometheus, decode::Limits{}), held.loop(), metrics);
  auto post = [&](const std::string& json) {
    std::string body = json + std::string(64, '\0');
    http::Request req;
    req.method = boost::beast::http::verb::post;
    req.path = "/api/v2/alerts";
    req.content_type = "application/json";
    req.body = std::string_view(body.data(), json.size());
    req.body_capacity = body.size();
    auto answer = std::make_shared<std::promise<http::Response>>();
    handler(req, [answer](http::Response r) { answer->set_value(std::move(r)); });
    return answer->get_future();
  };
  auto first = post(R"([{"labels":{"alertname":"queued"}}])");
  http::Response refused = post(R"([{"labels":{"alertname":"refused"}}])").get();  // answered at once
  EXPECT_EQ(refused.status, 503u);
  ASSERT_EQ(refused.headers.size(), 1u);
  EXPECT_EQ(refused.headers[0].first, "Retry-After");
  held.Release();
  EXPECT_EQ(first.get().status, 200u);
  EXPECT_NE(metrics.Render().find("reason=\"backpressure\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace incidentd::testing
