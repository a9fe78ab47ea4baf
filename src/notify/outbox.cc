#include "notify/outbox.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace incidentd::notify {

std::string_view DeliveryStateName(DeliveryState s) {
  static constexpr std::string_view kNames[] = {"pending", "sending", "delivered", "failed", "skipped"};
  return kNames[static_cast<int>(s)];
}

std::optional<DeliveryState> ParseDeliveryState(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(DeliveryState::kSkipped); ++i) {
    if (DeliveryStateName(static_cast<DeliveryState>(i)) == s) return static_cast<DeliveryState>(i);
  }
  return std::nullopt;
}

struct Outbox::ReceiverMetrics {
  observability::Counter* sent;
  observability::Counter* failed;
  observability::Counter* retried;
  observability::Histogram* latency;
};

struct Outbox::Entry {
  Notification n;
  DeliveryRecord record;
  std::shared_ptr<const pagers::Pager> pager;  // kept alive by the entry across a reload
  std::string lane;
  Time first_attempt_at = kZeroTime;
};

struct Outbox::Lane {
  std::deque<std::shared_ptr<Entry>> queue;
  bool busy = false;    // its head is sending, backing off or waiting for a token
  bool queued = false;  // in ready_
};

namespace {

std::string LaneKey(const Notification& n) { return n.receiver + '\0' + n.incident_id; }

DeliveryRecord RecordOf(const Notification& n) {
  DeliveryRecord r;
  r.key = n.Key();
  r.incident_id = n.incident_id;
  r.receiver = n.receiver;
  r.event = n.event;
  r.inform = n.inform;
  r.seq = n.seq;
  r.step = n.step;
  r.decided_at = n.at;
  return r;
}

}  // namespace

Outbox::Outbox(boost::asio::io_context& io, const Clock& clock, HttpClient& client,
               std::vector<std::unique_ptr<pagers::Pager>> pagers, OutboxOptions options,
               observability::Registry* metrics)
    : io_(io),
      clock_(clock),
      client_(client),
      options_(options),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()),
      timer_(io) {
  static observability::Registry unused;
  registry_ = metrics != nullptr ? metrics : &unused;
  for (auto& p : pagers) AddPager(std::move(p));
  observability::Registry& m = *registry_;
  depth_gauge_ = &m.GetGauge("incidentd_outbox_depth", "Notifications queued or being sent.");
  dead_gauge_ = &m.GetGauge("incidentd_outbox_dead_letters", "Failed notifications still listed by the API.");
  duplicates_ = &m.GetCounter("incidentd_notifications_duplicate_total",
                              "Notifications dropped because their key was already queued or sent.");
}

Outbox::~Outbox() { Stop(); }

// Under mu_ (or in the constructor).
void Outbox::AddPager(std::shared_ptr<const pagers::Pager> p) {
  observability::Registry& m = *registry_;
  const observability::MetricLabels labels{{"receiver", p->name()}, {"type", p->type()}};
  metrics_[p->name()] = std::make_unique<ReceiverMetrics>(ReceiverMetrics{
      &m.GetCounter("incidentd_notifications_sent_total", "Notifications their receiver accepted.", labels),
      &m.GetCounter("incidentd_notifications_failed_total",
                    "Notifications given up on (dead letters): not retryable or out of attempts.", labels),
      &m.GetCounter("incidentd_notifications_retried_total", "Delivery attempts that will be retried.", labels),
      &m.GetHistogram(
          "incidentd_notification_delivery_seconds", "From the engine's decision to the receiver's acceptance.", labels,
          {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800}),
  });
  std::string name = p->name();
  pagers_[std::move(name)] = std::move(p);
}

void Outbox::SetPagers(std::vector<std::unique_ptr<pagers::Pager>> pagers) {
  std::lock_guard lock(mu_);
  for (auto& p : pagers) AddPager(std::move(p));
}

void Outbox::SetJournal(OutboxJournal* journal) {
  std::lock_guard lock(mu_);
  journal_ = journal;
}

void Outbox::Enqueue(std::vector<Notification> list) {
  Sends sends;
  {
    std::lock_guard lock(mu_);
    Prune(clock_.Now());
    for (Notification& n : list) Admit(std::move(n), &sends);
    Pump(&sends);
  }
  changed_.notify_all();
  Dispatch(std::move(sends));
}

void Outbox::Restore(std::vector<Notification> unfinished, std::vector<DeliveryRecord> finished) {
  Sends sends;
  {
    std::lock_guard lock(mu_);
    std::stable_sort(finished.begin(), finished.end(),
                     [](const DeliveryRecord& a, const DeliveryRecord& b) { return a.finished_at < b.finished_at; });
    for (DeliveryRecord& r : finished) {
      if (!log_.emplace(r.key, r.state).second) continue;
      if (r.state == DeliveryState::kFailed) ++dead_;
      finished_.push_back(std::move(r));
    }
    for (Notification& n : unfinished) Admit(std::move(n), &sends);
    Prune(clock_.Now());
    Pump(&sends);
  }
  changed_.notify_all();
  Dispatch(std::move(sends));
}

void Outbox::Admit(Notification n, Sends* sends) {
  std::string key = n.Key();
  if (!log_.emplace(key, DeliveryState::kPending).second) {
    duplicates_->Inc();
    return;
  }
  auto e = std::make_shared<Entry>();
  e->record = RecordOf(n);
  e->lane = LaneKey(n);
  auto p = pagers_.find(n.receiver);
  e->n = std::move(n);
  ++depth_;
  if (p == pagers_.end()) {
    e->record.last_error = "no receiver named '" + e->record.receiver + "'";
    Finish(e, DeliveryState::kFailed, sends);
    return;
  }
  e->pager = p->second;
  std::unique_ptr<Lane>& lane = lanes_[e->lane];
  if (!lane) lane = std::make_unique<Lane>();
  lane->queue.push_back(std::move(e));
  if (!lane->busy && !lane->queued) {
    lane->queued = true;
    ready_.push_back(lane->queue.back()->lane);
  }
  depth_gauge_->Set(static_cast<double>(depth_));
}

// Starts ready lanes while slots are free.
void Outbox::Pump(Sends* sends) {
  if (stopped_) return;
  while (!ready_.empty() && in_flight_ < options_.max_in_flight) {
    std::string lane_key = std::move(ready_.front());
    ready_.pop_front();  // a deque: a backlog of 100k lanes costs O(1) per start, not a shift of the rest
    auto it = lanes_.find(lane_key);
    if (it == lanes_.end()) continue;
    it->second->queued = false;
    StartLane(lane_key, sends);
  }
}

// Sends the lane's head, or parks the lane until its rate limit allows.
void Outbox::StartLane(const std::string& lane_key, Sends* sends) {
  auto it = lanes_.find(lane_key);
  if (it == lanes_.end()) return;
  Lane& lane = *it->second;
  while (!lane.queue.empty()) {
    std::shared_ptr<Entry> e = lane.queue.front();
    std::optional<HttpRequest> request = e->pager->Render(e->n);
    if (!request) {
      lane.queue.pop_front();
      Finish(e, DeliveryState::kSkipped, nullptr);
      continue;
    }
    const SteadyTime steady_now = std::chrono::steady_clock::now();
    SteadyTime next;
    if (!TakeToken(*e->pager, steady_now, &next)) {
      lane.busy = true;
      e->record.next_attempt_at = clock_.Now() + (next - steady_now);
      WakeAt(lane_key, next);
      return;
    }
    lane.busy = true;
    const Time now = clock_.Now();
    if (e->record.attempts == 0) e->first_attempt_at = now;
    ++e->record.attempts;
    e->record.last_attempt_at = now;
    e->record.next_attempt_at = kZeroTime;
    e->record.state = DeliveryState::kSending;
    ++in_flight_;
    sends->emplace_back(std::move(e), std::move(*request));
    return;
  }
  lanes_.erase(it);
}

void Outbox::Dispatch(Sends sends) {
  for (auto& [e, request] : sends) {
    client_.Send(std::move(request), [this, e = e](Result<HttpResponse> r) { OnAnswer(e, std::move(r)); });
  }
}

void Outbox::OnAnswer(const std::shared_ptr<Entry>& e, Result<HttpResponse> r) {
  Sends sends;
  {
    std::lock_guard lock(mu_);
    --in_flight_;
    const Time now = clock_.Now();
    AttemptResult result;
    Duration retry_after{0};
    if (r.ok()) {
      pagers::Judgement j = e->pager->Judge(*r, now);
      e->record.last_status = r->status;
      e->record.last_error = std::move(j.error);
      retry_after = j.retry_after;
      result = j.verdict == pagers::Verdict::kDelivered ? AttemptResult::kDelivered
               : j.verdict == pagers::Verdict::kRetry   ? AttemptResult::kRetryable
                                                        : AttemptResult::kPermanent;
    } else {
      e->record.last_status = 0;
      e->record.last_error = r.status().message();
      result = r.status().code() == StatusCode::kUnavailable ? AttemptResult::kRetryable : AttemptResult::kPermanent;
    }
    if (stopped_ && result != AttemptResult::kDelivered) {
      e->record.state = DeliveryState::kPending;  // stays queued for the next start
      changed_.notify_all();
      return;
    }
    RetryDecision d =
        DecideRetry(options_.retry, result, e->record.attempts, e->first_attempt_at, now, retry_after, rng_);
    ReceiverMetrics& m = *metrics_.at(e->record.receiver);
    switch (d.step) {
      case NextStep::kDone:
        m.sent->Inc();
        m.latency->Observe(std::chrono::duration<double>(now - e->record.decided_at).count());
        e->record.last_error.clear();
        Finish(e, DeliveryState::kDelivered, &sends);
        break;
      case NextStep::kRetry:
        m.retried->Inc();
        e->record.state = DeliveryState::kPending;
        e->record.next_attempt_at = now + d.delay;
        WakeAt(e->lane, std::chrono::steady_clock::now() + d.delay);
        break;
      case NextStep::kDeadLetter:
        m.failed->Inc();
        e->record.last_error += (e->record.last_error.empty() ? "" : "; ") + ("gave up: " + d.reason);
        spdlog::warn("notification {} to {} failed: {}", e->record.key, e->record.receiver, e->record.last_error);
        Finish(e, DeliveryState::kFailed, &sends);
        break;
    }
    Pump(&sends);
  }
  changed_.notify_all();
  Dispatch(std::move(sends));
}

// The head of e's lane is done: record it, and let the lane go on.
void Outbox::Finish(const std::shared_ptr<Entry>& e, DeliveryState state, Sends* sends) {
  e->record.state = state;
  e->record.finished_at = clock_.Now();
  e->record.next_attempt_at = kZeroTime;
  --depth_;
  if (state == DeliveryState::kFailed) ++dead_;
  log_[e->record.key] = state;
  if (journal_ != nullptr) journal_->Finished(e->record);
  finished_.push_back(e->record);
  depth_gauge_->Set(static_cast<double>(depth_));
  dead_gauge_->Set(static_cast<double>(dead_));
  if (sends == nullptr || e->pager == nullptr) return;  // skipped inside StartLane, or never queued
  auto it = lanes_.find(e->lane);
  if (it == lanes_.end()) return;
  Lane& lane = *it->second;
  if (!lane.queue.empty() && lane.queue.front() == e) lane.queue.pop_front();
  lane.busy = false;
  if (lane.queue.empty()) {
    lanes_.erase(it);
  } else if (!lane.queued) {
    lane.queued = true;
    ready_.push_back(e->lane);
  }
}

bool Outbox::TakeToken(const pagers::Pager& pager, SteadyTime now, SteadyTime* next) {
  const pagers::RateLimit limit = pager.rate_limit();
  if (limit.events == 0) return true;
  Bucket& b = buckets_[pager.rate_key()];
  const double per_token = std::chrono::duration<double>(limit.per).count() / limit.events;
  if (b.refilled == SteadyTime{}) {
    b.tokens = limit.events;
  } else {
    b.tokens =
        std::min<double>(limit.events, b.tokens + std::chrono::duration<double>(now - b.refilled).count() / per_token);
  }
  b.refilled = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  *next = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>((1 - b.tokens) * per_token));
  return false;
}

void Outbox::WakeAt(const std::string& lane_key, SteadyTime at) {
  wakeups_.emplace(at, lane_key);
  if (at < timer_at_) ArmTimer();
}

void Outbox::ArmTimer() {
  if (stopped_ || wakeups_.empty()) return;
  timer_at_ = wakeups_.begin()->first;
  timer_.expires_at(timer_at_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) OnTimer();
  });
}

void Outbox::OnTimer() {
  Sends sends;
  {
    std::lock_guard lock(mu_);
    timer_at_ = SteadyTime::max();
    const SteadyTime now = std::chrono::steady_clock::now();
    while (!wakeups_.empty() && wakeups_.begin()->first <= now) {
      std::string lane_key = std::move(wakeups_.begin()->second);
      wakeups_.erase(wakeups_.begin());
      auto it = lanes_.find(lane_key);
      if (it == lanes_.end() || it->second->queued) continue;
      it->second->busy = false;
      it->second->queued = true;
      ready_.push_back(std::move(lane_key));
    }
    Pump(&sends);
    ArmTimer();
  }
  changed_.notify_all();
  Dispatch(std::move(sends));
}

// Forgets finished records beyond the log's capacity or retention.
void Outbox::Prune(Time now) {
  while (!finished_.empty() &&
         (finished_.size() > options_.log_capacity || finished_.front().finished_at + options_.log_retention < now)) {
    const DeliveryRecord& r = finished_.front();
    if (r.state == DeliveryState::kFailed) --dead_;
    log_.erase(r.key);
    finished_.pop_front();
  }
  dead_gauge_->Set(static_cast<double>(dead_));
}

std::vector<DeliveryRecord> Outbox::List(const std::function<bool(const DeliveryRecord&)>& want, size_t limit) const {
  std::vector<const DeliveryRecord*> found;
  std::lock_guard lock(mu_);
  for (const auto& [key, lane] : lanes_) {
    for (const auto& e : lane->queue) {
      if (want(e->record)) found.push_back(&e->record);
    }
  }
  for (const DeliveryRecord& r : finished_) {
    if (want(r)) found.push_back(&r);
  }
  // Newest decision first: finish order is not decision order (a retried notification finishes late).
  auto newest_first = [](const DeliveryRecord* a, const DeliveryRecord* b) {
    if (a->decided_at != b->decided_at) return a->decided_at > b->decided_at;
    return a->key < b->key;
  };
  const size_t keep = std::min(limit, found.size());
  std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(keep), found.end(), newest_first);
  std::vector<DeliveryRecord> out;
  out.reserve(keep);
  for (size_t i = 0; i < keep; ++i) out.push_back(*found[i]);
  return out;
}

size_t Outbox::depth() const {
  std::lock_guard lock(mu_);
  return depth_;
}

size_t Outbox::dead_letters() const {
  std::lock_guard lock(mu_);
  return dead_;
}

void Outbox::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();
  }
  changed_.notify_all();
}

bool Outbox::WaitUntilIdle(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mu_);
  return changed_.wait_until(lock, deadline, [&] { return in_flight_ == 0 && (ready_.empty() || stopped_); });
}

bool Outbox::WaitUntilEmpty(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mu_);
  return changed_.wait_until(lock, deadline, [&] { return depth_ == 0; });
}

}  // namespace incidentd::notify
