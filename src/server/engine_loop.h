// EngineLoop: the engine's thread, and the writer thread that makes its ticks durable.
//
// A tick: take everything queued (batches from the I/O threads, commands and reads from the API), apply the batches
// with one `now` from the clock, advance the timers, run the commands, encode what the tick changed for the state
// store, run the reads (they see the tick's state), and hand the tick to the writer. The writer writes the ticks that
// are waiting in one go, synced once (group commit: the requests of many ticks share one fsync), and only then
// answers them — each batch's `done`, each command's reply — and hands their notifications to the outbox. So the
// engine works on the next tick while the disk syncs, and nobody hears of a change a crash would undo.
//
// A failed write answers its ticks (and those behind them) with the error, HTTP 503; the writer keeps their batches
// and writes them again, first and in order, when the next tick arrives or after a backoff, and sends their
// notifications once they are written. While more than `max_unwritten_bytes` wait to be written, Submit refuses.
//
// A batch with a position (a Kafka message) has it written with the first tick from its own on that writes anything,
// so the store knows what was applied; a tick that changed nothing writes no position, as replaying it changes
// nothing either.
//
// The queue is bounded in alerts, not requests, so memory stays bounded whatever the batch sizes; a full queue
// refuses (HTTP 503). Producers take the queue's mutex only to append a pointer-sized item, once per request, never
// per alert. Without a store, a tick is answered on the engine's thread at its end.
//
// Thread rule: Submit/Read/Execute/Stop from any thread; the engine is touched only on the loop's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "incidentd/alert_sink.h"
#include "incidentd/clock.h"
#include "store/state_store.h"

namespace incidentd::server {

class EngineLoop final : public AlertSink {
 public:
  using ReadFn = std::function<void(const engine::Engine&)>;
  // A command's answer, called once its tick is written: `durable` not ok means it was not (the store failed) and
  // the caller must not be told it worked.
  using Reply = std::function<void(const Status& durable)>;
  // A command (acknowledge, resolve, silences): runs on the loop's thread with the tick's `now`; returns its answer
  // (or an empty function).
  using CommandFn = std::function<Reply(engine::Engine&, Time now)>;
  // Receives the notifications the engine decided, once their tick is written (on the writer's thread, or the
  // loop's without a store).
  using NotifyFn = std::function<void(std::vector<Notification>&&)>;
  // Called on the loop's thread after each tick, before its answers, for metrics.
  using TickHook = std::function<void(const engine::Engine&, size_t batches, size_t alerts)>;

  EngineLoop(engine::Engine& engine, const Clock& clock, size_t capacity_alerts, TickHook hook = {},
             NotifyFn notify = {});
  ~EngineLoop() override;

  // The state store the ticks are written to; set before Start. Without one, nothing is written.
  void SetStore(store::StateStore* store, size_t max_unwritten_bytes = size_t{256} << 20);
  void Start();
  // Refuses new work, finishes what is queued, writes it (a failing store gets a few seconds more), and joins the
  // threads.
  void Stop();

  bool Submit(AlertBatch&& batch, Done done) override;
  // One lock and one wake for all of them.
  size_t SubmitMany(std::span<AlertBatch> batches, std::span<Done> dones) override;
  // Runs fn on the loop's thread after the current tick. False when stopping.
  bool Read(ReadFn fn);
  // Runs fn on the loop's thread after the current tick's batches, before its readers. False when stopping.
  bool Execute(CommandFn fn);

  size_t queued_alerts() const { return queued_alerts_.load(std::memory_order_relaxed); }
  // Wakes the loop to re-check its timers now (tests drive a FakeClock with this).
  void Poke();
  // Runs a tick (timers at the clock's current time included) and waits until it is written and answered, at most
  // `within`. False on timeout or when stopping.
  bool Sync(std::chrono::milliseconds within);

 private:
  struct Item {
    AlertBatch batch;
    Done done;
    ReadFn read;
    CommandFn command;
  };
  // A tick on its way to the writer: its write and who waits for it.
  struct Tick {
    std::unique_ptr<store::StateStore::Prepared> write;  // null: nothing to write (it still waits its turn)
    std::vector<std::pair<Done, BatchReceipt>> answers;
    std::vector<Reply> replies;
    std::vector<Notification> notifications;
  };
  void Run();
  void RunWriter();
  // Remembers a batch's position until the next write (loop thread).
  void NotePosition(const AlertBatch& batch);
  // Answers the tick (ok: as applied; else with `durable`) and, when written, sends its notifications.
  void Release(Tick& t, const Status& durable, bool written);

  engine::Engine& engine_;
  const Clock& clock_;
  const size_t capacity_;
  TickHook hook_;
  NotifyFn notify_;
  store::StateStore* store_ = nullptr;
  size_t max_unwritten_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> queue_;
  bool stopping_ = false;
  bool poked_ = false;
  std::atomic<size_t> queued_alerts_{0};
  std::thread thread_;
  store::Positions positions_;  // applied, not yet written (loop thread)

  // The writer.
  std::mutex wmu_;
  std::condition_variable wcv_;
  std::deque<Tick> ticks_;        // handed over by the loop, in order
  bool writer_stopping_ = false;  // the loop is done: write what is left, then end
  std::atomic<size_t> unwritten_bytes_{0};
  std::thread writer_;
};

}  // namespace incidentd::server
