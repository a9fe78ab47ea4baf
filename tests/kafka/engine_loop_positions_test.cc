// The engine loop writes a Kafka batch's position with the first tick from its own on that writes anything: a tick
// that changed nothing writes nothing (replaying it would change nothing either), and its position rides with the
// next write.
#include <gtest/gtest.h>

#include <future>

#include "fakes/fake_clock.h"
#include "server/engine_loop.h"
#include "store/store_test_util.h"

namespace incidentd::store {
namespace {

// Submits the batch and waits for its answer (given once its tick is written).
void Apply(server::EngineLoop& loop, AlertBatch batch) {
  std::promise<Status> answered;
  ASSERT_TRUE(loop.Submit(std::move(batch), [&](const BatchReceipt& r) { answered.set_value(r.status); }));
  std::future<Status> f = answered.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
}

AlertBatch At(const Full& alert, std::string_view stream, int64_t offset) {
  AlertBatch b = FullBatch({alert});
  b.set_position(stream, offset);
  return b;
}

Positions Read(StateStore& store) {
  Result<Positions> p = store.ReadPositions();
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : Positions{};
}

TEST(EngineLoopPositionsTest, APositionIsWrittenWithTheNextTickThatWrites) {
  TempDir dir;
  engine::Engine engine({}, engine::Rules({engine::Rule("svc", {"service"})}));
  std::unique_ptr<StateStore> store = OpenAndRecover(Options(dir), engine, kT0);
  ASSERT_NE(store, nullptr);
  testing::FakeClock clock(kT0);
  server::EngineLoop loop(engine, clock, 1000);
  loop.SetStore(store.get());
  loop.Start();

  Full a{{{"alertname", "A"}, {"service", "db"}}, {}, ""};
  Full b{{{"alertname", "B"}, {"service", "web"}}, {}, ""};
  Apply(loop, At(a, "kafka/t/0", 10));  // a new alert: written, with its position
  EXPECT_EQ(Read(*store), (Positions{{"kafka/t/0", 10}}));
  Apply(loop, At(a, "kafka/t/0", 11));  // the same alert again: nothing changed, nothing written
  Apply(loop, At(a, "kafka/t/1", 3));
  EXPECT_EQ(Read(*store), (Positions{{"kafka/t/0", 10}}));
  Apply(loop, At(b, "kafka/t/0", 12));  // a change: it carries every position applied since the last write
  EXPECT_EQ(Read(*store), (Positions{{"kafka/t/0", 12}, {"kafka/t/1", 3}}));
  loop.Stop();
  Close(engine, store);
}

}  // namespace
}  // namespace incidentd::store
