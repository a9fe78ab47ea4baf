// Outbox: delivers the engine's notifications to their receivers — once each, in order per incident and receiver,
// through pager outages.
//
// - Lanes: notifications for one (receiver, incident) go out one at a time in decision order, so a receiver never
//   hears "resolved" before "triggered"; different lanes run concurrently (at most max_in_flight requests at once).
// - Retries: a failed attempt is judged by the pager (2xx delivered; 429 and 5xx retried; others final) and retried
//   per notify/retry.h; a lane waits while its head backs off. After the last attempt the notification becomes a
//   dead letter, listed with its error (the API's ?state=failed), and the lane moves on.
// - Rate limits: receivers sharing a Pager::rate_key share a token bucket (PagerDuty: 120 events a minute per
//   routing key); a lane whose bucket is empty waits for its next token instead of sending into a 429.
// - The notification log: every key (Notification::Key) that was queued is remembered — delivered, failed or
//   still queued — for log_retention, and a key seen again is dropped, so a (incident, decision, receiver) is sent
//   once even when the same notification is offered twice (a replayed outbox after a restart).
// - Durability: the engine's tick writes the notifications it decided before they are enqueued; an OutboxJournal,
//   when set, hears of every one finished, and Restore puts the unfinished back after a restart.
//
// Thread rule: every method is safe from any thread. Sends run on the io_context; one mutex guards the queues
// (notifications are far fewer than alerts, and no I/O happens under it). Destroy an Outbox only after the
// io_context's threads have stopped: answers to its requests run there.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include "incidentd/clock.h"
#include "incidentd/notification.h"
#include "notify/http_client.h"
#include "notify/retry.h"
#include "observability/metrics.h"
#include "pagers/pager.h"

namespace incidentd::notify {

enum class DeliveryState : uint8_t {
  kPending,    // queued, backing off or waiting for its lane or rate limit
  kSending,    // a request is in flight
  kDelivered,  // the receiver accepted it
  kFailed,     // a dead letter: not retryable, or out of attempts
  kSkipped,    // the receiver kind has nothing to send for this event
};
std::string_view DeliveryStateName(DeliveryState s);  // "pending", "sending", "delivered", "failed", "skipped"
std::optional<DeliveryState> ParseDeliveryState(std::string_view s);

// One notification's delivery, as the API lists it.
struct DeliveryRecord {
  std::string key;  // Notification::Key()
  std::string incident_id;
  std::string receiver;
  NotifyEvent event = NotifyEvent::kTriggered;
  bool inform = false;
  uint32_t seq = 0;
  uint32_t step = 0;
  DeliveryState state = DeliveryState::kPending;
  uint32_t attempts = 0;
  Time decided_at{};  // the engine's decision (Notification::at)
  Time last_attempt_at = kZeroTime;
  Time next_attempt_at = kZeroTime;  // while backing off
  Time finished_at = kZeroTime;
  int last_status = 0;     // HTTP status of the last answer; 0: none (network error)
  std::string last_error;  // never holds a secret
};

// Where the state store learns that a notification is finished (delivered, failed or skipped). Accepted
// notifications need no call: the engine's tick that decided them wrote them before they reached the outbox. Called
// under the outbox's lock: implementations write without waiting for the disk.
class OutboxJournal {
 public:
  virtual ~OutboxJournal() = default;
  virtual void Finished(const DeliveryRecord& r) = 0;
};

struct OutboxOptions {
  RetryPolicy retry;
  size_t max_in_flight = 512;                       // requests at once, all receivers. Default: 512
  Duration log_retention = std::chrono::hours(24);  // keys remembered after they finish. Default: 24h
  size_t log_capacity = 1000000;                    // at most this many finished records; the oldest go first
  uint64_t seed = 0;                                // jitter; 0: from std::random_device
};

class Outbox {
 public:
  // pagers: one per receiver, by name. clock: for the records' times and the retry ages. metrics may be null.
  Outbox(boost::asio::io_context& io, const Clock& clock, HttpClient& client,
         std::vector<std::unique_ptr<pagers::Pager>> pagers, OutboxOptions options, observability::Registry* metrics);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Queues notifications (in decision order) and starts their lanes. A key already known is dropped; a notification
  // for a receiver without a pager becomes a dead letter at once.
  void Enqueue(std::vector<Notification> list);
  // Puts back notifications a previous run accepted and did not finish (in decision order per lane), and the records
  // it finished (the log), before any Enqueue. Used by recovery.
  void Restore(std::vector<Notification> unfinished, std::vector<DeliveryRecord> finished);
  void SetJournal(OutboxJournal* journal);
  // Replaces the receivers of the same names and adds new ones (a rule reload): new notifications use the new
  // pagers, those already queued keep the pager they were queued with. A receiver the new rules dropped stays known,
  // so what the old rules decided for it is still delivered.
  void SetPagers(std::vector<std::unique_ptr<pagers::Pager>> pagers);

  // Deliveries still queued or in the log, newest decision first: those `want` selects, at most `limit`.
  std::vector<DeliveryRecord> List(const std::function<bool(const DeliveryRecord&)>& want, size_t limit) const;
  size_t depth() const;         // pending and sending
  size_t dead_letters() const;  // failed, still in the log
  // Waits until no request is in flight and none is ready to start (what is left waits for a backoff or a rate
  // limit), or the deadline: false when it came first.
  bool WaitUntilIdle(std::chrono::steady_clock::time_point deadline) const;
  // Waits until nothing is queued or sending (depth() == 0), or the deadline: false when it came first.
  bool WaitUntilEmpty(std::chrono::steady_clock::time_point deadline) const;

  // Stops starting attempts; queued notifications stay queued (the journal keeps them for the next start).
  // In-flight requests complete or fail with the client's shutdown.
  void Stop();

 private:
  struct Entry;
  struct Lane;
  struct ReceiverMetrics;
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled{};
  };
  using SteadyTime = std::chrono::steady_clock::time_point;
  using Sends = std::vector<std::pair<std::shared_ptr<Entry>, HttpRequest>>;

  void AddPager(std::shared_ptr<const pagers::Pager> p);
  void Admit(Notification n, Sends* sends);
  void Pump(Sends* sends);
  void StartLane(const std::string& lane_key, Sends* sends);
  void Dispatch(Sends sends);
  void OnAnswer(const std::shared_ptr<Entry>& e, Result<HttpResponse> r);
  void Finish(const std::shared_ptr<Entry>& e, DeliveryState state, Sends* sends);
  void WakeAt(const std::string& lane_key, SteadyTime at);
  void ArmTimer();
  void OnTimer();
  bool TakeToken(const pagers::Pager& pager, SteadyTime now, SteadyTime* next);
  void Prune(Time now);

  boost::asio::io_context& io_;
  const Clock& clock_;
  HttpClient& client_;
  OutboxOptions options_;
  boost::unordered_flat_map<std::string, std::shared_ptr<const pagers::Pager>> pagers_;
  observability::Registry* registry_ = nullptr;
  boost::unordered_flat_map<std::string, std::unique_ptr<ReceiverMetrics>> metrics_;
  observability::Gauge* depth_gauge_ = nullptr;
  observability::Gauge* dead_gauge_ = nullptr;
  observability::Counter* duplicates_ = nullptr;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // notified after each change that may end a WaitUntil…
  bool stopped_ = false;
  std::mt19937_64 rng_;
  boost::unordered_flat_map<std::string, std::unique_ptr<Lane>> lanes_;
  std::multimap<SteadyTime, std::string> wakeups_;  // lanes waiting for a backoff or a token
  std::deque<std::string> ready_;                   // lanes with work and no request in flight, waiting for a slot
  size_t in_flight_ = 0;
  size_t depth_ = 0;
  size_t dead_ = 0;
  boost::unordered_flat_map<std::string, DeliveryState> log_;  // every key accepted and still remembered
  std::deque<DeliveryRecord> finished_;                        // finished records, oldest first
  boost::unordered_flat_map<std::string, Bucket> buckets_;
  boost::asio::steady_timer timer_;
  SteadyTime timer_at_ = SteadyTime::max();
  OutboxJournal* journal_ = nullptr;
};

}  // namespace incidentd::notify
