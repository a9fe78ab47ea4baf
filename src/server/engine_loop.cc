#include "server/engine_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <memory>

namespace incidentd::server {

EngineLoop::EngineLoop(engine::Engine& engine, const Clock& clock, size_t capacity_alerts, TickHook hook,
                       NotifyFn notify)
    : engine_(engine), clock_(clock), capacity_(capacity_alerts), hook_(std::move(hook)), notify_(std::move(notify)) {}

EngineLoop::~EngineLoop() { Stop(); }

void EngineLoop::SetStore(store::StateStore* store, size_t max_unwritten_bytes) {
  store_ = store;
  max_unwritten_ = max_unwritten_bytes;
}

void EngineLoop::Start() {
  if (store_ != nullptr) writer_ = std::thread([this] { RunWriter(); });
  thread_ = std::thread([this] { Run(); });
}

void EngineLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(wmu_);
    writer_stopping_ = true;
  }
  wcv_.notify_one();
  if (writer_.joinable()) writer_.join();
}

bool EngineLoop::Submit(AlertBatch&& batch, Done done) {
  return SubmitMany(std::span<AlertBatch>(&batch, 1), std::span<Done>(&done, 1)) == 1;
}

size_t EngineLoop::SubmitMany(std::span<AlertBatch> batches, std::span<Done> dones) {
  // A store that cannot keep up (or is failing) holds ticks in memory: past the bound, refuse.
  if (store_ != nullptr && unwritten_bytes_.load(std::memory_order_relaxed) > max_unwritten_) return 0;
  size_t i = 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return 0;
    for (; i < batches.size(); ++i) {
      const size_t n = batches[i].size();
      // A batch larger than the whole queue is still taken when the queue is empty, so no valid request is refused
      // forever.
      const size_t queued = queued_alerts_.load(std::memory_order_relaxed);
      if (queued > 0 && queued + n > capacity_) break;
      // An add, not a store: the loop thread subtracts without the mutex, and a store could undo its subtraction.
      queued_alerts_.fetch_add(n, std::memory_order_relaxed);
      queue_.push_back(Item{std::move(batches[i]), std::move(dones[i]), {}, {}});
    }
  }
  if (i > 0) cv_.notify_one();
  return i;
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

void EngineLoop::Release(Tick& t, const Status& durable, bool written) {
  for (auto& [done, receipt] : t.answers) {
    if (done) done(durable.ok() ? receipt : BatchReceipt{durable});
  }
  t.answers.clear();
  for (Reply& reply : t.replies) {
    if (reply) reply(durable);
  }
  t.replies.clear();
  if (!written) return;  // the notifications wait for the write
  if (!t.notifications.empty() && notify_) notify_(std::move(t.notifications));
  t.notifications.clear();
}

void EngineLoop::RunWriter() {
  using Steady = std::chrono::steady_clock;
  std::deque<Tick> failed;  // answered with an error, to be written before anything later
  std::vector<Tick> group;
  std::vector<store::StateStore::Prepared*> writes;
  auto backoff = std::chrono::milliseconds(50);
  Steady::time_point retry_at{}, logged{}, stop_deadline{};
  size_t failures = 0;
  for (;;) {
    bool stop;
    {
      std::unique_lock lock(wmu_);
      if (failed.empty()) {
        wcv_.wait(lock, [&] { return !ticks_.empty() || writer_stopping_; });
      } else {
        // Backing off: only a new tick (or the backoff's end) tries again; a stop keeps the backoff.
        wcv_.wait_until(lock, retry_at, [&] { return !ticks_.empty(); });
      }
      for (Tick& t : ticks_) group.push_back(std::move(t));
      ticks_.clear();
      stop = writer_stopping_;
    }
    if (group.empty() && failed.empty()) {
      if (stop) break;
      continue;
    }
    writes.clear();
    size_t bytes = 0;
    for (Tick& t : failed) {
      if (t.write) writes.push_back(t.write.get());
    }
    for (Tick& t : group) {
      if (t.write) writes.push_back(t.write.get());
    }
    for (auto* w : writes) bytes += w->bytes();
    const Status s = writes.empty() ? Status::Ok() : store_->Write(writes);
    if (s.ok()) {
      if (failures > 0) {
        spdlog::info("store: writing again after {} failed attempts; {} ticks that were answered 503 are written",
                     failures, failed.size());
      }
      failures = 0;
      backoff = std::chrono::milliseconds(50);
      for (Tick& t : failed) Release(t, s, true);
      for (Tick& t : group) Release(t, s, true);
      failed.clear();
      group.clear();
      unwritten_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
      continue;
    }
    // Nothing of the group may be acknowledged: answer it now, keep its writes to try again, in order.
    const Steady::time_point now = Steady::now();
    ++failures;
    for (Tick& t : group) {
      Release(t, s, false);
      failed.push_back(std::move(t));
    }
    group.clear();
    if (now - logged >= std::chrono::seconds(10)) {
      spdlog::error("{} ({} attempts since the first failure; answering 503 and retrying {} ticks)", s.message(),
                    failures, failed.size());
      logged = now;
    }
    retry_at = now + backoff;
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(2));
    if (stop && stop_deadline == Steady::time_point{}) stop_deadline = now + std::chrono::seconds(5);
    if (stop && now >= stop_deadline) {
      spdlog::error("store: stopping with {} ticks unwritten; their senders were answered 503", failed.size());
      for (Tick& t : failed) unwritten_bytes_.fetch_sub(t.write ? t.write->bytes() : 0, std::memory_order_relaxed);
      break;
    }
  }
}

bool EngineLoop::Sync(std::chrono::milliseconds within) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> f = done->get_future();
  // A command's reply comes once its tick is written and answered.
  if (!Execute([done](engine::Engine&, Time) { return Reply([done](const Status&) { done->set_value(); }); })) {
    return false;
  }
  return f.wait_for(within) == std::future_status::ready;
}

void EngineLoop::Poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_one();
}

void EngineLoop::NotePosition(const AlertBatch& batch) {
  auto it = positions_.find(batch.position_stream());
  if (it == positions_.end()) {
    positions_.emplace(std::string(batch.position_stream()), batch.position_offset());
  } else {
    it->second = std::max(it->second, batch.position_offset());
  }
}

void EngineLoop::Run() {
  std::vector<Item> work;
  std::vector<BatchReceipt> receipts;
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
      if (!item.batch.position_stream().empty()) NotePosition(item.batch);
      receipts.push_back({Status::Ok(), r.new_alerts, r.refreshed + r.refired + r.acknowledged, r.resolved, r.ignored});
      ++batches;
      alerts += item.batch.size();
    }
    engine_.Advance(now);
    Tick tick;
    for (Item& item : work) {
      if (item.command) tick.replies.push_back(item.command(engine_, now));
    }
    tick.notifications = engine_.TakeNotifications();
    queued_alerts_.fetch_sub(alerts, std::memory_order_relaxed);
    // The metrics first, so that a sender who reads them after its answer sees its batch counted.
    if (hook_) hook_(engine_, batches, alerts);
    // The tick is complete: the writer answers it once it is written (without a store: now); then the readers, who
    // see the tick's state.
    size_t i = 0;
    for (Item& item : work) {
      if (item.read || item.command) continue;
      tick.answers.emplace_back(std::move(item.done), receipts[i]);
      ++i;
    }
    if (store_ == nullptr) {
      Release(tick, Status::Ok(), true);
    } else {
      tick.write = store_->Prepare(engine_, tick.notifications, now);
      // Positions ride with the next write: a tick that changed nothing need not be replayed, so it writes nothing.
      if (tick.write && !positions_.empty()) {
        store_->AddPositions(*tick.write, positions_);
        positions_.clear();
      }
      if (tick.write) unwritten_bytes_.fetch_add(tick.write->bytes(), std::memory_order_relaxed);
      if (tick.write || !tick.answers.empty() || !tick.replies.empty() || !tick.notifications.empty()) {
        {
          std::lock_guard lock(wmu_);
          ticks_.push_back(std::move(tick));
        }
        wcv_.notify_one();
      }
    }
    for (Item& item : work) {
      if (item.read) item.read(engine_);
    }
    work.clear();
  }
  spdlog::debug("engine loop stopped");
}

}  // namespace incidentd::server
