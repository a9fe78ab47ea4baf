// EngineLoop: the engine's thread. It owns the Engine and feeds it in ticks from a bounded queue.
//
// A tick: take everything queued (batches from the I/O threads, reads from the API), apply the batches with one
// `now` from the clock, advance the timers, run the commands, write the tick's changes to the state store (one synced
// write: this is where many requests share one fsync), and only then hand the notifications to the outbox and
// answer: each batch's `done`, each command's reply, then each read. The queue is bounded
// in alerts, not requests, so memory stays bounded whatever the batch sizes; a full queue refuses (HTTP 503).
// Producers take the queue's mutex only to append a pointer-sized item, once per request, never per alert.
//
// Thread rule: Submit/Read/Stop from any thread; the engine is touched only on the loop's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "incidentd/alert_sink.h"
#include "incidentd/clock.h"

namespace incidentd::server {

class EngineLoop final : public AlertSink {
 public:
  using ReadFn = std::function<void(const engine::Engine&)>;
  // A command's answer, called once its tick's changes are written: `durable` not ok means they were not (the
  // store failed) and the caller must not be told it worked.
  using Reply = std::function<void(const Status& durable)>;
  // A command (acknowledge, resolve, silences): runs on the loop's thread with the tick's `now`; returns its answer
  // (or an empty function).
  using CommandFn = std::function<Reply(engine::Engine&, Time now)>;
  // Writes the tick's changes and the notifications it decided (with any held from ticks whose write failed) before
  // anyone hears of them. Not ok: the tick's senders get that status (HTTP 503), its notifications are held.
  using CommitFn = std::function<Status(const engine::Engine&, const std::vector<Notification>& decided, Time now)>;
  // Receives the notifications the engine decided, after each tick or command, on the loop's thread.
  using NotifyFn = std::function<void(std::vector<Notification>&&)>;
  // Called on the loop's thread after each tick that did work, for metrics.
  using TickHook = std::function<void(const engine::Engine&, size_t batches, size_t alerts)>;

  EngineLoop(engine::Engine& engine, const Clock& clock, size_t capacity_alerts, TickHook hook = {},
             NotifyFn notify = {});
  ~EngineLoop() override;

  // The state store's write; set before Start. Without one, nothing is written.
  void SetCommit(CommitFn commit) { commit_ = std::move(commit); }
  void Start();
  // Refuses new work, finishes what is queued, and joins the thread.
  void Stop();

  bool Submit(AlertBatch&& batch, Done done) override;
  // Runs fn on the loop's thread after the current tick. False when stopping.
  bool Read(ReadFn fn);
  // Runs fn on the loop's thread after the current tick's batches, before its readers. False when stopping.
  bool Execute(CommandFn fn);

  size_t queued_alerts() const { return queued_alerts_.load(std::memory_order_relaxed); }
  // Wakes the loop to re-check its timers now (tests drive a FakeClock with this).
  void Poke();
  // Runs a tick (timers at the clock's current time included) and waits until it is done, at most `within`.
  // False on timeout or when stopping.
  bool Sync(std::chrono::milliseconds within);

 private:
  struct Item {
    AlertBatch batch;
    Done done;
    ReadFn read;
    CommandFn command;
  };
  Status Commit(Time now);
  void Run();

  engine::Engine& engine_;
  const Clock& clock_;
  const size_t capacity_;
  TickHook hook_;
  NotifyFn notify_;
  CommitFn commit_;
  std::vector<Notification> held_;  // decided by ticks not yet written
  std::chrono::steady_clock::time_point commit_error_logged_{};
  size_t commit_errors_unlogged_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> queue_;
  bool stopping_ = false;
  bool poked_ = false;
  std::atomic<size_t> queued_alerts_{0};
  std::thread thread_;
};

}  // namespace incidentd::server
