// FakeClock: a Clock that moves only when the test says so.
#pragma once

#include <atomic>

#include "incidentd/clock.h"

namespace incidentd::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Time start = FromUnixNanos(1'780'000'000'000'000'000LL)) : now_(ToUnixNanos(start)) {}
  Time Now() const override { return FromUnixNanos(now_.load()); }
  void Set(Time t) { now_.store(ToUnixNanos(t)); }
  void Advance(Duration d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace incidentd::testing
