#include "server/engine_loop.h"

#include <spdlog/spdlog.h>

#include <future>
#include <memory>

namespace incidentd::server {

EngineLoop::EngineLoop(engine::Engine& engine, const Clock& clock, size_t capacity_alerts, TickHook hook,
                       NotifyFn notify)
    : engine_(engine), clock_(clock), capacity_(capacity_alerts), hook_(std::move(hook)), notify_(std::move(notify)) {}

EngineLoop::~EngineLoop() { Stop(); }

void EngineLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EngineLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool EngineLoop::Submit(AlertBatch&& batch, Done done) {
  const size_t n = batch.size();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    // A batch larger than the whole queue is still taken when the queue is empty, so no valid request is refused
    // forever.
    size_t queued = queued_alerts_.load(std::memory_order_relaxed);
    if (queued > 0 && queued + n > capacity_) return false;
    // An add, not a store: the loop thread subtracts without the mutex, and a store could undo its subtraction.
    queued_alerts_.fetch_add(n, std::memory_order_relaxed);
    queue_.push_back(Item{std::move(batch), std::move(done), {}, {}});
  }
  cv_.notify_one();
  return true;
}

bool EngineLoop::Read(ReadFn fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    queue_.push_back(Item{AlertBatch(), {}, std::move(fn), {}});
  }
  cv_.notify_one();
  return true;
}

bool EngineLoop::Execute(CommandFn fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    queue_.push_back(Item{AlertBatch(), {}, {}, std::move(fn)});
  }
  cv_.notify_one();
  return true;
}

Status EngineLoop::Commit(Time now) {
  std::vector<Notification> decided = engine_.TakeNotifications();
  if (held_.empty()) {
    held_ = std::move(decided);
  } else {
    held_.insert(held_.end(), std::make_move_iterator(decided.begin()), std::make_move_iterator(decided.end()));
  }
  Status durable = commit_ ? commit_(engine_, held_, now) : Status::Ok();
  if (!durable.ok()) {
    // Rate-limited: a failing disk fails every tick.
    ++commit_errors_unlogged_;
    const auto t = std::chrono::steady_clock::now();
    if (t - commit_error_logged_ >= std::chrono::seconds(10)) {
      spdlog::error("{} ({} failed writes; answering 503 until a write succeeds, {} notifications held)",
                    durable.message(), commit_errors_unlogged_, held_.size());
      commit_error_logged_ = t;
      commit_errors_unlogged_ = 0;
    }
    return durable;
  }
  if (!held_.empty() && notify_) notify_(std::move(held_));
  held_.clear();
  return durable;
}

bool EngineLoop::Sync(std::chrono::milliseconds within) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> f = done->get_future();
  if (!Read([done](const engine::Engine&) { done->set_value(); })) return false;
  return f.wait_for(within) == std::future_status::ready;
}

void EngineLoop::Poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_one();
}

void EngineLoop::Run() {
  std::vector<Item> work;
  std::vector<BatchReceipt> receipts;
  std::vector<Reply> replies;
  for (;;) {
    bool stop;
    {
      std::unique_lock lock(mu_);
      auto ready = [&] { return !queue_.empty() || stopping_ || poked_; };
      if (!ready()) {
        std::optional<Time> deadline = engine_.NextDeadline();
        if (deadline) {
          // The deadline is in the clock's time; wait at most until then in real time (a FakeClock is poked instead).
          Duration wait = *deadline - clock_.Now();
          if (wait.count() > 0) cv_.wait_for(lock, std::min<Duration>(wait, std::chrono::seconds(1)), ready);
        } else {
          // At least one tick a second: the tick hook is the engine thread's heartbeat (the systemd watchdog).
          cv_.wait_for(lock, std::chrono::seconds(1), ready);
        }
      }
      work.swap(queue_);
      poked_ = false;
      stop = stopping_ && work.empty();
    }
    if (stop) break;
    const Time now = clock_.Now();
    engine_.AdvanceBefore(now);  // timers due since the last tick fire at their own times, before the new work
    size_t batches = 0, alerts = 0;
    receipts.clear();
    for (Item& item : work) {
      if (item.read || item.command) continue;
      engine::BatchResult r = engine_.Apply(item.batch, now);
      receipts.push_back({Status::Ok(), r.new_alerts, r.refreshed + r.refired + r.acknowledged, r.resolved, r.ignored});
      ++batches;
      alerts += item.batch.size();
    }
    engine_.Advance(now);
    replies.clear();
    for (Item& item : work) {
      if (item.command) replies.push_back(item.command(engine_, now));
    }
    const Status durable = Commit(now);
    queued_alerts_.fetch_sub(alerts, std::memory_order_relaxed);
    // The metrics first, so that a sender who reads them after its answer sees its batch counted.
    if (hook_) hook_(engine_, batches, alerts);
    // The tick is complete: answer the senders, then the readers, who see the tick's state.
    size_t i = 0;
    for (Item& item : work) {
      if (item.read || item.command) continue;
      if (item.done) item.done(durable.ok() ? receipts[i] : BatchReceipt{durable});
      ++i;
    }
    for (Reply& reply : replies) {
      if (reply) reply(durable);
    }
    for (Item& item : work) {
      if (item.read) item.read(engine_);
    }
    work.clear();
  }
  spdlog::debug("engine loop stopped");
}

}  // namespace incidentd::server
