// The outbox against a real loopback sink: the notification log, lanes, rate limits, the in-flight cap, skipped
// events and dead letters. A test pager stands in for the pager kinds (their bodies are tested in tests/pagers).
#include "notify/outbox.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <thread>

#include "fakes/fake_clock.h"
#include "fakes/http_sink.h"

namespace incidentd::notify {
namespace {

using testing::FakeClock;
using testing::HttpSink;
using testing::SinkResponse;

// Posts "<event> <incident> <seq>" to the sink; says nothing for `repeated`.
class TestPager : public pagers::Pager {
 public:
  TestPager(std::string name, std::string url, pagers::RateLimit limit = {})
      : Pager(std::move(name), "webhook"), url_(std::move(url)), limit_(limit) {}
  std::optional<HttpRequest> Render(const Notification& n) const override {
    if (n.event == NotifyEvent::kRepeated) return std::nullopt;
    HttpRequest r;
    r.url = url_ + "/" + name();
    r.body = std::string(NotifyEventName(n.event)) + " " + n.incident_id + " " + std::to_string(n.seq);
    r.timeout = std::chrono::seconds(5);
    return r;
  }
  pagers::RateLimit rate_limit() const override { return limit_; }
  std::string rate_key() const override { return "shared"; }

 private:
  std::string url_;
  pagers::RateLimit limit_;
};

Notification N(std::string incident, uint32_t seq, std::string receiver, NotifyEvent event = NotifyEvent::kTriggered) {
  Notification n;
  n.incident_id = std::move(incident);
  n.seq = seq;
  n.receiver = std::move(receiver);
  n.event = event;
  return n;
}

class OutboxTest : public ::testing::Test {
 protected:
  void Make(std::vector<std::unique_ptr<pagers::Pager>> pagers, OutboxOptions options = {}) {
    options.retry.initial_backoff = std::chrono::milliseconds(5);
    options.retry.max_backoff = std::chrono::milliseconds(20);
    options.seed = 42;
    HttpClientOptions client_options;
    client_options.proxy_from_environment = false;
    client_ = std::make_unique<HttpClient>(io_, client_options);
    outbox_ = std::make_unique<Outbox>(io_, clock_, *client_, std::move(pagers), options, &metrics_);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    if (outbox_) outbox_->Stop();
    if (client_) client_->Shutdown();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  // Waits until no notification is queued or sending.
  bool Drained() { return outbox_->WaitUntilEmpty(std::chrono::steady_clock::now() + std::chrono::seconds(10)); }
  std::vector<std::string> Bodies() {
    std::vector<std::string> out;
    for (const auto& r : sink_.requests()) out.push_back(r.body);
    return out;
  }
  std::vector<DeliveryRecord> All() {
    return outbox_->List([](const DeliveryRecord&) { return true; }, 1000);
  }

  HttpSink sink_;
  FakeClock clock_;
  observability::Registry metrics_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{io_.get_executor()};
  std::vector<std::thread> threads_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<Outbox> outbox_;
};

std::vector<std::unique_ptr<pagers::Pager>> One(const std::string& url, pagers::RateLimit limit = {}) {
  std::vector<std::unique_ptr<pagers::Pager>> v;
  v.push_back(std::make_unique<TestPager>("a", url, limit));
  return v;
}

TEST_F(OutboxTest, AKeySeenBeforeIsNotSentAgain) {
  Make(One(sink_.url()));
  outbox_->Enqueue({N("I1", 1, "a"), N("I1", 1, "a")});
  ASSERT_TRUE(Drained());
  outbox_->Enqueue({N("I1", 1, "a")});  // after delivery too
  outbox_->Restore({N("I1", 1, "a")}, {});
  ASSERT_TRUE(Drained());
  EXPECT_EQ(Bodies(), (std::vector<std::string>{"triggered I1 1"}));
  EXPECT_NE(metrics_.Render().find("incidentd_notifications_duplicate_total 3\n"), std::string::npos);
}

TEST_F(OutboxTest, RestoreSkipsWhatThePreviousRunFinishedAndSendsTheRest) {
  Make(One(sink_.url()));
  DeliveryRecord done;
  done.key = "I1/1/a";
  done.incident_id = "I1";
  done.receiver = "a";
  done.seq = 1;
  done.state = DeliveryState::kFailed;
  done.finished_at = clock_.Now();
  outbox_->Restore({N("I1", 1, "a"), N("I1", 2, "a", NotifyEvent::kResolved)}, {done});
  ASSERT_TRUE(Drained());
  EXPECT_EQ(Bodies(), (std::vector<std::string>{"resolved I1 2"}));
  // The restored record is listed as it finished, and counts as a dead letter.
  EXPECT_EQ(outbox_->dead_letters(), 1u);
  auto failed = outbox_->List([](const DeliveryRecord& r) { return r.state == DeliveryState::kFailed; }, 10);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].key, "I1/1/a");
}

TEST_F(OutboxTest, ALaneSendsInDecisionOrderThroughFailures) {
  sink_.Enqueue(SinkResponse(503));
  sink_.Enqueue(SinkResponse(502));
  Make(One(sink_.url()));
  outbox_->Enqueue(
      {N("I1", 1, "a"), N("I1", 2, "a", NotifyEvent::kAcknowledged), N("I1", 3, "a", NotifyEvent::kResolved)});
  ASSERT_TRUE(Drained());
  EXPECT_EQ(Bodies(), (std::vector<std::string>{"triggered I1 1", "triggered I1 1", "triggered I1 1",
                                                "acknowledged I1 2", "resolved I1 3"}));
}

TEST_F(OutboxTest, LanesOfDifferentIncidentsRunConcurrentlyUpToMaxInFlight) {
  sink_.SetDefault(SinkResponse(200).Delay(std::chrono::milliseconds(30)));
  OutboxOptions o;
  o.max_in_flight = 3;
  Make(One(sink_.url()), o);
  std::vector<Notification> list;
  for (int i = 0; i < 12; ++i) list.push_back(N("I" + std::to_string(i), 1, "a"));
  outbox_->Enqueue(std::move(list));
  ASSERT_TRUE(Drained());
  EXPECT_EQ(sink_.count(), 12u);
  EXPECT_GE(sink_.max_in_flight(), 2u);  // concurrent lanes
  EXPECT_LE(sink_.max_in_flight(), 3u);  // never beyond the cap
}

TEST_F(OutboxTest, ARateLimitQueuesInsteadOfSendingIntoA429) {
  // 2 requests per 200 ms for the shared rate key: the first two go at once, then one every 100 ms.
  Make(One(sink_.url(), pagers::RateLimit{2, std::chrono::milliseconds(200)}));
  std::vector<Notification> list;
  for (int i = 0; i < 6; ++i) list.push_back(N("I" + std::to_string(i), 1, "a"));
  const auto start = std::chrono::steady_clock::now();
  outbox_->Enqueue(std::move(list));
  ASSERT_TRUE(Drained());
  std::vector<testing::SinkRequest> got = sink_.requests();
  ASSERT_EQ(got.size(), 6u);
  EXPECT_GE(got[5].arrived - start, std::chrono::milliseconds(390));  // 4 tokens at 100 ms each, minus rounding
  EXPECT_GE(got[2].arrived - start, std::chrono::milliseconds(90));
}

TEST_F(OutboxTest, EventsAPagerHasNothingForAreSkipped) {
  Make(One(sink_.url()));
  outbox_->Enqueue({N("I1", 1, "a"), N("I1", 2, "a", NotifyEvent::kRepeated), N("I1", 3, "a", NotifyEvent::kResolved)});
  ASSERT_TRUE(Drained());
  EXPECT_EQ(Bodies(), (std::vector<std::string>{"triggered I1 1", "resolved I1 3"}));
  std::vector<DeliveryRecord> all = All();
  ASSERT_EQ(all.size(), 3u);
  int skipped = 0;
  for (const DeliveryRecord& r : all) skipped += r.state == DeliveryState::kSkipped;
  EXPECT_EQ(skipped, 1);
}

TEST_F(OutboxTest, OutOfAttemptsIsADeadLetterWithTheLastError) {
  sink_.SetDefault(SinkResponse(503, "down for maintenance"));
  OutboxOptions o;
  o.retry.max_attempts = 3;
  Make(One(sink_.url()), o);
  outbox_->Enqueue({N("I1", 1, "a")});
  ASSERT_TRUE(Drained());
  EXPECT_EQ(sink_.count(), 3u);
  std::vector<DeliveryRecord> failed =
      outbox_->List([](const DeliveryRecord& r) { return r.state == DeliveryState::kFailed; }, 10);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].attempts, 3u);
  EXPECT_EQ(failed[0].last_status, 503);
  EXPECT_NE(failed[0].last_error.find("gave up: 3 attempts"), std::string::npos) << failed[0].last_error;
  EXPECT_EQ(outbox_->dead_letters(), 1u);
  EXPECT_NE(metrics_.Render().find("incidentd_outbox_dead_letters 1\n"), std::string::npos);
}

TEST_F(OutboxTest, NetworkErrorsAreRetried) {
  // A port nothing listens on: every attempt is refused, and each is retried until the attempts run out.
  OutboxOptions o;
  o.retry.max_attempts = 3;
  Make(One("http://127.0.0.1:1"), o);
  outbox_->Enqueue({N("I1", 1, "a")});
  ASSERT_TRUE(Drained());
  std::vector<DeliveryRecord> all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, DeliveryState::kFailed);
  EXPECT_GT(all[0].attempts, 1u);
  EXPECT_EQ(all[0].last_status, 0);
}

TEST_F(OutboxTest, AReceiverWithoutAPagerIsADeadLetterAtOnce) {
  Make(One(sink_.url()));
  outbox_->Enqueue({N("I1", 1, "nobody")});
  ASSERT_TRUE(Drained());
  std::vector<DeliveryRecord> all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, DeliveryState::kFailed);
  EXPECT_EQ(all[0].last_error, "no receiver named 'nobody'");
  EXPECT_EQ(sink_.count(), 0u);
}

TEST_F(OutboxTest, ListShowsTheNewestDecisionsFirstWhateverOrderTheyFinishedIn) {
  sink_.Enqueue(SinkResponse(503));  // the older notification is retried and finishes last
  Make(One(sink_.url()));
  Notification older = N("I1", 1, "a"), newer = N("I2", 1, "a");
  older.at = clock_.Now();
  newer.at = clock_.Now() + std::chrono::seconds(1);
  outbox_->Enqueue({older});
  ASSERT_TRUE(sink_.WaitForRequests(1, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  outbox_->Enqueue({newer});
  ASSERT_TRUE(Drained());
  std::vector<DeliveryRecord> top = outbox_->List([](const DeliveryRecord&) { return true; }, 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].incident_id, "I2");
  EXPECT_EQ(All().size(), 2u);
}

TEST_F(OutboxTest, FinishedRecordsAreForgottenAfterTheLogRetention) {
  OutboxOptions o;
  o.log_retention = std::chrono::hours(1);
  Make(One(sink_.url()), o);
  outbox_->Enqueue({N("I1", 1, "a")});
  ASSERT_TRUE(Drained());
  EXPECT_EQ(All().size(), 1u);
  clock_.Advance(std::chrono::hours(2));
  outbox_->Enqueue({N("I2", 1, "a")});
  ASSERT_TRUE(Drained());
  std::vector<DeliveryRecord> all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].incident_id, "I2");
}

}  // namespace
}  // namespace incidentd::notify
